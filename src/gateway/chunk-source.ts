/** What the relay loop reads from: a stream's reader, or one that replays an already-read first chunk. */

export type ChunkSource<Chunk> = {
  read(): ReturnType<ReadableStreamDefaultReader<Chunk>['read']>;
  cancel(reason?: unknown): Promise<void>;
  /** Called by the reader as each read settles: a chunk, the end or a failure (no second promise per chunk just to note the time). */
  readSettled?(): void;
};

/**
 * The upstream body after its first chunk was read (to know the stream really started before the
 * client's response did): replays that chunk, then reads on; `readSettled` hears of every read (the idle
 * timeout sees the stream move, the overhead measure when the upstream last spoke).
 */
export function upstreamBodySource(first: Uint8Array, rest: ReadableStreamDefaultReader<Uint8Array>, readSettled: () => void): ChunkSource<Uint8Array> {
  let pending: Uint8Array | undefined = first;
  return {
    read() {
      if (pending === undefined) return rest.read();
      const value = pending;
      pending = undefined;
      return Promise.resolve({ done: false, value });
    },
    cancel: (reason) => rest.cancel(reason),
    readSettled,
  };
}
