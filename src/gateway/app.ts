/**
 * The HTTP surface, as an Elysia app built on web standards only: the runtime adapter
 * (src/runtime/serve.ts) decides how it is served. Bodies are read by the endpoints themselves
 * (`parse: 'none'`) so the raw bytes can be forwarded and every parse error answered in the client's
 * own protocol.
 */
import { Elysia } from 'elysia';
import type { CallObserver } from '../core/call-observer.ts';
import { GatewayError } from '../core/gateway-error.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { anthropicMessagesProtocol } from '../protocols/anthropic-messages/index.ts';
import { openAiChatProtocol } from '../protocols/openai-chat/index.ts';
import { createChatEndpoint } from './chat-endpoint.ts';
import { createCountTokensEndpoint } from './count-tokens-endpoint.ts';
import { errorResponse, jsonResponse } from './http-headers.ts';
import { McpBridge } from '../providers/mcp-bridge/index.ts';
import { createModelsEndpoint } from './models-endpoint.ts';
import { Router } from './router.ts';

export type AppOptions = {
  config: GatewayConfig;
  observer: CallObserver;
  /** Prometheus text for GET /metrics; absent when telemetry is off. */
  metrics?: () => Promise<Response>;
  /** The client's IP address, which only the runtime adapter knows. */
  clientAddressOf?: (request: Request, server: unknown) => string | undefined;
  /** Elysia's server adapter for runtimes other than Bun (opaque here: chosen by the runtime adapter). */
  elysiaAdapter?: unknown;
};

export function createApp(options: AppOptions) {
  const { config, observer } = options;
  const router = new Router(config);
  const mcpBridge = new McpBridge();
  const chatCompletions = createChatEndpoint(openAiChatProtocol, { config, router, observer, mcpBridge });
  const messages = createChatEndpoint(anthropicMessagesProtocol, { config, router, observer, mcpBridge });
  const countTokens = createCountTokensEndpoint(config, router);
  const models = createModelsEndpoint(router);
  const clientAddressOf = options.clientAddressOf ?? (() => undefined);
  const raw = { parse: 'none' } as const;

  return new Elysia({ adapter: options.elysiaAdapter as never })
    .post('/v1/chat/completions', ({ request, server }) => chatCompletions(request, clientAddressOf(request, server)), raw)
    .post('/v1/messages', ({ request, server }) => messages(request, clientAddressOf(request, server)), raw)
    .post('/v1/messages/count_tokens', ({ request }) => countTokens(request), raw)
    .get('/v1/models', ({ request }) => models.list(request))
    .get('/v1/models/*', ({ request, params }) => models.retrieve(request, decodeURIComponent(params['*'])))
    .get('/health', () => jsonResponse(200, { status: 'ok' }))
    // The MCP bridge's Streamable HTTP endpoint: MCP clients list and answer calls waiting there.
    .post('/mcp', ({ request }) => mcpBridge.handleMcp(request), raw)
    .get('/mcp', ({ request }) => mcpBridge.handleMcp(request))
    .delete('/mcp', ({ request }) => mcpBridge.handleMcp(request))
    .get('/metrics', () => (options.metrics ? options.metrics() : new Response('telemetry is off\n', { status: 404 })))
    .onError(({ code, request }) => {
      // Unknown paths and methods, answered like the API the client speaks (OpenAI's shape by default).
      const protocol = request.headers.has('anthropic-version') ? anthropicMessagesProtocol : openAiChatProtocol;
      const path = new URL(request.url).pathname;
      const error =
        code === 'NOT_FOUND'
          ? new GatewayError('not_found', `Unknown request URL: ${request.method} ${path}.`)
          : new GatewayError('api_error', 'The gateway failed to handle this request.');
      return errorResponse(protocol, error);
    });
}
