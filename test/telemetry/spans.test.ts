/**
 * The spans lessllm exports, as a real OTLP/HTTP receiver gets them: names, kinds, parentage (the
 * client's traceparent honoured, the CLIENT span's sent upstream), GenAI attributes, errors and
 * cancellations, usage counted when the upstream sent none, and the SDK settings from OTEL_* variables.
 * The events (bodies, conversation, HTTP details) are in span-events.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/core/gateway-error.ts';
import { estimateContentTokens, estimateRequestTokens } from '../../src/core/token-count.ts';
import { createTelemetry, telemetryOptionsFromConfig } from '../../src/telemetry/index.ts';
import { callEnd, callStart, play, protocols, upstreamEvents } from './support/calls.ts';
import { SPAN_KIND_CLIENT, SPAN_KIND_SERVER, STATUS_ERROR } from './support/otlp-receiver.ts';
import { assertClose, eventNamed, jsonOf, openAiStreamBody, useSpanExport } from './support/span-export.ts';

const spanExport = useSpanExport();
const { startTelemetry, exported } = spanExport;

describe('the spans of a call', () => {
  it('are a SERVER span for the request and a `chat {model}` CLIENT span under it, inside the client’s trace', async () => {
    const telemetry = await startTelemetry();
    const clientTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientParentId = '00f067aa0ba902b7';
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody, traceparent: `00-${clientTraceId}-${clientParentId}-01`, startedMsAgo: 300 });
    const trace = telemetry.observer.startCall(start);
    const upstreamTraceparent = trace.upstreamHeaders().traceparent;
    play(trace, start, upstreamEvents('openai-chat', { model: 'gpt-4.1-2025-04-14', text: ['Hi', '!'] }), { ttftMs: 120, stepMs: 30 });

    const [{ server, client }] = await exported(telemetry);
    assert.equal(server.name, 'POST /v1/chat/completions');
    assert.equal(server.kind, SPAN_KIND_SERVER);
    assert.equal(server.traceId, clientTraceId);
    assert.equal(server.parentSpanId, clientParentId, 'the client’s traceparent is the parent');
    assert.equal(client.name, 'chat gpt-4.1');
    assert.equal(client.kind, SPAN_KIND_CLIENT);
    assert.equal(client.traceId, clientTraceId);
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(upstreamTraceparent, `00-${clientTraceId}-${client.spanId}-01`, 'the upstream is told the CLIENT span is its parent');
    // Both spans cover the call as measured: 120 ms to the first token, 30 ms for the second.
    assertClose(Number(client.endNs - server.startNs) / 1e6, 150);
    assert.equal(server.endNs, client.endNs);
    assert.equal(server.resource['service.name'], 'lessllm');
  });

  it('starts a new trace when the client sends none, and ignores a malformed traceparent', async () => {
    const telemetry = await startTelemetry();
    for (const traceparent of [undefined, 'not-a-traceparent']) {
      const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody, traceparent });
      play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['Hi'] }), { ttftMs: 1, stepMs: 1 });
    }
    const calls = await exported(telemetry, 2);
    for (const { server } of calls) assert.equal(server.parentSpanId, undefined);
    assert.notEqual(calls[0].server.traceId, calls[1].server.traceId);
  });

  it('carry the GenAI attributes of the call and lessllm’s own', async () => {
    const telemetry = await startTelemetry();
    const start = callStart({
      protocol: 'openai-chat',
      body: openAiStreamBody,
      upstreamUrl: 'https://api.openai.com/v1',
      providerName: 'openai-main',
      startedMsAgo: 1000,
    });
    const trace = telemetry.observer.startCall(start);
    const events = upstreamEvents('openai-chat', {
      model: 'gpt-4.1-2025-04-14',
      id: 'chatcmpl-abc123',
      text: ['Hello', ' there', ',', ' friend', '.'],
      usage: { input: 1000, output: 5, cacheRead: 800 },
    });
    play(trace, start, events, { ttftMs: 250, stepMs: 25, tailMs: 5 }, { responseBytes: 2048, chunkCount: 8, overheadMs: 0.25 });

    const [{ client, server }] = await exported(telemetry);
    const ttft = 0.25;
    const duration = 0.25 + 4 * 0.025 + 0.005;
    const expected: Record<string, unknown> = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.request.stream': true,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.response.model': 'gpt-4.1-2025-04-14',
      'gen_ai.response.id': 'chatcmpl-abc123',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1800,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 800,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'server.address': 'api.openai.com',
      'server.port': 443,
      'lessllm.client.protocol': 'openai-chat',
      'lessllm.upstream.protocol': 'openai-chat',
      'lessllm.route': 'passthrough',
      'lessllm.provider': 'openai-main',
      'lessllm.client.model': 'gpt-4.1',
      'lessllm.chunk_count': 8,
      'lessllm.response.bytes': 2048,
      'lessllm.usage.estimated': false,
      'lessllm.cost.known': true,
    };
    for (const [name, value] of Object.entries(expected)) assert.deepEqual(client.attributes[name], value, name);
    assertClose(client.attributes['gen_ai.response.time_to_first_chunk'], ttft);
    assertClose(client.attributes['lessllm.ttft'], ttft);
    assertClose(client.attributes['lessllm.tpot'], (duration - ttft) / 4);
    assertClose(client.attributes['lessllm.tokens_per_second'], 5 / (duration - ttft));
    assertClose(client.attributes['lessllm.overhead'], 0.00025);
    // gpt-4.1: $2 per million fresh input, $0.50 cached, $8 output.
    assertClose(client.attributes['lessllm.cost.usd'], (1000 * 2 + 800 * 0.5 + 5 * 8) / 1e6);
    assert.equal(client.attributes['error.type'], undefined);
    assert.equal(client.status.code, 0);

    assert.equal(server.attributes['http.request.method'], 'POST');
    assert.equal(server.attributes['url.path'], '/v1/chat/completions');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(server.attributes['http.response.body.size'], 2048);
    assert.equal(server.attributes['client.address'], '127.0.0.1');
    assert.equal(server.attributes['user_agent.original'], 'telemetry-test/1.0');
  });
});

describe('the spans of a call that fails', () => {
  it('an upstream error before the stream: the CLIENT span fails with the error type; a 4xx leaves the SERVER span unset', async () => {
    const telemetry = await startTelemetry();
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
    const trace = telemetry.observer.startCall(start);
    const error = new GatewayError('rate_limit', 'Rate limit reached', { status: 429, retryAfter: '1' });
    const body = JSON.stringify(protocols['openai-chat'].encodeError(error).body);
    trace.end(callEnd(start.startMonotonicMs + 40, { status: 429, error, responseBody: body, chunkCount: 0 }));

    const [{ client, server }] = await exported(telemetry);
    assert.equal(client.status.code, STATUS_ERROR);
    assert.equal(client.status.message, 'Rate limit reached');
    assert.equal(client.attributes['error.type'], 'rate_limit');
    assert.equal(client.attributes['gen_ai.usage.input_tokens'], undefined, 'no tokens were used');
    assert.equal(eventNamed(client, 'lessllm.response')!.attributes['lessllm.body'], body);
    assert.equal(server.attributes['http.response.status_code'], 429);
    assert.equal(server.attributes['error.type'], '429');
    assert.notEqual(server.status.code, STATUS_ERROR, 'HTTP conventions: a 4xx is not the server’s failure');
  });

  it('an error in the middle of the stream: both spans fail, and the partial output is kept', async () => {
    const telemetry = await startTelemetry();
    const body = { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Tell a story' }] };
    const start = callStart({ protocol: 'anthropic-messages', body, upstreamUrl: 'https://api.anthropic.com' });
    const trace = telemetry.observer.startCall(start);
    const events = upstreamEvents('anthropic-messages', {
      model: 'claude-sonnet-4-5-20250929',
      text: ['Once', ' upon'],
      inBandError: { type: 'overloaded_error', message: 'Overloaded' },
      usage: { input: 20, output: 1 },
    });
    const error = events.find((event) => event.type === 'error')!;
    play(trace, start, events, { ttftMs: 10, stepMs: 10 }, { status: 200, error: error.type === 'error' ? error.error : undefined });

    const [{ client, server }] = await exported(telemetry);
    assert.equal(client.status.code, STATUS_ERROR);
    assert.equal(client.attributes['error.type'], 'overloaded');
    assert.equal(server.status.code, STATUS_ERROR, 'a 200 that broke off is a failure of the server');
    const output = jsonOf(eventNamed(client, 'gen_ai.client.inference.operation.details')!.attributes['gen_ai.output.messages']);
    assert.deepEqual(output, [{ role: 'assistant', parts: [{ type: 'text', content: 'Once upon' }], finish_reason: 'error' }]);
    // Anthropic reported the input tokens at the start; the output was counted from what arrived.
    assert.equal(client.attributes['gen_ai.usage.input_tokens'], 20);
    assert.equal(client.attributes['gen_ai.usage.output_tokens'], 2);
    assert.equal(client.attributes['lessllm.usage.estimated'], true);
  });

  it('a client that disconnects: error.type=cancelled, the partial answer and the usage known so far', async () => {
    const telemetry = await startTelemetry();
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
    const trace = telemetry.observer.startCall(start);
    const events = upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['One', ' two', ' three', ' four'] });
    const cutOff = events.slice(0, 3); // message-start and two text deltas
    play(trace, start, cutOff, { ttftMs: 30, stepMs: 10 }, { cancelled: true, status: 200 });

    const [{ client, server }] = await exported(telemetry);
    assert.equal(client.attributes['error.type'], 'cancelled');
    assert.equal(client.status.code, STATUS_ERROR);
    assert.equal(server.attributes['error.type'], 'cancelled');
    assert.equal(server.status.code, STATUS_ERROR);
    assert.equal(jsonOf(eventNamed(client, 'lessllm.response')!.attributes['lessllm.body']).choices[0].message.content, 'One two');
    assert.equal(client.attributes['gen_ai.usage.output_tokens'], estimateContentTokens([{ type: 'text', text: 'One two' }]));
    assert.equal(client.attributes['lessllm.usage.estimated'], true);
  });

  it('ends each span exactly once, whatever the gateway reports after the end', async () => {
    const telemetry = await startTelemetry();
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
    const trace = telemetry.observer.startCall(start);
    const events = upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['a', 'b'] });
    play(trace, start, events, { ttftMs: 1, stepMs: 1 });
    trace.onEvent({ type: 'text-delta', text: 'late' }, performance.now());
    trace.end(callEnd(performance.now(), { status: 500, cancelled: true }));
    const [{ client }] = await exported(telemetry);
    assert.equal(client.attributes['error.type'], undefined, 'the first end wins');
  });
});

describe('usage an upstream did not report', () => {
  it('is counted with the tokenizer and marked lessllm.usage.estimated', async () => {
    const telemetry = await startTelemetry();
    const body = { ...openAiStreamBody, stream_options: undefined };
    const start = callStart({ protocol: 'openai-chat', body });
    const trace = telemetry.observer.startCall(start);
    const events = upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['The', ' answer', ' is', ' 42.'] }, { withUsage: false });
    assert.ok(!events.some((event) => event.type === 'usage'));
    play(trace, start, events, { ttftMs: 20, stepMs: 10 });

    const [{ client }] = await exported(telemetry);
    assert.equal(client.attributes['lessllm.usage.estimated'], true);
    assert.equal(client.attributes['gen_ai.usage.input_tokens'], estimateRequestTokens(protocols['openai-chat'].decodeRequest(body)));
    assert.equal(client.attributes['gen_ai.usage.output_tokens'], estimateContentTokens([{ type: 'text', text: 'The answer is 42.' }]));
    assert.ok((client.attributes['gen_ai.usage.output_tokens'] as number) >= 4);
  });
});

describe('the SDK settings', () => {
  it('names the service from OTEL_SERVICE_NAME and adds OTEL_RESOURCE_ATTRIBUTES', async () => {
    const telemetry = await startTelemetry({ OTEL_SERVICE_NAME: 'gateway-eu', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging,team=ml' });
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
    play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    const [{ client }] = await exported(telemetry);
    assert.equal(client.resource['service.name'], 'gateway-eu');
    assert.equal(client.resource['deployment.environment'], 'staging');
    assert.equal(client.resource['team'], 'ml');
  });

  it('samples as OTEL_TRACES_SAMPLER says, still propagating the trace upstream', async () => {
    const telemetry = await startTelemetry({ OTEL_TRACES_SAMPLER: 'always_off' });
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
    const trace = telemetry.observer.startCall(start);
    const traceparent = trace.upstreamHeaders().traceparent;
    assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, 'flags say: not sampled');
    play(trace, start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    await telemetry.shutdown();
    assert.equal(spanExport.receiver.spans.length, 0);
  });

  it('follows a sampled parent under the default parent-based sampler', async () => {
    const telemetry = await startTelemetry({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    await exported(telemetry);
  });

  it('applies the span limits of OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT and OTEL_SPAN_EVENT_COUNT_LIMIT', async () => {
    const telemetry = await startTelemetry({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '8', OTEL_SPAN_EVENT_COUNT_LIMIT: '1' });
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
    play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    const [{ client }] = await exported(telemetry);
    assert.equal(client.attributes['lessllm.client.protocol'], 'openai-c');
    assert.deepEqual(
      client.events.map((event) => event.name),
      ['gen_ai.client.inference.operation.details'],
      'the newest event is kept',
    );
    assert.equal(client.events[0].attributes['gen_ai.input.messages'], '[{"role"');
  });

  it('exports OTLP as protobuf unless told otherwise', async () => {
    const options = telemetryOptionsFromConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: spanExport.receiver.url, OTEL_METRICS_EXPORTER: 'none' });
    const telemetry = await createTelemetry(options);
    const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
    play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    await telemetry.shutdown();
    assert.deepEqual(spanExport.receiver.requests, [{ path: '/v1/traces', contentType: 'application/x-protobuf', contentEncoding: '', status: 200 }]);
  });
});
