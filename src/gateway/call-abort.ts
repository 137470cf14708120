/**
 * How a call's upstream request is stopped. Two kinds of abort reach it: one that ends the whole call
 * (the client left, the total timeout, shutdown, the response stopped early) and one that ends only the
 * current try (its connect, first-byte or idle timeout), after which the call may try again.
 *
 * A try shares the call's AbortController rather than getting one of its own chained to it: a second
 * controller per call, and the listener that chains them, cost Bun 3.6–5 µs of CPU per call
 * (`test/bench/ab.ts`, docs/performance-notes.md). When a try's timeout aborts the shared controller, a
 * fresh one takes its place for whatever comes next (a backoff, the next try, a fallback answered
 * locally), and whoever holds the old signal (the timed-out request and its body) sees the timeout.
 */
export class CallAbort {
  private controller = new AbortController();

  /**
   * The signal of the current try, which is the call's too: a whole-call abort reaches it. Aborted only
   * once the whole call is (a timed-out try's signal has been replaced by then).
   */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Ends the whole call: the current try, and any try or wait after it. */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** Ends the current try with `reason`; the call goes on with a fresh signal. */
  abortTry(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    const timedOut = this.controller;
    // Replaced first, so that whatever the old signal's listeners do sees the call as still going.
    this.controller = new AbortController();
    timedOut.abort(reason);
  }
}
