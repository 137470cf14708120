/**
 * A complete (non-streaming) answer as the upstream sent it, read: its text, the canonical response and
 * the events a stream of it would carry, or the error when it is not a valid answer in its protocol. The
 * converted route reads it to answer in the client's protocol; the passthrough route forwards it as bytes
 * and reads it only for what needs it: telemetry, when it records the call, or a key's token limit, before
 * the key's next request.
 */
import type { CanonicalResponse } from '../core/canonical-response.ts';
import { GatewayError, toGatewayError } from '../core/gateway-error.ts';
import { responseToEvents } from '../core/response-events.ts';
import { parseJsonSafely } from '../core/sse.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { Protocol } from './protocol.ts';

export type ReadAnswer =
  | { text: string; response: CanonicalResponse; events: StreamEvent[]; error: undefined }
  | { text: string; response: undefined; events: StreamEvent[]; error: GatewayError };

const utf8Decoder = new TextDecoder();

export function readCompleteAnswer(protocol: Protocol, bytes: Uint8Array): ReadAnswer {
  return readCompleteAnswerText(protocol, utf8Decoder.decode(bytes));
}

/** The same, for an answer already decoded to text. */
export function readCompleteAnswerText(protocol: Protocol, text: string): ReadAnswer {
  const parsed = parseJsonSafely(text);
  if (!parsed.ok) return { text, response: undefined, events: [], error: new GatewayError('bad_gateway', `The upstream answered with malformed JSON: ${parsed.error}`) };
  try {
    const response = protocol.decodeResponse(parsed.value);
    return { text, response, events: responseToEvents(response), error: undefined };
  } catch (decodeError) {
    return { text, response: undefined, events: [], error: toGatewayError(decodeError) };
  }
}
