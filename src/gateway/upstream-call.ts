/** The upstream request of a call, with client-disconnect handling and the gateway's time accounted. */
import { toGatewayError, type GatewayError } from '../core/gateway-error.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import type { CallContext } from './call-context.ts';
import { fetchUpstream } from './upstream-fetch.ts';

/**
 * POSTs the body upstream. Returns the response (any status), or the GatewayError to answer with when
 * the upstream could not be reached. A client that disconnects meanwhile aborts it (see chat-endpoint.ts).
 */
export async function callUpstream(context: CallContext, endpoint: UpstreamEndpoint, body: string): Promise<Response | GatewayError> {
  const headers = new Headers(endpoint.headers);
  for (const [name, value] of Object.entries(context.trace.upstreamHeaders())) headers.set(name, value);
  // Time from arrival to here is the gateway's (parsing, routing, conversion).
  context.overheadMs += performance.now() - context.startedAt;
  try {
    return await fetchUpstream({ ...endpoint, headers }, body, context.upstreamAbort.signal);
  } catch (error) {
    return toGatewayError(error);
  }
}

export function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
}
