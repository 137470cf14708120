/// <reference types="bun" />
/**
 * Where a latency tail comes from. Paced streams as in the benchmark's paced phase (8 at a time, the
 * upstream's tokens 2 ms apart) and, with `--open-loop`, non-streaming requests at 1,000 a second, sent in
 * turn to direct, the floor that passes bodies through JavaScript, lessllm with telemetry off and lessllm
 * with full telemetry; beside each one's percentiles, what its event loop went through meanwhile: the
 * garbage collections of its heap that Bun logged (BUN_JSC_logGC; not the worker threads', which pause no
 * request: gc-log.ts) and their pauses, its time on a core, its time runnable but waiting for one, and
 * how often the kernel preempted it. A p99 is set by the slowest one percent:
 * these say whether the gateway's own work, the collector or a core shared with the load generator and
 * the upstream held those back. Medians over rounds whose order rotates. Linux and Bun only.
 *
 *   bun test/bench/latency-tails.ts [--rounds 5] [--seconds 5] [--converted] [--model gpt-bench-c50-f20-d2] [--open-loop]
 *
 * `--model` picks the paced answer's shape (upstream-answers.ts: c = chunks, f = ms to the first, d = ms
 * between): `gpt-bench-c500-f20-d2` has a tenth as many calls for the same chunks, which separates what a
 * call costs from what a chunk costs. `--converted` sends the paced streams on the converted route (an
 * OpenAI client, an Anthropic upstream; its model then starts with `claude-`).
 */
import { parseArgs } from 'node:util';
import { benchPaths, directContender, startFloor, startLessllm, startOtlpSink, startUpstream, type Contender } from './contenders.ts';
import { collectionsIn, gcLogEnvironment, gcLogOf } from './gc-log.ts';
import { runOpenLoop } from './open-loop.ts';
import { eventLoopScheduling, stopAll } from './processes.ts';
import { openLoopScenario, pacedScenarios } from './scenarios.ts';
import { median } from './stats.ts';
import { runStreamTiming } from './stream-timing.ts';
import { answerShapeOf } from './upstream-answers.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    converted: { type: 'boolean' },
    model: { type: 'string' },
    'open-loop': { type: 'boolean' },
  },
});
const rounds = Number(values.rounds ?? 5);
const seconds = Number(values.seconds ?? 5);
const pacedRoute = pacedScenarios[values.converted ? 1 : 0];
const pacedScenario = { ...pacedRoute, model: values.model ?? pacedRoute.model };
const pacedChunks = answerShapeOf(pacedScenario.model).chunks;
const openLoopRate = 1000;

/** The measurement's p50 and p99, and the values of its further columns, in their order. */
type Percentiles = { p50Ms: number; p99Ms: number; more: number[] };
/** A further column; `added` also prints its difference to direct's. */
type Column = { title: string; digits: number; added?: boolean };
/** What the contender's event loop went through during one measurement; NaN for direct (no process). */
type Stretch = { collections: number; pauseMs: number; medianPauseMs: number; runMs: number; waitMs: number; preemptions: number };
type Run = { percentiles: Percentiles; stretch: Stretch };
type Measurement = { name: string; measure(contender: Contender): Promise<Percentiles>; columns: string[]; more: Column[] };

const measurements: Measurement[] = [
  {
    name: `paced streams, ${pacedScenario.title} (${pacedScenario.model}: 8 at a time), upstream write → client read of each chunk`,
    columns: ['chunk p50 ms', 'chunk p99 ms', 'added p99'],
    more: [
      { title: 'TTFT p99 ms', digits: 2 },
      { title: 'TTFT path p99 ms', digits: 3, added: true },
    ],
    async measure(contender) {
      const result = await runStreamTiming(contender.call(pacedScenario), { concurrency: 8, seconds, expectedChunks: pacedChunks });
      if (result.failed > 0) process.stderr.write(`${contender.label}: ${result.failed} streams failed: ${result.firstFailure}\n`);
      return { p50Ms: result.chunkTransitP50Ms, p99Ms: result.chunkTransitP99Ms, more: [result.ttftP99Ms, result.ttftPathP99Ms] };
    },
  },
  ...(values['open-loop']
    ? [
        {
          name: `open loop, non-streaming, ${openLoopRate.toLocaleString('en')} requests/s, latency`,
          columns: ['p50 ms', 'p99 ms', 'added p99'],
          more: [],
          async measure(contender: Contender) {
            const result = await runOpenLoop(contender.call(openLoopScenario), { rate: openLoopRate, seconds });
            if (result.errors > 0) process.stderr.write(`${contender.label}: ${result.errors} errors\n`);
            return { p50Ms: result.p50Ms, p99Ms: result.p99Ms, more: [] };
          },
        },
      ]
    : []),
];

