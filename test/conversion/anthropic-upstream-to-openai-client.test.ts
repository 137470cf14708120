/**
 * Anthropic upstream stream → OpenAI client stream (CONVERSION.md §5), through the real Anthropic
 * decoder and OpenAI encoder, from recorded streams cut at many chunk sizes. Each `#n` is the bug of
 * that number in CONVERSION.md §8 that other converters shipped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicEvents, anthropicSse } from '../support/upstream-answers.ts';
import { loadFixtureBytes } from '../fixtures/load-fixture.ts';
import {
  chunkings,
  convertFixture,
  convertStepwise,
  convertText,
  describeChunking,
  fixtureFacts,
  parseClientSse,
  type ClientEvent,
} from './convert.ts';

const properlyEnding = ['text.sse', 'thinking-tools.sse', 'tools-parallel.sse', 'unicode.sse', 'server-tools.sse'].map(
  (file) => `anthropic-messages/${file}`,
);

const chunksOf = (clientEvents: ClientEvent[]) => clientEvents.filter((event) => event.data !== '[DONE]').map((event) => event.json);
const deltasOf = (clientEvents: ClientEvent[]) => chunksOf(clientEvents).flatMap((chunk) => (chunk.choices ?? []).map((choice: any) => choice.delta ?? {}));
const finishReasonsOf = (clientEvents: ClientEvent[]) =>
  chunksOf(clientEvents).flatMap((chunk) => (chunk.choices ?? []).map((choice: any) => choice.finish_reason).filter((reason: unknown) => reason != null));

/** Tool calls as an OpenAI client assembles them: by `index`, arguments concatenated. */
function assembleToolCalls(clientEvents: ClientEvent[]): Map<number, { id: string; name: string; argumentDeltas: string[] }> {
  const calls = new Map<number, { id: string; name: string; argumentDeltas: string[] }>();
  for (const delta of deltasOf(clientEvents)) {
    for (const call of delta.tool_calls ?? []) {
      const seen = calls.get(call.index) ?? { id: '', name: '', argumentDeltas: [] };
      seen.id ||= call.id ?? '';
      seen.name ||= call.function?.name ?? '';
      if (call.function?.arguments) seen.argumentDeltas.push(call.function.arguments);
      calls.set(call.index, seen);
    }
  }
  return calls;
}

