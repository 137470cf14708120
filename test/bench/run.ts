/// <reference types="bun" />
/**
 * `bun run bench` (full: 3 runs, for the README) or `bun run bench -- --quick` (1 short run, under a
 * minute): starts an upstream, a bare forwarding proxy (the floor), lessllm with full telemetry and with
 * telemetry off, and Portkey's gateway, all on 127.0.0.1; measures them side by side against the same
 * upstream; prints Markdown tables and writes the figures to .bench/results-<timestamp>.json.
 *
 * Options: --quick, --runs N, --streams N (open-streams test size), --contenders a,b,… (subset; direct
 * and floor are always kept as the references). Needs `wrk` (Debian package). The full mode loads both
 * cores for about twelve minutes; the quick one for under a minute.
 *
 * If lessllm streams no more than Bun's fetch cap (256) at once in the open-streams test, a second
 * lessllm with BUN_CONFIG_MAX_HTTP_REQUESTS raised is measured too, to show what the cap costs.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  benchPaths,
  directContender,
  startFloor,
  startLessllm,
  startOtlpSink,
  startPortkey,
  startUpstream,
  uncappedFetchEnvironment,
  type Contender,
  type ContenderId,
} from './contenders.ts';
import { openLoopPhase, openStreamsPhase, pacedPhase, probe, throughputPhase, warmUp, type Plan, type ProbeKey } from './phases.ts';
import { memoryOf, resetPeakRss, stopAll } from './processes.ts';
import { describeDropped, scrapeDropped, scrapeOverhead } from './prometheus.ts';
import { formatReport } from './report.ts';
import type { BenchResults, ContenderInfo } from './results.ts';
import { throughputScenarios } from './scenarios.ts';
import { runBounded, wrkAvailable } from './wrk.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const allContenders: ContenderId[] = ['direct', 'floor', 'floor-js', 'lessllm', 'lessllm-local', 'lessllm-off', 'portkey'];
/** Measured in the throughput scenarios and the paced streams of the full mode only: a reference, not a contender. */
const javaScriptFloor: ContenderId = 'floor-js';
/** lessllm with all telemetry but an OTLP endpoint: a reference in the throughput scenarios of the full mode. */
const localTelemetryReference: ContenderId = 'lessllm-local';
const references = new Set<ContenderId>([javaScriptFloor, localTelemetryReference]);
const launchedAt = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - launchedAt) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

function makePlan(argv: string[]): Plan {
  const { values } = parseArgs({
    args: argv.filter((argument) => argument !== '--'),
    options: { quick: { type: 'boolean' }, runs: { type: 'string' }, streams: { type: 'string' }, contenders: { type: 'string' } },
  });
  const quick = values.quick === true;
  const chosen = values.contenders ? new Set(['direct', 'floor', ...values.contenders.split(',')]) : new Set(allContenders);
  const only = (ids: ContenderId[]) => ids.filter((id) => chosen.has(id));
  const everyone = only(allContenders);
  // Quick mode keeps every scenario but leaves out the rows no target needs, to stay under a minute.
  const withoutOff = only(['direct', 'floor', 'lessllm', 'portkey']);
  return {
    mode: quick ? 'quick' : 'full',
    runs: Math.max(1, Number(values.runs ?? (quick ? 1 : 3))),
    connections: 32,
    wrkSeconds: quick ? 1 : 4,
    throughput: throughputScenarios.map((scenario) => ({
      scenario,
      contenders: quick
        ? !['json', 'stream20', 'agent-stream20'].includes(scenario.id)
          ? withoutOff
          : everyone.filter((id) => !references.has(id))
        : everyone,
    })),
    openLoop: { rate: 1000, seconds: quick ? 1 : 6 },
    paced: { seconds: quick ? 0.6 : 8, concurrency: 8 },
    openStreams: {
      streams: Math.max(1, Number(values.streams ?? 5000)),
      tokens: quick ? 5 : 15,
      contenders: quick ? only(['lessllm']) : only(['floor', 'lessllm', 'lessllm-off', 'portkey']),
    },
  };
}

