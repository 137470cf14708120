/**
 * The real `@anthropic-ai/sdk` client against the gateway, on both routes an Anthropic client can take:
 * to an Anthropic upstream (passthrough) and to an OpenAI upstream (converted). The upstream answers the
 * same script in its own protocol; the client must get the same result either way.
 */
import type Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicClient } from '../support/clients.ts';
import { useEndToEnd } from '../support/e2e-setup.ts';
import { routesForAnthropicClient } from '../support/routes.ts';
import { assertWellFormedAnthropicStream } from '../support/stream-checks.ts';
import { answerWith, awkwardDeliveries, multiByteText } from '../support/test-upstream.ts';
import type { AnswerScript } from '../support/upstream-answers.ts';

const question: Anthropic.MessageParam[] = [{ role: 'user', content: 'Say hello' }];

const weatherTools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Current weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  { name: 'get_time', input_schema: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] } },
];

const parallelCalls = (model: string): AnswerScript => ({
  model,
  toolCalls: [
    { id: 'toolu_weather01', name: 'get_weather', argumentPieces: ['{"city"', ': "Par', 'is"}'] },
    { id: 'toolu_time02', name: 'get_time', argumentPieces: ['{"timezone":', ' "Europe/', 'Paris"}'] },
  ],
  usage: { input: 50, output: 30 },
});

const expectedToolUses = [
  { type: 'tool_use', id: 'toolu_weather01', name: 'get_weather', input: { city: 'Paris' } },
  { type: 'tool_use', id: 'toolu_time02', name: 'get_time', input: { timezone: 'Europe/Paris' } },
];

const toolUsesOf = (content: Anthropic.ContentBlock[]) =>
  content.filter((block) => block.type === 'tool_use').map(({ type, id, name, input }) => ({ type, id, name, input }));

