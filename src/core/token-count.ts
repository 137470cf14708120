/**
 * Token estimates with a real BPE tokenizer (gpt-tokenizer, o200k_base: the encoding of current OpenAI
 * models). Used where an upstream reports no usage, by count_tokens for non-Anthropic routes, and by
 * the mock. For Claude models this is an estimate: Anthropic publishes no tokenizer for them.
 * The tokenizer is loaded on the first count, not at start (see src/runtime/load-tokenizer.ts). Telemetry,
 * count_tokens and the mock count on a thread of their own (token-counter.ts); the MCP bridge, whose
 * answers come at the pace of the MCP client answering them, counts here, on the thread that calls.
 */
import { loadTokenizer, type Tokenizer } from '../runtime/load-tokenizer.ts';
import type { AssistantPart, CanonicalMessage, CanonicalRequest, UserPart } from './canonical-request.ts';
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
 * every turn. Shorter ones take microseconds to count, and would only churn the cache. The cache is the
 * event loop's: the counting thread (token-counter.ts) is sent only the texts it has no count for.
 */
const keptFromChars = 1024;
/** 4 Mi characters (4–8 MB): the histories of some thirty coding agents like the benchmark's. */
const counts = new TextCountCache(4 * 1024 * 1024);

/** The kept count of `text`, when it is long enough to be kept and was counted before. */
export function keptTextCount(text: string): number | undefined {
  return text.length < keptFromChars ? undefined : counts.get(text);
}

/** Keeps the count of `text` if it is long enough to be worth keeping. */
export function keepTextCount(text: string, count: number): void {
  if (text.length >= keptFromChars) counts.set(text, count);
}

export function countTextTokens(text: string): number {
  const kept = keptTextCount(text);
  if (kept !== undefined) return kept;
  const count = countTokens(text);
  keepTextCount(text, count);
  return count;
}

/** Counts with the tokenizer itself, keeping nothing (the counting thread's way: its counts are kept by the event loop). */
export function countTokens(text: string): number {
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

/**
 * What a request or an answer costs in tokens, before the tokenizer runs: the texts it must count and the
 * tokens known without it (framing, files). Plain data, so that it can cross to the counting thread
 * (token-counter.ts) and be counted there.
 */
export type TokenTexts = { texts: string[]; fixedTokens: number };

export function countTokenTexts({ texts, fixedTokens }: TokenTexts): number {
  let total = fixedTokens;
  for (const text of texts) total += countTextTokens(text);
  return total;
}

export function estimateRequestTokens(request: CanonicalRequest): number {
  return countTokenTexts(requestTokenTexts(request));
}

export function estimateContentTokens(parts: readonly AssistantPart[]): number {
  return countTokenTexts(contentTokenTexts(parts));
}

export function requestTokenTexts(request: CanonicalRequest): TokenTexts {
  const counted: TokenTexts = { texts: [], fixedTokens: 3 }; // the reply's priming tokens
  for (const instruction of request.system) {
    counted.fixedTokens += tokensPerMessage;
    counted.texts.push(instruction.text);
  }
  for (const message of request.messages) {
    counted.fixedTokens += tokensPerMessage;
    addMessage(counted, message);
  }
  if (request.tools && request.tools.length > 0) counted.texts.push(JSON.stringify(request.tools));
  return counted;
}

export function contentTokenTexts(parts: readonly AssistantPart[]): TokenTexts {
  const counted: TokenTexts = { texts: [], fixedTokens: 0 };
  for (const part of parts) addAssistantPart(counted, part);
  return counted;
}

function addMessage(counted: TokenTexts, message: CanonicalMessage): void {
  switch (message.role) {
    case 'user':
      for (const part of message.content) addUserPart(counted, part);
      return;
    case 'assistant':
      for (const part of message.content) addAssistantPart(counted, part);
      return;
    case 'tool':
      for (const result of message.content) {
        for (const part of result.content) addUserPart(counted, part);
      }
      return;
    default:
      return assertNever(message);
  }
}

function addUserPart(counted: TokenTexts, part: UserPart): void {
  if (part.type === 'text') counted.texts.push(part.text);
  else counted.fixedTokens += tokensPerFile;
}

function addAssistantPart(counted: TokenTexts, part: AssistantPart): void {
  switch (part.type) {
    case 'text':
    case 'reasoning':
      counted.texts.push(part.text);
      return;
    case 'redacted-reasoning':
      return;
    case 'tool-call':
      counted.texts.push(part.name, JSON.stringify(part.input ?? {}));
      return;
    default:
      return assertNever(part);
  }
}
