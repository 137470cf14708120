/**
 * Property-based fuzzing of the HTTP surface: thousands of malformed and hostile requests (see
 * hostile-requests.ts) against the real gateway, routed to the mock provider and to a test upstream of
 * each API, passthrough and converted. The upstream answers every request normally, so any 5xx is the
 * gateway's own failure.
 *
 * Properties, for every request:
 * - no 5xx;
 * - a non-2xx answer is an error in the exact shape of the client's API, with a JSON content type;
 * - a 2xx answer is a well-formed response of that API (a complete stream when one was asked for);
 * - it settles within `requestTimeoutMs`: that timeout IS the property (no hang), so it is generous;
 * and after all of them the gateway still answers /health and never printed a stack trace.
 *
 * LESSLLM_FUZZ_RUNS sets the number of requests per endpoint (default 2000). A failure prints the
 * request at fault and fast-check's seed; LESSLLM_FUZZ_SEED=<seed> replays the same requests.
 */
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANTHROPIC_MODEL,
  MOCK_MODEL,
  OPENAI_MODEL,
  PROVIDER_ANTHROPIC_KEY,
  PROVIDER_OPENAI_KEY,
  standardConfig,
  useEndToEnd,
  type EndToEnd,
} from '../support/e2e-setup.ts';
import {
  describeRequest,
  hostileChatRequest,
  hostileOtherRequest,
  hostileStreamingRequest,
  printableRequest,
  type Api,
  type HostileRequest,
} from './hostile-requests.ts';
import { assertErrorShape, assertWellFormedChatAnswer, type Answer } from './protocol-answers.ts';

const runsPerEndpoint = Number(process.env.LESSLLM_FUZZ_RUNS ?? 2000);
/** Requests in flight at once: enough to keep both cores busy, few enough not to time anything out. */
const concurrency = 8;
/** A request that has not settled by then has hung. */
const requestTimeoutMs = 10_000;
const fuzzTestTimeoutMs = 120_000;
/** LESSLLM_FUZZ_SEED replays the seed a failure printed. */
const seedFromEnvironment = process.env.LESSLLM_FUZZ_SEED === undefined ? undefined : Number(process.env.LESSLLM_FUZZ_SEED);

type Outcome = Answer & { request: HostileRequest };

const statuses = new Map<number, number>();
/** A word of one repeated letter: different letters per test, because the tokenizer caches words it has seen. */
const longWord = (letter: string) => letter.repeat(200_000);

