import type { AssistantPart } from './canonical-request.ts';

/**
 * Token usage. `inputTokens` counts every input token, cached ones included (as the GenAI semantic
 * conventions and OpenAI's `prompt_tokens` do); Anthropic's `input_tokens` excludes the cached parts.
 */
export type Usage = {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the prompt cache (part of inputTokens). */
  cacheReadTokens: number;
  /** Input tokens written to the prompt cache (part of inputTokens). */
  cacheWriteTokens: number;
  /** Reasoning tokens, where the upstream says (part of outputTokens). */
  reasoningTokens?: number;
};

export const emptyUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });

/**
 * Why generation stopped. Each wire format maps its own values onto these and back;
 * `other` keeps an unknown upstream value in `FinishInfo.raw` rather than guessing.
 */
export type FinishReason =
  | 'stop'
  | 'stop-sequence'
  | 'length'
  | 'tool-calls'
  | 'content-filter'
  | 'pause'
  | 'context-window-exceeded'
  | 'other';

export type FinishInfo = {
  reason: FinishReason;
  /** The upstream's own value, e.g. `end_turn` or `stop`. */
  raw: string | null;
  /** The stop sequence that matched, where the upstream says. */
  stopSequence?: string | null;
};

/** A complete (non-streaming) response, also what a stream accumulates into. */
export type CanonicalResponse = {
  id: string;
  model: string;
  /** Unix seconds, where the upstream gave it. */
  created?: number;
  content: AssistantPart[];
  finish: FinishInfo;
  usage: Usage;
  /** False when the upstream reported no usage and the numbers were estimated by a tokenizer. */
  usageReported: boolean;
};
