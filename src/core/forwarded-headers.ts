/**
 * The upstream response headers a client should still see through the gateway, on success and on
 * error, whatever the route: retry hints (SDKs read `retry-after`, `retry-after-ms` and `x-should-retry`
 * to decide whether and when to retry), request ids for support tickets, and rate-limit state.
 * Account details such as `openai-organization` stay behind: they describe the gateway's key.
 */
export function forwardedResponseHeaders(upstream: Headers): Headers {
  const forwarded = new Headers();
  upstream.forEach((value, name) => {
    if (isForwarded(name)) forwarded.set(name, value);
  });
  return forwarded;
}

function isForwarded(name: string): boolean {
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
