/**
 * POST /v1/messages/count_tokens (coding agents call it before every turn): asked of the upstream when
 * the route leads to Anthropic, estimated with a real tokenizer otherwise (on the counting thread: an agent's
 * whole conversation, every turn).
 */
import type { CallObserver } from '../core/call-observer.ts';
import { toGatewayError, type GatewayError } from '../core/gateway-error.ts';
import { requestTokenTexts } from '../core/token-count.ts';
import { tokenCounter } from '../core/token-counter.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { anthropicMessagesProtocol as protocol } from '../protocols/anthropic-messages/index.ts';
import { anthropicMessagesEndpoint } from '../providers/anthropic.ts';
import { errorResponse, forwardedResponseHeaders, jsonResponse, refusalResponse } from './http-headers.ts';
import { readJsonBody } from './read-json-body.ts';
import { unknownModel, type Router } from './router.ts';
import { modelNotAllowed } from './admission.ts';
import type { GatewayKey } from '../security/gateway-keys.ts';
import { fetchUpstream } from './upstream-fetch.ts';

export function createCountTokensEndpoint(config: GatewayConfig, router: Router, observer: CallObserver) {
  const refuse = (error: GatewayError) => refusalResponse(observer, protocol, error);

  /** `key`: the caller's gateway key (already authenticated), whose model globs apply here too. */
  return async function countTokens(incoming: Request, key: GatewayKey): Promise<Response> {
    let body: Record<string, unknown>;
    try {
      body = (await readJsonBody(incoming, config.server.maxBodyBytes)).body;
    } catch (error) {
      return refuse(toGatewayError(error));
    }
    // count_tokens takes a Messages request without max_tokens.
    const invalid = protocol.validateRequest({ max_tokens: 1, ...body });
    if (invalid) return refuse(invalid);
    const model = body.model as string;
    const forbidden = modelNotAllowed(key, model);
    if (forbidden) return refuse(forbidden);
    const route = router.resolve(model);
    if (!route) return refuse(unknownModel(model));

    const target = route.targets[0];
    if (target.provider.type !== 'anthropic') {
      let canonical;
      try {
        canonical = protocol.decodeRequest({ max_tokens: 1, ...body });
      } catch (error) {
        return refuse(toGatewayError(error));
      }
      return jsonResponse(200, { input_tokens: await tokenCounter.count(requestTokenTexts(canonical)) });
    }
    try {
      const endpoint = anthropicMessagesEndpoint(target.provider, incoming.headers, 'count_tokens');
      const upstream = await fetchUpstream(endpoint, JSON.stringify({ ...body, model: target.upstreamModel }), incoming.signal);
      const headers = forwardedResponseHeaders(upstream.headers);
      headers.set('content-type', upstream.headers.get('content-type') ?? 'application/json');
      return new Response(await upstream.arrayBuffer(), { status: upstream.status, headers });
    } catch (error) {
      // The upstream failed: an error of the call, not a refusal of the request.
      return errorResponse(protocol, toGatewayError(error));
    }
  };
}
