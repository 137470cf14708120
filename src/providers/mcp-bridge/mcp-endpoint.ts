/**
 * The MCP endpoint (Streamable HTTP) on web-standard Request/Response, so it runs unchanged on Bun, Deno
 * and Node. It is stateless: every POST gets a fresh MCP server and transport, as the SDK's stateless
 * mode requires, and everything that lasts lives in PendingRequests. Why stateless: the tools need no
 * per-client state (a request belongs to whichever client answers it), nothing is pushed to clients
 * outside a tool call, and there are no sessions to expire, leak, or lose when the gateway restarts.
 */
import { WebStandardStreamableHTTPServerTransport } from './mcp-sdk.ts';
import { createBridgeServer } from './mcp-tools.ts';
import type { PendingRequests } from './pending-requests.ts';

/** Decides whether an HTTP request may use the MCP endpoint (e.g. checks a gateway key). */
export type AuthorizeMcp = (request: Request) => boolean | Promise<boolean>;

export async function handleMcpRequest(request: Request, requests: PendingRequests, authorize: AuthorizeMcp | undefined): Promise<Response> {
  if (!isFromLocalPageOrNoBrowser(request)) {
    return jsonRpcError(403, -32000, `Forbidden: the MCP endpoint does not accept requests from web pages of ${request.headers.get('origin')}.`, {});
  }
  if (authorize && !(await authorize(request))) {
    return jsonRpcError(401, -32001, 'Unauthorized: this MCP endpoint needs a valid gateway key.', { 'www-authenticate': 'Bearer' });
  }
  // Without sessions there is no stream for the server to open (GET) and nothing to end (DELETE);
  // 405 is the answer the Streamable HTTP spec gives clients for that, and they carry on over POST.
  if (request.method !== 'POST') {
    return jsonRpcError(405, -32000, 'Method not allowed: this MCP endpoint is stateless; send JSON-RPC messages with POST.', { allow: 'POST' });
  }
  const server = createBridgeServer(requests);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  await server.connect(transport);
  // Closing the server aborts the signal of any tool call still running: a wait_for_request whose MCP
  // client has gone stops taking requests that nobody would read.
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    request.signal.removeEventListener('abort', close);
    server.close().catch(() => {});
  };
  request.signal.addEventListener('abort', close, { once: true });
  let response: Response;
  try {
    response = await transport.handleRequest(request);
  } catch (error) {
    close();
    throw error;
  }
  return withEndHook(response, close);
}

/**
 * The endpoint hands out prompts and accepts answers, so a web page must not reach it through the
 * user's browser (DNS rebinding makes any site look like localhost to the network, never to the Origin
 * header): the MCP spec requires servers to check Origin. Programs send none; pages served from the
 * machine itself (a local MCP inspector) are allowed.
 */
function isFromLocalPageOrNoBrowser(request: Request): boolean {
  const origin = request.headers.get('origin');
  if (origin === null) return true;
  let hostname: string;
  try {
    hostname = new URL(origin).hostname;
  } catch {
    return false;
  }
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '127.0.0.1' || hostname === '[::1]';
}

/**
 * The same response, calling `onEnd` when its body has been sent or its reader cancelled (the client
 * disconnected): every runtime cancels a response body whose client is gone, while not every runtime
 * aborts the request's signal.
 */
function withEndHook(response: Response, onEnd: () => void): Response {
  if (!response.body) {
    onEnd();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          onEnd();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        onEnd();
      }
    },
    cancel(reason) {
      onEnd();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string>): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
