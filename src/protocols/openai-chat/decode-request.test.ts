import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/gateway-error.ts';
import { decodeRequest } from './decode-request.ts';

const base = { model: 'gpt-4.1-mini' };

function refusal(body: Record<string, unknown>): GatewayError {
  try {
    decodeRequest(body);
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.kind, 'invalid_request');
    return error;
  }
  assert.fail(`expected ${JSON.stringify(body)} to be refused`);
}

describe('decodeRequest: messages', () => {
  it('lifts system and developer messages, wherever they are, into system in order', () => {
    const request = decodeRequest({
      ...base,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi', name: 'alice' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }, { type: 'text', text: 'No emoji.' }] },
        { role: 'assistant', content: 'Bonjour.' },
      ],
    });
    assert.deepEqual(request.system, [
      { text: 'You are terse.', origin: 'system' },
      { text: 'Answer in French.', origin: 'developer' },
      { text: 'No emoji.', origin: 'developer' },
    ]);
    assert.deepEqual(request.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Bonjour.' }] },
    ]);
  });

  it('decodes user images (data URL and https URL) and PDF files', () => {
    const request = decodeRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/photos/cat.JPG?size=large' } },
            { type: 'image_url', image_url: { url: 'https://example.com/render' } },
            { type: 'file', file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQ=' } },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[0].content, [
      { type: 'text', text: 'Compare these.' },
      { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'iVBORw0KGgo=' } },
      { type: 'file', mediaType: 'image/jpeg', source: { kind: 'url', url: 'https://example.com/photos/cat.JPG?size=large' } },
      { type: 'file', mediaType: 'image/*', source: { kind: 'url', url: 'https://example.com/render' } },
      { type: 'file', mediaType: 'application/pdf', source: { kind: 'base64', data: 'JVBERi0xLjQ=' }, filename: 'report.pdf' },
    ]);
  });

  it('refuses content it cannot convert, naming the part', () => {
    const audio = refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'input_audio', input_audio: { data: '', format: 'wav' } }] }] });
    assert.equal(audio.param, 'messages[0].content[1].type');
    const fileId = refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }] });
    assert.equal(fileId.param, 'messages[0].content[0].file.file_data');
    const notBase64 = refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml,<svg/>' } }] }] });
    assert.equal(notBase64.param, 'messages[0].content[0].image_url.url');
  });

  it('decodes assistant text, refusals, reasoning and tool calls with parsed arguments', () => {
    const request = decodeRequest({
      ...base,
      messages: [
        { role: 'user', content: 'Weather in Paris and Tokyo?' },
        {
          role: 'assistant',
          content: [{ type: 'text', text: 'Checking.' }, { type: 'refusal', refusal: 'Not that one.' }],
          reasoning_content: 'Two cities, two calls.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'Get-Weather_V2', arguments: '' } },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[1], {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'Two cities, two calls.' },
        { type: 'text', text: 'Checking.' },
        { type: 'text', text: 'Not that one.' },
        { type: 'tool-call', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool-call', id: 'call_2', name: 'Get-Weather_V2', input: {} },
      ],
    });
  });

  it('drops an empty assistant content string beside tool calls (no empty text part)', () => {
    const request = decodeRequest({
      ...base,
      messages: [{ role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }],
    });
    assert.deepEqual(request.messages[0].content, [{ type: 'tool-call', id: 'c', name: 'f', input: {} }]);
  });

  it('refuses invalid tool-call arguments, naming the exact field', () => {
    const error = refusal({
      ...base,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }, { id: 'b', type: 'function', function: { name: 'g', arguments: '{"city": Paris}' } }] },
      ],
    });
    assert.equal(error.param, 'messages[1].tool_calls[1].function.arguments');
    assert.match(error.message, /^messages\[1\]\.tool_calls\[1\]\.function\.arguments: expected a JSON object, got invalid JSON/);
  });

  it('merges consecutive tool messages into one tool message with one result each (§8 #9)', () => {
    const request = decodeRequest({
      ...base,
      messages: [
        { role: 'user', content: 'Both please.' },
        { role: 'assistant', content: null, tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'b', arguments: '{}' } },
        ] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '14:00' }, { type: 'text', text: 'JST' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    assert.deepEqual(request.messages.slice(2), [
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'call_1', content: [{ type: 'text', text: 'sunny' }], isError: false },
          { type: 'tool-result', toolCallId: 'call_2', content: [{ type: 'text', text: '14:00' }, { type: 'text', text: 'JST' }], isError: false },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
    ]);
  });

  it('requires tool_call_id on a tool message', () => {
    assert.equal(refusal({ ...base, messages: [{ role: 'tool', content: 'x' }] }).param, 'messages[0].tool_call_id');
  });

  it('maps the legacy function_call / function role and functions list onto tools', () => {
    const request = decodeRequest({
      ...base,
      functions: [{ name: 'get_time', description: 'Current time' }],
      function_call: { name: 'get_time' },
      messages: [
        { role: 'user', content: 'Time?' },
        { role: 'assistant', content: null, function_call: { name: 'get_time', arguments: '{"tz":"UTC"}' } },
        { role: 'function', name: 'get_time', content: '12:00' },
      ],
    });
    assert.deepEqual(request.tools, [{ name: 'get_time', description: 'Current time', inputSchema: { type: 'object', properties: {} } }]);
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'get_time' });
    const call = request.messages[1].content[0];
    assert.equal(call.type, 'tool-call');
    const result = request.messages[2].content[0];
    assert.equal(result.type, 'tool-result');
    assert.equal(call.type === 'tool-call' && result.type === 'tool-result' && call.id === result.toolCallId, true, 'the result refers to the call');
  });
});

