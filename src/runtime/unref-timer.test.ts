import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The command that runs a script on the runtime under test. */
function runtimeCommand(script: string): { command: string; args: string[] } {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (deno) return { command: deno.execPath(), args: ['run', '-A', script] };
  return { command: process.execPath, args: [script] };
}

describe('unrefTimer', () => {
  it('lets the process exit with an interval and a long timeout still pending', () => {
    const directory = mkdtempSync(join(tmpdir(), 'lessllm-unref-'));
    try {
      const script = join(directory, 'pending-timers.ts');
      const helper = fileURLToPath(new URL('./unref-timer.ts', import.meta.url));
      writeFileSync(
        script,
        `import { unrefTimer } from ${JSON.stringify(helper)};\n` +
          `unrefTimer(setInterval(() => {}, 1_000));\n` +
          `unrefTimer(setTimeout(() => {}, 600_000));\n` +
          `console.log('scheduled');\n`,
      );
      const { command, args } = runtimeCommand(script);
      const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
      assert.equal(result.signal, null, 'the process had to be killed: a timer kept it alive');
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'scheduled');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
