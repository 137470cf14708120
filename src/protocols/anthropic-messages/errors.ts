/**
 * Anthropic error bodies ⇄ GatewayError. Upstream: a non-2xx response (or an in-band `error` event) →
 * GatewayError keeping status, type, message and the headers a client needs (retry-after, request id,
 * rate limits). Client side: a GatewayError → the status, `{type:'error', error:{type, message}}` body
 * and headers an Anthropic SDK expects, so it picks the right exception class and retry policy.
 */
import { forwardedResponseHeaders } from '../../core/forwarded-headers.ts';
import { errorKindFromStatus, GatewayError, type ErrorKind } from '../../core/gateway-error.ts';
import { formatSse, parseJsonSafely } from '../../core/sse.ts';
import { assertNever } from '../../core/stream-events.ts';
import type { EncodedError } from '../protocol.ts';
import { isJsonObject, stringOrUndefined } from './guards.ts';
import type { AnthropicErrorBody, AnthropicErrorType } from './wire-types.ts';

/** Longest upstream text kept as an error message when the body is not Anthropic's JSON error shape. */
const maxPlainMessageLength = 1000;

export function errorTypeOfKind(kind: ErrorKind): AnthropicErrorType {
  switch (kind) {
    case 'invalid_request':
    case 'unsupported_media_type':
      return 'invalid_request_error';
    case 'authentication':
      return 'authentication_error';
    case 'billing':
      return 'billing_error';
    case 'permission':
      return 'permission_error';
    case 'not_found':
      return 'not_found_error';
    case 'request_too_large':
      return 'request_too_large';
    case 'rate_limit':
      return 'rate_limit_error';
    case 'api_error':
    case 'bad_gateway':
      return 'api_error';
    case 'timeout':
      return 'timeout_error';
    case 'overloaded':
      return 'overloaded_error';
    default:
      return assertNever(kind);
  }
}

/** The kind an Anthropic error type stands for, or undefined for a type this code does not know. */
export function errorKindOfType(type: string | undefined): ErrorKind | undefined {
  switch (type) {
    case 'invalid_request_error':
      return 'invalid_request';
    case 'authentication_error':
      return 'authentication';
    case 'billing_error':
      return 'billing';
    case 'permission_error':
      return 'permission';
    case 'not_found_error':
      return 'not_found';
    case 'request_too_large':
      return 'request_too_large';
    case 'rate_limit_error':
      return 'rate_limit';
    case 'api_error':
      return 'api_error';
    case 'timeout_error':
      return 'timeout';
    case 'overloaded_error':
      return 'overloaded';
    default:
      return undefined;
  }
}


/** The `error` object of an Anthropic error body, when the value has that shape. */
export function readErrorObject(body: unknown): { type: string | undefined; message: string | undefined } | undefined {
  if (!isJsonObject(body) || !isJsonObject(body.error)) return undefined;
  return { type: stringOrUndefined(body.error.type), message: stringOrUndefined(body.error.message) };
}

/** An in-band `error` stream event (already parsed) → GatewayError. */
export function decodeStreamError(data: unknown): GatewayError {
  const error = readErrorObject(data);
  const kind = errorKindOfType(error?.type) ?? 'api_error';
  // upstreamType is always set: it tells passthrough the client already saw this error in the forwarded bytes.
  return new GatewayError(kind, error?.message ?? 'upstream stream reported an error', { upstreamType: error?.type ?? 'error' });
}

export function decodeError(status: number, bodyText: string, headers: Headers): GatewayError {
  const parsed = parseJsonSafely(bodyText);
  const error = parsed.ok ? readErrorObject(parsed.value) : undefined;
  const kind = errorKindOfType(error?.type) ?? errorKindFromStatus(status);
  const plainText = bodyText.trim().slice(0, maxPlainMessageLength);
  const message = error?.message ?? (plainText !== '' ? plainText : `upstream answered HTTP ${status}`);
  const upstreamHeaders = forwardedResponseHeaders(headers);
  const requestId = parsed.ok && isJsonObject(parsed.value) ? stringOrUndefined(parsed.value.request_id) : undefined;
  if (requestId !== undefined && !upstreamHeaders.has('request-id')) upstreamHeaders.set('request-id', requestId);
  return new GatewayError(kind, message, {
    status,
    retryAfter: headers.get('retry-after') ?? undefined,
    upstreamHeaders,
    upstreamType: error?.type,
  });
}

/** The body of an error as an Anthropic client receives it, over HTTP or as an in-band `error` event. */
export function encodeErrorBody(error: GatewayError): AnthropicErrorBody {
  const body: AnthropicErrorBody = { type: 'error', error: { type: errorTypeOfKind(error.kind), message: error.message } };
  const requestId = error.upstreamHeaders?.get('request-id') ?? error.upstreamHeaders?.get('x-request-id');
  if (requestId) body.request_id = requestId;
  return body;
}

export function encodeError(error: GatewayError): EncodedError {
  const headers = error.upstreamHeaders ? forwardedResponseHeaders(error.upstreamHeaders) : new Headers();
  if (error.retryAfter !== undefined) headers.set('retry-after', error.retryAfter);
  // Anthropic SDKs treat 529 as "overloaded, retry later"; an OpenAI upstream says the same thing with 503.
  const status = error.kind === 'overloaded' ? 529 : error.status;
  return { status, body: encodeErrorBody(error), headers };
}

/** One in-band `event: error` on its own, for a passthrough stream that broke where no encoder state exists. */
export function encodeStreamError(error: GatewayError): string {
  return formatSse(JSON.stringify(encodeErrorBody(error)), 'error');
}
