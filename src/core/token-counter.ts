/**
 * Token counts off the event loop. Counting is CPU work, about 90 ns a token, and the first count of a
 * process loads the tokenizer's tables (0.2–0.4 s): on the event loop, every stream in flight waited for
 * both. Here the counts asked for in one turn of the event loop cross to a thread of their own together,
 * as one message (token-count-worker.ts), and come back as promises. Only texts the event loop has no kept
 * count for cross (token-count.ts keeps those of long texts): an agent's conversation, sent again every
 * turn, crosses once, not its 138 KB each time.
 *
 * The event loop counts itself, as it did before the thread, in two cases: when the thread cannot run
 * (it failed to start, or stopped; the first failure is reported), and when more text already waits to
 * be counted than the thread gets through in about a tenth of a second. Then the traffic that sends
 * uncounted texts faster than they can be counted slows down, instead of the texts waiting for the thread
 * growing without bound. A count is never dropped or guessed.
 */
import { encodingFor, WorkerThread } from '../runtime/worker-thread.ts';
import { tokenCountWorkerUrl } from '../worker-entries.ts';
import { countTokenTexts, keepTextCount, keptTextCount, type TokenTexts } from './token-count.ts';

export type TokenCounter = { count(texts: TokenTexts): Promise<number> };

export type ThreadTokenCounterOptions = {
  /** The thread's entry module; tests give a broken one. */
  entry?: URL;
  /** Characters waiting for the thread beyond which the event loop counts (a tenth of a second of counting or so). */
  maxWaitingChars?: number;
  /** Told once, when the thread fails and the event loop takes over. */
  warn?(message: string): void;
};

/** A count waiting for the thread: the texts sent, and the tokens known without them. */
type Waiting = { texts: string[]; known: number; resolve(count: number): void; reject(error: unknown): void };

export class ThreadTokenCounter implements TokenCounter {
  private readonly thread: WorkerThread<string[][], number[][]>;
  private readonly maxWaitingChars: number;
  private readonly warn: (message: string) => void;
  /** Counts asked for in this turn, sent together at its end. */
  private batch: Waiting[] = [];
  private batchChars = 0;
  /** Characters sent or about to be sent that the thread has not answered for. */
  private waitingChars = 0;
  /** The thread failed or was stopped: the event loop counts from now on. */
  private countsHere = false;

  constructor(options: ThreadTokenCounterOptions = {}) {
    this.thread = new WorkerThread({ entry: options.entry ?? tokenCountWorkerUrl, workerData: undefined, name: 'token count' });
    this.maxWaitingChars = options.maxWaitingChars ?? 4 * 1024 * 1024;
    this.warn = options.warn ?? ((message) => process.stderr.write(`lessllm: ${message}\n`));
  }

  count({ texts, fixedTokens }: TokenTexts): Promise<number> {
    // Long texts counted before (a conversation's earlier turns) are not sent again.
    let known = fixedTokens;
    const unknown: string[] = [];
    let chars = 0;
    for (const text of texts) {
      const kept = keptTextCount(text);
      if (kept !== undefined) known += kept;
      else if (text.length > 0) {
        unknown.push(text);
        chars += text.length;
      }
    }
    if (unknown.length === 0) return Promise.resolve(known);
    if (this.countsHere || (this.waitingChars > 0 && this.waitingChars + chars > this.maxWaitingChars)) {
      return new Promise((resolve, reject) => countHere({ texts: unknown, known, resolve, reject }));
    }
    this.waitingChars += chars;
    this.batchChars += chars;
    return new Promise((resolve, reject) => {
      this.batch.push({ texts: unknown, known, resolve, reject });
      if (this.batch.length === 1) queueMicrotask(() => this.send());
    });
  }

  /** Stops the thread; what it had not answered is counted on the event loop. */
  stop(): Promise<void> {
    this.countsHere = true;
    return this.thread.stop();
  }

  private send(): void {
    const batch = this.batch;
    const chars = this.batchChars;
    this.batch = [];
    this.batchChars = 0;
    this.thread.request(batch.map((waiting) => waiting.texts), encodingFor(chars, batch.length)).then(
      (counts) => {
        this.waitingChars -= chars;
        batch.forEach((waiting, index) => {
          let total = waiting.known;
          waiting.texts.forEach((text, textIndex) => {
            const count = counts[index]![textIndex]!;
            keepTextCount(text, count);
            total += count;
          });
          waiting.resolve(total);
        });
      },
      (error: unknown) => {
        this.waitingChars -= chars;
        if (!this.countsHere) {
          this.countsHere = true;
          this.warn(`the token count thread failed, so tokens are counted on the event loop from now on: ${error instanceof Error ? error.message : String(error)}`);
        }
        for (const waiting of batch) countHere(waiting);
      },
    );
  }
}

function countHere(waiting: Waiting): void {
  try {
    waiting.resolve(countTokenTexts({ texts: waiting.texts, fixedTokens: waiting.known }));
  } catch (error) {
    waiting.reject(error);
  }
}

/** The process's one counting thread, shared by telemetry's usage estimates and count_tokens: one tokenizer in memory. */
export const tokenCounter: TokenCounter = new ThreadTokenCounter();
