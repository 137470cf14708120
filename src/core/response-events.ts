/**
 * The reverse of accumulate: a complete response as the canonical events a stream of it would carry.
 * Lets one path serve both shapes (an upstream that answered JSON to a streaming request, and the
 * telemetry of non-streaming calls).
 */
import type { CanonicalResponse } from './canonical-response.ts';
import { assertNever, type StreamEvent } from './stream-events.ts';

export function responseToEvents(response: CanonicalResponse): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'message-start', id: response.id, model: response.model, created: response.created }];
  let toolIndex = 0;
  for (const part of response.content) {
    switch (part.type) {
      case 'text':
        if (part.text) events.push({ type: 'text-delta', text: part.text });
        break;
      case 'reasoning':
        if (part.text) events.push({ type: 'reasoning-delta', text: part.text });
        if (part.signature) events.push({ type: 'reasoning-signature', signature: part.signature });
        break;
      case 'redacted-reasoning':
        events.push({ type: 'redacted-reasoning', data: part.data });
        break;
      case 'tool-call': {
        const index = toolIndex++;
        events.push({ type: 'tool-call-start', index, id: part.id, name: part.name });
        events.push({ type: 'tool-call-delta', index, argumentsDelta: JSON.stringify(part.input ?? {}) });
        break;
      }
      default:
        assertNever(part);
    }
  }
  if (response.usageReported) events.push({ type: 'usage', usage: response.usage });
  events.push({ type: 'finish', finish: response.finish });
  return events;
}
