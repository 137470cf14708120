/**
 * Bun's fetch keeps at most 256 requests in flight per process and queues the rest, so a gateway
 * streaming to 257 clients at once would leave the 257th waiting for someone else to finish. Bun reads
 * the limit, BUN_CONFIG_MAX_HTTP_REQUESTS, only when it starts; setting it from JavaScript is too late.
 * So when lessllm runs on Bun and the variable is unset, it replaces itself with the same command and the
 * variable set to the largest value Bun accepts. execve keeps the process id, the open stdio, and the
 * parent's view of signals and exit code, so nothing outside notices; it costs one more Bun start.
 *
 * main.ts imports this module first, so it runs before the rest of the program is evaluated. An
 * explicit BUN_CONFIG_MAX_HTTP_REQUESTS (any value) is kept. Node and Deno have no such limit; Windows
 * has no execve, and there the limit stays unless the variable is set before start.
 */

/** The largest value Bun accepts (its docs: one request per local port at most). */
const largestFetchCap = '65535';

type BunGlobal = { main: string };

function relaunchArguments(bun: BunGlobal): string[] | undefined {
  // Only when lessllm itself is the program Bun runs (not when a test or a script imports main.ts).
  if (process.argv[1] !== bun.main) return undefined;
  // A compiled executable's script lives inside it (/$bunfs/…); running the executable again runs it.
  if (bun.main.startsWith('/$bunfs/')) return [process.execPath, ...process.argv.slice(2)];
  return [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
}

const bun = (globalThis as { Bun?: BunGlobal }).Bun;
if (bun !== undefined && process.env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined && typeof process.execve === 'function') {
  const args = relaunchArguments(bun);
  if (args !== undefined) process.execve(process.execPath, args, { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: largestFetchCap });
}
