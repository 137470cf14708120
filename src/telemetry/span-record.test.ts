/**
 * lessllm builds its span records itself (call-span.ts) instead of through the SDK's Span objects. The
 * OTLP exporter must not be able to tell: the same span, made once with the SDK and once as a record
 * that crossed to the export thread as JSON, encodes to the same bytes — with the span limits applied.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type SpanContext } from '@opentelemetry/api';
import { TraceState, millisToHrTime } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, type IdGenerator, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import { spanRecord, type SpanContent, type Tracing } from './call-span.ts';
import { defaultSpanLimits, type SpanLimits } from './span-limits.ts';
import { readableSpanOf, type SpanRecord } from './span-record.ts';
import type { MessageEncoding } from '../runtime/worker-thread.ts';

const resource = resourceFromAttributes({ 'service.name': 'lessllm-test' });
const startMs = 1_763_600_000_000;
const remoteParent: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
  isRemote: true,
  traceState: new TraceState('vendor=abc,other=1'),
};
const body = '{"model":"gpt-4.1","messages":[{"role":"user","content":"héllo 👋"}]}';

/** Span ids in a fixed order, so the SDK's spans and lessllm's records have the same ones. */
function fixedIds(): IdGenerator {
  let next = 0;
  return { generateTraceId: () => 'ffffffffffffffffffffffffffffff01', generateSpanId: () => `00000000000000a${next++}` };
}

type Call = { server: SpanContent; client: SpanContent };

function aCall(): Call {
  const event = (name: string, attributes: Attributes, ms: number): TimedEvent => ({ name, attributes, time: millisToHrTime(ms), droppedAttributesCount: 0 });
  return {
    server: {
      name: 'POST /v1/chat/completions',
      kind: SpanKind.SERVER,
      startTime: millisToHrTime(startMs),
      endTime: millisToHrTime(startMs + 501),
      status: { code: SpanStatusCode.UNSET },
      attributes: { 'http.request.method': 'POST', 'url.path': '/v1/chat/completions', 'http.response.status_code': 200 },
      events: [event('lessllm.http', { 'http.request.method': 'POST', 'lessllm.http.request.headers': '{"user-agent":"test"}' }, startMs + 501)],
    },
    client: {
      name: 'chat gpt-4.1',
      kind: SpanKind.CLIENT,
      startTime: millisToHrTime(startMs),
      endTime: millisToHrTime(startMs + 500.25),
      status: { code: SpanStatusCode.ERROR, message: 'upstream said no' },
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4.1',
        // Unset, as the observer leaves attributes a call has no value for: the SDK ignores them.
        'gen_ai.request.max_tokens': undefined,
        'gen_ai.response.finish_reasons': ['stop', 'length-of-a-long-reason'],
        'lessllm.cost.usd': 0.25,
        'gen_ai.request.stream': true,
        'lessllm.client.model': 'a-model-name-longer-than-ten',
      },
      events: [
        event('lessllm.attempt', { 'lessllm.provider': 'first', 'error.type': '503' }, startMs + 100),
        event('lessllm.request', { 'lessllm.body': body }, startMs),
        event('gen_ai.client.inference.operation.details', { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': '[]', 'gen_ai.output.messages': '[]' }, startMs + 500.25),
      ],
    },
  };
}

/** The call made with the SDK's own spans, as lessllm made them before it built records itself. */
function sdkSpans(call: Call, limits: SpanLimits): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource,
    idGenerator: fixedIds(),
    sampler: new AlwaysOnSampler(),
    spanLimits: limits,
    spanProcessors: [{ onStart() {}, onEnd: (span) => ended.push(span), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('lessllm');
  const parent = trace.setSpanContext(ROOT_CONTEXT, remoteParent);
  const server = tracer.startSpan(call.server.name, { kind: call.server.kind, startTime: call.server.startTime }, parent);
  const client = tracer.startSpan(call.client.name, { kind: call.client.kind, startTime: call.client.startTime }, trace.setSpan(parent, server));
  for (const [span, content] of [
    [client, call.client],
    [server, call.server],
  ] as const) {
    span.setAttributes(content.attributes);
    for (const event of content.events) span.addEvent(event.name, event.attributes, event.time);
    span.setStatus(content.status);
    span.end(content.endTime);
  }
  return ended;
}

/**
 * The same call as lessllm's records, after the trip to the export thread: as JSON text, or cloned when
 * they carry long texts (src/runtime/worker-thread.ts); structuredClone is postMessage's algorithm.
 */
function recordedSpans(call: Call, limits: SpanLimits, encoding: MessageEncoding = 'json'): ReadableSpan[] {
  const ids = fixedIds();
  const tracing: Tracing = { sampler: new AlwaysOnSampler(), ids, limits, scopeName: 'lessllm' };
  const context = (): SpanContext => ({ traceId: remoteParent.traceId, spanId: ids.generateSpanId(), traceFlags: 1, traceState: remoteParent.traceState });
  const server = { context: context(), samplerAttributes: undefined };
  const client = { context: context(), samplerAttributes: undefined };
  const records: SpanRecord[] = [spanRecord(tracing, client, server.context, call.client), spanRecord(tracing, server, remoteParent, call.server)];
  const scopes = new Map();
  const received = encoding === 'json' ? (JSON.parse(JSON.stringify(records)) as SpanRecord[]) : structuredClone(records);
  return received.map((record) => readableSpanOf(record, resource, scopes));
}

const protobuf = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!).toString('hex');
const json = (spans: ReadableSpan[]) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));

