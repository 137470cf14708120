/**
 * Gateway keys and per-key limits on the running gateway, driven by the real OpenAI and Anthropic SDKs:
 * who gets in (a key in either header, from the config or from a key file holding only its hash; anyone
 * else gets a 401 in their protocol's shape and the upstream hears nothing), what a key may use (model
 * globs, and the model list it sees), how much (requests and tokens per minute, open streams, messages
 * per request), what telemetry records (the key's name, never the key), the MCP endpoint behind the same
 * keys, and what the gateway says, or refuses, at start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { hashKey } from '../../src/security/key-material.ts';
import { get, post, rejectionOf } from '../support/clients.ts';
import { gatewayCommand, RunningGateway } from '../support/gateway.ts';
import { answerWith } from '../support/test-upstream.ts';
import { readLogRows } from '../faults/support/log-rows.ts';
import { parsePrometheusText, samplesOf, type Sample } from '../telemetry/support/prometheus-text.ts';
import { newTrace, upstreamProviders, useObservedGateway, UPSTREAM_ANTHROPIC_KEY, UPSTREAM_OPENAI_KEY } from '../faults/support/observed-gateway.ts';
import { McpDesk } from '../mcp/support/mcp-desk.ts';
import { nextRequest } from '../mcp/support/bridge-setup.ts';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Every gateway key of the keyed gateway; all start with `lk-test-` so a leak is easy to search for. */
const keys = {
  alpha: 'lk-test-alpha-4c1e9a7b2f6d3e80',
  gptOnly: 'lk-test-gpt-only-9b3d5f7a1c2e4068',
  fromFile: 'lk-test-from-file-7e2a4c6b8d0f1357',
  twoPerMinute: 'lk-test-two-per-minute-a1b2c3d4e5f6',
  oneStream: 'lk-test-one-stream-0f1e2d3c4b5a6978',
  tokenBudget: 'lk-test-token-budget-13579bdf2468ace0',
};
const wrongKey = 'lk-test-wrong-0000111122223333';

type ClientKind = 'openai' | 'anthropic';
/**
 * One key per way a call can go, each with a budget of 1000 tokens per minute that a single answer
 * (the upstream reports 900 + 200 tokens) overspends: the limit must count what the upstream reported.
 */
const budgetRoutes: Array<{ client: ClientKind; model: ClientKind; stream: boolean }> = [
  { client: 'openai', model: 'openai', stream: true },
  { client: 'openai', model: 'openai', stream: false },
  { client: 'anthropic', model: 'anthropic', stream: true },
  { client: 'anthropic', model: 'anthropic', stream: false },
  { client: 'openai', model: 'anthropic', stream: true },
  { client: 'anthropic', model: 'openai', stream: false },
];
const budgetCases = budgetRoutes.map((entry, index) => ({ ...entry, key: `lk-test-budget-${index}-5a6b7c8d9e0f1a2b`, name: `budget-${index}` }));
const reportedUsage = { input: 900, output: 200 };
const keyPrefix = 'lk-test-';
const tokensPerMinute = 50;

const openAiModel = 'gpt-listed';
const anthropicModel = 'claude-listed';
const mockModel = 'mock-model';
/** The built-in mock at 20 tokens per second: a stream stays open long enough to overlap another. */
const slowModel = 'slow-mock';
const deskModel = 'bridge-desk';

const openAi = (gateway: RunningGateway, apiKey: string) => new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
const anthropic = (gateway: RunningGateway, apiKey: string) => new Anthropic({ apiKey, baseURL: gateway.url, maxRetries: 0 });
const userMessage = (content: string) => [{ role: 'user' as const, content }];

