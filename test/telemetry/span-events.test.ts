/**
 * The span events of a call, as a real OTLP/HTTP receiver gets them: the request as received, the
 * response in the client's own format (also across a conversion), the conversation in the GenAI
 * message schema, the HTTP details without credentials; and content capture switched off or capped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accumulate } from '../../src/core/accumulate.ts';
import { callEnd, callStart, play, protocols, upstreamEvents, type StartOptions } from './support/calls.ts';
import { eventNamed, jsonOf, openAiStreamBody, useSpanExport } from './support/span-export.ts';
import { STATUS_ERROR } from './support/otlp-receiver.ts';

const spanExport = useSpanExport();
const { startTelemetry, exported } = spanExport;

describe('the events of a call', () => {
  it('record the request as received and the response in the client’s own format, even across a conversion', async () => {
    const telemetry = await startTelemetry();
    // An Anthropic client, an OpenAI upstream that streams a tool call in pieces.
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 500,
      stream: true,
      system: 'Use tools.',
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    };
    const options: StartOptions = { protocol: 'anthropic-messages', upstreamProtocol: 'openai-chat', upstreamModel: 'gpt-4.1-mini', body };
    const start = callStart(options);
    const raw = '{\n  "model": "claude-sonnet-4-5",  "max_tokens": 500, "stream": true, "system": "Use tools.", "tools": [{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}], "messages": [{"role":"user","content":"Weather in Paris?"}]}';
    start.rawRequestBody = raw;
    const trace = telemetry.observer.startCall(start);
    const events = upstreamEvents('openai-chat', {
      model: 'gpt-4.1-mini-2025-04-14',
      text: ['Let me check.'],
      toolCalls: [{ id: 'call_1', name: 'get_weather', argumentPieces: ['{"ci', 'ty": "Pa', 'ris"}'] }],
      usage: { input: 40, output: 12 },
    });
    play(trace, start, events, { ttftMs: 50, stepMs: 10 });

    const [{ client }] = await exported(telemetry);
    assert.equal(client.name, 'chat gpt-4.1-mini');
    assert.equal(client.attributes['lessllm.route'], 'converted');
    assert.equal(client.attributes['lessllm.client.model'], 'claude-sonnet-4-5');
    assert.deepEqual(client.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
    assert.equal(eventNamed(client, 'lessllm.request')!.attributes['lessllm.body'], raw, 'byte for byte as the client sent it');

    const response = jsonOf(eventNamed(client, 'lessllm.response')!.attributes['lessllm.body']);
    assert.equal(response.type, 'message', 'an Anthropic message, as this client would have got it without streaming');
    assert.equal(response.stop_reason, 'tool_use');
    assert.deepEqual(
      response.content.map((block: any) => block.type),
      ['text', 'tool_use'],
    );
    assert.equal(response.content[0].text, 'Let me check.');
    assert.deepEqual(response.content[1].input, { city: 'Paris' }, 'tool arguments complete, parsed');
    assert.equal(response.usage.output_tokens, 12);
    // Exactly what the protocol's own encoder makes of the same answer.
    assert.deepEqual(response, protocols['anthropic-messages'].encodeResponse(accumulate(events)));
  });

  it('carry the conversation in the GenAI semantic-convention message schema', async () => {
    const telemetry = await startTelemetry();
    const body = {
      model: 'gpt-4.1',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.test/cat.jpg' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'look', arguments: '{"zoom":2}' } }] },
        { role: 'tool', tool_call_id: 'call_9', content: 'a cat' },
      ],
    };
    const start = callStart({ protocol: 'openai-chat', body });
    play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['A cat.'] }), { ttftMs: 5, stepMs: 5 });

    const [{ client }] = await exported(telemetry);
    const details = eventNamed(client, 'gen_ai.client.inference.operation.details')!.attributes;
    assert.deepEqual(jsonOf(details['gen_ai.system_instructions']), [{ type: 'text', content: 'Be brief.' }]);
    assert.deepEqual(jsonOf(details['gen_ai.input.messages']), [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'What is in this image?' },
          { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgo=' },
          { type: 'uri', modality: 'image', mime_type: 'image/jpeg', uri: 'https://example.test/cat.jpg' },
        ],
      },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_9', name: 'look', arguments: { zoom: 2 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_9', response: 'a cat' }] },
    ]);
    assert.deepEqual(jsonOf(details['gen_ai.output.messages']), [
      { role: 'assistant', parts: [{ type: 'text', content: 'A cat.' }], finish_reason: 'stop' },
    ]);
  });

  it('put the HTTP details on the SERVER span, with every credential removed', async () => {
    const telemetry = await startTelemetry();
    const start = callStart({
      protocol: 'openai-chat',
      body: openAiStreamBody,
      headers: {
        Authorization: 'Bearer sk-live-secret',
        'x-api-key': 'sk-ant-secret',
        'api-key': 'azure-secret',
        cookie: 'session=secret',
        'Proxy-Authorization': 'Basic secret',
        'x-request-id': 'req-42',
      },
    });
    const trace = telemetry.observer.startCall(start);
    play(trace, start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['ok'] }), { ttftMs: 1, stepMs: 1 }, {
      responseHeaders: { 'content-type': 'text/event-stream', 'set-cookie': 'tracking=secret', 'x-ratelimit-remaining-requests': '99' },
      responseBytes: 777,
    });
    const [{ server }] = await exported(telemetry);
    const http = eventNamed(server, 'lessllm.http')!.attributes;
    assert.equal(http['http.request.method'], 'POST');
    assert.equal(http['url.path'], '/v1/chat/completions');
    assert.equal(http['client.address'], '127.0.0.1');
    assert.equal(http['http.response.status_code'], 200);
    assert.equal(http['http.response.body.size'], 777);
    const requestHeaders = jsonOf(http['lessllm.http.request.headers']);
    assert.equal(requestHeaders['x-request-id'], 'req-42');
    assert.equal(jsonOf(http['lessllm.http.response.headers'])['x-ratelimit-remaining-requests'], '99');
    const everything = spanExport.receiver.everything();
    assert.ok(!everything.includes('secret'), 'no credential anywhere in the exported spans');
  });

  it('record a non-streaming response exactly as sent, with no stream timings', async () => {
    const telemetry = await startTelemetry();
    const body = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] };
    const start = callStart({ protocol: 'openai-chat', body });
    const trace = telemetry.observer.startCall(start);
    const sent = '{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}';
    // The gateway reports a non-streaming answer by its body only (and maybe its events; here none).
    trace.end(callEnd(start.startMonotonicMs + 80, { responseBody: sent, chunkCount: 0, responseHeaders: { 'content-type': 'application/json' } }));

    const [{ client }] = await exported(telemetry);
    assert.equal(eventNamed(client, 'lessllm.response')!.attributes['lessllm.body'], sent);
    assert.equal(client.attributes['gen_ai.request.stream'], false);
    assert.equal(client.attributes['gen_ai.response.model'], 'gpt-4.1-2025-04-14');
    assert.equal(client.attributes['gen_ai.usage.input_tokens'], 8);
    assert.equal(client.attributes['gen_ai.usage.output_tokens'], 1);
    assert.equal(client.attributes['lessllm.ttft'], undefined, 'a non-streaming answer has no time to first token');
    assert.equal(client.attributes['gen_ai.response.time_to_first_chunk'], undefined);
  });

  it('read a non-streaming answer passed through unread when the call is recorded, and mark one that is not a valid answer', async () => {
    const telemetry = await startTelemetry();
    const body = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] };
    const sent = '{"id":"chatcmpl-2","object":"chat.completion","created":1,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}';
    const broken = '{"id":"chatcmpl-3","choices":';
    for (const text of [sent, broken]) {
      const start = callStart({ protocol: 'openai-chat', body });
      const unreadBody = new TextEncoder().encode(text);
      telemetry.observer.startCall(start).end(callEnd(start.startMonotonicMs + 80, { unreadBody, responseBytes: unreadBody.byteLength, chunkCount: 0, responseHeaders: { 'content-type': 'application/json' } }));
    }

    const [answered, failed] = await exported(telemetry, 2);
    assert.equal(eventNamed(answered.client, 'lessllm.response')!.attributes['lessllm.body'], sent);
    assert.equal(answered.client.attributes['gen_ai.response.model'], 'gpt-4.1-2025-04-14');
    assert.equal(answered.client.attributes['gen_ai.usage.input_tokens'], 8);
    assert.equal(answered.client.attributes['gen_ai.usage.output_tokens'], 1);
    assert.deepEqual(answered.client.attributes['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(answered.client.attributes['error.type'], undefined);
    // What the client got is recorded as it got it, and the span says it was no valid answer: malformed
    // JSON from the upstream, which the converted route answers with a 502 (bad_gateway).
    assert.equal(failed.client.attributes['error.type'], 'bad_gateway');
    assert.equal(failed.client.status.code, STATUS_ERROR);
    assert.equal(failed.client.attributes['gen_ai.usage.input_tokens'], undefined);
    assert.equal(eventNamed(failed.client, 'lessllm.response')!.attributes['lessllm.body'], broken);
  });
});

describe('content capture', () => {
  it('can be switched off: no bodies or messages, every attribute still there', async () => {
    for (const [environment, sections] of [
      [{ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false' }, {}],
      [{}, { telemetry: { capture_content: false } }],
    ] as const) {
      spanExport.receiver.reset();
      const telemetry = await startTelemetry(environment, sections);
      const start = callStart({ protocol: 'openai-chat', body: openAiStreamBody });
      play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['private words'] }), { ttftMs: 3, stepMs: 1 });
      const [{ client, server }] = await exported(telemetry);
      assert.deepEqual(client.events, []);
      assert.equal(client.attributes['gen_ai.usage.output_tokens'], 6);
      assert.ok(client.attributes['lessllm.ttft'] !== undefined);
      assert.ok(!spanExport.receiver.everything().includes('private words'));
      assert.ok(!spanExport.receiver.everything().includes('Say hello'));
      assert.ok(eventNamed(server, 'lessllm.http'), 'HTTP details are not message content');
    }
  });

  it('caps each body at telemetry.max_content_bytes and keeps it valid JSON', async () => {
    const telemetry = await startTelemetry({}, { telemetry: { max_content_bytes: 2048 } });
    const body = { ...openAiStreamBody, messages: [{ role: 'user', content: `Summarise: ${'lorem ipsum '.repeat(2000)}` }] };
    const start = callStart({ protocol: 'openai-chat', body });
    play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['word '.repeat(1000)] }), { ttftMs: 3, stepMs: 1 });
    const [{ client }] = await exported(telemetry);
    const request = eventNamed(client, 'lessllm.request')!.attributes;
    assert.equal(request['lessllm.truncated'], true);
    assert.ok(new TextEncoder().encode(String(request['lessllm.body'])).byteLength <= 2048);
    const parsed = jsonOf(request['lessllm.body']);
    assert.equal(parsed.model, 'gpt-4.1');
    assert.ok(parsed.messages[0].content.startsWith('Summarise: lorem ipsum'));
    const details = eventNamed(client, 'gen_ai.client.inference.operation.details')!.attributes;
    assert.equal(details['lessllm.truncated'], true);
    for (const name of ['gen_ai.input.messages', 'gen_ai.output.messages']) {
      assert.ok(new TextEncoder().encode(String(details[name])).byteLength <= 2048, name);
      assert.ok(Array.isArray(jsonOf(details[name])), name);
    }
    assert.ok(jsonOf(eventNamed(client, 'lessllm.response')!.attributes['lessllm.body']).choices[0].message.content.startsWith('word word'));
  });
});
