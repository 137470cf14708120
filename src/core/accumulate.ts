/**
 * Folds a canonical event stream into the complete response it stands for: what a non-streaming call
 * would have returned. Used to answer non-streaming clients from streaming sources (the mock) and by
 * telemetry to record the full response of a stream.
 */
import type { AssistantPart } from './canonical-request.ts';
import { emptyUsage, type CanonicalResponse, type FinishInfo, type Usage } from './canonical-response.ts';
import type { GatewayError } from './gateway-error.ts';
import { assertNever, type StreamEvent } from './stream-events.ts';

export class ResponseAccumulator {
  id = '';
  model = '';
  created: number | undefined;
  readonly content: AssistantPart[] = [];
  finish: FinishInfo | undefined;
  usage: Usage = emptyUsage();
  usageReported = false;
  error: GatewayError | undefined;
  /** Tool-call arguments as streamed, by tool index; parsed once at the end. */
  private readonly toolArguments = new Map<number, { part: AssistantPart & { type: 'tool-call' }; json: string }>();

  add(event: StreamEvent): void {
    switch (event.type) {
      case 'message-start':
        this.id = event.id;
        this.model = event.model;
        this.created = event.created;
        return;
      case 'text-delta': {
        const last = this.content.at(-1);
        if (last?.type === 'text') last.text += event.text;
        else this.content.push({ type: 'text', text: event.text });
        return;
      }
      case 'reasoning-delta': {
        const last = this.content.at(-1);
        if (last?.type === 'reasoning' && last.signature === undefined) last.text += event.text;
        else this.content.push({ type: 'reasoning', text: event.text });
        return;
      }
      case 'reasoning-signature': {
        const last = this.content.at(-1);
        if (last?.type === 'reasoning') last.signature = event.signature;
        else this.content.push({ type: 'reasoning', text: '', signature: event.signature });
        return;
      }
      case 'redacted-reasoning':
        this.content.push({ type: 'redacted-reasoning', data: event.data });
        return;
      case 'tool-call-start': {
        const part = { type: 'tool-call' as const, id: event.id, name: event.name, input: {} as unknown };
        this.content.push(part);
        this.toolArguments.set(event.index, { part, json: '' });
        return;
      }
      case 'tool-call-delta': {
        const entry = this.toolArguments.get(event.index);
        if (entry) entry.json += event.argumentsDelta;
        return;
      }
      case 'usage':
        this.usage = { ...this.usage, ...definedOnly(event.usage) };
        this.usageReported = true;
        return;
      case 'finish':
        this.finish = event.finish;
        return;
      case 'error':
        this.error = event.error;
        return;
      default:
        assertNever(event);
    }
  }

  /** Raw JSON text of each tool call's arguments, for encoders that keep arguments as strings. */
  toolArgumentsJson(index: number): string | undefined {
    return this.toolArguments.get(index)?.json;
  }

  toResponse(): CanonicalResponse {
    // Parsed once here rather than per delta: arguments are only valid JSON when complete.
    for (const { part, json } of this.toolArguments.values()) part.input = parseArguments(json);
    return {
      id: this.id,
      model: this.model,
      created: this.created,
      content: this.content,
      finish: this.finish ?? { reason: 'other', raw: null },
      usage: this.usage,
      usageReported: this.usageReported,
    };
  }
}

export function accumulate(events: Iterable<StreamEvent>): CanonicalResponse {
  const accumulator = new ResponseAccumulator();
  for (const event of events) accumulator.add(event);
  return accumulator.toResponse();
}

/** Arguments cut off mid-stream are not valid JSON; keep their text rather than lose it. */
function parseArguments(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    return { _partial_json: json };
  }
}

function definedOnly<T extends object>(value: Partial<T>): Partial<T> {
  const result: Partial<T> = {};
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] !== undefined) result[key] = value[key];
  return result;
}
