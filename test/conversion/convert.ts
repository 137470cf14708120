/**
 * Cross-protocol conversion without a server: recorded upstream bytes → the real SSE parser (bytes cut
 * as a network would) → the upstream protocol's stream decoder → the client protocol's stream encoder →
 * the SSE text a client would receive, parsed back the way a client parses it.
 */
import { createParser } from 'eventsource-parser';
import type { SseMessage } from '../../src/core/sse.ts';
import type { StreamEvent } from '../../src/core/stream-events.ts';
import { transcodeAll } from '../../src/core/transcoder.ts';
import { anthropicMessagesProtocol } from '../../src/protocols/anthropic-messages/index.ts';
import { openAiChatProtocol } from '../../src/protocols/openai-chat/index.ts';
import type { Protocol, ProtocolName } from '../../src/protocols/protocol.ts';
import { loadFixtureBytes, parseSseBytes } from '../fixtures/load-fixture.ts';
import type { Chunking } from '../support/chunking.ts';

export const protocolsByName: Record<ProtocolName, Protocol> = {
  'openai-chat': openAiChatProtocol,
  'anthropic-messages': anthropicMessagesProtocol,
};

/** Chunkings every conversion test runs under: whole, per event, tiny (splitting code points and CRLF), random. */
export const chunkings: Chunking[] = [
  { kind: 'whole' },
  { kind: 'events' },
  { kind: 'bytes', size: 1 },
  { kind: 'bytes', size: 2 },
  { kind: 'bytes', size: 3 },
  { kind: 'bytes', size: 5 },
  { kind: 'bytes', size: 13 },
  { kind: 'bytes', size: 64 },
  { kind: 'random', seed: 1, maxSize: 32 },
  { kind: 'random', seed: 2024, maxSize: 7 },
];

export const describeChunking = (chunking: Chunking): string => JSON.stringify(chunking);

/** One SSE event as the client received it: its `event:` name and its data (JSON parsed when it is JSON). */
export type ClientEvent = { event: string | undefined; data: string; json: any };

export type Conversion = {
  /** The canonical events the upstream decoder produced. */
  events: StreamEvent[];
  /** The client-side SSE text, concatenated. */
  sse: string;
  clientEvents: ClientEvent[];
};

type Direction = { from: ProtocolName; to: ProtocolName; includeUsage?: boolean };

/** The folder (= protocol) of a fixture name such as `anthropic-messages/text.sse`. */
export function protocolOfFixture(name: string): ProtocolName {
  const folder = name.split('/')[0];
  if (folder === 'openai-chat' || folder === 'anthropic-messages') return folder;
  throw new Error(`fixture ${name} is not under a protocol folder`);
}

export async function decodeBytes(protocol: ProtocolName, bytes: Uint8Array, chunking: Chunking): Promise<StreamEvent[]> {
  const messages = await parseSseBytes(bytes, chunking);
  return transcodeAll(protocolsByName[protocol].createStreamDecoder(), messages);
}

export function encodeEvents(protocol: ProtocolName, events: StreamEvent[], includeUsage: boolean): string {
  return transcodeAll(protocolsByName[protocol].createStreamEncoder({ includeUsage }), events).join('');
}

export async function convertBytes(bytes: Uint8Array, chunking: Chunking, direction: Direction): Promise<Conversion> {
  const events = await decodeBytes(direction.from, bytes, chunking);
  const sse = encodeEvents(direction.to, events, direction.includeUsage ?? true);
  return { events, sse, clientEvents: parseClientSse(sse) };
}

/** Converts a recorded fixture into the other protocol. */
export async function convertFixture(name: string, chunking: Chunking, options: { includeUsage?: boolean } = {}): Promise<Conversion> {
  const from = protocolOfFixture(name);
  const to: ProtocolName = from === 'openai-chat' ? 'anthropic-messages' : 'openai-chat';
  return convertBytes(await loadFixtureBytes(name), chunking, { from, to, includeUsage: options.includeUsage });
}

