import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldPath, validateRequest } from './schema.ts';

const valid = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hello' }] };

function problem(body: unknown): { param: string | undefined; message: string } {
  const error = validateRequest(body);
  assert.ok(error, `expected ${JSON.stringify(body)} to be refused`);
  assert.equal(error.kind, 'invalid_request');
  assert.equal(error.status, 400);
  return { param: error.param, message: error.message };
}

describe('validateRequest', () => {
  it('accepts a minimal request, unknown fields anywhere, and null for optional fields', () => {
    assert.equal(validateRequest(valid), undefined);
    assert.equal(
      validateRequest({
        ...valid,
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }], some_extension: 1 },
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } }] },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
        ],
        stream: true,
        stream_options: { include_usage: true, include_obfuscation: false },
        max_tokens: null,
        max_completion_tokens: 100,
        temperature: 0.2,
        top_p: null,
        n: 1,
        stop: ['\n\n'],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
        tool_choice: { type: 'function', function: { name: 'f' } },
        parallel_tool_calls: false,
        reasoning_effort: 'low',
        response_format: { type: 'json_object' },
        logprobs: true,
        seed: 42,
        vendor_specific: { anything: [1, 2] },
      }),
      undefined,
    );
  });

  it('refuses a body that is not a JSON object', () => {
    for (const body of [null, [], 'text', 3]) assert.match(problem(body).message, /must be a JSON object/);
  });

  it('names a missing or empty model', () => {
    assert.deepEqual(problem({ messages: valid.messages }), { param: 'model', message: 'model: is required, expected a non-empty string' });
    assert.deepEqual(problem({ ...valid, model: '' }), { param: 'model', message: 'model: expected a non-empty string, got ""' });
    assert.equal(problem({ ...valid, model: 4 }).param, 'model');
  });

  it('reports the first problem when there are several', () => {
    assert.equal(problem({ model: '', messages: [] }).param, 'model');
  });

  it('names missing, empty and malformed messages', () => {
    assert.equal(problem({ model: 'm' }).param, 'messages');
    assert.deepEqual(problem({ model: 'm', messages: [] }), { param: 'messages', message: 'messages: expected a non-empty array of messages, got an array' });
    assert.equal(problem({ model: 'm', messages: ['hi'] }).param, 'messages[0]');
  });

  it('says which roles are allowed', () => {
    const { param, message } = problem({ model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'bot', content: 'b' }] });
    assert.equal(param, 'messages[1].role');
    assert.equal(message, 'messages[1].role: expected one of system, developer, user, assistant, tool, function, got "bot"');
    assert.equal(problem({ model: 'm', messages: [{ content: 'x' }] }).param, 'messages[0].role');
  });

  it('names bad message content and tool calls by their path', () => {
    assert.equal(problem({ model: 'm', messages: [{ role: 'system', content: 'a' }, { role: 'user', content: 'b' }, { role: 'user', content: 42 }] }).param, 'messages[2].content');
    assert.deepEqual(problem({ model: 'm', messages: [{ role: 'user', content: [{ text: 'no type' }] }] }), {
      param: 'messages[0].content[0].type',
      message: 'messages[0].content[0].type: is required, expected a string',
    });
    assert.equal(
      problem({ model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }] }).param,
      'messages[0].tool_calls[0].function.arguments',
    );
  });

  it('type-checks the common optional fields', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ stream: 'yes' }, 'stream', /expected a boolean, got "yes"/],
      [{ max_tokens: 0 }, 'max_tokens', /expected an integer ≥ 1, got 0/],
      [{ max_completion_tokens: 1.5 }, 'max_completion_tokens', /integer/],
      [{ temperature: 'hot' }, 'temperature', /expected a number/],
      [{ top_p: [] }, 'top_p', /expected a number, got an array/],
      [{ n: 0 }, 'n', /integer ≥ 1/],
      [{ stop: 5 }, 'stop', /a string or an array of strings/],
      [{ stop: ['a', 1] }, 'stop', /a string or an array of strings/],
      [{ tools: {} }, 'tools', /an array of tools/],
      [{ tools: [{ type: 'function', function: { name: '' } }] }, 'tools[0].function.name', /non-empty string/],
      [{ tools: [{ type: 'function', function: { name: 'f', parameters: 'none' } }] }, 'tools[0].function.parameters', /an object/],
      [{ tool_choice: 'sometimes' }, 'tool_choice', /"none", "auto", "required"/],
      [{ stream_options: true }, 'stream_options', /include_usage/],
      [{ stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage', /a boolean/],
      [{ parallel_tool_calls: 1 }, 'parallel_tool_calls', /a boolean/],
      [{ response_format: 'json' }, 'response_format', /"type"/],
    ];
    for (const [fields, param, message] of cases) {
      const found = problem({ ...valid, ...fields });
      assert.equal(found.param, param, JSON.stringify(fields));
      assert.match(found.message, message);
      assert.ok(found.message.startsWith(`${param}: `));
    }
  });
});

describe('fieldPath', () => {
  it('turns JSON pointers into the dotted paths people write', () => {
    assert.equal(fieldPath('/model'), 'model');
    assert.equal(fieldPath('/messages/2/content'), 'messages[2].content');
    assert.equal(fieldPath('/messages/0/tool_calls/1/function/arguments'), 'messages[0].tool_calls[1].function.arguments');
    assert.equal(fieldPath('/response_format/a~1b'), 'response_format.a/b');
    assert.equal(fieldPath(''), '');
  });
});
