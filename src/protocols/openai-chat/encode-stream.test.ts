import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/gateway-error.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import { transcodeAll } from '../../core/transcoder.ts';
import { loadSseFixture, parseSseBytes } from '../../../test/fixtures/load-fixture.ts';
import { createStreamDecoder } from './decode-stream.ts';
import { createStreamEncoder } from './encode-stream.ts';

const start: StreamEvent = { type: 'message-start', id: 'msg_01ABC', model: 'claude-sonnet-4-5', created: 1758000000 };

function encode(events: StreamEvent[], includeUsage = false): string[] {
  return transcodeAll(createStreamEncoder({ includeUsage }), events);
}

/** What a client reads: the data of each event; JSON parsed, `[DONE]` kept as text. */
async function clientView(sseTexts: string[]): Promise<unknown[]> {
  const bytes = new TextEncoder().encode(sseTexts.join(''));
  const messages = await parseSseBytes(bytes, { kind: 'bytes', size: 7 });
  for (const message of messages) assert.equal(message.event, undefined, 'OpenAI streams carry data lines only');
  return messages.map((message) => (message.data === '[DONE]' ? '[DONE]' : JSON.parse(message.data)));
}

// Narrow views into chunks for assertions.
type Chunk = { id: string; object: string; created: number; model: string; choices: Array<{ index: number; delta: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown };
const deltas = (chunks: unknown[]) => (chunks as Chunk[]).filter((chunk) => typeof chunk === 'object' && chunk.choices?.length).map((chunk) => chunk.choices[0].delta);

describe('OpenAI stream encoder', () => {
  it('writes a complete text stream: role chunk, deltas, finish, usage chunk, [DONE]', async () => {
    const chunks = await clientView(
      encode(
        [
          start,
          { type: 'text-delta', text: 'Hel' },
          { type: 'text-delta', text: 'lo' },
          { type: 'usage', usage: { inputTokens: 1200, cacheReadTokens: 1000, cacheWriteTokens: 0 } },
          { type: 'finish', finish: { reason: 'stop', raw: 'end_turn' } },
          { type: 'usage', usage: { outputTokens: 7 } },
        ],
        true,
      ),
    );
    assert.equal(chunks.at(-1), '[DONE]');
    const objects = chunks.slice(0, -1) as Chunk[];
    for (const chunk of objects) {
      assert.deepEqual([chunk.id, chunk.object, chunk.created, chunk.model], ['msg_01ABC', 'chat.completion.chunk', 1758000000, 'claude-sonnet-4-5']);
    }
    assert.deepEqual(objects[0].choices, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    assert.deepEqual(deltas(objects).slice(1, 3), [{ content: 'Hel' }, { content: 'lo' }]);
    assert.deepEqual(objects[3].choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    // usage:null on every chunk but the last, as OpenAI sends it.
    for (const chunk of objects.slice(0, -1)) assert.equal(chunk.usage, null);
    // §8 #6 and #7: the final usage chunk is there, cached tokens inside prompt_tokens (not added again).
    assert.deepEqual(objects.at(-1), {
      id: 'msg_01ABC',
      object: 'chat.completion.chunk',
      created: 1758000000,
      model: 'claude-sonnet-4-5',
      choices: [],
      usage: {
        prompt_tokens: 1200,
        completion_tokens: 7,
        total_tokens: 1207,
        prompt_tokens_details: { cached_tokens: 1000 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('sends no usage chunk and no usage field when the client did not ask for usage', async () => {
    const chunks = await clientView(encode([start, { type: 'text-delta', text: 'x' }, { type: 'usage', usage: { inputTokens: 3 } }, { type: 'finish', finish: { reason: 'stop', raw: null } }]));
    assert.equal(chunks.at(-1), '[DONE]');
    for (const chunk of chunks.slice(0, -1) as Chunk[]) {
      assert.equal('usage' in chunk, false);
      assert.equal(chunk.choices.length, 1);
    }
  });

  it('numbers tool calls by their canonical ordinal and streams each argument fragment (§8 #1, #2)', async () => {
    const chunks = await clientView(
      encode([
        start,
        { type: 'text-delta', text: 'Checking.' },
        { type: 'tool-call-start', index: 0, id: 'toolu_01', name: 'get_weather' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' },
        { type: 'tool-call-start', index: 1, id: 'toolu_02', name: 'Get-Local_Time' },
        { type: 'tool-call-delta', index: 1, argumentsDelta: '' },
        { type: 'tool-call-delta', index: 1, argumentsDelta: '{"tz":"UTC"}' },
        { type: 'finish', finish: { reason: 'tool-calls', raw: 'tool_use' } },
      ]),
    );
    assert.deepEqual(deltas(chunks).slice(2), [
      { tool_calls: [{ index: 0, id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { tool_calls: [{ index: 1, id: 'toolu_02', type: 'function', function: { name: 'Get-Local_Time', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"tz":"UTC"}' } }] },
      {},
    ]);
    assert.equal((chunks.at(-2) as Chunk).choices[0].finish_reason, 'tool_calls');
  });

  it('writes each event the moment it is pushed, holding nothing back (§8 #3)', () => {
    const encoder = createStreamEncoder({ includeUsage: true });
    const pushed = (event: StreamEvent) => {
      const written: string[] = [];
      encoder.push(event, (text) => written.push(text));
      return written.length;
    };
    assert.equal(pushed(start), 1);
    assert.equal(pushed({ type: 'tool-call-start', index: 0, id: 'toolu_01', name: 'f' }), 1);
    for (const fragment of ['{"a"', ':', '1}']) assert.equal(pushed({ type: 'tool-call-delta', index: 0, argumentsDelta: fragment }), 1);
    assert.equal(pushed({ type: 'finish', finish: { reason: 'tool-calls', raw: null } }), 1);
  });

  it('sends reasoning as reasoning_content, never as content, and drops Anthropic signatures', async () => {
    const chunks = await clientView(
      encode([
        start,
        { type: 'reasoning-delta', text: 'Let me think.' },
        { type: 'reasoning-signature', signature: 'EqQBCkYIBxgCKkB' },
        { type: 'redacted-reasoning', data: 'opaque' },
        { type: 'text-delta', text: 'Answer.' },
        { type: 'finish', finish: { reason: 'stop', raw: 'end_turn' } },
      ]),
    );
    assert.deepEqual(deltas(chunks).slice(1), [{ reasoning_content: 'Let me think.' }, { content: 'Answer.' }, {}]);
  });

  it('maps every canonical finish reason onto an OpenAI finish_reason', async () => {
    const cases = [
      ['stop', 'stop'],
      ['stop-sequence', 'stop'],
      ['pause', 'stop'],
      ['other', 'stop'],
      ['length', 'length'],
      ['context-window-exceeded', 'length'],
      ['tool-calls', 'tool_calls'],
      ['content-filter', 'content_filter'],
    ] as const;
    for (const [reason, expected] of cases) {
      const chunks = await clientView(encode([start, { type: 'finish', finish: { reason, raw: null } }]));
      assert.equal((chunks.at(-2) as Chunk).choices[0].finish_reason, expected, reason);
    }
  });

  it('ends an errored stream with an error chunk: no finish_reason, no [DONE], nothing after', async () => {
    const overloaded = new GatewayError('overloaded', 'Overloaded', { upstreamType: 'overloaded_error' });
    const chunks = await clientView(
      encode([start, { type: 'text-delta', text: 'partial' }, { type: 'error', error: overloaded }, { type: 'text-delta', text: 'ghost' }, { type: 'finish', finish: { reason: 'stop', raw: null } }], true),
    );
    assert.deepEqual(chunks.at(-1), { error: { message: 'Overloaded', type: 'server_error', param: null, code: null } });
    assert.equal(chunks.includes('[DONE]'), false);
    assert.equal((chunks as Chunk[]).some((chunk) => chunk.choices?.some((choice) => choice.finish_reason !== null)), false);
    assert.equal(chunks.length, 3);
  });

  it('never makes input that stopped without a finish look complete', async () => {
    const chunks = await clientView(encode([start, { type: 'text-delta', text: 'cut' }], true));
    const last = chunks.at(-1) as { error: { message: string; type: string } };
    assert.equal(last.error.type, 'server_error');
    assert.match(last.error.message, /ended before it finished/);
    assert.equal(chunks.includes('[DONE]'), false);
  });

  it('still writes a well-formed stream when message-start is missing', async () => {
    const chunks = (await clientView(encode([{ type: 'text-delta', text: 'x' }, { type: 'finish', finish: { reason: 'stop', raw: null } }]))).slice(0, -1) as Chunk[];
    assert.match(chunks[0].id, /^chatcmpl-/);
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1);
    assert.ok(Number.isInteger(chunks[0].created));
  });

  it('round-trips every recorded stream: decode → encode → decode gives the same events', async () => {
    for (const name of ['text', 'tools-parallel', 'reasoning', 'error-inband', 'truncated', 'unicode']) {
      const original = transcodeAll(createStreamDecoder(), await loadSseFixture(`openai-chat/${name}.sse`));
      const reencoded = encode(original, true);
      const again = transcodeAll(createStreamDecoder(), await parseSseBytes(new TextEncoder().encode(reencoded.join(''))));
      assert.deepEqual(comparable(again), comparable(original), name);
    }
  });
});

/** Errors are compared by what the client sees; usage events are merged (the encoder sends one total). */
function comparable(events: StreamEvent[]): unknown[] {
  const usage = Object.assign({}, ...events.flatMap((event) => (event.type === 'usage' ? [event.usage] : [])));
  const rest = events
    .filter((event) => event.type !== 'usage')
    .map((event) => (event.type === 'error' ? { type: 'error', message: event.error.message } : event.type === 'finish' ? { type: 'finish', reason: event.finish.reason } : event));
  return [rest, events.some((event) => event.type === 'error') ? {} : { ...usage, cacheWriteTokens: undefined }];
}
