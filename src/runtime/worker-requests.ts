/**
 * The worker's side of worker-thread.ts: answers each request the event loop sends, one at a time and in
 * order (a request may be asynchronous), and sends notices. Used by the entry modules of the worker
 * threads only.
 */
import { parentPort } from 'node:worker_threads';
import type { ThreadMessage, ThreadRequest } from './worker-thread.ts';

export type RequestPort<Notice> = { notify(notice: Notice): void };

export function serveRequests<Request, Value, Notice = never>(handle: (request: Request) => Value | Promise<Value>): RequestPort<Notice> {
  const port = parentPort;
  if (!port) throw new Error('serveRequests runs in a worker thread (see src/runtime/worker-thread.ts)');
  const send = (message: ThreadMessage<Value, Notice>) => port.postMessage(message);
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (message: string | ThreadRequest<Request>) => {
    const { id, request } = typeof message === 'string' ? (JSON.parse(message) as ThreadRequest<Request>) : message;
    previous = previous.then(async () => {
      try {
        send({ reply: id, ok: true, value: await handle(request) });
      } catch (error) {
        send({ reply: id, ok: false, message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  return { notify: (notice) => send({ notice }) };
}
