/// <reference types="bun" />
/**
 * Where lessllm's CPU goes, thread by thread, with full telemetry, without an OTLP endpoint, and with
 * telemetry off, side by side in one run: what each part of telemetry costs, and on which thread (the
 * event loop, which every request waits for, or the runtime's and lessllm's other threads).
 *
 *   bun test/bench/cpu-by-thread.ts [--scenario json] [--rounds 3] [--seconds 5] [--runtime bun|node|deno] [--parts]
 *
 * Three gateways from this tree (the modes of ab.ts: `on` exports spans and metrics to a local OTLP sink
 * and writes the SQLite log table, `no-otlp` the same without an endpoint, `off` neither) take wrk load in
 * turn, the order rotating every round; `--parts` adds three that each leave out part of `on`: the
 * captured bodies, the log table, and everything but the metrics (no OTLP endpoint, no log table, no
 * capture), so that each part's cost is its row's distance from `on`. CPU is read per thread from /proc
 * before the load and after a settling pause (work a call leaves for later counts as its own). Threads are
 * grouped by name (Bun: "HTTP Client", "Worker", "HeapHelper"…; Node: "V8Worker", "libuv-worker"…); the
 * process's own id is its event loop. On Bun the table adds the garbage collections of the event loop's
 * heap that the runtime logged (BUN_JSC_logGC) per 1,000 requests, their pauses in µs per request, and the
 * KB they collected per request (the garbage a request leaves, which sets how often the event loop pauses,
 * and moves far less from run to run than CPU), and the pauses of the worker threads' heaps, which hold up
 * no request (gc-log.ts). The last column is how much of the machine's CPU stayed idle during the load
 * (/proc/stat): with the event loop near a whole core and cores to spare, the event loop bounds the
 * throughput; with none to spare, the CPU of every thread does. Medians over the rounds. Needs wrk.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchPaths, startLessllm, startOtlpSink, startUpstream, type Contender, type LessllmRuntime } from './contenders.ts';
import { collectionsIn, gcLogEnvironment, gcLogOf } from './gc-log.ts';
import { cpuTimeMs, stopAll } from './processes.ts';
import { namedScenarios } from './scenarios.ts';
import { median } from './stats.ts';
import { runWrk } from './wrk.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    scenario: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    runtime: { type: 'string' },
    parts: { type: 'boolean' },
  },
});
const scenario = namedScenarios.find((candidate) => candidate.id === (values.scenario ?? 'json'));
if (!scenario) throw new Error(`--scenario ${values.scenario}: one of ${namedScenarios.map((candidate) => candidate.id).join(', ')}`);
const rounds = Number(values.rounds ?? 3);
const seconds = Number(values.seconds ?? 5);
const runtime = (values.runtime ?? 'bun') as LessllmRuntime;
if (!['bun', 'node', 'deno'].includes(runtime)) throw new Error(`--runtime ${runtime}: bun, node or deno`);
/** Lets deferred telemetry (log rows, span batches) finish, so that it counts in the round that caused it. */
const settleMs = 1200;
const eventLoop = 'event loop';

type Mode = { name: string; telemetry: boolean; otlp: boolean; logTable: boolean; captureContent: boolean };
const on: Mode = { name: 'on', telemetry: true, otlp: true, logTable: true, captureContent: true };
const modes: readonly Mode[] = [
  on,
  ...(values.parts
    ? [
        { ...on, name: 'on, no capture', captureContent: false },
        { ...on, name: 'on, no log table', logTable: false },
        { ...on, name: 'metrics only', otlp: false, logTable: false, captureContent: false },
      ]
    : []),
  { ...on, name: 'no-otlp', otlp: false },
  { name: 'off', telemetry: false, otlp: false, logTable: false, captureContent: false },
];

type ThreadCpu = { name: string; milliseconds: number };

/** The machine's idle and total CPU time so far, in clock ticks (the first line of /proc/stat). */
function machineCpu(): { idle: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait …: iowait counts as idle.
  return { idle: ticks[3] + ticks[4], total: ticks.reduce((sum, value) => sum + value, 0) };
}

/** CPU milliseconds so far of each of the process's threads, by thread id. */
function cpuByThread(pid: number): Map<string, ThreadCpu> {
  const byThread = new Map<string, ThreadCpu>();
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byThread;
  }
  for (const thread of threads) {
    let name: string;
    try {
      name = thread === String(pid) ? eventLoop : readFileSync(`/proc/${pid}/task/${thread}/comm`, 'utf8').trim();
    } catch {
      continue; // the thread ended meanwhile
    }
    const milliseconds = cpuTimeMs(pid, Number(thread));
    if (Number.isFinite(milliseconds)) byThread.set(thread, { name, milliseconds });
  }
  return byThread;
}

/**
 * CPU between two readings, summed by thread name. A thread that began in between counts from zero; one
 * that ended in between is gone from /proc with its CPU (JavaScriptCore's JIT threads come and go), so a
 * group can come out a little low, never negative.
 */
function cpuBetween(before: Map<string, ThreadCpu>, after: Map<string, ThreadCpu>): Map<string, number> {
  const byName = new Map<string, number>();
  for (const [thread, { name, milliseconds }] of after) {
    byName.set(name, (byName.get(name) ?? 0) + milliseconds - (before.get(thread)?.milliseconds ?? 0));
  }
  return byName;
}

const paths = benchPaths('lessllm-threads-');
const { temporaryDirectory } = paths;

