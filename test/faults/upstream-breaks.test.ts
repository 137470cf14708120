/**
 * An upstream that breaks: drops the connection before answering, resets or truncates a stream, sends
 * garbage or a malformed JSON chunk. On all four routes (each client API, passthrough and converted):
 *   - before any byte reached the client the gateway retries, and when every try fails the client gets
 *     an HTTP error in its own API's shape;
 *   - after the first byte there is no retry (the upstream sees exactly one request) and the stream ends
 *     with an in-band error event: never a stream that looks complete;
 *   - the span and the log row say what happened (error.type, attempts, the partial output).
 * Cut-off streams as the SDKs see them (clean close and reset) are in test/e2e/upstream-errors.test.ts;
 * here the SDKs are used for the kinds of garbage that suite does not cover.
 */
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { parseSseText } from '../support/stream-checks.ts';
import { routesForAnthropicClient, routesForOpenAiClient, upstreamPath, type Route } from '../support/routes.ts';
import { answerWith } from '../support/test-upstream.ts';
import { DEFAULT_ANSWER_TEXT } from '../support/upstream-answers.ts';
import { attemptEvents, newTrace, upstreamProviders, useObservedGateway } from './support/observed-gateway.ts';
import { judgeStream, readCall, sendChat, type ClientKind, type ReadCall } from './support/raw-calls.ts';
import { streamWithSdk } from './support/sdk-calls.ts';

const attempts = 2;
const longText = ['Partial', ' answer', ' that', ' never', ' finishes', '.'];
/** Events that carry the first two text pieces: role + 2 chunks (OpenAI), start, block start, ping + 2 deltas (Anthropic). */
const eventsWithTwoPieces = (route: Route) => (route.upstream === 'anthropic' ? 5 : 3);

/** Bytes that are not SSE a client could use: binary noise, a line with no field, an unterminated line. */
const garbage = '\u0000\u00ff\u00fe garbage \u007f\n\n{{{ not an event }}}\n\n<html>oops</html>\r\n\r\n\u0001';

/** A chunk whose JSON is cut in the middle, followed by what would otherwise look like a normal finish. */
function malformedThenNormalEnd(route: Route): string {
  if (route.upstream === 'openai') {
    return 'data: {"id":"chatcmpl-test0001","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"bro\n\n' + 'data: [DONE]\n\n';
  }
  const event = (type: string, data: string) => `event: ${type}\ndata: ${data}\n\n`;
  return (
    event('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bro') +
    event('content_block_stop', '{"type":"content_block_stop","index":0}') +
    event('message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}') +
    event('message_stop', '{"type":"message_stop"}')
  );
}

const allRoutes: Array<{ client: ClientKind; route: Route }> = [
  ...routesForOpenAiClient.map((route) => ({ client: 'openai' as const, route })),
  ...routesForAnthropicClient.map((route) => ({ client: 'anthropic' as const, route })),
];

