/**
 * Request conversion through both protocol objects: a client body → the client protocol's decodeRequest
 * → the canonical request → the upstream protocol's encodeRequest → the body the upstream receives.
 * Each `#n` is the bug of that number in CONVERSION.md §8.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseAccumulator } from '../../src/core/accumulate.ts';
import { anthropicMessagesProtocol as anthropic } from '../../src/protocols/anthropic-messages/index.ts';
import { openAiChatProtocol as openAi } from '../../src/protocols/openai-chat/index.ts';
import type { Protocol } from '../../src/protocols/protocol.ts';
import { decodeBytes } from './convert.ts';
import { loadFixtureBytes } from '../fixtures/load-fixture.ts';

const defaultMaxTokens = 4096;

/** What an upstream receives for a client body, as the gateway converts it. */
function convertRequest(body: Record<string, unknown>, from: Protocol, to: Protocol): any {
  const problem = from.validateRequest(body);
  assert.equal(problem, undefined, `the test body is invalid: ${problem?.message}`);
  return to.encodeRequest(from.decodeRequest(body), { defaultMaxTokens });
}

const anthropicIdPattern = /^[a-zA-Z0-9_-]+$/;

describe('request conversion', () => {
  it('#9 parallel tool results become ONE user turn of tool_result blocks, text after them (OpenAI → Anthropic)', () => {
    const upstream = convertRequest(
      {
        model: 'claude-test',
        messages: [
          { role: 'user', content: 'Weather in Paris and Tokyo?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'functions.get_weather:0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'functions.get_weather:1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'functions.get_weather:0', content: '18°C' },
          { role: 'tool', tool_call_id: 'functions.get_weather:1', content: '24°C' },
          { role: 'user', content: 'And tomorrow?' },
        ],
      },
      openAi,
      anthropic,
    );
    assert.deepEqual(upstream.messages.map((message: any) => message.role), ['user', 'assistant', 'user']);
    const toolUseIds = upstream.messages[1].content.filter((block: any) => block.type === 'tool_use').map((block: any) => block.id);
    const results = upstream.messages[2].content;
    assert.deepEqual(results.map((block: any) => block.type), ['tool_result', 'tool_result', 'text']);
    assert.deepEqual(results.slice(0, 2).map((block: any) => block.tool_use_id), toolUseIds, 'results answer the calls, in order');
    for (const id of toolUseIds) assert.match(id, anthropicIdPattern, 'tool ids are sanitised the same way on both sides');
  });

  it('#9 (reverse) tool_result blocks become consecutive tool messages right after the assistant (Anthropic → OpenAI)', () => {
    const upstream = convertRequest(
      {
        model: 'gpt-test',
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'Weather in Paris and Tokyo?' },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Tokyo' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '24°C' }] },
              { type: 'text', text: 'And tomorrow?' },
            ],
          },
        ],
      },
      anthropic,
      openAi,
    );
    assert.deepEqual(upstream.messages.map((message: any) => message.role), ['user', 'assistant', 'tool', 'tool', 'user']);
    assert.deepEqual(upstream.messages[1].tool_calls.map((call: any) => [call.id, JSON.parse(call.function.arguments)]), [
      ['toolu_1', { city: 'Paris' }],
      ['toolu_2', { city: 'Tokyo' }],
    ]);
    assert.deepEqual(upstream.messages.slice(2, 4).map((message: any) => message.tool_call_id), ['toolu_1', 'toolu_2']);
  });

  it('#10 an empty assistant content next to tool calls sends no empty text block', () => {
    const upstream = convertRequest(
      {
        model: 'claude-test',
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        ],
      },
      openAi,
      anthropic,
    );
    const assistant = upstream.messages[1];
    assert.ok(Array.isArray(assistant.content));
    assert.ok(!assistant.content.some((block: any) => block.type === 'text' && block.text === ''), 'empty text block');
    assert.deepEqual(assistant.content.find((block: any) => block.type === 'tool_use').input, {}, '"" arguments become {}');
  });

  it('#11 no cache_control reaches an OpenAI upstream', () => {
    const ephemeral = { type: 'ephemeral' };
    const upstream = convertRequest(
      {
        model: 'gpt-test',
        max_tokens: 100,
        system: [{ type: 'text', text: 'Be brief.', cache_control: ephemeral }],
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: {} }, cache_control: ephemeral }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: ephemeral }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {}, cache_control: ephemeral }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny', cache_control: ephemeral }] },
        ],
      },
      anthropic,
      openAi,
    );
    assert.ok(!JSON.stringify(upstream).includes('cache_control'), JSON.stringify(upstream));
  });

  it('#12 thinking blocks and their signatures survive: stream → history → next Anthropic request', async () => {
    // An Anthropic answer with thinking + a tool call, decoded and accumulated as the gateway does…
    const events = await decodeBytes('anthropic-messages', await loadFixtureBytes('anthropic-messages/thinking-tools.sse'), { kind: 'bytes', size: 7 });
    const accumulator = new ResponseAccumulator();
    for (const event of events) accumulator.add(event);
    const answer = anthropic.encodeResponse(accumulator.toResponse()) as any;
    assert.deepEqual(answer.content.map((block: any) => block.type), ['thinking', 'text', 'tool_use']);
    assert.match(answer.content[0].signature, /^EqQB/, 'the signature is kept for the client to send back');

    // …then sent back as history with the tool result: the upstream must get the thinking block unchanged.
    const upstream = convertRequest(
      {
        model: 'claude-test',
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [{ name: 'get_forecast', input_schema: { type: 'object', properties: {} } }],
        messages: [
          { role: 'user', content: 'Will it rain in Oslo tomorrow?' },
          { role: 'assistant', content: [...answer.content, { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3p' }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: answer.content[2].id, content: 'rain' }] },
        ],
      },
      anthropic,
      anthropic,
    );
    const history = upstream.messages[1].content;
    assert.deepEqual(history[0], answer.content[0], 'thinking with its signature, unchanged');
    assert.deepEqual(history.map((block: any) => block.type), ['thinking', 'text', 'tool_use', 'redacted_thinking']);
    assert.equal(history[3].data, 'EmwKAhgBEgy3va3p');
  });

  it('#15 tool names are never rewritten, in tools, tool_choice and history, both ways', () => {
    const name = 'Get-Weather_Now';
    const fromOpenAi = convertRequest(
      {
        model: 'claude-test',
        tools: [{ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } }],
        tool_choice: { type: 'function', function: { name } },
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name, arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
        ],
      },
      openAi,
      anthropic,
    );
    assert.equal(fromOpenAi.tools[0].name, name);
    assert.deepEqual(fromOpenAi.tool_choice, { type: 'tool', name });
    assert.equal(fromOpenAi.messages[1].content.find((block: any) => block.type === 'tool_use').name, name);

    const fromAnthropic = convertRequest(
      {
        model: 'gpt-test',
        max_tokens: 100,
        tools: [{ name, input_schema: { type: 'object', properties: {} } }],
        tool_choice: { type: 'tool', name },
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name, input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
        ],
      },
      anthropic,
      openAi,
    );
    assert.equal(fromAnthropic.tools[0].function.name, name);
    assert.deepEqual(fromAnthropic.tool_choice, { type: 'function', function: { name } });
    assert.equal(fromAnthropic.messages[1].tool_calls[0].function.name, name);
  });

  it('#16 a thinking budget always fits under max_tokens, with no temperature or forced tool', () => {
    for (const effort of ['low', 'medium', 'high']) {
      for (const maxTokens of [undefined, 1025, 1500, 2048, 3000, 8000]) {
        const body: Record<string, unknown> = { model: 'claude-test', reasoning_effort: effort, temperature: 0.7, messages: [{ role: 'user', content: 'hi' }] };
        if (maxTokens !== undefined) body.max_completion_tokens = maxTokens;
        const upstream = convertRequest(body, openAi, anthropic);
        const where = `effort ${effort}, max ${maxTokens}`;
        assert.ok(Number.isInteger(upstream.max_tokens) && upstream.max_tokens > 0, where);
        if (upstream.thinking?.type === 'enabled') {
          assert.ok(upstream.thinking.budget_tokens >= 1024, `${where}: budget ${upstream.thinking.budget_tokens} below 1024`);
          assert.ok(upstream.thinking.budget_tokens < upstream.max_tokens, `${where}: budget ${upstream.thinking.budget_tokens} ≥ max_tokens ${upstream.max_tokens}`);
        }
        if (upstream.thinking && upstream.thinking.type !== 'disabled') {
          assert.ok(upstream.temperature === undefined || upstream.temperature === 1, `${where}: temperature with thinking`);
        }
      }
    }
  });

  it('system and developer prompts anywhere are hoisted into Anthropic system, in order', () => {
    const upstream = convertRequest(
      {
        model: 'claude-test',
        messages: [
          { role: 'system', content: 'First.' },
          { role: 'user', content: 'hi' },
          { role: 'developer', content: [{ type: 'text', text: 'Second.' }] },
        ],
      },
      openAi,
      anthropic,
    );
    const system = typeof upstream.system === 'string' ? upstream.system : upstream.system.map((block: any) => block.text).join('\n');
    assert.equal(system, 'First.\nSecond.');
    assert.deepEqual(upstream.messages.map((message: any) => message.role), ['user']);
    assert.equal(upstream.max_tokens, defaultMaxTokens, 'the default when the OpenAI client sends none');
  });

  it('images: base64 data URLs and https URLs both ways', () => {
    const png = 'iVBORw0KGgo=';
    const upstream = convertRequest(
      {
        model: 'claude-test',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
            ],
          },
        ],
      },
      openAi,
      anthropic,
    );
    assert.deepEqual(upstream.messages[0].content.slice(1), [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
    const back = convertRequest({ model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user', content: upstream.messages[0].content }] }, anthropic, openAi);
    const urls = back.messages[0].content.filter((part: any) => part.type === 'image_url').map((part: any) => part.image_url.url);
    assert.deepEqual(urls, [`data:image/png;base64,${png}`, 'https://example.com/cat.jpg']);
  });
});
