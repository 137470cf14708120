/**
 * An ended span as plain data, as the event loop builds it (call-span.ts) and sends it to the span export
 * thread (as JSON, or cloned when it carries long texts: src/runtime/worker-thread.ts); `readableSpanOf`
 * turns it there into the ReadableSpan the OTLP exporter reads, exactly as it reads a span of its own SDK.
 */
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

type ContextRecord = { traceId: string; spanId: string; traceFlags: number; isRemote?: boolean; traceState?: string };

type ScopeRecord = { name: string; version?: string; schemaUrl?: string };

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
  scope: ScopeRecord;
};

/**
 * The span again, for the exporter. The exporter groups spans by resource and scope object identity,
 * so all spans share `resource`, and scopes are kept in `scopes` by name and version.
 */
export function readableSpanOf(record: SpanRecord, resource: Resource, scopes: Map<string, ScopeRecord>): ReadableSpan {
  const context = spanContextOf(record.context);
  const scopeKey = `${record.scope.name}\u0000${record.scope.version ?? ''}\u0000${record.scope.schemaUrl ?? ''}`;
  let scope = scopes.get(scopeKey);
  if (!scope) scopes.set(scopeKey, (scope = record.scope));
  return {
    name: record.name,
    kind: record.kind,
    spanContext: () => context,
    parentSpanContext: record.parent ? spanContextOf(record.parent) : undefined,
    startTime: record.startTime,
    endTime: record.endTime,
    duration: record.duration,
    ended: true,
    status: record.status,
    attributes: record.attributes,
    events: record.events,
    links: record.links.map((link): Link => ({ ...link, context: spanContextOf(link.context) })),
    droppedAttributesCount: record.droppedAttributesCount,
    droppedEventsCount: record.droppedEventsCount,
    droppedLinksCount: record.droppedLinksCount,
    resource,
    instrumentationScope: scope,
  };
}

export function contextRecordOf(context: SpanContext): ContextRecord {
  const record: ContextRecord = { traceId: context.traceId, spanId: context.spanId, traceFlags: context.traceFlags };
  if (context.isRemote !== undefined) record.isRemote = context.isRemote;
  const traceState = context.traceState?.serialize();
  if (traceState) record.traceState = traceState;
  return record;
}

function spanContextOf(record: ContextRecord): SpanContext {
  const { traceState, ...context } = record;
  return traceState ? { ...context, traceState: new TraceState(traceState) } : context;
}
