/**
 * What every answer of the gateway must look like to a client of the given API, whatever it was sent:
 * an error in that API's exact error shape with a JSON content type, or a well-formed response (JSON or
 * a complete SSE stream). Throws an assertion error naming the request that broke the rule.
 */
import assert from 'node:assert/strict';
import type { StreamEvent } from '../../src/core/stream-events.ts';
import { transcodeAll } from '../../src/core/transcoder.ts';
import { openAiChatProtocol } from '../../src/protocols/openai-chat/index.ts';
import { assertWellFormedAnthropicStream, parseSseText } from '../support/stream-checks.ts';
import type { Api } from './hostile-requests.ts';

export type Answer = { status: number; contentType: string; text: string };

export function assertErrorShape(api: Api, answer: Answer): void {
  assert.match(answer.contentType, /^application\/json/, 'an error without a JSON content type');
  const body = parseJsonOrUndefined(answer.text) as any;
  if (api === 'openai') {
    assert.equal(typeof body?.error?.message, 'string', 'not an OpenAI error body {error:{message,type}}');
    assert.equal(typeof body.error.type, 'string', 'not an OpenAI error body {error:{message,type}}');
  } else {
    assert.equal(body?.type, 'error', 'not an Anthropic error body {type:"error",error:{type,message}}');
    assert.equal(typeof body.error?.type, 'string', 'not an Anthropic error body {type:"error",error:{type,message}}');
    assert.equal(typeof body.error.message, 'string', 'not an Anthropic error body {type:"error",error:{type,message}}');
  }
  assert.ok(!answer.text.includes('    at '), 'a stack trace reached the client');
}

/** A 2xx answer to a chat request: a complete response, or a complete stream when one was asked for. */
export function assertWellFormedChatAnswer(api: Api, answer: Answer, streamAsked: boolean): void {
  if (streamAsked) {
    assert.match(answer.contentType, /^text\/event-stream/, 'a streaming request answered without an event stream');
    if (api === 'openai') assertCompleteOpenAiStream(answer.text);
    else assertWellFormedAnthropicStream(anthropicEventsOf(answer.text));
    if (api === 'anthropic') assert.equal(anthropicEventsOf(answer.text).at(-1)?.type, 'message_stop', 'the stream ended in an error');
    return;
  }
  assert.match(answer.contentType, /^application\/json/, 'a response without a JSON content type');
  const body = parseJsonOrUndefined(answer.text) as any;
  if (api === 'openai') {
    assert.equal(body?.object, 'chat.completion', 'not a chat.completion');
    assert.equal(typeof body.id, 'string');
    assert.equal(body.choices?.[0]?.message?.role, 'assistant');
    assert.equal(typeof body.choices[0].finish_reason, 'string');
    assert.equal(typeof body.usage?.prompt_tokens, 'number');
    assert.equal(typeof body.usage.completion_tokens, 'number');
  } else {
    assert.equal(body?.type, 'message', 'not a message');
    assert.equal(body.role, 'assistant');
    assert.ok(Array.isArray(body.content), 'content is not an array');
    for (const block of body.content) assert.equal(typeof block?.type, 'string', 'a content block without a type');
    assert.equal(typeof body.stop_reason, 'string');
    assert.equal(typeof body.usage?.input_tokens, 'number');
    assert.equal(typeof body.usage.output_tokens, 'number');
  }
}

/** Every chunk a chat.completion.chunk of one id, `[DONE]` last, and a finish before it (no in-band error). */
function assertCompleteOpenAiStream(text: string): void {
  const records = parseSseText(text);
  assert.equal(records.at(-1)?.data, '[DONE]', 'the stream does not end with [DONE]');
  const chunks = records.slice(0, -1).map((record) => parseJsonOrUndefined(record.data) as any);
  const ids = new Set(chunks.map((chunk) => chunk?.id));
  assert.equal(ids.size, 1, 'chunks of more than one id (or not JSON)');
  for (const chunk of chunks) assert.equal(chunk.object, 'chat.completion.chunk');
  const events: StreamEvent[] = transcodeAll(openAiChatProtocol.createStreamDecoder(), records);
  assert.equal(events[0]?.type, 'message-start');
  assert.ok(events.some((event) => event.type === 'finish'), 'no finish_reason in the stream');
  assert.ok(!events.some((event) => event.type === 'error'), 'the stream carries an error');
}

function anthropicEventsOf(text: string): Array<{ type: string }> {
  return parseSseText(text).map((record) => {
    const event = parseJsonOrUndefined(record.data) as { type?: unknown } | undefined;
    assert.equal(typeof event?.type, 'string', `an SSE event that is not a typed JSON object: ${record.data.slice(0, 200)}`);
    assert.equal(record.event, event!.type, 'the SSE event name differs from data.type');
    return event as { type: string };
  });
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
