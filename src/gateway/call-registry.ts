/**
 * The calls in flight, for a graceful shutdown: once draining, new calls are refused with 503; the ones
 * in flight get a grace period to finish, then are ended with an error in their own protocol (an
 * in-band event for a stream), so no client is left with a response that just stops.
 */
import { GatewayError } from '../core/gateway-error.ts';

type ActiveCall = { abort(reason: GatewayError): void };

/** A registered call and where it sits in the array (-1 once removed). */
type Slot = { call: ActiveCall; index: number };

export class CallRegistry {
  /**
   * An array with swap-removal rather than a Set: on Bun (JavaScriptCore), a long-lived Set that every
   * call adds to and deletes from made each young-generation GC visit megabytes (6 MB at 32 calls in
   * flight, against 30 kB without it), about a third of a non-streaming call's CPU time. The array
   * never holds more than the calls in flight.
   */
  private readonly active: Slot[] = [];
  private idleWaiters: Array<() => void> = [];
  /** Told the number of calls in flight whenever one is added or removed (collection-pacing.ts). */
  private readonly onCount: ((count: number) => void) | undefined;
  draining = false;

  constructor(onCount?: (count: number) => void) {
    this.onCount = onCount;
  }

  get size(): number {
    return this.active.length;
  }

  /** Registers a call; the returned function removes it (call it exactly when the call has ended). */
  add(call: ActiveCall): () => void {
    const slot: Slot = { call, index: this.active.length };
    this.active.push(slot);
    this.onCount?.(this.active.length);
    return () => {
      if (slot.index < 0) return;
      const last = this.active.pop()!;
      if (last !== slot) {
        this.active[slot.index] = last;
        last.index = slot.index;
      }
      slot.index = -1;
      this.onCount?.(this.active.length);
      if (this.active.length > 0) return;
      for (const wake of this.idleWaiters) wake();
      this.idleWaiters = [];
    };
  }

  /** The refusal for a call that arrives while draining. */
  refusal(): GatewayError {
    return new GatewayError('overloaded', 'lessllm is shutting down; retry on another instance.', { status: 503, retryAfter: '1' });
  }

  /**
   * Stops taking calls, waits up to `graceMs` for the ones in flight, then ends the rest with an error
   * and waits (briefly) until they have reported their end. Resolves with how many had to be ended.
   */
  async drain(graceMs: number, settleMs = 2_000): Promise<number> {
    this.draining = true;
    if (await this.idleWithin(graceMs)) return 0;
    const remaining = this.active.map((slot) => slot.call);
    const error = new GatewayError('overloaded', `lessllm is shutting down and ended this call after its ${graceMs} ms grace period.`, { status: 503 });
    for (const call of remaining) call.abort(error);
    await this.idleWithin(settleMs);
    return remaining.length;
  }

  private idleWithin(timeoutMs: number): Promise<boolean> {
    if (this.active.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
