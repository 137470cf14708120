/**
 * The four timeouts, on all four routes, as the real SDKs see them: an upstream that never answers
 * (connect), answers headers but no body (first byte), goes silent mid-stream (idle), or drips so slowly
 * that the whole call runs over (total). Before the response started the client gets HTTP 504 in its
 * API; after, an in-band error after the text so far. The gateway hangs up on the upstream, and the span
 * and log row say `error.type = timeout` and which timeout it was.
 *
 * The configured timeouts are short (300–1000 ms) so the suite is fast; the upstream's silences are
 * unbounded (it stalls forever) or far from the limits, so a slow machine cannot change which timeout fires.
 */
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { routesForAnthropicClient, routesForOpenAiClient, upstreamPath, type Route } from '../support/routes.ts';
import { answerWith, type ReceivedRequest, type ScriptedResponse } from '../support/test-upstream.ts';
import { DEFAULT_ANSWER_TEXT } from '../support/upstream-answers.ts';
import { attemptEvents, newTrace, upstreamProviders, useObservedGateway, within } from './support/observed-gateway.ts';
import { clientKinds, readCall, sendChat, type ClientKind } from './support/raw-calls.ts';
import { streamWithSdk } from './support/sdk-calls.ts';

const totalMs = 1000;
/** The slow upstream of the total-timeout case writes one event per `dripMs`: well under its idle limit, 40 of them well over `totalMs`. */
const dripMs = 150;
const manyWords = Array.from({ length: 40 }, (_, index) => ` word${index}`);
/** Past this the gateway never hung up on the upstream: fail rather than wait. */
const hangUpLimitMs = 5000;

type TimeoutCase = {
  kind: 'connect' | 'first_byte' | 'idle' | 'total';
  /** The model that selects a route with this timeout short, given the route's upstream. */
  model(route: Route): string;
  upstream(route: Route): ScriptedResponse | ((request: ReceivedRequest) => ScriptedResponse);
  /** Whether the response had started when the timeout fired. */
  afterStart: boolean;
};

const timeoutCases: TimeoutCase[] = [
  { kind: 'connect', model: (route) => route.model, upstream: (route) => ({ path: upstreamPath(route), hold: true }), afterStart: false },
  {
    kind: 'first_byte',
    model: (route) => route.model,
    upstream: (route) => ({ path: upstreamPath(route), status: 200, headers: { 'content-type': 'text/event-stream' }, body: '', then: 'stall' }),
    afterStart: false,
  },
  {
    kind: 'idle',
    model: (route) => route.model,
    upstream: (route) => answerWith({ model: route.model, text: manyWords }, { onlyFirstEvents: route.upstream === 'anthropic' ? 5 : 3, then: 'stall' }),
    afterStart: true,
  },
  {
    kind: 'total',
    model: (route) => (route.upstream === 'openai' ? 'total-gpt' : 'total-claude'),
    upstream: (route) => answerWith({ model: route.model, text: manyWords }, { delayMs: dripMs }),
    afterStart: true,
  },
];

const allRoutes: Array<{ client: ClientKind; route: Route }> = [
  ...routesForOpenAiClient.map((route) => ({ client: 'openai' as const, route })),
  ...routesForAnthropicClient.map((route) => ({ client: 'anthropic' as const, route })),
];

