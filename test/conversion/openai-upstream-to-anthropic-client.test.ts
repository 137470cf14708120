/**
 * OpenAI upstream stream → Anthropic client stream (CONVERSION.md §6), through the real OpenAI decoder
 * and Anthropic encoder, from recorded streams cut at many chunk sizes. Each `#n` is the bug of that
 * number in CONVERSION.md §8.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFixtureBytes } from '../fixtures/load-fixture.ts';
import { assertWellFormedAnthropicStream } from '../support/stream-checks.ts';
import { openAiChunks, openAiSse } from '../support/upstream-answers.ts';
import { chunkings, convertFixture, convertStepwise, convertText, describeChunking, fixtureFacts, parseClientSse, type ClientEvent } from './convert.ts';

const properlyEnding = ['text.sse', 'reasoning.sse', 'tools-parallel.sse', 'unicode.sse'].map((file) => `openai-chat/${file}`);
const toAnthropic = { from: 'openai-chat', to: 'anthropic-messages' } as const;

const payloads = (clientEvents: ClientEvent[]) => clientEvents.map((event) => event.json);
const textOf = (clientEvents: ClientEvent[], deltaType = 'text_delta', field = 'text') =>
  payloads(clientEvents)
    .map((event) => (event?.type === 'content_block_delta' && event.delta.type === deltaType ? event.delta[field] : ''))
    .join('');
const messageDeltaOf = (clientEvents: ClientEvent[]) => payloads(clientEvents).find((event) => event?.type === 'message_delta');

/** Blocks as the client assembles them: type, start payload, and the deltas' concatenated text. */
function blocksOf(clientEvents: ClientEvent[]): Array<{ type: string; start: any; text: string; pieces: string[] }> {
  const blocks: Array<{ type: string; start: any; text: string; pieces: string[] }> = [];
  for (const event of payloads(clientEvents)) {
    if (event?.type === 'content_block_start') blocks[event.index] = { type: event.content_block.type, start: event.content_block, text: '', pieces: [] };
    if (event?.type === 'content_block_delta') {
      const piece = event.delta.text ?? event.delta.thinking ?? event.delta.partial_json ?? '';
      blocks[event.index].text += piece;
      blocks[event.index].pieces.push(piece);
    }
  }
  return blocks;
}

