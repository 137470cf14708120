import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { authSectionSchema, limitsSectionSchema } from './config-schema.ts';

const hash = 'a'.repeat(64);

describe('auth and limits config sections', () => {
  it('accept the documented shapes', () => {
    assert.equal(
      Value.Check(authSectionSchema, {
        keys: [
          { name: 'team-a', key: 'x'.repeat(20), models: ['gpt-4o*', 'claude-*'], limits: { requests_per_minute: 60, tokens_per_minute: 100000, max_concurrent_streams: 4 } },
          { name: 'team-b', key_sha256: hash.toUpperCase() },
        ],
        key_file: './keys.yaml',
      }),
      true,
    );
    assert.equal(Value.Check(authSectionSchema, {}), true);
    assert.equal(Value.Check(limitsSectionSchema, { max_messages: 2000, requests_per_minute: 0, tokens_per_minute: 0, max_concurrent_streams: 0 }), true);
  });

  it('refuse typos, wrong hashes, negative or fractional limits and empty model lists', () => {
    const refused = [
      { keys: [{ name: 'a', key_sha256: hash, model: ['x'] }] },
      { keys: [{ name: '', key_sha256: hash }] },
      { keys: [{ name: 'a', key_sha256: hash.slice(1) }] },
      { keys: [{ name: 'a', key_sha256: `${hash.slice(1)}g` }] },
      { keys: [{ name: 'a', key_sha256: hash, models: [] }] },
      { keys: [{ name: 'a', key_sha256: hash, models: [''] }] },
      { keys: [{ name: 'a', key_sha256: hash, limits: { requests_per_minute: -1 } }] },
      { keys: [{ name: 'a', key_sha256: hash, limits: { max_messages: 5 } }] },
      { keyfile: 'x' },
    ];
    for (const auth of refused) assert.equal(Value.Check(authSectionSchema, auth), false, JSON.stringify(auth));
    assert.equal(Value.Check(limitsSectionSchema, { tokens_per_minute: 1.5 }), false);
    assert.equal(Value.Check(limitsSectionSchema, { requests_per_second: 1 }), false);
  });
});
