import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalMessage, CanonicalRequest } from '../../core/canonical-request.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { encodeRequest } from './encode-request.ts';

const options = { defaultMaxTokens: 4096 };

function canonical(overrides: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return {
    model: 'claude-sonnet-4-5',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    stream: false,
    streamUsageRequested: false,
    ...overrides,
  };
}

const encode = (overrides: Partial<CanonicalRequest> = {}) => encodeRequest(canonical(overrides), options) as Record<string, any>;
const encodeMessages = (messages: CanonicalMessage[]) => encode({ messages }).messages;

function rejection(overrides: Partial<CanonicalRequest>): GatewayError {
  try {
    encode(overrides);
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  assert.fail('expected the request to be rejected');
}

const weatherCall = (id: string, city: string) => ({ type: 'tool-call' as const, id, name: 'get_weather', input: { city } });
const result = (toolCallId: string, text: string) => ({ type: 'tool-result' as const, toolCallId, content: [{ type: 'text' as const, text }], isError: false });

describe('Anthropic request encoding: parameters', () => {
  it('encodes a plain request with the default max_tokens and no system when there is none', () => {
    assert.deepEqual(encode(), {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      max_tokens: 4096,
      stream: false,
    });
  });

  it('joins system and developer instructions into the top-level system', () => {
    const body = encode({ system: [{ text: 'Be brief.', origin: 'system' }, { text: 'Answer in French.', origin: 'developer' }] });
    assert.equal(body.system, 'Be brief.\nAnswer in French.');
  });

  it('clamps temperature into [0, 1], keeps top_p alone, and drops top_p next to temperature', () => {
    assert.equal(encode({ temperature: 1.7 }).temperature, 1);
    assert.equal(encode({ temperature: -1 }).temperature, 0);
    assert.equal(encode({ topP: 0.8 }).top_p, 0.8);
    const both = encode({ temperature: 0.2, topP: 0.8 });
    assert.equal(both.temperature, 0.2);
    assert.equal('top_p' in both, false);
  });

  it('passes max_tokens, top_k, stop sequences (whitespace-only ones dropped), user id and stream', () => {
    const body = encode({ maxTokens: 500, topK: 20, stopSequences: ['END', ' ', '\n', '###'], userId: 'user-7', stream: true });
    assert.equal(body.max_tokens, 500);
    assert.equal(body.top_k, 20);
    assert.deepEqual(body.stop_sequences, ['END', '###']);
    assert.deepEqual(body.metadata, { user_id: 'user-7' });
    assert.equal(body.stream, true);
    assert.equal('stop_sequences' in encode({ stopSequences: ['  '] }), false);
  });

  it('rejects more than one choice, naming n', () => {
    const error = rejection({ choiceCount: 2 });
    assert.equal(error.kind, 'invalid_request');
    assert.equal(error.param, 'n');
  });

  it('asks for JSON in the system prompt for a response format, keeping the instructions before it', () => {
    const objectBody = encode({ system: [{ text: 'You extract data.', origin: 'system' }], responseFormat: { type: 'json-object' } });
    assert.match(objectBody.system, /^You extract data\.\n\nRespond with a single valid JSON object/);
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const schemaBody = encode({ responseFormat: { type: 'json-schema', name: 'place', schema } });
    assert.ok(schemaBody.system.includes('"place"'));
    assert.ok(schemaBody.system.includes(JSON.stringify(schema)));
    assert.equal('tool_choice' in schemaBody, false, 'no forced tool: the answer stays text');
    assert.equal('system' in encode({ responseFormat: { type: 'text' } }), false);
  });
});

describe('Anthropic request encoding: tools', () => {
  const tools = [
    { name: 'Get-Weather_v2', description: 'Weather now', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
    { name: 'mcp__github__CreateIssue', inputSchema: {} },
  ];

  it('encodes tools without renaming them, giving a parameterless tool the empty object schema (CONVERSION #15)', () => {
    assert.deepEqual(encode({ tools }).tools, [
      { name: 'Get-Weather_v2', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'mcp__github__CreateIssue', input_schema: { type: 'object', properties: {} } },
    ]);
  });

  it('maps tool choices, keeping the tools with none', () => {
    assert.deepEqual(encode({ tools, toolChoice: { type: 'auto' } }).tool_choice, { type: 'auto' });
    assert.deepEqual(encode({ tools, toolChoice: { type: 'required' } }).tool_choice, { type: 'any' });
    assert.deepEqual(encode({ tools, toolChoice: { type: 'tool', name: 'Get-Weather_v2' } }).tool_choice, { type: 'tool', name: 'Get-Weather_v2' });
    const none = encode({ tools, toolChoice: { type: 'none' } });
    assert.deepEqual(none.tool_choice, { type: 'none' });
    assert.equal(none.tools.length, 2);
  });

  it('turns parallelToolCalls false into disable_parallel_tool_use', () => {
    assert.deepEqual(encode({ tools, parallelToolCalls: false }).tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    assert.deepEqual(encode({ tools, toolChoice: { type: 'required' }, parallelToolCalls: false }).tool_choice, {
      type: 'any',
      disable_parallel_tool_use: true,
    });
    assert.equal('tool_choice' in encode({ parallelToolCalls: false }), false, 'no tool_choice without tools');
  });
});

describe('Anthropic request encoding: thinking and max_tokens (CONVERSION #16)', () => {
  const thinkingOf = (body: Record<string, any>) => [body.max_tokens, body.thinking?.budget_tokens];

  it('maps effort low/medium/high to budgets added on top of the default max_tokens', () => {
    assert.deepEqual(thinkingOf(encode({ reasoning: { effort: 'low' } })), [4096 + 1024, 1024]);
    assert.deepEqual(thinkingOf(encode({ reasoning: { effort: 'medium' } })), [4096 + 2048, 2048]);
    assert.deepEqual(thinkingOf(encode({ reasoning: { effort: 'high' } })), [4096 + 4096, 4096]);
    assert.deepEqual(thinkingOf(encode({ reasoning: { effort: 'none' } })), [4096, undefined]);
    assert.deepEqual(thinkingOf(encode({ reasoning: { effort: 'minimal' } })), [4096, undefined]);
    assert.deepEqual(encode({ reasoning: { effort: 'low' } }).thinking, { type: 'enabled', budget_tokens: 1024 });
  });

  it('keeps the budget below a client max_tokens, and drops thinking when too little room is left', () => {
    assert.deepEqual(thinkingOf(encode({ maxTokens: 3000, reasoning: { effort: 'high' } })), [3000, 2999]);
    assert.deepEqual(thinkingOf(encode({ maxTokens: 20000, reasoning: { effort: 'high' } })), [20000, 4096]);
    assert.deepEqual(thinkingOf(encode({ maxTokens: 1000, reasoning: { effort: 'high' } })), [1000, undefined]);
    assert.deepEqual(thinkingOf(encode({ maxTokens: 16000, reasoning: { budgetTokens: 10000 } })), [16000, 10000]);
    for (const maxTokens of [1025, 1100, 5000, 100000]) {
      const [max, budget] = thinkingOf(encode({ maxTokens, reasoning: { budgetTokens: 200000 } }));
      assert.ok(budget < max, `budget ${budget} < max_tokens ${max}`);
    }
  });

  it('omits temperature and top_k, narrows top_p, and relaxes a forced tool choice when thinking', () => {
    const body = encode({
      reasoning: { effort: 'medium' },
      temperature: 0.5,
      topK: 10,
      tools: [{ name: 'f', inputSchema: { type: 'object' } }],
      toolChoice: { type: 'tool', name: 'f' },
      parallelToolCalls: false,
    });
    assert.equal('temperature' in body, false);
    assert.equal('top_k' in body, false);
    assert.deepEqual(body.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    assert.equal(encode({ reasoning: { effort: 'low' }, topP: 0.5 }).top_p, 0.95);
  });

  it('answers without thinking when the last tool-use turn has no thinking block to send back', () => {
    const messages: CanonicalMessage[] = [
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      { role: 'assistant', content: [weatherCall('call_1', 'Oslo')] },
      { role: 'tool', content: [result('call_1', '4 °C')] },
    ];
    assert.equal('thinking' in encode({ messages, reasoning: { effort: 'high' } }), false);
    const signed: CanonicalMessage[] = [
      messages[0],
      { role: 'assistant', content: [{ type: 'reasoning', text: 'Call it.', signature: 'sig' }, weatherCall('call_1', 'Oslo')] },
      messages[2],
    ];
    assert.equal(encode({ messages: signed, reasoning: { effort: 'high' } }).thinking.type, 'enabled');
  });
});

describe('Anthropic request encoding: messages', () => {
  it('encodes images, PDFs and plain-text files, normalising image/jpg', () => {
    const [message] = encodeMessages([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look' },
          { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'iVBOR' } },
          { type: 'file', mediaType: 'image/jpg', source: { kind: 'base64', data: '/9j/' } },
          { type: 'file', mediaType: 'image/*', source: { kind: 'url', url: 'https://example.com/a.webp' } },
          { type: 'file', mediaType: 'application/pdf', source: { kind: 'base64', data: 'JVBER' }, filename: 'spec.pdf' },
          { type: 'file', mediaType: 'application/pdf', source: { kind: 'url', url: 'https://example.com/a.pdf' } },
          { type: 'file', mediaType: 'text/plain', source: { kind: 'base64', data: btoa('notes: ok') } },
        ],
      },
    ]);
    assert.deepEqual(message.content, [
      { type: 'text', text: 'Look' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.webp' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'spec.pdf' },
      { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes: ok' } },
    ]);
  });

  it('rejects image and file types Anthropic does not accept, naming the part', () => {
    const bmp = rejection({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'file', mediaType: 'image/bmp', source: { kind: 'base64', data: 'Qk0' } }] }],
    });
    assert.equal(bmp.kind, 'invalid_request');
    assert.equal(bmp.param, 'messages[0].content[1]');
    assert.match(bmp.message, /image\/bmp/);
    const audio = rejection({ messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'audio/wav', source: { kind: 'base64', data: 'UklG' } }] }] });
    assert.equal(audio.param, 'messages[0].content[0]');
  });

  it('merges parallel tool results and the following user text into one user turn, results first (CONVERSION #9)', () => {
    const messages = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'Paris and Tokyo?' }] },
      { role: 'assistant', content: [weatherCall('functions.get_weather:0', 'Paris'), weatherCall('functions.get_weather:1', 'Tokyo')] },
      { role: 'tool', content: [result('functions.get_weather:0', '18 °C')] },
      { role: 'tool', content: [result('functions.get_weather:1', '22 °C')] },
      { role: 'user', content: [{ type: 'text', text: 'Which is warmer?' }] },
    ]);
    assert.equal(messages.length, 3);
    assert.deepEqual(messages[1].content.map((block: any) => block.id), ['functions_get_weather_0', 'functions_get_weather_1']);
    assert.deepEqual(messages[2], {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'functions_get_weather_0', content: '18 °C' },
        { type: 'tool_result', tool_use_id: 'functions_get_weather_1', content: '22 °C' },
        { type: 'text', text: 'Which is warmer?' },
      ],
    });
  });

  it('puts tool results first even when user text came before them', () => {
    const messages = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'Go' }] },
      { role: 'assistant', content: [weatherCall('call_1', 'Oslo')] },
      { role: 'user', content: [{ type: 'text', text: 'By the way…' }] },
      { role: 'tool', content: [result('call_1', '4 °C')] },
    ]);
    assert.deepEqual(messages[2].content.map((block: any) => block.type), ['tool_result', 'text']);
  });

  it('encodes tool results with images as blocks, errors with is_error, and empty results without content', () => {
    const [, , results] = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'Go' }] },
      { role: 'assistant', content: [weatherCall('a', 'x'), weatherCall('b', 'y'), weatherCall('c', 'z')] },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'a',
            isError: false,
            content: [
              { type: 'text', text: 'chart:' },
              { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'iVBOR' } },
            ],
          },
          { type: 'tool-result', toolCallId: 'b', isError: true, content: [{ type: 'text', text: 'timeout' }] },
          { type: 'tool-result', toolCallId: 'c', isError: false, content: [] },
        ],
      },
    ]);
    assert.deepEqual(results.content, [
      {
        type: 'tool_result',
        tool_use_id: 'a',
        content: [
          { type: 'text', text: 'chart:' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
        ],
      },
      { type: 'tool_result', tool_use_id: 'b', content: 'timeout', is_error: true },
      { type: 'tool_result', tool_use_id: 'c' },
    ]);
  });

  it('never sends an empty text block, and drops a message left empty (CONVERSION #10)', () => {
    const messages = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'Go' }] },
      { role: 'assistant', content: [{ type: 'text', text: '' }, weatherCall('call_1', 'Oslo')] },
      { role: 'tool', content: [result('call_1', '4 °C')] },
      { role: 'assistant', content: [{ type: 'text', text: '' }] },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
    ]);
    assert.deepEqual(messages[1].content, [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } }]);
    // The empty assistant turn is gone, so the tool result and the next question form one user turn.
    assert.deepEqual(messages.map((message: any) => message.role), ['user', 'assistant', 'user']);
    assert.deepEqual(messages[2].content.map((block: any) => block.type), ['tool_result', 'text']);
  });

  it('keeps signed thinking and redacted thinking before tool_use, in order, and drops unsigned reasoning (CONVERSION #12)', () => {
    const [, assistant] = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'Go' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Think.', signature: 'sig-1' },
          { type: 'redacted-reasoning', data: 'opaque' },
          { type: 'reasoning', text: 'Unsigned, from another upstream.' },
          { type: 'text', text: 'Calling.' },
          weatherCall('toolu_1', 'Oslo'),
        ],
      },
    ]);
    assert.deepEqual(assistant.content, [
      { type: 'thinking', thinking: 'Think.', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'Calling.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
  });

  it('merges adjacent messages of the same role', () => {
    const messages = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'One' }] },
      { role: 'user', content: [{ type: 'text', text: 'Two' }] },
    ]);
    assert.deepEqual(messages, [{ role: 'user', content: [{ type: 'text', text: 'One' }, { type: 'text', text: 'Two' }] }]);
  });

  it('opens with a user turn when the conversation starts with the assistant', () => {
    const messages = encodeMessages([
      { role: 'assistant', content: [{ type: 'text', text: 'Hi! How can I help?' }] },
      { role: 'user', content: [{ type: 'text', text: 'Tell me a joke.' }] },
    ]);
    assert.deepEqual(messages.map((message: any) => message.role), ['user', 'assistant', 'user']);
  });

  it('trims trailing whitespace from a final assistant prefill', () => {
    const messages = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'Answer in JSON' }] },
      { role: 'assistant', content: [{ type: 'text', text: '{\n  ' }] },
    ]);
    assert.deepEqual(messages[1].content, [{ type: 'text', text: '{' }]);
  });

  it('rejects a conversation with no content at all', () => {
    const error = rejection({ messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] });
    assert.equal(error.param, 'messages');
  });

  it('sends an object as tool input even when the arguments were not one', () => {
    const [, assistant] = encodeMessages([
      { role: 'user', content: [{ type: 'text', text: 'Go' }] },
      { role: 'assistant', content: [{ type: 'tool-call', id: 'x', name: 'f', input: 'not json' }] },
    ]);
    assert.deepEqual(assistant.content[0].input, {});
  });
});
