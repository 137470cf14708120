import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextCountCache } from './text-count-cache.ts';

describe('text count cache', () => {
  it('gives back the count kept for a text, and nothing for a text it does not keep, however alike', () => {
    const cache = new TextCountCache(100);
    cache.set('abcd', 3);
    assert.equal(cache.get('abcd'), 3);
    assert.equal(cache.get('abce'), undefined);
    cache.set('abce', 4);
    assert.equal(cache.get('abcd'), 3);
    assert.equal(cache.get('abce'), 4);
  });

  it('lets go of the least recently used texts to stay within its characters', () => {
    const cache = new TextCountCache(10);
    cache.set('aaaa', 1);
    cache.set('bbbb', 2);
    assert.equal(cache.get('aaaa'), 1); // now 'bbbb' is the least recently used
    cache.set('cccc', 3);
    assert.equal(cache.get('bbbb'), undefined);
    assert.equal(cache.get('aaaa'), 1);
    assert.equal(cache.get('cccc'), 3);
    assert.equal(cache.chars, 8);
  });

  it('counts a text set twice once, and keeps no text longer than all it may keep', () => {
    const cache = new TextCountCache(10);
    cache.set('aaaa', 1);
    cache.set('aaaa', 1);
    assert.equal(cache.chars, 4);
    cache.set('x'.repeat(11), 5);
    assert.equal(cache.get('x'.repeat(11)), undefined);
    assert.equal(cache.get('aaaa'), 1);
    assert.equal(cache.chars, 4);
  });
});
