/**
 * The `telemetry:`, `pricing:` and `log:` sections of lessllm.yaml (TypeBox schemas, composed into the
 * config loader's schema), and the one function that turns those sections plus the standard `OTEL_*`
 * environment variables into TelemetryOptions. Environment variables win over the file, as operators
 * expect of `OTEL_*`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  defaultLogTable,
  defaultMaxContentBytes,
  type LogDatabase,
  type LogTableOptions,
  metricTemporalityPreferences,
  type MetricTemporalityPreference,
  type ModelPrice,
  type OtlpProtocol,
  type OtlpTarget,
  type SamplerName,
  type SamplerOptions,
  type TelemetryOptions,
} from './options.ts';
import { defaultSpanLimits, type SpanLimits } from './span-limits.ts';

export const telemetrySectionSchema = Type.Object(
  {
    capture_content: Type.Optional(
      Type.Boolean({ description: 'request and response bodies on spans and in the log table (default true)' }),
    ),
    max_content_bytes: Type.Optional(
      Type.Integer({ minimum: 1024, description: 'largest captured body or message list, in bytes (default 65536)' }),
    ),
    service_name: Type.Optional(Type.String({ minLength: 1, description: 'default service.name (OTEL_SERVICE_NAME wins)' })),
  },
  { additionalProperties: false },
);

const pricePerMillion = (description: string) => Type.Number({ minimum: 0, description });

export const modelPriceSchema = Type.Object(
  {
    input: pricePerMillion('USD per million input tokens'),
    output: pricePerMillion('USD per million output tokens'),
    cache_read: Type.Optional(pricePerMillion('USD per million input tokens read from the prompt cache (default: input)')),
    cache_write: Type.Optional(pricePerMillion('USD per million input tokens written to the prompt cache (default: input)')),
  },
  { additionalProperties: false },
);

/** Keys are model names or globs (`*`, `?`); they take precedence over the built-in price table. */
export const pricingSectionSchema = Type.Record(Type.String({ minLength: 1 }), modelPriceSchema);

export const logSectionSchema = Type.Object(
  {
    database: Type.String({
      pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
      description: 'sqlite:<path> (relative to the working directory) or postgres://user:password@host/database',
    }),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    flush_interval_ms: Type.Optional(Type.Integer({ minimum: 10 })),
    queue_limit: Type.Optional(Type.Integer({ minimum: 1 })),
    queue_text_limit: Type.Optional(Type.Integer({ minimum: 1, description: 'characters of request and response bodies the queued rows hold at most' })),
  },
  { additionalProperties: false },
);

export type TelemetrySection = Static<typeof telemetrySectionSchema>;
export type PricingSection = Static<typeof pricingSectionSchema>;
export type LogSection = Static<typeof logSectionSchema>;

export type TelemetrySections = { telemetry?: unknown; pricing?: unknown; log?: unknown };
export type Environment = Record<string, string | undefined>;

export class TelemetryConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TelemetryConfigError';
  }
}

