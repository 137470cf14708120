/**
 * POST /v1/chat/completions and POST /v1/messages: check the key, read and check the body in the
 * client's protocol, route by model, admit under the key's limits, get an answer from the route's
 * targets (retrying and falling back before the first byte), and hand it to the runner for its kind.
 */
import { noopTrace, type CallObserver, type ClientProtocolName, type RouteKind } from '../core/call-observer.ts';
import type { CanonicalRequest } from '../core/canonical-request.ts';
import { GatewayError, toGatewayError } from '../core/gateway-error.ts';
import type { GatewayConfig, ProviderConfig } from '../config/gateway-config.ts';
import { anthropicMessagesEndpoint } from '../providers/anthropic.ts';
import { openAiChatEndpoint } from '../providers/openai-compatible.ts';
import type { McpBridge } from '../providers/mcp-bridge/index.ts';
import { runMock } from '../providers/mock.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import type { Protocol } from '../protocols/protocol.ts';
import type { CallAdmission } from './admission.ts';
import { CallAbort } from './call-abort.ts';
import { failCall, type CallContext } from './call-context.ts';
import { CallDeadlines, timeoutsOf } from './call-deadlines.ts';
import type { CallRegistry } from './call-registry.ts';
import { answerConverted, convertedPlan } from './converted-route.ts';
import type { DeadlineSweeper } from './deadline-sweeper.ts';
import { headersWithoutSecrets, refusalResponse } from './http-headers.ts';
import { runLocal, type LocalAnswer } from './local-route.ts';
import { answerPassthrough, passthroughPlan } from './passthrough-route.ts';
import { readJsonBody } from './read-json-body.ts';
import { unknownModel, type ResolvedTarget, type Router } from './router.ts';
import { callWithRetries, type PlannedTarget } from './upstream-attempts.ts';
import { UsageMeter } from './usage-meter.ts';

export type ChatEndpointDependencies = {
  config: GatewayConfig;
  router: Router;
  observer: CallObserver;
  /** Where calls to `type: mcp` providers wait for an MCP client. */
  mcpBridge: McpBridge;
  /** Gateway keys, per-key limits. */
  admission: CallAdmission;
  /** The calls in flight, for graceful shutdown. */
  registry: CallRegistry;
  /** Checks the timeouts of every call in flight. */
  deadlineSweeper: DeadlineSweeper;
  /** Removes configured upstream keys from text that came from an upstream. */
  redact: (text: string) => string;
};

