/**
 * Canonical response → OpenAI `chat.completion` body for an OpenAI client. Reasoning never goes into
 * `content` (a client would show it as the answer); it goes into the DeepSeek-style `reasoning_content`
 * extension, which clients that do not know it ignore.
 */
import type { CanonicalResponse } from '../../core/canonical-response.ts';
import { assertNever } from '../../core/stream-events.ts';
import { encodeFinishReason } from './finish-reason.ts';
import { generateCompletionId, nowInSeconds } from './ids.ts';
import { encodeUsage } from './usage.ts';
import type { OpenAiChatCompletion, OpenAiResponseMessage, OpenAiToolCall } from './wire-types.ts';

export function encodeResponse(response: CanonicalResponse): OpenAiChatCompletion {
  let text = '';
  let reasoning = '';
  const toolCalls: OpenAiToolCall[] = [];
  for (const part of response.content) {
    switch (part.type) {
      case 'text':
        text += part.text;
        break;
      case 'reasoning':
        reasoning += part.text;
        break;
      case 'tool-call':
        toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: JSON.stringify(part.input ?? {}) } });
        break;
      case 'redacted-reasoning':
        // Opaque data that only Anthropic can read: nothing an OpenAI client could show.
        break;
      default:
        assertNever(part);
    }
  }

  // null only beside tool calls, as OpenAI does; clients that call content.trim() expect a string otherwise.
  const content = text === '' && toolCalls.length > 0 ? null : text;
  const message: OpenAiResponseMessage = { role: 'assistant', content, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== '') message.reasoning_content = reasoning;

  return {
    id: response.id === '' ? generateCompletionId() : response.id,
    object: 'chat.completion',
    created: response.created ?? nowInSeconds(),
    model: response.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: encodeFinishReason(response.finish.reason) }],
    usage: encodeUsage(response.usage),
  };
}
