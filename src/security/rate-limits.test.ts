import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayKey, KeyLimits } from './gateway-keys.ts';
import { RateLimiter, type Admission, type RateLimited } from './rate-limits.ts';

function keyWith(limits: Partial<KeyLimits>, name = 'team-a'): GatewayKey {
  return {
    name,
    allowsModel: () => true,
    limits: { requestsPerMinute: 0, tokensPerMinute: 0, maxConcurrentStreams: 0, ...limits },
  };
}

function admitted(result: Admission | RateLimited): Admission {
  assert.equal(result.limited, false, result.limited ? result.message : '');
  return result as Admission;
}

function refused(result: Admission | RateLimited): RateLimited {
  assert.equal(result.limited, true, 'expected a refusal');
  return result as RateLimited;
}

const noTokens = { inputTokens: 0, outputTokens: 0 };

describe('requests per minute', () => {
  it('allows a burst of N, then one more every 60/N seconds', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ requestsPerMinute: 6 });
    for (let index = 0; index < 6; index++) admitted(limiter.admit(key, { stream: false, nowMs: 0 }));
    const refusal = refused(limiter.admit(key, { stream: false, nowMs: 0 }));
    assert.equal(refusal.limit, 'requests_per_minute');
    assert.equal(refusal.retryAfterSeconds, 10);
    assert.match(refusal.message, /key "team-a" reached its limit of 6 requests per minute; retry in 10 s/);
    assert.equal(refused(limiter.admit(key, { stream: false, nowMs: 9_999 })).retryAfterSeconds, 1);
    admitted(limiter.admit(key, { stream: false, nowMs: 10_000 }));
    // The next one is a whole interval away again.
    assert.equal(refused(limiter.admit(key, { stream: false, nowMs: 10_000 })).retryAfterSeconds, 10);
    admitted(limiter.admit(key, { stream: false, nowMs: 20_000 }));
  });

  it('rounds retry-after up to a whole second, never below 1, and it is honest', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ requestsPerMinute: 7 });
    for (let index = 0; index < 7; index++) admitted(limiter.admit(key, { stream: false, nowMs: 0 }));
    // 60/7 s = 8.571… s
    const retry = refused(limiter.admit(key, { stream: false, nowMs: 0 })).retryAfterSeconds;
    assert.equal(retry, 9);
    refused(limiter.admit(key, { stream: false, nowMs: 8_571 }));
    admitted(limiter.admit(key, { stream: false, nowMs: retry * 1000 }));
  });

  it('refills to the burst size and no further after a quiet spell', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ requestsPerMinute: 2 });
    admitted(limiter.admit(key, { stream: false, nowMs: 0 }));
    for (let index = 0; index < 2; index++) admitted(limiter.admit(key, { stream: false, nowMs: 3_600_000 }));
    refused(limiter.admit(key, { stream: false, nowMs: 3_600_000 }));
  });

  it('keeps one bucket per key name', () => {
    const limiter = new RateLimiter();
    admitted(limiter.admit(keyWith({ requestsPerMinute: 1 }, 'a'), { stream: false, nowMs: 0 }));
    admitted(limiter.admit(keyWith({ requestsPerMinute: 1 }, 'b'), { stream: false, nowMs: 0 }));
    refused(limiter.admit(keyWith({ requestsPerMinute: 1 }, 'a'), { stream: false, nowMs: 0 }));
  });

  it('uses its clock when no time is given', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ clock: () => now });
    const key = keyWith({ requestsPerMinute: 60 });
    for (let index = 0; index < 60; index++) admitted(limiter.admit(key, { stream: false }));
    refused(limiter.admit(key, { stream: false }));
    now += 1_000;
    admitted(limiter.admit(key, { stream: false }));
  });
});

