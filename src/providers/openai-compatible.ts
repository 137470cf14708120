/**
 * OpenAI and every OpenAI-compatible server (vLLM, Ollama, OpenRouter, LiteLLM…): POST
 * {base_url}/chat/completions with a bearer key. base_url includes /v1, as in the OpenAI SDK.
 */
import type { OpenAiProviderConfig } from '../config/gateway-config.ts';
import { openAiChatProtocol } from '../protocols/openai-chat/index.ts';
import type { UpstreamEndpoint } from './upstream-endpoint.ts';

export function openAiChatEndpoint(provider: OpenAiProviderConfig): UpstreamEndpoint {
  const headers = new Headers(provider.headers);
  headers.set('content-type', 'application/json');
  // The upstream key comes from the config only; the client's own key never goes upstream.
  if (provider.apiKey) headers.set('authorization', `Bearer ${provider.apiKey}`);
  return { url: `${provider.baseUrl}/chat/completions`, headers, protocol: openAiChatProtocol };
}
