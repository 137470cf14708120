import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { readableSpanOf, spanRecordOf, type SpanRecord } from './span-record.ts';

/** Spans of a real SDK, with everything the exporter can write: remote parent with trace state, link, events, error status. */
function endedSpans(): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const resource = resourceFromAttributes({ 'service.name': 'lessllm-test' });
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [{ onStart() {}, onEnd: (span) => ended.push(span), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('lessllm', '1.2.3');
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState('vendor=abc,other=1'),
  });
  const server = tracer.startSpan('POST /v1/chat/completions', { kind: SpanKind.SERVER, startTime: 1_763_600_000_000 }, remoteParent);
  const client = tracer.startSpan(
    'chat gpt-4.1',
    {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.request.model': 'gpt-4.1', 'gen_ai.response.finish_reasons': ['stop'], 'lessllm.cost.usd': 0.25, 'lessllm.stream': true },
      links: [{ context: { traceId: '1af7651916cd43dd8448eb211c80319c', spanId: 'c7ad6b7169203331', traceFlags: 1, traceState: new TraceState('k=v') }, attributes: { why: 'retry' } }],
    },
    trace.setSpan(remoteParent, server),
  );
  client.addEvent('lessllm.request', { 'lessllm.body': '{"model":"gpt-4.1","messages":[{"role":"user","content":"héllo 👋"}]}' }, 1_763_600_000_010);
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream said no' });
  client.end(1_763_600_000_500);
  server.end(1_763_600_000_501);
  return ended;
}

/** What crosses to the thread: JSON text (src/runtime/worker-thread.ts). */
function acrossThreads(records: SpanRecord[]): SpanRecord[] {
  return JSON.parse(JSON.stringify(records));
}

describe('span records (spans crossing to the export thread)', () => {
  it('survive the trip: the OTLP exporter writes exactly the same bytes for them as for the original spans', () => {
    const spans = endedSpans();
    const records = acrossThreads(spans.map(spanRecordOf));
    const resource = spans[0].resource;
    const scopes = new Map();
    const rebuilt = records.map((record) => readableSpanOf(record, resource, scopes));
    const protobuf = (input: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(input)!).toString('hex');
    const json = (input: ReadableSpan[]) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(input));
    assert.equal(protobuf(rebuilt), protobuf(spans));
    assert.equal(json(rebuilt), json(spans));
    // And the parts the comparison relies on are really there.
    const text = json(rebuilt);
    for (const expected of ['vendor=abc,other=1', 'k=v', 'upstream said no', 'héllo 👋', 'b7ad6b7169203331', '"why"']) assert.ok(text.includes(expected), expected);
  });

  it('keeps one scope object per name and version, so the exporter groups the spans as the SDK does', () => {
    const spans = endedSpans();
    const scopes = new Map();
    const [first, second] = acrossThreads(spans.map(spanRecordOf)).map((record) => readableSpanOf(record, spans[0].resource, scopes));
    assert.equal(first.instrumentationScope, second.instrumentationScope);
    assert.equal(first.instrumentationScope.name, 'lessllm');
    assert.equal(first.instrumentationScope.version, '1.2.3');
  });
});
