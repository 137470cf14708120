import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AuthSection } from './config-schema.ts';
import { anonymousKey, generateKey, hashKey, KeyConfigError, loadGatewayKeys, presentedKeys } from './gateway-keys.ts';

const teamAKey = 'team-a-key-0123456789';
const teamBKey = 'team-b-key-9876543210';

/** A key file system in memory: the loader takes its reader as a parameter. */
function files(contents: Record<string, string>) {
  return (path: string) => {
    if (!(path in contents)) throw Object.assign(new Error(`no such file ${path}`), { code: 'ENOENT' });
    return contents[path];
  };
}
const noFiles = files({});

function bearer(key: string): Headers {
  return new Headers({ authorization: `Bearer ${key}` });
}

function loadThrows(auth: AuthSection, readFile = noFiles): string {
  try {
    loadGatewayKeys(auth, '/config', readFile);
  } catch (error) {
    assert.ok(error instanceof KeyConfigError, `expected KeyConfigError, got ${error}`);
    return error.message;
  }
  assert.fail('expected the keys to be refused');
}

describe('gateway keys', () => {
  const keys = loadGatewayKeys(
    {
      keys: [
        { name: 'team-a', key: teamAKey, models: ['gpt-4o*', 'claude-?'] },
        { name: 'team-b', key_sha256: hashKey(teamBKey).toUpperCase(), limits: { requests_per_minute: 5 } },
      ],
    },
    '/config',
    noFiles,
    { requests_per_minute: 60, tokens_per_minute: 1000, max_messages: 10 },
  );

  it('knows a key by its plaintext or by its SHA-256 (hex in either case)', () => {
    assert.equal(keys.enabled, true);
    assert.equal(keys.authenticate(bearer(teamAKey))?.name, 'team-a');
    assert.equal(keys.authenticate(new Headers({ 'x-api-key': teamBKey }))?.name, 'team-b');
  });

  it('refuses missing, empty and wrong keys, whatever their length', () => {
    for (const wrong of ['x', teamAKey.slice(0, -1), `${teamAKey}x`, teamAKey.toUpperCase(), 'k'.repeat(10_000), hashKey(teamAKey)]) {
      assert.equal(keys.authenticate(bearer(wrong)), undefined, `accepted ${wrong.slice(0, 30)}`);
      assert.equal(keys.authenticate(new Headers({ 'x-api-key': wrong })), undefined);
    }
    assert.equal(keys.authenticate(new Headers()), undefined);
    assert.equal(keys.authenticate(new Headers({ authorization: 'Bearer' })), undefined);
    assert.equal(keys.authenticate(new Headers({ authorization: 'Bearer    ' })), undefined);
    assert.equal(keys.authenticate(new Headers({ 'x-api-key': '' })), undefined);
    // Other schemes are not gateway keys, even when the credential happens to be one.
    assert.equal(keys.authenticate(new Headers({ authorization: `Basic ${teamAKey}` })), undefined);
    assert.equal(keys.authenticate(new Headers({ authorization: teamAKey })), undefined);
  });

  it('reads the Bearer scheme in any case and with extra spaces', () => {
    assert.equal(keys.authenticate(new Headers({ authorization: `bearer ${teamAKey}` }))?.name, 'team-a');
    assert.equal(keys.authenticate(new Headers({ authorization: `BEARER    ${teamAKey}   ` }))?.name, 'team-a');
    assert.equal(keys.authenticate(new Headers({ authorization: `Bearer\t${teamAKey}` }))?.name, 'team-a');
    assert.deepEqual(presentedKeys(new Headers({ authorization: '  Bearer  a b ' })), ['a b']);
  });

  it('accepts the real key in either header when the other holds a placeholder', () => {
    const both = new Headers({ authorization: 'Bearer placeholder-for-the-sdk', 'x-api-key': teamBKey });
    assert.equal(keys.authenticate(both)?.name, 'team-b');
  });

  it('limits a key to its model globs, and lets an unrestricted key use any model', () => {
    const teamA = keys.authenticate(bearer(teamAKey))!;
    assert.equal(teamA.allowsModel('gpt-4o'), true);
    assert.equal(teamA.allowsModel('gpt-4o-mini'), true);
    assert.equal(teamA.allowsModel('claude-3'), true);
    assert.equal(teamA.allowsModel('claude-35'), false);
    assert.equal(teamA.allowsModel('gpt-4'), false);
    assert.equal(teamA.allowsModel('my-gpt-4o'), false);
    assert.equal(keys.authenticate(bearer(teamBKey))!.allowsModel('anything/at:all'), true);
  });

  it("merges a key's own limits over the shared ones; absent means unlimited", () => {
    assert.deepEqual(keys.authenticate(bearer(teamAKey))!.limits, { requestsPerMinute: 60, tokensPerMinute: 1000, maxConcurrentStreams: 0 });
    assert.deepEqual(keys.authenticate(bearer(teamBKey))!.limits, { requestsPerMinute: 5, tokensPerMinute: 1000, maxConcurrentStreams: 0 });
  });
});