function chunk(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return { id: 'chatcmpl-synthetic', object: 'chat.completion.chunk', created: 1, model: 'gpt-test', choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

describe('OpenAI upstream → Anthropic client stream', () => {
  for (const fixture of properlyEnding) {
    it(`${fixture}: well-formed events, event name = data.type, the exact text, at every chunking`, async () => {
      const facts = await fixtureFacts(fixture);
      for (const chunking of chunkings) {
        const where = `${fixture} ${describeChunking(chunking)}`;
        const { clientEvents } = await convertFixture(fixture, chunking);
        assertWellFormedAnthropicStream(payloads(clientEvents));
        for (const event of clientEvents) assert.equal(event.event, event.json?.type, `${where}: event name differs from data.type`);
        const start = clientEvents[0].json.message;
        assert.deepEqual(start.content, [], `${where}: message_start content must be [] (#6)`);
        assert.equal(start.role, 'assistant');
        assert.equal(typeof start.usage?.input_tokens, 'number', `${where}: message_start has usage`);
        assert.equal(textOf(clientEvents), facts.text, where);
      }
    });
  }

  it('#2 tool arguments arrive as input_json_delta, never inside content_block_start', async () => {
    const facts = await fixtureFacts('openai-chat/tools-parallel.sse');
    for (const chunking of chunkings) {
      const blocks = blocksOf((await convertFixture('openai-chat/tools-parallel.sse', chunking)).clientEvents).filter((block) => block.type === 'tool_use');
      assert.deepEqual(
        blocks.map((block) => ({ id: block.start.id, name: block.start.name, input: block.start.input, arguments: JSON.parse(block.text) })),
        facts.toolCalls.map((call) => ({ id: call.id, name: call.name, input: {}, arguments: JSON.parse(call.arguments) })),
        describeChunking(chunking),
      );
    }
  });

  it('#3 each arguments piece is forwarded when it arrives', async () => {
    const steps = await convertStepwise('openai-chat/tools-parallel.sse');
    let forwarded = 0;
    for (const { input, output } of steps) {
      if (input.data === '[DONE]') continue;
      const pieces = (JSON.parse(input.data).choices?.[0]?.delta?.tool_calls ?? []).map((call: any) => call.function?.arguments ?? '').filter((piece: string) => piece !== '');
      if (pieces.length === 0) continue;
      const sent = payloads(parseClientSse(output))
        .filter((event) => event?.type === 'content_block_delta' && event.delta.type === 'input_json_delta')
        .map((event) => event.delta.partial_json);
      assert.deepEqual(sent, pieces, `the piece ${JSON.stringify(pieces)} was not sent on arrival`);
      forwarded += 1;
    }
    assert.ok(forwarded >= 10);
  });

  it('#4 reasoning_content opens a thinking block first; thinking deltas stay inside it', async () => {
    const facts = await fixtureFacts('openai-chat/reasoning.sse');
    for (const chunking of chunkings) {
      const { clientEvents } = await convertFixture('openai-chat/reasoning.sse', chunking);
      const blocks = blocksOf(clientEvents);
      assert.deepEqual(blocks.map((block) => block.type), ['thinking', 'text'], describeChunking(chunking));
      assert.equal(blocks[0].text, facts.reasoning);
      assert.equal(blocks[1].text, facts.text);
      assert.equal(payloads(clientEvents).filter((event) => event?.type === 'message_start').length, 1);
    }
  });

  it('#5 no delta is lost at block transitions, including one in the very first chunk', async () => {
    const sse = openAiSse([
      chunk({ role: 'assistant', content: 'A' }),
      chunk({ reasoning_content: 'R1' }),
      chunk({ reasoning_content: 'R2' }),
      chunk({ content: 'B' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_one', type: 'function', function: { name: 'first', arguments: '{"x":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_two', type: 'function', function: { name: 'second', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    for (const chunking of chunkings) {
      const { clientEvents } = await convertText(sse, chunking, toAnthropic);
      assertWellFormedAnthropicStream(payloads(clientEvents));
      assert.deepEqual(
        blocksOf(clientEvents).map((block) => [block.type, block.text]),
        [
          ['text', 'A'],
          ['thinking', 'R1R2'],
          ['text', 'B'],
          ['tool_use', '{"x":1}'],
          ['tool_use', '{}'],
        ],
        describeChunking(chunking),
      );
      assert.equal(messageDeltaOf(clientEvents).delta.stop_reason, 'tool_use');
    }
  });

  it('#6 #7 usage reaches message_delta: input without the cached part, cache reads apart', async () => {
    // text.sse: prompt_tokens 1433 of which cached 1280, completion 10.
    for (const chunking of chunkings) {
      const usage = messageDeltaOf((await convertFixture('openai-chat/text.sse', chunking)).clientEvents).usage;
      assert.equal(usage.input_tokens, 1433 - 1280, describeChunking(chunking));
      assert.equal(usage.cache_read_input_tokens, 1280);
      assert.equal(usage.output_tokens, 10);
    }
    const reasoningUsage = messageDeltaOf((await convertFixture('openai-chat/reasoning.sse', { kind: 'events' })).clientEvents).usage;
    assert.deepEqual([reasoningUsage.input_tokens, reasoningUsage.output_tokens], [15, 97], 'reasoning tokens are inside output tokens');
  });

  const finishReasons = [
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    ['function_call', 'tool_use'],
    ['content_filter', 'refusal'],
  ] as const;
  it('#8 finish_reason maps to an Anthropic stop_reason; any tool call means tool_use', async () => {
    for (const [finishReason, stopReason] of finishReasons) {
      const sse = openAiSse(openAiChunks({ model: 'gpt-test', text: ['Hi'], finishReason }, true));
      const { clientEvents } = await convertText(sse, { kind: 'events' }, toAnthropic);
      assert.equal(messageDeltaOf(clientEvents).delta.stop_reason, stopReason, finishReason);
    }
    const toolsButStop = openAiSse(openAiChunks({ model: 'gpt-test', toolCalls: [{ id: 'call_1', name: 'f', argumentPieces: ['{}'] }], finishReason: 'stop' }, true));
    const { clientEvents } = await convertText(toolsButStop, { kind: 'events' }, toAnthropic);
    assert.equal(messageDeltaOf(clientEvents).delta.stop_reason, 'tool_use');
  });

  it('#10 empty or null content never opens an empty text block', async () => {
    for (const fixture of ['openai-chat/text.sse', 'openai-chat/tools-parallel.sse', 'openai-chat/reasoning.sse']) {
      const blocks = blocksOf((await convertFixture(fixture, { kind: 'events' })).clientEvents);
      for (const block of blocks.filter((candidate) => candidate.type === 'text')) {
        assert.ok(block.pieces.length > 0 && block.pieces.every((piece) => piece !== ''), `${fixture}: an empty text delta or block`);
      }
    }
    const toolsFirst = blocksOf((await convertFixture('openai-chat/tools-parallel.sse', { kind: 'events' })).clientEvents);
    assert.equal(toolsFirst[0].type, 'tool_use', 'content: null before the tool calls opens no text block');
  });

  it('#13 split UTF-8 code points and CRLF line ends come out whole', async () => {
    const facts = await fixtureFacts('openai-chat/unicode.sse');
    const crlf = new TextDecoder().decode(await loadFixtureBytes('openai-chat/unicode.sse')).split('\n').join('\r\n');
    for (const chunking of chunkings) {
      for (const { clientEvents } of [await convertFixture('openai-chat/unicode.sse', chunking), await convertText(crlf, chunking, toAnthropic)]) {
        const text = textOf(clientEvents);
        assert.ok(!text.includes('\uFFFD'), `${describeChunking(chunking)}: U+FFFD in ${text}`);
        assert.equal(text, facts.text, describeChunking(chunking));
      }
    }
  });

  it('#14 an in-band upstream error becomes an Anthropic error event, never a normal finish', async () => {
    for (const fixture of ['openai-chat/error-inband.sse', 'openai-chat/truncated.sse']) {
      for (const chunking of chunkings) {
        const where = `${fixture} ${describeChunking(chunking)}`;
        const { clientEvents } = await convertFixture(fixture, chunking);
        const last = clientEvents.at(-1);
        assert.equal(last?.event, 'error', `${where}: the stream does not end in an error event`);
        assert.equal(last?.json.type, 'error');
        assert.equal(typeof last?.json.error?.type, 'string');
        assert.equal(typeof last?.json.error?.message, 'string');
        const types = payloads(clientEvents).map((event) => event?.type);
        assert.ok(!types.includes('message_delta') && !types.includes('message_stop'), `${where}: a normal finish was sent`);
        assert.ok(textOf(clientEvents).length > 0, `${where}: the text before the error was dropped`);
      }
    }
    const { clientEvents } = await convertFixture('openai-chat/error-inband.sse', { kind: 'events' });
    assert.match(clientEvents.at(-1)?.json.error.message, /server had an error/);
  });

  it('#15 tool names pass unchanged; odd tool-call ids become valid Anthropic ids', async () => {
    const sse = openAiSse([
      chunk({ role: 'assistant', content: null }),
      chunk({ tool_calls: [{ index: 0, id: 'functions.Get-Weather_Now:0', type: 'function', function: { name: 'Get-Weather_Now', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    const [block] = blocksOf((await convertText(sse, { kind: 'events' }, toAnthropic)).clientEvents);
    assert.equal(block.start.name, 'Get-Weather_Now');
    assert.match(block.start.id, /^[a-zA-Z0-9_-]+$/);
  });
});
