/**
 * Anthropic `messages` → canonical messages. The one structural change: Anthropic carries tool results as
 * `tool_result` blocks inside a user message, the canonical form as a separate `tool` message. The results
 * of one user message become one tool message placed first, and the rest of that user message (text,
 * images) a user message right after it — the order an OpenAI upstream requires (tool messages directly
 * after the assistant's tool calls).
 */
import type {
  AssistantPart,
  CanonicalMessage,
  FilePart,
  TextPart,
  ToolResultPart,
  UserPart,
} from '../../core/canonical-request.ts';
import { invalidRequest } from '../../core/gateway-error.ts';
import { isJsonObject, quotedForError, type JsonObject } from './guards.ts';

export function decodeMessages(messages: unknown[]): CanonicalMessage[] {
  const decoded: CanonicalMessage[] = [];
  messages.forEach((message, index) => {
    const path = `messages[${index}]`;
    if (!isJsonObject(message)) throw invalidRequest(`${path} must be a message object.`, path);
    if (message.role === 'assistant') decoded.push({ role: 'assistant', content: decodeAssistantContent(message.content, path) });
    else decoded.push(...decodeUserMessage(message.content, path));
  });
  return decoded;
}

function decodeUserMessage(content: unknown, path: string): CanonicalMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content: [{ type: 'text', text: content }] }];
  const blocks = asBlocks(content, `${path}.content`);
  const results: ToolResultPart[] = [];
  const parts: UserPart[] = [];
  blocks.forEach((block, index) => {
    const blockPath = `${path}.content[${index}]`;
    if (block.type === 'tool_result') results.push(decodeToolResult(block, blockPath));
    else parts.push(...decodeUserBlock(block, blockPath));
  });
  const decoded: CanonicalMessage[] = [];
  if (results.length > 0) decoded.push({ role: 'tool', content: results });
  if (parts.length > 0 || results.length === 0) decoded.push({ role: 'user', content: parts });
  return decoded;
}

/** A text, image or document block (in a user message, a tool result, or a document's content). */
function decodeUserBlock(block: JsonObject, path: string): UserPart[] {
  switch (block.type) {
    case 'text':
      return [{ type: 'text', text: requireString(block.text, `${path}.text`) }];
    case 'image':
      return [decodeImage(block, path)];
    case 'document':
      return decodeDocument(block, path);
    default:
      throw invalidRequest(
        `${path}.type ${quotedForError(block.type)} cannot be converted for this model's upstream ` +
          '(supported in user messages: text, image, document, tool_result).',
        `${path}.type`,
      );
  }
}

function decodeImage(block: JsonObject, path: string): FilePart {
  const source = requireObject(block.source, `${path}.source`);
  switch (source.type) {
    case 'base64':
      return {
        type: 'file',
        mediaType: requireString(source.media_type, `${path}.source.media_type`),
        source: { kind: 'base64', data: requireString(source.data, `${path}.source.data`) },
      };
    case 'url':
      // The media type of a linked image is unknown until it is fetched; `image/*` still says "an image".
      return { type: 'file', mediaType: 'image/*', source: { kind: 'url', url: requireString(source.url, `${path}.source.url`) } };
    default:
      throw unsupportedSource(source.type, `${path}.source.type`);
  }
}

function decodeDocument(block: JsonObject, path: string): UserPart[] {
  const source = requireObject(block.source, `${path}.source`);
  const filename = typeof block.title === 'string' ? block.title : undefined;
  switch (source.type) {
    case 'base64': {
      const part: FilePart = {
        type: 'file',
        mediaType: requireString(source.media_type, `${path}.source.media_type`),
        source: { kind: 'base64', data: requireString(source.data, `${path}.source.data`) },
      };
      return [filename === undefined ? part : { ...part, filename }];
    }
    case 'url': {
      const part: FilePart = {
        type: 'file',
        mediaType: 'application/pdf',
        source: { kind: 'url', url: requireString(source.url, `${path}.source.url`) },
      };
      return [filename === undefined ? part : { ...part, filename }];
    }
    case 'text':
      // A plain-text document is text the model reads; any upstream takes it as a text part.
      return [{ type: 'text', text: requireString(source.data, `${path}.source.data`) }];
    case 'content': {
      if (typeof source.content === 'string') return [{ type: 'text', text: source.content }];
      const blocks = asBlocks(source.content, `${path}.source.content`);
      return blocks.flatMap((inner, index) => decodeUserBlock(inner, `${path}.source.content[${index}]`));
    }
    default:
      throw unsupportedSource(source.type, `${path}.source.type`);
  }
}

function decodeToolResult(block: JsonObject, path: string): ToolResultPart {
  const toolCallId = requireString(block.tool_use_id, `${path}.tool_use_id`);
  let content: Array<TextPart | FilePart> = [];
  if (typeof block.content === 'string') content = [{ type: 'text', text: block.content }];
  else if (block.content !== undefined && block.content !== null) {
    const blocks = asBlocks(block.content, `${path}.content`);
    content = blocks.flatMap((inner, index) => decodeUserBlock(inner, `${path}.content[${index}]`));
  }
  return { type: 'tool-result', toolCallId, content, isError: block.is_error === true };
}

function decodeAssistantContent(content: unknown, path: string): AssistantPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts: AssistantPart[] = [];
  asBlocks(content, `${path}.content`).forEach((block, index) => {
    const blockPath = `${path}.content[${index}]`;
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: requireString(block.text, `${blockPath}.text`) });
        return;
      case 'tool_use':
        parts.push({
          type: 'tool-call',
          id: requireString(block.id, `${blockPath}.id`),
          name: requireString(block.name, `${blockPath}.name`),
          input: block.input ?? {},
        });
        return;
      case 'thinking': {
        const text = requireString(block.thinking, `${blockPath}.thinking`);
        parts.push(typeof block.signature === 'string' ? { type: 'reasoning', text, signature: block.signature } : { type: 'reasoning', text });
        return;
      }
      case 'redacted_thinking':
        parts.push({ type: 'redacted-reasoning', data: requireString(block.data, `${blockPath}.data`) });
        return;
      default:
        // server_tool_use, web_search_tool_result and the other server-tool blocks record work done on
        // Anthropic's servers; they have no canonical form and no other upstream could use them.
        return;
    }
  });
  return parts;
}

function asBlocks(value: unknown, path: string): JsonObject[] {
  if (!Array.isArray(value)) throw invalidRequest(`${path} must be a string or an array of content blocks.`, path);
  return value.map((block, index) => requireObject(block, `${path}[${index}]`));
}

function requireObject(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) throw invalidRequest(`${path} must be an object.`, path);
  return value;
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidRequest(`${path} must be a string.`, path);
  return value;
}

function unsupportedSource(type: unknown, path: string) {
  return invalidRequest(
    `${path} ${quotedForError(type)} cannot be converted for this model's upstream (use a base64 or url source).`,
    path,
  );
}
