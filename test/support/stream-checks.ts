/**
 * The rules a client's parser relies on, checked over a whole stream as the client received it.
 * Anthropic: one message_start first, one open content block at a time with dense indexes, each delta
 * matching its block's type, message_delta then message_stop last (or one error event last).
 * OpenAI: one id throughout, `[DONE]` last, nothing after it.
 */
import assert from 'node:assert/strict';
import { createParser } from 'eventsource-parser';

type AnthropicEvent = { type: string; index?: number; content_block?: { type: string }; delta?: { type?: string } };

const deltaTypesByBlock: Record<string, string[]> = {
  text: ['text_delta', 'citations_delta'],
  thinking: ['thinking_delta', 'signature_delta'],
  tool_use: ['input_json_delta'],
  server_tool_use: ['input_json_delta'],
};

export function assertWellFormedAnthropicStream(stream: ReadonlyArray<{ type: string }>): void {
  const events = stream as AnthropicEvent[];
  assert.ok(events.length > 0, 'the stream is empty');
  assert.equal(events[0].type, 'message_start', 'message_start comes first');
  assert.equal(events.filter((event) => event.type === 'message_start').length, 1, 'exactly one message_start');
  let open: { index: number; type: string } | undefined;
  let nextIndex = 0;
  let sawMessageDelta = false;
  events.forEach((event, position) => {
    const where = `event ${position} (${event.type})`;
    switch (event.type) {
      case 'content_block_start':
        assert.equal(open, undefined, `${where}: a block opened while block ${open?.index} is still open`);
        assert.equal(event.index, nextIndex, `${where}: block indexes must be dense from 0`);
        open = { index: nextIndex, type: event.content_block?.type ?? '?' };
        nextIndex += 1;
        break;
      case 'content_block_delta': {
        assert.ok(open, `${where}: a delta with no open block`);
        assert.equal(event.index, open.index, `${where}: a delta for a block that is not the open one`);
        const allowed = deltaTypesByBlock[open.type] ?? [];
        assert.ok(allowed.includes(event.delta?.type ?? ''), `${where}: ${event.delta?.type} inside a ${open.type} block`);
        break;
      }
      case 'content_block_stop':
        assert.ok(open, `${where}: a stop with no open block`);
        assert.equal(event.index, open.index, `${where}: stop for a block that is not the open one`);
        open = undefined;
        break;
      case 'message_delta':
        assert.equal(open, undefined, `${where}: message_delta while a block is open`);
        assert.equal(sawMessageDelta, false, `${where}: a second message_delta`);
        sawMessageDelta = true;
        break;
      case 'message_stop':
        assert.equal(position, events.length - 1, `${where}: message_stop must be last`);
        assert.ok(sawMessageDelta, `${where}: message_stop without message_delta`);
        break;
      case 'error':
        assert.equal(position, events.length - 1, `${where}: an error event must be last`);
        break;
      default:
        // message_start (checked above), ping and event types newer than this check pass unexamined.
        break;
    }
  });
  const last = events.at(-1)?.type;
  assert.ok(last === 'message_stop' || last === 'error', `the stream ends with ${last}, not message_stop or error`);
}

/** The SSE events in a body, parsed by a spec-complete parser (as the SDK clients parse them). */
export function parseSseText(text: string): Array<{ event: string | undefined; data: string }> {
  const records: Array<{ event: string | undefined; data: string }> = [];
  const parser = createParser({ onEvent: (message) => records.push({ event: message.event, data: message.data }) });
  parser.feed(text);
  return records;
}
