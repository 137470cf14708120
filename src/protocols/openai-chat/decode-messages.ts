/**
 * OpenAI `messages` → canonical system instructions and messages. System and developer messages may sit
 * anywhere in an OpenAI conversation; they are lifted out in order (as Anthropic's own compatibility
 * layer does). Consecutive tool results become one canonical tool message, because Anthropic requires
 * every result of one assistant turn in the single user turn that follows it.
 */
import type {
  AssistantPart,
  CanonicalMessage,
  FilePart,
  SystemInstruction,
  TextPart,
  ToolResultPart,
  UserPart,
} from '../../core/canonical-request.ts';
import { invalidRequest } from '../../core/gateway-error.ts';
import { guessImageMediaType, parseDataUrl } from './data-url.ts';
import { isPlainObject, parseClientToolArguments } from './tool-arguments.ts';

export type DecodedMessages = { system: SystemInstruction[]; messages: CanonicalMessage[] };

export function decodeMessages(wireMessages: unknown[]): DecodedMessages {
  const system: SystemInstruction[] = [];
  const messages: CanonicalMessage[] = [];
  // Legacy `function_call`s have no id; results (role `function`) are matched to them by name, in order.
  const pendingFunctionCallIds = new Map<string, string[]>();

  wireMessages.forEach((wire, messageIndex) => {
    const path = `messages[${messageIndex}]`;
    if (!isPlainObject(wire)) throw invalidRequest(`${path}: expected a message object`, path);
    const role = wire.role;
    switch (role) {
      case 'system':
      case 'developer':
        for (const text of textsOf(wire.content, `${path}.content`)) system.push({ text, origin: role });
        return;
      case 'user':
        messages.push({ role: 'user', content: decodeUserContent(wire.content, `${path}.content`) });
        return;
      case 'assistant':
        messages.push({ role: 'assistant', content: decodeAssistant(wire, path, messageIndex, pendingFunctionCallIds) });
        return;
      case 'tool': {
        if (typeof wire.tool_call_id !== 'string' || wire.tool_call_id === '') {
          throw invalidRequest(`${path}.tool_call_id: is required on a tool message`, `${path}.tool_call_id`);
        }
        appendToolResult(messages, wire.tool_call_id, textsOf(wire.content, `${path}.content`));
        return;
      }
      case 'function': {
        const name = typeof wire.name === 'string' ? wire.name : '';
        const id = pendingFunctionCallIds.get(name)?.shift() ?? legacyFunctionCallId(name, messageIndex);
        appendToolResult(messages, id, textsOf(wire.content, `${path}.content`));
        return;
      }
      default:
        throw invalidRequest(`${path}.role: unsupported role ${JSON.stringify(role)}`, `${path}.role`);
    }
  });
  return { system, messages };
}

function appendToolResult(messages: CanonicalMessage[], toolCallId: string, texts: string[]): void {
  const result: ToolResultPart = {
    type: 'tool-result',
    toolCallId,
    content: texts.map((text): TextPart => ({ type: 'text', text })),
    isError: false,
  };
  const last = messages.at(-1);
  if (last?.role === 'tool') last.content.push(result);
  else messages.push({ role: 'tool', content: [result] });
}

/** Content that may only hold text (system, developer, tool): a string or text parts. Empty texts are dropped. */
function textsOf(content: unknown, path: string): string[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) throw invalidRequest(`${path}: expected a string or an array of text parts`, path);
  const texts: string[] = [];
  content.forEach((part, partIndex) => {
    const partPath = `${path}[${partIndex}]`;
    if (!isPlainObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw invalidRequest(`${partPath}: expected a text part {"type":"text","text":…}`, partPath);
    }
    if (part.text !== '') texts.push(part.text);
  });
  return texts;
}

function decodeUserContent(content: unknown, path: string): UserPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidRequest(`${path}: expected a string or an array of content parts`, path);
  const parts: UserPart[] = [];
  content.forEach((part, partIndex) => {
    const decoded = decodeUserPart(part, `${path}[${partIndex}]`);
    if (decoded.type !== 'text' || decoded.text !== '') parts.push(decoded);
  });
  return parts;
}

function decodeUserPart(part: unknown, path: string): UserPart {
  if (!isPlainObject(part)) throw invalidRequest(`${path}: expected a content part object`, path);
  switch (part.type) {
    case 'text':
      if (typeof part.text !== 'string') throw invalidRequest(`${path}.text: expected a string`, `${path}.text`);
      return { type: 'text', text: part.text };
    case 'image_url':
      return decodeImage(part.image_url, `${path}.image_url`);
    case 'file':
      return decodeFile(part.file, `${path}.file`);
    default:
      throw invalidRequest(
        `${path}.type: content parts of type ${JSON.stringify(part.type)} cannot be converted (text, image_url and file can)`,
        `${path}.type`,
      );
  }
}