export function telemetryOptionsFromConfig(sections: TelemetrySections, environment: Environment): TelemetryOptions {
  const telemetry = checked<TelemetrySection>('telemetry', telemetrySectionSchema, sections.telemetry ?? {});
  const pricing = checked<PricingSection>('pricing', pricingSectionSchema, sections.pricing ?? {});
  const log = sections.log === undefined || sections.log === null ? undefined : checked<LogSection>('log', logSectionSchema, sections.log);

  const resourceAttributes = parseKeyValueList(environment.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName =
    nonEmpty(environment.OTEL_SERVICE_NAME) ?? resourceAttributes['service.name'] ?? telemetry.service_name ?? 'lessllm';

  return {
    sdkEnabled: environment.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true',
    serviceName,
    serviceVersion: undefined,
    resourceAttributes,
    sampler: samplerFromEnvironment(environment),
    spanLimits: spanLimitsFromEnvironment(environment),
    otlpTraces: exporterWanted(environment.OTEL_TRACES_EXPORTER) ? otlpTarget('TRACES', 'v1/traces', environment) : undefined,
    otlpMetrics: exporterWanted(environment.OTEL_METRICS_EXPORTER) ? otlpTarget('METRICS', 'v1/metrics', environment) : undefined,
    spanQueueSize: positiveNumber(environment.OTEL_BSP_MAX_QUEUE_SIZE) ?? 2048,
    spanExportBatchSize: positiveNumber(environment.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) ?? 512,
    spanScheduleDelayMs: positiveNumber(environment.OTEL_BSP_SCHEDULE_DELAY) ?? 5000,
    spanExportTimeoutMs: positiveNumber(environment.OTEL_BSP_EXPORT_TIMEOUT) ?? 30_000,
    metricExportIntervalMs: positiveNumber(environment.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000,
    metricTemporality: metricTemporalityFrom(environment.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE),
    captureContent: captureContentSetting(environment, telemetry.capture_content),
    maxContentBytes: telemetry.max_content_bytes ?? defaultMaxContentBytes,
    pricingOverrides: Object.fromEntries(Object.entries(pricing).map(([model, price]) => [model, modelPrice(price)])),
    log: log === undefined ? undefined : logTableOptions(log),
    denoBuiltInTelemetry: environment.OTEL_DENO?.trim().toLowerCase() === 'true',
  };
}

export function parseLogDatabase(value: string): LogDatabase {
  if (value.startsWith('sqlite:')) return { kind: 'sqlite', path: value.slice('sqlite:'.length) };
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) return { kind: 'postgres', url: value };
  throw new TelemetryConfigError(`log.database: expected sqlite:<path> or postgres://… (got ${JSON.stringify(value)})`);
}

function logTableOptions(section: LogSection): LogTableOptions {
  return {
    database: parseLogDatabase(section.database),
    batchSize: section.batch_size ?? defaultLogTable.batchSize,
    flushIntervalMs: section.flush_interval_ms ?? defaultLogTable.flushIntervalMs,
    queueLimit: section.queue_limit ?? defaultLogTable.queueLimit,
    queueTextLimit: section.queue_text_limit ?? defaultLogTable.queueTextLimit,
  };
}

function modelPrice(price: Static<typeof modelPriceSchema>): ModelPrice {
  return {
    input: price.input,
    output: price.output,
    cacheRead: price.cache_read ?? price.input,
    cacheWrite: price.cache_write ?? price.input,
  };
}

function checked<T>(section: string, schema: TSchema, value: unknown): T {
  const error = Value.Errors(schema, value).First();
  if (error) {
    const path = [section, ...error.path.split('/').filter(Boolean)].join('.');
    throw new TelemetryConfigError(`${path}: ${error.message.toLowerCase()} (got ${JSON.stringify(error.value) ?? 'nothing'})`);
  }
  return value as T;
}

/** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, when set, decides; otherwise the config (default on). */
function captureContentSetting(environment: Environment, configured: boolean | undefined): boolean {
  const fromEnvironment = environment.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase();
  if (fromEnvironment === 'false') return false;
  if (fromEnvironment === 'true') return true;
  return configured ?? true;
}

/** OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: `none` turns the OTLP push off. */
function exporterWanted(value: string | undefined): boolean {
  return !(value ?? '').split(',').some((name) => name.trim().toLowerCase() === 'none');
}

function metricTemporalityFrom(value: string | undefined): MetricTemporalityPreference {
  const preference = (nonEmpty(value) ?? 'cumulative').toLowerCase();
  if ((metricTemporalityPreferences as readonly string[]).includes(preference)) return preference as MetricTemporalityPreference;
  throw new TelemetryConfigError(
    `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=${value} is not one of ${metricTemporalityPreferences.join(', ')}`,
  );
}

/** Signal-specific variables win over the general ones; a general endpoint gets the signal's path appended. */
function otlpTarget(signal: 'TRACES' | 'METRICS', path: string, environment: Environment): OtlpTarget | undefined {
  /** OTEL_EXPORTER_OTLP_{signal}_{name}, or else OTEL_EXPORTER_OTLP_{name}. */
  const variable = (name: string) => nonEmpty(environment[`OTEL_EXPORTER_OTLP_${signal}_${name}`]) ?? nonEmpty(environment[`OTEL_EXPORTER_OTLP_${name}`]);
  const specific = nonEmpty(environment[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]);
  const general = nonEmpty(environment.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (specific === undefined && general === undefined) return undefined;
  const url = specific ?? `${general!.replace(/\/+$/, '')}/${path}`;
  const protocol = (variable('PROTOCOL') ?? 'http/protobuf').toLowerCase();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new TelemetryConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: lessllm exports OTLP over HTTP (http/protobuf or http/json, usually port 4318)`,
    );
  }
  return {
    url,
    protocol: protocol as OtlpProtocol,
    headers: {
      ...parseKeyValueList(environment.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseKeyValueList(environment[`OTEL_EXPORTER_OTLP_${signal}_HEADERS`]),
    },
    timeoutMillis:
      positiveNumber(environment[`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`]) ??
      positiveNumber(environment.OTEL_EXPORTER_OTLP_TIMEOUT) ??
      10_000,
    compression: otlpCompression(variable('COMPRESSION')),
    certificateFiles: ['CERTIFICATE', 'CLIENT_CERTIFICATE', 'CLIENT_KEY'].some((file) => variable(file) !== undefined),
  };
}

function otlpCompression(value: string | undefined): 'none' | 'gzip' {
  const compression = (value ?? 'none').toLowerCase();
  if (compression === 'none' || compression === 'gzip') return compression;
  throw new TelemetryConfigError(`OTEL_EXPORTER_OTLP_COMPRESSION=${value} is not supported: none or gzip`);
}

const samplerNames: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

function samplerFromEnvironment(environment: Environment): SamplerOptions {
  const name = nonEmpty(environment.OTEL_TRACES_SAMPLER)?.toLowerCase() ?? 'parentbased_always_on';
  if (!samplerNames.includes(name as SamplerName)) {
    throw new TelemetryConfigError(`OTEL_TRACES_SAMPLER=${name} is not one of ${samplerNames.join(', ')}`);
  }
  const ratio = Number(environment.OTEL_TRACES_SAMPLER_ARG ?? '1');
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new TelemetryConfigError(`OTEL_TRACES_SAMPLER_ARG=${environment.OTEL_TRACES_SAMPLER_ARG} must be a number from 0 to 1`);
  }
  return { name: name as SamplerName, ratio };
}

/** As the SDK reads them: a span-specific variable wins over the general one, then the SDK's default. */
function spanLimitsFromEnvironment(environment: Environment): SpanLimits {
  return {
    attributeValueLengthLimit:
      positiveNumber(environment.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT) ??
      positiveNumber(environment.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT) ??
      defaultSpanLimits.attributeValueLengthLimit,
    attributeCountLimit:
      countLimit(environment.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT) ??
      countLimit(environment.OTEL_ATTRIBUTE_COUNT_LIMIT) ??
      defaultSpanLimits.attributeCountLimit,
    eventCountLimit: countLimit(environment.OTEL_SPAN_EVENT_COUNT_LIMIT) ?? defaultSpanLimits.eventCountLimit,
    attributePerEventCountLimit:
      countLimit(environment.OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT) ?? defaultSpanLimits.attributePerEventCountLimit,
  };
}

/** The W3C-baggage-like `key=value,key2=value2` lists of OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS. */
export function parseKeyValueList(value: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (!value) return result;
  for (const entry of value.split(',')) {
    const separator = entry.indexOf('=');
    if (separator <= 0) continue;
    const key = entry.slice(0, separator).trim();
    const raw = entry.slice(separator + 1).trim();
    try {
      result[key] = decodeURIComponent(raw);
    } catch {
      result[key] = raw;
    }
  }
  return result;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A count limit may be 0 (none kept). */
function countLimit(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isInteger(number) && number >= 0 ? number : undefined;
}

function positiveNumber(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isFinite(number) && number > 0 ? number : undefined;
}
