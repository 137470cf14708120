/**
 * The `openai` npm client calls a model routed to the MCP bridge; the official MCP SDK client answers
 * it. Streaming and not, text and tool calls, answers sent at once and in chunks, and failures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { DESK_MODEL, nextRequest, useBridge } from './support/bridge-setup.ts';
import { rejectionOf } from '../support/clients.ts';

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('OpenAI client answered over MCP', () => {
  const setup = useBridge();

  it('gets the text the MCP client sent as a normal completion, with usage from a real tokenizer', async () => {
    const completion = setup.openai.chat.completions.create({
      model: DESK_MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is 2+2?' },
      ],
    });
    const request = await nextRequest(setup.desk, 'What is 2+2?');
    assert.equal(request.model, DESK_MODEL);
    assert.equal(request.client_protocol, 'openai-chat');
    assert.equal(request.stream, false);
    assert.equal(request.system, 'Be brief.');
    assert.deepEqual(request.messages, [{ role: 'user', content: 'What is 2+2?' }]);

    const answer = '2 + 2 = 4.';
    const confirmation = await setup.desk.answer({ id: request.id, text: answer });
    assert.equal(confirmation.status, 'answered');
    const result = await completion;
    assert.equal(result.choices[0].message.content, answer);
    assert.equal(result.choices[0].finish_reason, 'stop');
    assert.equal(result.model, DESK_MODEL);
    assert.equal(result.usage?.completion_tokens, encode(answer).length);
    assert.ok((result.usage?.prompt_tokens ?? 0) > 5, 'the prompt is counted');
    assert.equal(result.usage?.total_tokens, result.usage!.prompt_tokens + result.usage!.completion_tokens);
  });

  it('streams a chunked answer as it is written: each chunk reaches the client before the next is sent', async () => {
    const pieces = ['The answer', ' is', ' 42.'];
    const streamStarted = setup.openai.chat.completions.create({
      model: DESK_MODEL,
      messages: [{ role: 'user', content: 'What is the answer?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const request = await nextRequest(setup.desk, 'What is the answer?');
    assert.equal(request.stream, true);

    const received: string[] = [];
    let finishReason: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let iterator: AsyncIterator<OpenAI.ChatCompletionChunk> | undefined;
    /** Reads the stream until the text received so far ends with `expected`. */
    const readUntil = async (expected: string) => {
      while (!received.join('').endsWith(expected)) {
        const next = await iterator!.next();
        assert.equal(next.done, false, `the stream ended before "${expected}" arrived`);
        const chunk = next.value;
        const content = chunk.choices[0]?.delta.content;
        if (content) received.push(content);
      }
    };

    for (const [index, piece] of pieces.entries()) {
      const last = index === pieces.length - 1;
      const confirmation = await setup.desk.answer({ id: request.id, text: piece, done: last });
      assert.equal(confirmation.status, last ? 'answered' : 'open');
      // The gateway answers with headers once the first chunk is there; then each chunk must arrive
      // while the MCP client has not sent the next one yet.
      iterator ??= (await streamStarted)[Symbol.asyncIterator]();
      await readUntil(pieces.slice(0, index + 1).join(''));
      if (!last) {
        const [open] = (await setup.desk.list()).filter((pending) => pending.id === request.id);
        assert.equal(open.state, 'answering');
        assert.equal(open.chunks_sent, index + 1);
      }
    }
    for (;;) {
      const next = await iterator!.next();
      if (next.done) break;
      finishReason = next.value.choices[0]?.finish_reason ?? finishReason;
      usage = next.value.usage ?? usage;
      if (next.value.choices[0]?.delta.content) received.push(next.value.choices[0].delta.content);
    }
    assert.deepEqual(received, pieces, 'each chunk arrives as its own delta, nothing more');
    assert.equal(finishReason, 'stop');
    assert.equal(usage?.completion_tokens, encode(pieces.join('')).length);
  });

  it('gets tool calls, streaming and not, and the next turn shows the MCP client the tool result', async () => {
    for (const stream of [false, true]) {
      const question = `Weather in Paris? (stream: ${stream})`;
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
      const call: Promise<OpenAI.ChatCompletion> = stream
        ? setup.openai.chat.completions.stream({ model: DESK_MODEL, messages, tools: [weatherTool] }).finalChatCompletion()
        : setup.openai.chat.completions.create({ model: DESK_MODEL, messages, tools: [weatherTool] });
      const request = await nextRequest(setup.desk, question);
      assert.deepEqual(request.tools, [
        { name: 'get_weather', description: 'Current weather in a city', input_schema: weatherTool.function.parameters },
      ]);
      await setup.desk.answer({ id: request.id, tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] });
      const completion = await call;
      const choice = completion.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      const toolCall = choice.message.tool_calls?.[0];
      assert.ok(toolCall?.type === 'function');
      assert.equal(toolCall.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(toolCall.function.arguments), { city: 'Paris' });
      assert.match(toolCall.id, /^call_/);

      const followUp: Promise<OpenAI.ChatCompletion> = setup.openai.chat.completions.create({
        model: DESK_MODEL,
        messages: [
          ...messages,
          choice.message as OpenAI.ChatCompletionMessageParam,
          { role: 'tool', tool_call_id: toolCall.id, content: 'sunny, 21 °C' },
        ],
        tools: [weatherTool],
      });
      const secondTurn = await setup.desk.waitForRequest();
      assert.ok(secondTurn);
      assert.deepEqual(secondTurn.messages.slice(1), [
        { role: 'assistant', content: [{ type: 'tool_call', id: toolCall.id, name: 'get_weather', arguments: { city: 'Paris' } }] },
        { role: 'tool', content: [{ type: 'tool_result', tool_call_id: toolCall.id, is_error: false, content: 'sunny, 21 °C' }] },
      ]);
      await setup.desk.answer({ id: secondTurn.id, text: 'Sunny and 21 °C in Paris.' });
      assert.equal((await followUp).choices[0].message.content, 'Sunny and 21 °C in Paris.');
    }
  });

  it('gets an HTTP 500 carrying the message when the MCP client fails the request before answering', async () => {
    for (const stream of [false, true]) {
      const question = `Do something impossible (stream: ${stream})`;
      const failure = rejectionOf(setup.openai.chat.completions.create({ model: DESK_MODEL, messages: [{ role: 'user', content: question }], stream }));
      const request = await nextRequest(setup.desk, question);
      await setup.desk.succeed('fail_request', { id: request.id, message: 'The operator declined this request.' });
      const error = await failure;
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 500);
      assert.equal(error.message, '500 The operator declined this request.');
    }
  });

  it('gets an error in the stream when the MCP client fails the request after a chunk', async () => {
    const question = 'Start, then fail';
    const streamStarted = setup.openai.chat.completions.create({ model: DESK_MODEL, messages: [{ role: 'user', content: question }], stream: true });
    const request = await nextRequest(setup.desk, question);
    await setup.desk.answer({ id: request.id, text: 'Working on it', done: false });
    const stream = await streamStarted;
    const received: string[] = [];
    const failure = rejectionOf(
      (async () => {
        for await (const chunk of stream) if (chunk.choices[0]?.delta.content) received.push(chunk.choices[0].delta.content);
      })(),
    );
    await setup.desk.succeed('fail_request', { id: request.id, message: 'Lost my train of thought.' });
    const error = await failure;
    assert.ok(error instanceof OpenAI.APIError, String(error));
    assert.equal(error.message, 'Lost my train of thought.');
    assert.deepEqual(received, ['Working on it']);
  });
});
