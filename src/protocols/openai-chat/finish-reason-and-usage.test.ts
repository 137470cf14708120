import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFinishReason, encodeFinishReason } from './finish-reason.ts';
import { decodeUsage, encodeUsage } from './usage.ts';

describe('finish reasons', () => {
  it('decodes every OpenAI finish_reason and keeps unknown ones raw', () => {
    assert.deepEqual(decodeFinishReason('stop', false), { reason: 'stop', raw: 'stop' });
    assert.deepEqual(decodeFinishReason('length', false), { reason: 'length', raw: 'length' });
    assert.deepEqual(decodeFinishReason('tool_calls', false), { reason: 'tool-calls', raw: 'tool_calls' });
    assert.deepEqual(decodeFinishReason('function_call', false), { reason: 'tool-calls', raw: 'function_call' });
    assert.deepEqual(decodeFinishReason('content_filter', false), { reason: 'content-filter', raw: 'content_filter' });
    assert.deepEqual(decodeFinishReason('eos_token', false), { reason: 'other', raw: 'eos_token' });
    assert.deepEqual(decodeFinishReason(null, false), { reason: 'other', raw: null });
  });

  it('says tool-calls when tool calls are present, unless the reply was cut off or filtered', () => {
    assert.equal(decodeFinishReason('stop', true).reason, 'tool-calls');
    assert.equal(decodeFinishReason(null, true).reason, 'tool-calls');
    assert.equal(decodeFinishReason('eos', true).reason, 'tool-calls');
    // Half-written arguments must not be run as a finished call.
    assert.equal(decodeFinishReason('length', true).reason, 'length');
    assert.equal(decodeFinishReason('content_filter', true).reason, 'content-filter');
  });

  it('encodes every canonical reason as one OpenAI clients know', () => {
    assert.deepEqual(
      (['stop', 'stop-sequence', 'length', 'tool-calls', 'content-filter', 'pause', 'context-window-exceeded', 'other'] as const).map(encodeFinishReason),
      ['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'stop', 'length', 'stop'],
    );
  });
});

describe('usage', () => {
  it('keeps cached and reasoning tokens inside prompt and completion tokens, in both directions (§8 #7)', () => {
    const wire = {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 192, audio_tokens: 0 },
    };
    const usage = decodeUsage(wire);
    assert.deepEqual(usage, { inputTokens: 2006, outputTokens: 300, cacheReadTokens: 1920, reasoningTokens: 192 });
    assert.deepEqual(encodeUsage({ inputTokens: 2006, outputTokens: 300, cacheReadTokens: 1920, cacheWriteTokens: 0, reasoningTokens: 192 }), {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920 },
      completion_tokens_details: { reasoning_tokens: 192 },
    });
  });

  it('reads absent, null and partial usage', () => {
    assert.equal(decodeUsage(null), undefined);
    assert.equal(decodeUsage(undefined), undefined);
    assert.deepEqual(decodeUsage({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, prompt_tokens_details: null }), { inputTokens: 5, outputTokens: 1 });
  });
});
