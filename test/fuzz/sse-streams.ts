/**
 * fast-check arbitraries for upstream SSE streams of both APIs: random but valid replies (text with
 * emoji and other multi-byte characters, reasoning, tool calls with their arguments cut into random
 * pieces, usage), written with random SSE syntax (LF, CRLF or CR line ends, comments, pings, unknown
 * event types, `data:` with or without its space, JSON spread over several `data:` lines), and hostile
 * streams (garbage, truncated JSON, huge lines). Each valid stream knows where its terminal event ends,
 * so a test can tell a cut that left the reply complete from one that cut it off.
 */
import fc from 'fast-check';
import type { ProtocolName } from '../../src/protocols/protocol.ts';

/** One part of a generated reply, with its content cut into the deltas the upstream sends. */
export type ReplyPart =
  | { kind: 'text'; pieces: string[] }
  | { kind: 'reasoning'; pieces: string[] }
  | { kind: 'tool'; name: string; pieces: string[] };

export type GeneratedStream = {
  protocol: ProtocolName;
  bytes: Uint8Array;
  parts: ReplyPart[];
  /**
   * Where the terminal event (OpenAI: the chunk with finish_reason; Anthropic: message_stop) ends: a
   * stream cut before `errorBefore` bytes lacks it, one cut at `completeFrom` or later has it. Between
   * the two the cut falls on the final line ending's CR, which a parser may read as the end of the line
   * or hold, waiting for an LF: either reading is right.
   */
  terminal: { errorBefore: number; completeFrom: number };
};

type WireEvent = { event?: string; data: unknown; terminal?: boolean };
type Syntax = { lineEnd: '\n' | '\r\n' | '\r'; spaceAfterColon: boolean; multiLineData: boolean; comments: boolean };

/** Non-empty strings, often multi-byte: accents, CJK, emoji with joiners and skin tones. */
const deltaText = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
  fc.constantFrom('é', '日本語', '👩‍👩‍👧‍👦', '👍🏽', '\u0000', '"\\', 'data: [DONE]\n\n', '\r\n'),
);
const pieces = fc.array(deltaText, { minLength: 1, maxLength: 6 });
const argumentPieces = fc.tuple(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), fc.array(fc.nat(), { maxLength: 6 })).map(([value, cuts]) => {
  const json = JSON.stringify(value);
  const positions = [...new Set(cuts.map((cut) => cut % json.length))].filter((position) => position > 0).sort((left, right) => left - right);
  return [0, ...positions].map((start, index) => json.slice(start, positions[index] ?? json.length));
});

const replyPart: fc.Arbitrary<ReplyPart> = fc.oneof(
  pieces.map((texts) => ({ kind: 'text' as const, pieces: texts })),
  pieces.map((texts) => ({ kind: 'reasoning' as const, pieces: texts })),
  fc.tuple(fc.constantFrom('get_weather', 'search', 'wörter_zählen'), argumentPieces).map(([name, args]) => ({ kind: 'tool' as const, name, pieces: args })),
);
const syntax: fc.Arbitrary<Syntax> = fc.record({
  lineEnd: fc.constantFrom('\n', '\r\n', '\r'),
  spaceAfterColon: fc.boolean(),
  multiLineData: fc.boolean(),
  comments: fc.boolean(),
});

