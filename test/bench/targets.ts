/** The targets of issue 5, checked against one run's results: met, missed, or why it could not be judged. */
import type { ContenderId } from './contenders.ts';
import { sumOf, type BenchResults } from './results.ts';
import type { ScenarioId } from './scenarios.ts';
import type { StreamTimingResult } from './stream-timing.ts';

export type TargetRow = { target: string; measured: string; result: string };

export function summarize(results: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const requestsPerSecond = (scenario: ScenarioId, contender: ContenderId) => results.throughput[scenario]?.[contender]?.median?.requestsPerSecond;
  const whyMissing = (scenario: ScenarioId, contender: ContenderId) =>
    results.throughput[scenario]?.[contender]?.failure ?? `${contender} not measured in ${scenario}`;

  const throughputRatio = (target: string, scenario: ScenarioId, reference: ContenderId, minimum: number) => {
    const value = requestsPerSecond(scenario, 'lessllm');
    const base = requestsPerSecond(scenario, reference);
    if (value === undefined || base === undefined || !(base > 0)) {
      rows.push({ target, measured: dash, result: `n/a: ${value === undefined ? whyMissing(scenario, 'lessllm') : whyMissing(scenario, reference)}` });
      return;
    }
    const share = value / base;
    // What no gateway that reads the bodies in JavaScript can exceed, where it was measured (full mode).
    const javaScriptFloor = reference === 'floor' ? requestsPerSecond(scenario, 'floor-js') : undefined;
    const ceiling = javaScriptFloor === undefined ? '' : ` (floor, bodies via JS: ${percent(javaScriptFloor / base)})`;
    const ratio = reference === 'portkey' ? share.toFixed(1) + '×' : percent(share);
    rows.push({ target, measured: `${value.toFixed(0)} vs ${base.toFixed(0)} req/s = ${ratio}${ceiling}`, result: verdict(share >= minimum) });
  };

  throughputRatio('passthrough non-streaming ≥ 70% of floor', 'json', 'floor', 0.7);
  throughputRatio('passthrough streaming 20 chunks ≥ 70% of floor', 'stream20', 'floor', 0.7);
  throughputRatio('passthrough streaming 200 chunks ≥ 70% of floor', 'stream200', 'floor', 0.7);
  throughputRatio("passthrough streaming, a coding agent's request ≥ 70% of floor", 'agent-stream20', 'floor', 0.7);
  throughputRatio('conversion non-streaming ≥ 50% of floor', 'converted-json', 'floor', 0.5);
  throughputRatio('conversion streaming ≥ 50% of floor', 'converted-stream20', 'floor', 0.5);
  throughputRatio('≥ 8× Portkey, non-streaming passthrough', 'json', 'portkey', 8);
  throughputRatio('≥ 8× Portkey, non-streaming conversion', 'converted-json', 'portkey', 8);
  throughputRatio('≥ 8× Portkey, streaming passthrough', 'stream20', 'portkey', 8);

  const direct = results.openLoop.direct?.median;
  const lessllm = results.openLoop.lessllm?.median;
  for (const [label, key, limit] of [
    ['p50', 'p50Ms', 0.5],
    ['p99', 'p99Ms', 2],
  ] as const) {
    const target = `added latency ${label} ≤ ${limit} ms at ${results.settings.openLoopRate} req/s`;
    if (direct === undefined || lessllm === undefined) rows.push({ target, measured: dash, result: 'n/a: open loop not measured' });
    else {
      const added = lessllm[key] - direct[key];
      rows.push({ target, measured: `${added.toFixed(3)} ms`, result: verdict(added <= limit) });
    }
  }

  for (const [scenario, route] of [
    ['stream20', 'passthrough'],
    ['converted-stream20', 'conversion'],
  ] as const) {
    const directTiming = results.paced[scenario]?.direct?.median;
    const timing = results.paced[scenario]?.lessllm?.median;
    const ttftTarget = `added TTFT p99 ≤ 1 ms (${route})`;
    const chunkTarget = `added inter-chunk delay p99 ≤ 0.2 ms (${route})`;
    if (directTiming === undefined || timing === undefined) {
      const why = results.paced[scenario]?.lessllm?.failure ?? 'paced streams not measured';
      rows.push({ target: ttftTarget, measured: dash, result: `n/a: ${why}` }, { target: chunkTarget, measured: dash, result: `n/a: ${why}` });
    } else {
      // The path (request → upstream, first token → client), not the whole TTFT: the upstream's own wait is not the gateway's.
      const addedTtft = timing.ttftPathP99Ms - directTiming.ttftPathP99Ms;
      const addedChunk = timing.chunkTransitP99Ms - directTiming.chunkTransitP99Ms;
      // What a proxy that passes each chunk through JavaScript adds, doing nothing else (full mode).
      const javaScriptFloor = results.paced[scenario]?.['floor-js']?.median;
      const besideFloor = (pick: (timing: StreamTimingResult) => number) =>
        javaScriptFloor === undefined ? '' : ` (floor, bodies via JS: ${(pick(javaScriptFloor) - pick(directTiming)).toFixed(3)} ms)`;
      rows.push({ target: ttftTarget, measured: `${addedTtft.toFixed(3)} ms${besideFloor((run) => run.ttftPathP99Ms)}`, result: verdict(addedTtft <= 1) });
      rows.push({
        target: chunkTarget,
        measured: `${addedChunk.toFixed(3)} ms${besideFloor((run) => run.chunkTransitP99Ms)}`,
        result: verdict(addedChunk <= 0.2),
      });
    }
  }

  for (const id of ['lessllm', 'lessllm-uncapped'] as const) {
    const streams = results.openStreams[id];
    const streamsTarget = `${results.settings.openStreams} open streams, RSS < 400 MB, none stalled${id === 'lessllm' ? '' : ' (Bun fetch cap raised)'}`;
    if (streams === undefined) {
      if (id === 'lessllm') rows.push({ target: streamsTarget, measured: dash, result: 'n/a: not measured' });
    } else if (streams.failure !== undefined || streams.median === undefined) {
      rows.push({ target: streamsTarget, measured: dash, result: `MISSED: ${streams.failure ?? 'no run finished'}` });
    } else {
      // Strict, in every run: the peak counts too, though it comes as the streams end rather than while they are open.
      const met = streams.runs.every(
        (run) => run.rssAllOpenMb < 400 && run.rssPeakMb < 400 && run.stalled === 0 && run.failed === 0 && run.mostOpenAtOnce >= run.streams * 0.95,
      );
      const median = streams.median;
      const peaks = streams.runs.map((run) => run.rssPeakMb.toFixed(0)).join(' / ');
      const stalled = sumOf(streams.runs, 'stalled');
      const failed = sumOf(streams.runs, 'failed');
      rows.push({
        target: streamsTarget,
        measured: `${median.rssAllOpenMb.toFixed(0)} MB with all open, ${median.rssPeakMb.toFixed(0)} MB peak as they end (medians; peaks ${peaks}), ${median.mostOpenAtOnce} streaming at once, ${stalled} stalled, ${failed} failed`,
        result: verdict(met),
      });
    }
  }

  const costScenarios = { json: 'non-streaming', stream20: 'streaming 20', 'agent-stream20': "a coding agent's request" } as const;
  for (const scenario of ['json', 'stream20', 'agent-stream20'] as const) {
    const target = `telemetry on costs ≤ 15% of throughput (${costScenarios[scenario]})`;
    const on = requestsPerSecond(scenario, 'lessllm');
    const off = requestsPerSecond(scenario, 'lessllm-off');
    if (on === undefined || off === undefined || !(off > 0)) rows.push({ target, measured: dash, result: 'n/a: not measured' });
    else {
      const cost = 1 - on / off;
      const result = results.telemetry.active ? verdict(cost <= 0.15) : 'n/a: telemetry was not active in lessllm (see header)';
      rows.push({ target, measured: `${on.toFixed(0)} vs ${off.toFixed(0)} req/s = ${percent(cost)} cost`, result });
    }
    // The same without an OTLP endpoint (spans created for their ids, not exported): a reference, full mode only.
    const local = requestsPerSecond(scenario, 'lessllm-local');
    if (local !== undefined && off !== undefined && off > 0) {
      const cost = 1 - local / off;
      rows.push({
        target: `${target}, no OTLP endpoint`,
        measured: `${local.toFixed(0)} vs ${off.toFixed(0)} req/s = ${percent(cost)} cost`,
        result: results.telemetry.active ? verdict(cost <= 0.15) : 'n/a: telemetry was not active in lessllm (see header)',
      });
    }
  }
  return rows;
}

const dash = '—';

function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}
