/**
 * The one loop every streaming response runs through: read from a source (upstream bytes, or the mock's
 * events), let the route turn each input into output bytes, and hand them to the client. It owns the
 * edge cases that each route would otherwise get subtly wrong:
 * - the source failing mid-stream (a connection reset) → the route writes an in-band error, then the end;
 * - the client going away → the source is cancelled at once (which aborts the upstream request);
 * - exactly one `onFinish`, with bytes and chunks.
 */
import type { ChunkSource } from './chunk-source.ts';

export type RelayOutput = {
  /** Sends bytes to the client now. */
  enqueue(bytes: Uint8Array): void;
  /** Sends text (UTF-8 encoded) to the client now. */
  enqueueText(text: string): void;
};

export type RelayFinish = {
  cancelled: boolean;
  bytes: number;
  /** Number of enqueue calls: SSE events for converted streams, network chunks for passthrough. */
  chunks: number;
};

export type RelayHandlers<Input> = {
  /** Handles one input. Returning 'stop' ends the response after what was enqueued (e.g. after an error). */
  onInput(input: Input, output: RelayOutput): 'continue' | 'stop';
  /** The source ended normally. */
  onSourceEnd(output: RelayOutput): void;
  /** Reading the source failed; write the error in the client's protocol. */
  onSourceError(error: unknown, output: RelayOutput): void;
  /** Exactly once, when the response is complete or the client has gone. */
  onFinish(finish: RelayFinish): void;
};

const encoder = new TextEncoder();

export function relayStream<Input>(source: ReadableStream<Input> | ChunkSource<Input>, handlers: RelayHandlers<Input>): ReadableStream<Uint8Array> {
  const reader: ChunkSource<Input> = source instanceof ReadableStream ? source.getReader() : source;
  let bytes = 0;
  let chunks = 0;
  let finished = false;
  let wroteSomething = false;

  const finish = (cancelled: boolean) => {
    if (finished) return;
    finished = true;
    handlers.onFinish({ cancelled, bytes, chunks });
  };

  let output: RelayOutput;

  return new ReadableStream<Uint8Array>({
    start(controller) {
      // One output for the whole stream (not one per chunk): the controller never changes.
      output = {
        enqueue(chunk) {
          bytes += chunk.byteLength;
          chunks++;
          wroteSomething = true;
          controller.enqueue(chunk);
        },
        enqueueText(text) {
          output.enqueue(encoder.encode(text));
        },
      };
    },
    async pull(controller) {
      // A pull must enqueue something or end the stream, or the stream waits forever for the next
      // pull: inputs that produce no output (pings, block stops) are consumed in this loop.
      wroteSomething = false;
      while (!wroteSomething && !finished) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          reader.readSettled?.();
          if (finished) return;
          handlers.onSourceError(error, output);
          controller.close();
          finish(false);
          return;
        }
        reader.readSettled?.();
        if (finished) return;
        if (result.done) {
          handlers.onSourceEnd(output);
          controller.close();
          finish(false);
          return;
        }
        const verdict = handlers.onInput(result.value, output);
        if (verdict === 'stop') {
          reader.cancel().catch(() => {});
          controller.close();
          finish(false);
          return;
        }
      }
    },
    cancel() {
      // The client disconnected: stop reading, which aborts the upstream request.
      finish(true);
      reader.cancel().catch(() => {});
    },
  });
}
