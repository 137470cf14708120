import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingLine } from './recording-line.ts';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Calls that note the order they were recorded in; `costMs` of busy work each, `textChars` of bodies. */
function calls(count: number, recorded: number[], costMs = 0, textChars = 0) {
  return Array.from({ length: count }, (_, index) => ({
    textChars,
    finishNow() {
      const until = performance.now() + costMs;
      while (performance.now() < until);
      recorded.push(index);
    },
  }));
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(1);
  }
}

describe('the recording line (finished calls waiting to be recorded)', () => {
  it('records every call on a later turn, in the order they ended', async () => {
    const recorded: number[] = [];
    const line = new RecordingLine({ hasRoom: () => true, maxHeld: 100, maxWaitingTextChars: Infinity });
    for (const call of calls(50, recorded)) line.add(call);
    assert.deepEqual(recorded, [], 'nothing is recorded while the call is still returning');
    await until(() => recorded.length === 50);
    assert.deepEqual(recorded, [...Array(50).keys()]);
  });

  it('records a burst in slices, so the event loop serves other work between them', async () => {
    const recorded: number[] = [];
    const line = new RecordingLine({ hasRoom: () => true, maxHeld: 100, maxWaitingTextChars: Infinity, sliceMs: 4 });
    for (const call of calls(40, recorded, 1)) line.add(call);
    // A timer due now stands for other work waiting on the event loop (a client's request).
    let recordedWhenOtherWorkRan = -1;
    setTimeout(() => (recordedWhenOtherWorkRan = recorded.length), 0);
    await until(() => recorded.length === 40);
    assert.ok(recordedWhenOtherWorkRan >= 0 && recordedWhenOtherWorkRan < 40, `other work ran after ${recordedWhenOtherWorkRan} of 40 calls`);
  });

  it('records without yielding while the waiting calls keep more body text than maxWaitingTextChars', async () => {
    // Big calls that take long to record: slices alone would let them pile up under sustained load.
    const recorded: number[] = [];
    const line = new RecordingLine({ hasRoom: () => true, maxHeld: 100, maxWaitingTextChars: 500_000, sliceMs: 4 });
    for (const call of calls(20, recorded, 1, 100_000)) line.add(call);
    let recordedWhenOtherWorkRan = -1;
    setTimeout(() => (recordedWhenOtherWorkRan = recorded.length), 0);
    await until(() => recorded.length === 20);
    // 2,000,000 characters wait: 15 calls are recorded before the slice may end, 5 are left (500,000).
    assert.ok(recordedWhenOtherWorkRan >= 15 && recordedWhenOtherWorkRan < 20, `other work ran after ${recordedWhenOtherWorkRan} of 20 calls`);
  });

  it('holds calls back while there is no room, and records them in order once there is', async () => {
    const recorded: number[] = [];
    let room = false;
    const line = new RecordingLine({ hasRoom: () => room, maxHeld: 100, maxWaitingTextChars: Infinity, retryMs: 1 });
    for (const call of calls(10, recorded)) line.add(call);
    await sleep(30);
    assert.deepEqual(recorded, [], 'held while the span queue is full');
    assert.equal(line.length, 10);
    room = true;
    await until(() => recorded.length === 10);
    assert.deepEqual(recorded, [...Array(10).keys()]);
  });

  it('holds no more than maxHeld calls: beyond that it records regardless', async () => {
    const recorded: number[] = [];
    const line = new RecordingLine({ hasRoom: () => false, maxHeld: 5, maxWaitingTextChars: Infinity, retryMs: 1 });
    for (const call of calls(12, recorded)) line.add(call);
    await until(() => line.length === 5);
    await sleep(20);
    assert.deepEqual(recorded, [0, 1, 2, 3, 4, 5, 6], 'the oldest are recorded until only maxHeld wait');
    assert.equal(line.length, 5);
    line.finishAll(); // or its retry timer keeps the test process alive
  });

  it('holds no more than maxWaitingTextChars of bodies: beyond that it records regardless', async () => {
    // Few calls, but big ones (coding agents' requests): the count bound alone would hold them all.
    const recorded: number[] = [];
    const line = new RecordingLine({ hasRoom: () => false, maxHeld: 100, maxWaitingTextChars: 500_000, retryMs: 1 });
    for (const call of calls(12, recorded, 0, 138_000)) line.add(call);
    await until(() => recorded.length === 9);
    await sleep(20);
    assert.deepEqual(recorded, [...Array(9).keys()], 'the oldest are recorded until the rest keep no more than the limit');
    assert.equal(line.length, 3);
    line.finishAll();
  });

  it('records everything at once on finishAll (shutdown), even without room', () => {
    const recorded: number[] = [];
    const line = new RecordingLine({ hasRoom: () => false, maxHeld: 100, maxWaitingTextChars: Infinity });
    for (const call of calls(7, recorded)) line.add(call);
    line.finishAll();
    assert.deepEqual(recorded, [...Array(7).keys()]);
    assert.equal(line.length, 0);
  });
});
