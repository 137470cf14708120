/**
 * A pending request as the MCP client reads it: plain JSON with snake_case names like the tools' own
 * arguments, everything needed to answer (instructions, messages, tools), and nothing it cannot use
 * (inline file data is summarised by size rather than sent as base64).
 */
import type { AssistantPart, CanonicalMessage, FilePart, TextPart, ToolResultPart, UserPart } from '../../core/canonical-request.ts';
import { assertNever } from '../../core/stream-events.ts';
import type { PendingRequest } from './pending-request.ts';

export type RequestView = Record<string, unknown>;

export function viewOfRequest(pending: PendingRequest, now = Date.now()): RequestView {
  const request = pending.request;
  return {
    id: pending.id,
    provider: pending.provider.name,
    model: request.model,
    client_protocol: pending.clientProtocol,
    stream: request.stream,
    state: pending.state,
    chunks_sent: pending.chunksSent,
    received_at: pending.receivedAt.toISOString(),
    answer_within_ms: Math.max(0, pending.answerDeadline - now),
    system: request.system.length > 0 ? request.system.map((instruction) => instruction.text).join('\n\n') : undefined,
    messages: request.messages.map(viewOfMessage),
    tools: request.tools?.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.inputSchema })),
    tool_choice: request.toolChoice,
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    top_p: request.topP,
    stop_sequences: request.stopSequences,
    response_format: request.responseFormat,
  };
}

function viewOfMessage(message: CanonicalMessage): Record<string, unknown> {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: viewOfContent(message.content.map(viewOfUserPart)) };
    case 'assistant':
      return { role: 'assistant', content: viewOfContent(message.content.map(viewOfAssistantPart)) };
    case 'tool':
      return { role: 'tool', content: message.content.map(viewOfToolResult) };
    default:
      return assertNever(message);
  }
}

/** A lone text part reads best as a plain string, as both client APIs allow. */
function viewOfContent(parts: Array<Record<string, unknown>>): unknown {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' ? only.text : parts;
}

function viewOfUserPart(part: UserPart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'file':
      return viewOfFile(part);
    default:
      return assertNever(part);
  }
}

function viewOfAssistantPart(part: AssistantPart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'reasoning':
      return { type: 'reasoning', text: part.text };
    case 'redacted-reasoning':
      return { type: 'redacted_reasoning' };
    case 'tool-call':
      return { type: 'tool_call', id: part.id, name: part.name, arguments: part.input };
    default:
      return assertNever(part);
  }
}

function viewOfToolResult(result: ToolResultPart): Record<string, unknown> {
  const content = result.content.map((part: TextPart | FilePart) => (part.type === 'text' ? { type: 'text', text: part.text } : viewOfFile(part)));
  return { type: 'tool_result', tool_call_id: result.toolCallId, is_error: result.isError, content: viewOfContent(content) };
}

function viewOfFile(part: FilePart): Record<string, unknown> {
  const source = part.source;
  switch (source.kind) {
    case 'url':
      return { type: 'file', media_type: part.mediaType, filename: part.filename, url: source.url };
    case 'base64':
      return { type: 'file', media_type: part.mediaType, filename: part.filename, inline_bytes: Math.floor((source.data.length * 3) / 4) };
    default:
      return assertNever(source);
  }
}
