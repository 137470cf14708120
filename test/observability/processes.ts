/** Small helpers for tests that run real programs: find one on PATH, pick a free port, poll until ready. */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export { freePort } from '../support/loopback.ts';
export { settlesWithin } from '../support/gateway.ts';

export function findProgram(name: string, extraFolders: string[] = []): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), ...extraFolders];
  for (const folder of folders) {
    if (folder && existsSync(join(folder, name))) return join(folder, name);
  }
  return undefined;
}

/**
 * Polls `check` until it returns true. The limit is a generous bound for a loaded 2-core machine,
 * not an assertion about speed.
 */
export async function waitFor(what: string, limitMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + limitMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
      if (error instanceof Error && error.message.includes('exited')) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting for ${what} after ${limitMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

