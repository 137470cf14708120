/**
 * The four routes, by the model name that selects them in the standard config. A client cannot tell
 * which route served it: the same upstream answer must reach it the same way through either upstream.
 */
import { ANTHROPIC_MODEL, OPENAI_MODEL } from './e2e-setup.ts';

export type UpstreamKind = 'openai' | 'anthropic';

export type Route = {
  label: string;
  /** The model the client asks for. */
  model: string;
  upstream: UpstreamKind;
  conversion: 'passthrough' | 'converted';
};

export const routesForOpenAiClient: Route[] = [
  { label: 'OpenAI client → OpenAI upstream (passthrough)', model: OPENAI_MODEL, upstream: 'openai', conversion: 'passthrough' },
  { label: 'OpenAI client → Anthropic upstream (converted)', model: ANTHROPIC_MODEL, upstream: 'anthropic', conversion: 'converted' },
];

export const routesForAnthropicClient: Route[] = [
  { label: 'Anthropic client → Anthropic upstream (passthrough)', model: ANTHROPIC_MODEL, upstream: 'anthropic', conversion: 'passthrough' },
  { label: 'Anthropic client → OpenAI upstream (converted)', model: OPENAI_MODEL, upstream: 'openai', conversion: 'converted' },
];

/** Where the upstream of a route receives chat requests. */
export function upstreamPath(route: Route): string {
  return route.upstream === 'openai' ? '/v1/chat/completions' : '/v1/messages';
}
