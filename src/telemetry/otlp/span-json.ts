/**
 * Span records (span-record.ts) as OTLP/HTTP JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json): each span's
 * JSON text is made when its call is recorded, and a batch's texts are joined into an
 * ExportTraceServiceRequest inside the resource and scope. The objects have the keys, in the order, of
 * OpenTelemetry JS's JSON serializer (ids in hex, times as decimal strings of nanoseconds), so the text
 * is the one the SDK would send (span-encoding.test.ts).
 */
import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import { Buffer } from 'node:buffer';
import { otlpSpanFlags, type ResourceRecord, type ScopeRecord, type SpanRecord } from '../span-record.ts';

export function spanJson(record: SpanRecord): string {
  return JSON.stringify({
    traceId: record.context.traceId,
    spanId: record.context.spanId,
    parentSpanId: record.parent?.spanId || undefined,
    traceState: record.context.traceState,
    name: record.name,
    kind: record.kind + 1,
    startTimeUnixNano: nanosText(record.startTime),
    endTimeUnixNano: nanosText(record.endTime),
    attributes: keyValues(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount,
    events: record.events.map((event) => ({
      attributes: event.attributes ? keyValues(event.attributes) : [],
      name: event.name,
      timeUnixNano: nanosText(event.time as HrTime),
      droppedAttributesCount: event.droppedAttributesCount || 0,
    })),
    droppedEventsCount: record.droppedEventsCount,
    status: { code: record.status.code, message: record.status.message },
    links: record.links.map((link) => ({
      attributes: link.attributes ? keyValues(link.attributes) : [],
      spanId: link.context.spanId,
      traceId: link.context.traceId,
      traceState: link.context.traceState,
      droppedAttributesCount: link.droppedAttributesCount || 0,
      flags: otlpSpanFlags(link.context.traceFlags, link.context.isRemote),
    })),
    droppedLinksCount: record.droppedLinksCount,
    flags: otlpSpanFlags(record.context.traceFlags, record.parent?.isRemote),
  });
}

/** An ExportTraceServiceRequest of span texts (from `spanJson`), as UTF-8. */
export function jsonRequest(resource: ResourceRecord, scope: ScopeRecord, spans: readonly string[]): Uint8Array {
  const resourceText = JSON.stringify({
    attributes: keyValues(resource.attributes),
    droppedAttributesCount: 0,
    schemaUrl: resource.schemaUrl || undefined,
  });
  const scopeText = JSON.stringify({ name: scope.name, version: scope.version });
  const scopeSchemaUrl = scope.schemaUrl === undefined ? '' : `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}`;
  const resourceSchemaUrl = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
  const scopeSpans = `{"scope":${scopeText},"spans":[${spans.join(',')}]${scopeSchemaUrl}}`;
  return new TextEncoder().encode(`{"resourceSpans":[{"resource":${resourceText},"scopeSpans":[${scopeSpans}]${resourceSchemaUrl}}]}`);
}

/** Nanoseconds since the epoch in decimal, exactly (seconds × 10^9 would overflow 2^53). */
function nanosText([seconds, nanos]: HrTime): string {
  const whole = Math.trunc(nanos);
  return seconds === 0 ? String(whole) : `${Math.trunc(seconds)}${String(whole).padStart(9, '0')}`;
}

type JsonAnyValue = Record<string, unknown>;

function keyValues(attributes: Attributes): Array<{ key: string; value: JsonAnyValue }> {
  return Object.keys(attributes).map((key) => ({ key, value: anyValue(attributes[key]) }));
}

function anyValue(value: unknown): JsonAnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'object':
      if (value === null) return {};
      if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
      if (Array.isArray(value)) return { arrayValue: { values: (value as AttributeValue[]).map(anyValue) } };
      return { kvlistValue: { values: keyValues(value as Attributes) } };
    default:
      return {};
  }
}
