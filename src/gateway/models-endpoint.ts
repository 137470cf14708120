/**
 * GET /v1/models and /v1/models/{id}: the model names the routes expose, in the format of the client
 * that asks — Anthropic's list when the request carries `anthropic-version` (as the Anthropic SDK
 * always does), OpenAI's otherwise.
 */
import { anthropicMessagesProtocol } from '../protocols/anthropic-messages/index.ts';
import { openAiChatProtocol } from '../protocols/openai-chat/index.ts';
import type { CallObserver } from '../core/call-observer.ts';
import { jsonResponse, refusalResponse } from './http-headers.ts';
import { unknownModel, type Router } from './router.ts';
import type { GatewayKey } from '../security/gateway-keys.ts';

/** Routes carry no creation date; a fixed one keeps responses stable. */
const listedSince = new Date('2026-01-01T00:00:00Z');

export function createModelsEndpoint(router: Router, observer: CallObserver) {
  const isAnthropicClient = (incoming: Request) => incoming.headers.has('anthropic-version');

  const toOpenAi = (id: string, owner: string) => ({ id, object: 'model', created: Math.floor(listedSince.getTime() / 1000), owned_by: owner });
  const toAnthropic = (id: string) => ({ type: 'model', id, display_name: id, created_at: listedSince.toISOString() });

  return {
    /** The models the caller's key may use. */
    list(incoming: Request, key: GatewayKey): Response {
      const models = router.listedModels().filter((model) => key.allowsModel(model.id));
      if (isAnthropicClient(incoming)) {
        const data = models.map((model) => toAnthropic(model.id));
        return jsonResponse(200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      }
      return jsonResponse(200, { object: 'list', data: models.map((model) => toOpenAi(model.id, model.provider.name)) });
    },
    retrieve(incoming: Request, id: string, key: GatewayKey): Response {
      const route = key.allowsModel(id) ? router.resolve(id) : undefined;
      if (!route) {
        const protocol = isAnthropicClient(incoming) ? anthropicMessagesProtocol : openAiChatProtocol;
        return refusalResponse(observer, protocol, unknownModel(id));
      }
      return jsonResponse(200, isAnthropicClient(incoming) ? toAnthropic(id) : toOpenAi(id, route.targets[0].provider.name));
    },
  };
}
