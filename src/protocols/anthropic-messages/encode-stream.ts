/**
 * Canonical stream events → Anthropic SSE, per CONVERSION.md §6. The Anthropic format is a sequence of
 * typed content blocks, exactly one open at a time, indices dense from 0; the event name always equals
 * `data.type`. Bugs other converters shipped and this encoder must not: thinking deltas inside a text
 * block, a hard-coded first text block or a second message_start (#4), the first delta after a block
 * change lost (#5), tool arguments buffered or put in content_block_start.input (#2, #3), and input or
 * cache tokens missing from the final usage (#6).
 */
import { emptyUsage, type Usage } from '../../core/canonical-response.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { formatSse } from '../../core/sse.ts';
import { assertNever, type StreamEvent } from '../../core/stream-events.ts';
import type { Transcoder } from '../../core/transcoder.ts';
import type { StreamEncoderOptions } from '../protocol.ts';
import { encodeErrorBody } from './errors.ts';
import { encodeStopReason, type EncodedStop } from './finish-reason.ts';
import { toMessageId } from './message-id.ts';
import { sanitizeToolCallId } from './tool-call-id.ts';
import { encodeUsage } from './usage.ts';
import type { AnthropicResponseBlock, AnthropicStreamEvent } from './wire-types.ts';

type Emit = (sse: string) => void;

type OpenBlock =
  | { index: number; kind: 'text' }
  /** A signed thinking block is complete: more reasoning after its signature opens a new block. */
  | { index: number; kind: 'thinking'; signed: boolean }
  | { index: number; kind: 'tool' }
  | { index: number; kind: 'redacted' };

/** Anthropic streams always carry usage, so the OpenAI `include_usage` option changes nothing here. */
export function createStreamEncoder(_options: StreamEncoderOptions): Transcoder<StreamEvent, string> {
  return new AnthropicStreamEncoder();
}

class AnthropicStreamEncoder implements Transcoder<StreamEvent, string> {
  private id = '';
  private model = '';
  private usage: Usage = emptyUsage();
  private inputUsageKnown = false;
  private started = false;
  private open: OpenBlock | undefined;
  private nextIndex = 0;
  /** Tool ordinal → the content-block index of its tool_use block. */
  private readonly toolBlocks = new Map<number, number>();
  private sawToolCall = false;
  /** Set by `finish`; sent in message_delta once the input ends (trailing usage may still come). */
  private heldStop: EncodedStop | undefined;
  /** An error was sent or the stream was completed: nothing more may follow. */
  private over = false;

