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
import { errorResponse, jsonResponse, refusalResponse } from './http-headers.ts';
import { McpBridge } from '../providers/mcp-bridge/index.ts';
import { createModelsEndpoint } from './models-endpoint.ts';
import { Router } from './router.ts';
import { CallAdmission } from './admission.ts';
import { CallRegistry } from './call-registry.ts';
import { DeadlineSweeper } from './deadline-sweeper.ts';
import type { Protocol } from '../protocols/protocol.ts';
import type { GatewayKey } from '../security/gateway-keys.ts';
import { redactSecrets } from '../security/secrets.ts';

export type AppOptions = {
  config: GatewayConfig;
  observer: CallObserver;
  /** Prometheus text for GET /metrics; absent when telemetry is off. */
  metrics?: () => Promise<Response>;
  /** The client's IP address, which only the runtime adapter knows. */
  clientAddressOf?: (request: Request, server: unknown) => string | undefined;
  /** Elysia's server adapter for runtimes other than Bun (opaque here: chosen by the runtime adapter). */
  elysiaAdapter?: unknown;
  /** The calls in flight, drained on shutdown (created here when not given). */
  registry?: CallRegistry;
  /** Gateway keys and limits, when already loaded (main.ts loads them early to report key-file errors). */
  admission?: CallAdmission;
};

/** A model id from the URL; a malformed %-escape is kept as sent (it then matches no route: a 404). */
function decodedPath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function createApp(options: AppOptions) {
  const { config, observer } = options;
  const router = new Router(config);
  const admission = options.admission ?? new CallAdmission(config);
  const registry = options.registry ?? new CallRegistry();
  const upstreamKeys = [...config.providers.values()].flatMap((provider) => ('apiKey' in provider && provider.apiKey ? [provider.apiKey] : []));
  const redact = (text: string) => redactSecrets(text, upstreamKeys);
  // MCP clients answering bridged calls are callers too: with gateway keys, they need one (refusals are
  // counted without a protocol: MCP is neither chat API).
  const authorizeMcp = (request: Request) => {
    const known = admission.keys.authenticate(request.headers) !== undefined;
    if (!known) observer.refused({ clientProtocol: undefined, status: 401, errorType: 'authentication' });
    return known;
  };
  const mcpBridge = new McpBridge(admission.keys.enabled ? { authorize: authorizeMcp } : {});
  const dependencies = { config, router, observer, mcpBridge, admission, registry, deadlineSweeper: new DeadlineSweeper(), redact };
  const chatCompletions = createChatEndpoint(openAiChatProtocol, dependencies);
  const messages = createChatEndpoint(anthropicMessagesProtocol, dependencies);
  const countTokens = createCountTokensEndpoint(config, router, observer);
  const models = createModelsEndpoint(router, observer);
  const clientAddressOf = options.clientAddressOf ?? (() => undefined);
  const raw = { parse: 'none' } as const;
  const protocolOf = (request: Request) =>
    request.headers.has('anthropic-version') || request.headers.has('x-api-key') ? anthropicMessagesProtocol : openAiChatProtocol;
  /** Runs an endpoint for callers with a valid gateway key; others get a 401 in their protocol's shape. */
  const withKey = (request: Request, protocol: Protocol, handle: (key: GatewayKey) => Response | Promise<Response>) => {
    const key = admission.authenticate(request.headers);
    return key instanceof GatewayError ? refusalResponse(observer, protocol, key) : handle(key);
  };

  return new Elysia({ adapter: options.elysiaAdapter as never })
    .post('/v1/chat/completions', ({ request, server }) => chatCompletions(request, clientAddressOf(request, server)), raw)
    .post('/v1/messages', ({ request, server }) => messages(request, clientAddressOf(request, server)), raw)
    .post('/v1/messages/count_tokens', ({ request }) => withKey(request, anthropicMessagesProtocol, (key) => countTokens(request, key)), raw)
    .get('/v1/models', ({ request }) => withKey(request, protocolOf(request), (key) => models.list(request, key)))
    .get('/v1/models/*', ({ request, params }) => withKey(request, protocolOf(request), (key) => models.retrieve(request, decodedPath(params['*']), key)))
    .get('/health', () => jsonResponse(registry.draining ? 503 : 200, { status: registry.draining ? 'draining' : 'ok' }))
    // The MCP bridge's Streamable HTTP endpoint: MCP clients list and answer calls waiting there.
    .post('/mcp', ({ request }) => mcpBridge.handleMcp(request), raw)
    .get('/mcp', ({ request }) => mcpBridge.handleMcp(request))
    .delete('/mcp', ({ request }) => mcpBridge.handleMcp(request))
    .get('/metrics', () => (options.metrics ? options.metrics() : new Response('telemetry is off\n', { status: 404 })))
    .onError(({ code, request }) => {
      // Unknown paths and methods, answered like the API the client speaks (OpenAI's shape by default).
      const protocol = protocolOf(request);
      const path = new URL(request.url).pathname;
      if (code === 'NOT_FOUND') {
        // A path of neither API (a scanner, a typo): counted without a protocol.
        return refusalResponse(observer, protocol, new GatewayError('not_found', `Unknown request URL: ${request.method} ${path}.`), null);
      }
      return errorResponse(protocol, new GatewayError('api_error', 'The gateway failed to handle this request.'));
    });
}
