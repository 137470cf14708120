/**
 * The event loop's side of span export: the records of ended, sampled spans (call-span.ts) go in
 * batches to the span export thread (span-export-worker.ts), which batches, encodes and sends them as
 * the SDK does. A batch leaves when
 * it holds `spansPerMessage` spans or `sendDelayMs` after its first span, whichever comes first.
 *
 * Bounded like the SDK's own queue: spans waiting here or on their way to the thread count against
 * the span queue size, and a span beyond it is dropped and counted (span_queue_full), so a stalled
 * thread cannot make the gateway hold spans without limit.
 */
import type { Resource } from '@opentelemetry/resources';
import { WorkerThread } from '../runtime/worker-thread.ts';
import { spanExportWorkerUrl } from '../worker-entries.ts';
import type { OtlpTarget } from './options.ts';
import type { DropReport } from './sdk.ts';
import type { SpanDropNotice, SpanExportRequest, SpanExportWorkerData } from './span-export-worker.ts';
import type { SpanRecord } from './span-record.ts';

/** Two calls' worth of spans per message would mean a message per call; this many keeps it rare. */
const spansPerMessage = 64;
const sendDelayMs = 20;

export class SpanExportThread {
  private readonly thread: WorkerThread<SpanExportRequest, void, SpanDropNotice>;
  private readonly queueSize: number;
  private readonly reportDrop: DropReport;
  private buffer: SpanRecord[] = [];
  private inTransit = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { target: OtlpTarget; queueSize: number; resource: Resource; reportDrop: DropReport }) {
    this.queueSize = options.queueSize;
    this.reportDrop = options.reportDrop;
    const workerData: SpanExportWorkerData = {
      target: options.target,
      queueSize: options.queueSize,
      resource: { attributes: options.resource.attributes, schemaUrl: options.resource.schemaUrl },
    };
    this.thread = new WorkerThread({
      entry: spanExportWorkerUrl,
      workerData,
      name: 'span export',
      onNotice: (notice) => this.reportDrop(notice.kind, notice.count),
    });
  }

  /** Whether `count` more spans fit the queue now (the observer holds finished calls back while not). */
  hasRoomFor(count: number): boolean {
    return this.buffer.length + this.inTransit + count <= this.queueSize;
  }

  add(records: readonly SpanRecord[]): void {
    for (const record of records) {
      if (this.hasRoomFor(1)) this.buffer.push(record);
      else this.reportDrop('span_queue_full', 1);
    }
    if (this.buffer.length >= spansPerMessage) void this.send();
    else if (this.timer === undefined && this.buffer.length > 0) {
      this.timer = setTimeout(() => void this.send(), sendDelayMs);
      // Spans waiting to be sent must not keep the process alive: shutdown flushes them.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  async forceFlush(): Promise<void> {
    await this.send();
    await this.thread.request({ kind: 'flush' }).catch(() => {});
  }

  async shutdown(): Promise<void> {
    await this.send();
    await this.thread.request({ kind: 'shutdown' }).catch(() => {});
    await this.thread.stop();
  }

  private async send(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const spans = this.buffer;
    this.buffer = [];
    this.inTransit += spans.length;
    try {
      await this.thread.request({ kind: 'spans', spans });
    } catch {
      // The thread stopped before it had them (it is started again for the next batch).
      this.reportDrop('span_export', spans.length);
    } finally {
      this.inTransit -= spans.length;
    }
  }
}
