/**
 * The metrics and what one finished call records into them: the per-call histograms (call-histograms.ts),
 * the streams in flight, and the counters of refused requests and of lost telemetry. Attributes are the
 * few the conventions allow on metrics (operation, provider, request and response model, error type):
 * never an id, a key or a user, which would make a new time series per request.
 */
import type { Attributes, Counter, Meter, ObservableResult } from '@opentelemetry/api';
import type { CallStart, Refusal } from '../core/call-observer.ts';
import type { CallHistograms } from './call-histograms.ts';
import type { CallSummary } from './call-summary.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LESSLLM_CLIENT_PROTOCOL,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_LESSLLM_DROPPED_KIND,
  GEN_AI_OPERATION_CHAT,
  METRIC_LESSLLM_REQUESTS_REFUSED,
  METRIC_LESSLLM_STREAMS_ACTIVE,
  METRIC_LESSLLM_TELEMETRY_DROPPED,
} from './semconv.ts';

/** What telemetry had to give up on, the label of lessllm.telemetry.dropped. */
export const droppedKinds = ['span_export', 'span_queue_full', 'metric_export', 'log_queue_full', 'log_write', 'observer_error'] as const;
export type DroppedKind = (typeof droppedKinds)[number];

export type CallMetrics = {
  streamStarted(start: CallStart): void;
  streamEnded(start: CallStart): void;
  record(summary: CallSummary): void;
  refused(refusal: Refusal): void;
  dropped(kind: DroppedKind, count: number): void;
};

export function createCallMetrics(meter: Meter, histograms: CallHistograms): CallMetrics {
  const streamsActive = new StreamCounts();
  meter
    .createObservableUpDownCounter(METRIC_LESSLLM_STREAMS_ACTIVE, { unit: '{stream}', description: 'Streaming calls in flight.' })
    .addCallback((result) => streamsActive.observe(result));
  const dropped: Counter = meter.createCounter(METRIC_LESSLLM_TELEMETRY_DROPPED, {
    unit: '{item}',
    description: 'Telemetry lessllm could not deliver (spans, metric pushes, log rows), by lessllm.dropped.kind.',
  });
  // By status, error type and protocol only: the model, the path and the key are the caller's to choose,
  // and a scan with random ones must not create a time series per request.
  const refused: Counter = meter.createCounter(METRIC_LESSLLM_REQUESTS_REFUSED, {
    unit: '{request}',
    description: 'Requests answered with an error before a call began (key, limits, invalid body, unknown model or path, shutdown).',
  });
  const droppedAttributes = new Map<DroppedKind, Attributes>();
  // Every kind starts at 0: Prometheus's increase() cannot see a counter's first appearance at N, so
  // the first drops would never fire the alert.
  for (const kind of droppedKinds) {
    const attributes = { [ATTR_LESSLLM_DROPPED_KIND]: kind };
    droppedAttributes.set(kind, attributes);
    dropped.add(0, attributes);
  }

  return {
    streamStarted(start) {
      streamsActive.add(start, 1);
    },
    streamEnded(start) {
      streamsActive.add(start, -1);
    },
    record(summary) {
      histograms.record(summary);
    },
    refused(refusal) {
      const attributes: Attributes = { [ATTR_HTTP_RESPONSE_STATUS_CODE]: refusal.status, [ATTR_ERROR_TYPE]: refusal.errorType };
      if (refusal.clientProtocol !== undefined) attributes[ATTR_LESSLLM_CLIENT_PROTOCOL] = refusal.clientProtocol;
      refused.add(1, attributes);
    },
    dropped(kind, count) {
      let attributes = droppedAttributes.get(kind);
      if (!attributes) droppedAttributes.set(kind, (attributes = { [ATTR_LESSLLM_DROPPED_KIND]: kind }));
      dropped.add(count, attributes);
    },
  };
}

/** Most distinct attribute sets a metric keeps, as OpenTelemetry's SDK does; more are counted together. */
export const cardinalityLimit = 2000;
export const overflowAttributes: Attributes = { 'otel.metric.overflow': true };

/**
 * The streams in flight by provider and model, read when metrics are collected. Counted here rather than
 * with an up-down counter: the SDK hashes a call's attributes on every add (two per stream), which cost a
 * streaming call about 2% of the event loop's time; here the key is two strings joined.
 */
class StreamCounts {
  /** By provider type and model; a set seen once stays (at 0 when its streams are over), as the SDK's series do. */
  private readonly counts = new Map<string, { attributes: Attributes; count: number }>();

  add(start: CallStart, change: number): void {
    const key = `${start.providerType}\n${start.upstreamModel}`;
    const entry = this.counts.get(key) ?? (this.counts.size < cardinalityLimit - 1 ? this.entry(key, callStartAttributes(start)) : this.entry('', overflowAttributes));
    entry.count += change;
  }

  private entry(key: string, attributes: Attributes): { attributes: Attributes; count: number } {
    let entry = this.counts.get(key);
    if (entry === undefined) this.counts.set(key, (entry = { attributes, count: 0 }));
    return entry;
  }

  observe(result: ObservableResult): void {
    for (const { attributes, count } of this.counts.values()) result.observe(count, attributes);
  }
}

/** The attributes every call metric has: the operation, and the provider and model the call went to. */
export function callStartAttributes(start: CallStart): Attributes {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_CHAT,
    [ATTR_GEN_AI_PROVIDER_NAME]: start.providerType,
    [ATTR_GEN_AI_REQUEST_MODEL]: start.upstreamModel,
  };
}
