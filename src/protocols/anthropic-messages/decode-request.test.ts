import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/gateway-error.ts';
import { decodeRequest } from './decode-request.ts';
import { encodeRequest } from './encode-request.ts';

const base = { model: 'claude-sonnet-4-5', max_tokens: 1024 };
const decode = (body: Record<string, unknown>) => decodeRequest({ ...base, ...body });

function rejection(body: Record<string, unknown>): { param: string | undefined; message: string } {
  try {
    decode(body);
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.kind, 'invalid_request');
    return { param: error.param, message: error.message };
  }
  assert.fail('expected the request to be rejected');
}

describe('Anthropic request decoding', () => {
  it('decodes parameters, and never asks for stream usage (Anthropic streams always carry it)', () => {
    const request = decode({
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    });
    assert.deepEqual(request, {
      model: 'claude-sonnet-4-5',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      stream: true,
      streamUsageRequested: false,
      maxTokens: 1024,
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stopSequences: ['END'],
      userId: 'user-42',
    });
  });

  it('turns a system string or text blocks into system instructions, dropping cache_control', () => {
    assert.deepEqual(decode({ system: 'Be brief.', messages: [{ role: 'user', content: 'x' }] }).system, [{ text: 'Be brief.', origin: 'system' }]);
    const blocks = decode({
      system: [
        { type: 'text', text: 'You are Claude Code.' },
        { type: 'text', text: 'Project rules…', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.deepEqual(blocks.system, [
      { text: 'You are Claude Code.', origin: 'system' },
      { text: 'Project rules…', origin: 'system' },
    ]);
  });

  it('decodes user text, images and documents into parts', () => {
    const request = decode({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'document', title: 'report.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' } },
            { type: 'document', source: { type: 'url', url: 'https://example.com/paper.pdf' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Plain notes' } },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these' },
          { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'iVBORw0KGgo=' } },
          { type: 'file', mediaType: 'image/*', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
          { type: 'file', mediaType: 'application/pdf', source: { kind: 'base64', data: 'JVBERi0x' }, filename: 'report.pdf' },
          { type: 'file', mediaType: 'application/pdf', source: { kind: 'url', url: 'https://example.com/paper.pdf' } },
          { type: 'text', text: 'Plain notes' },
        ],
      },
    ]);
  });

  it('puts parallel tool results in one tool message, in order, before the rest of the same user message', () => {
    const request = decode({
      messages: [
        { role: 'user', content: 'Weather in Paris and Tokyo?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Tokyo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_a', content: '18 °C' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_b',
              is_error: true,
              content: [
                { type: 'text', text: 'Service down' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
              ],
            },
            { type: 'text', text: 'Summarise please.' },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages.slice(2), [
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'toolu_a', content: [{ type: 'text', text: '18 °C' }], isError: false },
          {
            type: 'tool-result',
            toolCallId: 'toolu_b',
            content: [
              { type: 'text', text: 'Service down' },
              { type: 'file', mediaType: 'image/png', source: { kind: 'base64', data: 'AAAA' } },
            ],
            isError: true,
          },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Summarise please.' }] },
    ]);
  });

  it('keeps a tool result without content as an empty result', () => {
    const request = decode({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a' }] }] });
    assert.deepEqual(request.messages, [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_a', content: [], isError: false }] }]);
  });

  it('decodes assistant text, tool use, thinking with signature and redacted thinking; drops server-tool blocks', () => {
    const request = decode({
      messages: [
        { role: 'user', content: 'Go' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Plan first.', signature: 'sig-abc' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'Searching.' },
            { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
            { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: 'a.ts' } },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[1], {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'Plan first.', signature: 'sig-abc' },
        { type: 'redacted-reasoning', data: 'opaque' },
        { type: 'text', text: 'Searching.' },
        { type: 'tool-call', id: 'toolu_1', name: 'Read', input: { path: 'a.ts' } },
      ],
    });
  });

  it('decodes custom tools and rejects Anthropic server tools, naming the tool', () => {
    const tools = [
      { name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { type: 'custom', name: 'noop', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
    ];
    assert.deepEqual(decode({ messages: [{ role: 'user', content: 'x' }], tools }).tools, [
      { name: 'get_weather', description: 'Weather now', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'noop', inputSchema: { type: 'object' } },
    ]);
    for (const serverTool of [
      { type: 'web_search_20250305', name: 'web_search' },
      { type: 'bash_20250124', name: 'bash' },
      { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
      { type: 'code_execution_20250825', name: 'code_execution' },
    ]) {
      const problem = rejection({ messages: [{ role: 'user', content: 'x' }], tools: [tools[0], serverTool] });
      assert.equal(problem.param, 'tools[1]');
      assert.match(problem.message, new RegExp(serverTool.type));
    }
  });

  it('maps tool_choice and disable_parallel_tool_use', () => {
    const choice = (tool_choice: unknown) => {
      const request = decode({ messages: [{ role: 'user', content: 'x' }], tool_choice });
      return [request.toolChoice, request.parallelToolCalls];
    };
    assert.deepEqual(choice({ type: 'auto' }), [{ type: 'auto' }, undefined]);
    assert.deepEqual(choice({ type: 'any', disable_parallel_tool_use: true }), [{ type: 'required' }, false]);
    assert.deepEqual(choice({ type: 'tool', name: 'get_weather' }), [{ type: 'tool', name: 'get_weather' }, undefined]);
    assert.deepEqual(choice({ type: 'none' }), [{ type: 'none' }, undefined]);
  });

  it('maps thinking budgets and effort to the canonical reasoning request', () => {
    const reasoning = (extra: Record<string, unknown>) => decode({ messages: [{ role: 'user', content: 'x' }], ...extra }).reasoning;
    assert.deepEqual(reasoning({ thinking: { type: 'enabled', budget_tokens: 8000 } }), { budgetTokens: 8000 });
    assert.deepEqual(reasoning({ thinking: { type: 'adaptive' } }), { effort: 'high' });
    assert.deepEqual(reasoning({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } }), { effort: 'low' });
    assert.deepEqual(reasoning({ output_config: { effort: 'max' } }), { effort: 'high' });
    assert.equal(reasoning({ thinking: { type: 'disabled' } }), undefined);
    assert.equal(reasoning({}), undefined);
    assert.equal(rejection({ messages: [{ role: 'user', content: 'x' }], thinking: { type: 'enabled' } }).param, 'thinking.budget_tokens');
  });

  it('maps a structured-output format to a JSON-schema response format', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const request = decode({ messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json_schema', schema } } });
    assert.deepEqual(request.responseFormat, { type: 'json-schema', name: 'response', schema });
  });

  it('rejects blocks it cannot convert, naming the field', () => {
    assert.deepEqual(rejection({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'search_result', source: 'x' }] }] }).param, 'messages[0].content[1].type');
    assert.equal(
      rejection({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }).param,
      'messages[0].content[0].source.type',
    );
    assert.equal(rejection({ messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }).param, 'messages[0].content[0].text');
    assert.equal(rejection({ messages: [{ role: 'user', content: [{ type: 'tool_result' }] }] }).param, 'messages[0].content[0].tool_use_id');
  });

  it('rejects a block or source type that is not a string, even one JavaScript cannot turn into a string', () => {
    // Found by the HTTP fuzzer: String() of an object whose "toString" is not a function throws a TypeError (a 500).
    const unprintable = JSON.parse('{"toString": [], "t": true}');
    const nested = rejection({
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: unprintable, text: 'x' }] }] }],
    });
    assert.equal(nested.param, 'messages[0].content[0].content[0].type');
    assert.match(nested.message, /type \{"toString":\[\],"t":true\} cannot be converted/);
    const source = rejection({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: unprintable } }] }] });
    assert.equal(source.param, 'messages[0].content[0].source.type');
    const long = rejection({ messages: [{ role: 'user', content: [{ type: 'x'.repeat(100) }] }] });
    assert.match(long.message, /type "x{39}… cannot be converted/);
  });

  it('encodes back to the same conversation an agent sent (thinking, tool use, tool results, images)', () => {
    const messages = [
      { role: 'user', content: [{ type: 'text', text: 'What is in this picture, and what is the weather there?' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'It shows Oslo. Check the weather.', signature: 'EqQBCkgIARAB' },
          { type: 'text', text: 'That is Oslo. Checking the weather.' },
          { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 'toolu_01B', name: 'get_time', input: { city: 'Oslo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01A', content: '4 °C, light rain' },
          { type: 'tool_result', tool_use_id: 'toolu_01B', content: 'timeout', is_error: true },
          { type: 'text', text: 'Thanks!' },
        ],
      },
    ];
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 16000,
      system: 'You are helpful.',
      messages,
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 8000 },
      stream: true,
    };
    const reencoded = encodeRequest(decodeRequest(body), { defaultMaxTokens: 4096 });
    assert.deepEqual(reencoded, { ...body, stream: true });
  });
});
