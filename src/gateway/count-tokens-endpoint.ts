/**
 * POST /v1/messages/count_tokens (coding agents call it before every turn): asked of the upstream when
 * the route leads to Anthropic, estimated with a real tokenizer otherwise.
 */
import { toGatewayError, type GatewayError } from '../core/gateway-error.ts';
import { estimateRequestTokens } from '../core/token-count.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { anthropicMessagesProtocol as protocol } from '../protocols/anthropic-messages/index.ts';
import { anthropicMessagesEndpoint } from '../providers/anthropic.ts';
import { errorResponse, forwardedResponseHeaders, jsonResponse } from './http-headers.ts';
import { readJsonBody } from './read-json-body.ts';
import { unknownModel, type Router } from './router.ts';
import { modelNotAllowed } from './admission.ts';
import type { GatewayKey } from '../security/gateway-keys.ts';
import { fetchUpstream } from './upstream-fetch.ts';

export function createCountTokensEndpoint(config: GatewayConfig, router: Router) {
  const answerError = (error: GatewayError) => errorResponse(protocol, error);

  /** `key`: the caller's gateway key (already authenticated), whose model globs apply here too. */
  return async function countTokens(incoming: Request, key: GatewayKey): Promise<Response> {
    try {
      const { body } = await readJsonBody(incoming, config.server.maxBodyBytes);
      // count_tokens takes a Messages request without max_tokens.
      const invalid = protocol.validateRequest({ max_tokens: 1, ...body });
      if (invalid) return answerError(invalid);
      const model = body.model as string;
      const forbidden = modelNotAllowed(key, model);
      if (forbidden) return answerError(forbidden);
      const route = router.resolve(model);
      if (!route) return answerError(unknownModel(model));

      const target = route.targets[0];
      if (target.provider.type === 'anthropic') {
        const endpoint = anthropicMessagesEndpoint(target.provider, incoming.headers, 'count_tokens');
        const upstream = await fetchUpstream(endpoint, JSON.stringify({ ...body, model: target.upstreamModel }), incoming.signal);
        const headers = forwardedResponseHeaders(upstream.headers);
        headers.set('content-type', upstream.headers.get('content-type') ?? 'application/json');
        return new Response(await upstream.arrayBuffer(), { status: upstream.status, headers });
      }
      const canonical = protocol.decodeRequest({ max_tokens: 1, ...body });
      return jsonResponse(200, { input_tokens: estimateRequestTokens(canonical) });
    } catch (error) {
      return answerError(toGatewayError(error));
    }
  };
}