type Round = {
  microsByThread: Map<string, number>;
  total: number;
  requestsPerSecond: number;
  /** The event loop's heap: collections per 1,000 requests, their pauses in µs per request, KB collected per request. */
  collectionsPerThousand: number;
  pauseMicros: number;
  collectedKb: number;
  /** The worker threads' heaps (the SQLite log writer): their pauses, which hold up no request, in µs per request. */
  otherPauseMicros: number;
  /** Per cent of the machine's CPU that stayed idle while the load ran. */
  machineIdlePercent: number;
};

try {
  const upstream = await startUpstream(paths);
  const otlpSink = await startOtlpSink(paths);
  const gateways = new Map<Mode, { contender: Contender; log: { text: string } }>();
  for (const mode of modes) {
    // A directory of its own for each gateway: its config and log table are named by the id.
    const contender = await startLessllm({ ...paths, temporaryDirectory: mkdtempSync(join(temporaryDirectory, 'mode-')) }, upstream, {
      id: 'lessllm',
      label: mode.name,
      telemetry: mode.telemetry,
      otlpSink: mode.otlp ? otlpSink : undefined,
      logTable: mode.logTable,
      captureContent: mode.captureContent,
      runtime,
      extraEnv: runtime === 'bun' ? gcLogEnvironment : undefined,
    });
    gateways.set(mode, { contender, log: gcLogOf(contender.process) });
  }

  const results = new Map<Mode, Round[]>(modes.map((mode) => [mode, []]));
  for (let round = 0; round < rounds; round++) {
    const order = modes.map((_, index) => modes[(index + round) % modes.length]);
    for (const mode of order) {
      const { contender, log } = gateways.get(mode)!;
      const pid = contender.process!.pid;
      const call = contender.call(scenario);
      if (round === 0) {
        // A first load of a round's length: the JIT compiles the request path while it runs, and what it
        // leaves for later has settled before the first measured load.
        await runWrk(call, { connections: 32, seconds, scriptDirectory: temporaryDirectory });
        await Bun.sleep(settleMs);
      }
      log.text = '';
      const before = cpuByThread(pid);
      const processBefore = cpuTimeMs(pid);
      const machineBefore = machineCpu();
      const result = await runWrk(call, { connections: 32, seconds, scriptDirectory: temporaryDirectory });
      const machineAfter = machineCpu();
      await Bun.sleep(settleMs);
      const microsByThread = new Map<string, number>();
      for (const [name, milliseconds] of cpuBetween(before, cpuByThread(pid))) microsByThread.set(name, (milliseconds * 1000) / result.requests);
      // The process's own figure keeps the CPU of threads that ended meanwhile.
      const total = ((cpuTimeMs(pid) - processBefore) * 1000) / result.requests;
      const collections = collectionsIn(log.text);
      results.get(mode)!.push({
        microsByThread,
        total,
        requestsPerSecond: result.requestsPerSecond,
        collectionsPerThousand: (collections.eventLoop.count * 1000) / result.requests,
        pauseMicros: (collections.eventLoop.pauseMs * 1000) / result.requests,
        collectedKb: collections.eventLoop.collectedKb / result.requests,
        otherPauseMicros: (collections.otherHeaps.pauseMs * 1000) / result.requests,
        machineIdlePercent: (100 * (machineAfter.idle - machineBefore.idle)) / (machineAfter.total - machineBefore.total),
      });
      if (result.errors > 0) process.stderr.write(`${mode.name}: ${result.errors} errors\n`);
    }
  }

  const threadNames = [...new Set([eventLoop, ...modes.flatMap((mode) => results.get(mode)!.flatMap((run) => [...run.microsByThread.keys()]))])];
  const medianOf = (mode: Mode, pick: (run: Round) => number) => median(results.get(mode)!.map(pick));
  // Threads that took under 0.5 µs per request in every mode would only widen the table.
  const shown = threadNames.filter((name) => modes.some((mode) => medianOf(mode, (run) => run.microsByThread.get(name) ?? 0) >= 0.5));
  const gcColumns = runtime === 'bun' ? ['GCs per 1,000 req', 'GC pause µs/req', 'KB collected/req', 'other threads\' GC pause µs/req'] : [];
  console.log(`lessllm's CPU by thread on ${runtime}, scenario ${scenario.id}: µs per request, medians of ${rounds} rounds of ${seconds} s (wrk, 32 connections)\n`);
  console.log(`| telemetry | process | ${shown.join(' | ')} | ${[...gcColumns, 'req/s', 'machine idle %'].join(' | ')} |`);
  console.log(`|---|${'---:|'.repeat(shown.length + gcColumns.length + 3)}`);
  for (const mode of modes) {
    const cells = [medianOf(mode, (run) => run.total), ...shown.map((name) => medianOf(mode, (run) => run.microsByThread.get(name) ?? 0))].map((value) => value.toFixed(1));
    if (runtime === 'bun') {
      cells.push(
        medianOf(mode, (run) => run.collectionsPerThousand).toFixed(2),
        medianOf(mode, (run) => run.pauseMicros).toFixed(1),
        medianOf(mode, (run) => run.collectedKb).toFixed(1),
        medianOf(mode, (run) => run.otherPauseMicros).toFixed(1),
      );
    }
    cells.push(medianOf(mode, (run) => run.requestsPerSecond).toFixed(0), medianOf(mode, (run) => run.machineIdlePercent).toFixed(1));
    console.log(`| ${mode.name} | ${cells.join(' | ')} |`);
  }
} finally {
  await stopAll();
}