describe('span records (lessllm’s spans, built without the SDK’s Span objects)', () => {
  it('encode to exactly the bytes of the same spans made with the SDK, sent as JSON or cloned', () => {
    const reference = sdkSpans(aCall(), defaultSpanLimits);
    const cloned = recordedSpans(aCall(), defaultSpanLimits, 'clone');
    assert.equal(json(cloned), json(reference));
    assert.equal(protobuf(cloned), protobuf(reference));
    const recorded = recordedSpans(aCall(), defaultSpanLimits);
    assert.equal(json(recorded), json(reference));
    assert.equal(protobuf(recorded), protobuf(reference));
    // And the parts the comparison relies on are really there.
    const text = json(recorded);
    for (const expected of ['vendor=abc,other=1', 'upstream said no', 'héllo 👋', 'b7ad6b7169203331', 'length-of-a-long-reason']) assert.ok(text.includes(expected), expected);
  });

  it('apply the span limits as the SDK does: strings cut, attributes beyond the count dropped, the newest events kept', () => {
    const limits: SpanLimits = { attributeValueLengthLimit: 10, attributeCountLimit: 4, eventCountLimit: 2, attributePerEventCountLimit: 1 };
    const recorded = recordedSpans(aCall(), limits);
    assert.equal(json(recorded), json(sdkSpans(aCall(), limits)));
    assert.equal(protobuf(recorded), protobuf(sdkSpans(aCall(), limits)));
    assert.equal(protobuf(recordedSpans(aCall(), limits, 'clone')), protobuf(sdkSpans(aCall(), limits)));
    const client = recorded[0];
    assert.deepEqual(client.attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.response.finish_reasons': ['stop', 'length-of-'],
      'lessllm.cost.usd': 0.25,
    });
    assert.equal(client.droppedAttributesCount, 2);
    assert.deepEqual(
      client.events.map((event) => [event.name, event.attributes, event.droppedAttributesCount]),
      [
        ['lessllm.request', { 'lessllm.body': '{"model":"' }, 0],
        ['gen_ai.client.inference.operation.details', { 'gen_ai.operation.name': 'chat' }, 2],
      ],
    );
    assert.equal(client.droppedEventsCount, 1);
  });

  it('share one scope object per name, so the exporter groups them as the SDK does', () => {
    const [first, second] = recordedSpans(aCall(), defaultSpanLimits);
    assert.equal(first.instrumentationScope, second.instrumentationScope);
    assert.equal(first.instrumentationScope.name, 'lessllm');
  });
});
