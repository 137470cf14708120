/**
 * Anthropic's Messages API: POST {base_url}/v1/messages with `x-api-key` and `anthropic-version`.
 * base_url has no /v1, as in the Anthropic SDK.
 */
import type { AnthropicProviderConfig } from '../config/gateway-config.ts';
import { anthropicMessagesProtocol } from '../protocols/anthropic-messages/index.ts';
import { copyHeaders, type UpstreamEndpoint } from './upstream-endpoint.ts';

/** Client headers that change what Anthropic does (API version, beta features), forwarded as sent. */
const forwardedClientHeaders = ['anthropic-version', 'anthropic-beta'] as const;

export function anthropicMessagesEndpoint(
  provider: AnthropicProviderConfig,
  clientHeaders: Headers | undefined,
  operation: 'messages' | 'count_tokens' = 'messages',
): UpstreamEndpoint {
  const headers = new Headers(provider.headers);
  headers.set('content-type', 'application/json');
  headers.set('anthropic-version', provider.anthropicVersion);
  // Only an Anthropic client's own headers are meaningful here; an OpenAI client's are not forwarded.
  if (clientHeaders) copyHeaders(clientHeaders, headers, forwardedClientHeaders);
  if (provider.apiKey) headers.set('x-api-key', provider.apiKey);
  const path = operation === 'messages' ? '/v1/messages' : '/v1/messages/count_tokens';
  return { url: `${provider.baseUrl}${path}`, headers, protocol: anthropicMessagesProtocol };
}
