/** Which runtime lessllm is on: the one check the runtime-aware files (serve.ts, worker-thread.ts) share. */
export type RuntimeName = 'bun' | 'deno' | 'node';

export function currentRuntime(): RuntimeName {
  if ('Bun' in globalThis) return 'bun';
  if ('Deno' in globalThis) return 'deno';
  return 'node';
}