/** Sends hostile requests to the gateway of `setup`, a batch at a time, and judges every answer. */
function fuzzRunner(setup: EndToEnd) {
  async function send(request: HostileRequest): Promise<Outcome | undefined> {
    try {
      new Headers(request.headers);
    } catch {
      return undefined; // fetch itself refuses these headers: no client can send them this way.
    }
    let response: Response;
    try {
      response = await fetch(`${setup.gateway.url}${request.path}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      return { request, status: response.status, contentType: response.headers.get('content-type') ?? '', text };
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new Error(`${describeRequest(request)}\n→ no answer within ${requestTimeoutMs} ms: the request hung (${String(error)})`);
      }
      // The runtime refuses these headers with a 431 and closes the connection at once; a client still
      // sending a large body then sees the connection reset instead of the 431 (README, "Bad input").
      if (headersPastServerLimit(request)) return undefined;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${describeRequest(request)}\n→ no answer: ${String(error)} (${cause?.code ?? cause?.message ?? 'no cause'})`);
    }
  }

  /** Runs a batch of requests concurrently and checks each answer; the upstream's records are dropped after. */
  async function sendAll(requests: HostileRequest[], judge: (outcome: Outcome) => void): Promise<void> {
    const outcomes = await Promise.all(requests.map(send));
    setup.upstream.reset();
    for (const outcome of outcomes) {
      if (outcome === undefined) continue;
      try {
        judge(outcome);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${describeRequest(outcome.request)}\n→ ${outcome.status} ${outcome.contentType}: ${outcome.text.slice(0, 400)}\n${reason}`);
      }
    }
  }

  /**
   * Fails with the one request at fault and why, then the seed that replays the run: not fast-check's own
   * report, which prints all eight requests of the batch first and pushes the reason out of sight.
   */
  async function fuzz(requests: fc.Arbitrary<HostileRequest>, runs: number, judge: (outcome: Outcome) => void): Promise<void> {
    const details = await fc.check(
      fc.asyncProperty(fc.array(requests, { minLength: concurrency, maxLength: concurrency }), (batch) => sendAll(batch, judge)),
      {
        numRuns: Math.max(1, Math.ceil(runs / concurrency)),
        seed: seedFromEnvironment,
        // No shrinking: the failure already names the one request at fault, and shrinking a request that
        // hangs would retry it (and wait out its timeout) hundreds of times.
        endOnFailure: true,
      },
    );
    if (!details.failed) return;
    const reason = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? 'no error: too many skipped or interrupted runs');
    throw new Error(`${reason}\n(batch ${details.numRuns} of this run; LESSLLM_FUZZ_SEED=${details.seed} replays it)`);
  }

  return { sendAll, fuzz };
}

describe('fuzzing the HTTP surface with hostile requests', () => {
  const setup = useEndToEnd();
  const { sendAll, fuzz } = fuzzRunner(setup);

  for (const api of ['openai', 'anthropic'] as const) {
    const path = api === 'openai' ? '/v1/chat/completions' : '/v1/messages';

    it(`POST ${path}: no 5xx, errors in ${api} shape, accepted requests answered well-formed`, { timeout: fuzzTestTimeoutMs }, async () => {
      await fuzz(hostileChatRequest(api), runsPerEndpoint, (outcome) => judgeChat(api, outcome));
    });

    it(`POST ${path} with stream: true: the same, and every accepted stream is complete`, { timeout: fuzzTestTimeoutMs }, async () => {
      await fuzz(hostileStreamingRequest(api), runsPerEndpoint / 4, (outcome) => judgeChat(api, outcome));
    });
  }

  it('POST /v1/messages/count_tokens and unknown paths and methods: no 5xx, errors in the shape of the client', { timeout: fuzzTestTimeoutMs }, async () => {
    await fuzz(hostileOtherRequest, runsPerEndpoint / 4, judgeOther);
  });

  it('the gateway is still alive afterwards, answers /health and printed no stack trace', { timeout: fuzzTestTimeoutMs }, async () => {
    const health = await fetch(`${setup.gateway.url}/health`, { signal: AbortSignal.timeout(requestTimeoutMs) });
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const stackLine = setup.gateway.log.split('\n').find((line) => /^\s+at .+:\d+(:\d+)?\)?$/.test(line));
    assert.equal(stackLine, undefined, `the gateway printed a stack trace:\n${setup.gateway.log.slice(-3000)}`);
    // The fuzz cases reached every kind of answer, so the properties above did not hold vacuously.
    const seen = [...statuses.keys()];
    assert.ok(seen.some((status) => status >= 200 && status < 300), `no request was accepted: ${JSON.stringify([...statuses])}`);
    assert.ok(seen.some((status) => status >= 400 && status < 500), `no request was refused: ${JSON.stringify([...statuses])}`);
  });

  // Found by this fuzzer: JSON.parse takes any depth, but the routes that write the body again
  // (converted, renamed model, mock, count_tokens) overflowed the stack in JSON.stringify: a 500 with
  // "Maximum call stack size exceeded" (from about 5 000 levels on Node, 50 000 on Bun).
  const deepSchema = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  for (const [label, path, body] of [
    ['OpenAI client → Anthropic upstream', '/v1/chat/completions', `{"model":"${ANTHROPIC_MODEL}","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deepSchema}}}]}`],
    ['OpenAI client → renamed model', '/v1/chat/completions', `{"model":"alias-openai","messages":[{"role":"user","content":"hi"}],"metadata":${deepSchema}}`],
    ['Anthropic client → OpenAI upstream', '/v1/messages', `{"model":"${OPENAI_MODEL}","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${deepSchema}}]}`],
    ['count_tokens', '/v1/messages/count_tokens', `{"model":"${OPENAI_MODEL}","messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${deepSchema}}]}`],
  ] as const) {
    it(`${label}: a body nested 100 000 levels deep gets a 4xx in the client's shape, not a 500`, { timeout: fuzzTestTimeoutMs }, async () => {
      const api: Api = path === '/v1/chat/completions' ? 'openai' : 'anthropic';
      const request = printableRequest({ method: 'POST', path, headers: { 'content-type': 'application/json' }, label: 'deep nesting', body: new TextEncoder().encode(body) });
      await sendAll([request], (outcome) => (path === '/v1/messages/count_tokens' ? judgeOther(outcome) : judgeChat(api, outcome)));
    });
  }

  // Found by this fuzzer: a malformed percent-encoding in the model id of GET /v1/models/{id} was a
  // bare "URI error" 500 in text/plain.
  it('GET /v1/models/%ZZ gets a 4xx in the client\'s shape, not a 500', async () => {
    await sendAll([printableRequest({ method: 'GET', path: '/v1/models/%ZZ', headers: {}, label: 'bad percent-encoding' })], judgeOther);
  });

  // Found by this fuzzer: BPE token counting is quadratic in the length of one word, and the gateway
  // counts tokens on its event loop (count_tokens for non-Anthropic routes, the mock, usage estimates),
  // so a single request holding a long word without spaces stalled every client for minutes. Kept
  // last so that, while it fails, the stalled gateway does not take the other tests down with it.
  for (const [label, path, body] of [
    ['POST /v1/messages/count_tokens', '/v1/messages/count_tokens', { model: OPENAI_MODEL, messages: [{ role: 'user', content: longWord('x') }] }],
    ['POST /v1/chat/completions to the mock', '/v1/chat/completions', { model: MOCK_MODEL, messages: [{ role: 'user', content: longWord('y') }] }],
  ] as const) {
    it(`${label} with a ${body.messages[0].content.length}-character word is answered within ${requestTimeoutMs} ms`, { timeout: fuzzTestTimeoutMs }, async () => {
      const bytes = new TextEncoder().encode(JSON.stringify(body));
      const request = printableRequest({ method: 'POST', path, headers: { 'content-type': 'application/json' }, label: 'one long word', body: bytes });
      await sendAll([request], (outcome) => assert.equal(outcome.status, 200, outcome.text.slice(0, 300)));
    });
  }
});

/** The key of the gateway with keys; the fuzzer sends it in either header, a wrong one, or none. */
const gatewayKey = 'lk-fuzz-3b9d1f7a5c2e4860';
const keyForms = ['bearer', 'x-api-key', 'wrong key', 'no key'] as const;
type KeyForm = (typeof keyForms)[number];

/** The request with its own credential headers replaced by the given form of the gateway key. */
function withKey(request: HostileRequest, form: KeyForm): HostileRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.toLowerCase() !== 'authorization' && name.toLowerCase() !== 'x-api-key') headers[name] = value;
  }
  if (form === 'bearer') headers.authorization = `Bearer ${gatewayKey}`;
  else if (form === 'x-api-key') headers['x-api-key'] = gatewayKey;
  else if (form === 'wrong key') headers.authorization = 'Bearer lk-fuzz-wrong-000000000000';
  return { ...request, headers, label: `${request.label} [${form}]` };
}

