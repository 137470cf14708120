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
    assert.deepEqual(openai, {
      name: 'openai',
      type: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-test',
      headers: {},
      timeouts: { connectMs: 10_000, firstByteMs: 300_000, idleMs: 300_000, totalMs: 1_800_000 },
    });
    const anthropic = config.providers.get('anthropic');
    assert.equal(anthropic?.type === 'anthropic' && anthropic.anthropicVersion, '2023-06-01');
    assert.equal(anthropic?.type === 'anthropic' && anthropic.defaultMaxTokens, 4096);
    assert.deepEqual(config.routes[1], {
      match: 'fast',
      targets: [{ provider: 'openai', model: 'gpt-4.1-mini', weight: 1 }],
      strategy: 'fallback',
      retry: { attempts: 2, backoffMs: 200, maxBackoffMs: 5_000, maxRetryAfterMs: 30_000 },
    });
    assert.equal(config.server.shutdownGraceMs, 30_000);
  });

  it('reads fallback targets, retry and timeouts, a route overriding the global ones', () => {
    const config = parse(`
timeouts: { connect_ms: 2000, idle_ms: 5000 }
retry: { attempts: 3, backoff_ms: 50 }
providers:
  a: { type: openai, base_url: http://a.test/v1, timeouts: { total_ms: 0 } }
  b: { type: anthropic, base_url: http://b.test }
routes:
  - match: smart
    targets: [{ provider: a, model: m1, weight: 3 }, { provider: b }]
    strategy: weighted
    retry: { attempts: 1 }
  - { match: "*", provider: b }
`);
    const a = config.providers.get('a');
    assert.deepEqual(a?.type === 'openai' && a.timeouts, { connectMs: 2000, firstByteMs: 300_000, idleMs: 5000, totalMs: 0 });
    const b = config.providers.get('b');
    assert.deepEqual(b?.type === 'anthropic' && b.timeouts, { connectMs: 2000, firstByteMs: 300_000, idleMs: 5000, totalMs: 1_800_000 });
    assert.deepEqual(config.routes[0].targets, [
      { provider: 'a', model: 'm1', weight: 3 },
      { provider: 'b', model: undefined, weight: 1 },
    ]);
    assert.equal(config.routes[0].strategy, 'weighted');
    assert.deepEqual(config.routes[0].retry, { attempts: 1, backoffMs: 50, maxBackoffMs: 5_000, maxRetryAfterMs: 30_000 });
    assert.deepEqual(config.routes[1].retry, { attempts: 3, backoffMs: 50, maxBackoffMs: 5_000, maxRetryAfterMs: 30_000 });
  });

  it('wants either provider or targets on a route', () => {
    assert.match(failure(`providers: { a: { type: mock } }\nroutes: [{ match: x }]\n`), /lessllm\.yaml:2:\d+: routes\.0: give either provider .* not neither/);
    assert.match(failure(`providers: { a: { type: mock } }\nroutes: [{ match: x, provider: a, targets: [{ provider: a }] }]\n`), /not both/);
    assert.match(failure(`providers: { a: { type: mock } }\nroutes: [{ match: x, targets: [{ provider: nope }] }]\n`), /routes\.0\.targets\.0\.provider: no provider named "nope"/);
  });

  it('listens on every interface by default only when gateway keys are configured', () => {
    const withKeys = parse(`auth: { keys: [{ name: team, key: lk-0123456789abcdef }] }\nproviders: { a: { type: mock } }\nroutes: [{ match: "*", provider: a }]\n`);
    assert.equal(withKeys.server.host, '0.0.0.0');
    const explicit = parse(`server: { host: 127.0.0.1 }\nauth: { keys: [{ name: team, key: lk-0123456789abcdef }] }\nproviders: { a: { type: mock } }\nroutes: [{ match: "*", provider: a }]\n`);
    assert.equal(explicit.server.host, '127.0.0.1');
  });

  it('never echoes a value that may be a secret in an error', () => {
    const message = failure(`providers: { a: { type: openai, base_url: http://a.test/v1, api_key: [sk-secret-value-123] } }\nroutes: [{ match: "*", provider: a }]\n`);
    assert.match(message, /providers\.a\.api_key/);
    assert.doesNotMatch(message, /sk-secret-value-123/);
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
