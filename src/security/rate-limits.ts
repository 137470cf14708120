/**
 * Per-key rate limits: requests per minute, tokens per minute, concurrent streams. One RateLimiter per
 * gateway; state exists only for keys that have a limit, and keys are only ever configured ones (or the
 * single anonymous key), so memory is bounded whatever clients send.
 *
 * Both per-minute limits are token buckets. Amounts are kept in 1/60000ths (one minute in milliseconds),
 * so a bucket of capacity N refills by exactly N units per millisecond: with whole-millisecond clocks
 * the arithmetic is integer and retry-after values are exact.
 */
import type { GatewayKey, KeyLimits } from './gateway-keys.ts';

export type LimitName = 'requests_per_minute' | 'tokens_per_minute' | 'max_concurrent_streams';

export type RateLimited = {
  limited: true;
  limit: LimitName;
  /** Whole seconds, at least 1: the earliest time at which this request would have been admitted. */
  retryAfterSeconds: number;
  message: string;
};

export type Admission = {
  limited: false;
  /** Call exactly once when the call ends (later calls are ignored): frees the stream slot, charges the tokens. */
  finish(usage: { inputTokens: number; outputTokens: number }, nowMs?: number): void;
};

const unitsPerWhole = 60_000;

type KeyState = {
  /** Requests bucket, in 1/60000ths of a request. */
  requestUnits: number;
  /** Tokens bucket, in 1/60000ths of a token; negative after an expensive call. */
  tokenUnits: number;
  updatedMs: number;
  activeStreams: number;
};

export class RateLimiter {
  private readonly states = new Map<string, KeyState>();
  private readonly clock: () => number;

  constructor(options: { clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
  }

  admit(key: GatewayKey, options: { stream: boolean; nowMs?: number }): Admission | RateLimited {
    const limits = key.limits;
    if (limits.requestsPerMinute === 0 && limits.tokensPerMinute === 0 && limits.maxConcurrentStreams === 0) return unlimitedAdmission;
    const state = this.refilledState(key.name, limits, options.nowMs ?? this.clock());

    // Every limit is checked before anything is taken, so a rejected request costs nothing; the answer names
    // the limit that keeps it out longest, so retrying after retry-after succeeds unless others got there first.
    let refusal: RateLimited | undefined;
    const refuse = (limit: LimitName, retryAfterMs: number, message: string) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      if (refusal === undefined || retryAfterSeconds > refusal.retryAfterSeconds) {
        refusal = { limited: true, limit, retryAfterSeconds, message: `${message}; retry in ${retryAfterSeconds} s` };
      }
    };
    if (limits.maxConcurrentStreams > 0 && options.stream && state.activeStreams >= limits.maxConcurrentStreams) {
      refuse('max_concurrent_streams', 1000, `key "${key.name}" already has ${state.activeStreams} streams open (limit ${limits.maxConcurrentStreams})`);
    }
    if (limits.requestsPerMinute > 0 && state.requestUnits < unitsPerWhole) {
      // Admitted once the bucket holds one whole request again.
      const waitMs = Math.ceil((unitsPerWhole - state.requestUnits) / limits.requestsPerMinute);
      refuse('requests_per_minute', waitMs, `key "${key.name}" reached its limit of ${limits.requestsPerMinute} requests per minute`);
    }
    if (limits.tokensPerMinute > 0 && state.tokenUnits <= 0) {
      // Admitted once the balance is above zero: the first whole millisecond past the debt.
      const waitMs = Math.floor(-state.tokenUnits / limits.tokensPerMinute) + 1;
      refuse('tokens_per_minute', waitMs, `key "${key.name}" used its ${limits.tokensPerMinute} tokens per minute`);
    }
    if (refusal) return refusal;

    if (limits.requestsPerMinute > 0) state.requestUnits -= unitsPerWhole;
    const holdsStream = options.stream && limits.maxConcurrentStreams > 0;
    if (holdsStream) state.activeStreams++;
    let finished = false;
    return {
      limited: false,
      finish: (usage, nowMs) => {
        if (finished) return;
        finished = true;
        if (holdsStream) state.activeStreams--;
        if (limits.tokensPerMinute > 0) {
          this.refill(state, limits, nowMs ?? this.clock());
          state.tokenUnits -= (wholeTokens(usage.inputTokens) + wholeTokens(usage.outputTokens)) * unitsPerWhole;
        }
      },
    };
  }

  private refilledState(name: string, limits: KeyLimits, nowMs: number): KeyState {
    let state = this.states.get(name);
    if (state === undefined) {
      // A key starts with full buckets: its first minute may use the whole allowance at once.
      state = {
        requestUnits: limits.requestsPerMinute * unitsPerWhole,
        tokenUnits: limits.tokensPerMinute * unitsPerWhole,
        updatedMs: nowMs,
        activeStreams: 0,
      };
      this.states.set(name, state);
    }
    this.refill(state, limits, nowMs);
    return state;
  }

  private refill(state: KeyState, limits: KeyLimits, nowMs: number): void {
    // A clock that steps backwards (wall-clock adjustment) refills nothing rather than draining buckets.
    const elapsedMs = Math.max(0, nowMs - state.updatedMs);
    state.updatedMs = Math.max(state.updatedMs, nowMs);
    state.requestUnits = Math.min(limits.requestsPerMinute * unitsPerWhole, state.requestUnits + elapsedMs * limits.requestsPerMinute);
    state.tokenUnits = Math.min(limits.tokensPerMinute * unitsPerWhole, state.tokenUnits + elapsedMs * limits.tokensPerMinute);
  }
}

const unlimitedAdmission: Admission = { limited: false, finish: () => {} };

/** Usage from an upstream is data: anything but a non-negative number counts as nothing. */
function wholeTokens(count: number): number {
  return Number.isFinite(count) && count > 0 ? Math.ceil(count) : 0;
}
