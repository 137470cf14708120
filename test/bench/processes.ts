/**
 * The benchmark's child processes (upstream, floor, gateways) and what Linux says about them: resident
 * memory from /proc/<pid>/status and CPU time from /proc/<pid>/stat. Every child is registered so that
 * none outlives the benchmark, whether it ends normally, throws, or is stopped with Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { sleep } from './stats.ts';

export { freePort } from '../support/loopback.ts';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const ticksPerSecond = 100;
const running = new Set<ChildHandle>();

export type StartOptions = {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Ready when a stdout/stderr line contains this text followed by the URL… */
  readyPrefix?: string;
  /** …or when this URL answers any HTTP status. */
  readyProbe?: string;
  timeoutMs: number;
};

export class ChildHandle {
  readonly name: string;
  readonly child: ChildProcess;
  url = '';
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (piece: Buffer) => {
      // Keep the start and the latest output; a chatty gateway must not grow the benchmark's memory.
      this.output = (this.output + piece.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get log(): string {
    return this.output;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    running.delete(this);
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export async function startChild(options: StartOptions): Promise<ChildHandle> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: Object.fromEntries(Object.entries(options.env).filter(([, value]) => value !== undefined)) as Record<string, string>,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = new ChildHandle(options.name, child);
  running.add(handle);
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (!handle.alive) throw new Error(`${options.name} exited before it was ready:\n${handle.log}`);
    if (options.readyPrefix !== undefined) {
      const url = urlAfter(handle.log, options.readyPrefix);
      if (url !== undefined) {
        handle.url = url;
        return handle;
      }
    } else if (options.readyProbe !== undefined && (await answers(options.readyProbe))) {
      handle.url = new URL(options.readyProbe).origin;
      return handle;
    }
    await sleep(50);
  }
  await handle.stop();
  throw new Error(`${options.name} was not ready within ${options.timeoutMs} ms:\n${handle.log}`);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.stop()));
}

/** Kill every child if the benchmark ends in any way other than through stopAll. */
export function stopChildrenOnExit(): void {
  process.once('exit', () => {
    for (const handle of running) handle.child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping the servers it started\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** Resident memory now and at its peak since start, in MiB. */
export function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssMb: kilobytes(status, 'VmRSS:') / 1024, peakRssMb: kilobytes(status, 'VmHWM:') / 1024 };
  } catch {
    return { rssMb: Number.NaN, peakRssMb: Number.NaN };
  }
}

/** Starts the peak of `memoryOf` (VmHWM) again from the current RSS (Linux: /proc/<pid>/clear_refs). */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not Linux, or not ours: the peak then covers the process's whole life, as the report says.
  }
}

/**
 * User plus system CPU time the process has used so far, in milliseconds; with `thread`, that thread's
 * only (the process id is also its main thread's: the event loop's).
 */
export function cpuTimeMs(pid: number, thread?: number): number {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3, the state.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/**
 * What the event loop (the main thread) has been through so far, Linux only (NaN elsewhere): its time on a
 * core and its time runnable but waiting for one (/proc/<pid>/task/<pid>/schedstat, in ns), and how often
 * the kernel took the core from it while it still had work (nonvoluntary_ctxt_switches).
 */
export function eventLoopScheduling(pid: number): { runMs: number; waitMs: number; preemptions: number } {
  try {
    const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const preemptions = Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1]);
    return { runMs: runNs / 1e6, waitMs: waitNs / 1e6, preemptions };
  } catch {
    return { runMs: Number.NaN, waitMs: Number.NaN, preemptions: Number.NaN };
  }
}

/**
 * Waits until a process has gone quiet (under 5 % of a core for 200 ms), at most `maxMs`: a gateway
 * still works after its load stops (telemetry it deferred, its threads' exports), and that work must
 * count as its own and not slow whichever contender runs next.
 */
export async function waitUntilIdle(pid: number, maxMs = 15_000): Promise<void> {
  const started = performance.now();
  const intervalMs = 200;
  let before = cpuTimeMs(pid);
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const now = cpuTimeMs(pid);
    if (!(now - before >= intervalMs * 0.05)) break; // NaN too: the process is gone
    before = now;
  }
}

/** Samples the resident memory of some processes every 100 ms until stopped; returns the highest seen. */
export function sampleRss(pids: readonly number[]): { stop(): Map<number, number> } {
  const highest = new Map<number, number>(pids.map((pid) => [pid, memoryOf(pid).rssMb]));
  const timer = setInterval(() => {
    for (const pid of pids) highest.set(pid, Math.max(highest.get(pid) ?? 0, memoryOf(pid).rssMb));
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return highest;
    },
  };
}

function kilobytes(status: string, field: string): number {
  const start = status.indexOf(field);
  if (start === -1) return Number.NaN;
  const end = status.indexOf('\n', start);
  return Number.parseInt(status.slice(start + field.length, end).trim(), 10);
}

function urlAfter(output: string, prefix: string): string | undefined {
  const start = output.indexOf(prefix);
  if (start === -1) return undefined;
  const end = output.indexOf('\n', start);
  if (end === -1) return undefined;
  return output.slice(start + prefix.length, end).trim();
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
