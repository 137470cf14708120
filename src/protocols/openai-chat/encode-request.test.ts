import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalRequest } from '../../core/canonical-request.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { decodeRequest } from './decode-request.ts';
import { encodeRequest } from './encode-request.ts';
import { validateRequest } from './schema.ts';

const options = { defaultMaxTokens: 4096 };

function canonical(fields: Partial<CanonicalRequest>): CanonicalRequest {
  return { model: 'gpt-4.1-mini', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, streamUsageRequested: false, ...fields };
}

describe('encodeRequest: messages', () => {
  it('puts all system instructions into one leading system message', () => {
    const body = encodeRequest(
      canonical({ system: [{ text: 'You are Claude Code.', origin: 'system' }, { text: 'Be concise.', origin: 'system' }] }),
      options,
    );
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'You are Claude Code.\nBe concise.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('sends a single text as a string and mixed content as parts (images, PDFs, text documents)', () => {
    const body = encodeRequest(
      canonical({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'iVBORw0KGgo=' } },
              { type: 'file', mediaType: 'image/jpeg', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
              { type: 'file', mediaType: 'application/pdf', source: { kind: 'base64', data: 'JVBERi0=' }, filename: 'a.pdf' },
              { type: 'file', mediaType: 'application/pdf', source: { kind: 'base64', data: 'JVBERi0=' } },
              { type: 'file', mediaType: 'text/plain', source: { kind: 'base64', data: btoa('plain notes') } },
            ],
          },
        ],
      }),
      options,
    );
    assert.deepEqual(body.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          { type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          { type: 'text', text: 'plain notes' },
        ],
      },
    ]);
  });

  it('refuses a file an OpenAI-compatible upstream cannot take, naming it', () => {
    assert.throws(
      () => encodeRequest(canonical({ messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'application/pdf', source: { kind: 'url', url: 'https://example.com/a.pdf' } }] }] }), options),
      (error: unknown) => error instanceof GatewayError && error.kind === 'invalid_request' && error.param === 'messages[0].content[0]',
    );
  });

  it('writes assistant text and tool calls, drops reasoning, then one tool message per result in order', () => {
    const body = encodeRequest(
      canonical({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Tokyo?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'Two calls.', signature: 'sig' },
              { type: 'redacted-reasoning', data: 'opaque' },
              { type: 'text', text: 'Checking ' },
              { type: 'text', text: 'both.' },
              { type: 'tool-call', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool-call', id: 'toolu_02', name: 'Get-Weather_V2', input: { city: 'Tokyo', days: [1, 2] } },
            ],
          },
          {
            role: 'tool',
            content: [
              { type: 'tool-result', toolCallId: 'toolu_01', content: [{ type: 'text', text: 'sunny' }, { type: 'text', text: '21°C' }], isError: false },
              { type: 'tool-result', toolCallId: 'toolu_02', content: [{ type: 'text', text: 'city not found' }], isError: true },
            ],
          },
          { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
        ],
      }),
      options,
    );
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Weather in Paris and Tokyo?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          { id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_02', type: 'function', function: { name: 'Get-Weather_V2', arguments: '{"city":"Tokyo","days":[1,2]}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: 'sunny\n21°C' },
      { role: 'tool', tool_call_id: 'toolu_02', content: 'Error: city not found' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it('uses content null beside tool calls and "" for an empty assistant turn', () => {
    const body = encodeRequest(
      canonical({
        messages: [
          { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', input: {} }] },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', content: [], isError: false }] },
          { role: 'assistant', content: [{ type: 'reasoning', text: 'only thoughts' }] },
        ],
      }),
      options,
    );
    assert.deepEqual(body.messages, [
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c', content: '' },
      { role: 'assistant', content: '' },
    ]);
  });

  it('moves images a tool returned into a user message right after the tool messages', () => {
    const body = encodeRequest(
      canonical({
        messages: [
          { role: 'assistant', content: [{ type: 'tool-call', id: 'shot', name: 'screenshot', input: {} }, { type: 'tool-call', id: 'ls', name: 'list', input: {} }] },
          {
            role: 'tool',
            content: [
              { type: 'tool-result', toolCallId: 'shot', content: [{ type: 'text', text: 'Captured.' }, { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'AAAA' } }], isError: false },
              { type: 'tool-result', toolCallId: 'ls', content: [{ type: 'text', text: 'a.txt' }], isError: false },
            ],
          },
        ],
      }),
      options,
    );
    assert.deepEqual((body.messages as unknown[]).slice(1), [
      { role: 'tool', tool_call_id: 'shot', content: 'Captured.' },
      { role: 'tool', tool_call_id: 'ls', content: 'a.txt' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attachments returned by tool call shot:' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ]);
  });
});