describe('an upstream that breaks', () => {
  const setup = useObservedGateway((upstreams) => ({
    providers: upstreamProviders(upstreams),
    retry: { attempts, backoff_ms: 10, max_backoff_ms: 20 },
    routes: [
      { match: 'gpt-*', provider: 'openai-a' },
      { match: 'claude-*', provider: 'anthropic-a' },
    ],
  }));
  const upstream = () => setup.upstreams.a;
  for (const { client, route } of allRoutes) {
    describe(`${route.label}`, () => {
      it('drops the connection before answering, every try: the client gets a 502 in its API, after every try', async () => {
        // One request per try on every runtime: no client re-sends a dropped request behind the gateway's back
        // (Deno's fetch did, once; lessllm on Deno no longer uses it).
        for (let index = 0; index < attempts; index++) upstream().enqueue({ path: upstreamPath(route), drop: true });
        const trace = newTrace();
        const call = await readCall(client, await sendChat(setup.gateway, { client, model: route.model, stream: true, headers: trace.headers }));
        assert.equal(call.status, 502);
        assert.match(call.headers.get('content-type') ?? '', /application\/json/, 'an HTTP error, not an event stream');
        assertErrorShape(client, call.text);
        assert.equal(upstream().requests.length, attempts, 'each try reached the upstream');

        const span = await setup.callSpan(trace.traceId);
        assert.equal(span.attributes['error.type'], 'bad_gateway');
        assert.equal(span.attributes['lessllm.attempts'], attempts);
        assert.equal(attemptEvents(span).length, attempts - 1, 'one lessllm.attempt event per try that was retried');
        const row = await setup.logRow(trace.traceId);
        assert.equal(row.error_type, 'bad_gateway');
        assert.equal(row.attempts, attempts);
        assert.equal(row.status, 502);
      });

      it('drops the connection once, then answers: the client gets the whole answer, telemetry shows the retry', async () => {
        upstream().enqueue({ path: upstreamPath(route), drop: true });
        const trace = newTrace();
        const call = await readCall(client, await sendChat(setup.gateway, { client, model: route.model, stream: true, headers: trace.headers }));
        assert.equal(call.status, 200);
        assert.equal(call.ending, 'complete');
        assert.equal(call.outputText, DEFAULT_ANSWER_TEXT.join(''));
        assert.equal(upstream().requests.length, 2, 'the dropped try and the one that was answered');

        const span = await setup.callSpan(trace.traceId);
        assert.equal(span.attributes['error.type'], undefined);
        assert.equal(span.attributes['lessllm.attempts'], 2);
        assert.equal(span.attributes['lessllm.provider'], route.upstream === 'openai' ? 'openai-a' : 'anthropic-a');
        const [event] = attemptEvents(span);
        assert.ok(event, 'the failed try is a lessllm.attempt event');
        assert.equal(event.attributes['error.type'], 'bad_gateway');
        assert.equal(event.attributes['http.response.status_code'], undefined, 'the upstream never answered');
        assert.equal(typeof event.attributes['lessllm.retry.delay_ms'], 'number');
        assert.equal((await setup.logRow(trace.traceId)).attempts, 2);
      });

      it('sends stream headers, then resets before any body byte: retried (nothing reached the client yet)', async () => {
        upstream().enqueue({ path: upstreamPath(route), status: 200, headers: { 'content-type': 'text/event-stream' }, body: '', then: 'reset' });
        const call = await readCall(client, await sendChat(setup.gateway, { client, model: route.model, stream: true }));
        assert.equal(call.status, 200);
        assert.equal(call.ending, 'complete');
        assert.equal(call.outputText, DEFAULT_ANSWER_TEXT.join(''));
        assert.equal(upstream().requests.length, 2);
      });

      it('resets mid-stream: an in-band error after the text so far, no retry, the log row keeps the partial output', async () => {
        // The upstream stalls after two pieces and is reset only once the client has them: a reset that
        // overtook the text on the wire would make this a failure before the first byte, a different case.
        upstream().enqueue(answerWith({ model: route.model, text: longText }, { onlyFirstEvents: eventsWithTwoPieces(route), then: 'stall' }));
        const trace = newTrace();
        const response = await sendChat(setup.gateway, { client, model: route.model, stream: true, headers: trace.headers });
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let received = '';
        while (judgeStream(client, received).outputText !== 'Partial answer') {
          const { value, done } = await reader.read();
          assert.ok(!done, `the stream ended before the text arrived: ${received}`);
          received += decoder.decode(value, { stream: true });
        }
        upstream().lastRequest().reset();
        for (let read = await reader.read(); !read.done; read = await reader.read()) received += decoder.decode(read.value, { stream: true });
        const call = { status: response.status, headers: response.headers, text: received, readFailure: undefined, ...judgeStream(client, received) };
        assertInBandFailure(call, 'Partial answer');
        assert.equal(upstream().requests.length, 1, 'never retried once bytes reached the client');

        const span = await setup.callSpan(trace.traceId);
        assert.ok(span.attributes['error.type'], 'the span records an error');
        assert.notEqual(span.attributes['error.type'], 'cancelled');
        assert.equal(span.attributes['lessllm.attempts'], 1);
        const row = await setup.logRow(trace.traceId);
        assert.equal(row.error_type, span.attributes['error.type']);
        assert.ok(String(row.response_body).includes('Partial answer'), `the partial output is logged: ${row.response_body}`);
      });

      it('truncates the stream in the middle of an event and closes cleanly: an in-band error, no retry', async () => {
        const cut = route.upstream === 'openai' ? 'data: {"id":"chatcmpl-test0001","choi' : 'event: content_block_delta\ndata: {"type":"content_bl';
        upstream().enqueue(answerWith({ model: route.model, text: longText }, { onlyFirstEvents: eventsWithTwoPieces(route), append: cut, delayMs: 10 }));
        const trace = newTrace();
        const call = await readCall(client, await sendChat(setup.gateway, { client, model: route.model, stream: true, headers: trace.headers }));
        assertInBandFailure(call, 'Partial answer');
        assert.equal(upstream().requests.length, 1);
        assert.ok((await setup.callSpan(trace.traceId)).attributes['error.type']);
        assert.ok((await setup.logRow(trace.traceId)).error_type);
      });

      it('sends garbage after some text: an in-band error, never a finished answer', async () => {
        upstream().enqueue(answerWith({ model: route.model, text: longText }, { onlyFirstEvents: eventsWithTwoPieces(route), append: garbage, delayMs: 10 }));
        const call = await readCall(client, await sendChat(setup.gateway, { client, model: route.model, stream: true }));
        assertInBandFailure(call, 'Partial answer');
        assert.equal(upstream().requests.length, 1);
      });

      it('sends a malformed JSON chunk followed by a normal finish: the client never sees the finish', async () => {
        upstream().enqueue(
          answerWith({ model: route.model, text: longText }, { onlyFirstEvents: eventsWithTwoPieces(route), append: malformedThenNormalEnd(route), delayMs: 10 }),
        );
        const trace = newTrace();
        const call = await readCall(client, await sendChat(setup.gateway, { client, model: route.model, stream: true, headers: trace.headers }));
        assertInBandFailure(call, 'Partial answer');
        assert.equal(upstream().requests.length, 1);
        assert.ok((await setup.callSpan(trace.traceId)).attributes['error.type'], 'the span records the malformed chunk as an error');
      });

      const sdkName = client === 'openai' ? 'OpenAI' : 'Anthropic';
      const sdkCases = [
        { label: 'garbage', append: () => garbage },
        { label: 'a malformed JSON chunk', append: () => malformedThenNormalEnd(route) },
      ];
      for (const { label, append } of sdkCases) {
        it(`the ${sdkName} SDK raises its API error on ${label}, after the text so far`, async () => {
          upstream().enqueue(answerWith({ model: route.model, text: longText }, { onlyFirstEvents: eventsWithTwoPieces(route), append: append(), delayMs: 10 }));
          const outcome = await streamWithSdk(setup.gateway, client, route.model);
          const errorClass = client === 'openai' ? OpenAI.APIError : Anthropic.APIError;
          assert.ok(outcome.error instanceof errorClass, `an API error in the SDK's own terms, not ${String(outcome.error)}`);
          assert.equal(outcome.text, 'Partial answer');
          assert.equal(outcome.finished, false);
        });
      }

      it(`answers 200 with an HTML page instead of a stream: the ${client === 'openai' ? 'OpenAI' : 'Anthropic'} SDK raises, never a silent empty answer`, async () => {
        for (let index = 0; index < attempts; index++) {
          upstream().enqueue({ path: upstreamPath(route), status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad gateway</body></html>' });
        }
        const outcome = await streamWithSdk(setup.gateway, client, route.model);
        const errorClass = client === 'openai' ? OpenAI.APIError : Anthropic.APIError;
        assert.ok(outcome.error instanceof errorClass, `an API error in the SDK's own terms, not ${String(outcome.error)} (text ${JSON.stringify(outcome.text)})`);
        assert.equal(outcome.finished, false);
      });
    });
  }

  describe('an HTTP error before the stream and an in-band error after it, as telemetry records them', () => {
    it('HTTP 400 before the stream: not retried; span and log row carry the status and error.type', async () => {
      upstream().enqueue({ path: '/v1/chat/completions', status: 400, json: { error: { message: 'bad field', type: 'invalid_request_error', param: null, code: null } } });
      const trace = newTrace();
      const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'gpt-faults', stream: true, headers: trace.headers }));
      assert.equal(call.status, 400);
      assert.equal(call.error?.message, 'bad field');
      assert.equal(upstream().requests.length, 1);
      const span = await setup.callSpan(trace.traceId);
      assert.equal(span.attributes['error.type'], 'invalid_request');
      assert.equal(span.attributes['lessllm.attempts'], 1);
      const row = await setup.logRow(trace.traceId);
      assert.equal(row.status, 400);
      assert.equal(row.error_type, 'invalid_request');
    });

    it('an in-band overload after some text: status 200 was already sent; span and log row say overloaded', async () => {
      upstream().enqueue(answerWith({ model: 'claude-faults', text: ['Partial', ' answer'], inBandError: { type: 'overloaded_error', message: 'Overloaded' } }));
      const trace = newTrace();
      const call = await readCall('anthropic', await sendChat(setup.gateway, { client: 'anthropic', model: 'claude-faults', stream: true, headers: trace.headers }));
      assertInBandFailure(call, 'Partial answer');
      assert.equal(call.error?.type, 'overloaded_error');
      const span = await setup.callSpan(trace.traceId);
      assert.equal(span.attributes['error.type'], 'overloaded');
      const row = await setup.logRow(trace.traceId);
      assert.equal(row.status, 200);
      assert.equal(row.error_type, 'overloaded');
    });
  });
});

function assertInBandFailure(call: ReadCall, textSoFar: string): void {
  assert.equal(call.status, 200, 'the stream had started');
  assert.equal(call.readFailure, undefined, `the gateway ended the stream itself rather than cutting the connection: ${String(call.readFailure)}`);
  assert.equal(call.ending, 'error', `the stream must end with an in-band error event:\n${call.text}`);
  assert.equal(call.sawFinish, false, 'no finish reason was sent');
  assert.equal(call.outputText, textSoFar, 'the text sent before the fault reached the client');
  assert.equal(typeof call.error?.message, 'string');
  for (const record of parseSseText(call.text)) {
    if (record.data === '[DONE]') continue;
    assert.doesNotThrow(() => JSON.parse(record.data), `the client got an event its SDK cannot parse: ${record.data}`);
  }
}

function assertErrorShape(client: ClientKind, text: string): void {
  const body = JSON.parse(text);
  if (client === 'openai') {
    assert.equal(typeof body.error?.message, 'string', text);
    assert.equal(typeof body.error?.type, 'string', text);
  } else {
    assert.equal(body.type, 'error', text);
    assert.equal(typeof body.error?.type, 'string', text);
    assert.equal(typeof body.error?.message, 'string', text);
  }
}
