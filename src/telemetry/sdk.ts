/**
 * The OpenTelemetry SDK, assembled from the individual providers rather than NodeSDK: NodeSDK loads
 * instrumentations, async-hooks context and resource detectors that lessllm does not use and that cost
 * start-up time in the single executable. The same code runs on Bun, Deno, Node and in
 * `bun build --compile`.
 *
 * - Traces: each call's spans are started and built by call-span.ts with the sampler, id generator and
 *   span limits made here. When an OTLP endpoint is configured, they are encoded for OTLP as they end
 *   and sent in batches (otlp/span-exporter.ts). Without one, each call still gets its ids (they go
 *   upstream in `traceparent` and into the log table), but no span is built.
 * - Metrics: the Prometheus exporter is a pull reader whose text `metricsText()` returns for
 *   `GET /metrics`; it never opens a port of its own. With an OTLP endpoint, a periodic reader pushes the
 *   same instruments too. The per-call histograms are aggregated by call-histograms.ts and reach both
 *   readers as a MetricProducer, each in the temporality that reader asks for.
 * - Nothing is registered globally (no `trace.setGlobalTracerProvider`): the gateway creates spans
 *   explicitly with their parents, and two instances can coexist in one process (tests).
 *
 * Exemplars: OpenTelemetry JS sdk-metrics 2.12 ships exemplar filter and reservoir classes, but they are
 * not exported or wired into aggregation, and neither the OTLP transformer nor the Prometheus serializer
 * emits exemplars (open-telemetry/opentelemetry-js#2594, wiring proposed in #6483). So no exemplars yet;
 * to go from a slow point to its traces, query spans by `lessllm.ttft` / duration in the trace backend.
 *
 * Deno: Deno has built-in OpenTelemetry (`OTEL_DENO=true`). Do not turn it on together with lessllm's
 * SDK. Deno's providers take over the global OpenTelemetry API silently (anything using `trace.get…`
 * gets Deno's), and Deno exports its own HTTP-server and fetch spans to the same OTEL_EXPORTER_OTLP_*
 * endpoint: every call then shows up twice, in differently shaped traces. lessllm's own spans and
 * metrics still arrive (its providers are not global; checked on Deno 2.9), but leave OTEL_DENO unset:
 * lessllm already exports everything. createTelemetry warns when it sees OTEL_DENO=true.
 */
import type { Meter } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { AggregationTemporalityPreference, OTLPMetricExporter as OtlpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, RandomIdGenerator, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import type { Tracing } from './call-span.ts';
import type { MetricTemporalityPreference, SamplerOptions, TelemetryOptions } from './options.ts';
import { CallHistograms } from './call-histograms.ts';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from './semconv.ts';
import { assertNever } from '../core/stream-events.ts';
import { SpanExporter } from './otlp/span-exporter.ts';
import type { SpanRecord } from './span-record.ts';

export const instrumentationScope = 'lessllm';

export type DropReport = (kind: 'span_export' | 'span_queue_full' | 'metric_export', count: number) => void;

export type TelemetrySdk = {
  tracing: Tracing;
  meter: Meter;
  /** The per-call histograms, which every reader collects besides the meter's instruments. */
  histograms: CallHistograms;
  /** True when finished spans go somewhere; otherwise building them is wasted work. */
  exportsSpans: boolean;
  /** Whether `count` more ended spans fit the export queue now (always, when nothing is exported). */
  hasRoomForSpans(count: number): boolean;
  /** Queues ended spans for export (dropped and counted when the queue is full). */
  exportSpans(records: readonly SpanRecord[]): void;
  metricsText(): Promise<string>;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
};

export function startSdk(options: TelemetryOptions, reportDrop: DropReport): TelemetrySdk {
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...options.resourceAttributes,
      [ATTR_SERVICE_NAME]: options.serviceName,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
  );

  const spanExporter = options.otlpTraces
    ? new SpanExporter({
        target: options.otlpTraces,
        resource: { attributes: resource.attributes, schemaUrl: resource.schemaUrl },
        scope: { name: instrumentationScope },
        queueSize: options.spanQueueSize,
        // As the SDK's batch processor: a batch never holds more than the queue.
        batchSize: Math.min(options.spanExportBatchSize, options.spanQueueSize),
        scheduleDelayMs: options.spanScheduleDelayMs,
        exportTimeoutMs: options.spanExportTimeoutMs,
        reportDrop,
      })
    : undefined;

  const histograms = new CallHistograms(resource, instrumentationScope);
  // Prometheus reads cumulative values (its default for every instrument).
  const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [histograms.producerFor(AggregationTemporality.CUMULATIVE)] });
  const serializer = new PrometheusSerializer();
  const readers: IMetricReader[] = [prometheus];
  if (options.otlpMetrics) {
    const target = options.otlpMetrics;
    const config = {
      url: target.url,
      headers: target.headers,
      timeoutMillis: target.timeoutMillis,
      compression: target.compression as CompressionAlgorithm,
      temporalityPreference: temporalityPreferences[options.metricTemporality],
    };
    const exporter = target.protocol === 'http/json' ? new OtlpJsonMetricExporter(config) : new OtlpProtobufMetricExporter(config);
    // The exporter's selector turns the preference into a temporality per kind of instrument.
    const temporality = exporter.selectAggregationTemporality?.(InstrumentType.HISTOGRAM) ?? AggregationTemporality.CUMULATIVE;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new DropCountingMetricExporter(exporter, reportDrop),
        exportIntervalMillis: options.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(30_000, options.metricExportIntervalMs),
        metricProducers: [histograms.producerFor(temporality)],
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });

  return {
    tracing: { sampler: samplerOf(options.sampler), ids: new RandomIdGenerator(), limits: options.spanLimits },
    meter: meterProvider.getMeter(instrumentationScope),
    histograms,
    exportsSpans: spanExporter !== undefined,
    hasRoomForSpans: (count) => spanExporter?.hasRoomFor(count) ?? true,
    exportSpans: (records) => spanExporter?.add(records),
    async metricsText() {
      const { resourceMetrics, errors } = await prometheus.collect();
      const text = serializer.serialize(resourceMetrics);
      return errors.length > 0 ? `# collection errors: ${errors.length}\n${text}` : text;
    },
    async forceFlush() {
      await Promise.allSettled([spanExporter?.forceFlush(), meterProvider.forceFlush()]);
    },
    async shutdown() {
      // Each provider flushes what it holds (the last spans, a final metric push) before closing.
      await Promise.allSettled([spanExporter?.shutdown(), meterProvider.shutdown()]);
    },
  };
}

const temporalityPreferences: Record<MetricTemporalityPreference, AggregationTemporalityPreference> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

function samplerOf(options: SamplerOptions): Sampler {
  switch (options.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(options.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.ratio) });
    default:
      return assertNever(options.name);
  }
}

class DropCountingMetricExporter implements PushMetricExporter {
  private readonly exporter: PushMetricExporter;
  private readonly reportDrop: DropReport;
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];

  constructor(exporter: PushMetricExporter, reportDrop: DropReport) {
    this.exporter = exporter;
    this.reportDrop = reportDrop;
    // The wrapped exporter decides temporality (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE) and aggregation.
    this.selectAggregationTemporality = exporter.selectAggregationTemporality?.bind(exporter);
    this.selectAggregation = exporter.selectAggregation?.bind(exporter);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.exporter.export(metrics, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.reportDrop('metric_export', 1);
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}
