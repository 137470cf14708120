/**
 * Work that must not run on the event loop (the synchronous SQLite writes of the log table) runs in a
 * worker thread (node:worker_threads: the same API on Bun, Deno, Node and in the compiled
 * executable). This is the event loop's side: each request goes over as a message and comes back as a
 * settled promise, in order; the thread may also send notices of its own (what it dropped, say).
 *
 * Requests cross as JSON text or as a structured clone, so they must be plain JSON data (no Date, Map or
 * undefined in arrays; NaN arrives as null). The sender picks by what a request carries (`encodingFor`):
 * Bun's structured clone of dozens of small objects (a call's two span records, when spans still went to
 * a thread) cost 15–16 µs of the event loop, JSON.stringify 6–7 µs; but JSON.stringify escapes a long
 * text character by character (340 µs for a coding agent's request body of 138 KB, and as much again for
 * the thread to parse it back), where a clone copies its bytes.
 *
 * The thread starts on the first request and again after it stops; whatever it had not answered fails
 * with the reason instead of hanging. It keeps the process alive only while a request waits for its
 * answer. The other side is worker-requests.ts.
 */
import { Worker } from 'node:worker_threads';

/** What the thread sends: the answer to request `reply`, or a notice. */
export type ThreadMessage<Value, Notice> =
  | { reply: number; ok: true; value: Value }
  | { reply: number; ok: false; message: string }
  | { notice: Notice };

/** What the thread receives, as JSON text or cloned. */
export type ThreadRequest<Request> = { id: number; request: Request };

export type MessageEncoding = 'json' | 'clone';

/** Text per entry (a log row) above which cloning a request is cheaper than JSON (see above). */
const cloneAboveCharsPerEntry = 2048;

/** How to send a request of `entries` small records carrying `textChars` characters of long text in all. */
export function encodingFor(textChars: number, entries: number): MessageEncoding {
  return textChars > entries * cloneAboveCharsPerEntry ? 'clone' : 'json';
}

type Waiting<Value> = { resolve(value: Value): void; reject(error: Error): void };

/** One started worker and the requests it has yet to answer. */
type Running<Value> = { worker: Worker; waiting: Map<number, Waiting<Value>> };

export type WorkerThreadOptions<Notice> = {
  /** The worker's entry module (see src/worker-entries.ts). */
  entry: URL;
  /** Given to the worker as `workerData` each time it starts. */
  workerData: unknown;
  /** Used in error messages: "the {name} thread stopped: …". */
  name: string;
  onNotice?(notice: Notice): void;
};

export class WorkerThread<Request, Value = void, Notice = never> {
  private readonly options: WorkerThreadOptions<Notice>;
  private running: Running<Value> | undefined;
  private nextId = 1;

  constructor(options: WorkerThreadOptions<Notice>) {
    this.options = options;
  }

  request(request: Request, encoding: MessageEncoding = 'json'): Promise<Value> {
    const { worker, waiting } = (this.running ??= this.start());
    const id = this.nextId++;
    const message: ThreadRequest<Request> = { id, request };
    return new Promise((resolve, reject) => {
      try {
        worker.postMessage(encoding === 'json' ? JSON.stringify(message) : message);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (waiting.size === 0) worker.ref();
      waiting.set(id, { resolve, reject });
    });
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.worker.terminate();
  }

  private start(): Running<Value> {
    const worker = new Worker(this.options.entry, { workerData: this.options.workerData });
    const running: Running<Value> = { worker, waiting: new Map() };
    worker.unref();
    worker.on('message', (message: ThreadMessage<Value, Notice>) => {
      if ('notice' in message) {
        this.options.onNotice?.(message.notice);
        return;
      }
      const waiting = running.waiting.get(message.reply);
      if (!waiting) return;
      running.waiting.delete(message.reply);
      if (running.waiting.size === 0) worker.unref();
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new Error(message.message));
    });
    const stopped = (reason: string) => {
      if (this.running === running) this.running = undefined;
      const error = new Error(`the ${this.options.name} thread stopped: ${reason}`);
      for (const waiting of running.waiting.values()) waiting.reject(error);
      running.waiting.clear();
    };
    worker.on('error', (error) => stopped(error instanceof Error ? error.message : String(error)));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    return running;
  }
}
