import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accumulate } from '../../core/accumulate.ts';
import type { SseMessage } from '../../core/sse.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import { transcodeAll } from '../../core/transcoder.ts';
import { loadSseFixture } from '../../../test/fixtures/load-fixture.ts';
import type { Chunking } from '../../../test/support/chunking.ts';
import { createStreamDecoder } from './decode-stream.ts';

async function decodeFixture(name: string, chunking?: Chunking): Promise<StreamEvent[]> {
  return transcodeAll(createStreamDecoder(), await loadSseFixture(`anthropic-messages/${name}`, chunking));
}

/** Events with errors reduced to what a client would see of them, so they compare with deepEqual. */
function comparable(events: StreamEvent[]): unknown[] {
  return events.map((event) =>
    event.type === 'error'
      ? { type: 'error', kind: event.error.kind, message: event.error.message, upstreamType: event.error.upstreamType }
      : event,
  );
}

const sse = (data: unknown, event?: string): SseMessage => ({ event, data: JSON.stringify(data), id: undefined });
const messageStart = sse({
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], usage: { input_tokens: 5, output_tokens: 1 } },
});

describe('Anthropic stream decoder on recorded streams', () => {
  it('decodes a text stream into text deltas, usage with cache tokens folded into input, and the finish', async () => {
    const events = await decodeFixture('text.sse');
    assert.deepEqual(events[0], { type: 'message-start', id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-sonnet-4-5-20250929' });
    // CONVERSION #7: 21 uncached + 2048 read from the cache = 2069 input tokens.
    assert.deepEqual(events[1], { type: 'usage', usage: { inputTokens: 2069, cacheReadTokens: 2048, cacheWriteTokens: 0, outputTokens: 1 } });
    const response = accumulate(events);
    assert.deepEqual(response.content, [
      { type: 'text', text: "The capital of France is **Paris**. It has been the country's capital since 987 and sits on the Seine." },
    ]);
    assert.deepEqual(response.finish, { reason: 'stop', raw: 'end_turn' });
    assert.deepEqual(response.usage, { inputTokens: 2069, outputTokens: 27, cacheReadTokens: 2048, cacheWriteTokens: 0 });
    assert.equal(events.at(-1)?.type, 'finish');
  });

  it('numbers tool calls 0 and 1 although their content blocks are 1 and 2 (CONVERSION #1)', async () => {
    const events = await decodeFixture('tools-parallel.sse');
    const starts = events.filter((event) => event.type === 'tool-call-start');
    assert.deepEqual(starts, [
      { type: 'tool-call-start', index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' },
      { type: 'tool-call-start', index: 1, id: 'toolu_01CVdEGtBDPGkbT3DKtJkSrc', name: 'get_weather' },
    ]);
    const response = accumulate(events);
    assert.deepEqual(response.content, [
      { type: 'text', text: "I'll check the weather in both cities at once." },
      { type: 'tool-call', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: { location: 'Paris, France', unit: 'celsius' } },
      { type: 'tool-call', id: 'toolu_01CVdEGtBDPGkbT3DKtJkSrc', name: 'get_weather', input: { location: 'Tokyo, Japan', unit: 'celsius' } },
    ]);
    assert.deepEqual(response.finish, { reason: 'tool-calls', raw: 'tool_use' });
  });

  it('passes each input_json_delta on as it arrives, never buffered to the block end (CONVERSION #3)', async () => {
    const events = await decodeFixture('tools-parallel.sse');
    const deltas = events.filter((event) => event.type === 'tool-call-delta');
    // The fixture has 6 non-empty partial_json pieces for the first tool and 5 for the second; the empty ones carry nothing.
    assert.deepEqual(
      deltas.map((event) => [event.index, event.argumentsDelta]),
      [
        [0, '{"location":'],
        [0, ' "Par'],
        [0, 'is, Fr'],
        [0, 'ance"'],
        [0, ', "unit": "c'],
        [0, 'elsius"}'],
        [1, '{"locat'],
        [1, 'ion": "Tokyo'],
        [1, ', Japan"'],
        [1, ', "unit"'],
        [1, ': "celsius"}'],
      ],
    );
  });

  it('keeps thinking with its signature, then text, then the tool call, in order', async () => {
    const events = await decodeFixture('thinking-tools.sse');
    const signatureAt = events.findIndex((event) => event.type === 'reasoning-signature');
    const firstText = events.findIndex((event) => event.type === 'text-delta');
    assert.ok(signatureAt > 0 && signatureAt < firstText, 'the signature closes the thinking before any text');
    const response = accumulate(events);
    assert.equal(response.content.length, 3);
    const [reasoning, text, toolCall] = response.content;
    assert.equal(reasoning.type, 'reasoning');
    assert.equal(
      reasoning.type === 'reasoning' && reasoning.text,
      'The user wants to know whether it will rain in Oslo tomorrow. I should call get_forecast with the city and a one-day range.',
    );
    assert.ok(reasoning.type === 'reasoning' && reasoning.signature?.startsWith('EqQBCkgI'));
    assert.deepEqual(text, { type: 'text', text: "Let me look up tomorrow's forecast for Oslo." });
    assert.deepEqual(toolCall, { type: 'tool-call', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', name: 'get_forecast', input: { city: 'Oslo', days: 1 } });
    assert.deepEqual(response.usage, { inputTokens: 586 + 1410, outputTokens: 118, cacheReadTokens: 0, cacheWriteTokens: 1410 });
  });

  it('turns an in-band overloaded error into an overloaded error event and nothing after it', async () => {
    const events = await decodeFixture('error-inband.sse');
    const last = events.at(-1);
    assert.equal(last?.type, 'error');
    assert.ok(last?.type === 'error');
    assert.equal(last.error.kind, 'overloaded');
    assert.equal(last.error.status, 529);
    assert.equal(last.error.message, 'Overloaded');
    assert.equal(last.error.upstreamType, 'overloaded_error');
    assert.equal(events.filter((event) => event.type === 'finish').length, 0, 'an error is never a normal finish');
    assert.deepEqual(accumulate(events).content, [{ type: 'text', text: 'Here is a short poem about the sea:\n\nWaves' }]);
  });

  it('reports a stream cut off before message_stop as an error, keeping the text that did arrive', async () => {
    const events = await decodeFixture('truncated.sse');
    assert.deepEqual(comparable(events.slice(-1)), [
      { type: 'error', kind: 'bad_gateway', message: 'upstream stream ended before it finished', upstreamType: undefined },
    ]);
    const text = events.flatMap((event) => (event.type === 'text-delta' ? [event.text] : [])).join('');
    // The half-written last event is dropped by the SSE parser, as a client would drop it.
    assert.equal(text, 'Step 1: preheat the oven to 200 °C.\nStep 2:');
  });

  it('joins UTF-8 code points split across network reads (CONVERSION #13)', async () => {
    for (const chunking of [{ kind: 'bytes', size: 1 }, { kind: 'bytes', size: 5 }, { kind: 'random', seed: 7, maxSize: 9 }] as Chunking[]) {
      const events = await decodeFixture('unicode.sse', chunking);
      const text = events.flatMap((event) => (event.type === 'text-delta' ? [event.text] : [])).join('');
      assert.equal(text, '你好，世界！🌏 今日はいい天気ですね。 Привет, мир! 👋🏽👩‍💻🇫🇷 café — naïve ✓', JSON.stringify(chunking));
      assert.ok(!text.includes('\uFFFD'));
    }
  });

  it('decodes a web-search turn to just its text: server tool blocks, their deltas and citations are skipped', async () => {
    const events = await decodeFixture('server-tools.sse');
    assert.equal(events.filter((event) => event.type.startsWith('tool-call')).length, 0);
    const response = accumulate(events);
    assert.deepEqual(response.content, [{ type: 'text', text: "I'll search for the latest release.The current LTS line is Node.js 24." }]);
    assert.deepEqual(response.finish, { reason: 'stop', raw: 'end_turn' });
  });

  it('gives the same events however the bytes are cut', async () => {
    for (const name of ['text.sse', 'tools-parallel.sse', 'thinking-tools.sse', 'server-tools.sse', 'truncated.sse', 'error-inband.sse']) {
      const whole = comparable(await decodeFixture(name, { kind: 'whole' }));
      for (const chunking of [{ kind: 'bytes', size: 1 }, { kind: 'bytes', size: 13 }, { kind: 'random', seed: 42 }] as Chunking[]) {
        assert.deepEqual(comparable(await decodeFixture(name, chunking)), whole, `${name} cut as ${JSON.stringify(chunking)}`);
      }
    }
  });
});

describe('Anthropic stream decoder on hand-made edge cases', () => {
  const run = (messages: SseMessage[]) => comparable(transcodeAll(createStreamDecoder(), messages));

  it('reports malformed JSON as a bad_gateway error and reads nothing after it', () => {
    const events = run([messageStart, { event: 'content_block_delta', data: '{"type":"content_bl', id: undefined }, sse({ type: 'message_stop' })]);
    assert.equal(events.length, 3);
    assert.deepEqual((events[2] as { kind: string }).kind, 'bad_gateway');
  });

  it('ignores pings, unknown event types and everything after message_stop', () => {
    const events = run([
      messageStart,
      sse({ type: 'ping' }, 'ping'),
      sse({ type: 'some_future_event', detail: 1 }, 'some_future_event'),
      sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
      sse({ type: 'message_stop' }),
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'late' } }),
    ]);
    assert.deepEqual(events.slice(2), [
      { type: 'usage', usage: { outputTokens: 3 } },
      { type: 'finish', finish: { reason: 'stop', raw: 'end_turn' } },
    ]);
  });

  it('emits a filled content_block_start.input as one argument delta, and initial text as a text delta', () => {
    const events = run([
      messageStart,
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Hi' } }),
      sse({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } } }),
    ]);
    assert.deepEqual(events.slice(2, 5), [
      { type: 'text-delta', text: 'Hi' },
      { type: 'tool-call-start', index: 0, id: 'toolu_1', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":1}' },
    ]);
  });

  it('keeps stop_sequence, maps redacted thinking, and combines partial usage with what message_start said', () => {
    const events = run([
      sse({
        type: 'message_start',
        message: { id: 'msg_2', model: 'm', usage: { input_tokens: 10, cache_read_input_tokens: 90, cache_creation_input_tokens: 5, output_tokens: 1 } },
      }),
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'opaque' } }),
      sse({ type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: '###' }, usage: { output_tokens: 12, input_tokens: 11 } }),
      sse({ type: 'message_stop' }),
    ]);
    assert.deepEqual(events.slice(1), [
      { type: 'usage', usage: { inputTokens: 105, cacheReadTokens: 90, cacheWriteTokens: 5, outputTokens: 1 } },
      { type: 'redacted-reasoning', data: 'opaque' },
      { type: 'usage', usage: { inputTokens: 106, cacheReadTokens: 90, cacheWriteTokens: 5, outputTokens: 12 } },
      { type: 'finish', finish: { reason: 'stop-sequence', raw: 'stop_sequence', stopSequence: '###' } },
    ]);
  });

  it('maps every documented in-band error type to its kind, and an unknown one to api_error', () => {
    const cases: Array<[string, string]> = [
      ['overloaded_error', 'overloaded'],
      ['rate_limit_error', 'rate_limit'],
      ['api_error', 'api_error'],
      ['invalid_request_error', 'invalid_request'],
      ['authentication_error', 'authentication'],
      ['permission_error', 'permission'],
      ['not_found_error', 'not_found'],
      ['request_too_large', 'request_too_large'],
      ['billing_error', 'billing'],
      ['timeout_error', 'timeout'],
      ['brand_new_error', 'api_error'],
    ];
    for (const [type, kind] of cases) {
      const events = run([messageStart, sse({ type: 'error', error: { type, message: 'boom' } }, 'error'), sse({ type: 'message_stop' })]);
      assert.deepEqual(events.at(-1), { type: 'error', kind, message: 'boom', upstreamType: type }, type);
    }
  });

  it('starts the canonical stream even when an upstream skips message_start', () => {
    const events = run([sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })]);
    assert.deepEqual(events[0], { type: 'message-start', id: '', model: '' });
  });

  it('finishes with reason other when message_stop comes without a message_delta', () => {
    const events = run([messageStart, sse({ type: 'message_stop' })]);
    assert.deepEqual(events.at(-1), { type: 'finish', finish: { reason: 'other', raw: null } });
  });

  it('fails a stream that sends content after message_delta finished the message (found by the fuzz suite)', () => {
    const events = run([
      messageStart,
      sse({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } }),
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'late' } }),
    ]);
    assert.equal(events.some((event) => (event as { type: string }).type === 'text-delta'), false);
    const last = events.at(-1) as { type: string; kind?: string; message?: string };
    assert.equal(last.type, 'error');
    assert.equal(last.kind, 'bad_gateway');
    assert.match(last.message ?? '', /after message_delta/);
  });
});
