/**
 * Token estimates with a real BPE tokenizer (gpt-tokenizer, o200k_base: the encoding of current OpenAI
 * models). Used where an upstream reports no usage, by count_tokens for non-Anthropic routes, and by
 * the mock. For Claude models this is an estimate: Anthropic publishes no tokenizer for them.
 */
import { countTokens } from 'gpt-tokenizer';
import type { AssistantPart, CanonicalRequest, CanonicalMessage } from './canonical-request.ts';
import { assertNever } from './stream-events.ts';

/** Per-message framing tokens in the chat format (role markers), as OpenAI documents for its models. */
const tokensPerMessage = 3;
/** An image's cost varies by size and model; a fixed middle value keeps estimates in the right range. */
const tokensPerFile = 768;

export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
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
