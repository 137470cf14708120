/** Picks the provider for a model name: the first route whose glob matches wins. */
import type { GatewayConfig, ProviderConfig } from '../config/gateway-config.ts';

export type ResolvedRoute = {
  provider: ProviderConfig;
  /** The model name to send upstream: the route's rewrite, or what the client asked for. */
  upstreamModel: string;
  /** The glob that matched, for messages. */
  match: string;
};

type CompiledRoute = { pattern: RegExp; match: string; provider: ProviderConfig; model: string | undefined };

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(config: GatewayConfig) {
    this.routes = config.routes.map((route) => ({
      pattern: globToRegExp(route.match),
      match: route.match,
      provider: config.providers.get(route.provider)!,
      model: route.model,
    }));
  }

  resolve(model: string): ResolvedRoute | undefined {
    for (const route of this.routes) {
      if (route.pattern.test(model)) return { provider: route.provider, upstreamModel: route.model ?? model, match: route.match };
    }
    return undefined;
  }

  /** The model names a client can list: every route that names one model rather than a pattern. */
  listedModels(): Array<{ id: string; provider: ProviderConfig }> {
    const seen = new Set<string>();
    const models: Array<{ id: string; provider: ProviderConfig }> = [];
    for (const route of this.routes) {
      if (/[*?]/.test(route.match) || seen.has(route.match)) continue;
      seen.add(route.match);
      models.push({ id: route.match, provider: route.provider });
    }
    return models;
  }
}

/**
 * `*` matches any run of characters (slashes included: model names like `openrouter/anthropic/claude`
 * are not paths), `?` one character; everything else is literal. Path-oriented glob libraries treat `/`
 * specially, which is wrong here, hence these few lines.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const character of glob) {
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
