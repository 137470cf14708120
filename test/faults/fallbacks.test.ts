/**
 * Fallbacks: a route with several targets answers from the first one that works, across protocols (an
 * OpenAI upstream failing, an Anthropic upstream answering an OpenAI client); telemetry names the
 * provider that answered and counts every upstream request. The weighted strategy spreads calls by
 * weight, and still falls back when its first pick fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicClient, openAiClient } from '../support/clients.ts';
import { freePort } from '../support/loopback.ts';
import { anthropicErrorBody, DEFAULT_ANSWER_TEXT, openAiErrorBody } from '../support/upstream-answers.ts';
import { attemptEvents, newTrace, upstreamProviders, useObservedGateway } from './support/observed-gateway.ts';
import { readCall, sendChat } from './support/raw-calls.ts';

const quickRetry = { attempts: 2, backoff_ms: 10, max_backoff_ms: 20 };
const answer = DEFAULT_ANSWER_TEXT.join('');
const weightedCalls = 200;

describe('fallbacks', () => {
  const setup = useObservedGateway(async (upstreams) => ({
    providers: {
      ...upstreamProviders(upstreams),
      // Nothing listens there: every request is refused.
      'openai-dead': { type: 'openai', base_url: `http://127.0.0.1:${await freePort()}/v1`, api_key: 'sk-dead' },
    },
    retry: quickRetry,
    routes: [
      { match: 'fallback', targets: [{ provider: 'openai-a', model: 'gpt-first' }, { provider: 'openai-b', model: 'gpt-second' }] },
      { match: 'mixed', targets: [{ provider: 'openai-a', model: 'gpt-first' }, { provider: 'anthropic-b', model: 'claude-second' }] },
      { match: 'refused', targets: [{ provider: 'openai-dead', model: 'gpt-nowhere' }, { provider: 'anthropic-b', model: 'claude-second' }] },
      {
        match: 'weighted',
        strategy: 'weighted',
        retry: { attempts: 1 },
        targets: [
          { provider: 'openai-a', model: 'gpt-heavy', weight: 3 },
          { provider: 'openai-b', model: 'gpt-light', weight: 1 },
        ],
      },
    ],
  }));
  it('the first target fails every try: the second answers; telemetry names it and counts every request', async () => {
    setup.upstreams.a.enqueue(
      { path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'A is down') },
      { path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'A is still down') },
    );
    const trace = newTrace();
    const completion = await openAiClient(setup.gateway).chat.completions.create(
      { model: 'fallback', messages: [{ role: 'user', content: 'hi' }] },
      { headers: trace.headers },
    );
    assert.equal(completion.choices[0].message.content, answer);
    assert.equal(setup.upstreams.a.requests.length, quickRetry.attempts, 'A was tried and retried');
    assert.equal(setup.upstreams.b.requests.length, 1);
    assert.equal(setup.upstreams.b.lastRequest().json.model, 'gpt-second');

    const span = await setup.callSpan(trace.traceId);
    assert.equal(span.attributes['lessllm.provider'], 'openai-b');
    assert.equal(span.attributes['lessllm.attempts'], 3);
    assert.equal(span.attributes['error.type'], undefined);
    const events = attemptEvents(span);
    assert.deepEqual(events.map((event) => event.attributes['lessllm.provider']), ['openai-a', 'openai-a']);
    assert.deepEqual(events.map((event) => event.attributes['gen_ai.request.model']), ['gpt-first', 'gpt-first']);
    const row = await setup.logRow(trace.traceId);
    assert.equal(row.provider, 'openai-b');
    assert.equal(row.attempts, 3);
  });

  it('mixed protocols: an OpenAI upstream failing, an Anthropic upstream answers the OpenAI client (streamed)', async () => {
    setup.upstreams.a.enqueue(
      { path: '/v1/chat/completions', status: 503, json: openAiErrorBody(503, 'busy') },
      { path: '/v1/chat/completions', status: 503, json: openAiErrorBody(503, 'still busy') },
    );
    const trace = newTrace();
    const stream = openAiClient(setup.gateway).chat.completions.stream({ model: 'mixed', messages: [{ role: 'user', content: 'hi' }] }, { headers: trace.headers });
    const completion = await stream.finalChatCompletion();
    assert.equal(completion.choices[0].message.content, answer);
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.equal(setup.upstreams.b.lastRequest().path, '/v1/messages');
    assert.equal(setup.upstreams.b.lastRequest().json.model, 'claude-second');

    const span = await setup.callSpan(trace.traceId);
    assert.equal(span.attributes['lessllm.provider'], 'anthropic-b');
    assert.equal(span.attributes['gen_ai.provider.name'], 'anthropic');
    assert.equal(span.attributes['lessllm.route'], 'converted');
    assert.equal(span.attributes['lessllm.attempts'], 3);
  });

  it('mixed protocols, the Anthropic client: the OpenAI upstream fails, the Anthropic upstream answers it as passthrough', async () => {
    setup.upstreams.a.enqueue(
      { path: '/v1/chat/completions', status: 529, json: anthropicErrorBody(529, 'Overloaded') },
      { path: '/v1/chat/completions', status: 529, json: anthropicErrorBody(529, 'Overloaded') },
    );
    const message = await anthropicClient(setup.gateway).messages.stream({ model: 'mixed', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    assert.equal(message.content[0].type === 'text' ? message.content[0].text : '', answer);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(setup.upstreams.a.requests.length, 2);
    assert.equal(setup.upstreams.b.requests.length, 1);
  });

  it('a first target that refuses connections: the second answers (retried first, then moved on)', async () => {
    const trace = newTrace();
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'refused', stream: true, headers: trace.headers }));
    assert.equal(call.ending, 'complete');
    assert.equal(call.outputText, answer);
    const span = await setup.callSpan(trace.traceId);
    assert.equal(span.attributes['lessllm.provider'], 'anthropic-b');
    assert.equal(span.attributes['lessllm.attempts'], 3);
    assert.deepEqual(attemptEvents(span).map((event) => event.attributes['error.type']), ['bad_gateway', 'bad_gateway']);
  });

  it('every target fails: the client gets the last upstream error', async () => {
    setup.upstreams.a.enqueue(
      { path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'A fails') },
      { path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'A fails') },
    );
    setup.upstreams.b.enqueue(
      { path: '/v1/chat/completions', status: 503, json: openAiErrorBody(503, 'B fails first') },
      { path: '/v1/chat/completions', status: 503, json: openAiErrorBody(503, 'B fails last') },
    );
    const trace = newTrace();
    const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'fallback', stream: true, headers: trace.headers }));
    assert.equal(call.status, 503);
    assert.deepEqual(JSON.parse(call.text), openAiErrorBody(503, 'B fails last'));
    assert.equal(setup.upstreams.a.requests.length + setup.upstreams.b.requests.length, 4);
    const span = await setup.callSpan(trace.traceId);
    assert.equal(span.attributes['lessllm.provider'], 'openai-b', 'the last one tried');
    assert.equal(span.attributes['lessllm.attempts'], 4);
    assert.equal(span.attributes['error.type'], 'overloaded');
  });

  it(`weighted 3:1: ${weightedCalls} calls are spread by weight, every one answered`, { timeout: 60_000 }, async () => {
    const statuses = await inBatches(weightedCalls, 10, async () => {
      const call = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'weighted', stream: false }));
      return call.status;
    });
    assert.deepEqual(new Set(statuses), new Set([200]));
    const heavy = setup.upstreams.a.requests.length;
    const light = setup.upstreams.b.requests.length;
    assert.equal(heavy + light, weightedCalls, 'one upstream request per call');
    // Expected 150 : 50. These bounds are so loose that a fair draw never breaks them (heavy ≤ 100 has
    // probability below 1e-12), yet a strategy that ignored the weights or always chose one target would.
    assert.ok(heavy >= weightedCalls * 0.1 && heavy <= weightedCalls * 0.9, `A got ${heavy} of ${weightedCalls}`);
    assert.ok(light >= weightedCalls * 0.1 && light <= weightedCalls * 0.9, `B got ${light} of ${weightedCalls}`);
    assert.ok(heavy > light, `the weight-3 target got more calls (${heavy}) than the weight-1 target (${light})`);
    assert.ok(setup.upstreams.a.requests.every((request) => request.json.model === 'gpt-heavy'));
  });

  it('weighted: when the target drawn first fails, the call falls back to the other one', async () => {
    for (let index = 0; index < 10; index++) setup.upstreams.a.enqueue({ path: '/v1/chat/completions', status: 500, json: openAiErrorBody(500, 'heavy is down') });
    for (let call = 0; call < 10; call++) {
      const result = await readCall('openai', await sendChat(setup.gateway, { client: 'openai', model: 'weighted', stream: true }));
      assert.equal(result.ending, 'complete', result.text);
    }
    assert.equal(setup.upstreams.b.requests.length, 10, 'every call was answered by B, first pick or fallback');
  });
});

/** Runs `count` calls, `concurrency` at a time. */
async function inBatches<T>(count: number, concurrency: number, call: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let started = 0; started < count; started += concurrency) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - started) }, call))));
  }
  return results;
}
