import type { FinishInfo, Usage } from './canonical-response.ts';
import type { GatewayError } from './gateway-error.ts';

/**
 * The canonical stream: every upstream stream decodes into these, every client stream encodes from them.
 *
 * Order guarantees a decoder must keep (encoders rely on them):
 * - `message-start` comes first, exactly once.
 * - `tool-call-start` for a tool `index` comes before any `tool-call-delta` with that index; indices are
 *   dense from 0 in order of first appearance (they are tool-call ordinals, not content-block indices).
 * - `finish` comes at most once, after all content; `usage` may come before or after it, any number of
 *   times, each carrying the latest known totals.
 * - The stream ends after `finish` (and any trailing `usage`), or with one `error`. A stream that ends
 *   without either was cut off, and the consumer must treat it as an error.
 */
export type StreamEvent =
  | { type: 'message-start'; id: string; model: string; created?: number }
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  /** Anthropic's thinking signature, sent at the end of a thinking block. */
  | { type: 'reasoning-signature'; signature: string }
  | { type: 'redacted-reasoning'; data: string }
  | { type: 'tool-call-start'; index: number; id: string; name: string }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'finish'; finish: FinishInfo }
  | { type: 'error'; error: GatewayError };

export type StreamEventType = StreamEvent['type'];

/** True for the deltas that carry generated content: TTFT is measured to the first of these. */
export function isContentEvent(event: StreamEvent): boolean {
  switch (event.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return event.text.length > 0;
    case 'tool-call-delta':
      return event.argumentsDelta.length > 0;
    case 'tool-call-start':
    case 'redacted-reasoning':
      return true;
    case 'message-start':
    case 'reasoning-signature':
    case 'usage':
    case 'finish':
    case 'error':
      return false;
    default:
      return assertNever(event);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
