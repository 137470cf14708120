/// <reference types="bun" />
/**
 * Before/after of a change to lessllm: two source trees run side by side against the same upstream, in
 * interleaved wrk rounds (the order flips every round), and the table gives each tree's median CPU µs per
 * request (from /proc, steadier than req/s on a shared machine), of the process and of its event loop, and
 * median req/s.
 *
 *   git worktree add ../before <commit> && ln -s "$PWD/node_modules" ../before/node_modules
 *   bun test/bench/ab.ts ../before . [--scenarios json,stream20] [--rounds 5] [--seconds 3] [--telemetry on|off|no-otlp] [--latency] [--open-streams 5000] [--runtime node|deno]
 *
 * Scenarios are the throughput scenarios of the benchmark (json, stream20, stream200, converted-json,
 * converted-stream20, agent-stream20) and two whose usage lessllm counts with its tokenizer, as the
 * clients do not ask for it (stream20-no-usage, agent-stream20-no-usage). Telemetry is on by default, as in the benchmark's `lessllm` row: spans and metrics
 * exported over OTLP to a local sink, SQLite log table; `no-otlp` is the same without an OTLP endpoint.
 * CPU is the whole gateway process, its threads included, and the event loop's (the main thread's) alone:
 * the event loop is what every request waits for, and its figure moves less from round to round than the
 * process's, whose worker threads (span export, SQLite) run whenever there is a core free. With
 * `--latency`, each round also sends the first scenario open-loop at 1,000 requests/s to each tree and the
 * table adds the median p50 and p99 latency (as the benchmark's open-loop phase, without the direct
 * baseline). With `--open-streams N`, each round also opens N streams of 15 tokens, one a second, to each
 * tree in turn (as the benchmark's open-streams phase; the throughput scenarios then default to none) and
 * the table gives each tree's RSS with all of them open, its peak, and two seconds after they ended, the
 * 99th percentile of the time to a stream's first byte, and the gateway's CPU time over the test: one
 * round after another in the same processes, so a later round starts from what the earlier ones left.
 * With `--runtime node` or `deno`, both trees run on that runtime (the npm package's) instead of Bun. Needs wrk.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runOpenLoop } from './open-loop.ts';
import { runOpenStreams, type OpenStreamsResult } from './open-streams.ts';
import { benchPaths, startLessllm, startOtlpSink, startUpstream, treePaths, type Contender, type LessllmRuntime } from './contenders.ts';
import { cpuTimeMs, stopAll } from './processes.ts';
import { describeDropped, scrapeDropped } from './prometheus.ts';
import { namedScenarios, openStreamsScenario } from './scenarios.ts';
import { median } from './stats.ts';
import { runWrk } from './wrk.ts';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  allowPositionals: true,
  options: {
    scenarios: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    telemetry: { type: 'string' },
    latency: { type: 'boolean' },
    'open-streams': { type: 'string' },
    runtime: { type: 'string' },
  },
});
if (positionals.length !== 2) {
  throw new Error('usage: bun test/bench/ab.ts <tree before> <tree after> [--scenarios a,b] [--rounds N] [--seconds N] [--telemetry on|off|no-otlp] [--latency] [--open-streams N] [--runtime bun|node|deno]');
}
const trees = positionals.map((tree) => resolve(tree));
const openStreams = values['open-streams'] === undefined ? 0 : Number(values['open-streams']);
if (!Number.isInteger(openStreams) || openStreams < 0) throw new Error(`--open-streams ${values['open-streams']}: a number of streams`);
const scenarioIds = values.scenarios !== undefined ? values.scenarios.split(',') : openStreams > 0 ? [] : ['json', 'stream20'];
const scenarios = namedScenarios.filter((scenario) => scenarioIds.includes(scenario.id));
if (scenarios.length !== scenarioIds.length) throw new Error(`unknown scenario in ${scenarioIds.join(',')}`);
if (values.latency && scenarios.length === 0) throw new Error('--latency sends the first of --scenarios: name one');
const openStreamTokens = 15;
const rounds = Number(values.rounds ?? 5);
const seconds = Number(values.seconds ?? 3);
const telemetryMode = values.telemetry ?? 'on';
if (!['on', 'off', 'no-otlp'].includes(telemetryMode)) throw new Error(`--telemetry ${telemetryMode}: on, off or no-otlp`);
const telemetry = telemetryMode !== 'off';
const runtimes: readonly LessllmRuntime[] = ['bun', 'node', 'deno'];
const runtime = (values.runtime ?? 'bun') as LessllmRuntime;
if (!runtimes.includes(runtime)) throw new Error(`--runtime ${runtime}: bun, node or deno`);
/** Lets the log writer flush a round's rows, so their CPU counts in that round. */
const settleMs = 1200;

const ownPaths = benchPaths('lessllm-ab-');
const { root, temporaryDirectory } = ownPaths;
const paths = (treeRoot: string) => treePaths(ownPaths, treeRoot);

