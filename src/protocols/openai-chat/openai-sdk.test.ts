/**
 * What lessllm writes for OpenAI clients, read by the official `openai` SDK: streams through its
 * ChatCompletionStream helper (which rebuilds tool calls from their indices), responses and errors
 * through its normal parsing and exception classes. The SDK's network call is answered with the
 * encoder's real output.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { emptyUsage } from '../../core/canonical-response.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import { transcodeAll } from '../../core/transcoder.ts';
import { loadSseFixture } from '../../../test/fixtures/load-fixture.ts';
import { createStreamDecoder } from './decode-stream.ts';
import { createStreamEncoder } from './encode-stream.ts';
import { encodeError } from './errors.ts';
import { encodeResponse } from './encode-response.ts';

function clientAnswering(answer: () => Response): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: 'http://localhost/v1', maxRetries: 0, fetch: async () => answer() });
}

function sseResponse(events: StreamEvent[], includeUsage: boolean): Response {
  const text = transcodeAll(createStreamEncoder({ includeUsage }), events).join('');
  return new Response(text, { headers: { 'content-type': 'text/event-stream' } });
}

const request = { model: 'claude-sonnet-4-5', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('the openai SDK reading lessllm output', () => {
  it('rebuilds parallel tool calls and usage from an encoded stream', async () => {
    const events: StreamEvent[] = [
      { type: 'message-start', id: 'msg_01', model: 'claude-sonnet-4-5', created: 1758000000 },
      { type: 'text-delta', text: 'Let me check both.' },
      { type: 'tool-call-start', index: 0, id: 'toolu_01', name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":"Pa' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'ris"}' },
      { type: 'tool-call-start', index: 1, id: 'toolu_02', name: 'GetLocalTime' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"timezone":"Asia/Tokyo"}' },
      { type: 'usage', usage: { inputTokens: 120, outputTokens: 40, cacheReadTokens: 100 } },
      { type: 'finish', finish: { reason: 'tool-calls', raw: 'tool_use' } },
    ];
    const client = clientAnswering(() => sseResponse(events, true));
    const stream = client.chat.completions.stream({ ...request, stream_options: { include_usage: true } });
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0].message;
    assert.equal(message.content, 'Let me check both.');
    assert.deepEqual(
      message.tool_calls?.map((call) => (call.type === 'function' ? [call.id, call.function.name, call.function.arguments] : [])),
      [
        ['toolu_01', 'get_weather', '{"city":"Paris"}'],
        ['toolu_02', 'GetLocalTime', '{"timezone":"Asia/Tokyo"}'],
      ],
    );
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    assert.equal(completion.usage?.prompt_tokens, 120);
    assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 100);
  });

  it('reads a recorded upstream stream re-encoded by lessllm as the same text', async () => {
    const events = transcodeAll(createStreamDecoder(), await loadSseFixture('openai-chat/unicode.sse'));
    const client = clientAnswering(() => sseResponse(events, false));
    let text = '';
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    assert.equal(text, '你好！我是你的助手 🤖。こんにちは、世界 🌏 — 안녕하세요 👋🏽 café ✨ 🇫🇷');
  });

  it('raises an in-band error instead of ending the stream normally', async () => {
    const events: StreamEvent[] = [
      { type: 'message-start', id: 'msg_02', model: 'claude-sonnet-4-5' },
      { type: 'text-delta', text: 'partial' },
      { type: 'error', error: new GatewayError('overloaded', 'Overloaded', { upstreamType: 'overloaded_error' }) },
    ];
    const client = clientAnswering(() => sseResponse(events, false));
    const seen: string[] = [];
    await assert.rejects(
      async () => {
        for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
          seen.push(chunk.choices[0]?.delta.content ?? '');
        }
      },
      (error: unknown) => error instanceof OpenAI.APIError && error.message.includes('Overloaded'),
    );
    assert.ok(seen.includes('partial'));
  });

  it('parses an encoded non-streaming response', async () => {
    const body = encodeResponse({
      id: 'msg_03',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'reasoning', text: 'hmm' },
        { type: 'text', text: 'Done.' },
      ],
      finish: { reason: 'stop', raw: 'end_turn' },
      usage: { ...emptyUsage(), inputTokens: 9, outputTokens: 3 },
      usageReported: true,
    });
    const client = clientAnswering(() => Response.json(body));
    const completion = await client.chat.completions.create(request);
    assert.equal(completion.choices[0].message.content, 'Done.');
    assert.equal(completion.usage?.total_tokens, 12);
  });

  it('raises the exception class that matches each encoded error, with retry-after honoured', async () => {
    const cases: Array<[GatewayError, new (...args: never[]) => Error, number, string | null]> = [
      [new GatewayError('rate_limit', 'Too many requests', { retryAfter: '7' }), OpenAI.RateLimitError, 429, 'rate_limit_exceeded'],
      [new GatewayError('billing', 'Your credit balance is too low'), OpenAI.RateLimitError, 429, 'insufficient_quota'],
      [new GatewayError('overloaded', 'Overloaded', { status: 529 }), OpenAI.InternalServerError, 503, null],
      [new GatewayError('authentication', 'invalid x-api-key'), OpenAI.AuthenticationError, 401, 'invalid_api_key'],
      [new GatewayError('invalid_request', 'messages: bad', { param: 'messages' }), OpenAI.BadRequestError, 400, null],
      [new GatewayError('not_found', 'model: not found'), OpenAI.NotFoundError, 404, null],
    ];
    for (const [gatewayError, errorClass, status, code] of cases) {
      const encoded = encodeError(gatewayError);
      const client = clientAnswering(() => Response.json(encoded.body, { status: encoded.status, headers: encoded.headers }));
      await assert.rejects(client.chat.completions.create(request), (error: unknown) => {
        assert.ok(error instanceof errorClass, `${gatewayError.kind} → ${String(error)}`);
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, status);
        assert.equal(error.code ?? null, code);
        assert.ok(error.message.includes(gatewayError.message));
        if (gatewayError.retryAfter !== undefined) assert.equal(error.headers?.get('retry-after'), gatewayError.retryAfter);
        return true;
      });
    }
  });
});
