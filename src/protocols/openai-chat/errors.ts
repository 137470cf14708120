/**
 * OpenAI error bodies ⇄ GatewayError. OpenAI clients pick their exception class and retry policy from
 * the HTTP status, so the status class is always kept; the body is `{"error":{message,type,param,code}}`.
 * The same decoding serves an HTTP error and an in-band `data: {"error":…}` stream event.
 */
import { forwardedResponseHeaders } from '../../core/forwarded-headers.ts';
import { GatewayError, defaultStatusOf, errorKindFromStatus, type ErrorKind } from '../../core/gateway-error.ts';
import { formatSse, parseJsonSafely } from '../../core/sse.ts';
import { assertNever } from '../../core/stream-events.ts';
import type { EncodedError } from '../protocol.ts';
import { isPlainObject } from './tool-arguments.ts';
import type { OpenAiErrorBody } from './wire-types.ts';

/** A non-JSON error page can be large (an HTML proxy page); the client needs the start of it only. */
const maxPlainMessageLength = 500;

type ErrorFields = { message?: string; type?: string; param?: string; code?: string };

/** A non-2xx upstream response → a gateway error keeping status, message, type, code and useful headers. */
export function decodeError(status: number, bodyText: string, headers: Headers): GatewayError {
  const parsed = parseJsonSafely(bodyText);
  const fields = parsed.ok ? errorFieldsOf(parsed.value) : {};
  const plain = bodyText.trim();
  const message =
    fields.message ??
    (plain === '' ? `upstream answered HTTP ${status}` : plain.slice(0, maxPlainMessageLength));
  const isQuota = fields.type === 'insufficient_quota' || fields.code === 'insufficient_quota';
  const kind: ErrorKind = status === 429 && isQuota ? 'billing' : errorKindFromStatus(status);
  return new GatewayError(kind, message, {
    status,
    param: fields.param,
    code: fields.code,
    upstreamType: fields.type,
    retryAfter: headers.get('retry-after') ?? undefined,
    upstreamHeaders: forwardedResponseHeaders(headers),
  });
}

/**
 * The error object inside an in-band `data: {"error":{…}}` stream event → a gateway error. It always has
 * an `upstreamType` (`error` when the upstream gave no type): that marks it as sent by the upstream,
 * so passthrough knows the client has already seen it in the forwarded bytes.
 */
export function decodeStreamError(errorObject: unknown): GatewayError {
  const fields = errorFieldsOf({ error: errorObject });
  const kind = errorKindFromFields(fields, errorObject);
  return new GatewayError(kind, fields.message ?? 'the upstream reported an error in its stream', {
    param: fields.param,
    code: fields.code,
    upstreamType: fields.type ?? 'error',
  });
}

/** Reads the shapes OpenAI-compatible servers use: OpenAI's `{error:{…}}`, vLLM's flat `{message,type}`, FastAPI's `{detail}`. */
function errorFieldsOf(value: unknown): ErrorFields {
  if (!isPlainObject(value)) return {};
  const source = isPlainObject(value.error) ? value.error : value;
  const fields: ErrorFields = {
    message: stringOrUndefined(source.message),
    type: stringOrUndefined(source.type),
    param: stringOrUndefined(source.param),
    code: stringOrUndefined(source.code),
  };
  if (fields.message === undefined && typeof value.error === 'string') fields.message = value.error;
  if (fields.message === undefined && typeof value.detail === 'string') fields.message = value.detail;
  return fields;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An in-band error has no HTTP status: its kind comes from its code, then its type. */
function errorKindFromFields(fields: ErrorFields, errorObject: unknown): ErrorKind {
  for (const name of [fields.code, fields.type]) {
    const kind = name === undefined ? undefined : kindsByName[name];
    if (kind !== undefined) return kind;
  }
  // Some servers put the HTTP status they would have sent in a numeric `code`.
  const numericCode = isPlainObject(errorObject) ? errorObject.code : undefined;
  if (typeof numericCode === 'number' && numericCode >= 400 && numericCode <= 599) return errorKindFromStatus(numericCode);
  return 'api_error';
}

const kindsByName: Record<string, ErrorKind | undefined> = {
  invalid_request_error: 'invalid_request',
  invalid_api_key: 'authentication',
  authentication_error: 'authentication',
  permission_error: 'permission',
  not_found_error: 'not_found',
  model_not_found: 'not_found',
  insufficient_quota: 'billing',
  billing_error: 'billing',
  rate_limit_exceeded: 'rate_limit',
  rate_limit_error: 'rate_limit',
  requests: 'rate_limit',
  tokens: 'rate_limit',
  server_error: 'api_error',
  api_error: 'api_error',
  timeout: 'timeout',
  overloaded_error: 'overloaded',
  service_unavailable: 'overloaded',
};

/** A gateway error → what an OpenAI client expects: status, `{"error":{…}}` body, retry and request-id headers. */
export function encodeError(error: GatewayError): EncodedError {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (error.upstreamHeaders !== undefined) {
    for (const [name, value] of forwardedResponseHeaders(error.upstreamHeaders)) headers.set(name, value);
  }
  if (error.retryAfter !== undefined) headers.set('retry-after', error.retryAfter);
  return { status: encodeStatus(error), body: encodeErrorBody(error), headers };
}

function encodeStatus(error: GatewayError): number {
  // OpenAI has no 529; its SDKs treat 503 as "overloaded, retry later", which is what 529 means.
  if (error.kind === 'overloaded' || error.status === 529) return 503;
  // OpenAI reports an exhausted quota as 429 insufficient_quota; it has no 402.
  if (error.kind === 'billing') return 429;
  return error.status >= 400 && error.status <= 599 ? error.status : defaultStatusOf[error.kind];
}

/** A gateway error as the in-band SSE event OpenAI streams carry (the official SDKs raise it). */
export function encodeStreamError(error: GatewayError): string {
  return formatSse(JSON.stringify(encodeErrorBody(error)));
}

export function encodeErrorBody(error: GatewayError): OpenAiErrorBody {
  const { type, code } = typeAndCodeOf(error);
  return { error: { message: error.message, type, param: error.param ?? null, code: error.code ?? code } };
}

/**
 * OpenAI's own types: client errors are `invalid_request_error` whatever the status (a bad API key is
 * 401 `invalid_request_error` with code `invalid_api_key`, as api.openai.com answers it), rate limits
 * are typed by the limit hit (`requests` or `tokens`), and server errors are `server_error`.
 */
function typeAndCodeOf(error: GatewayError): { type: string; code: string | null } {
  switch (error.kind) {
    case 'invalid_request':
    case 'permission':
    case 'not_found':
    case 'request_too_large':
    case 'unsupported_media_type':
      return { type: 'invalid_request_error', code: null };
    case 'authentication':
      return { type: 'invalid_request_error', code: 'invalid_api_key' };
    case 'billing':
      return { type: 'insufficient_quota', code: 'insufficient_quota' };
    case 'rate_limit':
      return { type: error.upstreamType === 'tokens' ? 'tokens' : 'requests', code: 'rate_limit_exceeded' };
    case 'api_error':
    case 'bad_gateway':
    case 'timeout':
    case 'overloaded':
      return { type: 'server_error', code: null };
    default:
      return assertNever(error.kind);
  }
}
