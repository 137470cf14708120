/**
 * Non-streaming response conversion (CONVERSION.md §3) through both protocol objects: a recorded
 * upstream JSON body → the upstream protocol's decodeResponse → the client protocol's encodeResponse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicMessagesProtocol as anthropic } from '../../src/protocols/anthropic-messages/index.ts';
import { openAiChatProtocol as openAi } from '../../src/protocols/openai-chat/index.ts';
import type { Protocol } from '../../src/protocols/protocol.ts';
import { loadJsonFixture } from '../fixtures/load-fixture.ts';

async function convertResponse(fixture: string, from: Protocol, to: Protocol): Promise<any> {
  return to.encodeResponse(from.decodeResponse(await loadJsonFixture(fixture)));
}

describe('non-streaming response conversion', () => {
  describe('Anthropic upstream → OpenAI client', () => {
    it('text: content, finish_reason stop, cached tokens inside prompt_tokens (#7)', async () => {
      const completion = await convertResponse('anthropic-messages/text.json', anthropic, openAi);
      assert.equal(completion.object, 'chat.completion');
      assert.equal(typeof completion.id, 'string');
      assert.equal(typeof completion.created, 'number');
      assert.equal(completion.choices.length, 1);
      assert.equal(completion.choices[0].message.role, 'assistant');
      assert.equal(completion.choices[0].message.content, 'The capital of France is **Paris**.');
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assert.equal(completion.usage.prompt_tokens, 21 + 2048);
      assert.equal(completion.usage.completion_tokens, 12);
      assert.equal(completion.usage.total_tokens, 21 + 2048 + 12);
      assert.equal(completion.usage.prompt_tokens_details.cached_tokens, 2048);
    });

    it('parallel tool calls: ids, names, JSON-string arguments, finish_reason tool_calls (#8)', async () => {
      const completion = await convertResponse('anthropic-messages/tools.json', anthropic, openAi);
      const message = completion.choices[0].message;
      assert.equal(message.content, "I'll check the weather in both cities at once.");
      assert.deepEqual(
        message.tool_calls.map((call: any) => [call.id, call.type, call.function.name, JSON.parse(call.function.arguments)]),
        [
          ['toolu_01T1x1fJ34qAmk2tNTrN7Up6', 'function', 'get_weather', { location: 'Paris, France', unit: 'celsius' }],
          ['toolu_01CVdEGtBDPGkbT3DKtJkSrc', 'function', 'get_weather', { location: 'Tokyo, Japan', unit: 'celsius' }],
        ],
      );
      assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    });

    it('thinking never lands in content; cache writes count as prompt tokens', async () => {
      const completion = await convertResponse('anthropic-messages/thinking.json', anthropic, openAi);
      const message = completion.choices[0].message;
      assert.equal(message.content, "Let me look up tomorrow's forecast for Oslo.");
      assert.equal(message.tool_calls.length, 1);
      assert.equal(completion.usage.prompt_tokens, 586 + 1410);
      if (message.reasoning_content !== undefined) assert.match(message.reasoning_content, /rain in Oslo/);
    });
  });

  describe('OpenAI upstream → Anthropic client', () => {
    it('text: one text block, stop_reason end_turn, input tokens without the cached part (#6 #7)', async () => {
      const message = await convertResponse('openai-chat/text.json', openAi, anthropic);
      assert.equal(message.type, 'message');
      assert.equal(message.role, 'assistant');
      assert.match(message.id, /^msg_/);
      assert.deepEqual(message.content, [{ type: 'text', text: 'Hello! How can I help you today?' }]);
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.stop_sequence, null);
      assert.equal(message.usage.input_tokens, 1433 - 1280);
      assert.equal(message.usage.cache_read_input_tokens, 1280);
      assert.equal(message.usage.output_tokens, 10);
    });

    it('tool calls with content null: tool_use blocks only, no empty text block (#10), names unchanged (#15)', async () => {
      const message = await convertResponse('openai-chat/tool-calls.json', openAi, anthropic);
      assert.deepEqual(
        message.content.map((block: any) => ({ type: block.type, name: block.name, input: block.input })),
        [
          { type: 'tool_use', name: 'get_weather', input: { city: 'Paris, France', unit: 'celsius' } },
          { type: 'tool_use', name: 'GetLocalTime', input: { timezone: 'Asia/Tokyo' } },
        ],
      );
      for (const block of message.content) assert.match(block.id, /^[a-zA-Z0-9_-]+$/);
      assert.equal(message.stop_reason, 'tool_use');
    });

    it('reasoning_content becomes a thinking block before the text', async () => {
      const message = await convertResponse('openai-chat/reasoning.json', openAi, anthropic);
      assert.deepEqual(message.content.map((block: any) => block.type), ['thinking', 'text']);
      assert.match(message.content[0].thinking, /17 × 23/);
      assert.equal(message.content[1].text, '17 × 23 = **391**.');
      assert.equal(message.usage.output_tokens, 97, 'reasoning tokens are inside output tokens');
    });
  });
});
