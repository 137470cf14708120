/**
 * Asks the runtime for garbage collections when many calls are in flight, where its own pacing goes
 * wrong (why, with figures: runtime/collections.ts):
 * - while at least `manyCalls` (1,000) calls are in flight, a young collection every `youngEveryMs`
 *   (a second), until they have fallen below half that: the chunks' garbage of thousands of open streams
 *   is collected even when the runtime, believing the heap is huge, collects nothing for seconds;
 * - when the calls in flight have fallen to a quarter of a peak of at least `manyCalls` since the last
 *   one, a full collection: the memory of a burst of ended streams comes back at once.
 *
 * A quarter keeps the full collections few and short: 5,000 streams that end together ask for two (at
 * 1,250 and at 312 left), a steady load none, and the fewer calls are still open, the less a full
 * collection has to visit (27–54 ms with 300–2,500 streams still open, on the benchmark's VM). It runs
 * `fullDelayMs` later, so that the recording line has recorded the ended calls first (until then it still
 * holds them), and one waiting collection covers any further fall meanwhile. A steady load below
 * `manyCalls` calls in flight (every benchmark scenario but the open streams) gets no collection from here.
 */
import type { Collections } from '../runtime/collections.ts';
import { unrefTimer } from '../runtime/unref-timer.ts';

export type CollectionPacingOptions = {
  collections: Collections;
  manyCalls?: number;
  youngEveryMs?: number;
  fullDelayMs?: number;
};

export class CollectionPacing {
  private readonly collections: Collections;
  private readonly manyCalls: number;
  private readonly youngEveryMs: number;
  private readonly fullDelayMs: number;
  private peak = 0;
  private fullTimer: ReturnType<typeof setTimeout> | undefined;
  private youngTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: CollectionPacingOptions) {
    this.collections = options.collections;
    this.manyCalls = options.manyCalls ?? 1_000;
    this.youngEveryMs = options.youngEveryMs ?? 1_000;
    this.fullDelayMs = options.fullDelayMs ?? 500;
  }

  /** The number of calls in flight, after one began or ended. */
  inFlight(count: number): void {
    this.paceYoung(count);
    if (count > this.peak) {
      this.peak = count;
      return;
    }
    if (this.peak < this.manyCalls || count * 4 > this.peak) return;
    this.peak = count;
    if (this.fullTimer !== undefined) return;
    this.fullTimer = setTimeout(() => {
      this.fullTimer = undefined;
      this.collections.full();
    }, this.fullDelayMs);
  }

  /** Cancels what is waiting (shutdown). */
  stop(): void {
    if (this.fullTimer !== undefined) clearTimeout(this.fullTimer);
    this.fullTimer = undefined;
    this.stopYoung();
  }

  private paceYoung(count: number): void {
    if (this.youngTimer === undefined) {
      if (count < this.manyCalls) return;
      this.youngTimer = setInterval(() => this.collections.young(), this.youngEveryMs);
      // Never what keeps the process alive.
      unrefTimer(this.youngTimer);
    } else if (count * 2 < this.manyCalls) {
      // Half, not the threshold itself: a load hovering around it does not start and stop the timer.
      this.stopYoung();
    }
  }

  private stopYoung(): void {
    if (this.youngTimer !== undefined) clearInterval(this.youngTimer);
    this.youngTimer = undefined;
  }
}
