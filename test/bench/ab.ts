/// <reference types="bun" />
/**
 * Before/after of a change to lessllm: two source trees run side by side against the same upstream, in
 * interleaved wrk rounds (the order flips every round), and the table gives each tree's median CPU µs per
 * request (from /proc, steadier than req/s on a shared machine) and median req/s.
 *
 *   git worktree add ../before <commit> && ln -s "$PWD/node_modules" ../before/node_modules
 *   bun test/bench/ab.ts ../before . [--scenarios json,stream20] [--rounds 5] [--seconds 3] [--telemetry off]
 *
 * Scenarios are the throughput scenarios of the benchmark (json, stream20, stream200, converted-json,
 * converted-stream20). Telemetry is on by default, as in the benchmark's `lessllm` row (SQLite log table
 * included). Needs wrk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLessllm, startUpstream, type Contender, type Paths } from './contenders.ts';
import { cpuTimeMs, stopAll, stopChildrenOnExit } from './processes.ts';
import { throughputScenarios } from './scenarios.ts';
import { median } from './stats.ts';
import { runWrk } from './wrk.ts';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  allowPositionals: true,
  options: { scenarios: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, telemetry: { type: 'string' } },
});
if (positionals.length !== 2) throw new Error('usage: bun test/bench/ab.ts <tree before> <tree after> [--scenarios a,b] [--rounds N] [--seconds N] [--telemetry off]');
const trees = positionals.map((tree) => resolve(tree));
const scenarioIds = (values.scenarios ?? 'json,stream20').split(',');
const scenarios = throughputScenarios.filter((scenario) => scenarioIds.includes(scenario.id));
if (scenarios.length !== scenarioIds.length) throw new Error(`unknown scenario in ${scenarioIds.join(',')}`);
const rounds = Number(values.rounds ?? 5);
const seconds = Number(values.seconds ?? 3);
const telemetry = values.telemetry !== 'off';
/** Lets the log writer flush a round's rows, so their CPU counts in that round. */
const settleMs = 1200;

stopChildrenOnExit();
const root = fileURLToPath(new URL('../..', import.meta.url));
const temporaryDirectory = mkdtempSync(join(tmpdir(), 'lessllm-ab-'));
process.once('exit', () => rmSync(temporaryDirectory, { recursive: true, force: true }));
const paths = (treeRoot: string): Paths => ({ root: treeRoot, bun: process.execPath, node: join(root, 'node_modules/.bin/node'), temporaryDirectory: mkdtempSync(join(temporaryDirectory, 'tree-')) });

try {
  const upstream = await startUpstream(paths(root));
  // Two contender ids so the two processes keep apart (log files, labels); the label is the tree.
  const gateways: { tree: string; contender: Contender }[] = [];
  for (const [index, tree] of trees.entries()) {
    const contender = await startLessllm(paths(tree), upstream, { id: index === 0 ? 'lessllm' : 'lessllm-off', telemetry, label: tree });
    gateways.push({ tree, contender });
  }
  const cpu = new Map<string, number[]>();
  const rate = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const scenario of scenarios) {
      for (const { tree, contender } of round % 2 === 0 ? gateways : [...gateways].reverse()) {
        const call = contender.call(scenario);
        if (round === 0) await runWrk(call, { connections: 32, seconds: 1, scriptDirectory: temporaryDirectory });
        const pid = contender.process!.pid;
        const before = cpuTimeMs(pid);
        const result = await runWrk(call, { connections: 32, seconds, scriptDirectory: temporaryDirectory });
        await Bun.sleep(settleMs);
        const key = `${scenario.id}\t${tree}`;
        cpu.set(key, [...(cpu.get(key) ?? []), ((cpuTimeMs(pid) - before) * 1000) / result.requests]);
        rate.set(key, [...(rate.get(key) ?? []), result.requestsPerSecond]);
        if (result.errors > 0) process.stderr.write(`${scenario.id} ${tree}: ${result.errors} errors\n`);
      }
    }
  }
  console.log(`lessllm before/after, telemetry ${telemetry ? 'on' : 'off'}, ${rounds} interleaved rounds of ${seconds} s (wrk, 32 connections)\n`);
  console.log('| scenario | tree | CPU µs/req, median | per round | req/s, median |');
  console.log('|---|---|---:|---|---:|');
  for (const scenario of scenarios) {
    for (const tree of trees) {
      const key = `${scenario.id}\t${tree}`;
      const perRound = cpu.get(key)!;
      console.log(`| ${scenario.id} | ${tree} | ${median(perRound).toFixed(1)} | ${perRound.map((value) => value.toFixed(0)).join(' ')} | ${median(rate.get(key)!).toFixed(0)} |`);
    }
  }
} finally {
  await stopAll();
}
