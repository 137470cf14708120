/// <reference types="bun" />
/**
 * What a process's first token count costs the streams in flight. Where an upstream reports no usage,
 * lessllm counts it with a tokenizer, and the first count of a process loads the tokenizer's tables
 * (0.2–0.4 s of CPU). In two trees side by side (a change, before and after), each round starts each
 * tree's gateway afresh (full telemetry, spans to the OTLP sink, the log table), runs the paced streams
 * (8 at a time, a chunk every 2 ms; they ask for usage, so nothing of theirs is counted), and one second in
 * sends one coding agent's request whose client asks for no usage: its 138 KB conversation and its answer
 * are the process's first count. The table gives each tree's longest wait of a paced chunk (upstream write
 * → client read), its chunk p99 and its TTFT path p99, and its RSS at the end (the tokenizer's tables
 * are in it), medians of the rounds and each round's figure.
 *
 *   git worktree add ../before <commit> && ln -s "$PWD/node_modules" ../before/node_modules
 *   bun test/bench/first-count.ts ../before . [--rounds 5] [--seconds 3]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchPaths, startLessllm, startOtlpSink, startUpstream, treePaths } from './contenders.ts';
import { checkResponse } from './sse-reader.ts';
import { memoryOf, stopAll } from './processes.ts';
import { pacedScenarios, usageCountingScenarios } from './scenarios.ts';
import { median, sleep } from './stats.ts';
import { runStreamTiming, type StreamTimingResult } from './stream-timing.ts';
import { answerShapeOf } from './upstream-answers.ts';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: { rounds: { type: 'string' }, seconds: { type: 'string' } },
  allowPositionals: true,
});
if (positionals.length !== 2) throw new Error('usage: bun test/bench/first-count.ts <tree before> <tree after> [--rounds 5] [--seconds 3]');
const trees = positionals.map((tree) => resolve(tree));
const rounds = Number(values.rounds ?? 5);
const seconds = Number(values.seconds ?? 3);
const paced = pacedScenarios[0];
const pacedChunks = answerShapeOf(paced.model).chunks;
const counted = usageCountingScenarios.find((scenario) => scenario.id === 'agent-stream20-no-usage')!;

const ownPaths = benchPaths('lessllm-first-count-');
const paths = (treeRoot: string) => treePaths(ownPaths, treeRoot);

try {
  const upstream = await startUpstream(paths(ownPaths.root));
  const otlpSink = await startOtlpSink(paths(ownPaths.root));
  const results = new Map<string, (StreamTimingResult & { rssMb: number })[]>(trees.map((tree) => [tree, []]));
  for (let round = 0; round < rounds; round++) {
    for (const tree of round % 2 === 0 ? trees : [...trees].reverse()) {
      const gateway = await startLessllm(paths(tree), upstream, { id: 'lessllm', telemetry: true, otlpSink, label: tree });
      // A warm-up of the same streams, so that the round measures the first count, not the first streams.
      await runStreamTiming(gateway.call(paced), { concurrency: 8, seconds: 1, expectedChunks: pacedChunks });
      const timing = runStreamTiming(gateway.call(paced), { concurrency: 8, seconds, expectedChunks: pacedChunks });
      await sleep(1000);
      const call = gateway.call(counted);
      const response = await fetch(call.url, { method: 'POST', headers: call.headers, body: call.body });
      const failure = await checkResponse(response, call.clientWire, true, answerShapeOf(counted.model).chunks, false);
      if (failure !== undefined) throw new Error(`${tree}: the counted request failed: ${failure}`);
      const result = await timing;
      if (result.failed > 0) process.stderr.write(`${tree}: ${result.failed} paced streams failed: ${result.firstFailure}\n`);
      results.get(tree)!.push({ ...result, rssMb: memoryOf(gateway.process!.pid).rssMb });
      await gateway.process!.stop();
    }
  }

  console.log(`The first token count of a process (a coding agent's request, no usage asked for) during paced streams (${paced.model}, 8 at a time), ${rounds} rounds of ${seconds} s\n`);
  console.log('| tree | longest chunk wait ms, median | per round | chunk p99 ms, median | per round | TTFT path p99 ms, median | per round | RSS after, MB | per round |');
  console.log('|---|---:|---|---:|---|---:|---|---:|---|');
  for (const tree of trees) {
    const runs = results.get(tree)!;
    const column = (pick: (result: StreamTimingResult & { rssMb: number }) => number, digits: number) => {
      const figures = runs.map(pick);
      return `${median(figures).toFixed(digits)} | ${figures.map((figure) => figure.toFixed(digits)).join(' ')}`;
    };
    console.log(`| ${tree} | ${column((run) => run.chunkTransitMaxMs, 1)} | ${column((run) => run.chunkTransitP99Ms, 2)} | ${column((run) => run.ttftPathP99Ms, 2)} | ${column((run) => run.rssMb, 0)} |`);
  }
} finally {
  await stopAll();
}
