import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineSweeper, type Watched } from './deadline-sweeper.ts';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** A call with one deadline `limitMs` from now, which stops being watched when it fires. */
function callWithDeadline(sweeper: DeadlineSweeper, limitMs: number) {
  const armedAt = performance.now();
  const call = {
    slot: -1,
    checks: 0,
    firedAfterMs: undefined as number | undefined,
    checkDeadlines(now: number) {
      call.checks++;
      if (now - armedAt < limitMs) return;
      call.firedAfterMs = performance.now() - armedAt;
      sweeper.unwatch(call);
    },
  } satisfies Watched & Record<string, unknown>;
  sweeper.watch(call, limitMs);
  return call;
}

/** Waits until `done()` holds; the bound only keeps a failure from hanging. */
async function until(done: () => boolean, withinMs = 5_000): Promise<void> {
  const startedAt = performance.now();
  while (!done()) {
    if (performance.now() - startedAt > withinMs) throw new Error('never happened');
    await sleep(5);
  }
}

describe('deadline sweeper', () => {
  it('notices a deadline once it has passed, not before', async () => {
    const sweeper = new DeadlineSweeper();
    const call = callWithDeadline(sweeper, 60);
    await sleep(30);
    assert.equal(call.firedAfterMs, undefined);
    await until(() => call.firedAfterMs !== undefined);
    assert.ok(call.firedAfterMs! >= 60, `fired after ${call.firedAfterMs} ms`);
  });

  it('checks every call watched, including the one moved into the slot of a call that stopped being watched', async () => {
    const sweeper = new DeadlineSweeper();
    const calls = Array.from({ length: 1_000 }, (_, index) => callWithDeadline(sweeper, 20 + (index % 7) * 10));
    await until(() => calls.every((call) => call.firedAfterMs !== undefined));
    for (const call of calls) assert.equal(call.slot, -1);
  });

  it('no longer checks a call once it is unwatched', async () => {
    const sweeper = new DeadlineSweeper();
    const ended = callWithDeadline(sweeper, 60_000);
    const running = callWithDeadline(sweeper, 100);
    sweeper.unwatch(ended);
    await until(() => running.firedAfterMs !== undefined);
    assert.equal(ended.checks, 0);
    assert.ok(running.checks > 0);
  });

  it('watching a call twice keeps one slot', async () => {
    const sweeper = new DeadlineSweeper();
    const call = callWithDeadline(sweeper, 40);
    sweeper.watch(call, 40);
    const other = callWithDeadline(sweeper, 40);
    assert.deepEqual([call.slot, other.slot], [0, 1]);
    await until(() => call.firedAfterMs !== undefined && other.firedAfterMs !== undefined);
  });

  it('starts sweeping again after a pause with nothing to watch', async () => {
    const sweeper = new DeadlineSweeper();
    const first = callWithDeadline(sweeper, 20);
    await until(() => first.firedAfterMs !== undefined);
    await sleep(50);
    const second = callWithDeadline(sweeper, 20);
    await until(() => second.firedAfterMs !== undefined);
  });
});
