/**
 * OpenAI usage ⇄ canonical usage. OpenAI's `prompt_tokens` already counts the cached tokens
 * (`prompt_tokens_details.cached_tokens` is a part of it), exactly like canonical `inputTokens`, so
 * neither direction adds or subtracts them. Reasoning tokens are likewise a part of `completion_tokens`.
 */
import type { Usage } from '../../core/canonical-response.ts';
import { isPlainObject } from './tool-arguments.ts';
import type { OpenAiUsage } from './wire-types.ts';

/** A wire usage object → the fields it reports; undefined when it is absent or null. */
export function decodeUsage(wire: unknown): Partial<Usage> | undefined {
  if (!isPlainObject(wire)) return undefined;
  const usage: Partial<Usage> = {};
  const inputTokens = count(wire.prompt_tokens);
  if (inputTokens !== undefined) usage.inputTokens = inputTokens;
  const outputTokens = count(wire.completion_tokens);
  if (outputTokens !== undefined) usage.outputTokens = outputTokens;
  const cacheReadTokens = isPlainObject(wire.prompt_tokens_details) ? count(wire.prompt_tokens_details.cached_tokens) : undefined;
  if (cacheReadTokens !== undefined) usage.cacheReadTokens = cacheReadTokens;
  const reasoningTokens = isPlainObject(wire.completion_tokens_details)
    ? count(wire.completion_tokens_details.reasoning_tokens)
    : undefined;
  if (reasoningTokens !== undefined) usage.reasoningTokens = reasoningTokens;
  return usage;
}

export function encodeUsage(usage: Usage): Required<OpenAiUsage> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
