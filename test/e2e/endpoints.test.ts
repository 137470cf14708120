/**
 * The endpoints around chat: GET /v1/models (OpenAI's list by default, Anthropic's when the client sends
 * `anthropic-version`, as each SDK's models.list() reads it), GET /health, and POST
 * /v1/messages/count_tokens (answered by the upstream on an Anthropic route, counted with the tokenizer otherwise).
 */
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { estimateRequestTokens } from '../../src/core/token-count.ts';
import { anthropicMessagesProtocol } from '../../src/protocols/anthropic-messages/index.ts';
import { anthropicClient, get, openAiClient } from '../support/clients.ts';
import { ANTHROPIC_MODEL, MOCK_MODEL, OPENAI_MODEL, PROVIDER_ANTHROPIC_KEY, useEndToEnd } from '../support/e2e-setup.ts';

/** The literal (non-glob) route names of the standard config: what a model list can name. */
const listedNames = ['alias-anthropic', 'alias-openai'];

describe('models, health and count_tokens', () => {
  const setup = useEndToEnd();

  it('GET /health answers 200', async () => {
    const response = await get(setup.gateway, '/health');
    assert.equal(response.status, 200);
  });

  it('the OpenAI SDK lists the routed models in OpenAI format', async () => {
    const models: OpenAI.Model[] = [];
    for await (const model of openAiClient(setup.gateway).models.list()) models.push(model);
    assert.deepEqual(models.map((model) => model.id).sort(), listedNames);
    for (const model of models) {
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      assert.equal(typeof model.owned_by, 'string');
    }
  });

  it('the Anthropic SDK lists the routed models in Anthropic format', async () => {
    const models: Anthropic.ModelInfo[] = [];
    for await (const model of anthropicClient(setup.gateway).models.list()) models.push(model);
    assert.deepEqual(models.map((model) => model.id).sort(), listedNames);
    for (const model of models) {
      assert.equal(model.type, 'model');
      assert.equal(typeof model.display_name, 'string');
      assert.ok(!Number.isNaN(Date.parse(model.created_at)), 'created_at is an RFC 3339 date');
    }
  });

  it('a raw GET /v1/models without anthropic-version gets the OpenAI list', async () => {
    const response = await get(setup.gateway, '/v1/models');
    assert.equal(response.status, 200);
    assert.equal(response.json.object, 'list');
  });

  it('retrieves a routed model and answers 404 for a model no route matches', async () => {
    const client = openAiClient(setup.gateway);
    const model = await client.models.retrieve(OPENAI_MODEL);
    assert.equal(model.id, OPENAI_MODEL);
    await assert.rejects(client.models.retrieve('no-route-for-this'), OpenAI.NotFoundError);
  });

  it('count_tokens on an Anthropic route is answered by the upstream, with the provider key', async () => {
    setup.upstream.enqueue({ path: '/v1/messages/count_tokens', json: { input_tokens: 4242 } });
    const counted = await anthropicClient(setup.gateway).messages.countTokens({
      model: ANTHROPIC_MODEL,
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    });
    assert.equal(counted.input_tokens, 4242);
    const upstream = setup.upstream.lastRequest();
    assert.equal(upstream.path, '/v1/messages/count_tokens');
    assert.equal(upstream.headers['x-api-key'], PROVIDER_ANTHROPIC_KEY);
    assert.equal(upstream.json.model, ANTHROPIC_MODEL);
    assert.deepEqual(upstream.json.messages, [{ role: 'user', content: 'How many tokens is this?' }]);
  });

  it('count_tokens on an Anthropic alias route sends the upstream model name', async () => {
    await anthropicClient(setup.gateway).messages.countTokens({ model: 'alias-anthropic', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(setup.upstream.lastRequest().json.model, 'claude-upstream-name');
  });

  for (const model of [OPENAI_MODEL, MOCK_MODEL]) {
    it(`count_tokens for ${model} (not Anthropic) is counted with the tokenizer, on its thread: what the same tokenizer counts here`, async () => {
      const client = anthropicClient(setup.gateway);
      const short: Anthropic.MessageCountTokensParams = { model, messages: [{ role: 'user', content: 'Hi' }] };
      const long: Anthropic.MessageCountTokensParams = {
        model,
        system: 'You are a careful assistant.',
        messages: [{ role: 'user', content: 'Please count these words. '.repeat(50) }],
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      };
      const counted = await Promise.all([client.messages.countTokens(short), client.messages.countTokens(long)]);
      const expected = [short, long].map((body) => estimateRequestTokens(anthropicMessagesProtocol.decodeRequest({ max_tokens: 1, ...body })));
      assert.deepEqual(
        counted.map((answer) => answer.input_tokens),
        expected,
      );
      assert.ok(expected[1]! > expected[0]! + 100, `long ${expected[1]} vs short ${expected[0]}`);
      assert.equal(setup.upstream.requests.length, 0, 'no upstream was asked');
      assert.doesNotMatch(setup.gateway.log, /token count thread/, 'the gateway counted on its thread, not on the event loop');
    });
  }

  it('count_tokens for a model with no route is a 404 in Anthropic shape', async () => {
    await assert.rejects(
      anthropicClient(setup.gateway).messages.countTokens({ model: 'no-route-for-this', messages: [{ role: 'user', content: 'hi' }] }),
      (error: unknown) => error instanceof Anthropic.APIError && (error.status === 404 || error.status === 400) && error.message.includes('no-route-for-this'),
    );
  });
});