  push(event: StreamEvent, emit: Emit): void {
    if (this.over) return;
    if (event.type === 'message-start') {
      if (!this.started) {
        this.id = event.id;
        this.model = event.model;
      }
      return;
    }
    if (event.type === 'usage') return this.rememberUsage(event.usage);
    if (event.type === 'error') return this.sendError(emit, event.error);
    // Content after `finish` breaks the canonical order guarantees; the message is already complete.
    if (this.heldStop !== undefined || carriesNothing(event)) return;
    this.ensureStarted(emit);
    switch (event.type) {
      case 'text-delta': {
        const index = this.open?.kind === 'text' ? this.open.index : this.openBlock(emit, 'text', { type: 'text', text: '' });
        return this.send(emit, { type: 'content_block_delta', index, delta: { type: 'text_delta', text: event.text } });
      }
      case 'reasoning-delta': {
        const index = this.openThinking(emit);
        return this.send(emit, { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: event.text } });
      }
      case 'reasoning-signature': {
        const index = this.openThinking(emit);
        if (this.open?.kind === 'thinking') this.open.signed = true;
        return this.send(emit, { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: event.signature } });
      }
      case 'redacted-reasoning':
        this.openBlock(emit, 'redacted', { type: 'redacted_thinking', data: event.data });
        return this.closeOpenBlock(emit);
      case 'tool-call-start': {
        this.sawToolCall = true;
        // Arguments never go into content_block_start.input: Anthropic clients read them from input_json_delta only.
        const index = this.openBlock(emit, 'tool', { type: 'tool_use', id: sanitizeToolCallId(event.id), name: event.name, input: {} });
        this.toolBlocks.set(event.index, index);
        return;
      }
      case 'tool-call-delta':
        return this.sendToolArguments(emit, event.index, event.argumentsDelta);
      case 'finish':
        this.closeOpenBlock(emit);
        this.heldStop = encodeStopReason(event.finish, this.sawToolCall);
        return;
      default:
        return assertNever(event);
    }
  }

  end(emit: Emit): void {
    if (this.over) return;
    if (this.heldStop === undefined) {
      return this.sendError(emit, new GatewayError('bad_gateway', 'upstream stream ended before it finished'));
    }
    this.ensureStarted(emit);
    const usage = encodeUsage(this.usage);
    this.send(emit, {
      type: 'message_delta',
      delta: this.heldStop,
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
      },
    });
    this.send(emit, { type: 'message_stop' });
    this.over = true;
  }

  private rememberUsage(usage: Partial<Usage>): void {
    for (const [key, value] of Object.entries(usage) as Array<[keyof Usage, number | undefined]>) {
      if (value !== undefined) this.usage[key] = value;
    }
    if (usage.inputTokens !== undefined) this.inputUsageKnown = true;
  }

  /** message_start goes out once, just before the first output, so usage that arrived with the start is in it. */
  private ensureStarted(emit: Emit): void {
    if (this.started) return;
    this.started = true;
    const encoded = encodeUsage(this.usage);
    const usage = this.inputUsageKnown
      ? {
          input_tokens: encoded.input_tokens,
          output_tokens: 0,
          cache_read_input_tokens: encoded.cache_read_input_tokens,
          cache_creation_input_tokens: encoded.cache_creation_input_tokens,
        }
      : { input_tokens: 0, output_tokens: 0 };
    this.send(emit, {
      type: 'message_start',
      message: {
        id: toMessageId(this.id),
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage,
      },
    });
    this.send(emit, { type: 'ping' });
  }

  /** Closes the open block and starts a new one at the next index, which it returns. */
  private openBlock(emit: Emit, kind: 'text' | 'tool' | 'redacted', contentBlock: AnthropicResponseBlock): number {
    this.closeOpenBlock(emit);
    const index = this.nextIndex++;
    this.send(emit, { type: 'content_block_start', index, content_block: contentBlock });
    this.open = { index, kind };
    return index;
  }

  /** The index of an unsigned thinking block, opening one (and closing whatever was open) if needed. */
  private openThinking(emit: Emit): number {
    if (this.open?.kind === 'thinking' && !this.open.signed) return this.open.index;
    this.closeOpenBlock(emit);
    const index = this.nextIndex++;
    this.send(emit, { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    this.open = { index, kind: 'thinking', signed: false };
    return index;
  }

  private closeOpenBlock(emit: Emit): void {
    if (this.open === undefined) return;
    this.send(emit, { type: 'content_block_stop', index: this.open.index });
    this.open = undefined;
  }

  /**
   * Arguments go out as they arrive, one input_json_delta per upstream chunk. Anthropic's format has one
   * open block at a time, so arguments for a tool whose block is already closed (an upstream interleaving
   * parallel calls) cannot be placed; failing loudly beats a tool call with silently missing arguments.
   */
  private sendToolArguments(emit: Emit, ordinal: number, json: string): void {
    const index = this.toolBlocks.get(ordinal);
    if (index === undefined || this.open?.kind !== 'tool' || this.open.index !== index) {
      const error = new GatewayError(
        'bad_gateway',
        `The upstream sent arguments for tool call ${ordinal} after another content block began; ` +
          'the Anthropic stream format cannot interleave tool calls.',
      );
      return this.sendError(emit, error);
    }
    this.send(emit, { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json } });
  }

  /** An error ends the stream as Anthropic does: no block is closed and no message_delta/message_stop follows. */
  private sendError(emit: Emit, error: GatewayError): void {
    this.over = true;
    this.send(emit, encodeErrorBody(error));
  }

  private send(emit: Emit, event: AnthropicStreamEvent): void {
    emit(formatSse(JSON.stringify(event), event.type));
  }
}

/** Empty deltas (OpenAI upstreams open with `content: ""`) would only open empty blocks. */
function carriesNothing(event: StreamEvent): boolean {
  switch (event.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return event.text === '';
    case 'reasoning-signature':
      return event.signature === '';
    case 'tool-call-delta':
      return event.argumentsDelta === '';
    case 'message-start':
    case 'redacted-reasoning':
    case 'tool-call-start':
    case 'usage':
    case 'finish':
    case 'error':
      return false;
    default:
      return assertNever(event);
  }
}