try {
  const upstream = await startUpstream(paths(root));
  const otlpSink = telemetryMode === 'on' ? await startOtlpSink(paths(root)) : undefined;
  // Two contender ids so the two processes keep apart (log files, labels); the label is the tree.
  const gateways: { tree: string; contender: Contender }[] = [];
  for (const [index, tree] of trees.entries()) {
    const contender = await startLessllm(paths(tree), upstream, { id: index === 0 ? 'lessllm' : 'lessllm-off', telemetry, otlpSink, label: tree, runtime });
    gateways.push({ tree, contender });
  }
  const cpu = new Map<string, number[]>();
  const eventLoopCpu = new Map<string, number[]>();
  const rate = new Map<string, number[]>();
  const latency = new Map<string, { p50: number[]; p99: number[] }>();
  /** Each open-streams test, with the gateway's CPU seconds over it (the streams, and what it did after them). */
  const streamRuns = new Map<string, { result: OpenStreamsResult; cpuSeconds: number }[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const scenario of scenarios) {
      for (const { tree, contender } of order) {
        const call = contender.call(scenario);
        if (round === 0) await runWrk(call, { connections: 32, seconds: 1, scriptDirectory: temporaryDirectory });
        const pid = contender.process!.pid;
        const before = cpuTimeMs(pid);
        const eventLoopBefore = cpuTimeMs(pid, pid);
        const result = await runWrk(call, { connections: 32, seconds, scriptDirectory: temporaryDirectory });
        await Bun.sleep(settleMs);
        const key = `${scenario.id}\t${tree}`;
        cpu.set(key, [...(cpu.get(key) ?? []), ((cpuTimeMs(pid) - before) * 1000) / result.requests]);
        eventLoopCpu.set(key, [...(eventLoopCpu.get(key) ?? []), ((cpuTimeMs(pid, pid) - eventLoopBefore) * 1000) / result.requests]);
        rate.set(key, [...(rate.get(key) ?? []), result.requestsPerSecond]);
        if (result.errors > 0) process.stderr.write(`${scenario.id} ${tree}: ${result.errors} errors\n`);
      }
    }
    if (values.latency) {
      for (const { tree, contender } of order) {
        const result = await runOpenLoop(contender.call(scenarios[0]), { rate: 1000, seconds });
        await Bun.sleep(settleMs);
        const figures = latency.get(tree) ?? { p50: [], p99: [] };
        figures.p50.push(result.p50Ms);
        figures.p99.push(result.p99Ms);
        latency.set(tree, figures);
      }
    }
    if (openStreams > 0) {
      for (const { tree, contender } of order) {
        await Bun.sleep(1000);
        const cpuBefore = cpuTimeMs(contender.process!.pid);
        const result = await runOpenStreams(contender.call(openStreamsScenario(openStreamTokens)), {
          streams: openStreams,
          tokens: openStreamTokens,
          pid: contender.process!.pid,
          upstreamUrl: upstream.url,
          stallGapMs: 2500,
        });
        const cpuSeconds = (cpuTimeMs(contender.process!.pid) - cpuBefore) / 1000;
        streamRuns.set(tree, [...(streamRuns.get(tree) ?? []), { result, cpuSeconds }]);
        if (result.stalled + result.failed > 0) process.stderr.write(`open streams ${tree}: ${result.stalled} stalled, ${result.failed} failed\n`);
      }
    }
  }
  console.log(`lessllm before/after on ${runtime}, telemetry ${telemetryMode}, ${rounds} interleaved rounds of ${seconds} s (wrk, 32 connections)\n`);
  const rounded = (values: number[], digits = 0) => values.map((value) => value.toFixed(digits)).join(' ');
  if (scenarios.length > 0) {
    console.log('| scenario | tree | CPU µs/req, median | per round | event loop CPU µs/req, median | per round | req/s, median |');
    console.log('|---|---|---:|---|---:|---|---:|');
  }
  for (const scenario of scenarios) {
    for (const tree of trees) {
      const key = `${scenario.id}\t${tree}`;
      const perRound = cpu.get(key)!;
      const eventLoopPerRound = eventLoopCpu.get(key)!;
      console.log(
        `| ${scenario.id} | ${tree} | ${median(perRound).toFixed(1)} | ${rounded(perRound)} | ${median(eventLoopPerRound).toFixed(1)} | ${rounded(eventLoopPerRound)} | ${median(rate.get(key)!).toFixed(0)} |`,
      );
    }
  }
  if (telemetry) {
    // A tree that does less by dropping telemetry would look cheaper: say what each one dropped.
    console.log('\n| tree | telemetry dropped (lessllm_telemetry_dropped_total) |\n|---|---|');
    for (const { tree, contender } of gateways) console.log(`| ${tree} | ${describeDropped(await scrapeDropped(contender.process!.url))} |`);
  }
  if (values.latency) {
    console.log(`\n| ${scenarios[0].id} open-loop at 1,000 req/s | tree | p50 ms, median | p99 ms, median | p99 per round |`);
    console.log('|---|---|---:|---:|---|');
    for (const tree of trees) {
      const figures = latency.get(tree)!;
      console.log(`| | ${tree} | ${median(figures.p50).toFixed(3)} | ${median(figures.p99).toFixed(3)} | ${rounded(figures.p99, 2)} |`);
    }
  }
  if (openStreams > 0) {
    console.log(
      `\n| ${openStreams} open streams, ${openStreamTokens} tokens | tree | RSS all open MB, per round | peak MB, per round | 2 s after they ended MB, per round | first byte p99 ms, per round | CPU s, per round | stalled (of them after the first byte), per round | failed |`,
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const tree of trees) {
      const runs = streamRuns.get(tree)!;
      const results = runs.map((run) => run.result);
      const field = (pick: (result: OpenStreamsResult) => number) => rounded(results.map(pick));
      const failed = results.reduce((sum, result) => sum + result.failed, 0);
      const cpuSeconds = rounded(runs.map((run) => run.cpuSeconds), 1);
      console.log(
        `| | ${tree} | ${field((result) => result.rssAllOpenMb)} | ${field((result) => result.rssPeakMb)} | ${field((result) => result.rssAfterMb)} | ${field((result) => result.firstByteP99Ms)} | ${cpuSeconds} | ${results.map((result) => `${result.stalled} (${result.stalledAfterFirstByte})`).join(' ')} | ${failed} |`,
      );
    }
  }
} finally {
  await stopAll();
}
