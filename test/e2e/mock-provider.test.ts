/**
 * The built-in mock provider through both real SDKs: deterministic text where every streamed delta is
 * one token, exact usage, tool calls and errors on request (`mock:tool`, `mock:tools`, `mock:error=…`,
 * `mock:tokens=…` in the last user message).
 */
import Anthropic from '@anthropic-ai/sdk';
import { countTokens } from 'gpt-tokenizer';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { anthropicClient, openAiClient, rejectionOf } from '../support/clients.ts';
import { MOCK_MODEL, useEndToEnd } from '../support/e2e-setup.ts';
import { assertWellFormedAnthropicStream } from '../support/stream-checks.ts';

const defaultOutputTokens = 16;

const openAiTools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string', enum: ['UTC', 'CET'] } } } } },
];
const anthropicTools: Anthropic.Tool[] = openAiTools.map((tool) =>
  tool.type === 'function' ? { name: tool.function.name, input_schema: tool.function.parameters as Anthropic.Tool.InputSchema } : assert.fail(),
);
const expectedArguments = [
  { city: 'mock', days: 1 },
  { timezone: 'UTC' },
];

describe('the mock provider', () => {
  const setup = useEndToEnd();

  describe('through the OpenAI SDK', () => {
    it('streams one token per delta and reports exact usage, the same as without streaming', async () => {
      const client = openAiClient(setup.gateway);
      const request = { model: MOCK_MODEL, messages: [{ role: 'user' as const, content: 'Tell me something.' }] };
      const stream = client.chat.completions.stream({ ...request, stream_options: { include_usage: true } });
      const deltas: string[] = [];
      stream.on('content', (delta) => deltas.push(delta));
      const streamed = await stream.finalChatCompletion();
      const text = deltas.join('');
      assert.equal(deltas.length, defaultOutputTokens);
      assert.ok(deltas.every((delta) => countTokens(delta) === 1), 'each delta is one token');
      assert.equal(countTokens(text), defaultOutputTokens);
      assert.equal(streamed.usage?.completion_tokens, defaultOutputTokens);
      assert.ok((streamed.usage?.prompt_tokens ?? 0) > 0);
      assert.equal(streamed.choices[0].finish_reason, 'stop');

      const plain = await client.chat.completions.create(request);
      assert.equal(plain.choices[0].message.content, text, 'deterministic text');
      assert.deepEqual(plain.usage && [plain.usage.prompt_tokens, plain.usage.completion_tokens], [streamed.usage?.prompt_tokens, defaultOutputTokens]);
    });

    it('answers with mock:tokens=5 tokens, and stops at max_tokens with finish_reason length', async () => {
      const client = openAiClient(setup.gateway);
      const five = await client.chat.completions.create({ model: MOCK_MODEL, messages: [{ role: 'user', content: 'Short please mock:tokens=5' }] });
      assert.equal(five.usage?.completion_tokens, 5);
      assert.equal(countTokens(five.choices[0].message.content ?? ''), 5);
      const capped = await client.chat.completions.create({ model: MOCK_MODEL, max_tokens: 3, messages: [{ role: 'user', content: 'Long please' }] });
      assert.equal(capped.usage?.completion_tokens, 3);
      assert.equal(capped.choices[0].finish_reason, 'length');
    });

    it('counts more input tokens for a longer prompt', async () => {
      const client = openAiClient(setup.gateway);
      const short = await client.chat.completions.create({ model: MOCK_MODEL, messages: [{ role: 'user', content: 'Hi' }] });
      const long = await client.chat.completions.create({ model: MOCK_MODEL, messages: [{ role: 'user', content: 'Hi '.repeat(200) }] });
      assert.ok((long.usage?.prompt_tokens ?? 0) > (short.usage?.prompt_tokens ?? 0) + 100);
    });

    it('calls the first tool with mock:tool, arguments streamed in pieces', async () => {
      const stream = await openAiClient(setup.gateway).chat.completions.create({
        model: MOCK_MODEL,
        messages: [{ role: 'user', content: 'Use a tool mock:tool' }],
        tools: openAiTools,
        stream: true,
      });
      const argumentDeltas: string[] = [];
      const names: string[] = [];
      let finishReason: string | null = null;
      for await (const chunk of stream) {
        for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
          assert.equal(call.index, 0);
          if (call.function?.name) names.push(call.function.name);
          if (call.function?.arguments) argumentDeltas.push(call.function.arguments);
        }
        finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      }
      assert.deepEqual(names, ['get_weather']);
      assert.ok(argumentDeltas.length >= 2, 'arguments arrive in pieces');
      assert.deepEqual(JSON.parse(argumentDeltas.join('')), expectedArguments[0]);
      assert.equal(finishReason, 'tool_calls');
    });

    it('calls every tool in parallel with mock:tools', async () => {
      const completion = await openAiClient(setup.gateway)
        .chat.completions.stream({ model: MOCK_MODEL, messages: [{ role: 'user', content: 'mock:tools' }], tools: openAiTools })
        .finalChatCompletion();
      const calls = completion.choices[0].message.tool_calls ?? [];
      assert.deepEqual(
        calls.map((call) => (call.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : [])),
        [
          ['get_weather', expectedArguments[0]],
          ['get_time', expectedArguments[1]],
        ],
      );
      assert.equal(new Set(calls.map((call) => call.id)).size, 2, 'distinct tool-call ids');
      assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    });

    const errorCases: Array<{ status: number; errorClass: abstract new (...args: never[]) => Error; statuses: number[] }> = [
      { status: 401, errorClass: OpenAI.AuthenticationError, statuses: [401] },
      { status: 404, errorClass: OpenAI.NotFoundError, statuses: [404] },
      { status: 429, errorClass: OpenAI.RateLimitError, statuses: [429] },
      { status: 500, errorClass: OpenAI.InternalServerError, statuses: [500] },
      { status: 529, errorClass: OpenAI.InternalServerError, statuses: [503, 529] },
    ];
    for (const { status, errorClass, statuses } of errorCases) {
      it(`fails with mock:error=${status} as the SDK's ${errorClass.name}, streaming and not`, async () => {
        const client = openAiClient(setup.gateway);
        const request = { model: MOCK_MODEL, messages: [{ role: 'user' as const, content: `mock:error=${status}` }] };
        for (const error of [
          await rejectionOf(client.chat.completions.create(request)),
          await rejectionOf(client.chat.completions.stream(request).finalChatCompletion()),
        ]) {
          assert.ok(error instanceof errorClass, `${String(error)}`);
          assert.ok(statuses.includes((error as InstanceType<typeof OpenAI.APIError>).status ?? 0));
          if (status === 429) assert.equal((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after'), '1');
        }
      });
    }

    it('raises mock:error=midstream after a few tokens, with no finish_reason', async () => {
      const stream = await openAiClient(setup.gateway).chat.completions.create({
        model: MOCK_MODEL,
        messages: [{ role: 'user', content: 'mock:error=midstream' }],
        stream: true,
      });
      let deltas = 0;
      let finished = false;
      const error = await rejectionOf(
        (async () => {
          for await (const chunk of stream) {
            if (chunk.choices[0]?.delta.content) deltas += 1;
            if (chunk.choices[0]?.finish_reason) finished = true;
          }
        })(),
      );
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.ok(deltas > 0, 'some tokens came before the error');
      assert.equal(finished, false);
    });
  });

  describe('through the Anthropic SDK', () => {
    it('streams one token per text event and reports exact usage, the same as without streaming', async () => {
      const client = anthropicClient(setup.gateway);
      const request = { model: MOCK_MODEL, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Tell me something.' }] };
      const stream = client.messages.stream(request);
      const deltas: string[] = [];
      stream.on('text', (delta) => deltas.push(delta));
      const streamed = await stream.finalMessage();
      assert.equal(deltas.length, defaultOutputTokens);
      assert.ok(deltas.every((delta) => countTokens(delta) === 1), 'each delta is one token');
      assert.equal(streamed.usage.output_tokens, defaultOutputTokens);
      assert.ok(streamed.usage.input_tokens > 0);
      assert.equal(streamed.stop_reason, 'end_turn');

      const plain = await client.messages.create(request);
      assert.equal(plain.content[0].type === 'text' && plain.content[0].text, deltas.join(''));
      assert.deepEqual([plain.usage.input_tokens, plain.usage.output_tokens], [streamed.usage.input_tokens, defaultOutputTokens]);

      const openAi = await openAiClient(setup.gateway).chat.completions.create({ model: MOCK_MODEL, messages: request.messages });
      assert.equal(openAi.usage?.prompt_tokens, plain.usage.input_tokens, 'the same question counts the same through either API');
    });

    it('streams well-formed events', async () => {
      const stream = await anthropicClient(setup.gateway).messages.create({
        model: MOCK_MODEL,
        max_tokens: 100,
        messages: [{ role: 'user', content: 'mock:tools' }],
        tools: anthropicTools,
        stream: true,
      });
      const events: Anthropic.RawMessageStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      assertWellFormedAnthropicStream(events);
    });

    it('stops at max_tokens with stop_reason max_tokens', async () => {
      const message = await anthropicClient(setup.gateway).messages.create({ model: MOCK_MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'Long please' }] });
      assert.equal(message.usage.output_tokens, 4);
      assert.equal(message.stop_reason, 'max_tokens');
    });

    for (const directive of ['mock:tool', 'mock:tools']) {
      it(`calls ${directive === 'mock:tool' ? 'the first tool' : 'every tool'} with ${directive}`, async () => {
        const stream = anthropicClient(setup.gateway).messages.stream({
          model: MOCK_MODEL,
          max_tokens: 200,
          messages: [{ role: 'user', content: `Use tools ${directive}` }],
          tools: anthropicTools,
        });
        let inputJsonEvents = 0;
        stream.on('inputJson', () => (inputJsonEvents += 1));
        const message = await stream.finalMessage();
        const toolUses = message.content.filter((block) => block.type === 'tool_use');
        const expectedCount = directive === 'mock:tool' ? 1 : 2;
        assert.deepEqual(
          toolUses.map((block) => [block.name, block.input]),
          anthropicTools.slice(0, expectedCount).map((tool, index) => [tool.name, expectedArguments[index]]),
        );
        assert.ok(inputJsonEvents >= 2 * expectedCount, 'arguments arrive in pieces');
        assert.equal(message.stop_reason, 'tool_use');
      });
    }

    // A 503 is an overload in CONVERSION.md §4, which Anthropic clients know as 529; either is fair here.
    const errorCases: Array<{ status: number; statuses: number[] }> = [
      { status: 401, statuses: [401] },
      { status: 403, statuses: [403] },
      { status: 429, statuses: [429] },
      { status: 503, statuses: [503, 529] },
      { status: 529, statuses: [529] },
    ];
    const anthropicErrorClasses: Record<number, abstract new (...args: never[]) => Error> = {
      401: Anthropic.AuthenticationError,
      403: Anthropic.PermissionDeniedError,
      429: Anthropic.RateLimitError,
      503: Anthropic.ServiceUnavailableError,
      529: Anthropic.OverloadedError,
    };
    for (const { status, statuses } of errorCases) {
      it(`fails with mock:error=${status} as the SDK's error for ${statuses.join(' or ')}, streaming and not`, async () => {
        const client = anthropicClient(setup.gateway);
        const request = { model: MOCK_MODEL, max_tokens: 50, messages: [{ role: 'user' as const, content: `mock:error=${status}` }] };
        for (const error of [await rejectionOf(client.messages.create(request)), await rejectionOf(client.messages.stream(request).finalMessage())]) {
          const actualStatus = (error as InstanceType<typeof Anthropic.APIError>).status ?? 0;
          assert.ok(statuses.includes(actualStatus), `status ${actualStatus}`);
          assert.ok(error instanceof anthropicErrorClasses[actualStatus], `${String(error)}`);
          if (status === 429) assert.equal((error as InstanceType<typeof Anthropic.APIError>).headers?.get('retry-after'), '1');
        }
      });
    }

    it('raises mock:error=midstream after a few tokens, with no message_stop', async () => {
      const stream = anthropicClient(setup.gateway).messages.stream({ model: MOCK_MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'mock:error=midstream' }] });
      let text = '';
      const types: string[] = [];
      stream.on('text', (delta) => (text += delta));
      stream.on('streamEvent', (event) => types.push(event.type));
      const error = await rejectionOf(stream.finalMessage());
      assert.ok(error instanceof Anthropic.APIError, String(error));
      assert.equal((error as InstanceType<typeof Anthropic.APIError>).type, 'overloaded_error');
      assert.ok(text.length > 0, 'some tokens came before the error');
      assert.ok(!types.includes('message_stop'));
    });
  });
});
