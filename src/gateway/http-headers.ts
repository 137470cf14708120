/** Which headers cross the gateway, in each direction, and which never reach telemetry. */

/**
 * Upstream response headers a client should still see: retry hints (SDKs read `retry-after` and
 * `x-should-retry` to decide whether to retry), request ids for support tickets, and rate-limit state.
 */
export function forwardedResponseHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  upstream.forEach((value, name) => {
    if (isForwardedResponseHeader(name)) headers.set(name, value);
  });
  return headers;
}

function isForwardedResponseHeader(name: string): boolean {
  return (
    name === 'retry-after' ||
    name === 'retry-after-ms' ||
    name === 'x-should-retry' ||
    name === 'request-id' ||
    name === 'x-request-id' ||
    name === 'openai-processing-ms' ||
    name === 'openai-version' ||
    name.startsWith('x-ratelimit-') ||
    name.startsWith('anthropic-ratelimit-')
  );
}

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
