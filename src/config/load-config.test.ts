import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, defaultConfig, parseConfig } from './load-config.ts';

const parse = (text: string, environment: Record<string, string> = {}) => parseConfig(text, 'lessllm.yaml', environment);
/** The message of the ConfigError the text must produce. */
function failure(text: string, environment: Record<string, string> = {}): string {
  try {
    parse(text, environment);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error.message;
  }
  assert.fail('the config was accepted');
}

describe('config loader', () => {
  it('reads providers and routes, applying defaults', () => {
    const config = parse(`
providers:
  openai: { type: openai, base_url: https://api.openai.com/v1/, api_key: sk-test }
  anthropic: { type: anthropic, base_url: https://api.anthropic.com, api_key: ak }
  local: { type: mock }
routes:
  - { match: "claude-*", provider: anthropic }
  - { match: fast, provider: openai, model: gpt-4.1-mini }
  - { match: "*", provider: local }
`);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8000);
    const openai = config.providers.get('openai');
    assert.deepEqual(openai, { name: 'openai', type: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-test', headers: {} });
    const anthropic = config.providers.get('anthropic');
    assert.equal(anthropic?.type === 'anthropic' && anthropic.anthropicVersion, '2023-06-01');
    assert.equal(anthropic?.type === 'anthropic' && anthropic.defaultMaxTokens, 4096);
    assert.deepEqual(config.routes[1], { match: 'fast', provider: 'openai', model: 'gpt-4.1-mini' });
  });

  it('substitutes ${VAR} and ${VAR:-fallback} from the environment', () => {
    const config = parse(
      `
providers:
  openai: { type: openai, base_url: "\${BASE:-https://example.test/v1}", api_key: "\${KEY}" }
routes: [{ match: "*", provider: openai }]
`,
      { KEY: 'sk-from-env' },
    );
    const openai = config.providers.get('openai');
    assert.equal(openai?.type === 'openai' && openai.apiKey, 'sk-from-env');
    assert.equal(openai?.type === 'openai' && openai.baseUrl, 'https://example.test/v1');
  });

  it('names the file, line and column of a missing environment variable', () => {
    const message = failure(`providers:\n  openai: { type: openai, base_url: https://x.test/v1, api_key: "\${MISSING_KEY}" }\nroutes: [{ match: "*", provider: openai }]\n`);
    assert.match(message, /^lessllm\.yaml:2:\d+: environment variable MISSING_KEY is not set/);
  });

  it('names the path and line of a wrong provider type', () => {
    const message = failure(`providers:\n  a:\n    type: opena\nroutes: [{ match: "*", provider: a }]\n`);
    assert.match(message, /^lessllm\.yaml:3:11: providers\.a\.type: expected one of openai, anthropic, mock, mcp \(got "opena"\)/);
  });

  it('rejects unknown keys inside a provider, pointing at them', () => {
    const message = failure(`providers:\n  a:\n    type: openai\n    base_url: http://x.test/v1\n    apikey: sk\nroutes: [{ match: "*", provider: a }]\n`);
    assert.match(message, /^lessllm\.yaml:5:\d+: providers\.a\.apikey: unexpected property/);
  });

  it('rejects a route to a provider that does not exist', () => {
    const message = failure(`providers:\n  a: { type: mock }\nroutes:\n  - { match: "*", provider: b }\n`);
    assert.match(message, /^lessllm\.yaml:4:\d+: routes\.0\.provider: no provider named "b" \(known: a\)/);
  });

  it('rejects a base_url that is not an http(s) URL', () => {
    assert.match(failure(`providers:\n  a: { type: openai, base_url: not a url }\nroutes: [{ match: "*", provider: a }]\n`), /providers\.a\.base_url: not a URL/);
    assert.match(failure(`providers:\n  a: { type: openai, base_url: "ftp://x" }\nroutes: [{ match: "*", provider: a }]\n`), /must be http or https/);
  });

  it('reports broken YAML with its position', () => {
    assert.match(failure(`providers: [\n`), /^lessllm\.yaml:\d+:\d+: invalid YAML/);
  });

  it('requires at least one route', () => {
    assert.match(failure(`providers:\n  a: { type: mock }\nroutes: []\n`), /routes: expected array length/);
  });

  it('has a built-in default that routes everything to the mock', () => {
    const config = defaultConfig();
    assert.equal(config.source, 'built-in default');
    assert.equal(config.providers.get('local')?.type, 'mock');
    assert.equal(config.routes.at(-1)?.match, '*');
  });
});
