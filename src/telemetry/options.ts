/**
 * Everything the telemetry module needs to start, already resolved from the config file and the
 * environment (see `telemetryOptionsFromConfig` in config-schema.ts). Nothing in here reads `process.env`
 * again, so two telemetry instances in one process (as in tests) can differ.
 */
import type { TokenCounter } from '../core/token-counter.ts';
import type { SpanLimits } from './span-limits.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** The values of OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE the specification defines. */
export const metricTemporalityPreferences = ['cumulative', 'delta', 'lowmemory'] as const;
export type MetricTemporalityPreference = (typeof metricTemporalityPreferences)[number];

export type OtlpTarget = {
  /** Full URL of the signal's endpoint, e.g. `http://collector:4318/v1/traces`. */
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  timeoutMillis: number;
  /** OTEL_EXPORTER_OTLP_(signal_)COMPRESSION. */
  compression: 'none' | 'gzip';
  /** Whether a certificate or client key file is configured (OTEL_EXPORTER_OTLP_(signal_)CERTIFICATE and the like), which the SDK loads itself. */
  certificateFiles: boolean;
};

/** OTEL_TRACES_SAMPLER values, as in the OpenTelemetry SDK environment specification. */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export type SamplerOptions = { name: SamplerName; ratio: number };

/** USD per million tokens. */
export type ModelPrice = { input: number; output: number; cacheRead: number; cacheWrite: number };

export type LogDatabase = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export type LogTableOptions = {
  database: LogDatabase;
  /** Rows per insert. */
  batchSize: number;
  /** Longest a row waits in the queue before a write is attempted. */
  flushIntervalMs: number;
  /** Rows held in memory at most; beyond this, new rows are dropped and counted. */
  queueLimit: number;
  /** Characters of request and response bodies the queued rows hold at most; beyond, the same. */
  queueTextLimit: number;
};

export type TelemetryOptions = {
  /** False with OTEL_SDK_DISABLED=true: no spans and no metrics (the log table still works). */
  sdkEnabled: boolean;
  serviceName: string;
  serviceVersion: string | undefined;
  /** From OTEL_RESOURCE_ATTRIBUTES, merged under service.name. */
  resourceAttributes: Record<string, string>;
  sampler: SamplerOptions;
  /** OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT and the other span limits of the SDK environment specification. */
  spanLimits: SpanLimits;
  /** Set when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is. */
  otlpTraces: OtlpTarget | undefined;
  /** Set when OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT is. */
  otlpMetrics: OtlpTarget | undefined;
  /** OTEL_BSP_MAX_QUEUE_SIZE: finished spans waiting for export; more are dropped and counted. */
  spanQueueSize: number;
  /** OTEL_BSP_MAX_EXPORT_BATCH_SIZE: spans per export at most (no more than the queue size). */
  spanExportBatchSize: number;
  /** OTEL_BSP_SCHEDULE_DELAY: longest a span waits for its batch to fill. */
  spanScheduleDelayMs: number;
  /** OTEL_BSP_EXPORT_TIMEOUT: an export not finished by then is given up and its spans counted lost. */
  spanExportTimeoutMs: number;
  /** OTEL_METRIC_EXPORT_INTERVAL: how often metrics are pushed over OTLP. */
  metricExportIntervalMs: number;
  /** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: what the OTLP push sends (/metrics is always cumulative). */
  metricTemporality: MetricTemporalityPreference;
  /** Bodies and messages on spans and in the log table; off leaves attributes and metrics only. */
  captureContent: boolean;
  /** Largest single content attribute (UTF-8 bytes); longer content is shortened with its JSON kept valid. */
  maxContentBytes: number;
  /** Config prices by model name or glob, taking precedence over the built-in table. */
  pricingOverrides: Record<string, ModelPrice>;
  log: LogTableOptions | undefined;
  /** OTEL_DENO=true: Deno's built-in OpenTelemetry is on too, which lessllm warns about (see sdk.ts). */
  denoBuiltInTelemetry: boolean;
  /** Where telemetry's own warnings go (a dropped row, an unreachable database); default console.error. */
  warn?: (message: string) => void;
  /** What counts tokens an upstream did not report; default the process's counting thread (src/core/token-counter.ts). */
  tokenCounter?: TokenCounter;
};

export const defaultMaxContentBytes = 64 * 1024;

// 10,000 rows of coding agents' calls (bodies capped at 64 KiB each) would be 2.6 GB: the text is bounded too.
export const defaultLogTable = { batchSize: 100, flushIntervalMs: 1000, queueLimit: 10_000, queueTextLimit: 16 * 1024 * 1024 };
