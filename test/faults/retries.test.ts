/**
 * Retries: 429, 5xx and overloaded answers are retried with backoff, honouring the upstream's
 * retry-after (seconds, HTTP date or retry-after-ms); a retry-after longer than max_retry_after_ms moves
 * to the next target at once; other 4xx are never retried; after the last try the client gets the last
 * upstream error. What the upstream saw is counted, what telemetry recorded is checked.
 *
 * Timing is the behaviour in the retry-after and backoff cases. Those assert lower bounds on the gap
 * between two upstream requests (a busy machine only makes gaps longer, so they cannot flake) and the
 * delay the gateway planned, which it records on the `lessllm.attempt` event and does not depend on load.
 * The few upper bounds are many seconds wide: they only show the gateway did not wait for something else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReceivedRequest } from '../support/test-upstream.ts';
import { anthropicErrorBody, DEFAULT_ANSWER_TEXT, openAiErrorBody } from '../support/upstream-answers.ts';
import { attemptEvents, newTrace, upstreamProviders, useObservedGateway } from './support/observed-gateway.ts';
import { readCall, sendChat, type ClientKind } from './support/raw-calls.ts';

const quickRetry = { attempts: 2, backoff_ms: 10, max_backoff_ms: 20, max_retry_after_ms: 5000 };
/** Timers may fire a millisecond or so early on some runtimes; a gap this much under the delay still counts. */
const timerSlackMs = 20;

type Upstream = 'openai' | 'anthropic';

const path = (upstream: Upstream) => (upstream === 'openai' ? '/v1/chat/completions' : '/v1/messages');
const errorBody = (upstream: Upstream, status: number, message: string) =>
  upstream === 'openai' ? openAiErrorBody(status, message) : anthropicErrorBody(status, message);
const gapMs = (requests: ReceivedRequest[], index: number) => requests[index].receivedAtMs - requests[index - 1].receivedAtMs;

