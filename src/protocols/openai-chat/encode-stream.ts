/**
 * Canonical stream events → the `chat.completion.chunk` SSE stream an OpenAI client reads. Each event
 * becomes one chunk as soon as it arrives. The stream ends with `[DONE]` only after a real finish; an
 * error, or input that stops without a finish, ends it with an `{"error":…}` chunk instead, which the
 * official SDKs raise — a client never mistakes a broken reply for a complete one.
 */
import { emptyUsage, type Usage } from '../../core/canonical-response.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { formatSse } from '../../core/sse.ts';
import { assertNever, type StreamEvent } from '../../core/stream-events.ts';
import type { Transcoder } from '../../core/transcoder.ts';
import type { StreamEncoderOptions } from '../protocol.ts';
import { encodeStreamError } from './errors.ts';
import { encodeFinishReason } from './finish-reason.ts';
import { generateCompletionId, nowInSeconds } from './ids.ts';
import { encodeUsage } from './usage.ts';
import type { OpenAiChunkDelta, OpenAiFinishReason } from './wire-types.ts';

type Emit = (sseText: string) => void;

export function createStreamEncoder(options: StreamEncoderOptions): Transcoder<StreamEvent, string> {
  return new OpenAiStreamEncoder(options.includeUsage);
}

class OpenAiStreamEncoder implements Transcoder<StreamEvent, string> {
  private readonly includeUsage: boolean;
  private id = '';
  private model = '';
  private created = 0;
  private started = false;
  private finished = false;
  /** After an error nothing more is written. */
  private failed = false;
  private usage: Usage = emptyUsage();
  /**
   * The JSON of a chunk around its delta, fixed once the stream has its id, model and created time:
   * a text delta then costs one JSON.stringify of its text instead of one of a whole chunk object.
   * The pieces reproduce exactly what JSON.stringify writes for the chunk (same keys, same order).
   */
  private chunkHead = '';
  private chunkTailUnfinished = '';

  constructor(includeUsage: boolean) {
    this.includeUsage = includeUsage;
  }

  push(event: StreamEvent, emit: Emit): void {
    if (this.failed) return;
    switch (event.type) {
      case 'message-start':
        if (this.started) return;
        this.id = event.id === '' ? generateCompletionId() : event.id;
        this.model = event.model;
        this.created = event.created ?? nowInSeconds();
        this.start(emit);
        return;
      case 'text-delta':
        if (event.text !== '') this.emitTextDelta(emit, '{"content":', event.text);
        return;
      case 'reasoning-delta':
        // Never in `content`: a client would show the reasoning as the answer.
        if (event.text !== '') this.emitTextDelta(emit, '{"reasoning_content":', event.text);
        return;
      case 'reasoning-signature':
      case 'redacted-reasoning':
        // Anthropic-only data with no OpenAI counterpart.
        return;
      case 'tool-call-start':
        this.emitDelta(emit, {
          tool_calls: [{ index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }],
        });
        return;
      case 'tool-call-delta':
        if (event.argumentsDelta !== '') {
          this.emitDelta(emit, { tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] });
        }
        return;
      case 'usage':
        for (const [key, value] of Object.entries(event.usage)) {
          if (value !== undefined) this.usage = { ...this.usage, [key]: value };
        }
        return;
      case 'finish':
        if (this.finished) return;
        this.finished = true;
        this.emitChunk(emit, {}, encodeFinishReason(event.finish.reason));
        return;
      case 'error':
        this.fail(emit, event.error);
        return;
      default:
        assertNever(event);
    }
  }

  end(emit: Emit): void {
    if (this.failed) return;
    if (!this.finished) {
      this.fail(emit, new GatewayError('bad_gateway', 'upstream stream ended before it finished'));
      return;
    }
    if (this.includeUsage) {
      this.ensureStarted(emit);
      emit(formatSse(JSON.stringify({ ...this.envelope(), choices: [], usage: encodeUsage(this.usage) })));
    }
    emit(formatSse('[DONE]'));
  }

  private start(emit: Emit): void {
    this.started = true;
    this.chunkHead =
      '{"id":' +
      JSON.stringify(this.id) +
      ',"object":"chat.completion.chunk","created":' +
      JSON.stringify(this.created) +
      ',"model":' +
      JSON.stringify(this.model) +
      ',"choices":[{"index":0,"delta":';
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for.
    this.chunkTailUnfinished = ',"logprobs":null,"finish_reason":null}]' + (this.includeUsage ? ',"usage":null}' : '}');
    this.emitChunk(emit, { role: 'assistant', content: '' }, null);
  }

  /** Without a message-start (a decoder that lost it), the stream still needs an id and a role chunk. */
  private ensureStarted(emit: Emit): void {
    if (this.started) return;
    this.id = generateCompletionId();
    this.created = nowInSeconds();
    this.start(emit);
  }

  /** `deltaOpening` is the delta's JSON up to its one string value, e.g. `{"content":`. */
  private emitTextDelta(emit: Emit, deltaOpening: string, text: string): void {
    this.ensureStarted(emit);
    emit(formatSse(this.chunkHead + deltaOpening + JSON.stringify(text) + '}' + this.chunkTailUnfinished));
  }

  private emitDelta(emit: Emit, delta: OpenAiChunkDelta): void {
    this.emitChunk(emit, delta, null);
  }

  private emitChunk(emit: Emit, delta: OpenAiChunkDelta, finishReason: OpenAiFinishReason | null): void {
    this.ensureStarted(emit);
    const tail =
      finishReason === null
        ? this.chunkTailUnfinished
        : ',"logprobs":null,"finish_reason":' + JSON.stringify(finishReason) + '}]' + (this.includeUsage ? ',"usage":null}' : '}');
    emit(formatSse(this.chunkHead + JSON.stringify(delta) + tail));
  }

  private envelope() {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  private fail(emit: Emit, error: GatewayError): void {
    this.failed = true;
    emit(encodeStreamError(error));
  }
}
