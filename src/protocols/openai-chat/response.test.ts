import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyUsage, type CanonicalResponse } from '../../core/canonical-response.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { loadJsonFixture } from '../../../test/fixtures/load-fixture.ts';
import { decodeResponse } from './decode-response.ts';
import { encodeResponse } from './encode-response.ts';

const completion = (message: Record<string, unknown>, finishReason: string | null = 'stop', extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
  ...extra,
});

describe('decodeResponse', () => {
  it('decodes a recorded text response with cached tokens inside the prompt tokens (§8 #7)', async () => {
    const response = decodeResponse(await loadJsonFixture('openai-chat/text.json'));
    assert.deepEqual(response, {
      id: 'chatcmpl-CJxCa9wRt5Yp3Nm7KqLs1ZvGd8EhU',
      model: 'gpt-4.1-mini-2025-04-14',
      created: 1758557160,
      content: [{ type: 'text', text: 'Hello! How can I help you today?' }],
      finish: { reason: 'stop', raw: 'stop' },
      usage: { inputTokens: 1433, outputTokens: 10, cacheReadTokens: 1280, cacheWriteTokens: 0, reasoningTokens: 0 },
      usageReported: true,
    });
  });

  it('decodes recorded parallel tool calls with parsed arguments and exact names', async () => {
    const response = decodeResponse(await loadJsonFixture('openai-chat/tool-calls.json'));
    assert.deepEqual(response.content, [
      { type: 'tool-call', id: 'call_Xq3ZfV8mL2nR7tKd0PbW9sJe', name: 'get_weather', input: { city: 'Paris, France', unit: 'celsius' } },
      { type: 'tool-call', id: 'call_4hYtG1cNw6uE3oAiM8rBvK5p', name: 'GetLocalTime', input: { timezone: 'Asia/Tokyo' } },
    ]);
    assert.deepEqual(response.finish, { reason: 'tool-calls', raw: 'tool_calls' });
  });

  it('puts DeepSeek reasoning_content first, as a reasoning part', async () => {
    const response = decodeResponse(await loadJsonFixture('openai-chat/reasoning.json'));
    assert.deepEqual(response.content.map((part) => part.type), ['reasoning', 'text']);
    assert.equal(response.usage.reasoningTokens, 83);
  });

  it('says tool-calls when tool calls are present even if finish_reason says stop (§8 #8)', () => {
    const response = decodeResponse(completion({ content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, 'stop'));
    assert.deepEqual(response.finish, { reason: 'tool-calls', raw: 'stop' });
  });

  it('keeps cut-off tool arguments as text, turns a refusal into text, and marks missing usage', () => {
    const response = decodeResponse(
      completion({ content: null, refusal: "I can't help with that.", tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }, 'length'),
    );
    assert.deepEqual(response.content, [
      { type: 'text', text: "I can't help with that." },
      { type: 'tool-call', id: 'c', name: 'f', input: { _partial_json: '{"a":' } },
    ]);
    assert.deepEqual(response.finish, { reason: 'length', raw: 'length' });
    assert.equal(response.usageReported, false);
    assert.deepEqual(response.usage, emptyUsage());
  });

  it('refuses a body without choices as bad_gateway, and reads an error body as the error it is', () => {
    for (const body of [null, 'text', {}, { choices: [] }, { choices: [{ index: 0 }] }]) {
      assert.throws(() => decodeResponse(body), (error: unknown) => error instanceof GatewayError && error.kind === 'bad_gateway', JSON.stringify(body));
    }
    assert.throws(
      () => decodeResponse({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }),
      (error: unknown) => error instanceof GatewayError && error.kind === 'rate_limit' && error.message === 'Rate limit reached',
    );
  });
});

describe('encodeResponse', () => {
  const response = (fields: Partial<CanonicalResponse>): CanonicalResponse => ({
    id: 'msg_01XYZ',
    model: 'claude-sonnet-4-5',
    created: 1758000000,
    content: [],
    finish: { reason: 'stop', raw: 'end_turn' },
    usage: emptyUsage(),
    usageReported: true,
    ...fields,
  });

  it('writes a chat.completion with joined text, reasoning apart and full usage', () => {
    const body = encodeResponse(
      response({
        content: [
          { type: 'reasoning', text: 'Think', signature: 'sig' },
          { type: 'redacted-reasoning', data: 'x' },
          { type: 'text', text: 'The answer ' },
          { type: 'text', text: 'is 42.' },
        ],
        usage: { inputTokens: 2100, outputTokens: 50, cacheReadTokens: 2000, cacheWriteTokens: 0, reasoningTokens: 20 },
      }),
    );
    assert.deepEqual(body, {
      id: 'msg_01XYZ',
      object: 'chat.completion',
      created: 1758000000,
      model: 'claude-sonnet-4-5',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'The answer is 42.', refusal: null, reasoning_content: 'Think' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 2100,
        completion_tokens: 50,
        total_tokens: 2150,
        prompt_tokens_details: { cached_tokens: 2000 },
        completion_tokens_details: { reasoning_tokens: 20 },
      },
    });
  });

  it('writes tool calls with JSON arguments and content null, and omits tool_calls and reasoning_content when absent', () => {
    const withTools = encodeResponse(
      response({ content: [{ type: 'tool-call', id: 'toolu_1', name: 'Read-File', input: { path: 'a.ts' } }], finish: { reason: 'tool-calls', raw: 'tool_use' } }),
    );
    assert.deepEqual(withTools.choices[0].message, {
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'Read-File', arguments: '{"path":"a.ts"}' } }],
    });
    assert.equal(withTools.choices[0].finish_reason, 'tool_calls');
    const plain = encodeResponse(response({ content: [{ type: 'text', text: 'hi' }] }));
    assert.deepEqual(Object.keys(plain.choices[0].message), ['role', 'content', 'refusal']);
  });

  it('generates an id and created when the upstream gave none', () => {
    const body = encodeResponse(response({ id: '', created: undefined }));
    assert.match(body.id, /^chatcmpl-[0-9a-f]{32}$/);
    assert.ok(Math.abs(body.created - Date.now() / 1000) < 24 * 3600);
    assert.equal(body.choices[0].message.content, '');
  });

  it('round-trips recorded responses through decode and encode', async () => {
    for (const name of ['text', 'tool-calls', 'reasoning']) {
      const decoded = decodeResponse(await loadJsonFixture(`openai-chat/${name}.json`));
      assert.deepEqual(decodeResponse(encodeResponse(decoded)), decoded, name);
    }
  });
});
