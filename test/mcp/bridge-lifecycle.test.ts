/**
 * What happens to requests waiting in the MCP bridge: several at once, shared between MCP clients,
 * timing out, abandoned by their clients, and answered with ids that are wrong or no longer open.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DESK_MODEL, eventually, nextRequest, QUICK_MODEL, STALL_MODEL, useBridge } from './support/bridge-setup.ts';
import { rejectionOf } from '../support/clients.ts';
import type { RequestView } from './support/mcp-desk.ts';

const lastUserText = (request: RequestView) => {
  const content = request.messages.at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content);
};

describe('requests waiting in the MCP bridge', () => {
  const setup = useBridge();

  it('keeps several pending requests independent, from both client APIs, answered in any order and interleaved', async () => {
    const openAiPlain = setup.openai.chat.completions.create({ model: DESK_MODEL, messages: [{ role: 'user', content: 'question A' }] });
    const openAiStreamed = setup.openai.chat.completions
      .stream({ model: DESK_MODEL, messages: [{ role: 'user', content: 'question B' }] })
      .finalChatCompletion();
    const anthropicPlain = setup.anthropic.messages.create({ model: DESK_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'question C' }] });
    const anthropicStreamed = setup.anthropic.messages
      .stream({ model: DESK_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'question D' }] })
      .finalMessage();

    const open = await eventually(setup.desk, (requests) => requests.length === 4, 'all four requests are listed');
    const byQuestion = new Map(open.map((request) => [lastUserText(request), request]));
    assert.deepEqual([...byQuestion.keys()].sort(), ['question A', 'question B', 'question C', 'question D']);
    assert.deepEqual(
      ['A', 'B', 'C', 'D'].map((letter) => byQuestion.get(`question ${letter}`)!.stream),
      [false, true, false, true],
    );
    const idOf = (letter: string) => byQuestion.get(`question ${letter}`)!.id;

    // Two MCP clients share the work: each wait returns a different request.
    const secondDesk = await setup.connectDesk();
    const taken = [await setup.desk.waitForRequest(0), await secondDesk.waitForRequest(0)];
    assert.notEqual(taken[0]?.id, taken[1]?.id);

    await setup.desk.answer({ id: idOf('D'), text: 'answer D, part 1; ', done: false });
    await secondDesk.answer({ id: idOf('B'), text: 'answer B, part 1; ', done: false });
    await setup.desk.answer({ id: idOf('C'), text: 'answer C' });
    await secondDesk.answer({ id: idOf('D'), text: 'part 2' });
    await setup.desk.answer({ id: idOf('B'), text: 'part 2' });
    await secondDesk.answer({ id: idOf('A'), text: 'answer A' });

    assert.equal((await openAiPlain).choices[0].message.content, 'answer A');
    assert.equal((await openAiStreamed).choices[0].message.content, 'answer B, part 1; part 2');
    assert.deepEqual((await anthropicPlain).content, [{ type: 'text', text: 'answer C' }]);
    assert.deepEqual((await anthropicStreamed).content, [{ type: 'text', text: 'answer D, part 1; part 2' }]);
    assert.deepEqual(await setup.desk.list(), []);
  });

  it('waits for the next request when none is open, and returns null when none comes in time', async () => {
    const nothing = await setup.desk.succeed('wait_for_request', { timeout_ms: 0 });
    assert.deepEqual(nothing, { request: null, more_waiting: 0 });

    const waiting = setup.desk.waitForRequest(30_000);
    const call = setup.openai.chat.completions.create({ model: DESK_MODEL, messages: [{ role: 'user', content: 'arrives later' }] });
    const request = await waiting;
    assert.equal(request && lastUserText(request), 'arrives later');
    await setup.desk.answer({ id: request!.id, text: 'ok' });
    assert.equal((await call).choices[0].message.content, 'ok');
  });

  describe('when nobody answers in time', () => {
    it('answers an OpenAI client with a 504 before any byte of the response, streaming or not', async () => {
      for (const stream of [false, true]) {
        const waiting = setup.desk.waitForRequest();
        const error = await rejectionOf(setup.openai.chat.completions.create({ model: QUICK_MODEL, messages: [{ role: 'user', content: 'too slow' }], stream }));
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assert.equal(error.status, 504);
        assert.equal(error.type, 'server_error');
        assert.match(error.message, /No MCP client answered this request within 0\.3 s/);
        // The MCP client that picked it up too late is told what happened.
        const request = await waiting;
        const late = await setup.desk.call('answer_request', { id: request!.id, text: 'sorry, late' });
        assert.equal(late.isError, true);
        assert.match(late.text, /no longer open: it timed out/);
      }
    });

    it('answers an Anthropic client with a 504 timeout_error before any byte of the response, streaming or not', async () => {
      for (const stream of [false, true]) {
        const waiting = setup.desk.waitForRequest();
        const error = await rejectionOf(
          setup.anthropic.messages.create({ model: QUICK_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'too slow' }], stream }),
        );
        assert.ok(error instanceof Anthropic.APIError, String(error));
        assert.equal(error.status, 504);
        assert.equal((error.error as { error?: { type?: string } }).error?.type, 'timeout_error');
        await waiting;
      }
    });

    it('ends a stream whose chunks stopped coming with an in-band error', async () => {
      const streamStarted = setup.openai.chat.completions.create({ model: STALL_MODEL, messages: [{ role: 'user', content: 'stall after one chunk' }], stream: true });
      const request = await nextRequest(setup.desk, 'stall after one chunk');
      await setup.desk.answer({ id: request.id, text: 'first and only chunk', done: false });
      const received: string[] = [];
      const error = await rejectionOf(
        (async () => {
          for await (const chunk of await streamStarted) if (chunk.choices[0]?.delta.content) received.push(chunk.choices[0].delta.content);
        })(),
      );
      assert.deepEqual(received, ['first and only chunk']);
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.match(error.message, /stopped answering: no chunk for 2 s/);
    });
  });

  describe('when the client disconnects', () => {
    it('removes a request whose client went away before any answer, streaming or not, from either API', async () => {
      const clients = [
        (signal: AbortSignal) => setup.openai.chat.completions.create({ model: DESK_MODEL, messages: [{ role: 'user', content: 'gone 1' }] }, { signal }),
        (signal: AbortSignal) => setup.openai.chat.completions.create({ model: DESK_MODEL, messages: [{ role: 'user', content: 'gone 2' }], stream: true }, { signal }),
        (signal: AbortSignal) => setup.anthropic.messages.create({ model: DESK_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'gone 3' }] }, { signal }),
        (signal: AbortSignal) =>
          setup.anthropic.messages.create({ model: DESK_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'gone 4' }], stream: true }, { signal }),
      ];
      for (const [index, start] of clients.entries()) {
        const aborter = new AbortController();
        const call = rejectionOf(start(aborter.signal));
        const request = await nextRequest(setup.desk, `gone ${index + 1}`);
        aborter.abort();
        await call;
        await eventually(setup.desk, (requests) => !requests.some((open) => open.id === request.id), `request "gone ${index + 1}" disappears`);
        const late = await setup.desk.call('answer_request', { id: request.id, text: 'anyone there?' });
        assert.equal(late.isError, true);
        assert.match(late.text, /its client disconnected/);
      }
    });

    it('removes a request whose client went away in the middle of a chunked answer', async () => {
      const aborter = new AbortController();
      const streamStarted = setup.openai.chat.completions.create(
        { model: DESK_MODEL, messages: [{ role: 'user', content: 'leave mid-answer' }], stream: true },
        { signal: aborter.signal },
      );
      const request = await nextRequest(setup.desk, 'leave mid-answer');
      await setup.desk.answer({ id: request.id, text: 'The beginning', done: false });
      const stream = await streamStarted;
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
      aborter.abort();
      await eventually(setup.desk, (requests) => !requests.some((open) => open.id === request.id), 'the abandoned request disappears');
      const late = await setup.desk.call('answer_request', { id: request.id, text: ' and the end', done: true });
      assert.equal(late.isError, true);
      assert.match(late.text, /its client disconnected/);
    });
  });

  describe('answers the bridge refuses, as MCP tool errors', () => {
    it('refuses unknown ids, for answer and fail alike', async () => {
      for (const [tool, args] of [
        ['answer_request', { id: 'mcp_no_such_request', text: 'hello' }],
        ['fail_request', { id: 'mcp_no_such_request', message: 'nope' }],
      ] as const) {
        const outcome = await setup.desk.call(tool, args);
        assert.equal(outcome.isError, true);
        assert.match(outcome.text, /Unknown request id "mcp_no_such_request"/);
      }
    });

    it('refuses a second answer to an answered request, and tool calls the request did not offer', async () => {
      const call = setup.openai.chat.completions.create({ model: DESK_MODEL, messages: [{ role: 'user', content: 'answer me once' }] });
      const request = await nextRequest(setup.desk, 'answer me once');

      const wrongTool = await setup.desk.call('answer_request', { id: request.id, tool_calls: [{ name: 'delete_everything', arguments: {} }] });
      assert.equal(wrongTool.isError, true);
      assert.match(wrongTool.text, /offered no tools/);
      const badArguments = await setup.desk.call('answer_request', { id: request.id, text: 'x', done: 'yes' });
      assert.equal(badArguments.isError, true, 'arguments are checked against the input schema');

      await setup.desk.answer({ id: request.id, text: 'once' });
      assert.equal((await call).choices[0].message.content, 'once');
      for (const [tool, args] of [
        ['answer_request', { id: request.id, text: 'twice' }],
        ['fail_request', { id: request.id, message: 'too late' }],
      ] as const) {
        const outcome = await setup.desk.call(tool, args);
        assert.equal(outcome.isError, true);
        assert.match(outcome.text, new RegExp(`Request "${request.id}" is no longer open: it was already answered`));
      }
    });
  });
});
