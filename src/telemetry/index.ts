/**
 * Telemetry for the gateway: an observer for every call (spans, metrics, the optional log table), the
 * Prometheus text for `GET /metrics`, and a shutdown that flushes all of it. Build the options with
 * `telemetryOptionsFromConfig` (config-schema.ts).
 */
import { noopObserver, type CallObserver } from '../core/call-observer.ts';
import { tokenCounter } from '../core/token-counter.ts';
import { LogWriter } from './log-table/log-writer.ts';
import { openLogStore } from './log-table/log-store.ts';
import { createCallMetrics, type CallMetrics, type DroppedKind } from './metrics.ts';
import { createObserver, type TelemetryObserver } from './observer.ts';
import type { TelemetryOptions } from './options.ts';
import { PriceTable } from './pricing.ts';
import { startSdk } from './sdk.ts';

export type { TelemetryOptions } from './options.ts';
export {
  logSectionSchema,
  pricingSectionSchema,
  telemetryOptionsFromConfig,
  telemetrySectionSchema,
  TelemetryConfigError,
} from './config-schema.ts';

export type Telemetry = {
  observer: CallObserver;
  /** Prometheus text exposition format, for GET /metrics. */
  metricsHandler(): Promise<Response>;
  /** Records the calls that have ended and exports what is pending now, without stopping anything. */
  forceFlush(): Promise<void>;
  /** Records calls still being finished, then flushes spans, metrics and the log queue. Idempotent. */
  shutdown(): Promise<void>;
};

const exportLossMessages = {
  span_export: 'spans could not be exported to the OTLP endpoint',
  span_queue_full: 'spans are ending faster than the OTLP endpoint takes them; the span queue is full',
  metric_export: 'metrics could not be pushed to the OTLP endpoint',
};

/**
 * Characters of bodies the calls waiting to be recorded may hold (32 MB as UTF-16): beyond, they are
 * recorded at once rather than held back for room in the span queue (recording-line.ts).
 */
const maxWaitingTextChars = 16 * 1024 * 1024;

/** Longest a shutdown waits for the log table and the exporters, so a stop signal always ends the process. */
const shutdownBudgetMs = 4_000;

export async function createTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const warn = options.warn ?? ((message: string) => console.error(`lessllm: ${message}`));
  let metrics: CallMetrics | undefined;
  const warnedKinds = new Set<DroppedKind>();
  const reportDrop = (kind: DroppedKind, count: number) => {
    metrics?.dropped(kind, count);
    // The log writer and the observer say what went wrong themselves; export losses are said here, once.
    if ((kind === 'span_export' || kind === 'span_queue_full' || kind === 'metric_export') && !warnedKinds.has(kind)) {
      warnedKinds.add(kind);
      warn(`telemetry: ${exportLossMessages[kind]} (counted in lessllm_telemetry_dropped_total{lessllm_dropped_kind="${kind}"}, logged once)`);
    }
  };

  if (options.denoBuiltInTelemetry && options.sdkEnabled) {
    warn('OTEL_DENO=true turns on Deno’s built-in OpenTelemetry next to lessllm’s: every call is then exported twice, in differently shaped traces. Unset OTEL_DENO; lessllm exports everything itself.');
  }
  const sdk = options.sdkEnabled ? startSdk(options, reportDrop) : undefined;
  metrics = sdk ? createCallMetrics(sdk.meter, sdk.histograms) : undefined;

  let logWriter: LogWriter | undefined;
  if (options.log) {
    const log = options.log;
    logWriter = new LogWriter(log, () => openLogStore(log.database), { dropped: reportDrop, warn });
    await logWriter.start();
  }

  // With neither the SDK nor a log table nothing would read a call's record: skip making it.
  const observer: TelemetryObserver = !sdk && !logWriter ? { ...noopObserver, finishPending: () => Promise.resolve() } : createObserver({
    sdk,
    metrics,
    logWriter,
    prices: new PriceTable(options.pricingOverrides),
    captureContent: options.captureContent,
    maxContentBytes: options.maxContentBytes,
    maxHeldCalls: options.spanQueueSize,
    maxWaitingTextChars,
    tokenCounter: options.tokenCounter ?? tokenCounter,
    reportDrop,
    warn,
  });

  let shutdownPromise: Promise<void> | undefined;
  return {
    observer,
    async metricsHandler() {
      const headers = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' };
      if (!sdk) return new Response('# OpenTelemetry is disabled (OTEL_SDK_DISABLED=true)\n', { headers });
      try {
        return new Response(await sdk.metricsText(), { headers });
      } catch (error) {
        return new Response(`# metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`, {
          status: 500,
          headers,
        });
      }
    },
    async forceFlush() {
      await observer.finishPending();
      await sdk?.forceFlush();
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        await observer.finishPending();
        // The log table first: rows it has to give up are counted in a metric the SDK then flushes.
        await logWriter?.shutdown(shutdownBudgetMs / 2).catch(() => {});
        // An unreachable collector makes the exporters retry until their timeout; the process must still exit.
        const finished = await settlesWithin(sdk?.shutdown().catch(() => {}), shutdownBudgetMs / 2);
        if (!finished) warn(`telemetry: the OTLP export did not finish within ${shutdownBudgetMs / 2000} s of shutdown; what was pending is lost`);
      })();
      return shutdownPromise;
    },
  };
}

async function settlesWithin(promise: Promise<unknown> | undefined, milliseconds: number): Promise<boolean> {
  if (!promise) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), milliseconds)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
