/**
 * The real `openai` npm client against the gateway, on both routes an OpenAI client can take: to an
 * OpenAI upstream (passthrough) and to an Anthropic upstream (converted). The upstream answers the same
 * script in its own protocol; the client must get the same result either way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type OpenAI from 'openai';
import { openAiClient } from '../support/clients.ts';
import { useEndToEnd } from '../support/e2e-setup.ts';
import { routesForOpenAiClient } from '../support/routes.ts';
import { answerWith, awkwardDeliveries, multiByteText } from '../support/test-upstream.ts';
import type { AnswerScript } from '../support/upstream-answers.ts';

const question: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];

const weatherTools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      parameters: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] },
    },
  },
];

const parallelCalls = (model: string): AnswerScript => ({
  model,
  toolCalls: [
    { id: 'toolu_weather01', name: 'get_weather', argumentPieces: ['{"city"', ': "Par', 'is"}'] },
    { id: 'toolu_time02', name: 'get_time', argumentPieces: ['{"timezone":', ' "Europe/', 'Paris"}'] },
  ],
  usage: { input: 50, output: 30 },
});

type ToolCallSeen = { index: number; id?: string; name?: string; argumentDeltas: string[] };

describe('OpenAI SDK through the gateway', () => {
  const setup = useEndToEnd();

  for (const route of routesForOpenAiClient) {
    describe(route.label, () => {
      it('streams text with the chat stream helper, each upstream piece as its own delta', async () => {
        const text = ['Hel', 'lo', ', wörld', ' 🌍'];
        setup.upstream.enqueue(answerWith({ model: route.model, text, usage: { input: 21, output: 4 } }));
        const stream = openAiClient(setup.gateway).chat.completions.stream({
          model: route.model,
          messages: question,
          stream_options: { include_usage: true },
        });
        const deltas: string[] = [];
        stream.on('content', (delta) => deltas.push(delta));
        const completion = await stream.finalChatCompletion();
        assert.deepEqual(deltas, text);
        assert.equal(completion.choices[0].message.content, text.join(''));
        assert.equal(completion.choices[0].finish_reason, 'stop');
        assert.equal(completion.usage?.prompt_tokens, 21);
        assert.equal(completion.usage?.completion_tokens, 4);
        assert.equal(completion.usage?.total_tokens, 25);
      });

      it('streams with create({stream: true}): one id, role first, no usage chunk unless asked', async () => {
        setup.upstream.enqueue(answerWith({ model: route.model, text: ['One', ' two', ' three'] }));
        const stream = await openAiClient(setup.gateway).chat.completions.create({ model: route.model, messages: question, stream: true });
        const chunks: OpenAI.ChatCompletionChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1, 'every chunk carries the same id');
        assert.ok(chunks.every((chunk) => chunk.object === 'chat.completion.chunk'));
        assert.equal(chunks[0].choices[0].delta.role, 'assistant');
        const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
        assert.equal(content, 'One two three');
        const finishReasons = chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter((reason) => reason);
        assert.deepEqual(finishReasons, ['stop']);
        const usageChunks = chunks.filter((chunk) => chunk.usage || chunk.choices.length === 0);
        assert.deepEqual(usageChunks, [], 'the client did not ask for stream usage');
      });

      it('answers a non-streaming request', async () => {
        setup.upstream.enqueue(answerWith({ model: route.model, text: ['Plain ', 'answer'], usage: { input: 9, output: 2 } }));
        const completion = await openAiClient(setup.gateway).chat.completions.create({ model: route.model, messages: question });
        assert.equal(completion.object, 'chat.completion');
        assert.equal(typeof completion.id, 'string');
        assert.equal(completion.choices.length, 1);
        assert.equal(completion.choices[0].message.role, 'assistant');
        assert.equal(completion.choices[0].message.content, 'Plain answer');
        assert.equal(completion.choices[0].finish_reason, 'stop');
        assert.deepEqual(
          [completion.usage?.prompt_tokens, completion.usage?.completion_tokens, completion.usage?.total_tokens],
          [9, 2, 11],
        );
      });

      it('streams parallel tool calls with dense indexes and arguments in pieces', async () => {
        const script = parallelCalls(route.model);
        setup.upstream.enqueue(answerWith(script));
        const stream = await openAiClient(setup.gateway).chat.completions.create({
          model: route.model,
          messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
          tools: weatherTools,
          stream: true,
        });
        const calls = new Map<number, ToolCallSeen>();
        let finishReason: string | null | undefined;
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          if (!choice) continue;
          finishReason = choice.finish_reason ?? finishReason;
          for (const delta of choice.delta.tool_calls ?? []) {
            const seen = calls.get(delta.index) ?? { index: delta.index, argumentDeltas: [] };
            seen.id ??= delta.id;
            seen.name ??= delta.function?.name;
            if (delta.function?.arguments) seen.argumentDeltas.push(delta.function.arguments);
            calls.set(delta.index, seen);
          }
        }
        assert.deepEqual([...calls.keys()], [0, 1], 'tool-call indexes are 0 and 1, not block indexes');
        const [weather, time] = [calls.get(0)!, calls.get(1)!];
        assert.deepEqual([weather.id, weather.name, time.id, time.name], ['toolu_weather01', 'get_weather', 'toolu_time02', 'get_time']);
        assert.deepEqual(JSON.parse(weather.argumentDeltas.join('')), { city: 'Paris' });
        assert.deepEqual(JSON.parse(time.argumentDeltas.join('')), { timezone: 'Europe/Paris' });
        assert.ok(weather.argumentDeltas.length >= 2 && time.argumentDeltas.length >= 2, 'arguments are streamed, not buffered');
        assert.equal(finishReason, 'tool_calls');
      });

      it('assembles parallel tool calls in the stream helper', async () => {
        setup.upstream.enqueue(answerWith(parallelCalls(route.model)));
        const stream = openAiClient(setup.gateway).chat.completions.stream({ model: route.model, messages: question, tools: weatherTools });
        const argumentDeltas: string[] = [];
        stream.on('tool_calls.function.arguments.delta', (event) => argumentDeltas.push(event.arguments_delta));
        const completion = await stream.finalChatCompletion();
        const toolCalls = completion.choices[0].message.tool_calls ?? [];
        assert.deepEqual(
          toolCalls.map((call) => (call.type === 'function' ? [call.id, call.function.name, JSON.parse(call.function.arguments)] : [])),
          [
            ['toolu_weather01', 'get_weather', { city: 'Paris' }],
            ['toolu_time02', 'get_time', { timezone: 'Europe/Paris' }],
          ],
        );
        assert.ok(argumentDeltas.length >= 4);
        assert.equal(completion.choices[0].finish_reason, 'tool_calls');
      });

      it('returns parallel tool calls without streaming', async () => {
        setup.upstream.enqueue(answerWith(parallelCalls(route.model)));
        const completion = await openAiClient(setup.gateway).chat.completions.create({ model: route.model, messages: question, tools: weatherTools });
        const message = completion.choices[0].message;
        assert.ok(!message.content, 'no text alongside the tool calls');
        assert.deepEqual(
          (message.tool_calls ?? []).map((call) => (call.type === 'function' ? [call.id, call.function.name, JSON.parse(call.function.arguments)] : [])),
          [
            ['toolu_weather01', 'get_weather', { city: 'Paris' }],
            ['toolu_time02', 'get_time', { timezone: 'Europe/Paris' }],
          ],
        );
        assert.equal(completion.choices[0].finish_reason, 'tool_calls');
      });

      it('never puts reasoning into the answer text, streaming or not', async () => {
        const script: AnswerScript = { model: route.model, reasoning: ['Two plus', ' two is four.'], text: ['The answer', ' is 4.'] };
        setup.upstream.enqueue(answerWith(script), answerWith(script));
        const client = openAiClient(setup.gateway);
        const stream = await client.chat.completions.create({ model: route.model, messages: question, stream: true });
        let content = '';
        let reasoning = '';
        for await (const chunk of stream) {
          const delta = (chunk.choices[0]?.delta ?? {}) as Record<string, unknown>;
          content += typeof delta.content === 'string' ? delta.content : '';
          reasoning += typeof delta.reasoning_content === 'string' ? delta.reasoning_content : '';
        }
        assert.equal(content, 'The answer is 4.');
        // reasoning_content is optional on the converted route, and exact when present.
        if (route.conversion === 'passthrough' || reasoning !== '') assert.equal(reasoning, 'Two plus two is four.');
        const completion = await client.chat.completions.create({ model: route.model, messages: question });
        assert.equal(completion.choices[0].message.content, 'The answer is 4.');
      });

      const finishCases = [
        { anthropic: 'end_turn', openai: 'stop', expected: 'stop' },
        { anthropic: 'max_tokens', openai: 'length', expected: 'length' },
        { anthropic: 'stop_sequence', openai: 'stop', expected: 'stop' },
        { anthropic: 'refusal', openai: 'content_filter', expected: 'content_filter' },
      ];
      for (const finish of finishCases) {
        const upstreamReason = route.upstream === 'anthropic' ? finish.anthropic : finish.openai;
        it(`reports finish_reason ${finish.expected} for an upstream ${upstreamReason} (Anthropic ${finish.anthropic})`, async () => {
          const script = { model: route.model, text: ['Cut'], finishReason: upstreamReason };
          setup.upstream.enqueue(answerWith(script), answerWith(script));
          const client = openAiClient(setup.gateway);
          const completion = await client.chat.completions.stream({ model: route.model, messages: question }).finalChatCompletion();
          assert.equal(completion.choices[0].finish_reason, finish.expected);
          const plain = await client.chat.completions.create({ model: route.model, messages: question });
          assert.equal(plain.choices[0].finish_reason, finish.expected);
        });
      }

      it('counts cached input tokens inside prompt_tokens and reports them as cached_tokens', async () => {
        const usage = { input: 10, output: 4, cacheRead: 30, cacheWrite: 5 };
        // Anthropic's input_tokens exclude both cache parts; OpenAI's test answer has no cache-write notion.
        const expectedPrompt = route.upstream === 'anthropic' ? 45 : 40;
        const script = { model: route.model, text: ['Cached'], usage };
        setup.upstream.enqueue(answerWith(script), answerWith(script));
        const client = openAiClient(setup.gateway);
        const streamed = await client.chat.completions
          .stream({ model: route.model, messages: question, stream_options: { include_usage: true } })
          .finalChatCompletion();
        const plain = await client.chat.completions.create({ model: route.model, messages: question });
        for (const completion of [streamed, plain]) {
          assert.equal(completion.usage?.prompt_tokens, expectedPrompt);
          assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 30);
          assert.equal(completion.usage?.completion_tokens, 4);
          assert.equal(completion.usage?.total_tokens, expectedPrompt + 4);
        }
      });

      for (const { label, delivery } of awkwardDeliveries) {
        it(`keeps multi-byte characters whole when the upstream stream arrives in ${label}`, async () => {
          setup.upstream.enqueue(answerWith({ model: route.model, text: multiByteText }, { ...delivery, delayMs: 1 }));
          const completion = await openAiClient(setup.gateway)
            .chat.completions.stream({ model: route.model, messages: question })
            .finalChatCompletion();
          assert.equal(completion.choices[0].message.content, multiByteText.join(''));
          assert.equal(completion.choices[0].finish_reason, 'stop');
        });
      }
    });
  }
});
