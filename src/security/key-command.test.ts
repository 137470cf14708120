import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { hashKey, loadGatewayKeys } from './gateway-keys.ts';
import { runKeyCommand, type KeyCommandIo } from './key-command.ts';

/** Runs the command with its output collected and `stdin` as standard input. */
async function run(argv: string[], stdin = '') {
  const output = { stdout: '', stderr: '' };
  const io: KeyCommandIo = {
    write: (text) => void (output.stdout += text),
    writeError: (text) => void (output.stderr += text),
    readLine: async () => stdin.split('\n')[0],
  };
  const code = await runKeyCommand(argv, io);
  return { code, ...output };
}

describe('lessllm key', () => {
  it('new: prints a fresh key and a key-file entry that lets exactly that key in', async () => {
    const { code, stdout } = await run(['new', '--name', 'team: a']);
    assert.equal(code, 0);
    const key = stdout.split('\n')[0];
    assert.match(key, /^lk-[A-Za-z0-9_-]{43}$/);
    const entryYaml = stdout.slice(stdout.indexOf('  - name'));
    const entries = parse(entryYaml) as Array<{ name: string; key_sha256: string }>;
    assert.deepEqual(entries, [{ name: 'team: a', key_sha256: hashKey(key) }]);
    const fromFile = loadGatewayKeys({ key_file: '/keys.yaml' }, '/', () => `keys:\n${entryYaml}`);
    assert.equal(fromFile.authenticate(new Headers({ authorization: `Bearer ${key}` }))?.name, 'team: a');
    assert.notEqual((await run(['new'])).stdout.split('\n')[0], key);
  });

  it('hash: prints the SHA-256 of the key given, or of the first line of stdin', async () => {
    const key = 'lk-an-existing-key-of-some-length';
    assert.deepEqual(await run(['hash', key]), { code: 0, stdout: `${hashKey(key)}\n`, stderr: '' });
    assert.deepEqual(await run(['hash'], `  ${key}\r\nsecond line`), { code: 0, stdout: `${hashKey(key)}\n`, stderr: '' });
  });

  it('hash: refuses a key too short to be safe', async () => {
    const { code, stdout, stderr } = await run(['hash', 'short-key']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /the key is 9 characters long; a gateway key needs at least 16/);
  });

  it('explains its usage on mistakes', async () => {
    for (const argv of [[], ['rotate'], ['new', 'extra'], ['new', '--nmae', 'x'], ['hash', 'a', 'b'], ['new', '--name', ' ']]) {
      const { code, stdout, stderr } = await run(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.equal(stdout, '');
      assert.match(stderr, /^lessllm key: /);
    }
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /new \[--name NAME\]/);
  });

  it('hash: reads the key from a real standard input, as in `lessllm key hash < file`', () => {
    const directory = mkdtempSync(join(tmpdir(), 'lessllm-key-command-'));
    try {
      const script = join(directory, 'hash-from-stdin.ts');
      const module = new URL('./key-command.ts', import.meta.url).href;
      writeFileSync(script, `import { runKeyCommand } from ${JSON.stringify(module)};\nprocess.exitCode = await runKeyCommand(['hash']);\n`);
      // The runtime running this test, so stdin handling is checked on each of Bun, Deno and Node.
      // Deno resolves `yaml` through the repository's deno.json, which a script outside it must name.
      const denoConfig = fileURLToPath(new URL('../../deno.json', import.meta.url));
      const argv = 'Deno' in globalThis ? ['run', '-A', '--config', denoConfig, script] : [script];
      const key = 'lk-piped-through-standard-input';
      const result = spawnSync(process.execPath, argv, { input: `${key}\n`, encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.stderr, '');
      assert.equal(result.stdout, `${hashKey(key)}\n`);
      assert.equal(result.status, 0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
