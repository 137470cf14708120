/**
 * The event loop's side of the SQLite writer thread (sqlite-worker.ts): requests go over as messages and
 * come back as settled promises. The thread is started on the first request and again after it stops
 * (what it was still working on fails, and the writer retries it); it keeps the process alive only
 * while a request is waiting for its answer.
 */
import { Worker } from 'node:worker_threads';
import { sqliteLogWorkerUrl } from '../../worker-entries.ts';
import type { SqliteReply, SqliteRequest, SqliteWorkerData } from './sqlite-worker.ts';

/** A request without its id, member by member of the union. */
type Request = SqliteRequest extends infer Member ? (Member extends SqliteRequest ? Omit<Member, 'id'> : never) : never;

type Waiting = { resolve(): void; reject(error: Error): void };

/** One started worker and the requests it has yet to answer. */
type Running = { worker: Worker; waiting: Map<number, Waiting> };

export class SqliteThread {
  private readonly workerData: SqliteWorkerData;
  private running: Running | undefined;
  private nextId = 1;

  constructor(workerData: SqliteWorkerData) {
    this.workerData = workerData;
  }

  request(request: Request): Promise<void> {
    const { worker, waiting } = (this.running ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      try {
        worker.postMessage({ ...request, id } as SqliteRequest);
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

  private start(): Running {
    const worker = new Worker(sqliteLogWorkerUrl, { workerData: this.workerData });
    const running: Running = { worker, waiting: new Map() };
    worker.unref();
    worker.on('message', (reply: SqliteReply) => {
      const waiting = running.waiting.get(reply.id);
      if (!waiting) return;
      running.waiting.delete(reply.id);
      if (running.waiting.size === 0) worker.unref();
      if (reply.ok) waiting.resolve();
      else waiting.reject(new Error(reply.message));
    });
    const stopped = (reason: string) => {
      if (this.running === running) this.running = undefined;
      const error = new Error(`the SQLite log thread stopped: ${reason}`);
      for (const waiting of running.waiting.values()) waiting.reject(error);
      running.waiting.clear();
    };
    worker.on('error', (error) => stopped(error instanceof Error ? error.message : String(error)));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    return running;
  }
}