function carriesKey(request: HostileRequest): boolean {
  return Object.values(request.headers).some((value) => value === gatewayKey || value === `Bearer ${gatewayKey}`);
}

// The same hostile requests at a gateway with keys: the key is checked before the body is read, so
// without it every request gets the same 401 in its API's shape; with it (in either header), the
// properties of a gateway without keys hold.
describe('fuzzing a gateway with keys', () => {
  const setup = useEndToEnd((upstream) => ({ ...standardConfig(upstream), auth: { keys: [{ name: 'fuzz', key: gatewayKey }] } }));
  const { fuzz } = fuzzRunner(setup);

  for (const api of ['openai', 'anthropic'] as const) {
    const path = api === 'openai' ? '/v1/chat/completions' : '/v1/messages';
    it(`POST ${path}: 401 in ${api} shape without the key or with a wrong one; with it, no 5xx and well-formed answers`, { timeout: fuzzTestTimeoutMs }, async () => {
      const requests = fc.tuple(fc.oneof(hostileChatRequest(api), hostileStreamingRequest(api)), fc.constantFrom(...keyForms)).map(([request, form]) => withKey(request, form));
      let answeredWithKey = 0;
      let refusedWithoutKey = 0;
      await fuzz(requests, runsPerEndpoint / 2, (outcome) => {
        if (carriesKey(outcome.request)) {
          if (outcome.status >= 200 && outcome.status < 300) answeredWithKey++;
          return judgeChat(api, outcome);
        }
        if (refusedByHttpServer(outcome)) return;
        assert.equal(outcome.status, 401, 'a request without the key');
        assertErrorShape(api, outcome);
        refusedWithoutKey++;
      });
      // Both halves of the property were exercised.
      assert.ok(answeredWithKey > 0 && refusedWithoutKey > 0, `${answeredWithKey} answered with the key, ${refusedWithoutKey} refused without`);
    });
  }
});

