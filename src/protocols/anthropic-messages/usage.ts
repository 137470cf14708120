/**
 * Anthropic usage ⇄ canonical usage. Anthropic's `input_tokens`, `cache_read_input_tokens` and
 * `cache_creation_input_tokens` are disjoint; the canonical `inputTokens` is their sum (every input token,
 * cached or not), with the two cache counts kept as parts of it.
 */
import type { Usage } from '../../core/canonical-response.ts';
import { isJsonObject, numberOrUndefined } from './guards.ts';

/** The raw Anthropic input counts, as last reported; a stream decoder keeps one to combine partial reports. */
export type AnthropicInputCounts = { input: number; cacheRead: number; cacheWrite: number };

export const emptyInputCounts = (): AnthropicInputCounts => ({ input: 0, cacheRead: 0, cacheWrite: 0 });

/**
 * Reads an Anthropic usage object (from a message, `message_start` or `message_delta`). Fields absent or
 * null keep their value from `known`, which is updated in place; the result has the canonical totals of
 * whatever this object said something about.
 */
export function decodeUsage(wire: unknown, known: AnthropicInputCounts = emptyInputCounts()): Partial<Usage> {
  if (!isJsonObject(wire)) return {};
  const usage: Partial<Usage> = {};
  const input = numberOrUndefined(wire.input_tokens);
  const cacheRead = numberOrUndefined(wire.cache_read_input_tokens);
  const cacheWrite = numberOrUndefined(wire.cache_creation_input_tokens);
  if (input !== undefined) known.input = input;
  if (cacheRead !== undefined) known.cacheRead = cacheRead;
  if (cacheWrite !== undefined) known.cacheWrite = cacheWrite;
  if (input !== undefined || cacheRead !== undefined || cacheWrite !== undefined) {
    usage.inputTokens = known.input + known.cacheRead + known.cacheWrite;
    usage.cacheReadTokens = known.cacheRead;
    usage.cacheWriteTokens = known.cacheWrite;
  }
  const output = numberOrUndefined(wire.output_tokens);
  if (output !== undefined) usage.outputTokens = output;
  const details = wire.output_tokens_details;
  const thinking = isJsonObject(details) ? numberOrUndefined(details.thinking_tokens) : undefined;
  if (thinking !== undefined) usage.reasoningTokens = thinking;
  return usage;
}

export type EncodedUsage = {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
};

export function encodeUsage(usage: Usage): EncodedUsage {
  return {
    input_tokens: Math.max(0, usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens),
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
  };
}
