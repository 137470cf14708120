/** Anthropic `stop_reason` ⇄ canonical finish reason. */
import type { FinishInfo } from '../../core/canonical-response.ts';
import { assertNever } from '../../core/stream-events.ts';
import type { AnthropicStopReason } from './wire-types.ts';

/** Upstream `stop_reason` (and `stop_sequence`) → canonical. An unknown or missing value is kept raw as `other`. */
export function decodeStopReason(stopReason: unknown, stopSequence: unknown): FinishInfo {
  const raw = typeof stopReason === 'string' ? stopReason : null;
  switch (raw) {
    case 'end_turn':
      return { reason: 'stop', raw };
    case 'stop_sequence':
      return { reason: 'stop-sequence', raw, stopSequence: typeof stopSequence === 'string' ? stopSequence : null };
    case 'max_tokens':
      return { reason: 'length', raw };
    case 'tool_use':
      return { reason: 'tool-calls', raw };
    case 'refusal':
      return { reason: 'content-filter', raw };
    case 'pause_turn':
      return { reason: 'pause', raw };
    case 'model_context_window_exceeded':
      return { reason: 'context-window-exceeded', raw };
    default:
      return { reason: 'other', raw };
  }
}

export type EncodedStop = { stop_reason: AnthropicStopReason; stop_sequence: string | null };

/**
 * Canonical → `stop_reason`. A response holding any tool call says `tool_use` whatever the upstream
 * said (some OpenAI-compatible upstreams finish tool calls with `stop`), because Anthropic clients run
 * tools only on `tool_use`.
 */
export function encodeStopReason(finish: FinishInfo, hasToolCalls: boolean): EncodedStop {
  if (hasToolCalls) return { stop_reason: 'tool_use', stop_sequence: null };
  switch (finish.reason) {
    case 'stop':
      return { stop_reason: 'end_turn', stop_sequence: null };
    case 'stop-sequence':
      return { stop_reason: 'stop_sequence', stop_sequence: finish.stopSequence ?? null };
    case 'length':
      return { stop_reason: 'max_tokens', stop_sequence: null };
    case 'tool-calls':
      return { stop_reason: 'tool_use', stop_sequence: null };
    case 'content-filter':
      return { stop_reason: 'refusal', stop_sequence: null };
    case 'pause':
      return { stop_reason: 'pause_turn', stop_sequence: null };
    case 'context-window-exceeded':
      return { stop_reason: 'model_context_window_exceeded', stop_sequence: null };
    case 'other':
      return { stop_reason: 'end_turn', stop_sequence: null };
    default:
      return assertNever(finish.reason);
  }
}
