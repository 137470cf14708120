import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalResponse } from '../../core/canonical-response.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { loadJsonFixture } from '../../../test/fixtures/load-fixture.ts';
import { decodeResponse } from './decode-response.ts';
import { encodeResponse } from './encode-response.ts';
import { decodeStopReason, encodeStopReason } from './finish-reason.ts';
import { decodeUsage, encodeUsage } from './usage.ts';

const fixture = (name: string) => loadJsonFixture(`anthropic-messages/${name}`);

function canonicalResponse(overrides: Partial<CanonicalResponse> = {}): CanonicalResponse {
  return {
    id: 'chatcmpl-abc',
    model: 'gpt-4.1',
    content: [{ type: 'text', text: 'Hi' }],
    finish: { reason: 'stop', raw: 'stop' },
    usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
    usageReported: true,
    ...overrides,
  };
}

describe('Anthropic response decoding', () => {
  it('decodes a text message, folding cache reads into the input tokens (CONVERSION #7)', async () => {
    const response = decodeResponse(await fixture('text.json'));
    assert.deepEqual(response, {
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'The capital of France is **Paris**.' }],
      finish: { reason: 'stop', raw: 'end_turn' },
      usage: { inputTokens: 21 + 2048, outputTokens: 12, cacheReadTokens: 2048, cacheWriteTokens: 0 },
      usageReported: true,
    });
  });

  it('decodes parallel tool calls with their inputs', async () => {
    const response = decodeResponse(await fixture('tools.json'));
    assert.deepEqual(response.content.slice(1), [
      { type: 'tool-call', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: { location: 'Paris, France', unit: 'celsius' } },
      { type: 'tool-call', id: 'toolu_01CVdEGtBDPGkbT3DKtJkSrc', name: 'get_weather', input: { location: 'Tokyo, Japan', unit: 'celsius' } },
    ]);
    assert.deepEqual(response.finish, { reason: 'tool-calls', raw: 'tool_use' });
  });

  it('decodes thinking with its signature and redacted thinking, in order', async () => {
    const response = decodeResponse(await fixture('thinking.json'));
    assert.deepEqual(
      response.content.map((part) => part.type),
      ['reasoning', 'redacted-reasoning', 'text', 'tool-call'],
    );
    const [reasoning] = response.content;
    assert.ok(reasoning.type === 'reasoning' && reasoning.signature?.startsWith('EqQBCkgI'));
    assert.deepEqual(response.usage, { inputTokens: 586 + 1410, outputTokens: 118, cacheReadTokens: 0, cacheWriteTokens: 1410 });
  });

  it('drops server-tool blocks, keeping the text around them', () => {
    const response = decodeResponse({
      id: 'msg_1',
      type: 'message',
      model: 'claude-x',
      content: [
        { type: 'text', text: 'Searching.' },
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
        { type: 'text', text: 'Found it.', citations: [{ type: 'web_search_result_location' }] },
      ],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 6, server_tool_use: { web_search_requests: 1 } },
    });
    assert.deepEqual(response.content, [
      { type: 'text', text: 'Searching.' },
      { type: 'text', text: 'Found it.' },
    ]);
  });

  it('rejects a body that is not a message as a bad gateway', () => {
    assert.throws(() => decodeResponse({ type: 'error' }), (error: unknown) => error instanceof GatewayError && error.kind === 'bad_gateway');
    assert.throws(() => decodeResponse('nope'), (error: unknown) => error instanceof GatewayError && error.kind === 'bad_gateway');
  });
});