describe('tokens per minute', () => {
  it('admits while the budget is above zero, charges finished calls, and may go into debt', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ tokensPerMinute: 1000 });
    const first = admitted(limiter.admit(key, { stream: false, nowMs: 0 }));
    const concurrent = admitted(limiter.admit(key, { stream: false, nowMs: 0 }));
    first.finish({ inputTokens: 600, outputTokens: 399 }, 0);
    admitted(limiter.admit(key, { stream: false, nowMs: 0 })).finish(noTokens, 0); // 1 token left
    concurrent.finish({ inputTokens: 1000, outputTokens: 501 }, 0); // 1 - 1501 = -1500
    const refusal = refused(limiter.admit(key, { stream: false, nowMs: 0 }));
    assert.equal(refusal.limit, 'tokens_per_minute');
    // 1500 tokens of debt at 1000/min = 90 s to reach zero; admission needs strictly more than zero.
    assert.equal(refusal.retryAfterSeconds, 91);
    assert.match(refusal.message, /key "team-a" used its 1000 tokens per minute; retry in 91 s/);
    refused(limiter.admit(key, { stream: false, nowMs: 90_000 }));
    admitted(limiter.admit(key, { stream: false, nowMs: 90_001 }));
  });

  it('charges at the time the call finishes, after refilling up to then', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ tokensPerMinute: 600 });
    const call = admitted(limiter.admit(key, { stream: false, nowMs: 0 }));
    // Full at 600 throughout; finishing at 60 s takes 600 → 0.
    call.finish({ inputTokens: 100, outputTokens: 500 }, 60_000);
    assert.equal(refused(limiter.admit(key, { stream: false, nowMs: 60_000 })).retryAfterSeconds, 1);
    admitted(limiter.admit(key, { stream: false, nowMs: 60_100 }));
  });

  it('counts nonsense usage as nothing', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ tokensPerMinute: 10 });
    admitted(limiter.admit(key, { stream: false, nowMs: 0 })).finish({ inputTokens: Number.NaN, outputTokens: -5 }, 0);
    admitted(limiter.admit(key, { stream: false, nowMs: 0 })).finish({ inputTokens: 9, outputTokens: 0 }, 0);
    admitted(limiter.admit(key, { stream: false, nowMs: 0 })).finish({ inputTokens: 0.2, outputTokens: 0 }, 0);
    refused(limiter.admit(key, { stream: false, nowMs: 0 }));
  });
});

describe('concurrent streams', () => {
  it('holds a slot per open stream until finish, and asks to retry in 1 s', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ maxConcurrentStreams: 2 });
    const first = admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    const refusal = refused(limiter.admit(key, { stream: true, nowMs: 0 }));
    assert.deepEqual(
      { limit: refusal.limit, retryAfterSeconds: refusal.retryAfterSeconds },
      { limit: 'max_concurrent_streams', retryAfterSeconds: 1 },
    );
    assert.match(refusal.message, /key "team-a" already has 2 streams open \(limit 2\)/);
    // Non-streaming calls hold no stream slot.
    admitted(limiter.admit(key, { stream: false, nowMs: 0 }));
    first.finish(noTokens);
    admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    refused(limiter.admit(key, { stream: true, nowMs: 0 }));
  });

  it('ignores a second finish of the same call', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ maxConcurrentStreams: 1, tokensPerMinute: 100 });
    const first = admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    first.finish({ inputTokens: 50, outputTokens: 0 }, 0);
    const second = admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    first.finish({ inputTokens: 50, outputTokens: 0 }, 0);
    // Had the repeat counted, the slot would be free and the budget at zero.
    const refusal = refused(limiter.admit(key, { stream: true, nowMs: 0 }));
    assert.equal(refusal.limit, 'max_concurrent_streams');
    second.finish(noTokens, 0);
    admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
  });
});

describe('several limits at once', () => {
  it('takes nothing from a refused request', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ requestsPerMinute: 2, maxConcurrentStreams: 1 });
    const stream = admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    for (let index = 0; index < 5; index++) refused(limiter.admit(key, { stream: true, nowMs: 0 }));
    // The refused streams used no request from the bucket: one is left.
    stream.finish(noTokens);
    admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    assert.equal(refused(limiter.admit(key, { stream: false, nowMs: 0 })).limit, 'requests_per_minute');
  });

  it('names the limit that keeps the request out longest', () => {
    const limiter = new RateLimiter();
    const key = keyWith({ requestsPerMinute: 1, maxConcurrentStreams: 1 });
    admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
    const refusal = refused(limiter.admit(key, { stream: true, nowMs: 0 }));
    assert.equal(refusal.limit, 'requests_per_minute');
    assert.equal(refusal.retryAfterSeconds, 60);
  });

  it('admits everything for a key without limits', () => {
    const limiter = new RateLimiter();
    const key = keyWith({});
    for (let index = 0; index < 1000; index++) admitted(limiter.admit(key, { stream: true, nowMs: 0 }));
  });
});
