/**
 * Bun's garbage-collector log: started with BUN_JSC_logGC=1, JavaScriptCore writes one line per
 * collection to stderr, ending in its pause (`p=1.35ms`). Read from a gateway's stderr by the tools that
 * count collections beside their load (cpu-by-thread.ts, latency-tails.ts).
 */
import type { ChildHandle } from './processes.ts';

export const gcLogEnvironment = { BUN_JSC_logGC: '1' };

/** The collections in a stretch of the log, and each one's pause in milliseconds. */
export function collectionsIn(log: string): { count: number; pauseMs: number; pausesMs: number[] } {
  const pausesMs: number[] = [];
  for (const match of log.matchAll(/=> \w+Collection\b.*? p=([\d.]+) ?ms/g)) pausesMs.push(Number(match[1]));
  return { count: pausesMs.length, pauseMs: pausesMs.reduce((sum, pause) => sum + pause, 0), pausesMs };
}

/**
 * Everything the gateway writes to stderr from now on (its GC log, a line per collection), read here
 * rather than from the handle's bounded copy; empty `text` to start a new stretch.
 */
export function gcLogOf(gateway: ChildHandle | undefined): { text: string } {
  const log = { text: '' };
  gateway?.child.stderr?.on('data', (piece: Buffer) => (log.text += piece.toString('utf8')));
  return log;
}
