/** The canonical response → an Anthropic message body, as a non-streaming Anthropic client expects it. */
import type { AssistantPart } from '../../core/canonical-request.ts';
import type { CanonicalResponse } from '../../core/canonical-response.ts';
import { assertNever } from '../../core/stream-events.ts';
import { encodeStopReason } from './finish-reason.ts';
import { isJsonObject } from './guards.ts';
import { toMessageId } from './message-id.ts';
import { sanitizeToolCallId } from './tool-call-id.ts';
import { encodeUsage } from './usage.ts';
import type { AnthropicResponseBlock } from './wire-types.ts';

export function encodeResponse(response: CanonicalResponse): unknown {
  const hasToolCalls = response.content.some((part) => part.type === 'tool-call');
  const { stop_reason, stop_sequence } = encodeStopReason(response.finish, hasToolCalls);
  return {
    id: toMessageId(response.id),
    type: 'message',
    role: 'assistant',
    model: response.model,
    content: response.content.flatMap(encodeBlock),
    stop_reason,
    stop_sequence,
    usage: encodeUsage(response.usage),
  };
}

function encodeBlock(part: AssistantPart): AnthropicResponseBlock[] {
  switch (part.type) {
    case 'text':
      // An empty text block is invalid in Anthropic requests; a client replaying this response must not get one.
      return part.text === '' ? [] : [{ type: 'text', text: part.text }];
    case 'reasoning':
      // Reasoning from an OpenAI-compatible upstream carries no signature; '' marks it as unsigned.
      return [{ type: 'thinking', thinking: part.text, signature: part.signature ?? '' }];
    case 'redacted-reasoning':
      return [{ type: 'redacted_thinking', data: part.data }];
    case 'tool-call':
      return [{ type: 'tool_use', id: sanitizeToolCallId(part.id), name: part.name, input: isJsonObject(part.input) ? part.input : {} }];
    default:
      return assertNever(part);
  }
}
