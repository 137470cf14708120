import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateRequest } from './schema.ts';

const minimal = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] };

/** The problem reported for a body, as `param | message`, or 'ok'. */
function problemWith(body: unknown): string {
  const error = validateRequest(body);
  if (error === undefined) return 'ok';
  assert.equal(error.kind, 'invalid_request');
  assert.equal(error.status, 400);
  return `${error.param} | ${error.message}`;
}

describe('Anthropic request validation', () => {
  it('accepts a minimal request', () => {
    assert.equal(validateRequest(minimal), undefined);
  });

  it('accepts a full agent request with fields it does not know (passthrough forwards them)', () => {
    const body = {
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 32000,
      system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'List files', cache_control: { type: 'ephemeral' } }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I will use ls.', signature: 'sig' },
            { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt\nb.txt' }] },
      ],
      tools: [
        { name: 'Bash', description: 'Run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
      ],
      tool_choice: { type: 'auto', disable_parallel_tool_use: false },
      thinking: { type: 'enabled', budget_tokens: 10000 },
      metadata: { user_id: 'user_abc' },
      stream: true,
      temperature: 1,
      context_management: { edits: [] },
      some_future_field: { anything: true },
    };
    assert.equal(validateRequest(body), undefined);
  });

  it('treats null optional parameters as not set', () => {
    assert.equal(problemWith({ ...minimal, system: null, temperature: null, tools: null, metadata: { user_id: null } }), 'ok');
  });

  it('names a missing or wrong required field', () => {
    assert.equal(problemWith({ ...minimal, model: undefined }), 'model | model is required: it must be a non-empty string.');
    assert.equal(problemWith({ ...minimal, model: '' }), 'model | model must be a non-empty string, but it is an empty string.');
    assert.equal(problemWith({ ...minimal, max_tokens: undefined }), 'max_tokens | max_tokens is required: it must be an integer ≥ 1.');
    assert.equal(problemWith({ ...minimal, max_tokens: 0 }), 'max_tokens | max_tokens must be an integer ≥ 1, but it is the number 0.');
    assert.equal(problemWith({ ...minimal, max_tokens: '100' }), 'max_tokens | max_tokens must be an integer ≥ 1, but it is the string "100".');
    assert.equal(problemWith({ ...minimal, messages: [] }), 'messages | messages must be a non-empty array of messages, but it is an empty array.');
  });

  it('points into nested messages and content blocks', () => {
    assert.equal(
      problemWith({ ...minimal, messages: [{ role: 'system', content: 'x' }] }),
      'messages[0].role | messages[0].role must be one of "user", "assistant", but it is the string "system".',
    );
    assert.equal(
      problemWith({ ...minimal, messages: [minimal.messages[0], { role: 'assistant', content: 42 }] }),
      'messages[1].content | messages[1].content must be a string or an array of content blocks, but it is the number 42.',
    );
    assert.equal(
      problemWith({ ...minimal, messages: [minimal.messages[0], { role: 'user', content: [{ type: 'text', text: 'a' }, { text: 'b' }] }] }),
      'messages[1].content[1].type | messages[1].content[1].type is required: it must be a string.',
    );
    assert.equal(
      problemWith({ ...minimal, messages: [{ role: 'user', content: [{ type: 7 }] }] }),
      'messages[0].content[0].type | messages[0].content[0].type must be a string, but it is the number 7.',
    );
  });

  it('checks the types of the optional parameters', () => {
    assert.equal(problemWith({ ...minimal, system: [{ type: 'text' }] }), 'system[0].text | system[0].text is required: it must be a string.');
    assert.equal(problemWith({ ...minimal, stream: 'yes' }), 'stream | stream must be true or false or null, but it is the string "yes".');
    assert.equal(problemWith({ ...minimal, temperature: 'hot' }), 'temperature | temperature must be a number or null, but it is the string "hot".');
    assert.equal(problemWith({ ...minimal, top_k: 1.5 }), 'top_k | top_k must be an integer ≥ 0, but it is the number 1.5.');
    assert.equal(problemWith({ ...minimal, stop_sequences: ['END', 3] }), 'stop_sequences[1] | stop_sequences[1] must be a string, but it is the number 3.');
    assert.equal(problemWith({ ...minimal, tools: [{ description: 'x' }] }), 'tools[0].name | tools[0].name is required: it must be a non-empty string.');
    assert.equal(
      problemWith({ ...minimal, tool_choice: { type: 'required' } }),
      'tool_choice.type | tool_choice.type must be one of "auto", "any", "tool", "none", but it is the string "required".',
    );
    assert.equal(problemWith({ ...minimal, thinking: { type: 'enabled', budget_tokens: 'lots' } }).split(' | ')[0], 'thinking.budget_tokens');
    assert.equal(problemWith({ ...minimal, metadata: { user_id: 5 } }).split(' | ')[0], 'metadata.user_id');
  });

  it('rejects a body that is not a JSON object', () => {
    assert.equal(problemWith([]), 'undefined | The request body must be a JSON object, but it is an empty array.');
    assert.equal(problemWith('hello'), 'undefined | The request body must be a JSON object, but it is the string "hello".');
    assert.equal(problemWith(null), 'undefined | The request body must be a JSON object, but it is null.');
  });
});
