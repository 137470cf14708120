/**
 * Writes log rows in the background: a bounded in-memory queue (in rows, and in characters of the bodies
 * they hold), drained in batches at most every `flushIntervalMs` (sooner once a batch is full). A call
 * only ever pushes onto the queue, so a slow, locked or unreachable database never slows a stream. When the queue is full new rows are dropped and
 * counted; a batch that fails is retried, and dropped (counted) after a few failures. Each kind of
 * trouble is logged once until writing works again (a full queue: until the queue has caught up).
 */
import type { LogTableOptions } from '../options.ts';
import type { LogStore } from './log-store.ts';
import { rowTextChars, type LogRow } from './row.ts';

export type LogWriterReports = {
  dropped(kind: 'log_queue_full' | 'log_write', count: number): void;
  warn(message: string): void;
};

/** A batch that failed this many times in a row is given up, so one bad row cannot block the queue. */
const attemptsPerBatch = 3;

export class LogWriter {
  private readonly queue: LogRow[] = [];
  private queuedTextChars = 0;
  private readonly options: LogTableOptions;
  private readonly openStore: () => Promise<LogStore>;
  private readonly reports: LogWriterReports;
  private store: LogStore | undefined;
  private opening: Promise<LogStore> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerIsImmediate = false;
  private draining: Promise<void> | undefined;
  private failedAttempts = 0;
  private readonly warned = new Set<string>();
  private closed = false;

  constructor(options: LogTableOptions, openStore: () => Promise<LogStore>, reports: LogWriterReports) {
    this.options = options;
    this.openStore = openStore;
    this.reports = reports;
  }

  /** Opens the database and applies migrations now, so a misconfiguration is reported at start. */
  async start(): Promise<void> {
    try {
      await this.readyStore();
    } catch (error) {
      this.warnOnce('open', `log table: cannot open ${describeDatabase(this.options)}: ${messageOf(error)}; will retry`);
    }
  }

  enqueue(row: LogRow): void {
    if (this.closed) return;
    const textChars = rowTextChars(row);
    const textFull = this.queue.length > 0 && this.queuedTextChars + textChars > this.options.queueTextLimit;
    if (this.queue.length >= this.options.queueLimit || textFull) {
      this.reports.dropped('log_queue_full', 1);
      this.warnOnce(
        'queue',
        `log table: queue full (${this.options.queueLimit} rows or ${this.options.queueTextLimit} characters of bodies), the database is not keeping up; dropping rows (counted in lessllm_telemetry_dropped_total)`,
      );
      return;
    }
    this.queue.push(row);
    this.queuedTextChars += textChars;
    this.schedule();
  }

  /** Writes what is queued (bounded by `deadlineMs`), then closes the database. */
  async shutdown(deadlineMs = 5_000): Promise<void> {
    this.closed = true;
    this.clearTimer();
    const deadline = Date.now() + deadlineMs;
    await this.draining;
    // A failing batch is dropped after a few attempts, so this ends even with the database gone.
    while (this.queue.length > 0 && Date.now() < deadline) await this.drain();
    if (this.queue.length > 0) {
      this.reports.dropped('log_write', this.queue.length);
      this.reports.warn(`log table: ${this.queue.length} rows could not be written before shutdown`);
      this.queue.length = 0;
      this.queuedTextChars = 0;
    }
    await this.store?.close().catch(() => {});
    this.store = undefined;
  }

  private schedule(): void {
    if (this.draining) return; // the running drain picks the new row up
    const full = this.queue.length >= this.options.batchSize;
    if (this.timer !== undefined && (this.timerIsImmediate || !full)) return;
    this.clearTimer();
    this.timerIsImmediate = full;
    this.timer = setTimeout(() => this.startDrain(), full ? 0 : this.options.flushIntervalMs);
  }

  private startDrain(): void {
    this.timer = undefined;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && !this.closed) {
        // After a failure, wait a full interval before trying again.
        this.clearTimer();
        this.timerIsImmediate = false;
        this.timer = setTimeout(() => this.startDrain(), this.failedAttempts > 0 ? this.options.flushIntervalMs : 0);
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.batchSize);
      try {
        const store = await this.readyStore();
        await store.insert(batch);
      } catch (error) {
        this.failedAttempts++;
        this.warnOnce('write', `log table: writing to ${describeDatabase(this.options)} failed: ${messageOf(error)}; will retry`);
        if (this.failedAttempts >= attemptsPerBatch) {
          this.removeWritten(batch.length);
          this.reports.dropped('log_write', batch.length);
          this.failedAttempts = 0;
        }
        return;
      }
      this.removeWritten(batch.length);
      this.failedAttempts = 0;
      this.warned.delete('open');
      this.warned.delete('write');
    }
    // A full queue is reported again only once it has caught up: under a sustained overload, once.
    this.warned.delete('queue');
  }

  private removeWritten(count: number): void {
    for (const row of this.queue.splice(0, count)) this.queuedTextChars -= rowTextChars(row);
  }

  private async readyStore(): Promise<LogStore> {
    if (this.store) return this.store;
    this.opening ??= (async () => {
      const store = await this.openStore();
      try {
        await store.migrate();
      } catch (error) {
        await store.close().catch(() => {});
        throw error;
      }
      return store;
    })();
    try {
      this.store = await this.opening;
      return this.store;
    } finally {
      this.opening = undefined;
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.reports.warn(message);
  }
}

function describeDatabase(options: LogTableOptions): string {
  const database = options.database;
  if (database.kind === 'sqlite') return `sqlite:${database.path}`;
  // Never print the password of a postgres:// URL.
  try {
    const url = new URL(database.url);
    url.password = '';
    return url.toString();
  } catch {
    return 'postgres';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
