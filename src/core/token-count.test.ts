import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../runtime/load-tokenizer.ts';
import { countTextTokens } from './token-count.ts';

describe('token count', () => {
  it('counts a long text as the tokenizer does, again when the text comes back, and a different text of the same length as itself', () => {
    const tokenizer = loadTokenizer();
    const file = (name: string) => Array.from({ length: 60 }, (_, line) => `const ${name}${line} = await read("src/${name}/part${line}.ts");`).join('\n');
    const first = file('alpha');
    const second = file('qzxjv');
    assert.equal(first.length, second.length);
    assert.ok(first.length > 2048, 'long enough for its count to be kept');
    assert.equal(countTextTokens(first), tokenizer.countTokens(first));
    assert.equal(countTextTokens(`${first.slice(0, 100)}${first.slice(100)}`), tokenizer.countTokens(first));
    assert.equal(countTextTokens(second), tokenizer.countTokens(second));
    assert.notEqual(tokenizer.countTokens(first), tokenizer.countTokens(second), 'texts whose counts differ');
  });
});