describe('encodeRequest: parameters', () => {
  it('encodes limits, sampling, user and stop (at most four), dropping top_k', () => {
    const body = encodeRequest(
      canonical({ maxTokens: 1024, temperature: 0.5, topP: 0.9, topK: 40, userId: 'user-1', stopSequences: ['a', 'b', 'c', 'd', 'e'] }),
      options,
    );
    assert.deepEqual(body, {
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 1024,
      temperature: 0.5,
      top_p: 0.9,
      user: 'user-1',
      stop: ['a', 'b', 'c', 'd'],
    });
  });

  it('uses max_completion_tokens for o-series and gpt-5 models', () => {
    for (const model of ['o1', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'openai/gpt-5.1']) {
      const body = encodeRequest(canonical({ model, maxTokens: 500 }), options);
      assert.equal(body.max_completion_tokens, 500, model);
      assert.equal('max_tokens' in body, false, model);
    }
    assert.equal(encodeRequest(canonical({ model: 'gpt-4o', maxTokens: 500 }), options).max_tokens, 500);
  });

  it('always asks a streaming upstream for usage, whatever the client asked', () => {
    const body = encodeRequest(canonical({ stream: true, streamUsageRequested: false }), options);
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    const nonStreaming = encodeRequest(canonical({}), options);
    assert.equal('stream' in nonStreaming, false);
    assert.equal('stream_options' in nonStreaming, false);
  });

  it('encodes tools with their exact names, tool_choice and parallel_tool_calls (§8 #15)', () => {
    const tools = [
      { name: 'Bash', description: 'Run a command', inputSchema: { type: 'object', properties: { command: { type: 'string' } } } },
      { name: 'mcp__github__Create-Issue', inputSchema: { type: 'object', properties: {} }, strict: true },
    ];
    const body = encodeRequest(canonical({ tools, toolChoice: { type: 'tool', name: 'Bash' }, parallelToolCalls: false }), options);
    assert.deepEqual(body.tools, [
      { type: 'function', function: { name: 'Bash', description: 'Run a command', parameters: { type: 'object', properties: { command: { type: 'string' } } } } },
      { type: 'function', function: { name: 'mcp__github__Create-Issue', parameters: { type: 'object', properties: {} }, strict: true } },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'Bash' } });
    assert.equal(body.parallel_tool_calls, false);
    const choiceOf = (type: 'auto' | 'none' | 'required') => encodeRequest(canonical({ tools, toolChoice: { type } }), options).tool_choice;
    assert.deepEqual([choiceOf('auto'), choiceOf('none'), choiceOf('required')], ['auto', 'none', 'required']);
    // OpenAI refuses parallel_tool_calls without tools.
    assert.equal('parallel_tool_calls' in encodeRequest(canonical({ parallelToolCalls: false }), options), false);
  });

  it('turns a reasoning effort or thinking budget into reasoning_effort for models that take it', () => {
    const effortOf = (model: string, reasoning: CanonicalRequest['reasoning']) => encodeRequest(canonical({ model, reasoning }), options).reasoning_effort;
    assert.equal(effortOf('o3', { effort: 'minimal' }), 'minimal');
    assert.equal(effortOf('gpt-5', { budgetTokens: 1024 }), 'low');
    assert.equal(effortOf('gpt-5', { budgetTokens: 4096 }), 'medium');
    assert.equal(effortOf('gpt-5', { budgetTokens: 4097 }), 'high');
    assert.equal(effortOf('openai/gpt-oss-120b', { budgetTokens: 2000 }), 'medium');
    // gpt-4.1 answers 400 to reasoning_effort: thinking is dropped for models that cannot reason.
    assert.equal(effortOf('gpt-4.1', { budgetTokens: 8000 }), undefined);
  });

  it('encodes response formats', () => {
    const formatOf = (responseFormat: CanonicalRequest['responseFormat']) => encodeRequest(canonical({ responseFormat }), options).response_format;
    assert.deepEqual(formatOf({ type: 'text' }), { type: 'text' });
    assert.deepEqual(formatOf({ type: 'json-object' }), { type: 'json_object' });
    assert.deepEqual(formatOf({ type: 'json-schema', name: 'answer', schema: { type: 'object' }, strict: true }), {
      type: 'json_schema',
      json_schema: { name: 'answer', schema: { type: 'object' }, strict: true },
    });
  });

  it('never writes cache_control, and its output passes the OpenAI request schema (§8 #11)', () => {
    const request = canonical({
      system: [{ text: 'sys', origin: 'system' }],
      stream: true,
      maxTokens: 10,
      tools: [{ name: 't', inputSchema: { type: 'object', properties: {} } }],
      toolChoice: { type: 'auto' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }, { type: 'file', mediaType: 'image/gif', source: { kind: 'url', url: 'https://example.com/a.gif' } }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 't', input: { a: 1 } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', content: [{ type: 'text', text: 'r' }], isError: false }] },
      ],
    });
    const body = encodeRequest(request, options);
    assert.equal(JSON.stringify(body).includes('cache_control'), false);
    assert.equal(validateRequest(body), undefined);
  });

  it('round-trips through decodeRequest', () => {
    const request = canonical({
      system: [{ text: 'sys', origin: 'system' }],
      stream: true,
      streamUsageRequested: true,
      maxTokens: 10,
      temperature: 0.3,
      stopSequences: ['x'],
      userId: 'u',
      tools: [{ name: 'Lookup-Thing', description: 'd', inputSchema: { type: 'object', properties: { a: { type: 'number' } } } }],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }, { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'AAAA' } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool-call', id: 'c1', name: 'Lookup-Thing', input: { a: 1 } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', content: [{ type: 'text', text: '42' }], isError: false }] },
        { role: 'assistant', content: [{ type: 'text', text: 'It is 42.' }] },
      ],
    });
    assert.deepEqual(decodeRequest(encodeRequest(request, options)), request);
  });
});