describe('gateway keys and per-key limits (a gateway with keys)', () => {
  let keyDirectory = '';
  let printedHash = '';
  const setup = useObservedGateway(
    async (upstreams) => {
      // The key file holds only the hash, as printed by `lessllm key hash` reading the key from stdin.
      const hashing = await runLessllm(['key', 'hash'], `${keys.fromFile}\n`);
      assert.equal(hashing.code, 0, hashing.output);
      printedHash = hashing.stdout.trim();
      keyDirectory = mkdtempSync(join(tmpdir(), 'lessllm-keys-'));
      const keyFile = join(keyDirectory, 'keys.yaml');
      writeFileSync(keyFile, stringify({ keys: [{ name: 'from-file', key_sha256: printedHash }] }));
      return {
        auth: {
          keys: [
            { name: 'team-alpha', key: '${ALPHA_KEY}' },
            { name: 'gpt-only', key: keys.gptOnly, models: ['gpt-*'] },
            { name: 'two-per-minute', key: keys.twoPerMinute, limits: { requests_per_minute: 2 } },
            { name: 'one-stream', key: keys.oneStream, limits: { max_concurrent_streams: 1 } },
            { name: 'token-budget', key: keys.tokenBudget, limits: { tokens_per_minute: tokensPerMinute } },
            ...budgetCases.map(({ name, key }) => ({ name, key, limits: { tokens_per_minute: 1000 } })),
          ],
          key_file: keyFile,
        },
        limits: { max_messages: 3 },
        retry: { attempts: 1 },
        providers: {
          ...upstreamProviders(upstreams),
          mock: { type: 'mock' },
          slow: { type: 'mock', tokens_per_second: 20 },
          desk: { type: 'mcp', timeout_ms: 60_000 },
        },
        routes: [
          { match: openAiModel, provider: 'openai-a' },
          { match: anthropicModel, provider: 'anthropic-a' },
          { match: 'claude-*', provider: 'anthropic-a' },
          { match: 'gpt-*', provider: 'openai-a' },
          { match: 'mock-*', provider: 'mock' },
          { match: 'slow-*', provider: 'slow' },
          { match: 'bridge-*', provider: 'desk' },
        ],
      };
    },
    { env: { ALPHA_KEY: keys.alpha } },
  );
  after(() => {
    if (keyDirectory) rmSync(keyDirectory, { recursive: true, force: true });
  });
  const upstream = () => setup.upstreams.a;

  it('refuses a call without a key with 401 in the shape of each protocol, on every API endpoint; the upstream hears nothing', async () => {
    const { gateway } = setup;
    const chat = await post(gateway, '/v1/chat/completions', { model: openAiModel, messages: userMessage('Hi') });
    assertOpenAiUnauthorized(chat);
    const messages = await post(gateway, '/v1/messages', { model: anthropicModel, max_tokens: 10, messages: userMessage('Hi') }, { 'anthropic-version': '2023-06-01' });
    assertAnthropicUnauthorized(messages);
    assertAnthropicUnauthorized(await post(gateway, '/v1/messages/count_tokens', { model: anthropicModel, messages: userMessage('Hi') }, { 'anthropic-version': '2023-06-01' }));
    assertOpenAiUnauthorized(await get(gateway, '/v1/models'));
    assertAnthropicUnauthorized(await get(gateway, '/v1/models', { 'anthropic-version': '2023-06-01' }));
    assertOpenAiUnauthorized(await get(gateway, `/v1/models/${openAiModel}`));
    assert.match(chat.json.error.message, /API key/, 'the message tells the caller what is missing');
    assert.equal(upstream().requests.length, 0, 'nothing reached the upstream');
  });

  it('refuses a wrong key with 401: the SDKs raise AuthenticationError on chat, count_tokens and the model list', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, wrongKey);
    const anthropicClient = anthropic(gateway, wrongKey);
    const refusals = [
      rejectionOf(openAiClient.chat.completions.create({ model: openAiModel, messages: userMessage('Hi') })),
      rejectionOf(openAiClient.chat.completions.create({ model: openAiModel, messages: userMessage('Hi'), stream: true })),
      rejectionOf(openAiClient.models.list()),
    ];
    for (const error of await Promise.all(refusals)) {
      assert.ok(error instanceof OpenAI.AuthenticationError, `OpenAI SDK: ${String(error)}`);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'invalid_api_key');
      assert.equal(error.type, 'invalid_request_error');
      assert.ok(!error.message.includes(wrongKey), 'the presented key is not echoed');
    }
    const anthropicRefusals = [
      rejectionOf(anthropicClient.messages.create({ model: anthropicModel, max_tokens: 10, messages: userMessage('Hi') })),
      rejectionOf(anthropicClient.messages.create({ model: anthropicModel, max_tokens: 10, messages: userMessage('Hi'), stream: true })),
      rejectionOf(anthropicClient.messages.countTokens({ model: anthropicModel, messages: userMessage('Hi') })),
      rejectionOf(anthropicClient.models.list()),
    ];
    for (const error of await Promise.all(anthropicRefusals)) {
      assert.ok(error instanceof Anthropic.AuthenticationError, `Anthropic SDK: ${String(error)}`);
      assert.equal(error.status, 401);
      assert.equal(error.type, 'authentication_error');
      assert.ok(!error.message.includes(wrongKey), 'the presented key is not echoed');
    }
    assert.equal(upstream().requests.length, 0, 'nothing reached the upstream');
  });

  it('refuses the right key in a form no client sends (no Bearer scheme, another scheme, "Bearer" inside x-api-key) with 401', async () => {
    const { gateway } = setup;
    const malformed: Array<Record<string, string>> = [
      { authorization: keys.alpha },
      { authorization: `Basic ${keys.alpha}` },
      { 'x-api-key': `Bearer ${keys.alpha}` },
      { authorization: 'Bearer' },
    ];
    for (const headers of malformed) {
      const label = JSON.stringify(headers);
      const chat = await post(gateway, '/v1/chat/completions', { model: openAiModel, messages: userMessage('Hi') }, headers);
      assert.equal(chat.status, 401, `chat completions with ${label}`);
      assert.equal(chat.json?.error?.code, 'invalid_api_key', label);
      const messages = await post(gateway, '/v1/messages', { model: anthropicModel, max_tokens: 10, messages: userMessage('Hi') }, { 'anthropic-version': '2023-06-01', ...headers });
      assert.equal(messages.status, 401, `messages with ${label}`);
      assert.equal(messages.json?.error?.type, 'authentication_error', label);
    }
    assert.equal(upstream().requests.length, 0, 'nothing reached the upstream');
  });

  it('keeps /health and /metrics open to callers without a key', async () => {
    const health = await get(setup.gateway, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.json?.status, 'ok');
    const metrics = await get(setup.gateway, '/metrics');
    assert.equal(metrics.status, 200, metrics.text.slice(0, 200));
  });

  it('answers the right key as Authorization: Bearer (OpenAI SDK) and as x-api-key (Anthropic SDK); the upstream gets the provider key, never the gateway key', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, keys.alpha);
    const anthropicClient = anthropic(gateway, keys.alpha);
    // Both SDKs, each to an upstream of its own protocol (passed through) and of the other (converted).
    const openAiToOpenAi = await openAiClient.chat.completions.create({ model: openAiModel, messages: userMessage('Hi') });
    const openAiToAnthropic = await openAiClient.chat.completions.create({ model: anthropicModel, messages: userMessage('Hi') });
    const anthropicToAnthropic = await anthropicClient.messages.create({ model: anthropicModel, max_tokens: 50, messages: userMessage('Hi') });
    const anthropicToOpenAi = await anthropicClient.messages.create({ model: openAiModel, max_tokens: 50, messages: userMessage('Hi') });
    const streamed = await anthropicClient.messages.stream({ model: anthropicModel, max_tokens: 50, messages: userMessage('Hi') }).finalMessage();
    const counted = await anthropicClient.messages.countTokens({ model: anthropicModel, messages: userMessage('Hi') });
    for (const completion of [openAiToOpenAi, openAiToAnthropic]) assert.ok(completion.choices[0].message.content, 'an answer');
    for (const message of [anthropicToAnthropic, anthropicToOpenAi, streamed]) assert.equal(message.content[0]?.type, 'text');
    assert.ok(counted.input_tokens > 0);
    assert.ok((await openAiClient.models.list()).data.length > 0);
    assert.ok((await anthropicClient.models.list()).data.length > 0);

    const received = upstream().requests;
    assert.equal(received.length, 6, received.map((request) => request.path).join(', '));
    for (const request of received) {
      const where = `${request.method} ${request.path}`;
      if (request.path === '/v1/chat/completions') {
        assert.equal(request.headers.authorization, `Bearer ${UPSTREAM_OPENAI_KEY}`, where);
        assert.equal(request.headers['x-api-key'], undefined, where);
      } else {
        assert.equal(request.headers['x-api-key'], UPSTREAM_ANTHROPIC_KEY, where);
        assert.equal(request.headers.authorization, undefined, where);
      }
      const everything = JSON.stringify(request.headers) + request.rawBody;
      assert.ok(!everything.includes(keyPrefix), `${where}: a gateway key reached the upstream: ${everything}`);
    }
  });

  it('accepts either header on every endpoint: Bearer from the Anthropic SDK (authToken), x-api-key on the OpenAI endpoint', async () => {
    const { gateway } = setup;
    const bearerAnthropic = new Anthropic({ apiKey: null, authToken: keys.alpha, baseURL: gateway.url, maxRetries: 0 });
    const message = await bearerAnthropic.messages.create({ model: mockModel, max_tokens: 20, messages: userMessage('Hi') });
    assert.equal(message.content[0]?.type, 'text');
    const chat = await post(gateway, '/v1/chat/completions', { model: mockModel, messages: userMessage('Hi') }, { 'x-api-key': keys.alpha });
    assert.equal(chat.status, 200, chat.text);
  });

  it('answers a key from the key file, which holds only the hash `lessllm key hash` printed', async () => {
    assert.equal(printedHash, hashKey(keys.fromFile), '`lessllm key hash` prints the SHA-256 of the key');
    const completion = await openAi(setup.gateway, keys.fromFile).chat.completions.create({ model: openAiModel, messages: userMessage('Hi') });
    assert.ok(completion.choices[0].message.content);
    const message = await anthropic(setup.gateway, keys.fromFile).messages.create({ model: anthropicModel, max_tokens: 20, messages: userMessage('Hi') });
    assert.equal(message.content[0]?.type, 'text');
  });

  it('refuses a key limited to gpt-* the model claude-* with 403 (PermissionDeniedError) and lists only the models it may use', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, keys.gptOnly);
    const anthropicClient = anthropic(gateway, keys.gptOnly);
    const openAiRefusal = await rejectionOf(openAiClient.chat.completions.create({ model: anthropicModel, messages: userMessage('Hi') }));
    assert.ok(openAiRefusal instanceof OpenAI.PermissionDeniedError, String(openAiRefusal));
    assert.equal(openAiRefusal.status, 403);
    assert.equal(openAiRefusal.param, 'model');
    const anthropicRefusal = await rejectionOf(anthropicClient.messages.create({ model: 'claude-anything', max_tokens: 10, messages: userMessage('Hi'), stream: true }));
    assert.ok(anthropicRefusal instanceof Anthropic.PermissionDeniedError, String(anthropicRefusal));
    assert.equal(anthropicRefusal.type, 'permission_error');
    const countRefusal = await rejectionOf(anthropicClient.messages.countTokens({ model: anthropicModel, messages: userMessage('Hi') }));
    assert.ok(countRefusal instanceof Anthropic.PermissionDeniedError, `count_tokens for a model the key may not use: ${String(countRefusal)}`);
    assert.equal(upstream().requests.length, 0, 'a refused model never reaches its upstream');

    const allowed = await anthropicClient.messages.create({ model: openAiModel, max_tokens: 20, messages: userMessage('Hi') });
    assert.equal(allowed.content[0]?.type, 'text', 'gpt-* is allowed, from either SDK');
    assert.deepEqual((await openAiClient.models.list()).data.map((model) => model.id), [openAiModel]);
    assert.deepEqual((await anthropicClient.models.list()).data.map((model) => model.id), [openAiModel]);
    assert.deepEqual(
      (await openAi(gateway, keys.alpha).models.list()).data.map((model) => model.id),
      [openAiModel, anthropicModel],
      'a key without model globs sees every listed model',
    );
    const retrieved = await get(gateway, `/v1/models/${anthropicModel}`, { authorization: `Bearer ${keys.gptOnly}` });
    assert.equal(retrieved.status, 404, 'a model the key may not use does not exist for it');
  });

  it('requests_per_minute: 2 — the third call gets 429 with retry-after in each protocol (RateLimitError); another key is unaffected', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, keys.twoPerMinute);
    const anthropicClient = anthropic(gateway, keys.twoPerMinute);
    await openAiClient.chat.completions.create({ model: mockModel, messages: userMessage('one') });
    await anthropicClient.messages.create({ model: mockModel, max_tokens: 10, messages: userMessage('two') });

    const openAiRefusal = await rejectionOf(openAiClient.chat.completions.create({ model: mockModel, messages: userMessage('three') }));
    assert.ok(openAiRefusal instanceof OpenAI.RateLimitError, String(openAiRefusal));
    assert.equal(openAiRefusal.code, 'rate_limit_exceeded');
    assertRetryAfter(openAiRefusal.headers);
    const anthropicRefusal = await rejectionOf(anthropicClient.messages.create({ model: mockModel, max_tokens: 10, messages: userMessage('four'), stream: true }));
    assert.ok(anthropicRefusal instanceof Anthropic.RateLimitError, String(anthropicRefusal));
    assert.equal(anthropicRefusal.type, 'rate_limit_error');
    assertRetryAfter(anthropicRefusal.headers);
    // 2 per minute refills one request every 30 s: the wait is long, and exactly that long at most.
    assert.ok(Number(anthropicRefusal.headers.get('retry-after')) <= 30);

    const other = await openAi(gateway, keys.alpha).chat.completions.create({ model: mockModel, messages: userMessage('five') });
    assert.ok(other.choices[0].message.content, 'another key still gets answers');
  });

  it('max_concurrent_streams: 1 — a second stream gets 429 while the first is open, and is let in once the first has ended', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, keys.oneStream);
    const anthropicClient = anthropic(gateway, keys.oneStream);
    // 60 tokens at 20 per second: the first stream stays open for about three seconds.
    const first = await openAiClient.chat.completions.create({ model: slowModel, messages: userMessage('A long one. mock:tokens=60'), stream: true });
    const iterator = first[Symbol.asyncIterator]();
    let text = '';
    while (text === '') {
      const next = await iterator.next();
      assert.equal(next.done, false, 'the first stream ended before its first token');
      text += next.value.choices[0]?.delta.content ?? '';
    }

    const secondOpenAi = await rejectionOf(openAiClient.chat.completions.create({ model: slowModel, messages: userMessage('Me too'), stream: true }));
    assert.ok(secondOpenAi instanceof OpenAI.RateLimitError, String(secondOpenAi));
    assert.equal(secondOpenAi.code, 'rate_limit_exceeded');
    assertRetryAfter(secondOpenAi.headers);
    const secondAnthropic = await rejectionOf(anthropicClient.messages.create({ model: slowModel, max_tokens: 100, messages: userMessage('Me too'), stream: true }));
    assert.ok(secondAnthropic instanceof Anthropic.RateLimitError, String(secondAnthropic));
    assertRetryAfter(secondAnthropic.headers);
    const notStreamed = await anthropicClient.messages.create({ model: mockModel, max_tokens: 10, messages: userMessage('Quick question') });
    assert.equal(notStreamed.content[0]?.type, 'text', 'a call that does not stream is not held back by the stream limit');

    let finished = false;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      text += next.value.choices[0]?.delta.content ?? '';
      finished ||= Boolean(next.value.choices[0]?.finish_reason);
    }
    assert.ok(finished, 'the first stream was not disturbed by the refused ones');
    const message = await anthropicClient.messages.stream({ model: slowModel, max_tokens: 100, messages: userMessage('Now me. mock:tokens=3') }).finalMessage();
    assert.equal(message.stop_reason, 'end_turn', 'the next stream is let in once the first has ended');
  });

  it('max_concurrent_streams: 1 — a stream that failed or whose client went away gives its place back', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, keys.oneStream);
    const streamRequest = { model: openAiModel, messages: userMessage('Hi'), stream: true as const };

    upstream().enqueue({ status: 500, json: { error: { message: 'upstream broke', type: 'server_error' } } });
    const failed = await rejectionOf(openAiClient.chat.completions.create(streamRequest));
    assert.ok(failed instanceof OpenAI.InternalServerError, String(failed));
    assert.ok(await collectOpenAiStream(openAiClient, streamRequest), 'a stream right after a failed one is let in');

    // The upstream keeps this one open; the client gives up on it after its first token.
    upstream().enqueue(answerWith({ model: openAiModel, text: ['First', ' token'] }, { then: 'stall' }));
    const abandon = new AbortController();
    const abandoned = await openAiClient.chat.completions.create(streamRequest, { signal: abandon.signal });
    const iterator = abandoned[Symbol.asyncIterator]();
    await iterator.next();
    abandon.abort();
    // What the SDK had already buffered may still come out before it stops.
    await (async () => {
      while (!(await iterator.next()).done);
    })().catch(() => {});
    // The gateway notices the disconnect a moment later; until then a new stream may still be refused.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const attempt = await collectOpenAiStream(openAiClient, streamRequest).then(
        () => 'answered',
        (error: unknown) => error,
      );
      if (attempt === 'answered') break;
      assert.ok(attempt instanceof OpenAI.RateLimitError, String(attempt));
      assert.ok(Date.now() < deadline, 'the abandoned stream still holds the key\'s only stream 5 s after its client left');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('tokens_per_minute — once a call has used more tokens than the budget, the next one gets 429 with retry-after', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, keys.tokenBudget);
    const expensive = await openAiClient.chat.completions.create({ model: mockModel, messages: userMessage('Write a lot. mock:tokens=80') });
    assert.ok((expensive.usage?.total_tokens ?? 0) > tokensPerMinute, `the first call used ${expensive.usage?.total_tokens} tokens`);

    const openAiRefusal = await rejectionOf(openAiClient.chat.completions.create({ model: mockModel, messages: userMessage('More') }));
    assert.ok(openAiRefusal instanceof OpenAI.RateLimitError, String(openAiRefusal));
    assert.equal(openAiRefusal.code, 'rate_limit_exceeded');
    assertRetryAfter(openAiRefusal.headers);
    const anthropicRefusal = await rejectionOf(anthropic(gateway, keys.tokenBudget).messages.create({ model: mockModel, max_tokens: 10, messages: userMessage('More') }));
    assert.ok(anthropicRefusal instanceof Anthropic.RateLimitError, String(anthropicRefusal));
    assert.equal(anthropicRefusal.type, 'rate_limit_error');
    assertRetryAfter(anthropicRefusal.headers);
  });

  for (const { client, model, stream, key } of budgetCases) {
    const modelName = model === 'openai' ? openAiModel : anthropicModel;
    it(`tokens_per_minute counts the tokens the upstream reported: ${client} client, ${modelName}, ${stream ? 'streamed' : 'not streamed'}`, async () => {
      const { gateway } = setup;
      upstream().enqueue(answerWith({ model: modelName, text: ['Spent', ' it', ' all.'], usage: reportedUsage }));
      if (client === 'openai') {
        const openAiClient = openAi(gateway, key);
        const request = { model: modelName, messages: userMessage('Spend it') };
        if (stream) {
          for await (const chunk of await openAiClient.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) void chunk;
        } else {
          await openAiClient.chat.completions.create(request);
        }
        const refusal = await rejectionOf(openAiClient.chat.completions.create({ model: mockModel, messages: userMessage('Again') }));
        assert.ok(refusal instanceof OpenAI.RateLimitError, String(refusal));
        assertRetryAfter(refusal.headers);
      } else {
        const anthropicClient = anthropic(gateway, key);
        const request = { model: modelName, max_tokens: 300, messages: userMessage('Spend it') };
        if (stream) await anthropicClient.messages.stream(request).finalMessage();
        else await anthropicClient.messages.create(request);
        const refusal = await rejectionOf(anthropicClient.messages.create({ model: mockModel, max_tokens: 10, messages: userMessage('Again') }));
        assert.ok(refusal instanceof Anthropic.RateLimitError, String(refusal));
        assertRetryAfter(refusal.headers);
      }
      assert.equal(upstream().requests.length, 1, 'the refused call never reached an upstream');
    });
  }

  it('max_messages: 3 — a request with four messages gets 400 naming messages, in each protocol; three pass', async () => {
    const { gateway } = setup;
    const openAiClient = openAi(gateway, keys.alpha);
    const anthropicClient = anthropic(gateway, keys.alpha);
    const four = [
      { role: 'user' as const, content: 'One' },
      { role: 'assistant' as const, content: 'Two' },
      { role: 'user' as const, content: 'Three' },
      { role: 'assistant' as const, content: 'Four' },
    ];
    const openAiRefusal = await rejectionOf(openAiClient.chat.completions.create({ model: openAiModel, messages: four }));
    assert.ok(openAiRefusal instanceof OpenAI.BadRequestError, String(openAiRefusal));
    assert.equal(openAiRefusal.param, 'messages');
    const anthropicRefusal = await rejectionOf(anthropicClient.messages.create({ model: anthropicModel, max_tokens: 10, messages: four, stream: true }));
    assert.ok(anthropicRefusal instanceof Anthropic.BadRequestError, String(anthropicRefusal));
    assert.equal(anthropicRefusal.type, 'invalid_request_error');
    assert.match(anthropicRefusal.message, /messages/);
    assert.equal(upstream().requests.length, 0, 'a refused request never reaches the upstream');

    const three = four.slice(0, 3);
    assert.ok((await openAiClient.chat.completions.create({ model: openAiModel, messages: three })).choices[0].message.content);
    assert.equal((await anthropicClient.messages.create({ model: anthropicModel, max_tokens: 10, messages: three })).content[0]?.type, 'text');
  });

  it('records the key name in the span (lessllm.key.name) and the log row (key_name), never the key', async () => {
    const { gateway } = setup;
    const openAiTrace = newTrace();
    await openAi(gateway, keys.alpha).chat.completions.create({ model: openAiModel, messages: userMessage('Hi') }, { headers: openAiTrace.headers });
    const anthropicTrace = newTrace();
    await anthropic(gateway, keys.fromFile).messages.stream({ model: anthropicModel, max_tokens: 20, messages: userMessage('Hi') }, { headers: anthropicTrace.headers }).finalMessage();

    for (const [trace, name] of [[openAiTrace, 'team-alpha'], [anthropicTrace, 'from-file']] as const) {
      const span = await setup.callSpan(trace.traceId);
      assert.equal(span.attributes['lessllm.key.name'], name);
      const row = await setup.logRow(trace.traceId);
      assert.equal(row.key_name, name);
    }
    const exported = setup.receiver.everything() + JSON.stringify(await readLogRows(setup.databasePath));
    assert.ok(!exported.includes(keyPrefix), 'no gateway key in spans or log rows');
    assert.ok(!gateway.log.includes(keyPrefix), 'no gateway key in the gateway output');
  });

  it('counts every refused request in lessllm_requests_refused_total by status, error type and API, never by key, model or path', async () => {
    const { gateway } = setup;
    const refused = 'lessllm_requests_refused_total';
    const countsNow = async () => parsePrometheusText((await get(gateway, '/metrics')).text);
    const counted = (samples: Sample[], status: number, errorType: string, api: string | undefined) =>
      samplesOf(samples, refused, { http_response_status_code: String(status), error_type: errorType })
        .filter((sample) => sample.labels.lessllm_client_protocol === api)
        .reduce((sum, sample) => sum + sample.value, 0);
    const anthropicHeaders = { 'anthropic-version': '2023-06-01' };
    const scannedModel = 'gpt-scan-5e1d9c';
    const before = await countsNow();

    assert.equal((await post(gateway, '/v1/chat/completions', { model: scannedModel, messages: userMessage('Hi') })).status, 401);
    assert.equal((await post(gateway, '/v1/messages', { model: anthropicModel, max_tokens: 5, messages: userMessage('Hi') }, { ...anthropicHeaders, 'x-api-key': wrongKey })).status, 401);
    assert.equal((await get(gateway, '/v1/models')).status, 401);
    const gptOnly = { authorization: `Bearer ${keys.gptOnly}` };
    assert.equal((await post(gateway, '/v1/chat/completions', { model: anthropicModel, messages: userMessage('Hi') }, gptOnly)).status, 403);
    const alpha = { authorization: `Bearer ${keys.alpha}` };
    assert.equal((await post(gateway, '/v1/chat/completions', { model: 'no-route-7d1e', messages: userMessage('Hi') }, alpha)).status, 404);
    assert.equal((await post(gateway, '/v1/chat/completions', { model: openAiModel, messages: 'Hi' }, alpha)).status, 400);
    assert.equal((await post(gateway, '/v1/messages/count_tokens', { model: 'no-route-7d1e', messages: userMessage('Hi') }, { ...anthropicHeaders, 'x-api-key': keys.alpha })).status, 404);
    assert.equal((await get(gateway, '/v1/scan-me-3f9a')).status, 404);

    const after = await countsNow();
    const delta = (status: number, errorType: string, api: string | undefined) => counted(after, status, errorType, api) - counted(before, status, errorType, api);
    assert.equal(delta(401, 'authentication', 'openai-chat'), 2, 'chat without a key, and the model list');
    assert.equal(delta(401, 'authentication', 'anthropic-messages'), 1);
    assert.equal(delta(403, 'permission', 'openai-chat'), 1);
    assert.equal(delta(404, 'not_found', 'openai-chat'), 1);
    assert.equal(delta(404, 'not_found', 'anthropic-messages'), 1, 'count_tokens for an unknown model');
    assert.equal(delta(400, 'invalid_request', 'openai-chat'), 1);
    assert.equal(delta(404, 'not_found', undefined), 1, 'a path of neither API');
    const exposed = samplesOf(after, refused).map((sample) => JSON.stringify(sample.labels)).join('\n');
    for (const secretOrChoice of [keyPrefix, scannedModel, 'no-route-7d1e', 'scan-me-3f9a']) assert.ok(!exposed.includes(secretOrChoice), `${secretOrChoice} in ${exposed}`);
  });

  it('guards the MCP endpoint with the same keys: 401 without one or with a wrong one (counted as refused); an MCP client with a key answers calls', async () => {
    const { gateway } = setup;
    await assert.rejects(McpDesk.connect(gateway.url), /401|Unauthorized/, 'no key');
    await assert.rejects(McpDesk.connect(gateway.url, { authorization: `Bearer ${wrongKey}` }), /401|Unauthorized/, 'a wrong key');
    const refusedCount = async () =>
      samplesOf(parsePrometheusText((await get(gateway, '/metrics')).text), 'lessllm_requests_refused_total', { http_response_status_code: '401' })
        .filter((sample) => sample.labels.lessllm_client_protocol === undefined)
        .reduce((sum, sample) => sum + sample.value, 0);
    const countedBefore = await refusedCount();
    const refused = await post(gateway, '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { accept: 'application/json, text/event-stream' });
    assert.equal(refused.status, 401);
    assert.equal((await refusedCount()) - countedBefore, 1, 'counted as refused, without a protocol');

    const desk = await McpDesk.connect(gateway.url, { 'x-api-key': keys.fromFile });
    try {
      const answered = openAi(gateway, keys.alpha).chat.completions.create({ model: deskModel, messages: userMessage('Desk, are you there?') });
      const request = await nextRequest(desk, 'Desk, are you there?');
      await desk.answer({ id: request.id, text: 'Here.' });
      assert.equal((await answered).choices[0].message.content, 'Here.');
    } finally {
      await desk.close();
    }
  });

  it('does not claim at start that no keys are configured', () => {
    assert.ok(!setup.gateway.log.includes('no gateway keys configured'), setup.gateway.log);
  });
});

