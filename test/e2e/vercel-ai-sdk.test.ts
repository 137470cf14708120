/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai` and `@ai-sdk/anthropic`) pointed at the gateway: a third,
 * independent client implementation of each API, with its own stream parser and strict schemas.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANTHROPIC_MODEL, CLIENT_KEY, OPENAI_MODEL, useEndToEnd } from '../support/e2e-setup.ts';
import type { RunningGateway } from '../support/gateway.ts';
import { answerWith } from '../support/test-upstream.ts';

// The Chat Completions API explicitly: the provider's default model speaks OpenAI's Responses API.
const openAiChat = (gateway: RunningGateway, model: string) => createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY }).chat(model);
// The Anthropic provider's base URL includes /v1, unlike the Anthropic SDK's.
const anthropicMessages = (gateway: RunningGateway, model: string) => createAnthropic({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY })(model);

const clients = [
  { label: 'AI SDK OpenAI chat provider', language: openAiChat },
  { label: 'AI SDK Anthropic provider', language: anthropicMessages },
];
const upstreams = [
  { label: 'OpenAI upstream', model: OPENAI_MODEL },
  { label: 'Anthropic upstream', model: ANTHROPIC_MODEL },
];

const weatherTool = tool({
  description: 'Current weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
});

describe('Vercel AI SDK through the gateway', () => {
  const setup = useEndToEnd();

  for (const client of clients) {
    for (const upstream of upstreams) {
      describe(`${client.label} → ${upstream.label}`, () => {
        it('streamText streams the text, the finish reason and the usage', async () => {
          const text = ['Streaming', ' through', ' the gateway', ' ✓'];
          setup.upstream.enqueue(answerWith({ model: upstream.model, text, usage: { input: 17, output: 4 } }));
          const result = streamText({ model: client.language(setup.gateway, upstream.model), prompt: 'Say something', maxOutputTokens: 200, maxRetries: 0 });
          const pieces: string[] = [];
          for await (const piece of result.textStream) pieces.push(piece);
          assert.equal(pieces.join(''), text.join(''));
          assert.ok(pieces.length >= text.length, 'the text arrived in pieces');
          assert.equal(await result.finishReason, 'stop');
          const usage = await result.usage;
          assert.equal(usage.inputTokens, 17);
          assert.equal(usage.outputTokens, 4);
        });

        it('generateText returns a tool call with parsed input', async () => {
          setup.upstream.enqueue(
            answerWith({
              model: upstream.model,
              toolCalls: [{ id: 'toolu_weather01', name: 'get_weather', argumentPieces: ['{"city":', ' "Paris"}'] }],
            }),
          );
          const result = await generateText({
            model: client.language(setup.gateway, upstream.model),
            prompt: 'Weather in Paris?',
            tools: { get_weather: weatherTool },
            maxOutputTokens: 200,
            maxRetries: 0,
          });
          assert.deepEqual(
            result.toolCalls.map((call) => [call.toolCallId, call.toolName, call.input]),
            [['toolu_weather01', 'get_weather', { city: 'Paris' }]],
          );
          assert.equal(result.finishReason, 'tool-calls');
        });
      });
    }
  }
});
