/**
 * The benchmark's phases, each over every contender against the same upstream, in the order run.ts runs
 * them: open-loop latency, paced streams (TTFT and per-chunk delay), many open streams, and closed-loop
 * throughput (wrk). Contenders
 * take turns within a phase, and the order rotates between runs so none always goes first.
 */
import { bunFetchCap, type Contender, type ContenderId } from './contenders.ts';
import { runOpenLoop, type OpenLoopResult } from './open-loop.ts';
import { queuedInBunFetch, runOpenStreams, type OpenStreamsResult } from './open-streams.ts';
import { cpuTimeMs, waitUntilIdle } from './processes.ts';
import { meanBetween, scrapeOverhead } from './prometheus.ts';
import { medianRecord, type Measured, type OverheadComparison, type ThroughputRun } from './results.ts';
import { openLoopScenario, openStreamsScenario, pacedScenarios, type Scenario, type ScenarioId } from './scenarios.ts';
import { checkResponse } from './sse-reader.ts';
import { answerShapeOf } from './upstream-answers.ts';
import { sleep } from './stats.ts';
import { runStreamTiming, type StreamTimingResult } from './stream-timing.ts';
import { runWrk } from './wrk.ts';

export type Plan = {
  mode: 'quick' | 'full';
  runs: number;
  connections: number;
  wrkSeconds: number;
  throughput: { scenario: Scenario; contenders: ContenderId[] }[];
  openLoop: { rate: number; seconds: number };
  paced: { seconds: number; concurrency: number };
  openStreams: { streams: number; tokens: number; contenders: ContenderId[] };
};

export type ProbeKey = ScenarioId | `paced-${ScenarioId}`;

type Log = (line: string) => void;

/** One request per scenario: is the answer complete and the upstream's? Returns the failures. */
export async function probe(contender: Contender, plan: Plan): Promise<Partial<Record<ProbeKey, string>>> {
  const failures: Partial<Record<ProbeKey, string>> = {};
  const checks: [ProbeKey, Scenario][] = [
    ...plan.throughput.map(({ scenario }) => [scenario.id, scenario] as [ProbeKey, Scenario]),
    ...pacedScenarios.map((scenario) => [`paced-${scenario.id}`, scenario] as [ProbeKey, Scenario]),
  ];
  for (const [key, scenario] of checks) {
    if (key in failures) continue;
    const call = contender.call(scenario);
    try {
      const response = await fetch(call.url, { method: 'POST', headers: call.headers, body: call.body, signal: AbortSignal.timeout(10_000) });
      const failure = await checkResponse(response, call.clientWire, scenario.stream, answerShapeOf(scenario.model).chunks, !scenario.withoutUsage);
      if (failure !== undefined) failures[key] = failure;
    } catch (error) {
      failures[key] = error instanceof Error ? error.message : String(error);
    }
  }
  return failures;
}