describe('Anthropic SDK through the gateway', () => {
  const setup = useEndToEnd();

  for (const route of routesForAnthropicClient) {
    describe(route.label, () => {
      it('streams text with messages.stream(), each upstream piece as its own text event', async () => {
        const text = ['Hel', 'lo', ', wörld', ' 🌍'];
        setup.upstream.enqueue(answerWith({ model: route.model, text, usage: { input: 21, output: 4 } }));
        const stream = anthropicClient(setup.gateway).messages.stream({ model: route.model, max_tokens: 100, messages: question });
        const deltas: string[] = [];
        stream.on('text', (delta) => deltas.push(delta));
        const message = await stream.finalMessage();
        assert.deepEqual(deltas, text);
        assert.deepEqual(message.content.map((block) => block.type), ['text']);
        assert.equal(message.content[0].type === 'text' && message.content[0].text, text.join(''));
        assert.equal(message.stop_reason, 'end_turn');
        assert.equal(message.usage.input_tokens, 21);
        assert.equal(message.usage.output_tokens, 4);
      });

      it('streams well-formed events with messages.create({stream: true})', async () => {
        setup.upstream.enqueue(answerWith({ model: route.model, text: ['One', ' two', ' three'], usage: { input: 8, output: 3 } }));
        const stream = await anthropicClient(setup.gateway).messages.create({
          model: route.model,
          max_tokens: 100,
          messages: question,
          stream: true,
        });
        const events: Anthropic.RawMessageStreamEvent[] = [];
        for await (const event of stream) events.push(event);
        assertWellFormedAnthropicStream(events);
        const start = events[0] as Anthropic.RawMessageStartEvent;
        assert.equal(start.message.role, 'assistant');
        assert.deepEqual(start.message.content, []);
        assert.equal(typeof start.message.usage.input_tokens, 'number');
        const text = events.map((event) => (event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? event.delta.text : '')).join('');
        assert.equal(text, 'One two three');
        const messageDelta = events.find((event) => event.type === 'message_delta') as Anthropic.RawMessageDeltaEvent;
        assert.equal(messageDelta.delta.stop_reason, 'end_turn');
        assert.equal(messageDelta.usage.output_tokens, 3);
      });

      it('answers a non-streaming request', async () => {
        setup.upstream.enqueue(answerWith({ model: route.model, text: ['Plain ', 'answer'], usage: { input: 9, output: 2 } }));
        const message = await anthropicClient(setup.gateway).messages.create({ model: route.model, max_tokens: 100, messages: question });
        assert.equal(message.type, 'message');
        assert.equal(message.role, 'assistant');
        assert.equal(typeof message.id, 'string');
        assert.deepEqual(message.content.map((block) => (block.type === 'text' ? block.text : block.type)), ['Plain answer']);
        assert.equal(message.stop_reason, 'end_turn');
        assert.equal(message.usage.input_tokens, 9);
        assert.equal(message.usage.output_tokens, 2);
      });

      it('streams parallel tool calls, arguments as input_json_delta pieces', async () => {
        setup.upstream.enqueue(answerWith(parallelCalls(route.model)));
        const stream = await anthropicClient(setup.gateway).messages.create({
          model: route.model,
          max_tokens: 200,
          messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
          tools: weatherTools,
          stream: true,
        });
        const events: Anthropic.RawMessageStreamEvent[] = [];
        for await (const event of stream) events.push(event);
        assertWellFormedAnthropicStream(events);
        const starts = events.filter((event) => event.type === 'content_block_start');
        assert.deepEqual(
          starts.map((event) => event.content_block),
          [
            { type: 'tool_use', id: 'toolu_weather01', name: 'get_weather', input: {} },
            { type: 'tool_use', id: 'toolu_time02', name: 'get_time', input: {} },
          ],
        );
        for (const start of starts) {
          const pieces = events
            .filter((event) => event.type === 'content_block_delta' && event.index === start.index)
            .map((event) => (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta' ? event.delta.partial_json : ''));
          assert.ok(pieces.length >= 2, `block ${start.index}: arguments are streamed, not buffered`);
          assert.deepEqual(JSON.parse(pieces.join('')), expectedToolUses[start.index].input);
        }
        const messageDelta = events.find((event) => event.type === 'message_delta') as Anthropic.RawMessageDeltaEvent;
        assert.equal(messageDelta.delta.stop_reason, 'tool_use');
      });

      it('assembles parallel tool calls in the message stream helper', async () => {
        setup.upstream.enqueue(answerWith(parallelCalls(route.model)));
        const stream = anthropicClient(setup.gateway).messages.stream({ model: route.model, max_tokens: 200, messages: question, tools: weatherTools });
        let inputJsonEvents = 0;
        stream.on('inputJson', () => (inputJsonEvents += 1));
        const message = await stream.finalMessage();
        assert.deepEqual(toolUsesOf(message.content), expectedToolUses);
        assert.ok(inputJsonEvents >= 4);
        assert.equal(message.stop_reason, 'tool_use');
      });

      it('returns parallel tool calls without streaming', async () => {
        setup.upstream.enqueue(answerWith(parallelCalls(route.model)));
        const message = await anthropicClient(setup.gateway).messages.create({ model: route.model, max_tokens: 200, messages: question, tools: weatherTools });
        assert.deepEqual(toolUsesOf(message.content), expectedToolUses);
        assert.ok(
          message.content.every((block) => block.type !== 'text' || block.text !== ''),
          'no empty text block next to the tool calls',
        );
        assert.equal(message.stop_reason, 'tool_use');
      });

      it('streams reasoning as a thinking block before the text', async () => {
        const script: AnswerScript = { model: route.model, reasoning: ['Two plus', ' two is four.'], text: ['The answer', ' is 4.'] };
        setup.upstream.enqueue(answerWith(script), answerWith(script));
        const client = anthropicClient(setup.gateway);
        const stream = client.messages.stream({
          model: route.model,
          max_tokens: 2000,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: question,
        });
        const thinkingDeltas: string[] = [];
        stream.on('thinking', (delta) => thinkingDeltas.push(delta));
        const message = await stream.finalMessage();
        assert.deepEqual(message.content.map((block) => block.type), ['thinking', 'text']);
        assert.equal(message.content[0].type === 'thinking' && message.content[0].thinking, 'Two plus two is four.');
        assert.equal(message.content[1].type === 'text' && message.content[1].text, 'The answer is 4.');
        assert.deepEqual(thinkingDeltas, ['Two plus', ' two is four.']);
        if (route.conversion === 'passthrough') assert.equal(message.content[0].type === 'thinking' && message.content[0].signature, 'sig-test');

        const plain = await client.messages.create({ model: route.model, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: question });
        assert.deepEqual(plain.content.map((block) => block.type), ['thinking', 'text']);
        assert.equal(plain.content[1].type === 'text' && plain.content[1].text, 'The answer is 4.');
      });

      const finishCases = [
        { openai: 'stop', anthropic: 'end_turn', expected: 'end_turn' },
        { openai: 'length', anthropic: 'max_tokens', expected: 'max_tokens' },
        { openai: 'content_filter', anthropic: 'refusal', expected: 'refusal' },
      ];
      for (const finish of finishCases) {
        const upstreamReason = route.upstream === 'openai' ? finish.openai : finish.anthropic;
        it(`reports stop_reason ${finish.expected} for an upstream ${upstreamReason}`, async () => {
          const script = { model: route.model, text: ['Cut'], finishReason: upstreamReason };
          setup.upstream.enqueue(answerWith(script), answerWith(script));
          const client = anthropicClient(setup.gateway);
          const streamed = await client.messages.stream({ model: route.model, max_tokens: 100, messages: question }).finalMessage();
          assert.equal(streamed.stop_reason, finish.expected);
          const plain = await client.messages.create({ model: route.model, max_tokens: 100, messages: question });
          assert.equal(plain.stop_reason, finish.expected);
        });
      }

      it('reports cache reads separately from input_tokens, streaming and not', async () => {
        const usage = { input: 10, output: 4, cacheRead: 30, cacheWrite: 5 };
        // An OpenAI upstream has no cache-write count: its 40 prompt tokens are 10 fresh + 30 cached.
        const expectedCacheWrite = route.upstream === 'anthropic' ? 5 : 0;
        const script = { model: route.model, text: ['Cached'], usage };
        setup.upstream.enqueue(answerWith(script), answerWith(script));
        const client = anthropicClient(setup.gateway);
        const streamed = await client.messages.stream({ model: route.model, max_tokens: 100, messages: question }).finalMessage();
        const plain = await client.messages.create({ model: route.model, max_tokens: 100, messages: question });
        for (const message of [streamed, plain]) {
          assert.equal(message.usage.input_tokens, 10);
          assert.equal(message.usage.cache_read_input_tokens, 30);
          assert.equal(message.usage.cache_creation_input_tokens ?? 0, expectedCacheWrite);
          assert.equal(message.usage.output_tokens, 4);
        }
      });

      for (const { label, delivery } of awkwardDeliveries) {
        it(`keeps multi-byte characters whole when the upstream stream arrives in ${label}`, async () => {
          setup.upstream.enqueue(answerWith({ model: route.model, text: multiByteText }, { ...delivery, delayMs: 1 }));
          const message = await anthropicClient(setup.gateway)
            .messages.stream({ model: route.model, max_tokens: 100, messages: question })
            .finalMessage();
          assert.equal(message.content[0].type === 'text' && message.content[0].text, multiByteText.join(''));
          assert.equal(message.stop_reason, 'end_turn');
        });
      }
    });
  }
});
