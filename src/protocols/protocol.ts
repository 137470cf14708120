/**
 * One wire format (an API dialect), both directions. A client speaking it is served by the client-side
 * half; an upstream speaking it is reached through the upstream-side half. Adding a wire format is adding
 * one folder that implements this interface: N formats cost N adapters, not N².
 */
import type { CanonicalRequest } from '../core/canonical-request.ts';
import type { CanonicalResponse } from '../core/canonical-response.ts';
import type { GatewayError } from '../core/gateway-error.ts';
import type { SseMessage } from '../core/sse.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { Transcoder } from '../core/transcoder.ts';

export type ProtocolName = 'openai-chat' | 'anthropic-messages';

/** An error as this protocol's client expects it over HTTP. */
export type EncodedError = { status: number; body: unknown; headers: Headers };

export type StreamEncoderOptions = {
  /** OpenAI: the client sent `stream_options.include_usage: true`, so the final usage chunk is sent. */
  includeUsage: boolean;
};

export type RequestEncoderOptions = {
  /** Used when the canonical request has no maxTokens and this API requires one (Anthropic). */
  defaultMaxTokens: number;
};

export interface Protocol {
  readonly name: ProtocolName;

  // ── client side: a client speaking this protocol talks to lessllm ──

  /**
   * Checks the shape of a parsed request body (TypeBox) and returns the first problem, naming the field,
   * or undefined when the body is acceptable. Unknown fields are allowed: passthrough forwards them.
   */
  validateRequest(body: unknown): GatewayError | undefined;
  /** Body (already validated) → canonical request. Throws GatewayError(invalid_request) naming the field. */
  decodeRequest(body: Record<string, unknown>): CanonicalRequest;
  /** Canonical response → this protocol's JSON response body. */
  encodeResponse(response: CanonicalResponse): unknown;
  /** Canonical events → this protocol's SSE text (one string per SSE event, `[DONE]` included). */
  createStreamEncoder(options: StreamEncoderOptions): Transcoder<StreamEvent, string>;
  /** A gateway error → status, JSON body and headers (retry-after, request ids) for this protocol's client. */
  encodeError(error: GatewayError): EncodedError;
  /**
   * A gateway error as one in-band SSE event of this protocol, on its own: appended by passthrough
   * routes to a forwarded stream that broke (truncated, reset, malformed), where no encoder state exists.
   */
  encodeStreamError(error: GatewayError): string;

  // ── upstream side: lessllm talks to an upstream speaking this protocol ──

  /** Canonical request → this protocol's JSON request body. */
  encodeRequest(request: CanonicalRequest, options: RequestEncoderOptions): Record<string, unknown>;
  /** This protocol's JSON response body → canonical response. Throws GatewayError(bad_gateway) if malformed. */
  decodeResponse(body: unknown): CanonicalResponse;
  /**
   * SSE messages → canonical events, keeping the order guarantees in core/stream-events.ts. Emits an
   * `error` event for an in-band upstream error, for malformed JSON, and (in `end`) for a stream that
   * stopped before its proper end. An error the upstream itself sent carries `upstreamType` (its error
   * type, or 'error'); one the decoder raised (malformed, truncated) does not: passthrough relies on
   * this to know whether the client has already seen the error in the forwarded bytes.
   */
  createStreamDecoder(): Transcoder<SseMessage, StreamEvent>;
  /** A non-2xx upstream response → a gateway error keeping status, message, type, retry-after. */
  decodeError(status: number, bodyText: string, headers: Headers): GatewayError;
}
