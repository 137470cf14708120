/**
 * The tables: one per scenario, the overhead the gateway reports about itself, and a summary against the
 * targets of issue 5. Markdown tables, so the full run's output can go into the README as it is.
 */
import { bunFetchCap, type ContenderId } from './contenders.ts';
import { queuedInBunFetch } from './open-streams.ts';
import { sumOf, type BenchResults, type Measured } from './results.ts';
import { throughputScenarios, type ScenarioId } from './scenarios.ts';
import { summarize } from './targets.ts';

const dash = '—';

export function formatReport(results: BenchResults): string {
  const sections: string[] = [header(results)];
  for (const scenario of throughputScenarios) {
    const byContender = results.throughput[scenario.id];
    if (byContender) sections.push(throughputTable(results, scenario.id, scenario.title));
  }
  sections.push(openLoopTable(results), overheadTable(results));
  for (const [id, title] of [
    ['stream20', 'paced streams, passthrough (OpenAI → OpenAI): 50 tokens, first after 20 ms, then every 2 ms'],
    ['converted-stream20', 'paced streams, converted (OpenAI client → Anthropic upstream): 50 tokens, 20 ms, then every 2 ms'],
  ] as const) {
    if (results.paced[id]) sections.push(pacedTable(results, id, title));
  }
  sections.push(openStreamsTable(results), memoryTable(results), summaryTable(results));
  return sections.join('\n\n') + '\n';
}

function header(results: BenchResults): string {
  const lines = [
    `# lessllm benchmark (${results.mode} mode, ${results.runs === 1 ? '1 run' : `median of ${results.runs} runs`}), ${results.startedAt}`,
    `machine: ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGb} GB, Linux ${results.machine.kernel}; ` +
      `load average at start ${results.machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}, at end ${results.machine.loadAverageAtEnd.map((value) => value.toFixed(2)).join(' ')}`,
    `tools: bun ${results.tools.bun}, node ${results.tools.node}, ${results.tools.wrk}; load generator, upstream and contenders share the machine`,
    `closed loop: wrk -t1 -c${results.settings.connections} for ${results.settings.wrkSeconds} s per row; open loop: ${results.settings.openLoopRate} req/s for ${results.settings.openLoopSeconds} s`,
    `telemetry (lessllm): ${results.telemetry.note}`,
  ];
  for (const contender of results.contenders) {
    const state = contender.unavailable ? `NOT STARTED: ${contender.unavailable}` : contender.notes.join('; ');
    lines.push(`- ${contender.label}: ${state}`);
  }
  return lines.join('\n');
}