describe('timeouts', () => {
  const setup = useObservedGateway((upstreams) => {
    const providers = upstreamProviders(upstreams) as Record<string, Record<string, unknown>>;
    const slowButSteady = { timeouts: { idle_ms: 2000, total_ms: totalMs } };
    return {
      providers: {
        ...providers,
        'openai-total': { ...providers['openai-a'], ...slowButSteady },
        'anthropic-total': { ...providers['anthropic-a'], ...slowButSteady },
      },
      timeouts: { connect_ms: 400, first_byte_ms: 400, idle_ms: 300, total_ms: 20_000 },
      // One try per call, so each case shows one timeout; the retry route shows what a retry adds.
      retry: { attempts: 1 },
      routes: [
        { match: 'total-gpt', provider: 'openai-total' },
        { match: 'total-claude', provider: 'anthropic-total' },
        { match: 'retry-gpt', provider: 'openai-a', retry: { attempts: 2, backoff_ms: 10 } },
        { match: 'gpt-*', provider: 'openai-a' },
        { match: 'claude-*', provider: 'anthropic-a' },
      ],
    };
  });

  for (const { client, route } of allRoutes) {
    describe(route.label, () => {
      for (const timeout of timeoutCases) {
        const expectation = timeout.afterStart ? 'an in-band error after the text so far' : 'HTTP 504 in its API';
        it(`${timeout.kind} timeout: the SDK raises ${expectation}; the upstream is hung up on; span and log row say so`, async () => {
          setup.upstreams.a.enqueue(timeout.upstream(route));
          const trace = newTrace();
          const outcome = await streamWithSdk(setup.gateway, client, timeout.model(route), trace.headers);

          const errorClass = client === 'openai' ? OpenAI.APIError : Anthropic.APIError;
          assert.ok(outcome.error instanceof errorClass, `an API error in the SDK's terms, not ${String(outcome.error)}`);
          assert.equal(outcome.finished, false);
          if (timeout.afterStart) {
            assert.equal(outcome.error.status, undefined, 'an in-band error (the status line was 200)');
            assert.ok(outcome.text.startsWith(' word0'), `the text before the timeout arrived: ${JSON.stringify(outcome.text)}`);
          } else {
            assert.equal(outcome.error.status, 504);
            assert.equal(outcome.text, '');
          }

          assert.equal(setup.upstreams.a.requests.length, 1, 'one try');
          const ended = await within(setup.upstreams.a.lastRequest().outcome, hangUpLimitMs);
          assert.ok(ended, `the gateway still held the upstream request ${hangUpLimitMs} ms after the timeout`);
          assert.equal(ended.kind, 'aborted', 'the gateway hung up (the upstream had more to send)');

          const span = await setup.callSpan(trace.traceId);
          assert.equal(span.attributes['error.type'], 'timeout');
          assert.equal(span.attributes['lessllm.timeout'], timeout.kind);
          const row = await setup.logRow(trace.traceId);
          assert.equal(row.error_type, 'timeout');
          assert.equal(row.status, timeout.afterStart ? 200 : 504);
        });
      }
    });
  }

  for (const client of clientKinds) {
    it(`${client} client, not streaming: an upstream that never answers gives HTTP 504 (first_byte timeout) in its API`, async () => {
      const model = client === 'openai' ? 'gpt-faults' : 'claude-faults';
      setup.upstreams.a.enqueue({ hold: true });
      const trace = newTrace();
      const call = await readCall(client, await sendChat(setup.gateway, { client, model, stream: false, headers: trace.headers }));
      assert.equal(call.status, 504);
      if (client === 'openai') assert.equal(typeof call.error?.message, 'string', call.text);
      else assert.equal(JSON.parse(call.text).type, 'error', call.text);
      const ended = await within(setup.upstreams.a.lastRequest().outcome, hangUpLimitMs);
      assert.equal(ended?.kind, 'aborted');
      const span = await setup.callSpan(trace.traceId);
      assert.equal(span.attributes['error.type'], 'timeout');
      assert.equal(span.attributes['lessllm.timeout'], 'first_byte');
    });
  }

  it('a connect timeout is retried (nothing reached the client yet): the second try answers', async () => {
    setup.upstreams.a.enqueue({ path: '/v1/chat/completions', hold: true });
    const trace = newTrace();
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'retry-gpt', stream: true, headers: trace.headers }));
    assert.equal(call.status, 200);
    assert.equal(call.ending, 'complete');
    assert.equal(call.outputText, DEFAULT_ANSWER_TEXT.join(''));
    assert.equal(setup.upstreams.a.requests.length, 2);
    assert.equal((await within(setup.upstreams.a.requests[0].outcome, hangUpLimitMs))?.kind, 'aborted', 'the first try was hung up on');

    const span = await setup.callSpan(trace.traceId);
    assert.equal(span.attributes['error.type'], undefined);
    assert.equal(span.attributes['lessllm.attempts'], 2);
    const [event] = attemptEvents(span);
    assert.equal(event?.attributes['error.type'], 'timeout');
  });

  it('an idle timeout is not retried (the client already had text)', async () => {
    setup.upstreams.a.enqueue(answerWith({ model: 'retry-gpt', text: manyWords }, { onlyFirstEvents: 3, then: 'stall' }));
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'retry-gpt', stream: true }));
    assert.equal(call.ending, 'error');
    assert.equal(call.outputText, ' word0 word1');
    assert.equal(setup.upstreams.a.requests.length, 1);
  });
});
