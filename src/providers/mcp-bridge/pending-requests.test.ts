import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'gpt-tokenizer';
import type { CanonicalRequest } from '../../core/canonical-request.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import { estimateRequestTokens } from '../../core/token-count.ts';
import type { McpProviderConfig } from './config.ts';
import { BridgeRefusal, PendingRequests } from './pending-requests.ts';

const desk: McpProviderConfig = { name: 'desk', type: 'mcp', timeoutMs: 60_000 };
const otherDesk: McpProviderConfig = { name: 'other', type: 'mcp', timeoutMs: 60_000 };

function chatRequest(text: string, extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: 'bridge-model', system: [], messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: true, streamUsageRequested: false, ...extra };
}

let nextId = 0;
function submit(requests: PendingRequests, provider = desk, request = chatRequest('hello')) {
  return requests.add({ id: `req_${nextId++}`, provider, request, clientProtocol: 'openai-chat' });
}

async function readAll(stream: ReadableStream<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream as unknown as AsyncIterable<StreamEvent>) events.push(event);
  return events;
}

const never = new AbortController().signal;

describe('pending requests of the MCP bridge', () => {
  it('sends nothing until the first chunk, then each chunk as it is answered, then usage and finish', async () => {
    const requests = new PendingRequests();
    const pending = submit(requests);
    const reader = pending.events.getReader();
    let settled = false;
    const first = reader.read().then((result) => ((settled = true), result));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(settled, false, 'the stream is silent while nobody answers');

    requests.answer(pending.id, { text: 'Hello', toolCalls: [] }, false);
    const start = (await first).value;
    assert.ok(start?.type === 'message-start');
    assert.equal(start.id, pending.id);
    assert.equal(start.model, 'bridge-model');
    assert.equal((await reader.read()).value?.type, 'usage');
    assert.deepEqual((await reader.read()).value, { type: 'text-delta', text: 'Hello' });
    assert.equal(pending.state, 'answering');

    requests.answer(pending.id, { text: ', world', toolCalls: [] }, true);
    const rest: StreamEvent[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest.push(value);
    }
    assert.deepEqual(rest, [
      { type: 'text-delta', text: ', world' },
      {
        type: 'usage',
        usage: { inputTokens: estimateRequestTokens(pending.request), outputTokens: encode('Hello, world').length, cacheReadTokens: 0, cacheWriteTokens: 0 },
      },
      { type: 'finish', finish: { reason: 'stop', raw: null } },
    ]);
    assert.deepEqual(requests.list(), [], 'an answered request leaves the bridge');
  });

  it('streams tool calls as complete arguments and finishes with tool-calls', async () => {
    const requests = new PendingRequests();
    const tools = [{ name: 'get_weather', inputSchema: { type: 'object' } }];
    const pending = submit(requests, desk, chatRequest('weather?', { tools }));
    requests.answer(pending.id, { text: 'Let me look.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, true);
    const events = await readAll(pending.events);
    const start = events.find((event) => event.type === 'tool-call-start');
    assert.ok(start && start.type === 'tool-call-start');
    assert.equal(start.name, 'get_weather');
    assert.match(start.id, /^call_/, 'an OpenAI client gets an OpenAI-shaped id');
    assert.deepEqual(events.find((event) => event.type === 'tool-call-delta'), { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":"Paris"}' });
    assert.deepEqual(events.at(-1), { type: 'finish', finish: { reason: 'tool-calls', raw: null } });
  });

  it('refuses tool calls the request did not offer, and empty chunks that are not the last', () => {
    const requests = new PendingRequests();
    const plain = submit(requests);
    assert.throws(() => requests.answer(plain.id, { text: '', toolCalls: [{ name: 'x', arguments: {} }] }, true), /offered no tools/);
    const withTools = submit(requests, desk, chatRequest('hi', { tools: [{ name: 'a', inputSchema: {} }, { name: 'b', inputSchema: {} }] }));
    assert.throws(() => requests.answer(withTools.id, { text: '', toolCalls: [{ name: 'c', arguments: {} }] }, true), /no tool named "c"; its tools are: a, b/);
    assert.throws(() => requests.answer(plain.id, { text: '', toolCalls: [] }, false), /Nothing to send/);
    assert.equal(requests.list().length, 2, 'a refused answer leaves the request open');
  });

  it('fails before any chunk with the error as the first event, so the gateway can still answer with an HTTP error', async () => {
    const requests = new PendingRequests();
    const pending = submit(requests);
    requests.fail(pending.id, 'I cannot answer that');
    const events = await readAll(pending.events);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.ok(event.type === 'error');
    assert.equal(event.error.kind, 'api_error');
    assert.equal(event.error.message, 'I cannot answer that');
    assert.throws(() => requests.answer(pending.id, { text: 'late', toolCalls: [] }, true), /no longer open: it was already failed/);
  });

  it('times out with a timeout error as the first event when nobody answers', async () => {
    const requests = new PendingRequests();
    const pending = submit(requests, { name: 'quick', type: 'mcp', timeoutMs: 20 });
    const events = await readAll(pending.events);
    assert.equal(events.length, 1);
    assert.ok(events[0].type === 'error');
    assert.equal(events[0].error.kind, 'timeout');
    assert.equal(events[0].error.status, 504);
    assert.match(events[0].error.message, /No MCP client answered this request within 0.02 s/);
    assert.throws(() => requests.answer(pending.id, { text: 'late', toolCalls: [] }, true), /no longer open: it timed out/);
  });

  it('times out in-band when chunks stop coming before the answer is done', async () => {
    const requests = new PendingRequests();
    const pending = submit(requests, { name: 'quick', type: 'mcp', timeoutMs: 50 });
    requests.answer(pending.id, { text: 'Partial', toolCalls: [] }, false);
    const events = await readAll(pending.events);
    assert.deepEqual(
      events.map((event) => event.type),
      ['message-start', 'usage', 'text-delta', 'error'],
    );
    const last = events.at(-1)!;
    assert.ok(last.type === 'error');
    assert.match(last.error.message, /stopped answering/);
  });

  it('removes a request whose stream is cancelled or whose client aborted', async () => {
    const requests = new PendingRequests();
    const cancelled = submit(requests);
    const aborted = submit(requests);
    await cancelled.events.cancel();
    aborted.abandon(new Error('client gone'));
    assert.deepEqual(requests.list(), []);
    assert.throws(() => requests.answer(cancelled.id, { text: 'x', toolCalls: [] }, true), /its client disconnected/);
    await assert.rejects(aborted.events.getReader().read(), /client gone/);
  });

  it('tells unknown ids apart from ended ones', () => {
    const requests = new PendingRequests();
    assert.throws(() => requests.fail('mcp_nope', 'x'), (error: unknown) => error instanceof BridgeRefusal && /Unknown request id "mcp_nope"/.test(error.message));
  });

  describe('waiting for requests', () => {
    it('returns each request to one wait only, oldest first, and waits for the next one to arrive', async () => {
      const requests = new PendingRequests();
      const first = submit(requests);
      const second = submit(requests);
      assert.equal(await requests.waitForNew(0, never), first);
      assert.equal(await requests.waitForNew(0, never), second);
      assert.equal(await requests.waitForNew(0, never), undefined, 'both were returned already');
      assert.equal(requests.list().length, 2, 'returned requests stay listed until answered');

      const waiting = requests.waitForNew(60_000, never);
      const third = submit(requests);
      assert.equal(await waiting, third);
    });

    it('gives up after its timeout or when its caller goes away, and then takes no request', async () => {
      const requests = new PendingRequests();
      assert.equal(await requests.waitForNew(10, never), undefined);
      const caller = new AbortController();
      const waiting = requests.waitForNew(60_000, caller.signal);
      caller.abort();
      assert.equal(await waiting, undefined);
      const later = submit(requests);
      assert.equal(later.delivered, false, 'no dead waiter took it');
      assert.equal(await requests.waitForNew(0, never), later);
    });

    it('offers a request again when the wait that took it could not deliver it', async () => {
      const requests = new PendingRequests();
      const pending = submit(requests);
      assert.equal(await requests.waitForNew(0, never), pending);
      const waiting = requests.waitForNew(60_000, never);
      requests.redeliver(pending);
      assert.equal(await waiting, pending);
    });

    it('filters by provider when asked', async () => {
      const requests = new PendingRequests();
      const forOther = submit(requests, otherDesk);
      const forDesk = submit(requests, desk);
      assert.deepEqual(requests.list('desk'), [forDesk]);
      assert.equal(await requests.waitForNew(0, never, 'desk'), forDesk);
      assert.equal(await requests.waitForNew(0, never, 'desk'), undefined);
      assert.equal(await requests.waitForNew(0, never), forOther);
    });
  });
});
