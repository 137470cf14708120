/**
 * Bad requests get a 4xx in the client's own API shape, whose message names the field at fault; never
 * a 500, a stack trace, a hang, or a call to the upstream.
 */
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { anthropicClient, anthropicHeaders, openAiClient, openAiHeaders, post, type RawResponse } from '../support/clients.ts';
import { ANTHROPIC_MODEL, MAX_BODY_BYTES, OPENAI_MODEL, useEndToEnd } from '../support/e2e-setup.ts';

type BadCase = {
  label: string;
  body: unknown;
  headers?: Record<string, string>;
  /** Text the error message must contain: the field at fault (or the offending value). */
  mentions: string;
  statuses?: number[];
};

const userMessage = [{ role: 'user', content: 'hi' }];

const openAiCases: BadCase[] = [
  { label: 'invalid JSON', body: '{"model": "gpt-gateway-test", "messages": [', mentions: 'JSON' },
  { label: 'a JSON array instead of an object', body: '[]', mentions: 'object' },
  {
    label: 'a wrong content type',
    body: JSON.stringify({ model: OPENAI_MODEL, messages: userMessage }),
    headers: { 'content-type': 'text/plain' },
    mentions: 'content-type',
    statuses: [400, 415],
  },
  { label: 'no model', body: { messages: userMessage }, mentions: 'model' },
  { label: 'no messages', body: { model: OPENAI_MODEL }, mentions: 'messages' },
  { label: 'messages as a string', body: { model: OPENAI_MODEL, messages: 'hi' }, mentions: 'messages' },
  { label: 'an unknown role', body: { model: OPENAI_MODEL, messages: [{ role: 'wizard', content: 'hi' }] }, mentions: 'messages[0].role' },
  { label: 'temperature as a string', body: { model: OPENAI_MODEL, messages: userMessage, temperature: 'hot' }, mentions: 'temperature' },
  { label: 'max_tokens as a string', body: { model: OPENAI_MODEL, messages: userMessage, max_tokens: 'ten' }, mentions: 'max_tokens' },
  { label: 'stream as a string', body: { model: OPENAI_MODEL, messages: userMessage, stream: 'yes' }, mentions: 'stream' },
  { label: 'a model no route matches', body: { model: 'no-route-for-this', messages: userMessage }, mentions: 'no-route-for-this', statuses: [400, 404] },
  {
    label: `a body over the ${MAX_BODY_BYTES}-byte limit`,
    body: { model: OPENAI_MODEL, messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY_BYTES + 1000) }] },
    mentions: 'limit',
    statuses: [413],
  },
];

const anthropicCases: BadCase[] = [
  { label: 'invalid JSON', body: '{"model": "claude-gateway-test", "max_tokens": 5, ', mentions: 'JSON' },
  { label: 'a JSON array instead of an object', body: '[]', mentions: 'object' },
  {
    label: 'a wrong content type',
    body: JSON.stringify({ model: ANTHROPIC_MODEL, max_tokens: 10, messages: userMessage }),
    headers: { 'content-type': 'text/plain' },
    mentions: 'content-type',
    statuses: [400, 415],
  },
  { label: 'no model', body: { max_tokens: 10, messages: userMessage }, mentions: 'model' },
  { label: 'no messages', body: { model: ANTHROPIC_MODEL, max_tokens: 10 }, mentions: 'messages' },
  { label: 'no max_tokens', body: { model: ANTHROPIC_MODEL, messages: userMessage }, mentions: 'max_tokens' },
  { label: 'max_tokens as a string', body: { model: ANTHROPIC_MODEL, max_tokens: 'ten', messages: userMessage }, mentions: 'max_tokens' },
  { label: 'content as a number', body: { model: ANTHROPIC_MODEL, max_tokens: 10, messages: [{ role: 'user', content: 42 }] }, mentions: 'messages[0].content' },
  { label: 'system as a number', body: { model: ANTHROPIC_MODEL, max_tokens: 10, system: 5, messages: userMessage }, mentions: 'system' },
  { label: 'an unknown role', body: { model: ANTHROPIC_MODEL, max_tokens: 10, messages: [{ role: 'system', content: 'hi' }] }, mentions: 'messages[0].role' },
  {
    label: 'a model no route matches',
    body: { model: 'no-route-for-this', max_tokens: 10, messages: userMessage },
    mentions: 'no-route-for-this',
    statuses: [400, 404],
  },
  {
    label: `a body over the ${MAX_BODY_BYTES}-byte limit`,
    body: { model: ANTHROPIC_MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY_BYTES + 1000) }] },
    mentions: 'limit',
    statuses: [413],
  },
];

function assertClientError(response: RawResponse, badCase: BadCase): void {
  const allowed = badCase.statuses ?? [400];
  assert.ok(allowed.includes(response.status), `status ${response.status}, expected ${allowed.join(' or ')}: ${response.text.slice(0, 300)}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  assert.ok(!response.text.includes('    at '), 'a stack trace reached the client');
}

describe('bad input', () => {
  const setup = useEndToEnd();

  describe('POST /v1/chat/completions answers in OpenAI shape', () => {
    for (const badCase of openAiCases) {
      it(badCase.label, async () => {
        const response = await post(setup.gateway, '/v1/chat/completions', badCase.body, { ...openAiHeaders, ...badCase.headers });
        assertClientError(response, badCase);
        const error = response.json?.error;
        assert.equal(typeof error?.message, 'string', `not an OpenAI error body: ${response.text.slice(0, 300)}`);
        assert.equal(typeof error?.type, 'string');
        assert.ok(error.message.toLowerCase().includes(badCase.mentions.toLowerCase()), `"${error.message}" does not mention ${badCase.mentions}`);
        assert.equal(setup.upstream.requests.length, 0, 'a bad request reached the upstream');
      });
    }

    it('the OpenAI SDK raises BadRequestError for a missing field', async () => {
      const error = await openAiClient(setup.gateway)
        .chat.completions.create({ model: OPENAI_MODEL } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.match(error.message, /messages/);
    });
  });

  describe('POST /v1/messages answers in Anthropic shape', () => {
    for (const badCase of anthropicCases) {
      it(badCase.label, async () => {
        const response = await post(setup.gateway, '/v1/messages', badCase.body, { ...anthropicHeaders, ...badCase.headers });
        assertClientError(response, badCase);
        assert.equal(response.json?.type, 'error', `not an Anthropic error body: ${response.text.slice(0, 300)}`);
        const error = response.json.error;
        assert.equal(typeof error?.type, 'string');
        assert.equal(typeof error?.message, 'string');
        assert.ok(error.message.toLowerCase().includes(badCase.mentions.toLowerCase()), `"${error.message}" does not mention ${badCase.mentions}`);
        if (response.status === 400) assert.equal(error.type, 'invalid_request_error');
        if (response.status === 404) assert.equal(error.type, 'not_found_error');
        if (response.status === 413) assert.equal(error.type, 'request_too_large');
        assert.equal(setup.upstream.requests.length, 0, 'a bad request reached the upstream');
      });
    }

    it('the Anthropic SDK raises BadRequestError for a missing max_tokens', async () => {
      const error = await anthropicClient(setup.gateway)
        .messages.create({ model: ANTHROPIC_MODEL, messages: [{ role: 'user', content: 'hi' }] } as Anthropic.MessageCreateParamsNonStreaming)
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof Anthropic.BadRequestError, String(error));
      assert.match(error.message, /max_tokens/);
    });
  });
});
