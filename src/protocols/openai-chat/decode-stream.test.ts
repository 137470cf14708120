import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accumulate } from '../../core/accumulate.ts';
import type { SseMessage } from '../../core/sse.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import { transcodeAll } from '../../core/transcoder.ts';
import { loadFixtureBytes, loadSseFixture, parseSseBytes } from '../../../test/fixtures/load-fixture.ts';
import { createStreamDecoder } from './decode-stream.ts';

const decodeAll = (messages: SseMessage[]): StreamEvent[] => transcodeAll(createStreamDecoder(), messages);
const data = (value: unknown): SseMessage => ({ data: typeof value === 'string' ? value : JSON.stringify(value) });
const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
  data({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finishReason }] });

function errorOf(events: StreamEvent[]) {
  const last = events.at(-1);
  assert.equal(last?.type, 'error', `expected the stream to end in an error, got ${JSON.stringify(events.map((event) => event.type))}`);
  return last.error;
}

describe('OpenAI stream decoder: recorded streams', () => {
  it('decodes a text stream into message-start, deltas, finish and usage (cached tokens inside prompt tokens)', async () => {
    const events = decodeAll(await loadSseFixture('openai-chat/text.sse'));
    assert.deepEqual(events[0], {
      type: 'message-start',
      id: 'chatcmpl-CJx7bQmT2vWfN8kRyA4pLzE1sHdUo',
      model: 'gpt-4.1-mini-2025-04-14',
      created: 1758556803,
    });
    assert.equal(events.filter((event) => event.type === 'message-start').length, 1);
    const response = accumulate(events);
    assert.deepEqual(response.content, [{ type: 'text', text: 'Hello! How can I help you today?' }]);
    assert.deepEqual(response.finish, { reason: 'stop', raw: 'stop' });
    // §8 #7: prompt_tokens already includes the 1280 cached tokens; neither added nor subtracted.
    assert.deepEqual(response.usage, { inputTokens: 1433, outputTokens: 10, cacheReadTokens: 1280, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.equal(response.usageReported, true);
    assert.equal(events.at(-1)?.type, 'usage');
  });

  it('gives parallel tool calls dense indices in order of appearance, names untouched (§8 #1, #15)', async () => {
    const events = decodeAll(await loadSseFixture('openai-chat/tools-parallel.sse'));
    const starts = events.filter((event) => event.type === 'tool-call-start');
    assert.deepEqual(starts, [
      { type: 'tool-call-start', index: 0, id: 'call_Xq3ZfV8mL2nR7tKd0PbW9sJe', name: 'get_weather' },
      { type: 'tool-call-start', index: 1, id: 'call_4hYtG1cNw6uE3oAiM8rBvK5p', name: 'GetLocalTime' },
    ]);
    // Every delta of a tool comes after its start.
    for (const [position, event] of events.entries()) {
      if (event.type !== 'tool-call-delta') continue;
      const startPosition = events.findIndex((candidate) => candidate.type === 'tool-call-start' && candidate.index === event.index);
      assert.ok(startPosition !== -1 && startPosition < position);
    }
    const response = accumulate(events);
    assert.deepEqual(
      response.content.map((part) => (part.type === 'tool-call' ? [part.name, part.input] : part.type)),
      [
        ['get_weather', { city: 'Paris, France', unit: 'celsius' }],
        ['GetLocalTime', { timezone: 'Asia/Tokyo' }],
      ],
    );
    assert.deepEqual(response.finish, { reason: 'tool-calls', raw: 'tool_calls' });
  });

  it('passes each argument fragment on as it arrives, never holding it back (§8 #2, #3)', async () => {
    const messages = await loadSseFixture('openai-chat/tools-parallel.sse');
    const decoder = createStreamDecoder();
    let fragmentsSeen = 0;
    for (const message of messages) {
      const emitted: StreamEvent[] = [];
      decoder.push(message, (event) => emitted.push(event));
      const upstreamFragments: string[] = [];
      if (message.data !== '[DONE]') {
        for (const choice of JSON.parse(message.data).choices) {
          for (const call of choice.delta.tool_calls ?? []) if (call.function?.arguments) upstreamFragments.push(call.function.arguments);
        }
      }
      const deltas = emitted.filter((event) => event.type === 'tool-call-delta').map((event) => event.argumentsDelta);
      assert.deepEqual(deltas, upstreamFragments, `push of ${message.data.slice(0, 60)}…`);
      fragmentsSeen += upstreamFragments.length;
    }
    assert.equal(fragmentsSeen, 19);
    const atEnd: StreamEvent[] = [];
    decoder.end((event) => atEnd.push(event));
    assert.deepEqual(atEnd, []);
  });

  it('puts DeepSeek reasoning_content ahead of the answer, skips keep-alives, reads usage from the finishing chunk', async () => {
    const events = decodeAll(await loadSseFixture('openai-chat/reasoning.sse'));
    const firstText = events.findIndex((event) => event.type === 'text-delta');
    const lastReasoning = events.findLastIndex((event) => event.type === 'reasoning-delta');
    assert.ok(lastReasoning < firstText);
    const response = accumulate(events);
    assert.deepEqual(response.content, [
      { type: 'reasoning', text: 'Okay, the user asks for 17 × 23. 17 × 20 = 340, 17 × 3 = 51; 340 + 51 = 391.' },
      { type: 'text', text: '17 × 23 = **391**.' },
    ]);
    assert.equal(response.usage.reasoningTokens, 83);
    assert.equal(response.usage.outputTokens, 97);
    assert.equal(response.finish.reason, 'stop');
  });

  it('turns an in-band error into an error event, never a finish, and reads nothing after it', async () => {
    const messages = await loadSseFixture('openai-chat/error-inband.sse');
    const events = decodeAll([...messages, chunk({ content: 'late' }), data('[DONE]')]);
    assert.equal(events.some((event) => event.type === 'finish'), false);
    const error = errorOf(events);
    assert.equal(error.kind, 'api_error');
    assert.equal(error.upstreamType, 'server_error');
    assert.equal(error.message, 'The server had an error while processing your request. Sorry about that!');
    assert.equal(textOf(events), 'The three largest moons of Jupiter are');
  });

  it('reports a stream cut off mid-event as an error, with what arrived before it kept', async () => {
    const events = decodeAll(await loadSseFixture('openai-chat/truncated.sse'));
    assert.equal(events.some((event) => event.type === 'finish'), false);
    const error = errorOf(events);
    assert.equal(error.kind, 'bad_gateway');
    assert.match(error.message, /ended before it finished/);
    assert.equal(error.upstreamType, undefined, 'raised by lessllm, not sent by the upstream');
    assert.equal(textOf(events), 'Once upon a time, in a quiet');
  });

  it('decodes identically however the bytes are cut, joining split UTF-8 code points (§8 #13)', async () => {
    const expected = '你好！我是你的助手 🤖。こんにちは、世界 🌏 — 안녕하세요 👋🏽 café ✨ 🇫🇷';
    const bytes = await loadFixtureBytes('openai-chat/unicode.sse');
    // Reads of 1, 2, 3 or 5 bytes cut through the 3-byte CJK and 4-byte emoji code points.
    assert.ok(bytes.length > new TextDecoder().decode(bytes).length, 'the fixture holds multi-byte code points');
    for (const chunking of [
      { kind: 'whole' as const },
      { kind: 'bytes' as const, size: 1 },
      { kind: 'bytes' as const, size: 2 },
      { kind: 'bytes' as const, size: 3 },
      { kind: 'bytes' as const, size: 5 },
      { kind: 'random' as const, seed: 13, maxSize: 9 },
    ]) {
      const response = accumulate(decodeAll(await parseSseBytes(bytes, chunking)));
      assert.deepEqual(response.content, [{ type: 'text', text: expected }], JSON.stringify(chunking));
      assert.equal(response.finish.reason, 'stop');
    }
  });

  it('decodes every recorded stream the same for every chunking', async () => {
    for (const name of ['text', 'tools-parallel', 'reasoning', 'error-inband', 'truncated']) {
      const bytes = await loadFixtureBytes(`openai-chat/${name}.sse`);
      const reference = withoutGeneratedIds(decodeAll(await parseSseBytes(bytes, { kind: 'events' })));
      for (const seed of [1, 2, 3]) {
        const events = withoutGeneratedIds(decodeAll(await parseSseBytes(bytes, { kind: 'random', seed, maxSize: 17 })));
        assert.deepEqual(events, reference, `${name}, seed ${seed}`);
      }
    }
  });
});

describe('OpenAI stream decoder: edge cases', () => {
  it('emits message-start once, from the first chunk', () => {
    const events = decodeAll([chunk({ role: 'assistant', content: '' }), chunk({ content: 'a' }), chunk({}, 'stop'), data('[DONE]')]);
    assert.deepEqual(
      events.map((event) => event.type),
      ['message-start', 'text-delta', 'finish'],
    );
  });

  it("starts the message at the first chunk with content, skipping Azure's prompt_filter_results preamble", () => {
    const events = decodeAll([
      data({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] }),
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'a' }),
      chunk({}, 'stop'),
    ]);
    assert.deepEqual(events[0], { type: 'message-start', id: 'chatcmpl-x', model: 'm', created: 1 });
  });

  it('reports tool-calls when tool calls came, whatever finish_reason said (§8 #8, reverse)', () => {
    const events = decodeAll([
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({}, 'stop'),
      data('[DONE]'),
    ]);
    assert.deepEqual(events.find((event) => event.type === 'finish'), { type: 'finish', finish: { reason: 'tool-calls', raw: 'stop' } });
  });

  it('emits start then delta when the first chunk of a call already carries all its arguments', () => {
    const events = decodeAll([
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(events.slice(1, 3), [
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'lookup' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":"x"}' },
    ]);
  });

  it('maps sparse upstream indices to dense ordinals, and a new id at a reused index to a new call', () => {
    const events = decodeAll([
      chunk({ tool_calls: [{ index: 3, id: 'call_a', function: { name: 'a', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 7, id: 'call_b', function: { name: 'b', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 3, function: { arguments: '{}' } }] }),
      // Some compatible servers number every call 0 and send each complete.
      chunk({ tool_calls: [{ index: 7, id: 'call_c', function: { name: 'c', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(
      events.filter((event) => event.type === 'tool-call-start' || event.type === 'tool-call-delta'),
      [
        { type: 'tool-call-start', index: 0, id: 'call_a', name: 'a' },
        { type: 'tool-call-start', index: 1, id: 'call_b', name: 'b' },
        { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
        { type: 'tool-call-start', index: 2, id: 'call_c', name: 'c' },
        { type: 'tool-call-delta', index: 2, argumentsDelta: '{}' },
      ],
    );
  });

  it('decodes the legacy function_call delta as a tool call', () => {
    const response = accumulate(
      decodeAll([chunk({ function_call: { name: 'get_time', arguments: '' } }), chunk({ function_call: { arguments: '{"tz":"UTC"}' } }), chunk({}, 'function_call')]),
    );
    assert.equal(response.content[0]?.type, 'tool-call');
    assert.deepEqual(response.content[0]?.type === 'tool-call' && [response.content[0].name, response.content[0].input], ['get_time', { tz: 'UTC' }]);
    assert.equal(response.finish.reason, 'tool-calls');
  });

  it('skips empty and null deltas and reads `reasoning` as well as `reasoning_content`', () => {
    const events = decodeAll([chunk({ content: '', reasoning: 'think' }), chunk({ content: null }), chunk({ refusal: "I can't" }), chunk({}, 'stop')]);
    assert.deepEqual(events.slice(1), [
      { type: 'reasoning-delta', text: 'think' },
      { type: 'text-delta', text: "I can't" },
      { type: 'finish', finish: { reason: 'stop', raw: 'stop' } },
    ]);
  });

  it('keeps an unknown finish_reason as other with the raw value', () => {
    const events = decodeAll([chunk({ content: 'x' }), chunk({}, 'eos')]);
    assert.deepEqual(events.at(-1), { type: 'finish', finish: { reason: 'other', raw: 'eos' } });
  });

  it('accepts a finish without [DONE], but not a stream without a finish', () => {
    assert.equal(decodeAll([chunk({ content: 'x' }), chunk({}, 'length')]).at(-1)?.type, 'finish');
    assert.equal(errorOf(decodeAll([chunk({ content: 'x' })])).kind, 'bad_gateway');
    assert.equal(errorOf(decodeAll([])).kind, 'bad_gateway');
  });

  it('ignores everything after [DONE]', () => {
    const events = decodeAll([chunk({ content: 'x' }), chunk({}, 'stop'), data('[DONE]'), chunk({ content: 'ghost' }), data('{broken')]);
    assert.deepEqual(events.map((event) => event.type), ['message-start', 'text-delta', 'finish']);
  });

  it('treats [DONE] without a finish_reason as the end of the reply', () => {
    const events = decodeAll([chunk({ content: 'x' }), data('[DONE]')]);
    assert.deepEqual(events.at(-1), { type: 'finish', finish: { reason: 'other', raw: null } });
  });

  it('reports malformed JSON as a bad_gateway error and stops there', () => {
    const events = decodeAll([chunk({ content: 'x' }), data('{"id":"chatcmpl-x","choices":[{"delta":{"content":"y"'), chunk({ content: 'z' }), chunk({}, 'stop')]);
    const error = errorOf(events);
    assert.equal(error.kind, 'bad_gateway');
    assert.match(error.message, /malformed JSON/);
    assert.equal(error.upstreamType, undefined);
    assert.deepEqual(events.map((event) => event.type), ['message-start', 'text-delta', 'error']);
  });

  it('reads the kind of an in-band error from its code and type', () => {
    const kindOf = (error: unknown) => errorOf(decodeAll([chunk({ content: 'x' }), data({ error })])).kind;
    assert.equal(kindOf({ message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' }), 'rate_limit');
    assert.equal(kindOf({ message: 'no money', type: 'insufficient_quota', code: 'insufficient_quota' }), 'billing');
    assert.equal(kindOf({ message: 'boom', type: 'server_error', code: null }), 'api_error');
    assert.equal(kindOf({ message: 'busy', code: 503 }), 'overloaded');
    assert.equal(kindOf({ message: 'who knows' }), 'api_error');
    const error = errorOf(decodeAll([data({ error: { message: 'untyped' } })]));
    assert.equal(error.upstreamType, 'error', 'an error the upstream sent is marked as such');
  });

  it('emits usage from the choices:[] chunk and ignores usage:null', () => {
    const events = decodeAll([
      chunk({ content: 'x' }),
      chunk({}, 'stop'),
      data({ id: 'chatcmpl-x', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
      data('[DONE]'),
    ]);
    assert.deepEqual(events.filter((event) => event.type === 'usage'), [{ type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } }]);
  });
});

function textOf(events: StreamEvent[]): string {
  return events.flatMap((event) => (event.type === 'text-delta' ? [event.text] : [])).join('');
}

/** Errors carry a stack and ids may be generated; compare what a client would see. */
function withoutGeneratedIds(events: StreamEvent[]): unknown[] {
  return events.map((event) => (event.type === 'error' ? { type: 'error', kind: event.error.kind, message: event.error.message } : event));
}
