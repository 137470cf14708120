/**
 * Tokens a call used, for per-key tokens-per-minute limits: the upstream's own usage numbers when it
 * reports them, else an estimate of four characters per token (the limiter needs a number at the end of
 * every call, on the hot path, and the real tokenizer belongs to telemetry, off it).
 */
import type { CallTrace } from '../core/call-observer.ts';
import { assertNever, type StreamEvent } from '../core/stream-events.ts';

const charactersPerToken = 4;

export class UsageMeter {
  private reportedInput: number | undefined;
  private reportedOutput: number | undefined;
  private outputCharacters = 0;
  private readonly requestCharacters: number;

  constructor(requestCharacters: number) {
    this.requestCharacters = requestCharacters;
  }

  add(event: StreamEvent): void {
    switch (event.type) {
      case 'text-delta':
      case 'reasoning-delta':
        this.outputCharacters += event.text.length;
        return;
      case 'tool-call-delta':
        this.outputCharacters += event.argumentsDelta.length;
        return;
      case 'usage':
        // Anthropic reports input first and output at the end; both are running totals.
        if (event.usage.inputTokens !== undefined) this.reportedInput = Math.max(this.reportedInput ?? 0, event.usage.inputTokens);
        if (event.usage.outputTokens !== undefined) this.reportedOutput = Math.max(this.reportedOutput ?? 0, event.usage.outputTokens);
        return;
      case 'message-start':
      case 'reasoning-signature':
      case 'redacted-reasoning':
      case 'tool-call-start':
      case 'finish':
      case 'error':
        return;
      default:
        assertNever(event);
    }
  }

  usage(): { inputTokens: number; outputTokens: number } {
    return {
      inputTokens: this.reportedInput ?? Math.ceil(this.requestCharacters / charactersPerToken),
      outputTokens: this.reportedOutput ?? Math.ceil(this.outputCharacters / charactersPerToken),
    };
  }

  /** The trace, with every event also counted here. */
  wrap(trace: CallTrace): CallTrace {
    return {
      upstreamHeaders: () => trace.upstreamHeaders(),
      onEvent: (event, atMonotonicMs) => {
        this.add(event);
        trace.onEvent(event, atMonotonicMs);
      },
      end: (result) => trace.end(result),
    };
  }
}
