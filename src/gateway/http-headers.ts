import type { CallObserver, ClientProtocolName } from '../core/call-observer.ts';
import type { GatewayError } from '../core/gateway-error.ts';
import type { Protocol } from '../protocols/protocol.ts';
/** Which headers cross the gateway, in each direction, and which never reach telemetry. */

export { forwardedResponseHeaders } from '../core/forwarded-headers.ts';

const secretHeaderNames = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie', 'set-cookie']);

/** Headers as a plain object without credentials: what telemetry and logs may keep. */
export function headersWithoutSecrets(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!secretHeaderNames.has(name)) result[name] = value;
  });
  return result;
}

/** An error answered outside a call (bad body, no route, unknown path), in the given protocol's shape. */
export function errorResponse(protocol: Protocol, error: GatewayError): Response {
  const encoded = protocol.encodeError(error);
  return jsonResponse(encoded.status, encoded.body, encoded.headers);
}

/**
 * The error answer to a request that never became a call (no key, a limit, a bad body, an unknown model
 * or path, shutdown): counted as refused, since it has no span or log row. `api` is the API the path
 * belongs to (by default the protocol the answer is shaped in); null for a path of neither.
 */
export function refusalResponse(
  observer: CallObserver,
  protocol: Protocol,
  error: GatewayError,
  api: ClientProtocolName | null = protocol.name as ClientProtocolName,
): Response {
  const encoded = protocol.encodeError(error);
  // The status the client gets (a protocol may map it: 503 overloaded is 529 for Anthropic clients).
  observer.refused({ clientProtocol: api ?? undefined, status: encoded.status, errorType: error.kind });
  return jsonResponse(encoded.status, encoded.body, encoded.headers);
}

export function jsonResponse(status: number, body: unknown, headers?: Headers): Response {
  const responseHeaders = new Headers(headers);
  responseHeaders.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status, headers: responseHeaders });
}

export function sseHeaders(extra?: Headers): Headers {
  const headers = new Headers(extra);
  headers.set('content-type', 'text/event-stream; charset=utf-8');
  headers.set('cache-control', 'no-cache');
  // Tells nginx-style proxies in front of lessllm not to buffer the stream.
  headers.set('x-accel-buffering', 'no');
  return headers;
}
