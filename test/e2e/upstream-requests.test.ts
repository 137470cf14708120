/**
 * What the upstream receives: the provider's key (never the client's), the alias-rewritten model, and on
 * passthrough the request as the client sent it (plus include_usage, always asked of an OpenAI upstream).
 * The converted request shapes are in converted-requests.test.ts.
 */
import type Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type OpenAI from 'openai';
import { anthropicClient, openAiClient } from '../support/clients.ts';
import {
  ANTHROPIC_MODEL,
  CLIENT_KEY,
  OPENAI_MODEL,
  PROVIDER_ANTHROPIC_KEY,
  PROVIDER_OPENAI_KEY,
  useEndToEnd,
} from '../support/e2e-setup.ts';
import { routesForAnthropicClient, routesForOpenAiClient, type Route } from '../support/routes.ts';
import type { ReceivedRequest } from '../support/test-upstream.ts';

function assertProviderKeyOnly(request: ReceivedRequest, route: Route): void {
  if (route.upstream === 'openai') {
    assert.equal(request.headers.authorization, `Bearer ${PROVIDER_OPENAI_KEY}`);
    assert.equal(request.headers['x-api-key'], undefined);
  } else {
    assert.equal(request.headers['x-api-key'], PROVIDER_ANTHROPIC_KEY);
    assert.ok(request.headers['anthropic-version'], 'anthropic-version is sent');
    assert.equal(request.headers.authorization, undefined);
  }
  for (const [name, value] of Object.entries(request.headers)) {
    assert.ok(!String(value).includes(CLIENT_KEY), `the client's key leaked upstream in ${name}`);
  }
  assert.ok(!request.rawBody.includes(CLIENT_KEY), "the client's key leaked into the upstream body");
}

describe('what the upstream receives', () => {
  const setup = useEndToEnd();

  describe('keys', () => {
    for (const route of routesForOpenAiClient) {
      for (const stream of [false, true]) {
        it(`${route.label}${stream ? ', streaming' : ''}: the provider's key, never the client's`, async () => {
          const client = openAiClient(setup.gateway);
          const request = { model: route.model, messages: [{ role: 'user' as const, content: 'hi' }] };
          if (stream) await client.chat.completions.stream(request).finalChatCompletion();
          else await client.chat.completions.create(request);
          assertProviderKeyOnly(setup.upstream.lastRequest(), route);
        });
      }
    }
    for (const route of routesForAnthropicClient) {
      for (const stream of [false, true]) {
        it(`${route.label}${stream ? ', streaming' : ''}: the provider's key, never the client's`, async () => {
          const client = anthropicClient(setup.gateway);
          const request = { model: route.model, max_tokens: 50, messages: [{ role: 'user' as const, content: 'hi' }] };
          if (stream) await client.messages.stream(request).finalMessage();
          else await client.messages.create(request);
          assertProviderKeyOnly(setup.upstream.lastRequest(), route);
        });
      }
    }
  });

  describe('alias routes rewrite the model upstream', () => {
    const cases = [
      { client: 'openai', model: 'alias-openai', upstreamModel: 'gpt-upstream-name' },
      { client: 'openai', model: 'alias-anthropic', upstreamModel: 'claude-upstream-name' },
      { client: 'anthropic', model: 'alias-openai', upstreamModel: 'gpt-upstream-name' },
      { client: 'anthropic', model: 'alias-anthropic', upstreamModel: 'claude-upstream-name' },
    ] as const;
    for (const { client, model, upstreamModel } of cases) {
      it(`${client} client asking for ${model} → the upstream is asked for ${upstreamModel}`, async () => {
        if (client === 'openai') {
          const completion = await openAiClient(setup.gateway).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
          assert.equal(completion.choices[0].message.content, 'Hello from the test upstream.');
        } else {
          const message = await anthropicClient(setup.gateway).messages.create({ model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
          assert.equal(message.content[0].type === 'text' && message.content[0].text, 'Hello from the test upstream.');
        }
        assert.equal(setup.upstream.lastRequest().json.model, upstreamModel);
      });
    }
  });

  describe('passthrough keeps the request as sent', () => {
    it('OpenAI → OpenAI: unknown and provider-specific fields arrive unchanged', async () => {
      const body = {
        model: OPENAI_MODEL,
        messages: [{ role: 'user', content: 'hi', name: 'alice' }],
        seed: 7,
        logit_bias: { '50256': -100 },
        top_logprobs: 2,
        logprobs: true,
        provider_specific_option: { keep: ['me'] },
      };
      await openAiClient(setup.gateway).chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
      assert.deepEqual(setup.upstream.lastRequest().json, body);
    });

    it('Anthropic → Anthropic: thinking blocks with signatures and redacted thinking stay in the history (#12)', async () => {
      const body = {
        model: ANTHROPIC_MODEL,
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'I should call the tool.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' },
              { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' },
              { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: '18°C' }] },
        ],
      };
      await anthropicClient(setup.gateway).messages.create(body as Anthropic.MessageCreateParamsNonStreaming);
      assert.deepEqual(setup.upstream.lastRequest().json, body);
    });

    it('OpenAI → OpenAI streaming: stream_options is neither injected nor dropped (CONVERSION.md §7)', async () => {
      // Asking for usage upstream would change every chunk the client gets (`"usage":null` on each with
      // OpenAI) and force the gateway to cut the usage chunk out; passthrough stays byte-transparent, and
      // telemetry counts such a stream's tokens with a tokenizer instead (lessllm.usage.estimated).
      const stream = await openAiClient(setup.gateway).chat.completions.create({
        model: OPENAI_MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.equal(setup.upstream.lastRequest().json.stream_options, undefined);
      assert.ok(!chunks.some((chunk) => chunk.choices.length === 0 || chunk.usage), 'no usage chunk reached a client that did not ask');

      const asked = await openAiClient(setup.gateway).chat.completions.create({
        model: OPENAI_MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of asked) void chunk;
      assert.deepEqual(setup.upstream.lastRequest().json.stream_options, { include_usage: true });
    });
  });
});
