/**
 * What the upstream receives on the converted routes: a request in the upstream API's correct shape
 * (CONVERSION.md §1 and §2), sent by the real SDK clients through the running gateway. System prompts
 * hoisted, tool results merged into one user turn, no empty text blocks (#10), no cache_control for an
 * OpenAI upstream (#11), max_tokens always present for Anthropic, include_usage asked of OpenAI.
 */
import type Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type OpenAI from 'openai';
import { anthropicClient, openAiClient } from '../support/clients.ts';
import { ANTHROPIC_MODEL, OPENAI_MODEL, useEndToEnd } from '../support/e2e-setup.ts';

/** System text whether the upstream got a string or a list of text blocks. */
function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((block) => block.text).join('\n');
  return '';
}

/** OpenAI message content as text, whether a string or a list of text parts. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join('');
  return '';
}

const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } } },
];

describe('what the upstream receives on converted routes', () => {
  const setup = useEndToEnd();

  describe('OpenAI client → Anthropic upstream: the converted request', () => {
    it('hoists system and developer prompts, merges tool results into one user turn, drops the empty text', async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather and time in Paris?' },
        { role: 'developer', content: 'Answer in French.' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'call_a1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b2', type: 'function', function: { name: 'get_time', arguments: '{"timezone":"Europe/Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a1', content: '18°C' },
        { role: 'tool', tool_call_id: 'call_b2', content: '14:00' },
        { role: 'user', content: 'Thanks, and tomorrow?' },
      ];
      await openAiClient(setup.gateway).chat.completions.stream({ model: ANTHROPIC_MODEL, messages, tools }).finalChatCompletion();
      const upstream = setup.upstream.lastRequest().json;
      assert.equal(systemText(upstream.system), 'You are terse.\nAnswer in French.');
      assert.deepEqual(upstream.messages.map((message: { role: string }) => message.role), ['user', 'assistant', 'user']);
      const [, assistant, lastUser] = upstream.messages;
      const assistantBlocks = assistant.content as Array<Record<string, unknown>>;
      assert.ok(!assistantBlocks.some((block) => block.type === 'text' && block.text === ''), 'an empty text block was sent (#10)');
      const toolUses = assistantBlocks.filter((block) => block.type === 'tool_use');
      assert.deepEqual(
        toolUses.map(({ name, input }) => ({ name, input })),
        [
          { name: 'get_weather', input: { city: 'Paris' } },
          { name: 'get_time', input: { timezone: 'Europe/Paris' } },
        ],
      );
      assert.deepEqual(
        lastUser.content.map((block: Record<string, unknown>) => block.type),
        ['tool_result', 'tool_result', 'text'],
        'both tool results, then the text, in ONE user turn (#9)',
      );
      assert.deepEqual(
        lastUser.content.slice(0, 2).map((block: Record<string, unknown>) => block.tool_use_id),
        toolUses.map((block) => block.id),
      );
      assert.deepEqual(
        lastUser.content.slice(0, 2).map((block: Record<string, unknown>) => contentText(block.content)),
        ['18°C', '14:00'],
      );
      assert.equal(lastUser.content[2].text, 'Thanks, and tomorrow?');
      assert.ok(Number.isInteger(upstream.max_tokens) && upstream.max_tokens > 0, 'max_tokens defaulted');
      assert.equal(upstream.stream, true);
      assert.equal(upstream.stream_options, undefined);
      assert.deepEqual(
        upstream.tools.map((tool: Record<string, unknown>) => [tool.name, tool.input_schema]),
        tools.map((tool) => (tool.type === 'function' ? [tool.function.name, tool.function.parameters] : [])),
      );
    });

    it('maps the sampling and tool options, and drops what Anthropic would reject', async () => {
      await openAiClient(setup.gateway).chat.completions.create({
        model: ANTHROPIC_MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        tools,
        tool_choice: 'required',
        parallel_tool_calls: false,
        max_completion_tokens: 300,
        temperature: 1.6,
        top_p: 0.9,
        stop: 'END',
        user: 'user-123',
        seed: 7,
        presence_penalty: 0.5,
        frequency_penalty: 0.5,
        logprobs: true,
        top_logprobs: 2,
      });
      const upstream = setup.upstream.lastRequest().json;
      assert.equal(upstream.max_tokens, 300);
      assert.ok(upstream.temperature <= 1, `temperature ${upstream.temperature} is outside Anthropic's 0–1`);
      assert.deepEqual(upstream.stop_sequences, ['END']);
      assert.equal(upstream.metadata?.user_id, 'user-123');
      assert.deepEqual(upstream.tool_choice, { type: 'any', disable_parallel_tool_use: true });
      for (const field of ['seed', 'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs', 'user', 'parallel_tool_calls', 'max_completion_tokens', 'stop', 'n']) {
        assert.equal(upstream[field], undefined, `${field} was forwarded to Anthropic`);
      }
    });

    it('keeps the thinking budget below max_tokens and drops temperature with reasoning_effort (#16)', async () => {
      await openAiClient(setup.gateway).chat.completions.create({
        model: ANTHROPIC_MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        reasoning_effort: 'high',
        max_completion_tokens: 1500,
        temperature: 0.2,
      });
      const upstream = setup.upstream.lastRequest().json;
      assert.ok(upstream.thinking, 'reasoning_effort high asks for thinking');
      if (upstream.thinking.type === 'enabled') {
        assert.ok(upstream.thinking.budget_tokens >= 1024, `budget ${upstream.thinking.budget_tokens} below Anthropic's minimum`);
        assert.ok(upstream.thinking.budget_tokens < upstream.max_tokens, `budget ${upstream.thinking.budget_tokens} ≥ max_tokens ${upstream.max_tokens}`);
      }
      assert.ok(upstream.temperature === undefined || upstream.temperature === 1, 'thinking forbids temperature ≠ 1');
    });

    it('passes tool names through unchanged, both ways (#15)', async () => {
      const name = 'Get-Weather_Now';
      setup.upstream.enqueue({
        path: '/v1/messages',
        json: {
          id: 'msg_x',
          type: 'message',
          role: 'assistant',
          model: ANTHROPIC_MODEL,
          content: [{ type: 'tool_use', id: 'toolu_x', name, input: {} }],
          stop_reason: 'tool_use',
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 5 },
        },
      });
      const completion = await openAiClient(setup.gateway).chat.completions.create({
        model: ANTHROPIC_MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } }],
      });
      assert.equal(setup.upstream.lastRequest().json.tools[0].name, name);
      const call = completion.choices[0].message.tool_calls?.[0];
      assert.equal(call?.type === 'function' && call.function.name, name);
    });
  });

  describe('Anthropic client → OpenAI upstream: the converted request', () => {
    it('puts the system prompt first, splits tool results into tool messages, strips cache_control (#11)', async () => {
      const stream = anthropicClient(setup.gateway).messages.stream({
        model: OPENAI_MODEL,
        max_tokens: 500,
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
        tools: [
          { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, cache_control: { type: 'ephemeral' } },
          { name: 'get_time', input_schema: { type: 'object', properties: { timezone: { type: 'string' } } } },
        ],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        stop_sequences: ['END'],
        temperature: 0.3,
        top_k: 5,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather and time in Paris?', cache_control: { type: 'ephemeral' } }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_a1', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'toolu_b2', name: 'get_time', input: { timezone: 'Europe/Paris' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_a1', content: '18°C' },
              { type: 'tool_result', tool_use_id: 'toolu_b2', content: [{ type: 'text', text: '14:00' }] },
              { type: 'text', text: 'Thanks!' },
            ],
          },
        ],
      });
      await stream.finalMessage();
      const request = setup.upstream.lastRequest();
      const upstream = request.json;
      assert.ok(!request.rawBody.includes('cache_control'), 'cache_control reached an OpenAI upstream');
      assert.deepEqual(
        upstream.messages.map((message: Record<string, unknown>) => message.role),
        ['system', 'user', 'assistant', 'tool', 'tool', 'user'],
      );
      const [system, user, assistant, firstResult, secondResult, lastUser] = upstream.messages;
      assert.equal(contentText(system.content), 'You are terse.');
      assert.equal(contentText(user.content), 'Weather and time in Paris?');
      assert.equal(contentText(assistant.content), 'Checking.');
      assert.deepEqual(
        assistant.tool_calls.map((call: Record<string, any>) => [call.id, call.type, call.function.name, JSON.parse(call.function.arguments)]),
        [
          ['toolu_a1', 'function', 'get_weather', { city: 'Paris' }],
          ['toolu_b2', 'function', 'get_time', { timezone: 'Europe/Paris' }],
        ],
      );
      assert.deepEqual([firstResult.tool_call_id, contentText(firstResult.content)], ['toolu_a1', '18°C']);
      assert.deepEqual([secondResult.tool_call_id, contentText(secondResult.content)], ['toolu_b2', '14:00']);
      assert.equal(contentText(lastUser.content), 'Thanks!');
      assert.equal(upstream.stream, true);
      assert.equal(upstream.stream_options?.include_usage, true, 'usage must be asked for, or message_delta has none');
      assert.equal(upstream.max_tokens ?? upstream.max_completion_tokens, 500);
      assert.deepEqual(upstream.stop, ['END']);
      assert.equal(upstream.temperature, 0.3);
      assert.equal(upstream.top_k, undefined);
      assert.equal(upstream.tool_choice, 'required');
      assert.equal(upstream.parallel_tool_calls, false);
      assert.deepEqual(
        upstream.tools.map((tool: Record<string, any>) => [tool.type, tool.function.name]),
        [
          ['function', 'get_weather'],
          ['function', 'get_time'],
        ],
      );
    });

    it('maps each tool_choice', async () => {
      const cases: Array<[Anthropic.ToolChoice, unknown]> = [
        [{ type: 'auto' }, 'auto'],
        [{ type: 'any' }, 'required'],
        [{ type: 'none' }, 'none'],
        [{ type: 'tool', name: 'get_time' }, { type: 'function', function: { name: 'get_time' } }],
      ];
      for (const [toolChoice, expected] of cases) {
        await anthropicClient(setup.gateway).messages.create({
          model: OPENAI_MODEL,
          max_tokens: 50,
          tools: [{ name: 'get_time', input_schema: { type: 'object', properties: {} } }],
          tool_choice: toolChoice,
          messages: [{ role: 'user', content: 'hi' }],
        });
        const upstream = setup.upstream.lastRequest().json;
        assert.deepEqual(upstream.tool_choice, expected, `tool_choice ${JSON.stringify(toolChoice)}`);
        assert.equal(upstream.tools.length, 1, 'tools are kept even with tool_choice none');
      }
    });
  });
});
