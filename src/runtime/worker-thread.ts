/**
 * Work that must not run on the event loop (the synchronous SQLite writes of the log table) runs in a
 * worker thread (node:worker_threads: the same API on Bun, Deno, Node and in the compiled
 * executable). This is the event loop's side: each request goes over as a message and comes back as a
 * settled promise, in order; the thread may also send notices of its own (what it dropped, say).
 *
 * Requests cross as JSON text or as a structured clone, so they must be plain JSON data (no Date, Map or
 * undefined in arrays; NaN arrives as null). The sender picks by what a request carries and the runtime
 * (`encodingFor`). For the log table's rows (arrays of numbers and strings) a clone costs Bun less than
 * JSON text, which escapes every quote of the captured bodies and is parsed back: 2.5–2.9 µs of CPU per row
 * for both threads against 5.5–6.1 (batches of 100 hello-call rows to a thread that only reads them);
 * `test/bench/log-insert.ts`, 100 rows per transaction, 16.9 → 12.2 µs per row on Bun, 19.5 → 17.7 on
 * Node, but 24 → 31 on Deno, whose clone of small rows is slower: Deno clones only rows that carry long
 * texts, where JSON.stringify escaping a coding agent's 138 KB body character by character (340 µs, and as
 * much again to parse it back) is what a clone avoids.
 *
 * The thread starts on the first request and again after it stops; whatever it had not answered fails
 * with the reason instead of hanging. It keeps the process alive only while a request waits for its
 * answer. The other side is worker-requests.ts.
 */
import { Worker } from 'node:worker_threads';
import { currentRuntime } from './current-runtime.ts';

/** What the thread sends: the answer to request `reply`, or a notice. */
export type ThreadMessage<Value, Notice> =
  | { reply: number; ok: true; value: Value }
  | { reply: number; ok: false; message: string }
  | { notice: Notice };

/** What the thread receives, as JSON text or cloned. */
export type ThreadRequest<Request> = { id: number; request: Request };

export type MessageEncoding = 'json' | 'clone';

/** Text per entry (a log row) above which cloning a request is cheaper than JSON on Deno (see above). */
const cloneAboveCharsPerEntry = 2048;

const clonesSmallRecordsSlowly = currentRuntime() === 'deno';

/** How to send a request of `entries` small records carrying `textChars` characters of long text in all. */
export function encodingFor(textChars: number, entries: number): MessageEncoding {
  if (!clonesSmallRecordsSlowly) return 'clone';
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
