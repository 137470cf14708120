/**
 * The calls in flight, for a graceful shutdown: once draining, new calls are refused with 503; the ones
 * in flight get a grace period to finish, then are ended with an error in their own protocol (an
 * in-band event for a stream), so no client is left with a response that just stops.
 */
import { GatewayError } from '../core/gateway-error.ts';

type ActiveCall = { abort(reason: GatewayError): void };

export class CallRegistry {
  private readonly active = new Set<ActiveCall>();
  private idleWaiters: Array<() => void> = [];
  draining = false;

  get size(): number {
    return this.active.size;
  }

  /** Registers a call; the returned function removes it (call it exactly when the call has ended). */
  add(call: ActiveCall): () => void {
    this.active.add(call);
    return () => {
      if (!this.active.delete(call) || this.active.size > 0) return;
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
    const remaining = [...this.active];
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