export function createChatEndpoint(clientProtocol: Protocol, dependencies: ChatEndpointDependencies) {
  const { config, router, observer, mcpBridge, admission, registry, deadlineSweeper, redact } = dependencies;
  const clientProtocolName = clientProtocol.name as ClientProtocolName;
  const refuse = (error: GatewayError) => refusalResponse(observer, clientProtocol, error);

  return async function handleChat(incoming: Request, clientAddress: string | undefined): Promise<Response> {
    const startEpochMs = Date.now();
    const startedAt = performance.now();
    if (registry.draining) return refuse(registry.refusal());
    // The key first: a caller without one learns nothing else (not even whether its body parses).
    const key = admission.authenticate(incoming.headers);
    if (key instanceof GatewayError) return refuse(key);
    let parsed;
    try {
      parsed = await readJsonBody(incoming, config.server.maxBodyBytes);
    } catch (error) {
      return refuse(toGatewayError(error));
    }
    const invalid = clientProtocol.validateRequest(parsed.body);
    if (invalid) return refuse(invalid);

    const requestedModel = parsed.body.model as string;
    const route = router.resolve(requestedModel);
    if (!route) return refuse(unknownModel(requestedModel));
    const anthropicClientHeaders = clientProtocol.name === 'anthropic-messages' ? incoming.headers : undefined;
    const first = route.targets[0];
    const firstEndpoint = upstreamEndpointOf(first.provider, anthropicClientHeaders);
    const firstKind = routeKindOf(firstEndpoint);

    // Passthrough never needs the canonical form for traffic; the others need it up front.
    let decoded: CanonicalRequest | undefined;
    const canonicalRequest = () => (decoded ??= clientProtocol.decodeRequest(parsed.body));
    if (firstKind !== 'passthrough') {
      try {
        canonicalRequest();
      } catch (error) {
        return refuse(toGatewayError(error));
      }
    }

    const stream = parsed.body.stream === true;
    const admitted = admission.admit(key, requestedModel, parsed.body, stream);
    if (admitted instanceof GatewayError) return refuse(admitted);
    const meter = key.limits.tokensPerMinute > 0 ? new UsageMeter(parsed.raw.length) : undefined;

    // With telemetry off nothing reads a call's start: what it is made of is not gathered.
    const trace = !observer.recordsCalls ? noopTrace : observer.startCall({
      startEpochMs,
      startMonotonicMs: startedAt,
      clientProtocol: clientProtocolName,
      upstreamProtocol: firstEndpoint?.protocol.name,
      routeKind: firstKind,
      providerName: first.provider.name,
      providerType: first.provider.type,
      requestedModel,
      upstreamModel: first.upstreamModel,
      stream,
      rawRequestBody: parsed.raw,
      requestBody: parsed.body,
      canonicalRequest: () => {
        try {
          return { ...canonicalRequest(), model: first.upstreamModel };
        } catch {
          return undefined;
        }
      },
      upstreamUrl: firstEndpoint ? new URL(firstEndpoint.url) : undefined,
      http: {
        method: incoming.method,
        path: new URL(incoming.url).pathname,
        clientAddress,
        headers: headersWithoutSecrets(incoming.headers),
      },
      traceparent: incoming.headers.get('traceparent') ?? undefined,
      tracestate: incoming.headers.get('tracestate') ?? undefined,
      keyName: admission.keys.enabled ? key.name : undefined,
    });
    const upstreamAbort = new CallAbort();
    const context: CallContext = {
      clientProtocol,
      incoming,
      rawBody: parsed.raw,
      body: parsed.body,
      stream,
      trace: meter ? meter.wrap(trace) : trace,
      recorded: observer.recordsCalls,
      startedAt,
      upstreamAbort,
      stopWatchingClient: () => incoming.signal.removeEventListener('abort', onClientGone),
      ended: false,
      deadlines: new CallDeadlines(upstreamAbort, deadlineSweeper),
      attempts: 0,
      failedAttempts: [],
      redact,
      chargesTokens: meter !== undefined,
      onEnd: () => {
        unregister();
        admitted.finish(meter?.usage() ?? { inputTokens: 0, outputTokens: 0 });
      },
    };
    const unregister = registry.add({ abort: (reason) => upstreamAbort.abort(reason) });
    // A client that goes away before the response is under way aborts the upstream request.
    const onClientGone = () => upstreamAbort.abort();
    incoming.signal.addEventListener('abort', onClientGone, { once: true });

    const answerLocally = (target: ResolvedTarget) =>
      runLocal(context, localAnswer(target.provider, { ...canonicalRequest(), model: target.upstreamModel }, context), canonicalRequest());

    try {
      if (firstKind === 'local') return await answerLocally(first);
      const firstTimeouts = timeoutsOf(first.provider);
      if (firstTimeouts) context.deadlines.startTotal(firstTimeouts.totalMs, performance.now() - startedAt, first.provider.name);
      const plans = route.targets.map((target, index) => () => planFor(context, target, index === 0 ? firstEndpoint : upstreamEndpointOf(target.provider, anthropicClientHeaders), canonicalRequest));
      const answer = await callWithRetries(context, plans, route.retry);
      switch (answer.kind) {
        case 'failed':
          return failCall(context, answer.error);
        case 'local':
          return await answerLocally(answer.target);
        case 'stream':
        case 'complete':
        case 'upstream_error':
          return answer.plan.routeKind === 'passthrough' ? answerPassthrough(context, answer, canonicalRequest) : answerConverted(context, answer, canonicalRequest());
        default: {
          const unknownAnswer: never = answer;
          throw new Error(`unknown answer ${JSON.stringify(unknownAnswer)}`);
        }
      }
    } catch (error) {
      // Nothing should reach here; if something does, the client still gets its protocol's error shape.
      return failCall(context, toGatewayError(error));
    }
  };

  /** What trying one target means: call an upstream (as is, or converted), or answer locally. */
  function planFor(context: CallContext, target: ResolvedTarget, endpoint: UpstreamEndpoint | undefined, canonicalRequest: () => CanonicalRequest): PlannedTarget {
    const kind = routeKindOf(endpoint);
    switch (kind) {
      case 'local':
        return { local: target };
      case 'passthrough':
        return passthroughPlan(context, target, endpoint!);
      case 'converted': {
        let canonical: CanonicalRequest;
        try {
          canonical = canonicalRequest();
        } catch (error) {
          return { unusable: toGatewayError(error), target };
        }
        return convertedPlan(context, target, endpoint!, canonical);
      }
      default: {
        const unknownKind: never = kind;
        throw new Error(`unknown route kind ${unknownKind}`);
      }
    }
  }

  function routeKindOf(endpoint: UpstreamEndpoint | undefined): RouteKind {
    if (endpoint === undefined) return 'local';
    return endpoint.protocol.name === clientProtocol.name ? 'passthrough' : 'converted';
  }

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