function decodeImage(imageUrl: unknown, path: string): FilePart {
  // Some clients send the URL itself rather than {url}; OpenAI documents only the object form.
  const url = typeof imageUrl === 'string' ? imageUrl : isPlainObject(imageUrl) ? imageUrl.url : undefined;
  if (typeof url !== 'string' || url === '') throw invalidRequest(`${path}.url: expected an image URL`, `${path}.url`);
  if (!url.startsWith('data:')) return { type: 'file', mediaType: guessImageMediaType(url), source: { kind: 'url', url } };
  const parsed = parseDataUrl(url);
  if (parsed === undefined || !parsed.base64 || !parsed.mediaType.startsWith('image/')) {
    throw invalidRequest(`${path}.url: expected a data URL such as data:image/png;base64,…`, `${path}.url`);
  }
  return { type: 'file', mediaType: parsed.mediaType, source: { kind: 'base64', data: parsed.data } };
}

function decodeFile(file: unknown, path: string): FilePart {
  if (!isPlainObject(file)) throw invalidRequest(`${path}: expected an object with "file_data"`, path);
  const filename = typeof file.filename === 'string' ? file.filename : undefined;
  if (typeof file.file_data !== 'string' || file.file_data === '') {
    // A file_id points into OpenAI's own file store, which no other upstream can read.
    throw invalidRequest(`${path}.file_data: is required; uploaded file ids cannot be converted`, `${path}.file_data`);
  }
  const parsed = parseDataUrl(file.file_data);
  if (parsed !== undefined && !parsed.base64) {
    throw invalidRequest(`${path}.file_data: expected a base64 data URL`, `${path}.file_data`);
  }
  // Chat Completions accepts PDFs only, so a bare base64 payload is a PDF.
  const mediaType = parsed?.mediaType || 'application/pdf';
  const data = parsed?.data ?? file.file_data;
  return { type: 'file', mediaType, source: { kind: 'base64', data }, ...(filename === undefined ? {} : { filename }) };
}

function decodeAssistant(
  wire: Record<string, unknown>,
  path: string,
  messageIndex: number,
  pendingFunctionCallIds: Map<string, string[]>,
): AssistantPart[] {
  const parts: AssistantPart[] = [];
  // DeepSeek-style clients send the reasoning back; it came before the answer.
  if (typeof wire.reasoning_content === 'string' && wire.reasoning_content !== '') {
    parts.push({ type: 'reasoning', text: wire.reasoning_content });
  }
  for (const text of assistantTexts(wire, `${path}.content`)) parts.push({ type: 'text', text });

  if (Array.isArray(wire.tool_calls)) {
    wire.tool_calls.forEach((call, callIndex) => {
      const callPath = `${path}.tool_calls[${callIndex}]`;
      if (!isPlainObject(call) || !isPlainObject(call.function)) {
        throw invalidRequest(`${callPath}: expected a tool call object`, callPath);
      }
      const { name, arguments: argumentsText } = call.function;
      if (typeof call.id !== 'string' || typeof name !== 'string' || typeof argumentsText !== 'string') {
        throw invalidRequest(`${callPath}: expected "id", "function.name" and "function.arguments" strings`, callPath);
      }
      const input = parseClientToolArguments(argumentsText, `${callPath}.function.arguments`);
      parts.push({ type: 'tool-call', id: call.id, name, input });
    });
  }

  if (isPlainObject(wire.function_call)) {
    const { name, arguments: argumentsText } = wire.function_call;
    if (typeof name !== 'string' || typeof argumentsText !== 'string') {
      throw invalidRequest(`${path}.function_call: expected "name" and "arguments" strings`, `${path}.function_call`);
    }
    const id = legacyFunctionCallId(name, messageIndex);
    const pending = pendingFunctionCallIds.get(name) ?? [];
    pending.push(id);
    pendingFunctionCallIds.set(name, pending);
    const input = parseClientToolArguments(argumentsText, `${path}.function_call.arguments`);
    parts.push({ type: 'tool-call', id, name, input });
  }
  return parts;
}

/** Assistant text: string content, text and refusal parts, and a `refusal` field (a refusal is what was said). */
function assistantTexts(wire: Record<string, unknown>, path: string): string[] {
  const texts: string[] = [];
  const content = wire.content;
  if (typeof content === 'string') {
    if (content !== '') texts.push(content);
  } else if (Array.isArray(content)) {
    content.forEach((part, partIndex) => {
      const partPath = `${path}[${partIndex}]`;
      if (isPlainObject(part) && part.type === 'text' && typeof part.text === 'string') {
        if (part.text !== '') texts.push(part.text);
      } else if (isPlainObject(part) && part.type === 'refusal' && typeof part.refusal === 'string') {
        if (part.refusal !== '') texts.push(part.refusal);
      } else {
        throw invalidRequest(`${partPath}: expected a text or refusal part`, partPath);
      }
    });
  }
  if (typeof wire.refusal === 'string' && wire.refusal !== '' && !texts.includes(wire.refusal)) texts.push(wire.refusal);
  return texts;
}

/** Legacy function calls carry no id; this one is stable for a given message so results can refer to it. */
function legacyFunctionCallId(name: string, messageIndex: number): string {
  return `call_${messageIndex}_${name}`;
}
