/** Sends one request upstream; a network failure becomes a 502 GatewayError naming the upstream. */
import { GatewayError } from '../core/gateway-error.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import { currentRuntime } from '../runtime/current-runtime.ts';
import { nodeUpstreamFetch } from '../runtime/node-upstream-fetch.ts';

/** Bun's native fetch on Bun; node:http on Node and Deno, whose fetch costs far more (node-upstream-fetch.ts says how much). */
const send = currentRuntime() === 'bun' ? fetch : nodeUpstreamFetch;

export async function fetchUpstream(endpoint: UpstreamEndpoint, body: string, signal: AbortSignal): Promise<Response> {
  try {
    return await send(endpoint.url, { method: 'POST', headers: endpoint.headers, body, signal });
  } catch (error) {
    if (signal.aborted) throw clientClosedError(error);
    const reason = error instanceof Error ? error.message : String(error);
    throw new GatewayError('bad_gateway', `Could not reach the upstream at ${new URL(endpoint.url).origin}: ${reason}`, { cause: error });
  }
}

/** What a call ends with when its client left before the upstream answered (499, nginx's "client closed request"). */
export function clientClosedError(cause?: unknown): GatewayError {
  return new GatewayError('api_error', 'The client closed the request before the upstream answered.', { status: 499, cause });
}
