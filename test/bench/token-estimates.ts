/**
 * What estimating a request's tokens costs over a coding agent's session, turn by turn, in two source
 * trees side by side (a change, before and after). lessllm counts a request's tokens with a tokenizer when
 * the upstream reports no usage (an OpenAI stream without `include_usage` on passthrough) and for
 * `count_tokens` on routes that do not lead to Anthropic, on its counting thread (src/core/token-counter.ts;
 * on the event loop where that thread cannot run); an agent sends its whole conversation again on every
 * turn. This measures the count itself, with the cache of long texts' counts the event loop keeps.
 *
 *   git worktree add ../before <commit> && ln -s "$PWD/node_modules" ../before/node_modules
 *   bun test/bench/token-estimates.ts ../before . [--rounds 5] [--turns 16]
 *
 * Each round is a new session (its files' text differs from the other rounds'), counted in both trees in
 * turn, the order flipping every round; the table gives each turn's median milliseconds, and the program
 * stops if the trees count a request differently. Round one is a warm-up (it also loads the tokenizer).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CanonicalRequest } from '../../src/core/canonical-request.ts';
import { openAiChatProtocol } from '../../src/protocols/openai-chat/index.ts';
import { agentConversation } from './scenarios.ts';
import { median } from './stats.ts';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: { rounds: { type: 'string' }, turns: { type: 'string' } },
  allowPositionals: true,
});
if (positionals.length !== 2) throw new Error('usage: token-estimates.ts <tree before> <tree after> [--rounds 5] [--turns 16]');
const rounds = Number(values.rounds ?? 5);
const turns = Number(values.turns ?? 16);

type Estimator = (request: CanonicalRequest) => number;
const trees = await Promise.all(
  positionals.map(async (tree) => {
    const module = (await import(resolve(tree, 'src/core/token-count.ts'))) as { estimateRequestTokens: Estimator };
    return { tree, estimate: module.estimateRequestTokens };
  }),
);

/** The agent's request on `turn` of `session`, parsed from its JSON text as the gateway gets it: every string a new one. */
function agentRequest(session: number, turn: number): CanonicalRequest {
  const body = JSON.stringify({ model: 'gpt-bench', ...agentConversation(turn, session), max_tokens: 1024, stream: true });
  return openAiChatProtocol.decodeRequest(JSON.parse(body));
}

const millis = trees.map(() => Array.from({ length: turns }, () => [] as number[]));
let tokens: number[] = [];
for (let round = 0; round <= rounds; round++) {
  const order = round % 2 === 0 ? [0, 1] : [1, 0];
  const counts = trees.map(() => [] as number[]);
  for (const index of order) {
    for (let turn = 1; turn <= turns; turn++) {
      const request = agentRequest(round, turn);
      const started = performance.now();
      counts[index].push(trees[index].estimate(request));
      const elapsed = performance.now() - started;
      if (round > 0) millis[index][turn - 1].push(elapsed);
    }
  }
  counts[0].forEach((count, turn) => {
    if (counts[1][turn] !== count) throw new Error(`session ${round}, turn ${turn + 1}: ${trees[0].tree} counts ${count} tokens, ${trees[1].tree} ${counts[1][turn]}`);
  });
  tokens = counts[0];
}

console.log(`Estimating an agent's request, turn by turn: median ms of ${rounds} sessions (after a warm-up session)\n`);
console.log(`| turn | tokens | ${trees.map(({ tree }) => tree).join(' | ')} | after / before |`);
console.log(`|---:|---:|${'---:|'.repeat(trees.length + 1)}`);
for (let turn = 1; turn <= turns; turn++) {
  const [before, after] = millis.map((byTurn) => median(byTurn[turn - 1]));
  console.log(`| ${turn} | ${tokens[turn - 1].toLocaleString('en')} | ${before.toFixed(3)} | ${after.toFixed(3)} | ${(after / before).toFixed(2)} |`);
}
const total = millis.map((byTurn) => byTurn.reduce((sum, samples) => sum + median(samples), 0));
console.log(`| all ${turns} | | ${total[0].toFixed(2)} | ${total[1].toFixed(2)} | ${(total[1] / total[0]).toFixed(2)} |`);
