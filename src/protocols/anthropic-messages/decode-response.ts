/** An Anthropic message (non-streaming response body) → the canonical response. */
import type { AssistantPart } from '../../core/canonical-request.ts';
import type { CanonicalResponse } from '../../core/canonical-response.ts';
import { emptyUsage } from '../../core/canonical-response.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { decodeStopReason } from './finish-reason.ts';
import { isJsonObject, stringOrUndefined, type JsonObject } from './guards.ts';
import { decodeUsage } from './usage.ts';

export function decodeResponse(body: unknown): CanonicalResponse {
  if (!isJsonObject(body) || !Array.isArray(body.content)) {
    throw new GatewayError('bad_gateway', 'The Anthropic upstream answered with a body that is not a message (no content array).');
  }
  const usage = decodeUsage(body.usage);
  return {
    id: stringOrUndefined(body.id) ?? '',
    model: stringOrUndefined(body.model) ?? '',
    content: body.content.flatMap(decodeBlock),
    finish: decodeStopReason(body.stop_reason, body.stop_sequence),
    usage: { ...emptyUsage(), ...usage },
    usageReported: isJsonObject(body.usage),
  };
}

function decodeBlock(block: unknown): AssistantPart[] {
  if (!isJsonObject(block)) return [];
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? [{ type: 'text', text: block.text }] : [];
    case 'thinking': {
      const text = stringOrUndefined(block.thinking) ?? '';
      return typeof block.signature === 'string' ? [{ type: 'reasoning', text, signature: block.signature }] : [{ type: 'reasoning', text }];
    }
    case 'redacted_thinking':
      return [{ type: 'redacted-reasoning', data: stringOrUndefined(block.data) ?? '' }];
    case 'tool_use':
      return [decodeToolUse(block)];
    default:
      // server_tool_use, web_search_tool_result and the like: work done on Anthropic's servers, with no
      // canonical form; their outcome reaches the client through the text blocks around them.
      return [];
  }
}

function decodeToolUse(block: JsonObject): AssistantPart {
  return { type: 'tool-call', id: stringOrUndefined(block.id) ?? '', name: stringOrUndefined(block.name) ?? '', input: block.input ?? {} };
}
