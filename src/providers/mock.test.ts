import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from 'gpt-tokenizer';
import { accumulate } from '../core/accumulate.ts';
import type { CanonicalRequest } from '../core/canonical-request.ts';
import { GatewayError } from '../core/gateway-error.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { MockProviderConfig } from '../config/gateway-config.ts';
import { exampleValue, runMock } from './mock.ts';

const provider: MockProviderConfig = { name: 'local', type: 'mock', ttftMs: 0, tokensPerSecond: 0, outputTokens: 12 };

function request(text: string, extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: 'any-model', system: [], messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: true, streamUsageRequested: false, ...extra };
}

async function collect(stream: ReadableStream<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream as unknown as AsyncIterable<StreamEvent>) events.push(event);
  return events;
}

describe('mock provider', () => {
  it('answers with the configured number of tokens, one per text delta, and reports exactly that', async () => {
    const events = await collect(runMock(provider, request('hello')));
    const deltas = events.filter((event) => event.type === 'text-delta');
    assert.equal(deltas.length, 12);
    for (const delta of deltas) assert.equal(encode(delta.type === 'text-delta' ? delta.text : '').length, 1, 'each delta is one token');
    const response = accumulate(events);
    assert.equal(response.usage.outputTokens, 12);
    assert.ok(response.usage.inputTokens > 0);
    assert.equal(response.finish.reason, 'stop');
    assert.equal(response.model, 'any-model');
    assert.equal(events[0].type, 'message-start');
  });

  it('is deterministic', async () => {
    const first = accumulate(await collect(runMock(provider, request('hello'))));
    const second = accumulate(await collect(runMock(provider, request('hello'))));
    assert.deepEqual(first.content, second.content);
  });

  it('stops at max tokens with a length finish', async () => {
    const response = accumulate(await collect(runMock(provider, request('hello', { maxTokens: 3 }))));
    assert.equal(response.usage.outputTokens, 3);
    assert.equal(response.finish.reason, 'length');
  });

  it('obeys mock:tokens=<n>', async () => {
    const response = accumulate(await collect(runMock(provider, request('say a lot mock:tokens=40'))));
    assert.equal(response.usage.outputTokens, 40);
  });

  it('fails before streaming for mock:error=<status>, keeping the status and a retry-after for 429', () => {
    assert.throws(() => runMock(provider, request('mock:error=429')), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 429);
      assert.equal(error.kind, 'rate_limit');
      assert.equal(error.retryAfter, '1');
      return true;
    });
    assert.throws(() => runMock(provider, request('mock:error=529')), (error: unknown) => error instanceof GatewayError && error.kind === 'overloaded');
  });

  it('fails in-band after a few tokens for mock:error=midstream, with no finish', async () => {
    const events = await collect(runMock(provider, request('mock:error=midstream')));
    assert.equal(events.filter((event) => event.type === 'text-delta').length, 3);
    assert.equal(events.at(-1)?.type, 'error');
    assert.equal(events.some((event) => event.type === 'finish'), false);
  });

  it('calls every tool in parallel for mock:tools, arguments streamed in pieces that parse', async () => {
    const tools = [
      { name: 'get_weather', inputSchema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } },
      { name: 'Get-Time', inputSchema: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } } } },
    ];
    const events = await collect(runMock(provider, request('mock:tools', { tools })));
    const starts = events.filter((event) => event.type === 'tool-call-start');
    assert.deepEqual(starts.map((event) => event.type === 'tool-call-start' && [event.index, event.name]), [[0, 'get_weather'], [1, 'Get-Time']]);
    assert.ok(events.filter((event) => event.type === 'tool-call-delta').length > 2, 'arguments arrive in several deltas');
    const response = accumulate(events);
    assert.equal(response.finish.reason, 'tool-calls');
    const calls = response.content.filter((part) => part.type === 'tool-call');
    assert.deepEqual(calls.map((call) => call.type === 'tool-call' && call.input), [{ city: 'mock', days: 1 }, { zone: 'UTC' }]);
  });

  it('paces tokens: the first arrives after ttft_ms, the rest at tokens_per_second', async () => {
    // Timing is this behaviour itself; bounds are loose for a loaded machine.
    const paced: MockProviderConfig = { ...provider, ttftMs: 120, tokensPerSecond: 50, outputTokens: 6 };
    const startedAt = performance.now();
    const times: number[] = [];
    for await (const event of runMock(paced, request('hi')) as unknown as AsyncIterable<StreamEvent>) {
      if (event.type === 'text-delta') times.push(performance.now() - startedAt);
    }
    // The mock keeps an absolute schedule (token i is due ttft + i × 20 ms after the start), so on a loaded
    // machine a late token is followed sooner by the next: what must hold is that none comes before it is due.
    assert.equal(times.length, 6);
    times.forEach((at, index) => assert.ok(at >= 120 + index * 20 - 5, `token ${index} at ${at.toFixed(1)} ms, due at ${120 + index * 20} ms`));
  });

  it('stops producing when cancelled', async () => {
    const paced: MockProviderConfig = { ...provider, ttftMs: 10_000 };
    const reader = runMock(paced, request('hi')).getReader();
    await reader.read(); // message-start
    await reader.cancel();
    assert.deepEqual(await reader.closed, undefined);
  });

  it('builds example arguments from a JSON schema', () => {
    assert.deepEqual(exampleValue({ type: 'object', properties: { a: { type: 'array', items: { type: 'boolean' } }, b: { type: 'null' } } }), { a: [true], b: null });
  });
});
