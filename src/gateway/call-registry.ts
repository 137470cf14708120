/**
 * The calls in flight, for a graceful shutdown: once draining, new calls are refused with 503; the ones
 * in flight get a grace period to finish, then are ended with an error in their own protocol (an
 * in-band event for a stream), so no client is left with a response that just stops.
 */
import { GatewayError } from '../core/gateway-error.ts';
import { SlotList } from './slot-list.ts';

type ActiveCall = { abort(reason: GatewayError): void };

/** A registered call and where it sits in the list (-1 once removed). */
type Entry = { call: ActiveCall; slot: number };

export class CallRegistry {
  /** Not a Set, for the collector's sake (slot-list.ts). */
  private readonly active = new SlotList<Entry>();
  private idleWaiters: Array<() => void> = [];
  /** Told the number of calls in flight whenever one is added or removed (collection-pacing.ts). */
  private readonly onCount: ((count: number) => void) | undefined;
  draining = false;

  constructor(onCount?: (count: number) => void) {
    this.onCount = onCount;
  }

  get size(): number {
    return this.active.size;
  }

  /** Registers a call; the returned function removes it (call it exactly when the call has ended). */
  add(call: ActiveCall): () => void {
    const entry: Entry = { call, slot: -1 };
    this.active.add(entry);
    this.onCount?.(this.active.size);
    return () => {
      if (!this.active.remove(entry)) return;
      this.onCount?.(this.active.size);
      if (this.active.size > 0) return;
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
    const remaining = this.active.items.map((entry) => entry.call);
    const error = new GatewayError('overloaded', `lessllm is shutting down and ended this call after its ${graceMs} ms grace period.`, { status: 503 });
    for (const call of remaining) call.abort(error);
    await this.idleWithin(settleMs);
    return remaining.length;
  }

  private idleWithin(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