describe('Anthropic response encoding', () => {
  it('encodes an OpenAI-sourced response with a msg_ id, usage split back out of the input, and end_turn', () => {
    const body = encodeResponse(canonicalResponse({ usage: { inputTokens: 1200, outputTokens: 40, cacheReadTokens: 1000, cacheWriteTokens: 0 } }));
    assert.deepEqual(body, {
      id: 'msg_chatcmpl-abc',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4.1',
      content: [{ type: 'text', text: 'Hi' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 200, output_tokens: 40, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 },
    });
  });

  it('keeps an id that is already msg_, and makes one when the upstream gave none', () => {
    assert.equal((encodeResponse(canonicalResponse({ id: 'msg_01abc' })) as { id: string }).id, 'msg_01abc');
    const generated = (encodeResponse(canonicalResponse({ id: '' })) as { id: string }).id;
    assert.match(generated, /^msg_[0-9a-f]{32}$/);
  });

  it('orders thinking, text and tool_use, skips empty text, signs OpenAI reasoning with "" and says tool_use when a tool was called', () => {
    const body = encodeResponse(
      canonicalResponse({
        content: [
          { type: 'reasoning', text: 'Need the weather.' },
          { type: 'text', text: '' },
          { type: 'tool-call', id: 'functions.get_weather:0', name: 'Get_Weather', input: { city: 'Oslo' } },
        ],
        finish: { reason: 'stop', raw: 'stop' },
      }),
    ) as Record<string, unknown>;
    assert.deepEqual(body.content, [
      { type: 'thinking', thinking: 'Need the weather.', signature: '' },
      { type: 'tool_use', id: 'functions_get_weather_0', name: 'Get_Weather', input: { city: 'Oslo' } },
    ]);
    assert.equal(body.stop_reason, 'tool_use');
  });

  it('round-trips the recorded Anthropic messages', async () => {
    for (const name of ['text.json', 'tools.json', 'thinking.json']) {
      const original = (await fixture(name)) as Record<string, any>;
      const roundTripped = encodeResponse(decodeResponse(original)) as Record<string, any>;
      assert.deepEqual(roundTripped.content, original.content, name);
      assert.equal(roundTripped.id, original.id);
      assert.equal(roundTripped.stop_reason, original.stop_reason);
      for (const key of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens']) {
        assert.equal(roundTripped.usage[key], original.usage[key], `${name} ${key}`);
      }
    }
  });
});

describe('Anthropic stop reasons and usage', () => {
  it('maps every stop_reason to a canonical finish, keeping unknown ones raw (CONVERSION #8)', () => {
    assert.deepEqual(decodeStopReason('end_turn', null), { reason: 'stop', raw: 'end_turn' });
    assert.deepEqual(decodeStopReason('stop_sequence', '###'), { reason: 'stop-sequence', raw: 'stop_sequence', stopSequence: '###' });
    assert.deepEqual(decodeStopReason('max_tokens', null), { reason: 'length', raw: 'max_tokens' });
    assert.deepEqual(decodeStopReason('tool_use', null), { reason: 'tool-calls', raw: 'tool_use' });
    assert.deepEqual(decodeStopReason('refusal', null), { reason: 'content-filter', raw: 'refusal' });
    assert.deepEqual(decodeStopReason('pause_turn', null), { reason: 'pause', raw: 'pause_turn' });
    assert.deepEqual(decodeStopReason('model_context_window_exceeded', null), { reason: 'context-window-exceeded', raw: 'model_context_window_exceeded' });
    assert.deepEqual(decodeStopReason('brand_new_reason', null), { reason: 'other', raw: 'brand_new_reason' });
    assert.deepEqual(decodeStopReason(null, null), { reason: 'other', raw: null });
  });

  it('maps canonical finishes back, with any tool call meaning tool_use', () => {
    assert.deepEqual(encodeStopReason({ reason: 'stop', raw: 'stop' }, false), { stop_reason: 'end_turn', stop_sequence: null });
    assert.deepEqual(encodeStopReason({ reason: 'length', raw: 'length' }, false), { stop_reason: 'max_tokens', stop_sequence: null });
    assert.deepEqual(encodeStopReason({ reason: 'tool-calls', raw: 'tool_calls' }, false), { stop_reason: 'tool_use', stop_sequence: null });
    assert.deepEqual(encodeStopReason({ reason: 'length', raw: 'length' }, true), { stop_reason: 'tool_use', stop_sequence: null });
    assert.deepEqual(encodeStopReason({ reason: 'content-filter', raw: 'content_filter' }, false), { stop_reason: 'refusal', stop_sequence: null });
    assert.deepEqual(encodeStopReason({ reason: 'other', raw: 'eos' }, false), { stop_reason: 'end_turn', stop_sequence: null });
  });

  it('treats Anthropic input, cache-read and cache-write counts as disjoint parts of the canonical input', () => {
    const usage = decodeUsage({ input_tokens: 10, cache_read_input_tokens: 300, cache_creation_input_tokens: 50, output_tokens: 7, output_tokens_details: { thinking_tokens: 3 } });
    assert.deepEqual(usage, { inputTokens: 360, cacheReadTokens: 300, cacheWriteTokens: 50, outputTokens: 7, reasoningTokens: 3 });
    assert.deepEqual(encodeUsage({ inputTokens: 360, cacheReadTokens: 300, cacheWriteTokens: 50, outputTokens: 7 }), {
      input_tokens: 10,
      output_tokens: 7,
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 50,
    });
  });
});
