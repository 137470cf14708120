/**
 * Span export: the batch span processor's queue and schedule, with spans encoded for OTLP when they are
 * added (span-batch.ts), and OpenTelemetry JS's OTLP/HTTP export delegate (retries with backoff,
 * Retry-After, timeouts, compression, headers, partial-success warnings) to send each batch
 * (span-transport.ts: over `fetch` on Bun, `node:http` elsewhere).
 *
 * Why not the SDK's BatchSpanProcessor and exporter: they take the SDK's span objects and encode 512 of
 * them at once when a batch leaves, which held the event loop for milliseconds; moved to a worker
 * thread, that work still cost some 35 µs of CPU per call (the records' trip to the thread as JSON, the
 * span objects rebuilt there, the SDK's encoder) — more than all the rest of telemetry. Here a call's
 * spans are encoded straight from their records (a few µs), and a batch leaves as one copy of its bytes.
 *
 * As the SDK's processor: a batch leaves when it holds `batchSize` spans (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)
 * or `scheduleDelayMs` after its first span (OTEL_BSP_SCHEDULE_DELAY), one export at a time, each given
 * up after `exportTimeoutMs` (OTEL_BSP_EXPORT_TIMEOUT); spans waiting beyond `queueSize`
 * (OTEL_BSP_MAX_QUEUE_SIZE) are dropped and counted (span_queue_full), as are the spans of a failed
 * export (span_export). Unlike it, what waits is bounded by its bytes too: a coding agent's call carries
 * hundreds of KB of captured text, and 2,048 such spans are hundreds of MB. A batch leaves early once it
 * holds `maxBatchBytes`, which also keeps single requests within what collectors accept.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { JsonTraceSerializer, ProtobufTraceSerializer, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpTarget } from '../options.ts';
import type { DropReport } from '../sdk.ts';
import { unrefTimer } from '../../runtime/unref-timer.ts';
import type { ResourceRecord, ScopeRecord, SpanRecord } from '../span-record.ts';
import { spanBatchFactory, type SpanBatch, type SpanBatchFactory } from './span-batch.ts';
import { createSpanExportDelegate } from './span-transport.ts';

/** Bytes of encoded spans waiting or being exported at most: some 100 coding agents' calls at the 64 KiB capture cap. */
export const maxQueuedSpanBytes = 32 * 1024 * 1024;

/** A batch leaves once it is this big, whatever its span count. */
const maxBatchBytes = 4 * 1024 * 1024;

export type SpanExporterOptions = {
  target: OtlpTarget;
  resource: ResourceRecord;
  scope: ScopeRecord;
  queueSize: number;
  batchSize: number;
  scheduleDelayMs: number;
  exportTimeoutMs: number;
  reportDrop: DropReport;
};

/** What the transport is handed: the encoded request, and its span count for the SDK's exporter metrics. */
type EncodedRequest = { body: Uint8Array; spanCount: number };

export class SpanExporter {
  private readonly options: SpanExporterOptions;
  private readonly newBatch: SpanBatchFactory;
  private readonly transport: IOtlpExportDelegate<EncodedRequest>;
  private open: SpanBatch | undefined;
  /** Full batches, oldest first, waiting for the export before them. */
  private readonly waiting: SpanBatch[] = [];
  /** Spans in `open` and `waiting`: the SDK's queue, which a batch leaves when its export starts. */
  private queuedSpans = 0;
  /** Bytes of `open`, `waiting` and the batch being exported. */
  private queuedBytes = 0;
  private exporting = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Batches closed so far, and exports finished so far: a flush waits for the second to reach the first. */
  private closedBatches = 0;
  private finishedExports = 0;
  private readonly exportFinished: Array<() => void> = [];
  private isShutDown = false;

  constructor(options: SpanExporterOptions) {
    this.options = options;
    this.newBatch = spanBatchFactory(options.target.protocol, options.resource, options.scope);
    const json = options.target.protocol === 'http/json';
    const sdkSerializer = json ? JsonTraceSerializer : ProtobufTraceSerializer;
    const serializer: ISerializer<EncodedRequest, IExportTraceServiceResponse> = {
      serializeRequest: (request) => request.body,
      deserializeResponse: (data) => sdkSerializer.deserializeResponse(data),
    };
    this.transport = createSpanExportDelegate(options.target, serializer, (request) => request.spanCount);
  }

  /** Whether `count` more spans fit now (the observer holds finished calls back while not). */
  hasRoomFor(count: number): boolean {
    return this.queuedSpans + count <= this.options.queueSize && this.queuedBytes < maxQueuedSpanBytes;
  }

  /** Encodes a call's spans into the open batch, or drops and counts them all when there is no room. */
  add(records: readonly SpanRecord[]): void {
    if (this.isShutDown) return;
    if (!this.hasRoomFor(records.length)) {
      this.options.reportDrop('span_queue_full', records.length);
      return;
    }
    for (const record of records) {
      const batch = (this.open ??= this.newBatch());
      const sizeBefore = batch.size;
      batch.add(record);
      this.queuedBytes += batch.size - sizeBefore;
      this.queuedSpans++;
      if (batch.spanCount >= this.options.batchSize || batch.size >= maxBatchBytes) this.closeOpenBatch();
    }
    this.startExports();
  }

  /** Exports everything added so far; resolves when those exports have finished (delivered or counted lost). */
  async forceFlush(): Promise<void> {
    this.closeOpenBatch();
    const target = this.closedBatches;
    this.startExports();
    while (this.finishedExports < target) await new Promise<void>((resolve) => this.exportFinished.push(resolve));
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.isShutDown = true;
    await this.transport.shutdown();
  }

  private closeOpenBatch(): void {
    if (!this.open) return;
    this.waiting.push(this.open);
    this.open = undefined;
    this.closedBatches++;
  }

  /** Starts the next export if none is running: a full batch at once, the open one after the schedule delay. */
  private startExports(): void {
    if (this.exporting) return;
    const batch = this.waiting.shift();
    if (batch) {
      this.clearTimer();
      void this.export(batch);
    } else if (this.open && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.closeOpenBatch();
        this.startExports();
      }, this.options.scheduleDelayMs);
      // Spans waiting for their schedule must not keep the process alive: shutdown flushes them.
      unrefTimer(this.timer);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async export(batch: SpanBatch): Promise<void> {
    this.exporting = true;
    this.queuedSpans -= batch.spanCount;
    const size = batch.size;
    try {
      const outcome = await this.send({ body: batch.request(), spanCount: batch.spanCount });
      if (outcome !== 'delivered') this.options.reportDrop('span_export', batch.spanCount);
      // After a timeout the transport may still hold the request (a retry): its buffer is not reused then.
      if (outcome !== 'timed out') batch.release();
    } finally {
      this.queuedBytes -= size;
      this.exporting = false;
      this.finishedExports++;
      for (const resolve of this.exportFinished.splice(0)) resolve();
      this.startExports();
    }
  }

  private send(request: EncodedRequest): Promise<'delivered' | 'failed' | 'timed out'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timed out'), this.options.exportTimeoutMs);
      try {
        this.transport.export(request, (result) => {
          clearTimeout(timer);
          resolve(result.code === ExportResultCode.SUCCESS ? 'delivered' : 'failed');
        });
      } catch {
        clearTimeout(timer);
        resolve('failed');
      }
    });
  }
}
