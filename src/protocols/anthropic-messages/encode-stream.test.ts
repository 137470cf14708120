import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/gateway-error.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import { transcodeAll } from '../../core/transcoder.ts';
import { loadSseFixture, parseSseBytes } from '../../../test/fixtures/load-fixture.ts';
import { createStreamDecoder } from './decode-stream.ts';
import { createStreamEncoder } from './encode-stream.ts';

type WireEvent = { event: string | undefined; data: Record<string, any> };

const encode = (events: StreamEvent[]): string[] => transcodeAll(createStreamEncoder({ includeUsage: false }), events);

/** What a client receives, parsed back by the real SSE parser. */
async function received(chunks: string[]): Promise<WireEvent[]> {
  const messages = await parseSseBytes(new TextEncoder().encode(chunks.join('')), { kind: 'whole' });
  return messages.map((message) => ({ event: message.event, data: JSON.parse(message.data) }));
}

/** The official Anthropic SDK reading the encoded stream as if it came from api.anthropic.com. */
function sdkStream(chunks: string[]) {
  const client = new Anthropic({
    apiKey: 'test-key',
    baseURL: 'http://localhost',
    maxRetries: 0,
    fetch: async () => new Response(chunks.join(''), { headers: { 'content-type': 'text/event-stream' } }),
  });
  return client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] });
}

