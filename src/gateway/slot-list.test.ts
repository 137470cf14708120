import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SlotList } from './slot-list.ts';

const item = (name: string) => ({ name, slot: -1 });
const names = (list: SlotList<{ name: string; slot: number }>) => list.items.map((entry) => entry.name).sort();

describe('slot list', () => {
  it('adds and removes items from the middle, the end and the start, keeping every slot its index', () => {
    const list = new SlotList<{ name: string; slot: number }>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item);
    for (const entry of [a, b, c, d]) list.add(entry);
    assert.equal(list.remove(b), true);
    assert.equal(list.remove(d), true);
    assert.equal(list.remove(a), true);
    assert.deepEqual(names(list), ['c']);
    assert.equal(c.slot, 0);
    assert.deepEqual([a.slot, b.slot, d.slot], [-1, -1, -1]);
    list.items.forEach((entry, index) => assert.equal(entry.slot, index));
  });

  it('adds an item once, and removing one that is not in changes nothing', () => {
    const list = new SlotList<{ name: string; slot: number }>();
    const [a, b] = ['a', 'b'].map(item);
    list.add(a);
    list.add(a);
    assert.equal(list.size, 1);
    assert.equal(list.remove(b), false);
    assert.equal(list.remove(a), true);
    assert.equal(list.remove(a), false);
    assert.equal(list.size, 0);
  });
});
