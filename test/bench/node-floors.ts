/// <reference types="bun" />
/**
 * What Node's upstream client costs a gateway: the floor on Node (node-floor-proxy.mjs) with `fetch` and
 * with `node:http`, beside lessllm on Node, against the same upstream in the same run. Each round sends
 * the non-streaming and the 20-chunk scenario with wrk (CPU µs per request, from /proc) and opens N
 * streams of 15 tokens, one a second, at once (first byte, stalls, CPU, peak RSS), to each contender in
 * turn. Medians over the rounds, and the open-streams figures round by round.
 *
 *   bun test/bench/node-floors.ts [--rounds 3] [--streams 5000] [--seconds 3] [--telemetry on|off]
 *
 * lessllm's telemetry is off unless `--telemetry on` (then: no OTLP endpoint, SQLite log table). Needs wrk.
 */
import { parseArgs } from 'node:util';
import { benchPaths, childEnvironment, directContender, startLessllm, startUpstream, type Contender } from './contenders.ts';
import { runOpenStreams, type OpenStreamsResult } from './open-streams.ts';
import { cpuTimeMs, startChild, stopAll } from './processes.ts';
import { openStreamsScenario, throughputScenarios } from './scenarios.ts';
import { median } from './stats.ts';
import { runWrk } from './wrk.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: { rounds: { type: 'string' }, streams: { type: 'string' }, seconds: { type: 'string' }, telemetry: { type: 'string' } },
});
const rounds = Number(values.rounds ?? 3);
const streams = Number(values.streams ?? 5000);
const seconds = Number(values.seconds ?? 3);
const telemetry = (values.telemetry ?? 'off') === 'on';
const tokens = 15;
const scenarios = throughputScenarios.filter((scenario) => scenario.id === 'json' || scenario.id === 'stream20');

const paths = benchPaths('lessllm-node-floors-');
const { root, temporaryDirectory } = paths;

async function startNodeFloor(client: 'fetch' | 'http', upstreamUrl: string): Promise<Contender> {
  const process = await startChild({
    name: `node-floor-${client}`,
    command: paths.node,
    args: ['test/bench/node-floor-proxy.mjs'],
    cwd: root,
    env: childEnvironment({ BENCH_UPSTREAM_URL: upstreamUrl, BENCH_NODE_FLOOR_CLIENT: client }),
    readyPrefix: 'floor listening on ',
    timeoutMs: 60_000,
  });
  // Addressed as the upstream is: the floor forwards the path as it is.
  const addressed = directContender(process);
  return { ...addressed, id: 'floor', label: `Node floor, ${client === 'fetch' ? 'fetch' : 'node:http'}`, process };
}

try {
  const upstream = await startUpstream(paths);
  const contenders = [
    await startNodeFloor('fetch', upstream.url),
    await startNodeFloor('http', upstream.url),
    await startLessllm(paths, upstream, { id: 'lessllm-off', telemetry, runtime: 'node', label: `lessllm on Node, telemetry ${telemetry ? 'on' : 'off'}` }),
  ];
  const cpuPerRequest = new Map<string, number[]>();
  const openStreams = new Map<string, { result: OpenStreamsResult; cpuSeconds: number }[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const pid = contender.process!.pid;
      for (const scenario of scenarios) {
        const call = contender.call(scenario);
        if (round === 0) await runWrk(call, { connections: 32, seconds: 1, scriptDirectory: temporaryDirectory });
        const before = cpuTimeMs(pid);
        const result = await runWrk(call, { connections: 32, seconds, scriptDirectory: temporaryDirectory });
        await Bun.sleep(1000);
        const key = `${contender.label}\t${scenario.id}`;
        cpuPerRequest.set(key, [...(cpuPerRequest.get(key) ?? []), ((cpuTimeMs(pid) - before) * 1000) / result.requests]);
      }
      const before = cpuTimeMs(pid);
      const result = await runOpenStreams(contender.call(openStreamsScenario(tokens)), { streams, tokens, pid, upstreamUrl: upstream.url, stallGapMs: 2500 });
      openStreams.set(contender.label, [...(openStreams.get(contender.label) ?? []), { result, cpuSeconds: (cpuTimeMs(pid) - before) / 1000 }]);
    }
  }

  console.log(`Node ${(await Bun.$`${paths.node} --version`.text()).trim()}: ${rounds} rounds, wrk with 32 connections for ${seconds} s, then ${streams} streams of ${tokens} tokens opened at once\n`);
  console.log(`| contender | ${scenarios.map((scenario) => `${scenario.id} CPU µs/req, median`).join(' | ')} |`);
  console.log(`|---|${scenarios.map(() => '---:').join('|')}|`);
  for (const contender of contenders) {
    console.log(`| ${contender.label} | ${scenarios.map((scenario) => median(cpuPerRequest.get(`${contender.label}\t${scenario.id}`)!).toFixed(0)).join(' | ')} |`);
  }
  console.log(`\n| ${streams} streams, per round | first byte p50 ms | first byte p99 ms | stalled (of them after the first byte) | failed | CPU s | peak RSS MB |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const contender of contenders) {
    const runs = openStreams.get(contender.label)!;
    const field = (pick: (run: { result: OpenStreamsResult; cpuSeconds: number }) => number, digits = 0) => runs.map((run) => pick(run).toFixed(digits)).join(' / ');
    console.log(
      `| ${contender.label} | ${field((run) => run.result.firstByteP50Ms)} | ${field((run) => run.result.firstByteP99Ms)} | ${runs.map((run) => `${run.result.stalled} (${run.result.stalledAfterFirstByte})`).join(' / ')} | ${field((run) => run.result.failed)} | ${field((run) => run.cpuSeconds, 1)} | ${field((run) => run.result.rssPeakMb)} |`,
    );
  }
} finally {
  await stopAll();
}
