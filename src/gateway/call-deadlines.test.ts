import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../core/gateway-error.ts';
import { CallAbort } from './call-abort.ts';
import { CallDeadlines } from './call-deadlines.ts';
import { DeadlineSweeper } from './deadline-sweeper.ts';

const timeouts = (overrides: Partial<Record<'connectMs' | 'firstByteMs' | 'idleMs' | 'totalMs', number>>) => ({
  connectMs: 0,
  firstByteMs: 0,
  idleMs: 0,
  totalMs: 0,
  ...overrides,
});
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Waits until the signal aborts (the timers under test are short; the bound only keeps a failure from hanging). */
function aborted(signal: AbortSignal, withinMs = 5_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(signal.reason);
    const timer = setTimeout(() => reject(new Error('never aborted')), withinMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}

describe('call deadlines', () => {
  it('aborts the try with a timeout error naming the phase, the provider and the setting', async () => {
    const call = new CallAbort();
    const attempt = call.signal;
    const deadlines = new CallDeadlines(call, new DeadlineSweeper());
    deadlines.beginAttempt(timeouts({ connectMs: 20 }), 'openai');
    deadlines.awaitHeaders(true);
    const reason = await aborted(attempt);
    assert.ok(reason instanceof GatewayError);
    assert.equal(reason.kind, 'timeout');
    assert.equal(reason.code, 'connect_timeout');
    assert.match(reason.message, /openai .*20 ms \(timeouts\.connect_ms\)/);
    assert.equal(deadlines.fired, 'connect');
    assert.equal(call.signal.aborted, false, 'a phase timeout ends the try, not the call');
    assert.notEqual(call.signal, attempt, 'the call goes on with a fresh signal');
    assert.equal(attempt.reason, reason);
  });

  it('uses the first-byte timeout for the headers of a non-streaming call (they come with the whole answer)', async () => {
    const call = new CallAbort();
    const attempt = call.signal;
    const deadlines = new CallDeadlines(call, new DeadlineSweeper());
    deadlines.beginAttempt(timeouts({ connectMs: 1, firstByteMs: 30 }), 'a');
    deadlines.awaitHeaders(false);
    await sleep(10);
    assert.equal(attempt.aborted, false);
    await aborted(attempt);
    assert.equal(deadlines.fired, 'first_byte');
  });

  it('does not fire the idle timeout while chunks keep coming, and fires once they stop', async () => {
    const call = new CallAbort();
    const attempt = call.signal;
    const deadlines = new CallDeadlines(call, new DeadlineSweeper());
    deadlines.beginAttempt(timeouts({ idleMs: 60 }), 'a');
    deadlines.awaitChunks();
    for (let chunk = 0; chunk < 8; chunk++) {
      await sleep(20);
      deadlines.onChunk();
    }
    assert.equal(attempt.aborted, false, '160 ms of chunks 20 ms apart never look idle');
    await aborted(attempt);
    assert.equal(deadlines.fired, 'idle');
  });

  it('aborts the whole call on the total timeout, counted from arrival', async () => {
    const call = new CallAbort();
    const deadlines = new CallDeadlines(call, new DeadlineSweeper());
    deadlines.startTotal(50, 40, 'a');
    const reason = await aborted(call.signal);
    assert.equal((reason as GatewayError).code, 'total_timeout');
    assert.equal(deadlines.fired, 'total');
  });

  it('still ends the call when the total timeout passes between a timed-out try and the next', async () => {
    const call = new CallAbort();
    const deadlines = new CallDeadlines(call, new DeadlineSweeper());
    deadlines.startTotal(80, 0, 'a');
    deadlines.beginAttempt(timeouts({ connectMs: 10 }), 'a');
    deadlines.awaitHeaders(true);
    const firstTry = call.signal;
    await aborted(firstTry);
    assert.equal(deadlines.fired, 'connect');
    // The backoff before the next try: the total runs out meanwhile.
    const reason = await aborted(call.signal);
    assert.equal((reason as GatewayError).code, 'total_timeout');
    assert.equal(deadlines.fired, 'total');
    deadlines.clear();
  });

  it('forgets a phase timeout when the next try begins, and fires nothing after clear()', async () => {
    const call = new CallAbort();
    const deadlines = new CallDeadlines(call, new DeadlineSweeper());
    deadlines.beginAttempt(timeouts({ connectMs: 5 }), 'a');
    deadlines.awaitHeaders(true);
    await aborted(call.signal);
    const second = call.signal;
    deadlines.beginAttempt(timeouts({ connectMs: 5 }), 'b');
    assert.equal(deadlines.fired, undefined);
    deadlines.awaitHeaders(true);
    deadlines.clear();
    await sleep(30);
    assert.equal(second.aborted, false);
  });

  it('treats 0 as no limit', async () => {
    const call = new CallAbort();
    const deadlines = new CallDeadlines(call, new DeadlineSweeper());
    deadlines.beginAttempt(timeouts({}), 'a');
    deadlines.awaitHeaders(true);
    deadlines.awaitFirstByte();
    deadlines.awaitChunks();
    await sleep(20);
    assert.equal(call.signal.aborted, false);
    deadlines.clear();
  });
});
