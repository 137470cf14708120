import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { currentRuntime } from '../runtime/current-runtime.ts';
import { loadFullCollection } from '../runtime/full-collection.ts';
import { BurstCollection } from './burst-collection.ts';
import { CallRegistry } from './call-registry.ts';

const nextTimers = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A registry wired to a burst collection that counts what it was asked for, as main.ts wires them. */
function wired(minimumPeak: number) {
  let collected = 0;
  const burst = new BurstCollection({ collect: () => collected++, minimumPeak, delayMs: 0 });
  const registry = new CallRegistry((count) => burst.inFlight(count));
  const start = (count: number) => Array.from({ length: count }, () => registry.add({ abort() {} }));
  return { registry, start, collected: () => collected };
}

describe('burst collection (a full GC once a burst of calls has ended)', () => {
  it('collects when the calls in flight fall to a quarter of a peak of at least the minimum, and again for the rest', async () => {
    const { start, collected } = wired(100);
    const ends = start(400);
    for (const end of ends.splice(0, 299)) end();
    await nextTimers();
    assert.equal(collected(), 0, '101 of 400 still in flight: not yet');
    ends.shift()!();
    await nextTimers();
    assert.equal(collected(), 1, '100 of 400 in flight');
    // The peak is now 100: the last ones ending is a burst of its own only once it is down to 25.
    for (const end of ends.splice(0, 74)) end();
    await nextTimers();
    assert.equal(collected(), 1);
    ends.shift()!();
    await nextTimers();
    assert.equal(collected(), 2);
    for (const end of ends) end();
    await nextTimers();
    assert.equal(collected(), 2, 'a peak of 25 is below the minimum');
  });

  it('never collects under a load that stays below the minimum peak, however calls come and go', async () => {
    const { start, collected } = wired(100);
    for (let round = 0; round < 20; round++) for (const end of start(99)) end();
    await nextTimers();
    assert.equal(collected(), 0);
  });

  it('asks once for a fall that happens while a collection is waiting', async () => {
    let collected = 0;
    const burst = new BurstCollection({ collect: () => collected++, minimumPeak: 100, delayMs: 20 });
    burst.inFlight(1_000);
    burst.inFlight(250);
    burst.inFlight(200);
    burst.inFlight(50);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(collected, 1);
    burst.stop();
  });

  it('stop() cancels a collection still waiting', async () => {
    let collected = 0;
    const burst = new BurstCollection({ collect: () => collected++, minimumPeak: 100, delayMs: 10 });
    burst.inFlight(1_000);
    burst.inFlight(10);
    burst.stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(collected, 0);
  });

  it('runs a real full collection on Bun, and asks for none on Node and Deno', async () => {
    const collect = await loadFullCollection();
    if (currentRuntime() !== 'bun') {
      assert.equal(collect, undefined);
      return;
    }
    assert.ok(collect);
    // Garbage with a finalizer: a full collection must have found it (its callbacks run on later turns).
    let finalized = 0;
    const registry = new FinalizationRegistry(() => finalized++);
    (() => {
      for (let index = 0; index < 100; index++) registry.register({ index }, index);
    })();
    collect();
    for (let turn = 0; turn < 10 && finalized === 0; turn++) await nextTimers();
    assert.ok(finalized > 0, 'a full collection finalizes unreachable objects');
  });
});