/** A Markdown table; the first column (or every column, for text tables) is left-aligned, numbers right-aligned. */
export function table(title: string, columns: string[], rows: string[][], notes: string[] = [], alignAllLeft = false): string {
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => (row[index] ?? '').length)));
  const left = (index: number) => alignAllLeft || index === 0;
  const line = (cells: string[]) => '| ' + cells.map((cell, index) => (left(index) ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join(' | ') + ' |';
  const rule = '|' + widths.map((width, index) => (left(index) ? '-'.repeat(width + 2) : '-'.repeat(width + 1) + ':')).join('|') + '|';
  return [`## ${title}`, '', line(columns), rule, ...rows.map(line), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

export function number(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? dash : value.toFixed(digits);
}

function ratio(value: number | undefined, reference: number | undefined, digits = 2): string {
  if (value === undefined || reference === undefined || !Number.isFinite(value) || !(reference > 0)) return dash;
  return (value / reference).toFixed(digits) + '×';
}

function signed(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return dash;
  return (value >= 0 ? '+' : '') + value.toFixed(digits);
}

function failureNotes<Run>(byContender: Partial<Record<ContenderId, Measured<Run>>>, results: BenchResults): string[] {
  return Object.entries(byContender)
    .filter(([, measured]) => measured?.failure !== undefined)
    .map(([id, measured]) => `${labelOf(results, id as ContenderId)}: ${measured!.failure}`);
}

/** The rows of a table: everyone but the open-streams-only variants, and a reference only where it was measured. */
function tableContenders(results: BenchResults, measuredIn?: Partial<Record<ContenderId, unknown>>) {
  return results.contenders.filter(
    (contender) => contender.openStreamsOnly !== true && (contender.reference !== true || measuredIn?.[contender.id] !== undefined),
  );
}

function labelOf(results: BenchResults, id: ContenderId): string {
  return results.contenders.find((contender) => contender.id === id)?.label ?? id;
}

function throughputTable(results: BenchResults, scenarioId: ScenarioId, title: string): string {
  const byContender = results.throughput[scenarioId]!;
  const floor = byContender.floor?.median;
  const peer = byContender.portkey?.median;
  const rows = tableContenders(results, byContender).map((contender) => {
    const measured = byContender[contender.id];
    const run = measured?.median;
    if (run === undefined) return [contender.label, measured?.failure ? 'FAILED' : 'not run', dash, dash, dash, dash, dash, dash, dash, dash];
    return [
      contender.label,
      number(run.requestsPerSecond, 0),
      ratio(run.requestsPerSecond, floor?.requestsPerSecond),
      ratio(run.requestsPerSecond, peer?.requestsPerSecond),
      number(run.p50Ms, 2),
      number(run.p99Ms, 2),
      number(run.cpuMsPerRequest * 1000, 0),
      ratio(run.cpuMsPerRequest, floor?.cpuMsPerRequest),
      ratio(run.cpuMsPerRequest, peer?.cpuMsPerRequest),
      String(Math.round(run.errors)),
    ];
  });
  const notes = failureNotes(byContender, results);
  if (scenarioId.startsWith('converted')) notes.push('direct and floor send the equivalent Anthropic request to /v1/messages (same upstream work, no conversion).');
  return table(
    `${title}: closed loop, ${results.settings.connections} connections`,
    ['contender', 'req/s', '× floor', '× portkey', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU × floor', 'CPU × portkey', 'errors'],
    rows,
    notes,
  );
}

function openLoopTable(results: BenchResults): string {
  const direct = results.openLoop.direct?.median;
  const floor = results.openLoop.floor?.median;
  const peer = results.openLoop.portkey?.median;
  const rows = tableContenders(results).map((contender) => {
    const measured = results.openLoop[contender.id];
    const run = measured?.median;
    if (run === undefined) return [contender.label, measured?.failure ? 'FAILED' : 'not run', dash, dash, dash, dash, dash, dash, dash, dash];
    const addedP50 = direct ? run.p50Ms - direct.p50Ms : undefined;
    const floorAddedP50 = direct && floor ? floor.p50Ms - direct.p50Ms : undefined;
    const peerAddedP50 = direct && peer ? peer.p50Ms - direct.p50Ms : undefined;
    return [
      contender.label,
      number(run.completed / results.settings.openLoopSeconds, 0),
      number(run.p50Ms, 3),
      number(run.p99Ms, 3),
      contender.id === 'direct' ? dash : signed(addedP50),
      contender.id === 'direct' ? dash : signed(direct ? run.p99Ms - direct.p99Ms : undefined),
      contender.id === 'direct' || contender.id === 'floor' ? dash : ratio(addedP50, floorAddedP50),
      contender.id === 'direct' || contender.id === 'portkey' ? dash : ratio(addedP50, peerAddedP50, 3),
      `${Math.round(run.errors)}/${Math.round(run.skipped)}`,
      number(run.sendLagP99Ms, 2),
    ];
  });
  return table(
    `added latency at a fixed rate: non-streaming passthrough, open loop ${results.settings.openLoopRate} req/s`,
    ['contender', 'done/s', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms', 'added p50 × floor', 'added p50 × portkey', 'errors/skipped', 'sender lag p99 ms'],
    rows,
    [...failureNotes(results.openLoop, results), 'added = contender percentile − direct percentile; "sender lag" is how late the generator sent against its schedule.'],
  );
}

function overheadTable(results: BenchResults): string {
  const rows = results.overhead.map((comparison) => [
    labelOf(results, comparison.contender),
    number(comparison.metricMeanMs, 3),
    String(comparison.metricCalls),
    number(comparison.addedMeanMs, 3),
    number(comparison.beyondFloorMeanMs, 3),
    comparison.metricMeanMs === undefined ? dash : signed(comparison.metricMeanMs - comparison.beyondFloorMeanMs),
  ]);
  const notes = results.overhead.flatMap((comparison) => (comparison.note ? [`${labelOf(results, comparison.contender)}: ${comparison.note}`] : []));
  return table(
    'lessllm_gateway_overhead (from GET /metrics) against the added latency measured outside, open-loop phase',
    ['contender', 'metric mean ms', 'calls', 'added over direct, mean ms', 'added over floor, mean ms', 'metric − added over floor'],
    rows,
    [
      ...notes,
      'Added over direct includes the second HTTP hop that any proxy pays; added over floor removes it (floor mean − direct mean),',
      'leaving lessllm\'s own share, which is what the histogram is meant to measure.',
    ],
  );
}

function pacedTable(results: BenchResults, scenarioId: ScenarioId, title: string): string {
  const byContender = results.paced[scenarioId]!;
  const direct = byContender.direct?.median;
  const rows = tableContenders(results, byContender).map((contender) => {
    const measured = byContender[contender.id];
    const run = measured?.median;
    if (run === undefined) return [contender.label, measured?.failure ? 'FAILED' : 'not run', dash, dash, dash, dash, dash, dash, dash, dash];
    const isDirect = contender.id === 'direct';
    return [
      contender.label,
      String(Math.round(run.streams - run.failed)),
      number(run.ttftP50Ms, 2),
      number(run.ttftP99Ms, 2),
      number(run.ttftPathP50Ms, 3),
      number(run.ttftPathP99Ms, 3),
      isDirect ? dash : signed(direct ? run.ttftPathP99Ms - direct.ttftPathP99Ms : undefined),
      number(run.chunkTransitP50Ms, 3),
      number(run.chunkTransitP99Ms, 3),
      isDirect ? dash : signed(direct ? run.chunkTransitP99Ms - direct.chunkTransitP99Ms : undefined),
      number(run.gapP99Ms, 2),
    ];
  });
  return table(
    title,
    ['contender', 'streams', 'TTFT p50 ms', 'TTFT p99 ms', 'TTFT path p50 ms', 'TTFT path p99 ms', 'added TTFT p99', 'chunk delay p50 ms', 'chunk delay p99 ms', 'added chunk p99', 'gap p99 ms'],
    rows,
    [
      ...failureNotes(byContender, results),
      'TTFT = request sent → first content chunk read, the upstream\'s own wait before its first token included (20 ms by its timer, which fires late by a varying',
      'fraction of a millisecond on a shared machine). TTFT path = the same less that wait: request sent → upstream handler, plus first token written → read',
      '(clocks written into the first token); added TTFT p99 compares the paths\' p99, since the upstream\'s wait is not the gateway\'s.',
      'chunk delay = upstream write → client read of each content chunk after the first (clock written into the token).',
    ],
  );
}

function openStreamsTable(results: BenchResults): string {
  const rows = Object.entries(results.openStreams).map(([id, measured]) => {
    const label = labelOf(results, id as ContenderId);
    const outcome = measured?.median;
    if (measured === undefined || outcome === undefined) return [label, 'FAILED', dash, dash, dash, dash, dash, dash, dash, dash, dash, dash, dash, dash];
    return [
      label,
      String(outcome.streams),
      String(outcome.completed),
      `${sumOf(measured.runs, 'stalled')} (${sumOf(measured.runs, 'stalledAfterFirstByte')})`,
      String(sumOf(measured.runs, 'failed')),
      String(outcome.mostConnectedAtOnce),
      String(outcome.mostOpenAtOnce),
      String(outcome.upstreamMostOpen),
      number(outcome.firstByteP99Ms, 0),
      number(outcome.rssIdleMb, 0),
      number(outcome.rssAllOpenMb, 0),
      number(outcome.rssPeakMb, 0),
      number(outcome.rssAfterMb, 0),
      number(outcome.kbPerStream, 1),
    ];
  });
  const notes = Object.entries(results.openStreams).flatMap(([id, measured]) => {
    if (measured === undefined) return [];
    const label = labelOf(results, id as ContenderId);
    if (measured.failure !== undefined) return [`${label}: ${measured.failure}`];
    const lines = [
      `${label}: RSS all open / peak / after per run: ${measured.runs.map((run) => `${number(run.rssAllOpenMb, 0)} / ${number(run.rssPeakMb, 0)} / ${number(run.rssAfterMb, 0)}`).join(', ')} MB`,
    ];
    const firstFailure = measured.runs.find((run) => run.firstFailure !== undefined)?.firstFailure;
    if (firstFailure !== undefined) lines.push(`${label}: first failure: ${firstFailure}`);
    const capped = measured.runs.find(queuedInBunFetch);
    if (capped) {
      lines.push(`${label}: never more than ${capped.mostOpenAtOnce} streams answering at once: the rest queued inside Bun's fetch, which allows ${bunFetchCap} requests in flight per process unless BUN_CONFIG_MAX_HTTP_REQUESTS is set before start.`);
    }
    return lines;
  });
  return table(
    `${results.settings.openStreams} concurrent open streams, one token a second (${results.settings.openStreamTokens} tokens each)`,
    ['contender', 'streams', 'completed', 'stalled (after the first byte)', 'failed', 'connected', 'streaming', 'upstream', 'first byte p99 ms', 'RSS idle MB', 'RSS all open MB', 'RSS peak MB', 'RSS after MB', 'KB/stream'],
    rows,
    [
      ...notes,
      `Medians of ${results.runs === 1 ? 'one run' : `${results.runs} runs, one after another in the same processes`}, except stalled and failed: all runs together.`,
      'connected / streaming / upstream: the most client connections, answering streams, and streams open at the upstream at any one moment.',
      'RSS all open: the most while every stream was answering at once; RSS peak: the most during the whole test, including the second the streams end and their calls are recorded; RSS after: two seconds after the last stream ended.',
      'KB/stream = (RSS peak − RSS idle) / connected. Stalled: no byte for 2.5 s, or unfinished at the deadline.',
    ],
  );
}

function memoryTable(results: BenchResults): string {
  const rows = results.contenders
    .filter((contender) => contender.pid !== undefined && Number.isFinite(contender.peakRssMb))
    .map((contender) => [contender.label, number(contender.peakRssMb, 0)]);
  return table('peak resident memory during the closed-loop throughput phase (VmHWM, reset before it)', ['contender', 'peak RSS MB'], rows);
}

function summaryTable(results: BenchResults): string {
  const rows = summarize(results).map((row) => [row.target, row.measured, row.result]);
  return table('summary against the targets of issue 5 (lessllm with full telemetry unless said otherwise)', ['target', 'measured', 'result'], rows, [], true);
}
