/**
 * An OpenAI-compatible upstream's `chat.completion.chunk` SSE stream → canonical stream events, one
 * upstream chunk at a time: every delta is passed on the moment it arrives (tool arguments included,
 * never held until the call is complete), and a stream that breaks off or reports an error in-band
 * ends in an `error` event, never in something that looks like a normal finish.
 */
import { GatewayError } from '../../core/gateway-error.ts';
import { parseJsonSafely, type SseMessage } from '../../core/sse.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import type { Transcoder } from '../../core/transcoder.ts';
import { decodeStreamError } from './errors.ts';
import { decodeFinishReason } from './finish-reason.ts';
import { generateCompletionId, generateToolCallId } from './ids.ts';
import { isPlainObject } from './tool-arguments.ts';
import { decodeUsage } from './usage.ts';

type Emit = (event: StreamEvent) => void;

/** The legacy `function_call` delta has no index; it gets a key of its own. */
const legacyFunctionCallKey = 'function_call';

export function createStreamDecoder(): Transcoder<SseMessage, StreamEvent> {
  return new OpenAiStreamDecoder();
}

class OpenAiStreamDecoder implements Transcoder<SseMessage, StreamEvent> {
  private started = false;
  private finished = false;
  /** After `[DONE]` or an error nothing more is read. */
  private closed = false;
  /** Upstream tool-call key (its `index`) → the canonical tool ordinal and the call's id. */
  private readonly tools = new Map<number | string, { ordinal: number; id: string; idFromUpstream: boolean }>();
  private toolCount = 0;

  push(message: SseMessage, emit: Emit): void {
    if (this.closed) return;
    if (message.data === '[DONE]') {
      this.closed = true;
      this.finishAtDone(emit);
      return;
    }
    const parsed = parseJsonSafely(message.data);
    if (!parsed.ok || !isPlainObject(parsed.value)) {
      const detail = parsed.ok ? 'not a JSON object' : parsed.error;
      this.fail(emit, new GatewayError('bad_gateway', `the upstream sent malformed JSON in its stream (${detail}): ${excerpt(message.data)}`));
      return;
    }
    const chunk = parsed.value;
    if (chunk.error !== undefined && chunk.error !== null) {
      this.fail(emit, decodeStreamError(chunk.error));
      return;
    }
    const choice = firstChoice(chunk.choices);
    const usage = decodeUsage(chunk.usage);
    // Nothing to report (Azure opens with a `prompt_filter_results` chunk that has no id, model or choices).
    if (choice === undefined && usage === undefined) return;
    if (!this.started) {
      this.started = true;
      emit({
        type: 'message-start',
        id: typeof chunk.id === 'string' && chunk.id !== '' ? chunk.id : generateCompletionId(),
        model: typeof chunk.model === 'string' ? chunk.model : '',
        ...(typeof chunk.created === 'number' ? { created: chunk.created } : {}),
      });
    }
    if (choice !== undefined && !this.finished) this.decodeChoice(choice, emit);
    if (usage !== undefined) emit({ type: 'usage', usage });
  }

  end(emit: Emit): void {
    if (this.closed || this.finished) return;
    this.fail(emit, new GatewayError('bad_gateway', 'upstream stream ended before it finished'));
  }

  private decodeChoice(choice: Record<string, unknown>, emit: Emit): void {
    const delta = isPlainObject(choice.delta) ? choice.delta : {};
    // vLLM and DeepSeek name it reasoning_content; OpenRouter and newer vLLM, reasoning.
    const reasoning = nonEmptyString(delta.reasoning_content) ?? nonEmptyString(delta.reasoning);
    if (reasoning !== undefined) emit({ type: 'reasoning-delta', text: reasoning });
    const text = nonEmptyString(delta.content);
    if (text !== undefined) emit({ type: 'text-delta', text });
    const refusal = nonEmptyString(delta.refusal);
    if (refusal !== undefined) emit({ type: 'text-delta', text: refusal });

    if (Array.isArray(delta.tool_calls)) {
      delta.tool_calls.forEach((call, position) => {
        if (!isPlainObject(call)) return;
        this.decodeToolCall(typeof call.index === 'number' ? call.index : position, call.id, call.function, emit);
      });
    }
    if (isPlainObject(delta.function_call)) this.decodeToolCall(legacyFunctionCallKey, undefined, delta.function_call, emit);

    if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') {
      this.finished = true;
      emit({ type: 'finish', finish: decodeFinishReason(choice.finish_reason, this.toolCount > 0) });
    }
  }

  private decodeToolCall(key: number | string, wireId: unknown, wireFunction: unknown, emit: Emit): void {
    const fields = isPlainObject(wireFunction) ? wireFunction : {};
    const id = nonEmptyString(wireId);
    let tool = this.tools.get(key);
    // A different id at a known index is a new call: some compatible servers number every call 0.
    if (tool === undefined || (tool.idFromUpstream && id !== undefined && id !== tool.id)) {
      tool = { ordinal: this.toolCount++, id: id ?? generateToolCallId(), idFromUpstream: id !== undefined };
      this.tools.set(key, tool);
      const name = typeof fields.name === 'string' ? fields.name : '';
      emit({ type: 'tool-call-start', index: tool.ordinal, id: tool.id, name });
    }
    const argumentsDelta = nonEmptyString(fields.arguments);
    if (argumentsDelta !== undefined) emit({ type: 'tool-call-delta', index: tool.ordinal, argumentsDelta });
  }

  /** `[DONE]` is the upstream saying the reply is complete, even if it never sent a finish_reason. */
  private finishAtDone(emit: Emit): void {
    if (!this.started) {
      emit({ type: 'error', error: new GatewayError('bad_gateway', 'upstream stream ended before it started') });
    } else if (!this.finished) {
      this.finished = true;
      emit({ type: 'finish', finish: decodeFinishReason(null, this.toolCount > 0) });
    }
  }

  private fail(emit: Emit, error: GatewayError): void {
    this.closed = true;
    emit({ type: 'error', error });
  }
}

/** The choice this gateway serves: index 0 (a converted request never asks for more than one). */
function firstChoice(choices: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(choices)) return undefined;
  const choice = choices.find((candidate) => isPlainObject(candidate) && (candidate.index ?? 0) === 0);
  return isPlainObject(choice) ? choice : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function excerpt(data: string): string {
  return JSON.stringify(data.length > 120 ? `${data.slice(0, 120)}…` : data);
}
