/**
 * An ended span as plain data, as the event loop builds it (call-span.ts) and the OTLP encoders read it
 * (otlp/span-protobuf.ts, otlp/span-json.ts): the fields of the SDK's ReadableSpan, with contexts and trace
 * state as plain values. The resource and the instrumentation scope are the same for all of lessllm's
 * spans and belong to the exporter.
 */
import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';

export type ContextRecord = { traceId: string; spanId: string; traceFlags: number; isRemote?: boolean; traceState?: string };

export type ScopeRecord = { name: string; version?: string; schemaUrl?: string };

/** The resource every span is exported with (service.name and the rest). */
export type ResourceRecord = { attributes: Attributes; schemaUrl?: string };

export type SpanRecord = {
  name: string;
  kind: SpanKind;
  context: ContextRecord;
  parent?: ContextRecord;
  startTime: HrTime;
  endTime: HrTime;
  duration: HrTime;
  status: SpanStatus;
  attributes: Attributes;
  events: TimedEvent[];
  links: Array<{ context: ContextRecord; attributes?: Attributes; droppedAttributesCount?: number }>;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
};

/**
 * OTLP's `flags` of a span or link: the W3C trace flags in the low 8 bits, then "whether the parent is
 * remote is known" (always, here) and "it is".
 */
export function otlpSpanFlags(traceFlags: number, parentIsRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (parentIsRemote ? 0x200 : 0);
}

export function contextRecordOf(context: SpanContext): ContextRecord {
  const record: ContextRecord = { traceId: context.traceId, spanId: context.spanId, traceFlags: context.traceFlags };
  if (context.isRemote !== undefined) record.isRemote = context.isRemote;
  const traceState = context.traceState?.serialize();
  if (traceState) record.traceState = traceState;
  return record;
}
