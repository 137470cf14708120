/**
 * Asks for one full garbage collection when a burst of calls has ended: when the calls in flight have
 * fallen to a quarter of a peak of at least `minimumPeak` (1,000) since the last one. Why a gateway asks at
 * all is in runtime/full-collection.ts: on Bun, thousands of ended streams stay in memory until a full
 * collection that the runtime's pacing puts off.
 *
 * A quarter keeps the pauses few and short: 5,000 streams that end together ask for two (at 1,250 and
 * at 312 left), a steady load none, and the fewer calls are still open, the less a full collection has
 * to visit (27–54 ms with 300–2,500 streams still open, on the benchmark's VM). The collection runs
 * `delayMs` later, so that the recording line has recorded the ended calls first (until then it still
 * holds them), and one waiting collection covers any further fall meanwhile.
 */
export type BurstCollectionOptions = {
  collect: () => void;
  minimumPeak?: number;
  delayMs?: number;
};

export class BurstCollection {
  private readonly collect: () => void;
  private readonly minimumPeak: number;
  private readonly delayMs: number;
  private peak = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: BurstCollectionOptions) {
    this.collect = options.collect;
    this.minimumPeak = options.minimumPeak ?? 1_000;
    this.delayMs = options.delayMs ?? 500;
  }

  /** The number of calls in flight, after one began or ended. */
  inFlight(count: number): void {
    if (count > this.peak) {
      this.peak = count;
      return;
    }
    if (this.peak < this.minimumPeak || count * 4 > this.peak) return;
    this.peak = count;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.collect();
    }, this.delayMs);
  }

  /** Cancels a collection still waiting (shutdown). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