describe('a gateway without keys', () => {
  let gateway: RunningGateway | undefined;
  let directory = '';
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'lessllm-no-keys-'));
  });
  after(async () => {
    await gateway?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 by default and says at start that no keys are configured and only this machine can reach it', async () => {
    const configPath = join(directory, 'lessllm.yaml');
    writeFileSync(configPath, stringify({ providers: { mock: { type: 'mock' } }, routes: [{ match: '*', provider: 'mock' }] }));
    const { command, args } = gatewayCommand();
    // No --host: the default is what is under test.
    const child = spawn(command, [...args, 'server', '--config', configPath, '--port', '0'], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    gateway = new RunningGateway(child, mkdtempSync(join(directory, 'run-')));
    const url = new URL(await gateway.waitUntilReady());
    assert.equal(url.hostname, '127.0.0.1');
    const noticed = await waitForOutput(gateway, 'only this machine can reach it');
    assert.ok(noticed, gateway.log);
    assert.match(gateway.log, /no gateway keys configured/);
    const answer = await post(gateway, '/v1/chat/completions', { model: 'anything', messages: userMessage('Hi') });
    assert.equal(answer.status, 200, 'without keys every caller is let in');
  });
});

describe('a bad key configuration stops the start', () => {
  let directory = '';
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'lessllm-bad-keys-'));
  });
  after(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  const shortKey = 'lk-too-short-15';
  const base = { providers: { mock: { type: 'mock' } }, routes: [{ match: '*', provider: 'mock' }] };
  const cases: Array<{ name: string; write: (directory: string) => { config: Record<string, unknown>; named: string } }> = [
    {
      name: 'a key file that does not exist',
      write: (at) => ({ config: { ...base, auth: { key_file: join(at, 'missing-keys.yaml') } }, named: join(at, 'missing-keys.yaml') }),
    },
    {
      name: 'a key in the config shorter than 16 characters',
      write: (at) => ({ config: { ...base, auth: { keys: [{ name: 'too-short', key: shortKey }] } }, named: join(at, 'lessllm.yaml') }),
    },
    {
      name: 'a key in the key file shorter than 16 characters',
      write: (at) => {
        const keyFile = join(at, 'short-keys.yaml');
        writeFileSync(keyFile, stringify({ keys: [{ name: 'too-short', key: shortKey }] }));
        return { config: { ...base, auth: { key_file: keyFile } }, named: keyFile };
      },
    },
  ];

  for (const [index, { name, write }] of cases.entries()) {
    it(`${name}: exit code 1 and a message naming the file, without the key`, async () => {
      const at = mkdtempSync(join(directory, `case-${index}-`));
      const { config, named } = write(at);
      writeFileSync(join(at, 'lessllm.yaml'), stringify(config));
      const run = await runLessllm(['server', '--config', join(at, 'lessllm.yaml'), '--port', '0', '--host', '127.0.0.1']);
      assert.equal(run.code, 1, run.output);
      assert.ok(!run.output.includes('lessllm listening on'), run.output);
      assert.ok(run.output.includes(named), `the message names ${named}:\n${run.output}`);
      assert.ok(!run.output.includes(shortKey), `the key is not printed:\n${run.output}`);
    });
  }
});