async function main(): Promise<void> {
  const plan = makePlan(process.argv.slice(2));
  const began = performance.now();
  if (!(await wrkAvailable())) throw new Error('wrk is not installed: apt-get update && apt-get install -y wrk');
  const paths = benchPaths('lessllm-bench-');
  const { temporaryDirectory } = paths;
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  log(`bench: ${plan.mode} mode, ${plan.runs} run(s); starting upstream and contenders`);

  try {
    const upstream = await startUpstream(paths);
    // Full telemetry exports spans and metrics over OTLP, as a deployment with a collector does.
    const otlpSink = await startOtlpSink(paths);
    const wanted = new Set(plan.throughput.flatMap((entry) => entry.contenders));
    const starters: [ContenderId, () => Promise<Contender>][] = [
      ['floor', () => startFloor(paths, upstream)],
      ['floor-js', () => startFloor(paths, upstream, true)],
      ['lessllm', () => startLessllm(paths, upstream, { id: 'lessllm', telemetry: true, otlpSink })],
      ['lessllm-local', () => startLessllm(paths, upstream, { id: 'lessllm-local', label: 'lessllm, no OTLP endpoint', telemetry: true })],
      ['lessllm-off', () => startLessllm(paths, upstream, { id: 'lessllm-off', telemetry: false })],
      ['portkey', () => startPortkey(paths, upstream)],
    ];
    const started = await Promise.allSettled(starters.filter(([id]) => wanted.has(id)).map(([, start]) => start()));
    const contenders: Contender[] = [directContender(upstream)];
    const infos: ContenderInfo[] = [{ id: 'direct', label: 'direct', notes: contenders[0].notes, pid: undefined, unavailable: undefined, probeFailures: {}, peakRssMb: Number.NaN }];
    starters
      .filter(([id]) => wanted.has(id))
      .forEach(([id], index) => {
        const outcome = started[index];
        if (outcome.status === 'fulfilled') {
          contenders.push(outcome.value);
          infos.push({
            id,
            label: outcome.value.label,
            notes: outcome.value.notes,
            pid: outcome.value.process?.pid,
            unavailable: undefined,
            probeFailures: {},
            peakRssMb: Number.NaN,
            reference: references.has(id),
          });
        } else {
          const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
          infos.push({ id, label: id, notes: [], pid: undefined, unavailable: reason.slice(0, 300), probeFailures: {}, peakRssMb: Number.NaN });
          log(`bench: ${id} did not start: ${reason.slice(0, 500)}`);
        }
      });

    const probeFailures = new Map<ContenderId, Partial<Record<ProbeKey, string>>>();
    for (const contender of contenders) {
      const failures = await probe(contender, plan);
      probeFailures.set(contender.id, failures);
      infos.find((info) => info.id === contender.id)!.probeFailures = failures;
      for (const [key, failure] of Object.entries(failures)) log(`bench: ${contender.label} ${key}: ${failure}`);
      const working = plan.throughput.map((entry) => entry.scenario).filter((scenario) => failures[scenario.id] === undefined);
      await warmUp(contender, working);
    }
    const telemetry = await telemetryState(contenders.find((contender) => contender.id === 'lessllm'));

    // The saturating throughput runs come last: after them (a coding agent's requests among them) the
    // processes carry those runs' heaps and backlogs, and latency at a moderate rate or the memory of
    // open streams measured the leftovers as much as the gateway.
    log(`bench: open loop at ${plan.openLoop.rate} req/s`);
    const latencyContenders = contenders.filter((contender) => !references.has(contender.id));
    const { openLoop, overhead } = await openLoopPhase(latencyContenders, plan, probeFailures, log);
    log('bench: paced streams (TTFT, per-chunk delay)');
    // The JavaScript floor too: what passing each chunk through a JavaScript stream adds to its delay,
    // before any gateway work, is the least a gateway that reads the stream can add.
    const pacedContenders = contenders.filter((contender) => contender.id !== localTelemetryReference);
    const paced = await pacedPhase(pacedContenders, plan, probeFailures, log);
    log(`bench: ${plan.openStreams.streams} open streams`);
    const startUncapped = async () => {
      const contender = await startLessllm(paths, upstream, {
        id: 'lessllm-uncapped',
        label: 'lessllm, fetch cap raised',
        telemetry: true,
        otlpSink,
        extraEnv: uncappedFetchEnvironment,
      });
      infos.push({
        id: contender.id,
        label: contender.label,
        notes: contender.notes,
        pid: contender.process?.pid,
        unavailable: undefined,
        probeFailures: {},
        peakRssMb: Number.NaN,
        openStreamsOnly: true,
      });
      return contender;
    };
    const openStreams = await openStreamsPhase(contenders, plan, probeFailures, upstream.url, log, startUncapped);
    // The peak memory row covers the throughput phase alone.
    for (const info of infos) if (info.pid !== undefined) resetPeakRss(info.pid);
    log('bench: closed-loop throughput (wrk)');
    const throughput = await throughputPhase(contenders, plan, probeFailures, temporaryDirectory, log);
    for (const info of infos) if (info.pid !== undefined) info.peakRssMb = memoryOf(info.pid).peakRssMb;
    telemetry.logRows = await logRows(join(temporaryDirectory, 'lessllm-log.db'));
    const lessllm = contenders.find((contender) => contender.id === 'lessllm');
    if (lessllm?.process) telemetry.dropped = await scrapeDropped(lessllm.process.url);
    telemetry.otlpReceived = await otlpReceived(otlpSink.url);

    const results: BenchResults = {
      startedAt,
      mode: plan.mode,
      runs: plan.runs,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(totalmem() / 1024 ** 3),
        loadAverageAtStart,
        loadAverageAtEnd: loadavg(),
        kernel: release(),
      },
      tools: { bun: Bun.version, node: (await runBounded(paths.node, ['--version'], 10_000)).trim(), wrk: (await runBounded('wrk', ['--version'], 10_000)).split('\n')[0].trim() },
      settings: {
        connections: plan.connections,
        wrkSeconds: plan.wrkSeconds,
        openLoopRate: plan.openLoop.rate,
        openLoopSeconds: plan.openLoop.seconds,
        pacedSeconds: plan.paced.seconds,
        pacedConcurrency: plan.paced.concurrency,
        openStreams: plan.openStreams.streams,
        openStreamTokens: plan.openStreams.tokens,
      },
      contenders: infos,
      telemetry: { ...telemetry, note: telemetryNote(telemetry) },
      throughput,
      openLoop,
      overhead,
      paced,
      openStreams,
      seconds: (performance.now() - began) / 1000,
    };
    process.stdout.write(formatReport(results));
    const outputDirectory = join(root, '.bench');
    mkdirSync(outputDirectory, { recursive: true });
    const outputPath = join(outputDirectory, `results-${startedAt.replaceAll(':', '-').replace(/\..*/, '')}.json`);
    writeFileSync(outputPath, JSON.stringify(results, null, 2));
    log(`bench: done in ${results.seconds.toFixed(1)} s; figures in ${outputPath}`);
  } finally {
    await stopAll();
    rmSync(temporaryDirectory, { recursive: true, force: true });
  }
}

