/**
 * What a call cost, from list prices per million tokens. Built-in prices cover current OpenAI and
 * Anthropic models; the config's `pricing:` section overrides or extends them by name or glob. A model
 * with no known price costs 0 and is marked unknown (lessllm.cost.known=false): a wrong guess on a
 * dashboard is worse than a visible gap.
 */
import type { Usage } from '../core/canonical-response.ts';
import { globToRegExp } from '../gateway/router.ts';
import type { ModelPrice } from './options.ts';

const openAi = (input: number, cachedInput: number, output: number): ModelPrice => ({
  input,
  output,
  cacheRead: cachedInput,
  // OpenAI caches prompts automatically and bills the first (writing) use as ordinary input.
  cacheWrite: input,
});

// Anthropic's cache reads cost 0.1× input and 5-minute cache writes 1.25× input.
const anthropic = (input: number, output: number): ModelPrice => ({
  input,
  output,
  cacheRead: round(input * 0.1),
  cacheWrite: round(input * 1.25),
});

/**
 * USD per million tokens, from the providers' pricing pages (platform.openai.com/docs/pricing,
 * platform.claude.com/docs/en/about-claude/pricing), standard tier. Keys are base model names: dated
 * snapshots (`gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`) and `-latest` aliases match them.
 */
export const builtInPrices: Readonly<Record<string, ModelPrice>> = {
  'gpt-5.5': openAi(5, 0.5, 30),
  'gpt-5.4': openAi(2.5, 0.25, 15),
  'gpt-5.4-mini': openAi(0.75, 0.075, 4.5),
  'gpt-5.4-nano': openAi(0.2, 0.02, 1.25),
  'gpt-5.2': openAi(1.75, 0.175, 14),
  'gpt-5.1': openAi(1.25, 0.125, 10),
  'gpt-5': openAi(1.25, 0.125, 10),
  'gpt-5-chat': openAi(1.25, 0.125, 10),
  'gpt-5-mini': openAi(0.25, 0.025, 2),
  'gpt-5-nano': openAi(0.05, 0.005, 0.4),
  'gpt-5-pro': openAi(15, 15, 120),
  'gpt-4.1': openAi(2, 0.5, 8),
  'gpt-4.1-mini': openAi(0.4, 0.1, 1.6),
  'gpt-4.1-nano': openAi(0.1, 0.025, 0.4),
  'gpt-4o': openAi(2.5, 1.25, 10),
  'gpt-4o-mini': openAi(0.15, 0.075, 0.6),
  o1: openAi(15, 7.5, 60),
  o3: openAi(2, 0.5, 8),
  'o3-mini': openAi(1.1, 0.55, 4.4),
  'o4-mini': openAi(1.1, 0.275, 4.4),

  'claude-opus-5': anthropic(5, 25),
  'claude-opus-4-8': anthropic(5, 25),
  'claude-opus-4-7': anthropic(5, 25),
  'claude-opus-4-6': anthropic(5, 25),
  'claude-opus-4-5': anthropic(5, 25),
  'claude-opus-4-1': anthropic(15, 75),
  'claude-opus-4': anthropic(15, 75),
  'claude-sonnet-4-6': anthropic(3, 15),
  'claude-sonnet-4-5': anthropic(3, 15),
  'claude-sonnet-4': anthropic(3, 15),
  'claude-haiku-4-5': anthropic(1, 5),
  'claude-3-7-sonnet': anthropic(3, 15),
  'claude-3-5-sonnet': anthropic(3, 15),
  'claude-3-5-haiku': anthropic(0.8, 4),
  'claude-3-opus': anthropic(15, 75),
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheRead: 0.03, cacheWrite: 0.3 },
};

export type Cost = { usd: number; known: boolean };

/** Cached input tokens are billed at the cache rates, not again as ordinary input (inputTokens includes them). */
export function costOf(usage: Usage, price: ModelPrice | undefined): Cost {
  if (!price) return { usd: 0, known: false };
  const uncachedInput = Math.max(0, usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens);
  const usd =
    (uncachedInput * price.input +
      usage.cacheReadTokens * price.cacheRead +
      usage.cacheWriteTokens * price.cacheWrite +
      usage.outputTokens * price.output) /
    1_000_000;
  return { usd, known: true };
}

/** Client-chosen model names are unbounded; the memo is cleared rather than allowed to grow without limit. */
const memoLimit = 1000;

export class PriceTable {
  private readonly exact = new Map<string, ModelPrice>();
  private readonly globs: Array<{ pattern: RegExp; price: ModelPrice }> = [];
  private readonly memo = new Map<string, ModelPrice | null>();

  constructor(overrides: Record<string, ModelPrice>) {
    for (const [name, price] of Object.entries(overrides)) {
      if (name.includes('*') || name.includes('?')) this.globs.push({ pattern: globToRegExp(name), price });
      else this.exact.set(name, price);
    }
  }

  priceOf(model: string): ModelPrice | undefined {
    const memoised = this.memo.get(model);
    if (memoised !== undefined) return memoised ?? undefined;
    const price = this.lookUp(model);
    if (this.memo.size >= memoLimit) this.memo.clear();
    this.memo.set(model, price ?? null);
    return price;
  }

  private lookUp(model: string): ModelPrice | undefined {
    const base = baseModelName(model);
    const configured = this.exact.get(model) ?? this.exact.get(base) ?? this.globs.find((glob) => glob.pattern.test(model))?.price;
    return configured ?? builtInPrices[model] ?? builtInPrices[base];
  }
}

/**
 * `openai/gpt-4.1-2025-04-14` → `gpt-4.1`, `claude-3-5-sonnet-latest` → `claude-3-5-sonnet`,
 * `claude-sonnet-4-0` → `claude-sonnet-4`: the name prices are listed under.
 */
export function baseModelName(model: string): string {
  let name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  name = name.replace(/-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/, '');
  name = name.replace(/^(claude-(?:opus|sonnet|haiku)-\d+)-0$/, '$1');
  return name;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
