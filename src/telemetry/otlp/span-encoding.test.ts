/**
 * lessllm builds its spans as records (call-span.ts) and encodes them for OTLP itself (span-protobuf.ts,
 * span-json.ts) instead of through the SDK's Span objects and exporters. A collector must not be able to
 * tell: the same spans, made once with the SDK and encoded by its serializers, and once as lessllm's
 * records, encode to exactly the same bytes — with the span limits applied, and for every kind of
 * attribute value and every length of text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type SpanContext } from '@opentelemetry/api';
import { TraceState, millisToHrTime } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, type IdGenerator, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import { spanRecord, type SpanContent, type Tracing } from '../call-span.ts';
import { defaultSpanLimits, type SpanLimits } from '../span-limits.ts';
import type { SpanRecord } from '../span-record.ts';
import type { OtlpProtocol } from '../options.ts';
import { spanBatchFactory } from './span-batch.ts';

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
  return { generateTraceId: () => 'ffffffffffffffffffffffffffffff01', generateSpanId: () => (0xa0 + next++).toString(16).padStart(16, '0') };
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

/** The calls made with the SDK's own spans, as lessllm made them before it built records itself. */
function sdkSpans(calls: Call[], limits: SpanLimits, spanResource: Resource = resource): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource: spanResource,
    idGenerator: fixedIds(),
    sampler: new AlwaysOnSampler(),
    spanLimits: limits,
    spanProcessors: [{ onStart() {}, onEnd: (span) => ended.push(span), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('lessllm');
  const parent = trace.setSpanContext(ROOT_CONTEXT, remoteParent);
  for (const call of calls) {
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
  }
  return ended;
}

/** The same calls as lessllm's records. */
function recordsOf(calls: Call[], limits: SpanLimits): SpanRecord[] {
  const ids = fixedIds();
  const tracing: Tracing = { sampler: new AlwaysOnSampler(), ids, limits };
  const context = (): SpanContext => ({ traceId: remoteParent.traceId, spanId: ids.generateSpanId(), traceFlags: 1, traceState: remoteParent.traceState });
  return calls.flatMap((call) => {
    const server = { context: context(), samplerAttributes: undefined };
    const client = { context: context(), samplerAttributes: undefined };
    return [spanRecord(tracing, client, server.context, call.client), spanRecord(tracing, server, remoteParent, call.server)];
  });
}
/** lessllm's export request for the records, in one batch. */
function encoded(records: SpanRecord[], protocol: OtlpProtocol, spanResource: Resource = resource): Uint8Array {
  const batch = spanBatchFactory(protocol, { attributes: spanResource.attributes, schemaUrl: spanResource.schemaUrl }, { name: 'lessllm' })();
  for (const record of records) batch.add(record);
  return batch.request();
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sdkProtobuf = (spans: ReadableSpan[]) => hex(ProtobufTraceSerializer.serializeRequest(spans)!);
const sdkJson = (spans: ReadableSpan[]) => text(JsonTraceSerializer.serializeRequest(spans)!);

/** Asserts that lessllm's records of the calls encode as the SDK encodes its own spans of them, in both protocols. */
function assertSameAsSdk(calls: Call[], limits: SpanLimits = defaultSpanLimits, spanResource: Resource = resource): void {
  const reference = sdkSpans(calls, limits, spanResource);
  const records = recordsOf(calls, limits);
  assert.equal(text(encoded(records, 'http/json', spanResource)), sdkJson(reference));
  assert.equal(hex(encoded(records, 'http/protobuf', spanResource)), sdkProtobuf(reference));
}

/** Attribute values at every boundary the encoders have: varint sizes, int64's range, string lengths and their UTF-8. */
function edgeValues(): Attributes {
  const attributes: Attributes = {};
  const numbers = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 60, 2 ** 63, -1, -128, -(2 ** 31), -(2 ** 53), -(2 ** 63)];
  numbers.forEach((value, index) => (attributes[`int.${index}`] = value));
  [0.1, -2.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].forEach((value, index) => (attributes[`double.${index}`] = value));
  attributes['bool.true'] = true;
  attributes['bool.false'] = false;
  const strings = [
    '',
    'a',
    'é'.repeat(42),
    'é'.repeat(43),
    'é'.repeat(64),
    '€'.repeat(42),
    '€'.repeat(43),
    'x'.repeat(127),
    'x'.repeat(128),
    'x'.repeat(16_383),
    'x'.repeat(16_384),
    `${'👋 ünïcødé '.repeat(7_000)}`,
    'lone \ud800 surrogate',
    'ends with a lone \udc00',
    '\ud83d',
    'ascii, then é'.padStart(42, '.'),
  ];
  strings.forEach((value, index) => (attributes[`string.${index}`] = value));
  attributes['array.strings'] = ['a', 'é'.repeat(50), ''];
  attributes['array.numbers'] = [1, 2.5, -3, 2 ** 40];
  attributes['array.bools'] = [true, false];
  attributes['array.empty'] = [];
  attributes['array.with null'] = ['a', null, 'b'];
  return attributes;
}

function callWith(clientAttributes: Attributes, eventAttributes: Attributes = {}): Call {
  const call = aCall();
  call.client.attributes = { ...call.client.attributes, ...clientAttributes };
  call.client.events.push({ name: 'lessllm.edge', attributes: eventAttributes, time: call.client.endTime, droppedAttributesCount: 0 });
  return call;
}

describe('OTLP encoding of span records (lessllm’s spans, built and encoded without the SDK)', () => {
  it('gives exactly the bytes the SDK gives for the same spans, protobuf and JSON', () => {
    assertSameAsSdk([aCall()]);
    // And the parts the comparison relies on are really there.
    const json = text(encoded(recordsOf([aCall()], defaultSpanLimits), 'http/json'));
    for (const expected of ['vendor=abc,other=1', 'upstream said no', 'héllo 👋', 'b7ad6b7169203331', 'length-of-a-long-reason']) assert.ok(json.includes(expected), expected);
  });

  it('applies the span limits as the SDK does: strings cut, attributes beyond the count dropped, the newest events kept', () => {
    const limits: SpanLimits = { attributeValueLengthLimit: 10, attributeCountLimit: 4, eventCountLimit: 2, attributePerEventCountLimit: 1 };
    assertSameAsSdk([aCall()], limits);
    const client = recordsOf([aCall()], limits)[0];
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

  it('encodes every kind of attribute value at every size boundary as the SDK does, on spans and on events', () => {
    const values = edgeValues();
    assertSameAsSdk([callWith(values, values)], { ...defaultSpanLimits, attributeCountLimit: 1000, attributePerEventCountLimit: 1000 });
  });

  it('encodes a captured body of 64 KiB and more (nested messages whose length needs three bytes) as the SDK does', () => {
    const big = JSON.stringify({ messages: Array.from({ length: 600 }, (_, index) => ({ role: 'user', content: `message ${index}: ${'ü "quoted" \\ '.repeat(12)}` })) });
    assert.ok(big.length > 70_000);
    assertSameAsSdk([callWith({}, { 'lessllm.body': big }), callWith({ 'lessllm.body': big.slice(0, 20_000) })]);
  });

  it('encodes times far from now to the nanosecond as the SDK does', () => {
    const call = aCall();
    call.client.startTime = [4_102_444_800, 999_999_999];
    call.client.endTime = [4_294_967_295, 1];
    call.server.startTime = [0, 5];
    call.server.endTime = millisToHrTime(startMs + 0.000_001);
    assertSameAsSdk([call]);
  });

  it('encodes a batch in the buffer an earlier, larger batch was sent from, as if the buffer were new', () => {
    const newBatch = spanBatchFactory('http/protobuf', { attributes: resource.attributes }, { name: 'lessllm' });
    const values = edgeValues();
    const first = newBatch();
    for (const record of recordsOf([callWith(values, values), aCall()], { ...defaultSpanLimits, attributeCountLimit: 1000, attributePerEventCountLimit: 1000 })) first.add(record);
    first.request();
    first.release();
    const second = newBatch();
    for (const record of recordsOf([aCall()], defaultSpanLimits)) second.add(record);
    assert.equal(hex(second.request()), sdkProtobuf(sdkSpans([aCall()], defaultSpanLimits)));
  });

  it('leaves a batch whole when a span cannot be encoded: the spans before it still make a valid request', () => {
    const batch = spanBatchFactory('http/protobuf', { attributes: resource.attributes }, { name: 'lessllm' })();
    const [client, server] = recordsOf([aCall()], defaultSpanLimits);
    batch.add(client);
    const broken = { ...server, events: [{ name: undefined as unknown as string, time: server.endTime, attributes: {}, droppedAttributesCount: 0 }] };
    assert.throws(() => batch.add(broken));
    assert.equal(batch.spanCount, 1);
    assert.equal(hex(batch.request()), sdkProtobuf(sdkSpans([aCall()], defaultSpanLimits).slice(0, 1)));
  });

  it('puts many calls in one request, with a resource that has a schema URL, as the SDK does', () => {
    const withSchema = resourceFromAttributes({ 'service.name': 'lessllm-test', 'service.version': '1.2.3' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
    assertSameAsSdk(
      Array.from({ length: 300 }, () => aCall()),
      defaultSpanLimits,
      withSchema,
    );
  });
});
