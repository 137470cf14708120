import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, isRetriableStatus, requestedRetryDelayMs } from './retry-policy.ts';

const policy = { attempts: 5, backoffMs: 100, maxBackoffMs: 1_000, maxRetryAfterMs: 30_000 };

describe('retry policy', () => {
  it('retries rate limits, timeouts, conflicts and server errors, never other client errors', () => {
    assert.deepEqual([408, 409, 429, 500, 502, 503, 504, 529].filter(isRetriableStatus), [408, 409, 429, 500, 502, 503, 504, 529]);
    assert.deepEqual([400, 401, 403, 404, 413, 422, 501].filter(isRetriableStatus), []);
  });

  it("reads OpenAI's retry-after-ms before retry-after, and retry-after as seconds or an HTTP date", () => {
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': '2' })), 2_000);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': '0.5' })), 500);
    const now = Date.parse('2026-11-20T12:00:00Z');
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': 'Fri, 20 Nov 2026 12:00:07 GMT' }), now), 7_000);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': 'Fri, 20 Nov 2026 11:00:00 GMT' }), now), 0, 'a date in the past: no wait');
  });

  it('ignores a missing or unreadable retry-after', () => {
    assert.equal(requestedRetryDelayMs(new Headers()), undefined);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': 'soon' })), undefined);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after-ms': '-5' })), undefined);
  });

  it('doubles the backoff per retry up to the maximum, within ±20% jitter', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((retry) => backoffDelayMs(policy, retry, () => 0.5)), [100, 200, 400, 800, 1_000]);
    assert.equal(backoffDelayMs(policy, 1, () => 0), 80);
    assert.equal(backoffDelayMs(policy, 1, () => 0.999999), 120);
  });
});