describe('Anthropic upstream → OpenAI client stream', () => {
  for (const fixture of properlyEnding) {
    it(`${fixture}: well-formed chunks, the exact text, [DONE] last, at every chunking`, async () => {
      const facts = await fixtureFacts(fixture);
      for (const chunking of chunkings) {
        const where = `${fixture} ${describeChunking(chunking)}`;
        const { clientEvents } = await convertFixture(fixture, chunking);
        assert.ok(clientEvents.every((event) => event.event === undefined), `${where}: OpenAI streams have only data: lines`);
        assert.equal(clientEvents.at(-1)?.data, '[DONE]', `${where}: [DONE] last`);
        const chunks = chunksOf(clientEvents);
        assert.ok(chunks.every((chunk) => chunk.object === 'chat.completion.chunk'), where);
        assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1, `${where}: one id`);
        assert.equal(new Set(chunks.map((chunk) => chunk.created)).size, 1, `${where}: one created`);
        assert.ok(chunks.every((chunk) => typeof chunk.model === 'string' && chunk.model !== ''), where);
        assert.equal(deltasOf(clientEvents)[0]?.role, 'assistant', `${where}: the first delta names the role`);
        const content = deltasOf(clientEvents).map((delta) => delta.content ?? '').join('');
        assert.equal(content, facts.text, `${where}: text`);
        assert.equal(finishReasonsOf(clientEvents).length, 1, `${where}: exactly one finish_reason`);
      }
    });
  }

  it('#1 tool-call index counts tool calls from 0, not content blocks', async () => {
    for (const chunking of chunkings) {
      // tools-parallel: a text block, then tool_use at blocks 1 and 2; thinking-tools: tool_use at block 2.
      const parallel = await convertFixture('anthropic-messages/tools-parallel.sse', chunking);
      assert.deepEqual([...assembleToolCalls(parallel.clientEvents).keys()], [0, 1], describeChunking(chunking));
      const afterThinking = await convertFixture('anthropic-messages/thinking-tools.sse', chunking);
      assert.deepEqual([...assembleToolCalls(afterThinking.clientEvents).keys()], [0], describeChunking(chunking));
    }
  });

  it('#2 tool arguments arrive complete: the concatenated deltas are the upstream JSON', async () => {
    for (const fixture of ['anthropic-messages/tools-parallel.sse', 'anthropic-messages/thinking-tools.sse']) {
      const facts = await fixtureFacts(fixture);
      for (const chunking of chunkings) {
        const calls = [...assembleToolCalls((await convertFixture(fixture, chunking)).clientEvents).values()];
        assert.deepEqual(
          calls.map((call) => ({ id: call.id, name: call.name, arguments: JSON.parse(call.argumentDeltas.join('')) })),
          facts.toolCalls.map((call) => ({ id: call.id, name: call.name, arguments: JSON.parse(call.arguments) })),
          `${fixture} ${describeChunking(chunking)}`,
        );
      }
    }
  });

  it('#3 each input_json_delta is forwarded when it arrives, not buffered to the block end', async () => {
    const steps = await convertStepwise('anthropic-messages/tools-parallel.sse');
    const argumentSteps = steps.filter(({ input }) => input.event === 'content_block_delta' && input.data.includes('"input_json_delta"'));
    let forwarded = 0;
    for (const { input, output } of argumentSteps) {
      const piece = JSON.parse(input.data).delta.partial_json as string;
      if (piece === '') continue;
      const sent = deltasOf(parseClientSse(output)).flatMap((delta) => (delta.tool_calls ?? []).map((call: any) => call.function?.arguments ?? ''));
      assert.deepEqual(sent, [piece], `the piece ${JSON.stringify(piece)} was not sent on arrival`);
      forwarded += 1;
    }
    assert.ok(forwarded >= 10);
  });

  it('#6 #7 the final usage chunk folds cache reads and writes into prompt_tokens, when the client asked', async () => {
    const cases = [
      // input 21 + cache read 2048: cached tokens are part of prompt_tokens.
      { fixture: 'anthropic-messages/text.sse', prompt: 21 + 2048, completion: 27, cached: 2048 },
      // input 586 + cache write 1410.
      { fixture: 'anthropic-messages/thinking-tools.sse', prompt: 586 + 1410, completion: 118, cached: 0 },
    ];
    for (const { fixture, prompt, completion, cached } of cases) {
      for (const chunking of chunkings) {
        const where = `${fixture} ${describeChunking(chunking)}`;
        const asked = chunksOf((await convertFixture(fixture, chunking, { includeUsage: true })).clientEvents);
        const usageChunk = asked.at(-1);
        assert.deepEqual(usageChunk.choices, [], `${where}: the usage chunk has no choices`);
        assert.equal(usageChunk.usage.prompt_tokens, prompt, where);
        assert.equal(usageChunk.usage.completion_tokens, completion, where);
        assert.equal(usageChunk.usage.total_tokens, prompt + completion, where);
        assert.equal(usageChunk.usage.prompt_tokens_details?.cached_tokens ?? 0, cached, where);
        const notAsked = chunksOf((await convertFixture(fixture, chunking, { includeUsage: false })).clientEvents);
        assert.ok(!notAsked.some((chunk) => chunk.usage), `${where}: usage sent to a client that did not ask`);
      }
    }
  });

  const stopReasons = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    ['model_context_window_exceeded', 'length'],
  ] as const;
  it('#8 stop_reason maps to an OpenAI finish_reason, never verbatim', async () => {
    for (const [stopReason, finishReason] of stopReasons) {
      const sse = anthropicSse(anthropicEvents({ model: 'claude-test', text: ['Hi'], finishReason: stopReason }));
      const { clientEvents } = await convertText(sse, { kind: 'events' }, { from: 'anthropic-messages', to: 'openai-chat' });
      assert.deepEqual(finishReasonsOf(clientEvents), [finishReason], stopReason);
    }
  });

  it('#13 split UTF-8 code points and CRLF line ends come out whole', async () => {
    const facts = await fixtureFacts('anthropic-messages/unicode.sse');
    const crlf = new TextDecoder().decode(await loadFixtureBytes('anthropic-messages/unicode.sse')).split('\n').join('\r\n');
    for (const chunking of chunkings) {
      for (const { clientEvents } of [
        await convertFixture('anthropic-messages/unicode.sse', chunking),
        await convertText(crlf, chunking, { from: 'anthropic-messages', to: 'openai-chat' }),
      ]) {
        const content = deltasOf(clientEvents).map((delta) => delta.content ?? '').join('');
        assert.ok(!content.includes('\uFFFD'), `${describeChunking(chunking)}: U+FFFD in ${content}`);
        assert.equal(content, facts.text, describeChunking(chunking));
      }
    }
  });

  it('#14 an in-band overload becomes an OpenAI error chunk, never a normal finish', async () => {
    for (const chunking of chunkings) {
      const { clientEvents } = await convertFixture('anthropic-messages/error-inband.sse', chunking);
      const chunks = chunksOf(clientEvents);
      const errorPosition = chunks.findIndex((chunk) => chunk.error);
      assert.ok(errorPosition > 0, `${describeChunking(chunking)}: no error chunk`);
      assert.match(chunks[errorPosition].error.message, /Overloaded/);
      assert.equal(errorPosition, chunks.length - 1, 'nothing follows the error but [DONE]');
      assert.deepEqual(finishReasonsOf(clientEvents), [], 'no finish_reason after an error');
    }
  });

  it('a stream cut off mid-event ends in an error chunk, not a finish', async () => {
    for (const chunking of chunkings) {
      const chunks = chunksOf((await convertFixture('anthropic-messages/truncated.sse', chunking)).clientEvents);
      assert.ok(chunks.at(-1)?.error, `${describeChunking(chunking)}: the last chunk is not an error`);
      assert.deepEqual(finishReasonsOf((await convertFixture('anthropic-messages/truncated.sse', chunking)).clientEvents), []);
    }
  });

  it("server tools (server_tool_use, web_search_tool_result, citations) are Anthropic's own, not client tool calls", async () => {
    const facts = await fixtureFacts('anthropic-messages/server-tools.sse');
    const { clientEvents } = await convertFixture('anthropic-messages/server-tools.sse', { kind: 'events' });
    assert.equal(assembleToolCalls(clientEvents).size, 0);
    assert.deepEqual(finishReasonsOf(clientEvents), ['stop']);
    assert.equal(deltasOf(clientEvents).map((delta) => delta.content ?? '').join(''), facts.text);
  });

  it('reasoning never reaches content; when sent, it is reasoning_content', async () => {
    const facts = await fixtureFacts('anthropic-messages/thinking-tools.sse');
    const deltas = deltasOf((await convertFixture('anthropic-messages/thinking-tools.sse', { kind: 'events' })).clientEvents);
    assert.equal(deltas.map((delta) => delta.content ?? '').join(''), facts.text);
    const reasoning = deltas.map((delta) => delta.reasoning_content ?? '').join('');
    if (reasoning !== '') assert.equal(reasoning, facts.reasoning);
  });
});