describe('retries', () => {
  const setup = useObservedGateway((upstreams) => ({
    providers: upstreamProviders(upstreams),
    retry: quickRetry,
    routes: [
      { match: 'three-gpt', provider: 'openai-a', retry: { ...quickRetry, attempts: 3 } },
      { match: 'backoff-gpt', provider: 'openai-a', retry: { attempts: 3, backoff_ms: 200, max_backoff_ms: 5000 } },
      {
        match: 'impatient',
        targets: [{ provider: 'openai-a', model: 'gpt-first' }, { provider: 'openai-b', model: 'gpt-second' }],
        retry: { ...quickRetry, max_retry_after_ms: 1000 },
      },
      { match: 'gpt-*', provider: 'openai-a' },
      { match: 'claude-*', provider: 'anthropic-a' },
    ],
  }));
  const upstream = () => setup.upstreams.a;

  const retriedCases: Array<{ status: number; upstream: Upstream; client: ClientKind; stream: boolean; errorType: string }> = [
    { status: 429, upstream: 'openai', client: 'openai', stream: true, errorType: 'rate_limit' },
    { status: 429, upstream: 'anthropic', client: 'anthropic', stream: false, errorType: 'rate_limit' },
    { status: 500, upstream: 'openai', client: 'openai', stream: false, errorType: 'api_error' },
    { status: 500, upstream: 'anthropic', client: 'openai', stream: true, errorType: 'api_error' },
    { status: 503, upstream: 'openai', client: 'anthropic', stream: true, errorType: 'overloaded' },
    { status: 503, upstream: 'anthropic', client: 'anthropic', stream: true, errorType: 'overloaded' },
    { status: 529, upstream: 'anthropic', client: 'anthropic', stream: true, errorType: 'overloaded' },
    { status: 529, upstream: 'anthropic', client: 'openai', stream: false, errorType: 'overloaded' },
  ];
  for (const { status, upstream: kind, client, stream, errorType } of retriedCases) {
    it(`${status} from the ${kind} upstream (${client} client, ${stream ? 'stream' : 'no stream'}), no retry-after: retried after the backoff, the client gets the answer`, async () => {
      upstream().enqueue({ path: path(kind), status, json: errorBody(kind, status, 'try again') });
      const trace = newTrace();
      const model = kind === 'openai' ? 'gpt-faults' : 'claude-faults';
      const call = await readCall(client, await sendChat(setup.gateway, { client, model, stream, headers: trace.headers }));
      assert.equal(call.status, 200, call.text);
      assert.equal(call.ending, 'complete');
      assert.equal(call.outputText, DEFAULT_ANSWER_TEXT.join(''));
      assert.equal(upstream().requests.length, 2, 'one retry');

      const span = await setup.callSpan(trace.traceId);
      assert.equal(span.attributes['error.type'], undefined, 'the call succeeded');
      assert.equal(span.attributes['lessllm.attempts'], 2);
      const events = attemptEvents(span);
      assert.equal(events.length, 1);
      assert.equal(events[0].attributes['http.response.status_code'], status);
      assert.equal(events[0].attributes['error.type'], errorType);
      assert.equal(events[0].attributes['lessllm.provider'], kind === 'openai' ? 'openai-a' : 'anthropic-a');
      const delay = events[0].attributes['lessllm.retry.delay_ms'] as number;
      assert.ok(delay >= 8 && delay <= 12, `backoff_ms 10 ± 20% jitter, planned ${delay}`);
      assert.equal((await setup.logRow(trace.traceId)).attempts, 2);
    });
  }

  it('408, 409, 502 and 504 are retried too', async () => {
    for (const status of [408, 409, 502, 504]) {
      upstream().reset();
      upstream().enqueue({ path: '/v1/chat/completions', status, json: openAiErrorBody(status, `status ${status}`) });
      const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'gpt-faults', stream: true }));
      assert.equal(call.ending, 'complete', `after ${status}: ${call.text}`);
      assert.equal(upstream().requests.length, 2, `after ${status}`);
    }
  });

  it('retry-after in seconds is honoured: the second request comes at least that long after the first', async () => {
    upstream().enqueue({ path: '/v1/chat/completions', status: 429, headers: { 'retry-after': '1' }, json: openAiErrorBody(429, 'slow down') });
    const trace = newTrace();
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'gpt-faults', stream: true, headers: trace.headers }));
    assert.equal(call.ending, 'complete');
    const requests = upstream().requests;
    assert.equal(requests.length, 2);
    assert.ok(gapMs(requests, 1) >= 1000 - timerSlackMs, `retried ${gapMs(requests, 1).toFixed(0)} ms later, before the 1 s retry-after`);
    assert.ok(gapMs(requests, 1) < 6000, 'and not much later');
    const [event] = attemptEvents(await setup.callSpan(trace.traceId));
    assert.equal(event.attributes['lessllm.retry.delay_ms'], 1000);
  });

  it('retry-after-ms is honoured', async () => {
    upstream().enqueue({ path: '/v1/messages', status: 529, headers: { 'retry-after-ms': '400' }, json: anthropicErrorBody(529, 'Overloaded') });
    const trace = newTrace();
    const call = await readCall('anthropic', await sendChat(setup.gateway, { client: 'anthropic', model: 'claude-faults', stream: true, headers: trace.headers }));
    assert.equal(call.ending, 'complete');
    const requests = upstream().requests;
    assert.equal(requests.length, 2);
    assert.ok(gapMs(requests, 1) >= 400 - timerSlackMs, `retried ${gapMs(requests, 1).toFixed(0)} ms later, before the 400 ms retry-after-ms`);
    const [event] = attemptEvents(await setup.callSpan(trace.traceId));
    assert.equal(event.attributes['lessllm.retry.delay_ms'], 400);
  });

  it('retry-after as an HTTP date is honoured', async () => {
    // HTTP dates have whole seconds: two seconds ahead, cut to the second, is between 1 and 2 s ahead.
    const date = new Date(Date.now() + 2000).toUTCString();
    upstream().enqueue({ path: '/v1/chat/completions', status: 503, headers: { 'retry-after': date }, json: openAiErrorBody(503, 'busy') });
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'gpt-faults', stream: false }));
    assert.equal(call.ending, 'complete');
    const requests = upstream().requests;
    assert.equal(requests.length, 2);
    assert.ok(gapMs(requests, 1) >= 900, `retried ${gapMs(requests, 1).toFixed(0)} ms later, before ${date}`);
  });

  it('a retry-after longer than max_retry_after_ms moves to the next target at once', async () => {
    setup.upstreams.a.enqueue({ path: '/v1/chat/completions', status: 429, headers: { 'retry-after': '30' }, json: openAiErrorBody(429, 'come back in 30 s') });
    const trace = newTrace();
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'impatient', stream: true, headers: trace.headers }));
    assert.equal(call.ending, 'complete', call.text);
    assert.equal(setup.upstreams.a.requests.length, 1, 'the first target was not retried');
    assert.equal(setup.upstreams.b.requests.length, 1, 'the second target answered');
    assert.equal(setup.upstreams.b.lastRequest().json.model, 'gpt-second');
    const waited = setup.upstreams.b.requests[0].receivedAtMs - setup.upstreams.a.requests[0].receivedAtMs;
    assert.ok(waited < 5000, `moved on after ${waited.toFixed(0)} ms; the 30 s retry-after was not waited for`);

    const span = await setup.callSpan(trace.traceId);
    assert.equal(span.attributes['lessllm.provider'], 'openai-b');
    assert.equal(span.attributes['lessllm.attempts'], 2);
    const [event] = attemptEvents(span);
    assert.equal(event.attributes['lessllm.provider'], 'openai-a');
    assert.equal(event.attributes['gen_ai.request.model'], 'gpt-first');
    assert.equal(event.attributes['lessllm.retry.delay_ms'], 0);
  });

  it('400, 401, 404 and 422 are not retried: the client gets the upstream error as it was', async () => {
    for (const status of [400, 401, 404, 422]) {
      upstream().reset();
      const body = openAiErrorBody(status, `refused with ${status}`);
      upstream().enqueue({ path: '/v1/chat/completions', status, json: body });
      const trace = newTrace();
      const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'gpt-faults', stream: true, headers: trace.headers }));
      assert.equal(call.status, status);
      assert.deepEqual(JSON.parse(call.text), body, 'passthrough: the exact body');
      assert.equal(upstream().requests.length, 1, `${status} is not retried`);
      assert.equal((await setup.callSpan(trace.traceId)).attributes['lessllm.attempts'], 1);
    }
  });

  it('after the last try the client gets the last upstream error: its exact status and body (passthrough)', async () => {
    for (const attempt of [1, 2, 3]) {
      upstream().enqueue({ path: '/v1/chat/completions', status: attempt === 3 ? 503 : 500, headers: { 'x-request-id': `req_${attempt}` }, json: openAiErrorBody(500, `failure ${attempt}`) });
    }
    const trace = newTrace();
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'three-gpt', stream: true, headers: trace.headers }));
    assert.equal(call.status, 503);
    assert.deepEqual(JSON.parse(call.text), openAiErrorBody(500, 'failure 3'));
    assert.equal(call.headers.get('x-request-id'), 'req_3');
    assert.equal(upstream().requests.length, 3);

    const span = await setup.callSpan(trace.traceId);
    assert.equal(span.attributes['error.type'], 'overloaded');
    assert.equal(span.attributes['lessllm.attempts'], 3);
    assert.deepEqual(attemptEvents(span).map((event) => event.attributes['http.response.status_code']), [500, 500]);
    const row = await setup.logRow(trace.traceId);
    assert.equal(row.attempts, 3);
    assert.equal(row.status, 503);
  });

  it('after the last try a converted call gets the last upstream error in its own API', async () => {
    upstream().enqueue(
      { path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'first failure') },
      { path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'second failure') },
    );
    const call = await readCall('anthropic', await sendChat(setup.gateway, { client: 'anthropic', model: 'gpt-faults', stream: true }));
    assert.equal(call.status, 500);
    const body = JSON.parse(call.text);
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'api_error');
    assert.match(body.error.message, /second failure/);
    assert.equal(upstream().requests.length, 2);
  });

  it('the backoff doubles from backoff_ms, with at most 20% jitter', async () => {
    for (let attempt = 0; attempt < 2; attempt++) upstream().enqueue({ path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'not yet') });
    const trace = newTrace();
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'backoff-gpt', stream: true, headers: trace.headers }));
    assert.equal(call.ending, 'complete');
    const requests = upstream().requests;
    assert.equal(requests.length, 3);
    assert.ok(gapMs(requests, 1) >= 160 - timerSlackMs, `first pause ${gapMs(requests, 1).toFixed(0)} ms ≥ 200 ms − 20%`);
    assert.ok(gapMs(requests, 2) >= 320 - timerSlackMs, `second pause ${gapMs(requests, 2).toFixed(0)} ms ≥ 400 ms − 20%`);
    const delays = attemptEvents(await setup.callSpan(trace.traceId)).map((event) => event.attributes['lessllm.retry.delay_ms'] as number);
    assert.equal(delays.length, 2);
    assert.ok(delays[0] >= 160 && delays[0] <= 240, `planned ${delays[0]} ms for 200 ms ± 20%`);
    assert.ok(delays[1] >= 320 && delays[1] <= 480, `planned ${delays[1]} ms for 400 ms ± 20%`);
  });
});