/** Runs `lessllm` (the program under test) to its end; a server that starts after all is stopped at once. */
async function runLessllm(args: string[], input?: string): Promise<{ code: number | null; stdout: string; output: string }> {
  const { command, args: prefix } = gatewayCommand();
  const child = spawn(command, [...prefix, ...args], { cwd: repositoryRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let output = '';
  child.stdout.on('data', (piece: Buffer) => {
    stdout += piece.toString('utf8');
    output += piece.toString('utf8');
    if (output.includes('lessllm listening on')) child.kill('SIGTERM');
  });
  child.stderr.on('data', (piece: Buffer) => (output += piece.toString('utf8')));
  child.stdin.end(input ?? '');
  // Deno compiles the sources on a cold start; a minute is far more than any start takes.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, output };
}

async function waitForOutput(gateway: RunningGateway, text: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (!gateway.log.includes(text)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

function assertOpenAiUnauthorized(response: { status: number; json: any; text: string }): void {
  assert.equal(response.status, 401, response.text);
  assert.equal(response.json?.error?.type, 'invalid_request_error', response.text);
  assert.equal(response.json?.error?.code, 'invalid_api_key', response.text);
}

function assertAnthropicUnauthorized(response: { status: number; json: any; text: string }): void {
  assert.equal(response.status, 401, response.text);
  assert.equal(response.json?.type, 'error', response.text);
  assert.equal(response.json?.error?.type, 'authentication_error', response.text);
}

function assertRetryAfter(headers: Headers | undefined): void {
  const value = headers?.get('retry-after');
  assert.ok(value !== null && value !== undefined && /^\d+$/.test(value) && Number(value) >= 1, `retry-after in whole seconds, at least 1 (got ${value})`);
}

async function collectOpenAiStream(client: OpenAI, request: OpenAI.ChatCompletionCreateParamsStreaming): Promise<string> {
  let text = '';
  for await (const chunk of await client.chat.completions.create(request)) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