/**
 * Headers past the HTTP server's own limit (16 KiB on Node and Bun) are refused by the runtime before
 * any gateway code runs, with a bare 431: no body can be in the client's shape there. Counted from half
 * the limit, as the runtimes count the request line and fetch's own headers too.
 */
function headersPastServerLimit(request: HostileRequest): boolean {
  const headerBytes = Object.entries(request.headers).reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
  return headerBytes > 8_192;
}

function refusedByHttpServer(outcome: Outcome): boolean {
  return outcome.status === 431 && headersPastServerLimit(outcome.request);
}

function judgeChat(api: Api, outcome: Outcome): void {
  if (refusedByHttpServer(outcome)) return;
  assertNoUpstreamKey(outcome);
  assert.ok(outcome.status < 500, `the gateway answered ${outcome.status}`);
  if (outcome.status >= 200 && outcome.status < 300) assertWellFormedChatAnswer(api, outcome, askedForStream(outcome));
  else assertErrorShape(api, outcome);
}

function judgeOther(outcome: Outcome): void {
  const { request } = outcome;
  if (refusedByHttpServer(outcome)) return;
  assertNoUpstreamKey(outcome);
  // The router takes a trailing slash as the same path: those are the chat endpoints themselves.
  const path = request.path.length > 1 && request.path.endsWith('/') ? request.path.slice(0, -1) : request.path;
  if (request.method === 'POST' && path === '/v1/chat/completions') return judgeChat('openai', outcome);
  if (request.method === 'POST' && path === '/v1/messages') return judgeChat('anthropic', outcome);
  assert.ok(outcome.status < 500, `the gateway answered ${outcome.status}`);
  const countTokens = request.method === 'POST' && path === '/v1/messages/count_tokens';
  if (outcome.status >= 200 && outcome.status < 300) {
    // Only count_tokens and the model list can succeed here.
    const body = JSON.parse(outcome.text);
    if (countTokens) assert.ok(Number.isInteger(body.input_tokens), 'count_tokens answered without input_tokens');
    else assert.ok(request.method === 'GET' && path.startsWith('/v1/models'), `${request.method} ${request.path} succeeded`);
    return;
  }
  // Unknown paths are answered in the API the client's headers point to; count_tokens is Anthropic's.
  const anthropicClient = countTokens || Object.keys(request.headers).some((name) => name.toLowerCase() === 'anthropic-version');
  assertErrorShape(anthropicClient ? 'anthropic' : 'openai', outcome);
}

/** The gateway's own upstream keys never reach a client, whatever it sent. */
function assertNoUpstreamKey(outcome: Outcome): void {
  for (const key of [PROVIDER_OPENAI_KEY, PROVIDER_ANTHROPIC_KEY]) assert.ok(!outcome.text.includes(key), 'an upstream key reached the client');
}

function askedForStream(outcome: Outcome): boolean {
  try {
    return JSON.parse(new TextDecoder().decode(outcome.request.body)).stream === true;
  } catch {
    // A body too deep for this runtime's JSON.parse: go by what came back.
    return outcome.contentType.startsWith('text/event-stream');
  }
}
