/**
 * Loads the o200k tokenizer (gpt-tokenizer) synchronously, on the first call that needs a token count.
 * Its tables cost about 0.2–0.4 s of start-up and some 65 MB of memory, and most gateways never need
 * them (upstreams report usage; only the mock, count_tokens on non-Anthropic routes and usage estimates
 * for streams without usage count tokens themselves). The counting API stays synchronous, so the first
 * caller gets an exact count rather than an error or a guess.
 *
 * How each runtime loads a module synchronously:
 * - Bun has `require` in ES modules; written as a literal call, `bun build --compile` embeds the package
 *   and evaluates it only when the call runs.
 * - Node (22.12+) and Deno have no `require` in ES modules but give one through `createRequire`; Node
 *   loads the package's CommonJS build, Deno reads it from node_modules.
 */
import type * as GptTokenizer from 'gpt-tokenizer';

export type Tokenizer = Pick<typeof GptTokenizer, 'countTokens'>;

export function loadTokenizer(): Tokenizer {
  if (typeof require === 'function') return require('gpt-tokenizer') as Tokenizer;
  const { createRequire } = process.getBuiltinModule('node:module');
  return createRequire(import.meta.url)('gpt-tokenizer') as Tokenizer;
}
