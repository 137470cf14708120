/**
 * A complete (non-streaming) answer as the upstream sent it, read: its text, its canonical events, and
 * the error when it is not a valid answer in its protocol. The passthrough route forwards such an answer
 * as bytes and reads it only for what needs it: telemetry, when it records the call, or a key's token
 * limit, before the key's next request.
 */
import { toGatewayError, type GatewayError } from '../core/gateway-error.ts';
import { responseToEvents } from '../core/response-events.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { Protocol } from './protocol.ts';

export type ReadAnswer = { text: string; events: StreamEvent[]; error: GatewayError | undefined };

const utf8Decoder = new TextDecoder();

export function readCompleteAnswer(protocol: Protocol, bytes: Uint8Array): ReadAnswer {
  return readCompleteAnswerText(protocol, utf8Decoder.decode(bytes));
}

/** The same, for an answer already decoded to text. */
export function readCompleteAnswerText(protocol: Protocol, text: string): ReadAnswer {
  try {
    return { text, events: responseToEvents(protocol.decodeResponse(JSON.parse(text))), error: undefined };
  } catch (decodeError) {
    return { text, events: [], error: toGatewayError(decodeError) };
  }
}