/** A typical OpenAI-compatible upstream turn, as the OpenAI decoder reports it: usage only at the very end. */
const openAiStyleTurn: StreamEvent[] = [
  { type: 'message-start', id: 'chatcmpl-9xYz', model: 'deepseek-reasoner', created: 1_763_600_000 },
  { type: 'reasoning-delta', text: 'The user wants ' },
  { type: 'reasoning-delta', text: 'the weather.' },
  { type: 'text-delta', text: 'Checking' },
  { type: 'text-delta', text: ' now.' },
  { type: 'tool-call-start', index: 0, id: 'functions.get_weather:0', name: 'Get_Weather' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":"Oslo","unit":"celsius"}' },
  { type: 'tool-call-start', index: 1, id: 'call_abc123', name: 'mcp__maps__Find-Route' },
  { type: 'tool-call-delta', index: 1, argumentsDelta: '{"from":"Oslo",' },
  { type: 'tool-call-delta', index: 1, argumentsDelta: '"to":"Bergen"}' },
  { type: 'finish', finish: { reason: 'stop', raw: 'stop' } },
  { type: 'usage', usage: { inputTokens: 1200, outputTokens: 85, cacheReadTokens: 1000, cacheWriteTokens: 0 } },
];

describe('Anthropic stream encoder', () => {
  it('writes every event with an event name equal to data.type, one message_start, dense block indices', async () => {
    const events = await received(encode(openAiStyleTurn));
    for (const event of events) assert.equal(event.event, event.data.type);
    assert.equal(events.filter((event) => event.event === 'message_start').length, 1);
    assert.equal(events[0].event, 'message_start');
    const starts = events.filter((event) => event.event === 'content_block_start');
    assert.deepEqual(starts.map((event) => event.data.index), [0, 1, 2, 3]);
    assert.deepEqual(starts.map((event) => event.data.content_block.type), ['thinking', 'text', 'tool_use', 'tool_use']);
    assert.deepEqual(
      events.slice(-2).map((event) => event.event),
      ['message_delta', 'message_stop'],
    );
  });

  it('opens the first block as thinking, never a hard-coded text block, and never sends thinking into a text block (CONVERSION #4)', async () => {
    const events = await received(encode(openAiStyleTurn));
    const firstBlock = events.find((event) => event.event === 'content_block_start');
    assert.deepEqual(firstBlock?.data.content_block, { type: 'thinking', thinking: '', signature: '' });
    const blockTypes = new Map<number, string>();
    for (const event of events) {
      if (event.event === 'content_block_start') blockTypes.set(event.data.index, event.data.content_block.type);
      if (event.event === 'content_block_delta' && event.data.delta.type === 'thinking_delta') assert.equal(blockTypes.get(event.data.index), 'thinking');
      if (event.event === 'content_block_delta' && event.data.delta.type === 'text_delta') assert.equal(blockTypes.get(event.data.index), 'text');
    }
  });

  it('keeps the first delta after every block transition (CONVERSION #5)', async () => {
    const events = await received(encode(openAiStyleTurn));
    const deltas = events.filter((event) => event.event === 'content_block_delta').map((event) => event.data.delta);
    assert.deepEqual(deltas, [
      { type: 'thinking_delta', thinking: 'The user wants ' },
      { type: 'thinking_delta', thinking: 'the weather.' },
      { type: 'text_delta', text: 'Checking' },
      { type: 'text_delta', text: ' now.' },
      { type: 'input_json_delta', partial_json: '{"city":"Oslo","unit":"celsius"}' },
      { type: 'input_json_delta', partial_json: '{"from":"Oslo",' },
      { type: 'input_json_delta', partial_json: '"to":"Bergen"}' },
    ]);
  });

  it('sends tool arguments only as input_json_delta, even when they came in one chunk, with content_block_start.input empty (CONVERSION #2, #3)', async () => {
    const events = await received(encode(openAiStyleTurn));
    const toolStarts = events.filter((event) => event.event === 'content_block_start' && event.data.content_block.type === 'tool_use');
    for (const start of toolStarts) assert.deepEqual(start.data.content_block.input, {});
  });

  it('sanitises tool-call ids but never touches tool names (CONVERSION #15)', async () => {
    const events = await received(encode(openAiStyleTurn));
    const blocks = events.filter((event) => event.event === 'content_block_start' && event.data.content_block.type === 'tool_use');
    assert.deepEqual(
      blocks.map((event) => [event.data.content_block.id, event.data.content_block.name]),
      [
        ['functions_get_weather_0', 'Get_Weather'],
        ['call_abc123', 'mcp__maps__Find-Route'],
      ],
    );
  });

  it('puts input and cache tokens in message_delta when the upstream reported them only at the end (CONVERSION #6)', async () => {
    const events = await received(encode(openAiStyleTurn));
    const start = events[0].data.message;
    assert.deepEqual(start.content, []);
    assert.deepEqual(start.usage, { input_tokens: 0, output_tokens: 0 });
    assert.ok(start.id.startsWith('msg_'));
    assert.equal(start.model, 'deepseek-reasoner');
    const messageDelta = events.at(-2)!.data;
    // A tool call was made, so the stop reason is tool_use although the upstream said `stop`.
    assert.deepEqual(messageDelta.delta, { stop_reason: 'tool_use', stop_sequence: null });
    assert.deepEqual(messageDelta.usage, { output_tokens: 85, input_tokens: 200, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 });
  });

  it('is read by the official Anthropic SDK into the message the upstream produced', async () => {
    const message = await sdkStream(encode(openAiStyleTurn)).finalMessage();
    assert.equal(message.id, 'msg_chatcmpl-9xYz');
    assert.deepEqual(
      message.content.map((block) => {
        if (block.type === 'thinking') return { type: 'thinking', thinking: block.thinking };
        if (block.type === 'text') return { type: 'text', text: block.text };
        if (block.type === 'tool_use') return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
        return block;
      }),
      [
        { type: 'thinking', thinking: 'The user wants the weather.' },
        { type: 'text', text: 'Checking now.' },
        { type: 'tool_use', id: 'functions_get_weather_0', name: 'Get_Weather', input: { city: 'Oslo', unit: 'celsius' } },
        { type: 'tool_use', id: 'call_abc123', name: 'mcp__maps__Find-Route', input: { from: 'Oslo', to: 'Bergen' } },
      ],
    );
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.input_tokens, 200);
    assert.equal(message.usage.cache_read_input_tokens, 1000);
    assert.equal(message.usage.output_tokens, 85);
  });

  it('includes usage that arrives right after message-start in message_start itself', async () => {
    const events = await received(
      encode([
        { type: 'message-start', id: 'msg_01abc', model: 'claude-x' },
        { type: 'usage', usage: { inputTokens: 2069, cacheReadTokens: 2048, cacheWriteTokens: 0, outputTokens: 1 } },
        { type: 'text-delta', text: 'Hi' },
        { type: 'finish', finish: { reason: 'stop', raw: 'end_turn' } },
      ]),
    );
    assert.equal(events[0].data.message.id, 'msg_01abc');
    assert.deepEqual(events[0].data.message.usage, { input_tokens: 21, output_tokens: 0, cache_read_input_tokens: 2048, cache_creation_input_tokens: 0 });
    assert.equal(events[1].event, 'ping');
  });

  it('puts the signature on the thinking block and opens a new block for reasoning after a signature', async () => {
    const events = await received(
      encode([
        { type: 'message-start', id: 'msg_1', model: 'm' },
        { type: 'reasoning-delta', text: 'first' },
        { type: 'reasoning-signature', signature: 'sig-1' },
        { type: 'reasoning-delta', text: 'second' },
        { type: 'redacted-reasoning', data: 'opaque' },
        { type: 'text-delta', text: 'answer' },
        { type: 'finish', finish: { reason: 'stop', raw: 'end_turn' } },
      ]),
    );
    const shape = events
      .filter((event) => event.event?.startsWith('content_block'))
      .map((event) => [event.event, event.data.index, event.data.content_block?.type ?? event.data.delta?.type ?? '']);
    assert.deepEqual(shape, [
      ['content_block_start', 0, 'thinking'],
      ['content_block_delta', 0, 'thinking_delta'],
      ['content_block_delta', 0, 'signature_delta'],
      ['content_block_stop', 0, ''],
      ['content_block_start', 1, 'thinking'],
      ['content_block_delta', 1, 'thinking_delta'],
      ['content_block_stop', 1, ''],
      ['content_block_start', 2, 'redacted_thinking'],
      ['content_block_stop', 2, ''],
      ['content_block_start', 3, 'text'],
      ['content_block_delta', 3, 'text_delta'],
      ['content_block_stop', 3, ''],
    ]);
  });

  it('never sends an empty text block for empty deltas', async () => {
    const events = await received(
      encode([
        { type: 'message-start', id: 'x', model: 'm' },
        { type: 'text-delta', text: '' },
        { type: 'finish', finish: { reason: 'length', raw: 'length' } },
      ]),
    );
    assert.deepEqual(events.map((event) => event.event), ['message_start', 'ping', 'message_delta', 'message_stop']);
    assert.equal(events[2].data.delta.stop_reason, 'max_tokens');
  });

  it('sends an upstream error as event: error with nothing after it, which the SDK raises', async () => {
    const chunks = encode([
      { type: 'message-start', id: 'x', model: 'm' },
      { type: 'text-delta', text: 'partial' },
      { type: 'error', error: new GatewayError('overloaded', 'Service Unavailable', { status: 503 }) },
      { type: 'text-delta', text: 'ignored' },
      { type: 'finish', finish: { reason: 'stop', raw: 'stop' } },
    ]);
    const events = await received(chunks);
    assert.deepEqual(events.at(-1), { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Service Unavailable' } } });
    assert.equal(events.filter((event) => event.event === 'message_stop' || event.event === 'message_delta').length, 0);
    await assert.rejects(sdkStream(chunks).finalMessage(), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.type, 'overloaded_error');
      return true;
    });
  });

  it('ends a stream that stopped without a finish with an error, never a stream that looks complete', async () => {
    const events = await received(
      encode([
        { type: 'message-start', id: 'x', model: 'm' },
        { type: 'text-delta', text: 'cut' },
      ]),
    );
    assert.equal(events.at(-1)?.event, 'error');
    assert.equal(events.at(-1)?.data.error.type, 'api_error');
    assert.equal(events.filter((event) => event.event === 'message_stop').length, 0);
  });

  it('reports arguments for a tool whose block is already closed (interleaved parallel calls) as an error', async () => {
    const events = await received(
      encode([
        { type: 'message-start', id: 'x', model: 'm' },
        { type: 'tool-call-start', index: 0, id: 'a', name: 'f' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":' },
        { type: 'tool-call-start', index: 1, id: 'b', name: 'g' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
        { type: 'finish', finish: { reason: 'tool-calls', raw: 'tool_calls' } },
      ]),
    );
    assert.equal(events.at(-1)?.event, 'error');
    assert.match(events.at(-1)?.data.error.message, /tool call 0/);
  });

  it('keeps stop_sequence, and maps every finish reason back to Anthropic stop reasons', async () => {
    const cases: Array<[StreamEvent & { type: 'finish' }, string, string | null]> = [
      [{ type: 'finish', finish: { reason: 'stop-sequence', raw: 'stop_sequence', stopSequence: 'END' } }, 'stop_sequence', 'END'],
      [{ type: 'finish', finish: { reason: 'content-filter', raw: 'content_filter' } }, 'refusal', null],
      [{ type: 'finish', finish: { reason: 'pause', raw: 'pause_turn' } }, 'pause_turn', null],
      [{ type: 'finish', finish: { reason: 'context-window-exceeded', raw: 'x' } }, 'model_context_window_exceeded', null],
      [{ type: 'finish', finish: { reason: 'other', raw: 'weird' } }, 'end_turn', null],
    ];
    for (const [finish, stopReason, stopSequence] of cases) {
      const events = await received(encode([{ type: 'message-start', id: 'x', model: 'm' }, finish]));
      assert.deepEqual(events.at(-2)?.data.delta, { stop_reason: stopReason, stop_sequence: stopSequence });
    }
  });
});

describe('Anthropic stream: decode then encode', () => {
  for (const name of ['text.sse', 'tools-parallel.sse', 'thinking-tools.sse', 'unicode.sse']) {
    it(`rebuilds ${name} into the message the official SDK reads from the original`, async () => {
      const original = await loadSseFixture(`anthropic-messages/${name}`);
      const originalText = original.map((message) => `event: ${message.event}\ndata: ${message.data}\n\n`);
      const reencoded = encode(transcodeAll(createStreamDecoder(), original));
      const [expected, actual] = await Promise.all([sdkStream(originalText).finalMessage(), sdkStream(reencoded).finalMessage()]);
      assert.deepEqual(actual.content, expected.content);
      assert.deepEqual([actual.id, actual.model, actual.stop_reason, actual.stop_sequence], [expected.id, expected.model, expected.stop_reason, expected.stop_sequence]);
      // The usage breakdowns (cache_creation by TTL, service_tier) have no canonical form; the counts do.
      const { input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens } = expected.usage;
      assert.deepEqual(actual.usage, { input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens });
    });
  }
});
