/** What the relay loop reads from: a stream's reader, or one that replays an already-read first chunk. */
import type { CallDeadlines } from './call-deadlines.ts';

export type ChunkSource<Chunk> = {
  read(): ReturnType<ReadableStreamDefaultReader<Chunk>['read']>;
  cancel(reason?: unknown): Promise<void>;
  /** Called by the reader as each read resolves (no second promise per chunk just to note the time). */
  chunkArrived?(): void;
};

/**
 * The upstream body after its first chunk was read (to know the stream really started before the
 * client's response did): replays that chunk, then reads on; every chunk that arrives is noted, so the
 * idle timeout sees the stream move.
 */
export function upstreamBodySource(first: Uint8Array, rest: ReadableStreamDefaultReader<Uint8Array>, deadlines: CallDeadlines): ChunkSource<Uint8Array> {
  let pending: Uint8Array | undefined = first;
  return {
    read() {
      if (pending === undefined) return rest.read();
      const value = pending;
      pending = undefined;
      return Promise.resolve({ done: false, value });
    },
    cancel: (reason) => rest.cancel(reason),
    chunkArrived: () => deadlines.onChunk(),
  };
}