describe('decodeRequest: parameters', () => {
  const messages = [{ role: 'user', content: 'hi' }];

  it('decodes sampling, limits, user and streaming options', () => {
    const request = decodeRequest({
      ...base,
      messages,
      max_tokens: 100,
      max_completion_tokens: 200,
      temperature: 1.4,
      top_p: 0.9,
      stop: 'END',
      user: 'user-123',
      stream: true,
      stream_options: { include_usage: true },
      n: 2,
      seed: 7,
      logprobs: true,
    });
    assert.deepEqual(request, {
      model: 'gpt-4.1-mini',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: true,
      streamUsageRequested: true,
      maxTokens: 200,
      temperature: 1.4,
      topP: 0.9,
      stopSequences: ['END'],
      userId: 'user-123',
      choiceCount: 2,
    });
  });

  it('falls back to max_tokens, treats null as absent, and only streams usage when streaming', () => {
    const request = decodeRequest({ ...base, messages, max_tokens: 50, max_completion_tokens: null, temperature: null, stop: ['a', 'b'], stream_options: { include_usage: true } });
    assert.equal(request.maxTokens, 50);
    assert.equal('temperature' in request, false);
    assert.deepEqual(request.stopSequences, ['a', 'b']);
    assert.equal(request.stream, false);
    assert.equal(request.streamUsageRequested, false);
  });

  it('decodes tools exactly as named, filling in missing parameters (§8 #15)', () => {
    const request = decodeRequest({
      ...base,
      messages,
      tools: [
        { type: 'function', function: { name: 'Search-Docs_v2', description: 'Search', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }, strict: true } },
        { type: 'function', function: { name: 'noArgs' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    assert.deepEqual(request.tools, [
      { name: 'Search-Docs_v2', description: 'Search', inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }, strict: true },
      { name: 'noArgs', inputSchema: { type: 'object', properties: {} } },
    ]);
    assert.deepEqual(request.toolChoice, { type: 'required' });
    assert.equal(request.parallelToolCalls, false);
  });

  it('decodes every tool_choice form', () => {
    const choiceOf = (tool_choice: unknown) => decodeRequest({ ...base, messages, tool_choice }).toolChoice;
    assert.deepEqual(choiceOf('auto'), { type: 'auto' });
    assert.deepEqual(choiceOf('none'), { type: 'none' });
    assert.deepEqual(choiceOf('required'), { type: 'required' });
    assert.deepEqual(choiceOf({ type: 'function', function: { name: 'get_weather' } }), { type: 'tool', name: 'get_weather' });
    assert.equal(refusal({ ...base, messages, tool_choice: { type: 'allowed_tools', allowed_tools: {} } }).param, 'tool_choice');
  });

  it('refuses tools that are not functions', () => {
    assert.equal(refusal({ ...base, messages, tools: [{ type: 'custom', custom: { name: 'grammar' } }] }).param, 'tools[0].type');
  });

  it('decodes reasoning_effort and response_format', () => {
    assert.deepEqual(decodeRequest({ ...base, messages, reasoning_effort: 'medium' }).reasoning, { effort: 'medium' });
    assert.deepEqual(decodeRequest({ ...base, messages, reasoning_effort: 'xhigh' }).reasoning, { effort: 'high' });
    assert.equal(refusal({ ...base, messages, reasoning_effort: 'max' }).param, 'reasoning_effort');
    const formatOf = (response_format: unknown) => decodeRequest({ ...base, messages, response_format }).responseFormat;
    assert.deepEqual(formatOf({ type: 'text' }), { type: 'text' });
    assert.deepEqual(formatOf({ type: 'json_object' }), { type: 'json-object' });
    assert.deepEqual(formatOf({ type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } }), {
      type: 'json-schema',
      name: 'answer',
      schema: { type: 'object' },
      strict: true,
    });
    assert.equal(refusal({ ...base, messages, response_format: { type: 'xml' } }).param, 'response_format.type');
  });
});
