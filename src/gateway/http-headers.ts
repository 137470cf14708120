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
