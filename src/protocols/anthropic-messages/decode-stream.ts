/**
 * Anthropic SSE → canonical stream events. Tool calls are numbered by their own ordinal (0, 1, 2… in the
 * order they appear), not by content-block index: a text block before them would otherwise shift every
 * tool index by one (CONVERSION #1). Server-tool blocks (server_tool_use, web_search_tool_result…) and
 * their deltas have no canonical form and are skipped, leaving the text around them.
 */
import { GatewayError } from '../../core/gateway-error.ts';
import { parseJsonSafely, type SseMessage } from '../../core/sse.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import type { Transcoder } from '../../core/transcoder.ts';
import { decodeStreamError } from './errors.ts';
import { decodeStopReason } from './finish-reason.ts';
import { isJsonObject, stringOrUndefined, type JsonObject } from './guards.ts';
import { decodeUsage, emptyInputCounts } from './usage.ts';

type Emit = (event: StreamEvent) => void;

/** What each open content block (by Anthropic block index) turns into. */
type BlockKind = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; ordinal: number } | { kind: 'skipped' };

export function createStreamDecoder(): Transcoder<SseMessage, StreamEvent> {
  return new AnthropicStreamDecoder();
}

class AnthropicStreamDecoder implements Transcoder<SseMessage, StreamEvent> {
  private readonly blocks = new Map<number, BlockKind>();
  /** Input counts from message_start, updated by message_delta when it repeats them. */
  private readonly inputCounts = emptyInputCounts();
  private nextToolOrdinal = 0;
  private started = false;
  private finished = false;
  /** message_stop or an error was seen: nothing after it counts. */
  private over = false;

  push(message: SseMessage, emit: Emit): void {
    if (this.over) return;
    const parsed = parseJsonSafely(message.data);
    if (!parsed.ok) return this.fail(emit, new GatewayError('bad_gateway', `The upstream stream held malformed JSON: ${parsed.error}`));
    if (!isJsonObject(parsed.value)) return;
    const data = parsed.value;
    const type = stringOrUndefined(data.type) ?? message.event;
    if (type === 'error') return this.fail(emit, decodeStreamError(data));
    if (type === 'ping') return;
    if (type === 'message_start') return this.onMessageStart(data, emit);
    // An upstream that skips message_start still streams a message; the canonical stream must start first.
    if (!this.started && needsStartedMessage(type)) this.onMessageStart({}, emit);
    if (this.finished && (type === 'content_block_start' || type === 'content_block_delta')) {
      // message_delta said the message is finished; content after it breaks the canonical order (and no
      // client could place it), so the stream is malformed.
      return this.fail(emit, new GatewayError('bad_gateway', `The upstream stream sent ${type} after message_delta had finished the message.`));
    }
    switch (type) {
      case 'content_block_start':
        return this.onBlockStart(data, emit);
      case 'content_block_delta':
        return this.onBlockDelta(data, emit);
      case 'message_delta':
        return this.onMessageDelta(data, emit);
      case 'message_stop':
        // A stream that stops without saying why still ended properly; record that the reason is unknown.
        if (!this.finished) emit({ type: 'finish', finish: { reason: 'other', raw: null } });
        this.over = true;
        return;
      default:
        // content_block_stop carries nothing; event types added to the API later are skipped.
        return;
    }
  }

  end(emit: Emit): void {
    if (this.over) return;
    this.fail(emit, new GatewayError('bad_gateway', 'upstream stream ended before it finished'));
  }

  private fail(emit: Emit, error: GatewayError): void {
    this.over = true;
    emit({ type: 'error', error });
  }

  private onMessageStart(data: JsonObject, emit: Emit): void {
    if (this.started) return;
    this.started = true;
    const message = isJsonObject(data.message) ? data.message : {};
    emit({ type: 'message-start', id: stringOrUndefined(message.id) ?? '', model: stringOrUndefined(message.model) ?? '' });
    const usage = decodeUsage(message.usage, this.inputCounts);
    if (Object.keys(usage).length > 0) emit({ type: 'usage', usage });
  }

  private onBlockStart(data: JsonObject, emit: Emit): void {
    const index = data.index;
    const block = data.content_block;
    if (typeof index !== 'number' || !isJsonObject(block)) return;
    switch (block.type) {
      case 'text': {
        this.blocks.set(index, { kind: 'text' });
        const text = stringOrUndefined(block.text);
        if (text) emit({ type: 'text-delta', text });
        return;
      }
      case 'thinking': {
        this.blocks.set(index, { kind: 'thinking' });
        const thinking = stringOrUndefined(block.thinking);
        if (thinking) emit({ type: 'reasoning-delta', text: thinking });
        const signature = stringOrUndefined(block.signature);
        if (signature) emit({ type: 'reasoning-signature', signature });
        return;
      }
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'skipped' });
        emit({ type: 'redacted-reasoning', data: stringOrUndefined(block.data) ?? '' });
        return;
      case 'tool_use': {
        const ordinal = this.nextToolOrdinal++;
        this.blocks.set(index, { kind: 'tool', ordinal });
        emit({ type: 'tool-call-start', index: ordinal, id: stringOrUndefined(block.id) ?? '', name: stringOrUndefined(block.name) ?? '' });
        // The real API starts tool_use blocks with `input: {}` and streams the arguments; honour a filled one.
        if (isJsonObject(block.input) && Object.keys(block.input).length > 0) {
          emit({ type: 'tool-call-delta', index: ordinal, argumentsDelta: JSON.stringify(block.input) });
        }
        return;
      }
      default:
        this.blocks.set(index, { kind: 'skipped' });
        return;
    }
  }

  private onBlockDelta(data: JsonObject, emit: Emit): void {
    const block = typeof data.index === 'number' ? this.blocks.get(data.index) : undefined;
    const delta = data.delta;
    if (block === undefined || block.kind === 'skipped' || !isJsonObject(delta)) return;
    switch (delta.type) {
      case 'text_delta': {
        const text = stringOrUndefined(delta.text);
        if (text) emit({ type: 'text-delta', text });
        return;
      }
      case 'thinking_delta': {
        const thinking = stringOrUndefined(delta.thinking);
        if (thinking) emit({ type: 'reasoning-delta', text: thinking });
        return;
      }
      case 'signature_delta': {
        const signature = stringOrUndefined(delta.signature);
        if (signature) emit({ type: 'reasoning-signature', signature });
        return;
      }
      case 'input_json_delta': {
        const json = stringOrUndefined(delta.partial_json);
        if (json && block.kind === 'tool') emit({ type: 'tool-call-delta', index: block.ordinal, argumentsDelta: json });
        return;
      }
      default:
        // citations_delta: the cited passage is not part of the generated text.
        return;
    }
  }

  private onMessageDelta(data: JsonObject, emit: Emit): void {
    const usage = decodeUsage(data.usage, this.inputCounts);
    if (Object.keys(usage).length > 0) emit({ type: 'usage', usage });
    if (this.finished) return;
    this.finished = true;
    const delta = isJsonObject(data.delta) ? data.delta : {};
    emit({ type: 'finish', finish: decodeStopReason(delta.stop_reason, delta.stop_sequence) });
  }
}

/** Events that only make sense inside a message that has started. */
function needsStartedMessage(type: string | undefined): boolean {
  return type === 'content_block_start' || type === 'content_block_delta' || type === 'message_delta' || type === 'message_stop';
}
