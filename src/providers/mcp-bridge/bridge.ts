/**
 * The MCP bridge: calls routed to a `type: mcp` provider wait here until an MCP client answers them over
 * the gateway's MCP endpoint. One per gateway process, shared by every mcp provider.
 */
import type { ClientProtocolName } from '../../core/call-observer.ts';
import type { CanonicalRequest } from '../../core/canonical-request.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import type { McpProviderConfig } from './config.ts';
import type { AuthorizeMcp } from './mcp-endpoint.ts';
import { PendingRequests } from './pending-requests.ts';

export type McpBridgeOptions = {
  /** Checks each MCP HTTP request (e.g. for a gateway key); absent, the endpoint is open. */
  authorize?: AuthorizeMcp;
};

export class McpBridge {
  private readonly requests = new PendingRequests();
  private readonly authorize: AuthorizeMcp | undefined;

  constructor(options: McpBridgeOptions = {}) {
    this.authorize = options.authorize;
  }

  /**
   * Puts a call in front of the MCP clients and returns its canonical events as they answer.
   *
   * The stream stays silent until something happens, and its FIRST event tells the gateway how to answer:
   * - `message-start`: an MCP client began answering; text and tool-call deltas follow as each chunk
   *   arrives, then `usage` (tokenizer counts) and `finish` (stop, or tool-calls if any tool was called).
   * - `error` before any `message-start`: nobody answered within the provider's timeout (kind `timeout`)
   *   or an MCP client failed the request (kind `api_error`). Nothing was sent yet, so the gateway
   *   should read this first event before committing to a 200 and answer with the error's HTTP status.
   * After `message-start`, a timeout (no chunk for timeout_ms) or a failure is an in-band `error` event.
   *
   * The call leaves the bridge when `signal` aborts or the stream is cancelled (its client went away);
   * an MCP client answering it afterwards is told it is no longer open.
   */
  submit(provider: McpProviderConfig, request: CanonicalRequest, clientProtocol: ClientProtocolName, signal: AbortSignal): ReadableStream<StreamEvent> {
    const pending = this.requests.add({ id: newRequestId(), provider, request, clientProtocol });
    if (signal.aborted) {
      pending.abandon(signal.reason);
    } else {
      const onAbort = () => pending.abandon(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      // A long-lived signal would otherwise collect one listener per call.
      void pending.finished.then(() => signal.removeEventListener('abort', onAbort));
    }
    return pending.events;
  }

  /**
   * The MCP endpoint (POST, GET and DELETE on one path, e.g. `/mcp`). Its module, with the MCP SDK and
   * the zod it brings, is loaded on the first MCP request: a gateway nobody attaches to over MCP never
   * pays for that code (a third of lessllm's start-up, and some 10 MB of resident memory).
   */
  async handleMcp(request: Request): Promise<Response> {
    const { handleMcpRequest } = await (endpointModule ??= import('./mcp-endpoint.ts'));
    return handleMcpRequest(request, this.requests, this.authorize);
  }
}

let endpointModule: Promise<typeof import('./mcp-endpoint.ts')> | undefined;

/** Short enough to read and type, random enough never to collide within one gateway's lifetime. */
function newRequestId(): string {
  return `mcp_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`;
}
