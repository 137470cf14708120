/**
 * A client that goes away makes the gateway hang up on the upstream: the upstream sees its response
 * aborted (the connection closed before the end) promptly, on every route, so no upstream keeps
 * generating (and billing) tokens nobody reads.
 *
 * Timing is the behaviour here, so these tests carry a bound: the upstream must see the abort within
 * `promptlyMs` of the client's abort. The issue asks for milliseconds; the bound is generous because
 * the machine is small and shared.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicClient, anthropicHeaders, openAiClient, openAiHeaders } from '../support/clients.ts';
import { ANTHROPIC_MODEL, OPENAI_MODEL, useEndToEnd } from '../support/e2e-setup.ts';
import { routesForAnthropicClient, routesForOpenAiClient, upstreamPath, type Route } from '../support/routes.ts';
import { answerWith, type ReceivedRequest, type ScriptedResponse, type TestUpstream } from '../support/test-upstream.ts';

const promptlyMs = 1000;
const longAnswer = Array.from({ length: 40 }, (_, index) => ` word${index}`);

/** The upstream sends the first events of a long answer, then holds the connection open. */
function stallingAnswer(route: Route) {
  return answerWith({ model: route.model, text: longAnswer }, { onlyFirstEvents: route.upstream === 'anthropic' ? 5 : 3, then: 'stall' });
}

/** Past this, the upstream was never aborted: fail rather than hang (and stay under bun test's 5 s limit). */
const giveUpMs = 3000;

async function assertUpstreamSawAbort(upstream: TestUpstream, abortedAtMs: number): Promise<void> {
  const request: ReceivedRequest = upstream.lastRequest();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const neverAborted = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), giveUpMs)));
  const outcome = await Promise.race([request.outcome, neverAborted]);
  clearTimeout(timer);
  assert.ok(outcome, `the upstream response was still open ${giveUpMs} ms after the client left: the gateway never aborted it`);
  assert.equal(outcome.kind, 'aborted', `the upstream response ended as ${outcome.kind}`);
  const delay = outcome.atMs - abortedAtMs;
  assert.ok(delay < promptlyMs, `the upstream saw the abort ${Math.round(delay)} ms after the client left`);
}

describe('a client that disconnects aborts the upstream request', () => {
  const setup = useEndToEnd();

  for (const route of routesForOpenAiClient) {
    it(`${route.label}: the OpenAI SDK aborts mid-stream`, async () => {
      setup.upstream.enqueue(stallingAnswer(route));
      const controller = new AbortController();
      const stream = await openAiClient(setup.gateway).chat.completions.create(
        { model: route.model, messages: [{ role: 'user', content: 'Talk a lot' }], stream: true },
        { signal: controller.signal },
      );
      let abortedAtMs = 0;
      let text = '';
      try {
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          if (text !== '') {
            abortedAtMs = performance.now();
            controller.abort();
          }
        }
      } catch {
        // The SDK reports its own abort; what matters is what the upstream saw.
      }
      assert.ok(abortedAtMs > 0, 'no text arrived before the stall');
      await assertUpstreamSawAbort(setup.upstream, abortedAtMs);
    });
  }

  for (const route of routesForAnthropicClient) {
    it(`${route.label}: the Anthropic SDK aborts mid-stream`, async () => {
      setup.upstream.enqueue(stallingAnswer(route));
      const stream = anthropicClient(setup.gateway).messages.stream({ model: route.model, max_tokens: 500, messages: [{ role: 'user', content: 'Talk a lot' }] });
      let abortedAtMs = 0;
      const firstText = new Promise<void>((resolve) => stream.once('text', () => resolve()));
      const finished = stream.done().catch(() => undefined);
      await firstText;
      abortedAtMs = performance.now();
      stream.abort();
      await finished;
      await assertUpstreamSawAbort(setup.upstream, abortedAtMs);
    });
  }

  const nonStreaming = [
    { path: '/v1/chat/completions', model: OPENAI_MODEL, headers: openAiHeaders, body: {} },
    { path: '/v1/messages', model: ANTHROPIC_MODEL, headers: anthropicHeaders, body: { max_tokens: 100 } },
  ];
  const upstreamStates: Array<{ label: string; response: Omit<ScriptedResponse, 'path'> }> = [
    { label: 'has not answered yet', response: { hold: true } },
    { label: 'sent its headers but not its body', response: { body: '', headers: { 'content-type': 'application/json' }, then: 'stall' } },
  ];
  for (const { path, model, headers, body } of nonStreaming) {
    for (const { label, response } of upstreamStates) {
      it(`${path}: a client that gives up on a non-streaming request while the upstream ${label} aborts the upstream call`, async () => {
        setup.upstream.enqueue({ path, ...response });
        const controller = new AbortController();
        const pending = fetch(`${setup.gateway.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...body }),
          signal: controller.signal,
        }).catch(() => undefined);
        for (let waited = 0; setup.upstream.requests.length === 0; waited += 5) {
          assert.ok(waited < giveUpMs, 'the request never reached the upstream');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        // Let the gateway receive the upstream's headers, where it sent any.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const abortedAtMs = performance.now();
        controller.abort();
        await pending;
        await assertUpstreamSawAbort(setup.upstream, abortedAtMs);
      });
    }
  }

  it('the gateway still serves every route after the aborts', async () => {
    const openAi = openAiClient(setup.gateway);
    for (const route of routesForOpenAiClient) {
      const completion = await openAi.chat.completions.stream({ model: route.model, messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
      assert.equal(completion.choices[0].message.content, 'Hello from the test upstream.');
    }
    const anthropic = anthropicClient(setup.gateway);
    for (const route of routesForAnthropicClient) {
      const message = await anthropic.messages.stream({ model: route.model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      assert.equal(message.content[0].type === 'text' && message.content[0].text, 'Hello from the test upstream.');
      assert.equal(setup.upstream.lastRequest().path, upstreamPath(route));
    }
  });
});
