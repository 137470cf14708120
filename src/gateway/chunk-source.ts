/** What the relay loop reads from: a stream's reader, or one that replays an already-read first chunk. */
import type { CallDeadlines } from './call-deadlines.ts';

export type ChunkSource<Chunk> = {
  read(): ReturnType<ReadableStreamDefaultReader<Chunk>['read']>;
  cancel(reason?: unknown): Promise<void>;
};

/**
 * The upstream body after its first chunk was read (to know the stream really started before the
 * client's response did): replays that chunk, then reads on, telling the deadlines about every chunk
 * so the idle timeout sees the stream move.
 */
export function upstreamBodySource(first: Uint8Array, rest: ReadableStreamDefaultReader<Uint8Array>, deadlines: CallDeadlines): ChunkSource<Uint8Array> {
  let pending: Uint8Array | undefined = first;
  return {
    async read() {
      if (pending !== undefined) {
        const value = pending;
        pending = undefined;
        return { done: false, value };
      }
      const result = await rest.read();
      deadlines.onChunk();
      return result;
    },
    cancel: (reason) => rest.cancel(reason),
  };
}
