/**
 * Garbage collections on demand, on the runtimes where lessllm has a reason to ask for them
 * (gateway/collection-pacing.ts decides when).
 *
 * On Bun, every pending read of a `fetch` body (an upstream stream waiting for its next chunk) holds a
 * 64–256 KB buffer that JavaScriptCore counts as memory of its heap, though only a page or two of it is
 * ever touched: with 5,000 streams open that is up to 1.3 GB the collector believes is live, and it paces
 * its collections by that size. Two things follow (the first found with its GC log, the second with its
 * heap statistics and the process's RSS):
 * - while thousands of streams are open, it sometimes runs no collection at all for many seconds (in 2 of
 *   8 bursts of 5,000 fifteen-second streams, none between the first second and the last), and their
 *   chunks' garbage piles up: those bursts held 408 and 418 MB with all streams open, the others 292–340.
 *   A young collection pauses the event loop 3–5 ms with 5,000 streams open;
 * - once a full collection has run with thousands of streams open, the streams' own objects, dead once
 *   they end, wait for a full collection that does not come for a long time: RSS stayed 100–200 MB above
 *   what was live after a burst of streams ended. A full collection then takes 25–50 ms and gives that
 *   memory back at once.
 *
 * Node and Deno (V8) have no such finding behind them, and no collection API without a flag: undefined.
 */
import { currentRuntime } from './current-runtime.ts';

export type Collections = {
  /** A collection of the young generation: a few milliseconds, what recent work left. */
  young(): void;
  /** A full collection: tens of milliseconds with thousands of calls open. */
  full(): void;
};

type BunJsc = { edenGC(): number; fullGC(): number };

export async function loadCollections(): Promise<Collections | undefined> {
  if (currentRuntime() !== 'bun') return undefined;
  // A variable specifier, so that Node's and Deno's loaders never see `bun:jsc`.
  const moduleName = 'bun:jsc';
  const jsc = (await import(moduleName)) as BunJsc;
  return {
    young: () => {
      jsc.edenGC();
    },
    full: () => {
      jsc.fullGC();
    },
  };
}
