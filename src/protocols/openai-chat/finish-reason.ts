/**
 * OpenAI `finish_reason` ⇄ canonical finish. A reply that contains tool calls finished to call them,
 * even when the upstream says `stop` (some OpenAI-compatible servers do): a client that trusts `stop`
 * would never run its tools. `length` and `content_filter` still win, because then the last call's
 * arguments were cut off, and running a tool on half its arguments is worse than reporting the cut.
 */
import type { FinishInfo, FinishReason } from '../../core/canonical-response.ts';
import { assertNever } from '../../core/stream-events.ts';
import type { OpenAiFinishReason } from './wire-types.ts';

export function decodeFinishReason(raw: string | null, hasToolCalls: boolean): FinishInfo {
  if (hasToolCalls && raw !== 'length' && raw !== 'content_filter') return { reason: 'tool-calls', raw };
  switch (raw) {
    case 'stop':
      return { reason: 'stop', raw };
    case 'length':
      return { reason: 'length', raw };
    case 'tool_calls':
    case 'function_call':
      return { reason: 'tool-calls', raw };
    case 'content_filter':
      return { reason: 'content-filter', raw };
    default:
      return { reason: 'other', raw };
  }
}

export function encodeFinishReason(reason: FinishReason): OpenAiFinishReason {
  switch (reason) {
    case 'stop':
    case 'stop-sequence':
    case 'pause':
    case 'other':
      return 'stop';
    case 'length':
    case 'context-window-exceeded':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    default:
      return assertNever(reason);
  }
}