/** Converts SSE text written in a test (for cases no recording covers). */
export function convertText(sseText: string, chunking: Chunking, direction: Direction): Promise<Conversion> {
  return convertBytes(new TextEncoder().encode(sseText), chunking, direction);
}

/**
 * Feeds the upstream's SSE messages one at a time and records what the client would have received
 * right after each one: proof that a delta is forwarded when it arrives, not held back.
 */
export async function convertStepwise(name: string, options: { includeUsage?: boolean } = {}): Promise<Array<{ input: SseMessage; output: string }>> {
  const from = protocolOfFixture(name);
  const to: ProtocolName = from === 'openai-chat' ? 'anthropic-messages' : 'openai-chat';
  const decoder = protocolsByName[from].createStreamDecoder();
  const encoder = protocolsByName[to].createStreamEncoder({ includeUsage: options.includeUsage ?? true });
  const steps: Array<{ input: SseMessage; output: string }> = [];
  for (const input of await parseSseBytes(await loadFixtureBytes(name), { kind: 'events' })) {
    let output = '';
    decoder.push(input, (event) => encoder.push(event, (text) => (output += text)));
    steps.push({ input, output });
  }
  return steps;
}

export function parseClientSse(sse: string): ClientEvent[] {
  const events: ClientEvent[] = [];
  const parser = createParser({
    onEvent: (message) => {
      let json: unknown;
      try {
        json = JSON.parse(message.data);
      } catch {
        json = undefined;
      }
      events.push({ event: message.event, data: message.data, json });
    },
  });
  parser.feed(sse);
  return events;
}

/** What a recorded stream says, read straight from its JSON (independently of the gateway's decoders). */
export type FixtureFacts = {
  text: string;
  reasoning: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: string | undefined;
  /** OpenAI: the usage chunk; Anthropic: message_start usage overlaid with message_delta usage. */
  usage: Record<string, any> | undefined;
};

export async function fixtureFacts(name: string): Promise<FixtureFacts> {
  const records = parseClientSse(new TextDecoder().decode(await loadFixtureBytes(name)));
  const facts: FixtureFacts = { text: '', reasoning: '', toolCalls: [], finishReason: undefined, usage: undefined };
  if (protocolOfFixture(name) === 'openai-chat') {
    for (const { json } of records) {
      if (json?.usage) facts.usage = json.usage;
      const choice = json?.choices?.[0];
      if (!choice) continue;
      facts.text += choice.delta?.content ?? '';
      facts.reasoning += choice.delta?.reasoning_content ?? '';
      for (const call of choice.delta?.tool_calls ?? []) {
        facts.toolCalls[call.index] ??= { id: '', name: '', arguments: '' };
        const seen = facts.toolCalls[call.index];
        seen.id ||= call.id ?? '';
        seen.name ||= call.function?.name ?? '';
        seen.arguments += call.function?.arguments ?? '';
      }
      facts.finishReason = choice.finish_reason ?? facts.finishReason;
    }
    return facts;
  }
  const blockTypes: string[] = [];
  for (const { json } of records) {
    switch (json?.type) {
      case 'message_start':
        facts.usage = { ...json.message.usage };
        break;
      case 'content_block_start':
        blockTypes[json.index] = json.content_block.type;
        if (json.content_block.type === 'tool_use') {
          facts.toolCalls.push({ id: json.content_block.id, name: json.content_block.name, arguments: '' });
        }
        break;
      case 'content_block_delta':
        if (json.delta.type === 'text_delta') facts.text += json.delta.text;
        if (json.delta.type === 'thinking_delta') facts.reasoning += json.delta.thinking;
        if (json.delta.type === 'input_json_delta' && blockTypes[json.index] === 'tool_use') {
          facts.toolCalls[facts.toolCalls.length - 1].arguments += json.delta.partial_json;
        }
        break;
      case 'message_delta':
        facts.finishReason = json.delta.stop_reason ?? facts.finishReason;
        facts.usage = { ...facts.usage, ...json.usage };
        break;
      default:
        break;
    }
  }
  return facts;
}
