import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { currentRuntime } from '../runtime/current-runtime.ts';
import { loadCollections } from '../runtime/collections.ts';
import { CallRegistry } from './call-registry.ts';
import { CollectionPacing, type CollectionPacingOptions } from './collection-pacing.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTimers = () => wait(5);
/** Waits until `condition` holds, for at most two seconds (timers fire late on a busy machine). */
async function until(condition: () => boolean): Promise<boolean> {
  for (const deadline = Date.now() + 2_000; Date.now() < deadline; await nextTimers()) if (condition()) return true;
  return condition();
}

/** Collections that count what they were asked for. */
function counting() {
  const asked = { young: 0, full: 0 };
  return { asked, collections: { young: () => asked.young++, full: () => asked.full++ } };
}

/** A registry wired to the pacing, as main.ts wires them. */
function wired(options: Omit<CollectionPacingOptions, 'collections'>) {
  const { asked, collections } = counting();
  const pacing = new CollectionPacing({ collections, youngEveryMs: 60_000, fullDelayMs: 0, ...options });
  const registry = new CallRegistry((count) => pacing.inFlight(count));
  const start = (count: number) => Array.from({ length: count }, () => registry.add({ abort() {} }));
  return { start, asked, pacing };
}

describe('collection pacing: a full collection once a burst of calls has ended', () => {
  it('collects when the calls in flight fall to a quarter of a peak of at least the minimum, and again for the rest', async () => {
    const { start, asked, pacing } = wired({ manyCalls: 100 });
    const ends = start(400);
    for (const end of ends.splice(0, 299)) end();
    await nextTimers();
    assert.equal(asked.full, 0, '101 of 400 still in flight: not yet');
    ends.shift()!();
    await nextTimers();
    assert.equal(asked.full, 1, '100 of 400 in flight');
    // The peak is now 100: the last ones ending is a burst of its own only once it is down to 25.
    for (const end of ends.splice(0, 74)) end();
    await nextTimers();
    assert.equal(asked.full, 1);
    ends.shift()!();
    await nextTimers();
    assert.equal(asked.full, 2);
    for (const end of ends) end();
    await nextTimers();
    assert.equal(asked.full, 2, 'a peak of 25 is below the minimum');
    pacing.stop();
  });

  it('never collects under a load that stays below the minimum, however calls come and go', async () => {
    const { start, asked } = wired({ manyCalls: 100, youngEveryMs: 1 });
    for (let round = 0; round < 20; round++) for (const end of start(99)) end();
    await wait(20);
    assert.deepEqual(asked, { young: 0, full: 0 });
  });

  it('asks once for a fall that happens while a full collection is waiting', async () => {
    const { asked, collections } = counting();
    const pacing = new CollectionPacing({ collections, manyCalls: 100, fullDelayMs: 20, youngEveryMs: 60_000 });
    pacing.inFlight(1_000);
    pacing.inFlight(250);
    pacing.inFlight(200);
    pacing.inFlight(50);
    await wait(40);
    assert.equal(asked.full, 1);
    pacing.stop();
  });

  it('stop() cancels a full collection still waiting', async () => {
    const { asked, collections } = counting();
    const pacing = new CollectionPacing({ collections, manyCalls: 100, fullDelayMs: 10 });
    pacing.inFlight(1_000);
    pacing.inFlight(10);
    pacing.stop();
    await wait(30);
    assert.equal(asked.full, 0);
  });
});

describe('collection pacing: young collections while many calls are in flight', () => {
  it('collects the young generation every interval from the minimum on, until the calls fall below half of it', async () => {
    const { start, asked, pacing } = wired({ manyCalls: 100, youngEveryMs: 10 });
    const ends = start(99);
    await wait(40);
    assert.equal(asked.young, 0, '99 calls: below the minimum');
    ends.push(...start(1));
    assert.ok(await until(() => asked.young >= 3), `100 calls: one every 10 ms (${asked.young})`);
    // Hovering just under the minimum keeps them going (no start and stop at every call).
    for (const end of ends.splice(0, 30)) end();
    const whileHovering = asked.young;
    assert.ok(await until(() => asked.young > whileHovering), '70 calls: still collecting');
    for (const end of ends.splice(0, 21)) end();
    const stoppedAt = asked.young;
    await wait(35);
    assert.equal(asked.young, stoppedAt, '49 calls, below half: stopped');
    pacing.stop();
  });

  it('stop() ends the young collections', async () => {
    const { asked, collections } = counting();
    const pacing = new CollectionPacing({ collections, manyCalls: 10, youngEveryMs: 5 });
    pacing.inFlight(10);
    pacing.stop();
    await wait(30);
    assert.equal(asked.young, 0);
  });
});

describe('collections on each runtime', () => {
  it('runs real young and full collections on Bun, and offers none on Node and Deno', async () => {
    const collections = await loadCollections();
    if (currentRuntime() !== 'bun') {
      assert.equal(collections, undefined);
      return;
    }
    assert.ok(collections);
    // Garbage with a finalizer: each collection must have found what died since (callbacks run on later turns).
    for (const kind of ['young', 'full'] as const) {
      let finalized = 0;
      const registry = new FinalizationRegistry(() => finalized++);
      (() => {
        for (let index = 0; index < 100; index++) registry.register({ index }, index);
      })();
      collections[kind]();
      for (let turn = 0; turn < 10 && finalized === 0; turn++) await nextTimers();
      assert.ok(finalized > 0, `a ${kind} collection finalizes unreachable objects`);
    }
  });
});
