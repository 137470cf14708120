/**
 * Canonical messages → Anthropic `messages`, meeting the rules Anthropic enforces that OpenAI does not:
 * roles alternate (adjacent same-role messages merge), tool results travel as `tool_result` blocks at the
 * start of a user message (CONVERSION #9), no text block is empty (#10), thinking blocks keep their place
 * before tool_use (#12), tool-call ids match ^[a-zA-Z0-9_-]+$, and no message has empty content.
 */
import type { AssistantPart, CanonicalMessage, FilePart, TextPart, ToolResultPart } from '../../core/canonical-request.ts';
import { invalidRequest } from '../../core/gateway-error.ts';
import { assertNever } from '../../core/stream-events.ts';
import { isJsonObject } from './guards.ts';
import { sanitizeToolCallId } from './tool-call-id.ts';
import type {
  AnthropicAssistantBlock,
  AnthropicDocumentBlock,
  AnthropicImageBlock,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicUserBlock,
} from './wire-types.ts';

export type EncodedMessage =
  | { role: 'user'; content: AnthropicUserBlock[] }
  | { role: 'assistant'; content: AnthropicAssistantBlock[] };

const supportedImageTypes = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * Anthropic rejects a conversation whose first message is the assistant's ("first message must use the
 * user role"), which OpenAI clients send for a canned greeting. A minimal user turn in front keeps the
 * greeting in context instead of failing the call.
 */
const conversationOpener: EncodedMessage = { role: 'user', content: [{ type: 'text', text: '.' }] };

export function encodeMessages(messages: CanonicalMessage[]): EncodedMessage[] {
  const encoded: EncodedMessage[] = [];
  messages.forEach((message, index) => {
    const next = encodeMessage(message, `messages[${index}]`);
    // A message left without content (only "" text, or unsigned reasoning) is dropped: Anthropic rejects empty content.
    if (next.content.length === 0) return;
    const previous = encoded.at(-1);
    if (previous?.role === 'user' && next.role === 'user') previous.content.push(...next.content);
    else if (previous?.role === 'assistant' && next.role === 'assistant') previous.content.push(...next.content);
    else encoded.push(next);
  });
  if (encoded.length === 0) {
    throw invalidRequest('messages: every message is empty, and Anthropic models need at least one message with content.', 'messages');
  }
  for (const message of encoded) if (message.role === 'user') message.content = toolResultsFirst(message.content);
  trimFinalAssistantText(encoded);
  if (encoded[0].role === 'assistant') encoded.unshift(structuredClone(conversationOpener));
  return encoded;
}

function encodeMessage(message: CanonicalMessage, path: string): EncodedMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content.flatMap((part, index) => encodeUserPart(part, `${path}.content[${index}]`)) };
    case 'tool':
      return { role: 'user', content: message.content.map((part, index) => encodeToolResult(part, `${path}.content[${index}]`)) };
    case 'assistant':
      return { role: 'assistant', content: message.content.flatMap(encodeAssistantPart) };
    default:
      return assertNever(message);
  }
}

/** Anthropic rejects empty and whitespace-only text blocks; such text says nothing, so it is skipped. */
function encodeText(part: TextPart): AnthropicTextBlock[] {
  return part.text.trim() === '' ? [] : [{ type: 'text', text: part.text }];
}

function encodeUserPart(part: TextPart | FilePart, path: string): Array<AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock> {
  switch (part.type) {
    case 'text':
      return encodeText(part);
    case 'file':
      return [encodeFile(part, path)];
    default:
      return assertNever(part);
  }
}

function encodeFile(part: FilePart, path: string): AnthropicImageBlock | AnthropicDocumentBlock {
  const mediaType = part.mediaType === 'image/jpg' ? 'image/jpeg' : part.mediaType;
  const title = part.filename === undefined ? {} : { title: part.filename };
  if (mediaType.startsWith('image/')) {
    if (part.source.kind === 'url') return { type: 'image', source: { type: 'url', url: part.source.url } };
    if (!supportedImageTypes.has(mediaType)) {
      throw invalidRequest(
        `${path}: Anthropic models accept images of type image/jpeg, image/png, image/gif or image/webp, not ${mediaType}.`,
        path,
      );
    }
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: part.source.data } };
  }
  if (mediaType === 'application/pdf') {
    if (part.source.kind === 'url') return { type: 'document', source: { type: 'url', url: part.source.url }, ...title };
    return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: part.source.data }, ...title };
  }
  if (mediaType === 'text/plain' && part.source.kind === 'base64') {
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: decodeBase64Text(part.source.data) }, ...title };
  }
  throw invalidRequest(
    `${path}: Anthropic models accept images (jpeg, png, gif, webp), PDF and plain-text documents, not ${mediaType}.`,
    path,
  );
}

function decodeBase64Text(data: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(data), (character) => character.charCodeAt(0)));
  } catch {
    throw invalidRequest('a text/plain file is not valid base64.');
  }
}

function encodeToolResult(part: ToolResultPart, path: string): AnthropicToolResultBlock {
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: sanitizeToolCallId(part.toolCallId) };
  const textOnly = part.content.every((content) => content.type === 'text');
  if (textOnly) {
    // Several text parts read as separate paragraphs; a newline keeps their words from running together.
    const text = part.content.map((content) => (content as TextPart).text).join('\n');
    if (text !== '') block.content = text;
  } else {
    block.content = part.content.flatMap((content, index) => encodeUserPart(content, `${path}.content[${index}]`));
  }
  if (part.isError) block.is_error = true;
  return block;
}

function encodeAssistantPart(part: AssistantPart): AnthropicAssistantBlock[] {
  switch (part.type) {
    case 'text':
      return encodeText(part);
    case 'reasoning':
      // Anthropic verifies the signature of every thinking block sent back; reasoning from another
      // upstream has none (or ''), and replaying it unsigned would be rejected.
      return part.signature ? [{ type: 'thinking', thinking: part.text, signature: part.signature }] : [];
    case 'redacted-reasoning':
      return [{ type: 'redacted_thinking', data: part.data }];
    case 'tool-call':
      return [
        {
          type: 'tool_use',
          id: sanitizeToolCallId(part.id),
          name: part.name,
          // Anthropic requires an object; arguments that were not one (unparseable JSON) have no faithful form.
          input: isJsonObject(part.input) ? part.input : {},
        },
      ];
    default:
      return assertNever(part);
  }
}

/** Anthropic requires a user message's tool_result blocks before any other block. */
function toolResultsFirst(blocks: AnthropicUserBlock[]): AnthropicUserBlock[] {
  return [...blocks.filter((block) => block.type === 'tool_result'), ...blocks.filter((block) => block.type !== 'tool_result')];
}

/** A final assistant message is a prefill, and Anthropic rejects a prefill ending in whitespace. */
function trimFinalAssistantText(messages: EncodedMessage[]): void {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return;
  const lastBlock = last.content.at(-1);
  if (lastBlock?.type === 'text') lastBlock.text = lastBlock.text.trimEnd();
}
