/**
 * The usual end-to-end arrangement: one test upstream, one gateway whose providers point at it, started
 * before a `describe` block and stopped after it. The gateway's output is printed under a failing test.
 *
 * Routes of the standard config (first match wins):
 *   alias-anthropic → anthropic-upstream as `claude-upstream-name`   (alias rewrite)
 *   alias-openai    → openai-upstream as `gpt-upstream-name`
 *   claude-*        → anthropic-upstream
 *   gpt-*           → openai-upstream
 *   mock-*          → the built-in mock provider
 * There is no catch-all, so any other model name has no route.
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import { startGateway, type RunningGateway } from './gateway.ts';
import { TestUpstream } from './test-upstream.ts';

export const PROVIDER_OPENAI_KEY = 'sk-provider-openai-key';
export const PROVIDER_ANTHROPIC_KEY = 'sk-ant-provider-anthropic-key';
/** What the SDK clients send; it must never reach the upstream. */
export const CLIENT_KEY = 'sk-client-key-that-must-not-leak';
/** Matches the `claude-*` route. */
export const ANTHROPIC_MODEL = 'claude-gateway-test';
/** Matches the `gpt-*` route. */
export const OPENAI_MODEL = 'gpt-gateway-test';
export const MOCK_MODEL = 'mock-model';
export const MAX_BODY_BYTES = 1_048_576;

export function standardConfig(upstream: TestUpstream): Record<string, unknown> {
  return {
    server: { max_body_bytes: MAX_BODY_BYTES },
    // These suites check what one upstream answer becomes; retries are the fault suite's (test/faults).
    retry: { attempts: 1 },
    providers: {
      'openai-upstream': { type: 'openai', base_url: `${upstream.url}/v1`, api_key: PROVIDER_OPENAI_KEY },
      'anthropic-upstream': { type: 'anthropic', base_url: upstream.url, api_key: PROVIDER_ANTHROPIC_KEY },
      mock: { type: 'mock' },
    },
    routes: [
      { match: 'alias-anthropic', provider: 'anthropic-upstream', model: 'claude-upstream-name' },
      { match: 'alias-openai', provider: 'openai-upstream', model: 'gpt-upstream-name' },
      { match: 'claude-*', provider: 'anthropic-upstream' },
      { match: 'gpt-*', provider: 'openai-upstream' },
      { match: 'mock-*', provider: 'mock' },
    ],
  };
}

export type EndToEnd = {
  upstream: TestUpstream;
  gateway: RunningGateway;
};

/**
 * Call inside a `describe`: the returned object is filled in by its `before` hook. `configure` may
 * change the standard config (it receives the started upstream).
 */
export function useEndToEnd(configure: (upstream: TestUpstream) => Record<string, unknown> = standardConfig): EndToEnd {
  const setup = {} as EndToEnd;
  let logOffset = 0;
  before(async () => {
    setup.upstream = await TestUpstream.start();
    setup.gateway = await startGateway({ config: configure(setup.upstream) });
  });
  after(async () => {
    await setup.gateway?.stop();
    await setup.upstream?.stop();
  });
  beforeEach(() => {
    setup.upstream?.reset();
    logOffset = setup.gateway?.log.length ?? 0;
  });
  // Node and Bun tell the hook whether the test passed; Deno does not (then the log stays quiet).
  afterEach((context: unknown) => {
    if ((context as { passed?: boolean } | undefined)?.passed === false) {
      setup.gateway?.printOutput('during the failed test', logOffset);
    }
  });
  return setup;
}
