/**
 * The event loop's side of span export: the records of ended, sampled spans (call-span.ts) go in
 * batches to the span export thread (span-export-worker.ts), which batches, encodes and sends them as
 * the SDK does. A batch leaves when it holds `spansPerMessage` spans or `sendDelayMs` after its first
 * span, whichever comes first.
 *
 * Bounded like the SDK's own queue: spans waiting here, on their way to the thread and in the thread's
 * queue (as it last said) count against the span queue size, and a span beyond it is dropped and
 * counted (span_queue_full), so a stalled thread cannot make the gateway hold spans without limit.
 * The SDK bounds the number of spans only, which bounds no memory when spans carry bodies: with coding
 * agents' requests of 138 KB, the 2,048 spans of a full queue and the calls held back for it took the
 * gateway to 2.3 GB. So the text the spans carry is bounded too (`maxQueuedTextChars`, counted here and
 * by the thread). `hasRoomFor` lets the observer hold finished calls back until there is room, rather
 * than have the thread drop spans it was sent faster than it could export them.
 */
import type { Resource } from '@opentelemetry/resources';
import { assertNever } from '../core/stream-events.ts';
import { encodingFor, WorkerThread } from '../runtime/worker-thread.ts';
import { spanExportWorkerUrl } from '../worker-entries.ts';
import type { OtlpTarget } from './options.ts';
import type { DropReport } from './sdk.ts';
import type { SpanExportNotice, SpanExportRequest, SpanExportWorkerData } from './span-export-worker.ts';
import type { SpanRecord } from './span-record.ts';

/** Two calls' worth of spans per message would mean a message per call; this many keeps it rare. */
const spansPerMessage = 64;
const sendDelayMs = 20;

/**
 * Characters of captured text (bodies, messages) the spans between the observer and the exporter may
 * carry in all: 16 Mi, 32 MB as UTF-16, some 250 calls at the 64 KiB capture cap.
 */
export const maxQueuedTextChars = 16 * 1024 * 1024;

export class SpanExportThread {
  private readonly thread: WorkerThread<SpanExportRequest, void, SpanExportNotice>;
  private readonly queueSize: number;
  private readonly reportDrop: DropReport;
  private buffer: SpanRecord[] = [];
  /** Characters of captured content in the buffered spans: decides how they are sent. */
  private bufferTextChars = 0;
  private inTransit = 0;
  private inTransitTextChars = 0;
  /** Spans in the thread's queue, not yet handed to its exporter, and their text, as of its last notice. */
  private queuedInThread = 0;
  private queuedTextCharsInThread = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { target: OtlpTarget; queueSize: number; resource: Resource; reportDrop: DropReport }) {
    this.queueSize = options.queueSize;
    this.reportDrop = options.reportDrop;
    const workerData: SpanExportWorkerData = {
      target: options.target,
      queueSize: options.queueSize,
      exportAtTextChars: maxQueuedTextChars / 2,
      resource: { attributes: options.resource.attributes, schemaUrl: options.resource.schemaUrl },
    };
    this.thread = new WorkerThread({
      entry: spanExportWorkerUrl,
      workerData,
      name: 'span export',
      onNotice: (notice) => this.heard(notice),
    });
  }

  /**
   * Whether `count` more spans fit the queue now (the observer holds finished calls back while not). The
   * text bound is checked before, not after them: the observer cannot know a call's text before it records
   * it, and one call (five texts of at most `max_content_bytes`) is little next to the bound.
   */
  hasRoomFor(count: number): boolean {
    const queuedTextChars = this.bufferTextChars + this.inTransitTextChars + this.queuedTextCharsInThread;
    return this.buffer.length + this.inTransit + this.queuedInThread + count <= this.queueSize && queuedTextChars < maxQueuedTextChars;
  }

  private heard(notice: SpanExportNotice): void {
    switch (notice.kind) {
      case 'queued':
        this.queuedInThread = notice.count;
        this.queuedTextCharsInThread = notice.textChars;
        return;
      case 'dropped':
        this.reportDrop(notice.reason, notice.count);
        return;
      default:
        assertNever(notice);
    }
  }

  /** `textChars`: the characters of captured content the records carry (bodies, messages). */
  add(records: readonly SpanRecord[], textChars: number): void {
    if (!this.hasRoomFor(records.length)) {
      // All or none, so the content count stays right; the observer waits for room, so this is rare.
      this.reportDrop('span_queue_full', records.length);
      return;
    }
    this.buffer.push(...records);
    this.bufferTextChars += textChars;
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
    const textChars = this.bufferTextChars;
    this.buffer = [];
    this.bufferTextChars = 0;
    this.inTransit += spans.length;
    this.inTransitTextChars += textChars;
    try {
      await this.thread.request({ kind: 'spans', spans }, encodingFor(textChars, spans.length));
    } catch {
      // The thread stopped before it had them (it is started again for the next batch, with an empty queue).
      this.reportDrop('span_export', spans.length);
      this.queuedInThread = 0;
      this.queuedTextCharsInThread = 0;
    } finally {
      this.inTransit -= spans.length;
      this.inTransitTextChars -= textChars;
    }
  }
}
