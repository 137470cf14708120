/**
 * The span export thread: the OpenTelemetry SDK's BatchSpanProcessor and OTLP/HTTP exporter, fed with
 * the spans the event loop ended (span-record.ts). Encoding a call's spans for OTLP (the request and
 * response bodies are span events) and sending them cost the event loop about 30 µs per call, more than
 * everything else telemetry does together; here it costs the event loop only the copy of each batch.
 *
 * What cannot be delivered is counted and reported to the event loop as a notice, which adds it to
 * lessllm.telemetry.dropped: spans an export failed for (collector down or too slow), and spans refused
 * because the queue was full. The queue count mirrors the batch processor's own: a span enters when it
 * arrives and leaves when its batch is handed to the exporter. The event loop is told the count, and the
 * characters of text the queued spans' events carry (the captured bodies: most of their memory), as they
 * change, so that it sends no more than the queue has room for (span-export-thread.ts).
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes, type DetectedResourceAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { workerData } from 'node:worker_threads';
import { assertNever } from '../core/stream-events.ts';
import { serveRequests } from '../runtime/worker-requests.ts';
import type { OtlpTarget } from './options.ts';
import { readableSpanOf, type SpanRecord } from './span-record.ts';

export type SpanExportWorkerData = {
  target: OtlpTarget;
  queueSize: number;
  /**
   * Queued event text at which the queue is exported without waiting for a full batch or the schedule:
   * spans bounded by their text (span-export-thread.ts) may never make a batch of 512, and waiting 5 s
   * for the schedule each time dropped most of coding agents' spans.
   */
  exportAtTextChars: number;
  resource: { attributes: DetectedResourceAttributes; schemaUrl?: string };
};

export type SpanExportRequest = { kind: 'spans'; spans: SpanRecord[] } | { kind: 'flush' } | { kind: 'shutdown' };

type SpanDropReason = 'span_export' | 'span_queue_full';

/** Spans dropped here, or how many spans (and characters of event text) wait in the queue now. */
export type SpanExportNotice = { kind: 'dropped'; reason: SpanDropReason; count: number } | { kind: 'queued'; count: number; textChars: number };

const { target, queueSize, exportAtTextChars, resource: resourceData } = workerData as SpanExportWorkerData;
const resource = resourceFromAttributes(resourceData.attributes, { schemaUrl: resourceData.schemaUrl });
const scopes = new Map<string, SpanRecord['scope']>();

const port = serveRequests<SpanExportRequest, void, SpanExportNotice>(handle);
const reportDrop = (reason: SpanDropReason, count: number) => port.notify({ kind: 'dropped', reason, count });

const exporterConfig = { url: target.url, headers: target.headers, timeoutMillis: target.timeoutMillis };
const exporter: SpanExporter = target.protocol === 'http/json' ? new OtlpJsonTraceExporter(exporterConfig) : new OtlpProtobufTraceExporter(exporterConfig);
let queued = 0;
let queuedTextChars = 0;
const textCharsOf = new WeakMap<ReadableSpan, number>();
const notifyQueued = () => port.notify({ kind: 'queued', count: queued, textChars: queuedTextChars });
const counting: SpanExporter = {
  export: (spans, resultCallback) => {
    queued = Math.max(0, queued - spans.length);
    for (const span of spans) queuedTextChars -= textCharsOf.get(span) ?? 0;
    queuedTextChars = Math.max(0, queuedTextChars);
    notifyQueued();
    exporter.export(spans, (result: ExportResult) => {
      if (result.code !== ExportResultCode.SUCCESS) reportDrop('span_export', spans.length);
      resultCallback(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
};
const batch = new BatchSpanProcessor(counting, { maxQueueSize: queueSize });

async function handle(request: SpanExportRequest): Promise<void> {
  switch (request.kind) {
    case 'spans': {
      for (const record of request.spans) add(readableSpanOf(record, resource, scopes));
      notifyQueued();
      exportIfMuchText();
      return;
    }
    case 'flush':
      return batch.forceFlush();
    case 'shutdown':
      return batch.shutdown();
    default:
      assertNever(request);
  }
}

let exporting: Promise<void> | undefined;

/**
 * Exports what is queued now when its text is past `exportAtTextChars` (the batch processor's flush;
 * failures are counted by `counting`), and again after, while it still is.
 */
function exportIfMuchText(): void {
  if (exporting || queuedTextChars < exportAtTextChars) return;
  exporting = batch
    .forceFlush()
    .catch(() => {})
    .finally(() => {
      exporting = undefined;
      exportIfMuchText();
    });
}

function add(span: ReadableSpan): void {
  if (queued >= queueSize) reportDrop('span_queue_full', 1);
  else {
    queued++;
    const textChars = eventTextChars(span);
    textCharsOf.set(span, textChars);
    queuedTextChars += textChars;
  }
  batch.onEnd(span);
}

function eventTextChars(span: ReadableSpan): number {
  let chars = 0;
  for (const event of span.events) {
    for (const key in event.attributes) {
      const value = event.attributes[key];
      if (typeof value === 'string') chars += value.length;
    }
  }
  return chars;
}
