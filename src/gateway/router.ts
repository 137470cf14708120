/**
 * Picks where a model name goes: the first route whose glob matches wins, and its targets come back in
 * the order to try them for this call (as listed, or drawn by weight for load balancing).
 */
import type { GatewayConfig, ProviderConfig, RetryPolicy, RouteStrategy } from '../config/gateway-config.ts';
import { GatewayError } from '../core/gateway-error.ts';

export type ResolvedTarget = {
  provider: ProviderConfig;
  /** The model name to send upstream: the target's rewrite, or what the client asked for. */
  upstreamModel: string;
};

export type ResolvedRoute = {
  /** The glob that matched, for messages. */
  match: string;
  /** At least one; the first is tried first. */
  targets: ResolvedTarget[];
  retry: RetryPolicy;
};

type CompiledTarget = { provider: ProviderConfig; model: string | undefined; weight: number };
type CompiledRoute = { pattern: RegExp; match: string; targets: CompiledTarget[]; strategy: RouteStrategy; retry: RetryPolicy };

/** The answer for a model no route matches, on every endpoint that takes a model. */
export function unknownModel(model: string): GatewayError {
  return new GatewayError('not_found', `The model '${model}' does not exist or no route of this gateway matches it.`, { param: 'model', code: 'model_not_found' });
}

export class Router {
  private readonly routes: CompiledRoute[];
  private readonly random: () => number;

  /** `random` (0 ≤ x < 1) draws the order of weighted targets; injectable so tests are exact. */
  constructor(config: GatewayConfig, random: () => number = Math.random) {
    this.random = random;
    this.routes = config.routes.map((route) => ({
      pattern: globToRegExp(route.match),
      match: route.match,
      targets: route.targets.map((target) => ({ provider: config.providers.get(target.provider)!, model: target.model, weight: target.weight })),
      strategy: route.strategy,
      retry: route.retry,
    }));
  }

  resolve(model: string): ResolvedRoute | undefined {
    for (const route of this.routes) {
      if (!route.pattern.test(model)) continue;
      const ordered = route.strategy === 'weighted' ? weightedOrder(route.targets, this.random) : route.targets;
      return { match: route.match, retry: route.retry, targets: ordered.map((target) => ({ provider: target.provider, upstreamModel: target.model ?? model })) };
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
      models.push({ id: route.match, provider: route.targets[0].provider });
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

/** A draw without replacement: each next target is picked with probability proportional to its weight. */
function weightedOrder<Target extends { weight: number }>(targets: readonly Target[], random: () => number): Target[] {
  const remaining = [...targets];
  const ordered: Target[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, target) => sum + target.weight, 0);
    let point = random() * total;
    let index = 0;
    while (index < remaining.length - 1 && point >= remaining[index].weight) {
      point -= remaining[index].weight;
      index++;
    }
    ordered.push(remaining.splice(index, 1)[0]);
  }
  return ordered;
}
