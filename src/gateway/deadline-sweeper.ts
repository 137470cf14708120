/**
 * One timer for the timeouts of every call in flight, instead of a timer per call and phase: arming and
 * clearing a streamed call's four (total, connect, first byte, idle) cost Bun about 4 µs of CPU per call,
 * a non-streaming call's two about 1 µs (`test/bench/ab.ts`, docs/performance-notes.md), and with
 * thousands of streams open they are thousands of timers. A sweep over the calls with a deadline, a few
 * times a second, costs far less.
 *
 * So a deadline is noticed up to one tick after it passes. The tick is a twentieth of the shortest limit
 * armed so far (at most 5 % late), between 5 and 250 ms; the sweeps run only while some call is watched.
 */
import { unrefTimer } from '../runtime/unref-timer.ts';
import { SlotList, type Slotted } from './slot-list.ts';

/** A call's deadlines, as the sweeper sees them (`slot`: where the sweeper keeps it, -1 when not watched). */
export type Watched = Slotted & {
  /** Fires whatever deadline has passed by `now` (performance.now()). */
  checkDeadlines(now: number): void;
};

const minTickMs = 5;
const maxTickMs = 250;

export class DeadlineSweeper {
  /** Not a Set, for the collector's sake (slot-list.ts). */
  private readonly watched = new SlotList<Watched>();
  private tickMs = maxTickMs;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Starts checking `call`'s deadlines, the shortest of which is `limitMs` long. */
  watch(call: Watched, limitMs: number): void {
    this.shortenTickFor(limitMs);
    this.watched.add(call);
    this.timer ??= this.startTimer();
  }

  unwatch(call: Watched): void {
    this.watched.remove(call);
  }

  /** Makes the tick short enough for a limit of `limitMs`. */
  private shortenTickFor(limitMs: number): void {
    const tickMs = Math.min(maxTickMs, Math.max(minTickMs, Math.floor(limitMs / 20)));
    if (tickMs >= this.tickMs) return;
    this.tickMs = tickMs;
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = this.startTimer();
  }

  private startTimer(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => this.sweep(), this.tickMs);
    // The calls being watched keep the server, and so the process, alive; the sweeps need not.
    unrefTimer(timer);
    return timer;
  }

  private sweep(): void {
    // Stopped lazily, by a sweep with nothing to check, so that one call at a time does not start and
    // stop the timer for each.
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const now = performance.now();
    const calls = this.watched.items;
    // Backwards: a call whose deadline fires may stop being watched at once, and the call moved into its
    // slot has been checked already.
    for (let index = calls.length - 1; index >= 0; index--) {
      const call = calls[index];
      if (call !== undefined) call.checkDeadlines(now);
    }
  }
}