function openAiEvents(parts: ReplyPart[], includeUsage: boolean): WireEvent[] {
  const chunk = (delta: unknown, finishReason: string | null = null) => ({
    id: 'chatcmpl-fuzz',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-fuzz',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const events: WireEvent[] = [{ data: chunk({ role: 'assistant', content: '' }) }];
  let toolCount = 0;
  for (const part of parts) {
    if (part.kind === 'text') for (const piece of part.pieces) events.push({ data: chunk({ content: piece }) });
    if (part.kind === 'reasoning') for (const piece of part.pieces) events.push({ data: chunk({ reasoning_content: piece }) });
    if (part.kind === 'tool') {
      const index = toolCount++;
      events.push({ data: chunk({ tool_calls: [{ index, id: `call_${index}`, type: 'function', function: { name: part.name, arguments: '' } }] }) });
      for (const piece of part.pieces) events.push({ data: chunk({ tool_calls: [{ index, function: { arguments: piece } }] }) });
    }
  }
  events.push({ data: chunk({}, toolCount > 0 ? 'tool_calls' : 'stop'), terminal: true });
  if (includeUsage) events.push({ data: { ...chunk({}), choices: [], usage: { prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 } } });
  events.push({ data: '[DONE]' });
  return events;
}

function anthropicEvents(parts: ReplyPart[], unknownEvents: boolean): WireEvent[] {
  const typed = (data: { type: string } & Record<string, unknown>): WireEvent => ({ event: data.type, data });
  const events: WireEvent[] = [
    typed({ type: 'message_start', message: { id: 'msg_fuzz', type: 'message', role: 'assistant', model: 'claude-fuzz', content: [], stop_reason: null, usage: { input_tokens: 7, output_tokens: 1 } } }),
    typed({ type: 'ping' }),
  ];
  parts.forEach((part, index) => {
    if (unknownEvents) events.push(typed({ type: 'future_event_type', index, detail: { nested: [1, 2] } }));
    const start = part.kind === 'text' ? { type: 'text', text: '' } : part.kind === 'reasoning' ? { type: 'thinking', thinking: '' } : { type: 'tool_use', id: `toolu_${index}`, name: part.name, input: {} };
    events.push(typed({ type: 'content_block_start', index, content_block: start }));
    for (const piece of part.pieces) {
      const delta =
        part.kind === 'text' ? { type: 'text_delta', text: piece } : part.kind === 'reasoning' ? { type: 'thinking_delta', thinking: piece } : { type: 'input_json_delta', partial_json: piece };
      events.push(typed({ type: 'content_block_delta', index, delta }));
    }
    if (part.kind === 'reasoning') events.push(typed({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'c2ln' } }));
    events.push(typed({ type: 'content_block_stop', index }));
  });
  const toolUse = parts.some((part) => part.kind === 'tool');
  events.push(typed({ type: 'message_delta', delta: { stop_reason: toolUse ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } }));
  events.push({ ...typed({ type: 'message_stop' }), terminal: true });
  return events;
}

const encoder = new TextEncoder();

/** SSE text of the events in the chosen syntax, and where the terminal event's final line ending lies. */
function serialize(events: WireEvent[], style: Syntax): { bytes: Uint8Array; terminal: GeneratedStream['terminal'] } {
  const colon = style.spaceAfterColon ? ': ' : ':';
  let text = '';
  let terminal = { errorBefore: 0, completeFrom: 0 };
  events.forEach((wire, position) => {
    if (style.comments && position % 3 === 0) text += `: keep-alive ${position}${style.lineEnd}`;
    if (wire.event !== undefined) text += `event${colon}${wire.event}${style.lineEnd}`;
    const json = typeof wire.data === 'string' ? wire.data : JSON.stringify(wire.data, null, style.multiLineData ? 1 : undefined);
    // Pretty-printed JSON has no newline inside its strings, so each of its lines can be one `data:` line.
    for (const line of json.split('\n')) text += `data${colon}${line}${style.lineEnd}`;
    text += style.lineEnd;
    if (wire.terminal) {
      const end = encoder.encode(text).length;
      if (style.lineEnd === '\n') terminal = { errorBefore: end, completeFrom: end };
      if (style.lineEnd === '\r\n') terminal = { errorBefore: end - 1, completeFrom: end };
      if (style.lineEnd === '\r') terminal = { errorBefore: end, completeFrom: end + 1 };
    }
  });
  return { bytes: encoder.encode(text), terminal };
}

export function validStream(protocol: ProtocolName): fc.Arbitrary<GeneratedStream> {
  return fc.tuple(fc.array(replyPart, { maxLength: 4 }), syntax, fc.boolean()).map(([parts, style, option]) => {
    const events = protocol === 'openai-chat' ? openAiEvents(parts, option) : anthropicEvents(parts, option);
    return { protocol, parts, ...serialize(events, style) };
  });
}

/**
 * Cut positions for a byte string of `length`: any byte, so inside code points and between CR and LF;
 * sometimes every single byte (for inputs small enough that this stays quick).
 */
export function cutsOf(length: number): fc.Arbitrary<number[]> {
  const anywhere = fc.array(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 60 });
  if (length > 4_000) return anywhere;
  return fc.oneof({ weight: 4, arbitrary: anywhere }, { weight: 1, arbitrary: fc.constant(Array.from({ length: Math.max(0, length - 1) }, (_, index) => index + 1)) });
}

/** Lines no upstream should send, mixed with real ones: the decoder must survive all of them. */
const hostileLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => `data: ${JSON.stringify(value)}`),
  fc.constantFrom(
    'data: [DONE]',
    'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]',
    'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}',
    'data: {"type":"message_stop"}',
    'data: {"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
    'data: {"error":{"message":"boom","type":"server_error"}}',
    'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"function":{"arguments":"{"}}]}}]}',
    'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    'data: {"type":"content_block_start","index":-1,"content_block":{"type":"tool_use","input":"x"}}',
    'data: {"type":"message_delta","usage":{"output_tokens":"many"}}',
    'data: {"type":"message_start","message":null}',
    'event: error',
    'event: message_stop',
    ': comment',
    'id: 7',
    'retry: 10',
    '',
    'data',
    'data:',
  ),
  fc.integer({ min: 10_000, max: 100_000 }).map((length) => `data: {"choices":[{"index":0,"delta":{"content":"${'z'.repeat(length)}`),
);

export const hostileStream: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.array(hostileLine, { maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\r')).map(([lines, lineEnd]) => encoder.encode(lines.join(lineEnd))),
  fc.tuple(validStream('openai-chat'), fc.nat(), fc.array(hostileLine, { minLength: 1, maxLength: 4 })).map(([stream, at, lines]) => spliced(stream.bytes, at, lines)),
  fc.tuple(validStream('anthropic-messages'), fc.nat(), fc.array(hostileLine, { minLength: 1, maxLength: 4 })).map(([stream, at, lines]) => spliced(stream.bytes, at, lines)),
);

/** A valid stream with hostile lines inserted at some byte (possibly mid-line, mid-character). */
function spliced(bytes: Uint8Array, at: number, lines: string[]): Uint8Array {
  const position = at % (bytes.length + 1);
  const inserted = encoder.encode(`${lines.join('\n')}\n\n`);
  const result = new Uint8Array(bytes.length + inserted.length);
  result.set(bytes.subarray(0, position), 0);
  result.set(inserted, position);
  result.set(bytes.subarray(position), position + inserted.length);
  return result;
}
