/**
 * A full garbage collection on demand, on the runtimes where lessllm has a reason to ask for one.
 *
 * On Bun, every pending read of a `fetch` body (an upstream stream waiting for its next chunk) holds a
 * 256 KB buffer that JavaScriptCore counts as memory of its heap, though only a page or two of it is
 * ever touched: with 5,000 streams open that is 1.3 GB the collector believes is live. It paces full
 * collections by the heap's size after the last one, so once that last one ran with thousands of streams
 * open, the streams' own objects, dead when they end, wait for a full collection that does not come
 * for a long time: RSS stayed 100–200 MB above what was live after a burst of streams ended, and the
 * next burst started from there. A full collection then takes 25–30 ms and gives that memory back at
 * once (gateway/burst-collection.ts decides when).
 *
 * Node and Deno (V8) have no such finding behind them, and no collection API without a flag: undefined.
 */
import { currentRuntime } from './current-runtime.ts';

type BunJsc = { fullGC(): number };

export async function loadFullCollection(): Promise<(() => void) | undefined> {
  if (currentRuntime() !== 'bun') return undefined;
  // A variable specifier, so that Node's and Deno's loaders never see `bun:jsc`.
  const moduleName = 'bun:jsc';
  const jsc = (await import(moduleName)) as BunJsc;
  return () => {
    jsc.fullGC();
  };
}
