/**
 * Token estimates with a real BPE tokenizer (gpt-tokenizer, o200k_base: the encoding of current OpenAI
 * models). Used where an upstream reports no usage, by count_tokens for non-Anthropic routes, and by
 * the mock. For Claude models this is an estimate: Anthropic publishes no tokenizer for them.
 * The tokenizer is loaded on the first count, not at start (see src/runtime/load-tokenizer.ts).
 */
import { loadTokenizer, type Tokenizer } from '../runtime/load-tokenizer.ts';
import type { AssistantPart, CanonicalRequest, CanonicalMessage } from './canonical-request.ts';
import { assertNever } from './stream-events.ts';
import { TextCountCache } from './text-count-cache.ts';

/** Per-message framing tokens in the chat format (role markers), as OpenAI documents for its models. */
const tokensPerMessage = 3;
/** An image's cost varies by size and model; a fixed middle value keeps estimates in the right range. */
const tokensPerFile = 768;

let tokenizer: Tokenizer | undefined;

/**
 * BPE merges within one pre-tokenized word take time quadratic in its length, and counting runs on the
 * event loop: one 200,000-character run without spaces held every other request for over a minute.
 * Runs longer than this are counted in slices of this size (real words are far shorter, and a slice
 * boundary costs at most a token or two of accuracy in text that is not language anyway).
 */
const longestCountedRun = 256;
const longRun = new RegExp(`\\S{${longestCountedRun + 1},}`, 'g');

/**
 * Counts of texts at least this long are kept (text-count-cache.ts): a conversation is counted again with
 * every turn. Shorter ones take microseconds to count, and would only churn the cache.
 */
const keptFromChars = 1024;
/** 4 Mi characters (4–8 MB): the histories of some thirty coding agents like the benchmark's. */
const counts = new TextCountCache(4 * 1024 * 1024);

export function countTextTokens(text: string): number {
  if (text.length < keptFromChars) return countTokens(text);
  const known = counts.get(text);
  if (known !== undefined) return known;
  const count = countTokens(text);
  counts.set(text, count);
  return count;
}

function countTokens(text: string): number {
  if (text.length === 0) return 0;
  tokenizer ??= loadTokenizer();
  if (text.length <= longestCountedRun) return tokenizer.countTokens(text);
  let total = 0;
  let countedUpTo = 0;
  for (const run of text.matchAll(longRun)) {
    if (run.index > countedUpTo) total += tokenizer.countTokens(text.slice(countedUpTo, run.index));
    for (let start = 0; start < run[0].length; start += longestCountedRun) total += tokenizer.countTokens(run[0].slice(start, start + longestCountedRun));
    countedUpTo = run.index + run[0].length;
  }
  if (countedUpTo < text.length) total += tokenizer.countTokens(text.slice(countedUpTo));
  return total;
}

export function estimateRequestTokens(request: CanonicalRequest): number {
  let total = 3; // the reply's priming tokens
  for (const instruction of request.system) total += tokensPerMessage + countTextTokens(instruction.text);
  for (const message of request.messages) total += tokensPerMessage + messageTokens(message);
  if (request.tools && request.tools.length > 0) total += countTextTokens(JSON.stringify(request.tools));
  return total;
}

export function estimateContentTokens(parts: readonly AssistantPart[]): number {
  let total = 0;
  for (const part of parts) total += assistantPartTokens(part);
  return total;
}

function messageTokens(message: CanonicalMessage): number {
  let total = 0;
  switch (message.role) {
    case 'user':
      for (const part of message.content) total += part.type === 'text' ? countTextTokens(part.text) : tokensPerFile;
      return total;
    case 'assistant':
      return estimateContentTokens(message.content);
    case 'tool':
      for (const result of message.content) {
        for (const part of result.content) total += part.type === 'text' ? countTextTokens(part.text) : tokensPerFile;
      }
      return total;
    default:
      return assertNever(message);
  }
}

function assistantPartTokens(part: AssistantPart): number {
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return countTextTokens(part.text);
    case 'redacted-reasoning':
      return 0;
    case 'tool-call':
      return countTextTokens(part.name) + countTextTokens(JSON.stringify(part.input ?? {}));
    default:
      return assertNever(part);
  }
}
