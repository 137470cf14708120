/**
 * Span records (span-record.ts) as OTLP/HTTP protobuf: each span is encoded once, when its call is
 * recorded, into the buffer of the batch it will be exported with, and a batch becomes an
 * ExportTraceServiceRequest by wrapping those bytes in the resource and scope. Field for field, in the
 * order and with the defaults of OpenTelemetry JS's own encoder (otlp-transformer), so that a collector
 * receives exactly the bytes the SDK would send for the same spans (span-encoding.test.ts compares them).
 *
 * Message and field numbers: opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto.
 */
import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import { otlpSpanFlags, type ContextRecord, type ResourceRecord, type ScopeRecord, type SpanRecord } from '../span-record.ts';
import { ProtobufWriter, varintSize, wireType } from './protobuf-writer.ts';

const { varint, fixed64, lengthDelimited, fixed32 } = wireType;

/** Appends `record` as one `spans` entry (field 2) of a ScopeSpans message. */
export function writeSpan(writer: ProtobufWriter, record: SpanRecord): void {
  writer.tag(2, lengthDelimited);
  const span = writer.startMessage(2);
  writeContext(writer, record.context);
  if (record.parent?.spanId) {
    writer.tag(4, lengthDelimited);
    writer.hexBytes(record.parent.spanId);
  }
  writer.tag(5, lengthDelimited);
  writer.string(record.name);
  // OTLP's SpanKind counts from SPAN_KIND_UNSPECIFIED = 0; the API's starts at INTERNAL = 0.
  writer.tag(6, varint);
  writer.uint32(record.kind + 1);
  writer.tag(7, fixed64);
  writeTime(writer, record.startTime);
  writer.tag(8, fixed64);
  writeTime(writer, record.endTime);
  writeAttributes(writer, 9, record.attributes);
  writer.tag(10, varint);
  writer.uint32(record.droppedAttributesCount);
  for (const event of record.events) {
    writer.tag(11, lengthDelimited);
    const message = writer.startMessage(2);
    writer.tag(1, fixed64);
    writeTime(writer, event.time as HrTime);
    writer.tag(2, lengthDelimited);
    writer.recurringString(event.name);
    if (event.attributes) writeAttributes(writer, 3, event.attributes);
    writer.tag(4, varint);
    writer.uint32(event.droppedAttributesCount ?? 0);
    writer.finishMessage(message, 2);
  }
  writer.tag(12, varint);
  writer.uint32(record.droppedEventsCount);
  for (const link of record.links) {
    writer.tag(13, lengthDelimited);
    const message = writer.startMessage();
    writeContext(writer, link.context);
    if (link.attributes) writeAttributes(writer, 4, link.attributes);
    writer.tag(5, varint);
    writer.uint32(link.droppedAttributesCount ?? 0);
    writer.tag(6, fixed32);
    writer.fixed32(otlpSpanFlags(link.context.traceFlags, link.context.isRemote));
    writer.finishMessage(message);
  }
  writer.tag(14, varint);
  writer.uint32(record.droppedLinksCount);
  writer.tag(15, lengthDelimited);
  const status = writer.startMessage();
  if (record.status.message) {
    writer.tag(2, lengthDelimited);
    writer.string(record.status.message);
  }
  writer.tag(3, varint);
  writer.uint32(record.status.code);
  writer.finishMessage(status);
  writer.tag(16, fixed32);
  writer.fixed32(otlpSpanFlags(record.context.traceFlags, record.parent?.isRemote));
  writer.finishMessage(span, 2);
}

/** Fields 1–3 of Span and Span.Link alike: trace id, span id, trace state (when there is one). */
function writeContext(writer: ProtobufWriter, context: ContextRecord): void {
  writer.tag(1, lengthDelimited);
  writer.hexBytes(context.traceId);
  writer.tag(2, lengthDelimited);
  writer.hexBytes(context.spanId);
  if (context.traceState) {
    writer.tag(3, lengthDelimited);
    writer.string(context.traceState);
  }
}

/**
 * What wraps a batch's spans into an ExportTraceServiceRequest: the resource and the scope, encoded
 * once. A batch writes its spans after `headerRoom` bytes of its buffer, and `seal` writes the header
 * into that room (right-aligned, as long as it turns out) and the trailers after the spans, so the
 * request is a view of the batch's buffer: no copy.
 */
export class ProtobufEnvelope {
  /** Bytes a batch keeps before its first span: the header at its longest. */
  readonly headerRoom: number;
  /** ResourceSpans field 1 and ScopeSpans field 1, with their tags. */
  private readonly resourceField: Uint8Array;
  private readonly scopeField: Uint8Array;
  /** The `schema_url` fields, when there are any. */
  private readonly resourceTrailer: Uint8Array;
  private readonly scopeTrailer: Uint8Array;

