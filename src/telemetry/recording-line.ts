/**
 * Finished calls wait here, in the order they ended, to be recorded (usage, cost, spans, metrics, the log
 * row) on a later turn of the event loop. Two things make it more than a timer per call:
 *
 * - Slices. When thousands of streams end in the same second (5,000 open streams whose last tokens come
 *   together), recording them all in one turn held the event loop for a third of a second: no other
 *   client got a byte meanwhile. The line records for at most `sliceMs`, then lets the event loop serve
 *   traffic before it goes on.
 * - Room. While span export is behind (its queue cannot take a call's spans), the line holds the calls
 *   back instead of ending spans that would be dropped: in the same burst 2,900 of 10,000 spans were
 *   dropped for a full queue. A held call costs nothing new (its answer is in memory until it is
 *   recorded anyway), and the exports catch up meanwhile. The holding is
 *   bounded: beyond `maxHeld` waiting calls, or `maxWaitingTextChars` characters of their bodies (2,048
 *   coding agents' requests are 280 MB), the line records regardless, and what does not fit is dropped
 *   and counted as before.
 * - Memory. Recording a coding agent's call (bodies of 138 KB to cap, copy and send) costs the event loop
 *   about a millisecond, and under a sustained load of them the slices fell behind: every finished call
 *   waited with its bodies, 3,000 calls and 1.9 GB after five seconds. Beyond `maxWaitingTextChars`
 *   the line records without yielding until it is back under: the traffic slows down instead of the
 *   memory growing, and no call's telemetry is lost for it.
 */

export type Recordable = {
  /** Characters of the request and response bodies the call keeps in memory until it is recorded. */
  readonly textChars: number;
  finishNow(): void;
};

export type RecordingLineOptions = {
  /** Whether recording one more call now would fit its telemetry (the span export queue has room). */
  hasRoom(): boolean;
  /** Calls held back for room at most; more are recorded at once. */
  maxHeld: number;
  /** Characters of body text the waiting calls keep at most; more are recorded at once. */
  maxWaitingTextChars: number;
  /** Longest one turn of recording, in milliseconds. */
  sliceMs?: number;
  /** How soon to look again when there was no room, in milliseconds. */
  retryMs?: number;
};

export class RecordingLine {
  private readonly options: Required<RecordingLineOptions>;
  /** Calls in the order they ended; those before `head` are recorded, their slots emptied. */
  private waiting: Array<Recordable | undefined> = [];
  private head = 0;
  private waitingTextChars = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RecordingLineOptions) {
    this.options = { sliceMs: 4, retryMs: 5, ...options };
  }

  get length(): number {
    return this.waiting.length - this.head;
  }

  add(call: Recordable): void {
    this.waiting.push(call);
    this.waitingTextChars += call.textChars;
    this.schedule(0);
  }

  /** Records every waiting call now (shutdown, flush). */
  finishAll(): void {
    this.cancelTimer();
    const calls = this.waiting;
    const head = this.head;
    this.waiting = [];
    this.head = 0;
    this.waitingTextChars = 0;
    for (let index = head; index < calls.length; index++) calls[index]!.finishNow();
  }

  private schedule(delayMs: number): void {
    if (this.timer === undefined) this.timer = setTimeout(() => this.run(), delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    const sliceEnd = performance.now() + this.options.sliceMs;
    while (this.length > 0) {
      const mayHold = this.length <= this.options.maxHeld && this.waitingTextChars <= this.options.maxWaitingTextChars;
      if (mayHold && !this.options.hasRoom()) {
        this.compact();
        this.schedule(this.options.retryMs);
        return;
      }
      const call = this.waiting[this.head]!;
      // A recorded call must not stay reachable from here: an agent's call keeps a megabyte or more.
      this.waiting[this.head++] = undefined;
      this.waitingTextChars -= call.textChars;
      call.finishNow();
      if (performance.now() >= sliceEnd && this.waitingTextChars <= this.options.maxWaitingTextChars) break;
    }
    this.compact();
    if (this.length > 0) this.schedule(0);
  }

  /** Drops the recorded calls from the front of the array once they are a good part of it. */
  private compact(): void {
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }
}
