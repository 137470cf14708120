/**
 * Canonical system instructions and messages → OpenAI `messages` (used when an Anthropic client reaches
 * an OpenAI-compatible upstream). OpenAI wants one `role:tool` message per tool result, right after the
 * assistant message that made the calls, and tool messages can only hold text: images a tool returned
 * follow in a user message, so nothing the client sent is silently lost.
 */
import type {
  AssistantPart,
  CanonicalRequest,
  FilePart,
  TextPart,
  ToolResultPart,
} from '../../core/canonical-request.ts';
import { invalidRequest } from '../../core/gateway-error.ts';
import { assertNever } from '../../core/stream-events.ts';
import { toDataUrl } from './data-url.ts';
import type {
  OpenAiAssistantMessage,
  OpenAiMessage,
  OpenAiTextPart,
  OpenAiToolCall,
  OpenAiUserContentPart,
} from './wire-types.ts';

export function encodeMessages(request: CanonicalRequest): OpenAiMessage[] {
  const messages: OpenAiMessage[] = [];
  if (request.system.length > 0) {
    messages.push({ role: 'system', content: request.system.map((instruction) => instruction.text).join('\n') });
  }
  request.messages.forEach((message, messageIndex) => {
    const path = `messages[${messageIndex}]`;
    switch (message.role) {
      case 'user':
        messages.push({ role: 'user', content: encodeUserContent(message.content, `${path}.content`) });
        return;
      case 'assistant':
        messages.push(encodeAssistant(message.content));
        return;
      case 'tool':
        messages.push(...encodeToolResults(message.content, `${path}.content`));
        return;
      default:
        assertNever(message);
    }
  });
  return messages;
}

/** A single text goes as a plain string, the form every OpenAI-compatible server accepts. */
function encodeUserContent(parts: Array<TextPart | FilePart>, path: string): string | OpenAiUserContentPart[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.type === 'text') return only.text;
  if (parts.length === 0) return '';
  return parts.map((part, partIndex) => encodeUserPart(part, `${path}[${partIndex}]`));
}

function encodeUserPart(part: TextPart | FilePart, path: string): OpenAiUserContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'file':
      return encodeFile(part, path);
    default:
      return assertNever(part);
  }
}

function encodeFile(part: FilePart, path: string): OpenAiUserContentPart {
  const { source } = part;
  if (part.mediaType.startsWith('image/')) {
    const url = source.kind === 'base64' ? toDataUrl(part.mediaType, source.data) : source.url;
    return { type: 'image_url', image_url: { url } };
  }
  if (part.mediaType === 'application/pdf' && source.kind === 'base64') {
    // OpenAI requires a filename alongside inline file data.
    return { type: 'file', file: { filename: part.filename ?? 'document.pdf', file_data: toDataUrl(part.mediaType, source.data) } };
  }
  if (part.mediaType.startsWith('text/') && source.kind === 'base64') {
    return { type: 'text', text: decodeBase64Text(source.data) };
  }
  const what = source.kind === 'url' ? `a ${part.mediaType} file by URL` : `a ${part.mediaType} file`;
  throw invalidRequest(`${path}: ${what} cannot be sent to an OpenAI-compatible upstream`, path);
}

function decodeBase64Text(base64: string): string {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return new TextDecoder().decode(bytes);
}

function encodeAssistant(parts: AssistantPart[]): OpenAiAssistantMessage {
  let text = '';
  const toolCalls: OpenAiToolCall[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        // Joined without a separator: Anthropic splits one answer into blocks mid-sentence (citations).
        text += part.text;
        break;
      case 'tool-call':
        toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: JSON.stringify(part.input ?? {}) } });
        break;
      case 'reasoning':
      case 'redacted-reasoning':
        // Another vendor's reasoning (and its signature) means nothing to an OpenAI-compatible model.
        break;
      default:
        assertNever(part);
    }
  }
  if (toolCalls.length === 0) return { role: 'assistant', content: text };
  return { role: 'assistant', content: text === '' ? null : text, tool_calls: toolCalls };
}

function encodeToolResults(results: ToolResultPart[], path: string): OpenAiMessage[] {
  const toolMessages: OpenAiMessage[] = [];
  const followUp: OpenAiUserContentPart[] = [];
  results.forEach((result, resultIndex) => {
    const texts: string[] = [];
    const files: OpenAiUserContentPart[] = [];
    result.content.forEach((part, partIndex) => {
      if (part.type === 'text') texts.push(part.text);
      else files.push(encodeFile(part, `${path}[${resultIndex}].content[${partIndex}]`));
    });
    const text = texts.join('\n');
    toolMessages.push({
      role: 'tool',
      tool_call_id: result.toolCallId,
      content: result.isError ? `Error: ${text}` : text,
    });
    if (files.length > 0) {
      const label: OpenAiTextPart = { type: 'text', text: `Attachments returned by tool call ${result.toolCallId}:` };
      followUp.push(label, ...files);
    }
  });
  if (followUp.length > 0) toolMessages.push({ role: 'user', content: followUp });
  return toolMessages;
}
