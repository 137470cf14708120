/**
 * Bun's garbage-collector log: started with BUN_JSC_logGC=1, JavaScriptCore writes one line per
 * collection to stderr, naming the heap (`GC<0x…>`), its size before and after (`START M 35610kb => …
 * => 21751kb`) and its pause (`p=1.88ms`). Read from a gateway's stderr by the tools that count
 * collections beside their load (cpu-by-thread.ts, latency-tails.ts).
 *
 * Every worker thread has a heap of its own (lessllm's SQLite log writer has one), which collects beside
 * the event loop without pausing it, and logs to the same stderr: so the collections are told apart by
 * heap. The event loop's heap is the one that collected the most bytes in the stretch: under load it
 * collects ten times as much as the log writer's (about 19 against 1.5 KB per non-streaming request with
 * full telemetry).
 */
import type { ChildHandle } from './processes.ts';

export const gcLogEnvironment = { BUN_JSC_logGC: '1' };

/** One heap's collections in a stretch of the log. */
export type HeapCollections = {
  count: number;
  pauseMs: number;
  pausesMs: number[];
  /**
   * What the collections freed: the heap's size before each, less its size after. A young collection frees
   * what died young; what was promoted first is freed by a full collection, perhaps outside the stretch.
   */
  collectedKb: number;
};

/** The event loop's collections in a stretch of the log, and those of every other heap (worker threads) together. */
export function collectionsIn(log: string): { eventLoop: HeapCollections; otherHeaps: HeapCollections } {
  const heaps = new Map<string, HeapCollections>();
  for (const match of log.matchAll(/GC<(0x[0-9a-f]+)>: START M (\d+)kb => \w+Collection\b.*? => (\d+)kb, p=([\d.]+) ?ms/g)) {
    const [, heap, beforeKb, afterKb, pauseMs] = match;
    let collections = heaps.get(heap);
    if (!collections) heaps.set(heap, (collections = emptyCollections()));
    collections.count++;
    collections.pauseMs += Number(pauseMs);
    collections.pausesMs.push(Number(pauseMs));
    collections.collectedKb += Math.max(0, Number(beforeKb) - Number(afterKb));
  }
  let eventLoop: HeapCollections | undefined;
  for (const collections of heaps.values()) if (eventLoop === undefined || collections.collectedKb > eventLoop.collectedKb) eventLoop = collections;
  eventLoop ??= emptyCollections();
  const otherHeaps = emptyCollections();
  for (const collections of heaps.values()) {
    if (collections === eventLoop) continue;
    otherHeaps.count += collections.count;
    otherHeaps.pauseMs += collections.pauseMs;
    otherHeaps.pausesMs.push(...collections.pausesMs);
    otherHeaps.collectedKb += collections.collectedKb;
  }
  return { eventLoop, otherHeaps };
}

function emptyCollections(): HeapCollections {
  return { count: 0, pauseMs: 0, pausesMs: [], collectedKb: 0 };
}

/**
 * Everything the gateway writes to stderr from now on (its GC log, a line per collection), read here
 * rather than from the handle's bounded copy; empty `text` to start a new stretch.
 */
export function gcLogOf(gateway: ChildHandle | undefined): { text: string } {
  const log = { text: '' };
  gateway?.child.stderr?.on('data', (piece: Buffer) => (log.text += piece.toString('utf8')));
  return log;
}
