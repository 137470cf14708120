/**
 * The `@anthropic-ai/sdk` client calls a model routed to the MCP bridge; the official MCP SDK client
 * answers it. Streaming and not, text and tool use, answers sent at once and in chunks, and failures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { encode } from 'gpt-tokenizer';
import { DESK_MODEL, nextRequest, useBridge } from './support/bridge-setup.ts';
import { rejectionOf } from '../support/clients.ts';

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('Anthropic client answered over MCP', () => {
  const setup = useBridge();

  it('gets the text the MCP client sent as a normal message, with usage from a real tokenizer', async () => {
    const message = setup.anthropic.messages.create({
      model: DESK_MODEL,
      max_tokens: 256,
      system: 'Answer in French.',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    const request = await nextRequest(setup.desk, 'Say hello');
    assert.equal(request.client_protocol, 'anthropic-messages');
    assert.equal(request.stream, false);
    assert.equal(request.system, 'Answer in French.');
    assert.equal(request.max_tokens, 256);

    const answer = 'Bonjour !';
    await setup.desk.answer({ id: request.id, text: answer });
    const result = await message;
    assert.deepEqual(result.content, [{ type: 'text', text: answer }]);
    assert.equal(result.stop_reason, 'end_turn');
    assert.equal(result.model, DESK_MODEL);
    assert.equal(result.usage.output_tokens, encode(answer).length);
    assert.ok(result.usage.input_tokens > 5, 'the prompt is counted');
  });

  it('streams a chunked answer as it is written: each chunk reaches the client before the next is sent', async () => {
    const pieces = ['Once upon', ' a time', ', the end.'];
    const streamStarted = setup.anthropic.messages.create({
      model: DESK_MODEL,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Tell a story' }],
      stream: true,
    });
    const request = await nextRequest(setup.desk, 'Tell a story');
    assert.equal(request.stream, true);

    const received: string[] = [];
    const eventTypes: string[] = [];
    let final: Anthropic.MessageDeltaEvent | undefined;
    let iterator: AsyncIterator<Anthropic.RawMessageStreamEvent> | undefined;
    const take = (event: Anthropic.RawMessageStreamEvent) => {
      eventTypes.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') received.push(event.delta.text);
      if (event.type === 'message_delta') final = event;
    };
    const readUntil = async (expected: string) => {
      while (!received.join('').endsWith(expected)) {
        const next = await iterator!.next();
        assert.equal(next.done, false, `the stream ended before "${expected}" arrived`);
        take(next.value);
      }
    };
    for (const [index, piece] of pieces.entries()) {
      const last = index === pieces.length - 1;
      await setup.desk.answer({ id: request.id, text: piece, done: last });
      iterator ??= (await streamStarted)[Symbol.asyncIterator]();
      // Read before the MCP client sends the next chunk: the chunk must already be here.
      await readUntil(pieces.slice(0, index + 1).join(''));
    }
    for (;;) {
      const next = await iterator!.next();
      if (next.done) break;
      take(next.value);
    }
    assert.deepEqual(received, pieces);
    assert.equal(eventTypes[0], 'message_start');
    assert.equal(eventTypes.at(-1), 'message_stop');
    assert.equal(final?.delta.stop_reason, 'end_turn');
    assert.equal(final?.usage.output_tokens, encode(pieces.join('')).length);
  });

  it('gets tool use, streaming and not, and the next turn shows the MCP client the tool result', async () => {
    for (const stream of [false, true]) {
      const question = `Weather in Oslo? (stream: ${stream})`;
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: question }];
      const body = { model: DESK_MODEL, max_tokens: 256, messages, tools: [weatherTool] };
      const call = stream ? setup.anthropic.messages.stream(body).finalMessage() : setup.anthropic.messages.create(body);
      const request = await nextRequest(setup.desk, question);
      assert.deepEqual(request.tools, [{ name: 'get_weather', description: 'Current weather in a city', input_schema: weatherTool.input_schema }]);
      await setup.desk.answer({ id: request.id, text: 'Checking.', tool_calls: [{ name: 'get_weather', arguments: '{"city": "Oslo"}' }] });
      const result = await call;
      assert.equal(result.stop_reason, 'tool_use');
      assert.deepEqual(result.content[0], { type: 'text', text: 'Checking.' });
      const toolUse = result.content[1];
      assert.ok(toolUse?.type === 'tool_use');
      assert.equal(toolUse.name, 'get_weather');
      assert.deepEqual(toolUse.input, { city: 'Oslo' });
      assert.match(toolUse.id, /^toolu_/);

      const followUp = setup.anthropic.messages.create({
        ...body,
        messages: [
          ...messages,
          { role: 'assistant', content: result.content as Anthropic.ContentBlockParam[] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'snow, -3 °C' }] },
        ],
      });
      const secondTurn = await setup.desk.waitForRequest();
      assert.ok(secondTurn);
      assert.deepEqual(secondTurn.messages.slice(1), [
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_call', id: toolUse.id, name: 'get_weather', arguments: { city: 'Oslo' } },
          ],
        },
        { role: 'tool', content: [{ type: 'tool_result', tool_call_id: toolUse.id, is_error: false, content: 'snow, -3 °C' }] },
      ]);
      await setup.desk.answer({ id: secondTurn.id, text: 'Snowy, -3 °C.' });
      assert.deepEqual((await followUp).content, [{ type: 'text', text: 'Snowy, -3 °C.' }]);
    }
  });

  it('gets an HTTP 500 api_error carrying the message when the MCP client fails the request before answering', async () => {
    for (const stream of [false, true]) {
      const question = `Refuse this (stream: ${stream})`;
      const failure = rejectionOf(
        setup.anthropic.messages.create({ model: DESK_MODEL, max_tokens: 64, messages: [{ role: 'user', content: question }], stream }),
      );
      const request = await nextRequest(setup.desk, question);
      await setup.desk.succeed('fail_request', { id: request.id, message: 'Not today.' });
      const error = await failure;
      assert.ok(error instanceof Anthropic.InternalServerError, String(error));
      assert.equal(error.status, 500);
      assert.deepEqual((error.error as { error?: unknown }).error, { type: 'api_error', message: 'Not today.' });
    }
  });

  it('gets an error event when the MCP client fails the request after a chunk', async () => {
    const question = 'Begin, then fail';
    const streamStarted = setup.anthropic.messages.create({ model: DESK_MODEL, max_tokens: 64, messages: [{ role: 'user', content: question }], stream: true });
    const request = await nextRequest(setup.desk, question);
    await setup.desk.answer({ id: request.id, text: 'Partial', done: false });
    const stream = await streamStarted;
    const received: string[] = [];
    const failure = rejectionOf(
      (async () => {
        for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') received.push(event.delta.text);
      })(),
    );
    await setup.desk.succeed('fail_request', { id: request.id, message: 'Gave up.' });
    const error = await failure;
    assert.ok(error instanceof Anthropic.APIError, String(error));
    assert.match(error.message, /Gave up\./);
    assert.deepEqual(received, ['Partial']);
  });
});
