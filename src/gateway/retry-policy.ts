/** When a failed try is worth repeating, and how long to wait first. */
import type { RetryPolicy } from '../config/gateway-config.ts';

/**
 * Statuses that say "not now" rather than "never": timeouts, conflicts, rate limits, server errors and
 * Anthropic's 529 overloaded. Any other 4xx would fail the same way again.
 */
const retriableStatuses = new Set([408, 409, 429, 500, 502, 503, 504, 529]);

export function isRetriableStatus(status: number): boolean {
  return retriableStatuses.has(status);
}

/**
 * The wait the upstream asked for: OpenAI's `retry-after-ms`, else `retry-after` in seconds or as an HTTP
 * date. Undefined when it asked for none (or sent something unreadable).
 */
export function requestedRetryDelayMs(headers: Headers, nowMs = Date.now()): number | undefined {
  const milliseconds = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number.parseFloat(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Exponential backoff for the n-th retry (1-based), ±20% jitter so synchronized clients spread out. */
export function backoffDelayMs(policy: RetryPolicy, retryNumber: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (retryNumber - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}
