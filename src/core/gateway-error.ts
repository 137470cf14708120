/**
 * An error any part of the gateway can raise or receive, independent of wire format. Each protocol
 * decodes upstream errors into it and encodes it into its own error shape (status + JSON body, or an
 * in-band stream event), so an Anthropic 529 reaches an OpenAI client as a 503 and vice versa.
 */

export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'billing'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'rate_limit'
  | 'api_error'
  | 'bad_gateway'
  | 'timeout'
  | 'overloaded';

/** The HTTP status each kind has when the gateway itself raises it. */
export const defaultStatusOf: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  billing: 402,
  permission: 403,
  not_found: 404,
  request_too_large: 413,
  unsupported_media_type: 415,
  rate_limit: 429,
  api_error: 500,
  bad_gateway: 502,
  timeout: 504,
  overloaded: 529,
};

export function errorKindFromStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request';
    case 401:
      return 'authentication';
    case 402:
      return 'billing';
    case 403:
      return 'permission';
    case 404:
      return 'not_found';
    case 413:
      return 'request_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limit';
    case 502:
      return 'bad_gateway';
    case 503:
    case 529:
      return 'overloaded';
    case 504:
    case 408:
      return 'timeout';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request';
  }
}

export type GatewayErrorOptions = {
  /** The HTTP status to answer with; defaults to the kind's status. */
  status?: number;
  /** The request field at fault, as a path such as `messages[2].content`. */
  param?: string;
  /** A machine-readable code (OpenAI `code`, e.g. `invalid_api_key`, `rate_limit_exceeded`). */
  code?: string;
  /** Seconds, from the upstream's `retry-after`, forwarded to the client. */
  retryAfter?: string;
  /** Headers from the upstream's error response that the client should see (request ids, rate limits). */
  upstreamHeaders?: Headers;
  /** The upstream's own error type string, e.g. `overloaded_error` or `insufficient_quota`. */
  upstreamType?: string;
  cause?: unknown;
};

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly param?: string;
  readonly code?: string;
  readonly retryAfter?: string;
  readonly upstreamHeaders?: Headers;
  readonly upstreamType?: string;

  constructor(kind: ErrorKind, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.kind = kind;
    this.status = options.status ?? defaultStatusOf[kind];
    this.param = options.param;
    this.code = options.code;
    this.retryAfter = options.retryAfter;
    this.upstreamHeaders = options.upstreamHeaders;
    this.upstreamType = options.upstreamType;
  }
}

export const invalidRequest = (message: string, param?: string): GatewayError =>
  new GatewayError('invalid_request', message, { param });

/** Wraps anything thrown into a GatewayError without losing its message. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('api_error', message, { cause: error });
}
