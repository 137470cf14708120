/**
 * POST /v1/chat/completions and POST /v1/messages: read and check the body in the client's protocol,
 * route by model, and hand the call to the runner for its route kind.
 */
import type { CallObserver, ClientProtocolName, RouteKind } from '../core/call-observer.ts';
import type { CanonicalRequest } from '../core/canonical-request.ts';
import { GatewayError, toGatewayError } from '../core/gateway-error.ts';
import type { GatewayConfig, ProviderConfig } from '../config/gateway-config.ts';
import { anthropicMessagesEndpoint } from '../providers/anthropic.ts';
import { openAiChatEndpoint } from '../providers/openai-compatible.ts';
import type { McpBridge } from '../providers/mcp-bridge/index.ts';
import { runMock } from '../providers/mock.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import type { Protocol } from '../protocols/protocol.ts';
import { failCall, type CallContext } from './call-context.ts';
import { runConverted } from './converted-route.ts';
import { errorResponse, headersWithoutSecrets } from './http-headers.ts';
import { runLocal, type LocalAnswer } from './local-route.ts';
import { runPassthrough } from './passthrough-route.ts';
import { readJsonBody } from './read-json-body.ts';
import type { Router } from './router.ts';

export type ChatEndpointDependencies = {
  config: GatewayConfig;
  router: Router;
  observer: CallObserver;
  /** Where calls to `type: mcp` providers wait for an MCP client. */
  mcpBridge: McpBridge;
};

export function createChatEndpoint(clientProtocol: Protocol, dependencies: ChatEndpointDependencies) {
  const { config, router, observer, mcpBridge } = dependencies;
  const answerError = (error: GatewayError) => errorResponse(clientProtocol, error);

  return async function handleChat(incoming: Request, clientAddress: string | undefined): Promise<Response> {
    const startEpochMs = Date.now();
    const startedAt = performance.now();
    let parsed;
    try {
      parsed = await readJsonBody(incoming, config.server.maxBodyBytes);
    } catch (error) {
      return answerError(toGatewayError(error));
    }
    const invalid = clientProtocol.validateRequest(parsed.body);
    if (invalid) return answerError(invalid);

    const requestedModel = parsed.body.model as string;
    const route = router.resolve(requestedModel);
    if (!route) {
      return answerError(new GatewayError('not_found', `The model '${requestedModel}' does not exist or no route of this gateway matches it.`, { param: 'model', code: 'model_not_found' }));
    }
    const provider = route.provider;
    const endpoint = upstreamEndpointOf(provider, clientProtocol.name === 'anthropic-messages' ? incoming.headers : undefined);
    const routeKind: RouteKind = endpoint === undefined ? 'local' : endpoint.protocol.name === clientProtocol.name ? 'passthrough' : 'converted';

    // Passthrough never needs the canonical form for traffic; the others need it up front.
    let canonical: CanonicalRequest | undefined;
    const decodeCanonical = () => {
      const request = clientProtocol.decodeRequest(parsed.body);
      request.model = route.upstreamModel;
      return request;
    };
    if (routeKind !== 'passthrough') {
      try {
        canonical = decodeCanonical();
      } catch (error) {
        return answerError(toGatewayError(error));
      }
    }

    const stream = parsed.body.stream === true;
    const trace = observer.startCall({
      startEpochMs,
      startMonotonicMs: startedAt,
      clientProtocol: clientProtocol.name as ClientProtocolName,
      upstreamProtocol: endpoint?.protocol.name,
      routeKind,
      providerName: provider.name,
      providerType: provider.type,
      requestedModel,
      upstreamModel: route.upstreamModel,
      stream,
      rawRequestBody: parsed.raw,
      requestBody: parsed.body,
      canonicalRequest: () => {
        if (canonical) return canonical;
        try {
          return (canonical = decodeCanonical());
        } catch {
          return undefined;
        }
      },
      upstreamUrl: endpoint ? new URL(endpoint.url) : undefined,
      http: {
        method: incoming.method,
        path: new URL(incoming.url).pathname,
        clientAddress,
        headers: headersWithoutSecrets(incoming.headers),
      },
      traceparent: incoming.headers.get('traceparent') ?? undefined,
      tracestate: incoming.headers.get('tracestate') ?? undefined,
    });
    const context: CallContext = {
      clientProtocol,
      route,
      incoming,
      rawBody: parsed.raw,
      body: parsed.body,
      stream,
      trace,
      startedAt,
      upstreamAbort: new AbortController(),
      stopWatchingClient: () => incoming.signal.removeEventListener('abort', onClientGone),
      overheadMs: 0,
      ended: false,
    };
    // A client that goes away before the response is under way aborts the upstream request.
    const onClientGone = () => context.upstreamAbort.abort();
    incoming.signal.addEventListener('abort', onClientGone, { once: true });

    try {
      switch (routeKind) {
        case 'passthrough':
          return await runPassthrough(context, endpoint!);
        case 'converted':
          return await runConverted(context, endpoint!, canonical!, provider.type === 'anthropic' ? provider.defaultMaxTokens : 4096);
        case 'local':
          return await runLocal(context, localAnswer(provider, canonical!, context), canonical!);
        default: {
          const unknownKind: never = routeKind;
          throw new Error(`unknown route kind ${unknownKind}`);
        }
      }
    } catch (error) {
      // Nothing should reach here; if something does, the client still gets its protocol's error shape.
      return failCall(context, toGatewayError(error));
    }
  };

  function localAnswer(provider: ProviderConfig, canonical: CanonicalRequest, context: CallContext): LocalAnswer {
    switch (provider.type) {
      case 'mock':
        return () => runMock(provider, canonical);
      case 'mcp':
        return () => mcpBridge.submit(provider, canonical, clientProtocol.name, context.upstreamAbort.signal);
      case 'openai':
      case 'anthropic':
        throw new Error(`provider ${provider.name} is not answered locally`);
      default: {
        const unknownProvider: never = provider;
        throw new Error(`unknown provider ${JSON.stringify(unknownProvider)}`);
      }
    }
  }
}

/** How to reach the provider, or undefined for one answered inside lessllm. */
export function upstreamEndpointOf(provider: ProviderConfig, anthropicClientHeaders: Headers | undefined): UpstreamEndpoint | undefined {
  switch (provider.type) {
    case 'openai':
      return openAiChatEndpoint(provider);
    case 'anthropic':
      return anthropicMessagesEndpoint(provider, anthropicClientHeaders);
    case 'mock':
    case 'mcp':
      return undefined;
    default: {
      const unknownProvider: never = provider;
      throw new Error(`unknown provider ${JSON.stringify(unknownProvider)}`);
    }
  }
}