describe('no keys configured', () => {
  it('lets everyone in as the anonymous key, which allows every model and carries the shared limits', () => {
    for (const auth of [undefined, {}, { keys: [] }]) {
      const keys = loadGatewayKeys(auth, '/config', noFiles, { max_concurrent_streams: 3 });
      assert.equal(keys.enabled, false);
      const key = keys.authenticate(new Headers());
      assert.equal(key?.name, 'anonymous');
      assert.equal(key?.allowsModel('whatever'), true);
      assert.deepEqual(key?.limits, { requestsPerMinute: 0, tokensPerMinute: 0, maxConcurrentStreams: 3 });
    }
    assert.deepEqual(anonymousKey(undefined).limits, { requestsPerMinute: 0, tokensPerMinute: 0, maxConcurrentStreams: 0 });
  });
});

describe('refused key configurations', () => {
  it('needs exactly one of key and key_sha256', () => {
    assert.match(loadThrows({ keys: [{ name: 'a' }] }), /auth\.keys\.0 \(a\): give exactly one of key .* or key_sha256/);
    assert.match(loadThrows({ keys: [{ name: 'a', key: teamAKey, key_sha256: hashKey(teamAKey) }] }), /exactly one/);
  });

  it('refuses a short plaintext key without printing it', () => {
    const message = loadThrows({ keys: [{ name: 'a', key: teamAKey }, { name: 'short', key: 'secret-123' }] });
    assert.match(message, /auth\.keys\.1 \(short\): the key is 10 characters long; a gateway key needs at least 16/);
    assert.doesNotMatch(message, /secret-123/);
  });

  it('refuses duplicate names and duplicate keys, also across the key file', () => {
    assert.match(
      loadThrows({ keys: [{ name: 'a', key: teamAKey }, { name: 'a', key: teamBKey }] }),
      /auth\.keys\.1 \(a\): the name "a" is already used by auth\.keys\.0 \(a\)/,
    );
    const sameKey = loadThrows({ keys: [{ name: 'a', key: teamAKey }, { name: 'b', key_sha256: hashKey(teamAKey) }] });
    assert.match(sameKey, /auth\.keys\.1 \(b\): the same key as auth\.keys\.0 \(a\)/);
    const acrossFile = loadThrows(
      { keys: [{ name: 'a', key: teamAKey }], key_file: 'keys.yaml' },
      files({ '/config/keys.yaml': `keys:\n  - name: a\n    key_sha256: ${hashKey(teamBKey)}\n` }),
    );
    assert.match(acrossFile, /\/config\/keys\.yaml:2:5: keys\.0 \(a\): the name "a" is already used by auth\.keys\.0/);
  });
});

describe('the key file', () => {
  it('is read relative to the config directory and adds its keys to the inline ones', () => {
    const directory = mkdtempSync(join(tmpdir(), 'lessllm-keys-'));
    try {
      writeFileSync(join(directory, 'keys.yaml'), `keys:\n  - name: from-file\n    key_sha256: ${hashKey(teamBKey)}\n    models: [mistral-*]\n`);
      const keys = loadGatewayKeys(
        { keys: [{ name: 'inline', key: teamAKey }], key_file: './keys.yaml' },
        directory,
        (path) => readFileSync(path, 'utf8'),
      );
      assert.equal(keys.authenticate(bearer(teamAKey))?.name, 'inline');
      const fromFile = keys.authenticate(bearer(teamBKey));
      assert.equal(fromFile?.name, 'from-file');
      assert.equal(fromFile?.allowsModel('mistral-large'), true);
      assert.equal(fromFile?.allowsModel('gpt-4o'), false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('names the file (and line) in every problem it has, without echoing values', () => {
    const load = (text: string | undefined) =>
      loadThrows({ key_file: '/etc/lessllm/keys.yaml' }, files(text === undefined ? {} : { '/etc/lessllm/keys.yaml': text }));
    assert.match(load(undefined), /^\/etc\/lessllm\/keys\.yaml: cannot read the key file \(auth\.key_file\): ENOENT/);
    assert.match(load('keys: [\n'), /^\/etc\/lessllm\/keys\.yaml:\d+:\d+: invalid YAML in the key file/);
    assert.match(load('keys: []\n'), /^\/etc\/lessllm\/keys\.yaml: the key file lists no keys/);
    assert.match(load('- name: a\n'), /^\/etc\/lessllm\/keys\.yaml:1:1: \(root\): expected object/);
    const typo = load(`keys:\n  - name: a\n    key_sha: ${hashKey(teamAKey)}\n`);
    assert.match(typo, /^\/etc\/lessllm\/keys\.yaml:3:14: keys\.0\.key_sha: unexpected property/);
    const leaked = load(`keys:\n  - name: a\n    key_sha256: not-a-hash-but-a-secret-key\n`);
    assert.match(leaked, /^\/etc\/lessllm\/keys\.yaml:3:17: keys\.0\.key_sha256: expected string to match/);
    assert.doesNotMatch(leaked, /secret-key/);
    assert.match(load('keys:\n  - name: short\n    key: tiny\n'), /keys\.yaml:2:5: keys\.0 \(short\): the key is 4 characters long/);
  });
});

describe('key material', () => {
  it('hashes like sha256sum and makes long, distinct, URL-safe keys', () => {
    assert.equal(hashKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const first = generateKey();
    assert.match(first, /^lk-[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first, generateKey());
  });
});