type TelemetryState = Omit<BenchResults['telemetry'], 'note'>;

/** Whether lessllm's telemetry is really on: /metrics answers with its instruments after the warm-up traffic. */
async function telemetryState(lessllm: Contender | undefined): Promise<TelemetryState> {
  const unknown = { logRows: undefined, otlpReceived: undefined, dropped: undefined };
  if (lessllm?.process === undefined) return { metricsStatus: 0, active: false, ...unknown };
  const scrape = await scrapeOverhead(lessllm.process.url);
  return { metricsStatus: scrape.status, active: scrape.status === 200, ...unknown };
}

async function otlpReceived(sinkUrl: string): Promise<TelemetryState['otlpReceived']> {
  try {
    return (await (await fetch(sinkUrl + '/stats', { signal: AbortSignal.timeout(5000) })).json()) as TelemetryState['otlpReceived'];
  } catch {
    return undefined;
  }
}

function telemetryNote(state: TelemetryState): string {
  const rows = state.logRows === undefined ? 'no log table file was written' : `${state.logRows} rows in the log table`;
  const received = Object.entries(state.otlpReceived ?? {})
    .map(([signal, { exports, bytes }]) => `${signal} ${exports} exports, ${(bytes / 1e6).toFixed(1)} MB`)
    .join('; ');
  const otlp = received === '' ? 'the OTLP sink received nothing' : `the OTLP sink received ${received}`;
  const dropped = describeDropped(state.dropped);
  if (state.active) return `active (GET /metrics 200; ${rows}; ${otlp}; ${dropped})`;
  return `NOT ACTIVE in this build: GET /metrics answered ${state.metricsStatus === 0 ? 'nothing' : `HTTP ${state.metricsStatus}`} and ${rows}; the "lessllm" rows ran without telemetry`;
}

/** Rows the log table holds after the run, read with Bun's SQLite (the benchmark runs on Bun only). */
async function logRows(path: string): Promise<number | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const { Database } = await import('bun:sqlite');
    const database = new Database(path, { readonly: true });
    try {
      const row = database.query('select count(*) as count from lessllm_calls').get() as { count: number } | null;
      return row?.count;
    } finally {
      database.close();
    }
  } catch {
    return undefined;
  }
}

await main().then(
  () => process.exit(0),
  async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await stopAll();
    process.exit(1);
  },
);
