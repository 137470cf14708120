/**
 * The conversation in the GenAI semantic conventions' message schema (gen-ai-input-messages.json,
 * gen-ai-output-messages.json, gen-ai-system-instructions.json, v1.41): the same shape whichever wire
 * format the client or the upstream spoke, so one dashboard or evaluation tool reads every call.
 */
import type { AssistantPart, CanonicalMessage, CanonicalRequest, FilePart, TextPart } from '../core/canonical-request.ts';
import type { CanonicalResponse, FinishReason } from '../core/canonical-response.ts';
import { assertNever } from '../core/stream-events.ts';

export type SemconvPart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string; response: unknown }
  | { type: 'blob'; modality: string; mime_type: string; content: string }
  | { type: 'uri'; modality: string; mime_type: string; uri: string };

export type SemconvInputMessage = { role: 'user' | 'assistant' | 'tool'; parts: SemconvPart[] };
export type SemconvOutputMessage = { role: 'assistant'; parts: SemconvPart[]; finish_reason: string };

export function systemInstructions(request: CanonicalRequest): SemconvPart[] {
  return request.system.map((instruction) => ({ type: 'text', content: instruction.text }));
}

export function inputMessages(request: CanonicalRequest): SemconvInputMessage[] {
  return request.messages.map(inputMessage);
}

export function outputMessages(response: CanonicalResponse, failed: boolean): SemconvOutputMessage[] {
  return [
    {
      role: 'assistant',
      parts: response.content.flatMap(assistantPart),
      finish_reason: failed ? 'error' : semconvFinishReason(response.finish.reason),
    },
  ];
}

/** The conventions' finish reasons: stop, length, content_filter, tool_call, error. */
export function semconvFinishReason(reason: FinishReason): string {
  switch (reason) {
    case 'stop':
    case 'stop-sequence':
    case 'pause':
      return 'stop';
    case 'length':
    case 'context-window-exceeded':
      return 'length';
    case 'tool-calls':
      return 'tool_call';
    case 'content-filter':
      return 'content_filter';
    case 'other':
      return 'stop';
    default:
      return assertNever(reason);
  }
}

function inputMessage(message: CanonicalMessage): SemconvInputMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', parts: message.content.map(userPart) };
    case 'assistant':
      return { role: 'assistant', parts: message.content.flatMap(assistantPart) };
    case 'tool':
      return {
        role: 'tool',
        parts: message.content.map((result) => ({
          type: 'tool_call_response',
          id: result.toolCallId,
          response: toolResponse(result.content, result.isError),
        })),
      };
    default:
      return assertNever(message);
  }
}

function userPart(part: TextPart | FilePart): SemconvPart {
  if (part.type === 'text') return { type: 'text', content: part.text };
  const modality = modalityOf(part.mediaType);
  return part.source.kind === 'base64'
    ? { type: 'blob', modality, mime_type: part.mediaType, content: part.source.data }
    : { type: 'uri', modality, mime_type: part.mediaType, uri: part.source.url };
}

function assistantPart(part: AssistantPart): SemconvPart[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ type: 'text', content: part.text }];
    case 'reasoning':
      return part.text === '' ? [] : [{ type: 'reasoning', content: part.text }];
    case 'redacted-reasoning':
      // Opaque, encrypted by the provider: nothing a reader could use.
      return [];
    case 'tool-call':
      return [{ type: 'tool_call', id: part.id, name: part.name, arguments: part.input }];
    default:
      return assertNever(part);
  }
}

/** A text-only result is its text; anything else keeps its parts. */
function toolResponse(content: Array<TextPart | FilePart>, isError: boolean): unknown {
  const onlyText = content.every((part) => part.type === 'text');
  const response = onlyText ? content.map((part) => (part as TextPart).text).join('') : content.map(userPart);
  return isError ? { error: response } : response;
}

function modalityOf(mediaType: string): string {
  if (mediaType.startsWith('image/')) return 'image';
  if (mediaType.startsWith('audio/')) return 'audio';
  if (mediaType.startsWith('video/')) return 'video';
  return 'document';
}
