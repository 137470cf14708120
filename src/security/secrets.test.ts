import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactSecrets } from './secrets.ts';

describe('redactSecrets', () => {
  const upstreamKey = 'sk-proj-abcdefghijklmnop';

  it('replaces every occurrence of a secret', () => {
    const body = `{"error":{"message":"Incorrect API key provided: ${upstreamKey}. Key ${upstreamKey} is revoked."}}`;
    assert.equal(redactSecrets(body, [upstreamKey]), '{"error":{"message":"Incorrect API key provided: ***. Key *** is revoked."}}');
  });

  it('removes a secret that contains another one whole', () => {
    const prefix = 'sk-proj-abcd';
    assert.equal(redactSecrets(`key=${upstreamKey};`, [prefix, upstreamKey]), 'key=***;');
    assert.equal(redactSecrets(`a ${prefix} b ${upstreamKey}`, [prefix, upstreamKey]), 'a *** b ***');
  });

  it('leaves text without secrets, and secrets shorter than 8 characters, alone', () => {
    const text = 'model gpt-4o is overloaded';
    assert.equal(redactSecrets(text, [upstreamKey, 'gpt-4o', '']), text);
    assert.equal(redactSecrets(text, []), text);
    assert.equal(redactSecrets('', [upstreamKey]), '');
  });

  it('handles secrets with characters that are special in patterns', () => {
    const secret = 'a.b*c+d?(e)[f]$^|\\';
    assert.equal(redactSecrets(`x${secret}y aXbbcdde`, [secret]), 'x***y aXbbcdde');
  });
});