const paths = benchPaths('lessllm-tails-');

try {
  const upstream = await startUpstream(paths);
  const otlpSink = await startOtlpSink(paths);
  const contenders: Contender[] = [
    directContender(upstream),
    await startFloor(paths, upstream, true, gcLogEnvironment),
    await startLessllm(paths, upstream, { id: 'lessllm-off', telemetry: false, extraEnv: gcLogEnvironment }),
    await startLessllm(paths, upstream, { id: 'lessllm', telemetry: true, otlpSink, extraEnv: gcLogEnvironment }),
  ];
  const logs = new Map(contenders.map((contender) => [contender, gcLogOf(contender.process)]));

  const results = new Map(measurements.map((measurement) => [measurement, new Map(contenders.map((contender) => [contender, [] as Run[]]))]));
  for (const measurement of measurements) for (const contender of contenders) await measurement.measure(contender); // the JIT warms up
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, index) => contenders[(index + round) % contenders.length]);
    for (const measurement of measurements) {
      for (const contender of order) {
        const pid = contender.process?.pid;
        const log = logs.get(contender)!;
        log.text = '';
        const before = pid === undefined ? undefined : eventLoopScheduling(pid);
        const percentiles = await measurement.measure(contender);
        const after = pid === undefined ? undefined : eventLoopScheduling(pid);
        const collections = collectionsIn(log.text);
        const stretch: Stretch =
          before && after
            ? {
                collections: collections.eventLoop.count,
                pauseMs: collections.eventLoop.pauseMs,
                medianPauseMs: median(collections.eventLoop.pausesMs),
                runMs: after.runMs - before.runMs,
                waitMs: after.waitMs - before.waitMs,
                preemptions: after.preemptions - before.preemptions,
              }
            : { collections: Number.NaN, pauseMs: Number.NaN, medianPauseMs: Number.NaN, runMs: Number.NaN, waitMs: Number.NaN, preemptions: Number.NaN };
        results.get(measurement)!.get(contender)!.push({ percentiles, stretch });
      }
    }
  }

  const format = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
  console.log(`Latency tails, medians of ${rounds} rounds of ${seconds} s; the event loop's figures are per round.\n`);
  for (const measurement of measurements) {
    const medianOf = (contender: Contender, pick: (run: Run) => number) => median(results.get(measurement)!.get(contender)!.map(pick));
    const directP99 = medianOf(contenders[0], (run) => run.percentiles.p99Ms);
    const stretchColumns = ['GCs', 'GC pauses ms', 'median pause ms', 'event loop on a core ms', 'waiting for a core ms', 'preempted'];
    console.log(`${measurement.name}\n`);
    const moreTitles = measurement.more.flatMap((column) => (column.added ? [column.title, 'added'] : [column.title]));
    const titles = [...measurement.columns, ...moreTitles, ...stretchColumns];
    console.log(`| contender | ${titles.join(' | ')} |`);
    console.log(`|---|${'---:|'.repeat(titles.length)}`);
    for (const contender of contenders) {
      const p99 = medianOf(contender, (run) => run.percentiles.p99Ms);
      const cells = [format(medianOf(contender, (run) => run.percentiles.p50Ms), 3), format(p99, 3), contender.id === 'direct' ? '—' : format(p99 - directP99, 3)];
      measurement.more.forEach((column, index) => {
        const value = medianOf(contender, (run) => run.percentiles.more[index]);
        cells.push(format(value, column.digits));
        if (column.added) cells.push(contender.id === 'direct' ? '—' : format(value - medianOf(contenders[0], (run) => run.percentiles.more[index]), column.digits));
      });
      cells.push(
        format(medianOf(contender, (run) => run.stretch.collections), 0),
        format(medianOf(contender, (run) => run.stretch.pauseMs), 1),
        format(medianOf(contender, (run) => run.stretch.medianPauseMs), 2),
        format(medianOf(contender, (run) => run.stretch.runMs), 0),
        format(medianOf(contender, (run) => run.stretch.waitMs), 0),
        format(medianOf(contender, (run) => run.stretch.preemptions), 0),
      );
      console.log(`| ${contender.label} | ${cells.join(' | ')} |`);
    }
    console.log('');
  }
} finally {
  await stopAll();
}
