/**
 * The OpenTelemetry span limits (OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT and friends), applied to the span
 * records lessllm builds itself (call-span.ts) exactly as the SDK's own spans apply them: strings, and the
 * strings in arrays, cut to the value length limit; attributes beyond the count limit dropped and
 * counted; the oldest events dropped once a span has more than the event limit.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';

export type SpanLimits = {
  /** Characters a string attribute keeps; Infinity: all. */
  attributeValueLengthLimit: number;
  attributeCountLimit: number;
  eventCountLimit: number;
  attributePerEventCountLimit: number;
};

/** The SDK's defaults: nothing is cut, and 128 of each. */
export const defaultSpanLimits: SpanLimits = {
  attributeValueLengthLimit: Infinity,
  attributeCountLimit: 128,
  eventCountLimit: 128,
  attributePerEventCountLimit: 128,
};

export type LimitedAttributes = { attributes: Attributes; droppedAttributesCount: number };

/**
 * The attributes within the limits, without those whose value is undefined (the SDK's setAttribute ignores
 * them, and its encoder, like lessllm's, would send an empty value for them). With the defaults and
 * lessllm's few dozen attributes, all set, the object itself.
 */
export function limitAttributes(attributes: Attributes, countLimit: number, limits: SpanLimits): LimitedAttributes {
  const cutsValues = limits.attributeValueLengthLimit !== Infinity;
  let count = 0;
  let keys = 0;
  for (const key in attributes) {
    keys++;
    if (attributes[key] !== undefined) count++;
  }
  if (!cutsValues && count <= countLimit && count === keys) return { attributes, droppedAttributesCount: 0 };
  const limited: Attributes = {};
  let kept = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    if (kept >= countLimit) continue;
    limited[key] = cutsValues ? cutToLength(value, limits.attributeValueLengthLimit) : value;
    kept++;
  }
  return { attributes: limited, droppedAttributesCount: count - kept };
}

/** The events within the limits: the SDK keeps the newest `eventCountLimit`. */
export function limitEvents(events: TimedEvent[], limits: SpanLimits): { events: TimedEvent[]; droppedEventsCount: number } {
  const kept = events.length > limits.eventCountLimit ? events.slice(events.length - limits.eventCountLimit) : events;
  const limitedEvents = kept.map((event) => {
    const limited = limitAttributes(event.attributes ?? {}, limits.attributePerEventCountLimit, limits);
    return limited.attributes === event.attributes ? event : { ...event, attributes: limited.attributes, droppedAttributesCount: limited.droppedAttributesCount };
  });
  return { events: limitedEvents, droppedEventsCount: events.length - kept.length };
}

function cutToLength(value: AttributeValue, limit: number): AttributeValue {
  if (typeof value === 'string') return value.length <= limit ? value : value.slice(0, limit);
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' && item.length > limit ? item.slice(0, limit) : item)) as AttributeValue;
  return value;
}