  constructor(resource: ResourceRecord, scope: ScopeRecord) {
    const writer = new ProtobufWriter(1024);
    writer.tag(1, lengthDelimited);
    const resourceMessage = writer.startMessage();
    writeAttributes(writer, 1, resource.attributes);
    writer.tag(2, varint);
    writer.uint32(0);
    writer.finishMessage(resourceMessage);
    this.resourceField = writer.written().slice();

    writer.reset();
    writer.tag(1, lengthDelimited);
    const scopeMessage = writer.startMessage();
    writer.tag(1, lengthDelimited);
    writer.string(scope.name);
    if (scope.version) {
      writer.tag(2, lengthDelimited);
      writer.string(scope.version);
    }
    writer.finishMessage(scopeMessage);
    this.scopeField = writer.written().slice();

    this.resourceTrailer = schemaUrlField(resource.schemaUrl);
    this.scopeTrailer = schemaUrlField(scope.schemaUrl);
    // Two tags and two lengths of at most five bytes around the two fields.
    this.headerRoom = 1 + 5 + this.resourceField.length + 1 + 5 + this.scopeField.length;
  }

  /** The request of the spans written to `writer` from `spansStart` (= `headerRoom`) to its end. */
  seal(writer: ProtobufWriter, spansStart: number): Uint8Array {
    const spansLength = writer.pos - spansStart;
    writer.raw(this.scopeTrailer);
    writer.raw(this.resourceTrailer);
    const end = writer.pos;
    const scopeSpansLength = this.scopeField.length + spansLength + this.scopeTrailer.length;
    const resourceSpansLength = this.resourceField.length + 1 + varintSize(scopeSpansLength) + scopeSpansLength + this.resourceTrailer.length;
    const headerLength = 1 + varintSize(resourceSpansLength) + this.resourceField.length + 1 + varintSize(scopeSpansLength) + this.scopeField.length;
    const start = spansStart - headerLength;
    writer.pos = start;
    writer.tag(1, lengthDelimited);
    writer.uint32(resourceSpansLength);
    writer.raw(this.resourceField);
    writer.tag(2, lengthDelimited);
    writer.uint32(scopeSpansLength);
    writer.raw(this.scopeField);
    writer.pos = end;
    return writer.bytes.subarray(start, end);
  }
}

/** Field 3, `schema_url`, of ResourceSpans and ScopeSpans alike; nothing when there is none. */
function schemaUrlField(schemaUrl: string | undefined): Uint8Array {
  if (!schemaUrl) return new Uint8Array(0);
  const writer = new ProtobufWriter(256);
  writer.tag(3, lengthDelimited);
  writer.string(schemaUrl);
  return writer.written().slice();
}

/** Repeated KeyValue `field`. Every own key, as the SDK writes them (an undefined value as an empty AnyValue). */
function writeAttributes(writer: ProtobufWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    writer.tag(field, lengthDelimited);
    const keyValue = writer.startMessage();
    writer.tag(1, lengthDelimited);
    writer.recurringString(key);
    writer.tag(2, lengthDelimited);
    const value = writer.startMessage();
    writeAnyValue(writer, attributes[key]);
    writer.finishMessage(value);
    writer.finishMessage(keyValue);
  }
}

// int64's range: integers outside it are sent as doubles, as the SDK does.
const minInt64 = -(2 ** 63);
const maxInt64Exclusive = 2 ** 63;

function writeAnyValue(writer: ProtobufWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writer.tag(1, lengthDelimited);
      writer.string(value);
      return;
    case 'boolean':
      writer.tag(2, varint);
      writer.uint32(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= minInt64 && value < maxInt64Exclusive) {
        writer.tag(3, varint);
        writer.int64(value);
      } else {
        writer.tag(4, fixed64);
        writer.double(value);
      }
      return;
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        writer.tag(7, lengthDelimited);
        writer.bytesField(value);
      } else if (Array.isArray(value)) {
        writer.tag(5, lengthDelimited);
        const array = writer.startMessage();
        for (const item of value as AttributeValue[]) {
          writer.tag(1, lengthDelimited);
          const itemValue = writer.startMessage();
          writeAnyValue(writer, item);
          writer.finishMessage(itemValue);
        }
        writer.finishMessage(array);
      } else {
        // Not an attribute value the API allows, but the SDK encodes plain objects as a key-value list: so does this.
        writer.tag(6, lengthDelimited);
        const list = writer.startMessage();
        writeAttributes(writer, 1, value as Attributes);
        writer.finishMessage(list);
      }
      return;
    default:
      // undefined, functions, symbols, bigints: the SDK writes nothing for them either.
      return;
  }
}

/** A time as fixed64 nanoseconds since the epoch, exactly: seconds × 10^9 overflows 2^53, so it is split. */
function writeTime(writer: ProtobufWriter, time: HrTime): void {
  const seconds = time[0];
  // total = high16 × 2^16 × 10^9 + low16 × 10^9 + nanos, each product below 2^53 (`>>> 0` takes a value modulo 2^32).
  const high16 = Math.floor(seconds / 0x10000);
  const fromHigh = high16 * 1e9;
  const fromLow = (seconds - high16 * 0x10000) * 1e9 + time[1];
  const lowSum = (fromHigh & 0xffff) * 0x10000 + (fromLow >>> 0);
  const high = Math.floor(fromHigh / 0x10000) + Math.floor(fromLow / 0x100000000) + Math.floor(lowSum / 0x100000000);
  writer.fixed64(lowSum >>> 0, high >>> 0);
}