/** A few hundred requests so that every contender is measured warm (JIT, connection pools). */
export async function warmUp(contender: Contender, scenarios: readonly Scenario[]): Promise<void> {
  for (const scenario of scenarios) {
    const call = contender.call(scenario);
    let remaining = 300;
    const worker = async () => {
      while (remaining-- > 0) {
        const response = await fetch(call.url, { method: 'POST', headers: call.headers, body: call.body, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        await response?.arrayBuffer().catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }
}

function emptyMeasured<Run>(): Measured<Run> {
  return { runs: [], median: undefined, failure: undefined };
}

function rotated<Item>(items: readonly Item[], by: number): Item[] {
  const shift = by % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function finish<Run extends object>(measured: Measured<Run>): Measured<Run> {
  measured.median = medianRecord(measured.runs);
  return measured;
}

export async function throughputPhase(
  contenders: readonly Contender[],
  plan: Plan,
  probeFailures: Map<ContenderId, Partial<Record<ProbeKey, string>>>,
  scriptDirectory: string,
  log: Log,
): Promise<Partial<Record<ScenarioId, Partial<Record<ContenderId, Measured<ThroughputRun>>>>>> {
  const results: Partial<Record<ScenarioId, Partial<Record<ContenderId, Measured<ThroughputRun>>>>> = {};
  for (let run = 0; run < plan.runs; run++) {
    for (const { scenario, contenders: included } of plan.throughput) {
      const byContender = (results[scenario.id] ??= {});
      for (const contender of rotated(contenders, run)) {
        if (!included.includes(contender.id)) continue;
        const measured = (byContender[contender.id] ??= emptyMeasured());
        const probeFailure = probeFailures.get(contender.id)?.[scenario.id];
        if (probeFailure !== undefined) {
          measured.failure = `wrong answer, not load-tested: ${probeFailure}`;
          continue;
        }
        const pid = contender.process?.pid;
        const cpuBefore = pid === undefined ? Number.NaN : cpuTimeMs(pid);
        const result = await runWrk(contender.call(scenario), { connections: plan.connections, seconds: plan.wrkSeconds, scriptDirectory });
        // What it still does for these requests after the load stops is part of their cost.
        if (pid !== undefined) await waitUntilIdle(pid);
        const cpuMs = pid === undefined ? Number.NaN : cpuTimeMs(pid) - cpuBefore;
        measured.runs.push({ ...result, cpuMsPerRequest: cpuMs / Math.max(1, result.requests) });
        if (result.errors > result.requests * 0.01) measured.failure ??= `${result.errors} errors in ${result.requests} requests (run ${run + 1})`;
        log(`  ${scenario.id.padEnd(18)} ${contender.label.padEnd(12)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${result.p99Ms.toFixed(2)} ms`);
      }
    }
  }
  for (const byContender of Object.values(results)) for (const measured of Object.values(byContender)) finish(measured);
  return results;
}

export async function openLoopPhase(
  contenders: readonly Contender[],
  plan: Plan,
  probeFailures: Map<ContenderId, Partial<Record<ProbeKey, string>>>,
  log: Log,
): Promise<{ openLoop: Partial<Record<ContenderId, Measured<OpenLoopResult>>>; overhead: OverheadComparison[] }> {
  const openLoop: Partial<Record<ContenderId, Measured<OpenLoopResult>>> = {};
  const metricTotals = new Map<ContenderId, { sumMs: number; calls: number; status: number }>();
  for (let run = 0; run < plan.runs; run++) {
    for (const contender of rotated(contenders, run)) {
      const measured = (openLoop[contender.id] ??= emptyMeasured());
      const probeFailure = probeFailures.get(contender.id)?.[openLoopScenario.id];
      if (probeFailure !== undefined) {
        measured.failure = `wrong answer, not load-tested: ${probeFailure}`;
        continue;
      }
      // Only the full-telemetry gateway has the histogram; with OTEL_SDK_DISABLED there is nothing to read.
      const isLessllm = contender.id === 'lessllm';
      const before = isLessllm ? await scrapeOverhead(contender.process!.url) : undefined;
      const result = await runOpenLoop(contender.call(openLoopScenario), plan.openLoop);
      if (isLessllm) {
        const after = await scrapeOverhead(contender.process!.url);
        const between = meanBetween(before?.overhead, after.overhead);
        const totals = metricTotals.get(contender.id) ?? { sumMs: 0, calls: 0, status: after.status };
        if (between) {
          totals.sumMs += between.meanMs * between.calls;
          totals.calls += between.calls;
        }
        metricTotals.set(contender.id, totals);
      }
      measured.runs.push(result);
      if (result.errors + result.skipped > result.sent * 0.01) measured.failure ??= `${result.errors} errors, ${result.skipped} skipped of ${result.sent}`;
      log(`  open loop ${contender.label.padEnd(12)} p50 ${result.p50Ms.toFixed(3)} ms  p99 ${result.p99Ms.toFixed(3)} ms  (${result.completed} done)`);
    }
  }
  for (const measured of Object.values(openLoop)) finish(measured);

  const direct = openLoop.direct?.median;
  const floor = openLoop.floor?.median;
  const overhead: OverheadComparison[] = [];
  for (const [id, totals] of metricTotals) {
    const run = openLoop[id]?.median;
    const note =
      totals.calls > 0
        ? undefined
        : totals.status === 200
          ? 'GET /metrics has no lessllm_gateway_overhead samples'
          : `GET /metrics answered ${totals.status === 0 ? 'nothing' : `HTTP ${totals.status}`}`;
    overhead.push({
      contender: id,
      metricMeanMs: totals.calls > 0 ? totals.sumMs / totals.calls : undefined,
      metricCalls: totals.calls,
      addedMeanMs: run && direct ? run.meanMs - direct.meanMs : Number.NaN,
      beyondFloorMeanMs: run && floor ? run.meanMs - floor.meanMs : Number.NaN,
      note,
    });
  }
  return { openLoop, overhead };
}

export async function pacedPhase(
  contenders: readonly Contender[],
  plan: Plan,
  probeFailures: Map<ContenderId, Partial<Record<ProbeKey, string>>>,
  log: Log,
): Promise<Partial<Record<ScenarioId, Partial<Record<ContenderId, Measured<StreamTimingResult>>>>>> {
  const results: Partial<Record<ScenarioId, Partial<Record<ContenderId, Measured<StreamTimingResult>>>>> = {};
  for (let run = 0; run < plan.runs; run++) {
    for (const scenario of pacedScenarios) {
      const byContender = (results[scenario.id] ??= {});
      for (const contender of rotated(contenders, run)) {
        const measured = (byContender[contender.id] ??= emptyMeasured());
        const probeFailure = probeFailures.get(contender.id)?.[`paced-${scenario.id}`];
        if (probeFailure !== undefined) {
          measured.failure = `wrong answer, not measured: ${probeFailure}`;
          continue;
        }
        const result = await runStreamTiming(contender.call(scenario), { ...plan.paced, expectedChunks: answerShapeOf(scenario.model).chunks });
        measured.runs.push(result);
        if (result.failed > 0) measured.failure ??= `${result.failed} of ${result.streams} streams failed: ${result.firstFailure}`;
        log(`  paced ${scenario.title.padEnd(12)} ${contender.label.padEnd(12)} TTFT p99 ${result.ttftP99Ms.toFixed(2)} ms (path ${result.ttftPathP99Ms.toFixed(3)})  chunk p99 ${result.chunkTransitP99Ms.toFixed(3)} ms`);
      }
    }
  }
  for (const byContender of Object.values(results)) for (const measured of Object.values(byContender)) finish(measured);
  return results;
}

/**
 * When lessllm (started the way users start it) streams no more than Bun's fetch cap at once, while
 * the rest wait, `startUncapped` starts it again with the cap raised, so the report shows what that changes.
 */
export async function openStreamsPhase(
  contenders: readonly Contender[],
  plan: Plan,
  probeFailures: Map<ContenderId, Partial<Record<ProbeKey, string>>>,
  upstreamUrl: string,
  log: Log,
  startUncapped: (() => Promise<Contender>) | undefined,
): Promise<Partial<Record<ContenderId, Measured<OpenStreamsResult>>>> {
  const results: Partial<Record<ContenderId, Measured<OpenStreamsResult>>> = {};
  const scenario = openStreamsScenario(plan.openStreams.tokens);
  const measure = async (contender: Contender): Promise<OpenStreamsResult> => {
    // Let the previous contender's sockets close before counting anything.
    await sleep(1000);
    const result = await runOpenStreams(contender.call(scenario), {
      streams: plan.openStreams.streams,
      tokens: plan.openStreams.tokens,
      pid: contender.process?.pid,
      upstreamUrl,
      stallGapMs: 2500,
    });
    (results[contender.id] ??= emptyMeasured()).runs.push(result);
    log(
      `  open streams ${contender.label.padEnd(12)} ${result.mostOpenAtOnce} open at once (upstream ${result.upstreamMostOpen}), ` +
        `${result.stalled} stalled, ${result.failed} failed, RSS ${result.rssIdleMb.toFixed(0)} → ${result.rssAllOpenMb.toFixed(0)} MB all open, ${result.rssPeakMb.toFixed(0)} MB peak`,
    );
    return result;
  };
  const toMeasure = contenders.filter((contender) => {
    if (!plan.openStreams.contenders.includes(contender.id)) return false;
    const probeFailure = probeFailures.get(contender.id)?.stream20;
    if (probeFailure !== undefined) results[contender.id] = { ...emptyMeasured(), failure: `streaming answer wrong, not measured: ${probeFailure}` };
    return probeFailure === undefined;
  });
  // Several runs, as every other figure: whether a collection falls into the second the streams end moves
  // the peak by 40 MB or more between otherwise identical runs.
  let uncapped: Contender | Error | undefined;
  for (let run = 0; run < plan.runs; run++) {
    for (const contender of rotated(toMeasure, run)) {
      const result = await measure(contender);
      if (contender.id === 'lessllm' && queuedInBunFetch(result) && startUncapped !== undefined && uncapped === undefined) {
        log(`  lessllm never streamed more than ${bunFetchCap} at once: measuring it with Bun's fetch cap raised too`);
        uncapped = await startUncapped().catch((error: unknown) => error as Error);
        if (uncapped instanceof Error) results['lessllm-uncapped'] = { ...emptyMeasured(), failure: `did not start: ${uncapped.message.slice(0, 200)}` };
      }
      if (contender.id === 'lessllm' && uncapped !== undefined && !(uncapped instanceof Error)) await measure(uncapped);
    }
  }
  if (uncapped !== undefined && !(uncapped instanceof Error)) await uncapped.process?.stop();
  for (const result of Object.values(results)) if (result) finish(result);
  return results;
}
