import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseModelName, builtInPrices, costOf, PriceTable } from './pricing.ts';

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});

describe('pricing', () => {
  it('prices a call from the list prices per million tokens', () => {
    const prices = new PriceTable({});
    // gpt-4.1: $2 in, $8 out per million.
    assert.equal(costOf(usage(1_000_000, 0), prices.priceOf('gpt-4.1')).usd, 2);
    assert.equal(costOf(usage(1200, 300), prices.priceOf('gpt-4.1')).usd, (1200 * 2 + 300 * 8) / 1e6);
    // claude-sonnet-4-5: $3 in, $15 out.
    assert.equal(costOf(usage(2000, 500), prices.priceOf('claude-sonnet-4-5')).usd, (2000 * 3 + 500 * 15) / 1e6);
  });

  it('bills cached input at the cache rates and not again as ordinary input', () => {
    const prices = new PriceTable({});
    // claude-sonnet-4-5: cache read $0.30, cache write $3.75. 10 000 input = 1000 fresh + 8000 read + 1000 written.
    const cost = costOf(usage(10_000, 100, 8000, 1000), prices.priceOf('claude-sonnet-4-5'));
    assert.equal(cost.usd, (1000 * 3 + 8000 * 0.3 + 1000 * 3.75 + 100 * 15) / 1e6);
    // gpt-4o: cached input $1.25.
    assert.equal(costOf(usage(5000, 0, 4000), prices.priceOf('gpt-4o')).usd, (1000 * 2.5 + 4000 * 1.25) / 1e6);
  });

  it('matches dated snapshots, -latest aliases and provider prefixes to their base model', () => {
    const prices = new PriceTable({});
    assert.equal(prices.priceOf('gpt-4.1-2025-04-14'), builtInPrices['gpt-4.1']);
    assert.equal(prices.priceOf('gpt-4o-mini-2024-07-18'), builtInPrices['gpt-4o-mini']);
    assert.equal(prices.priceOf('claude-sonnet-4-5-20250929'), builtInPrices['claude-sonnet-4-5']);
    assert.equal(prices.priceOf('claude-3-5-haiku-latest'), builtInPrices['claude-3-5-haiku']);
    assert.equal(prices.priceOf('claude-opus-4-0'), builtInPrices['claude-opus-4']);
    assert.equal(prices.priceOf('openai/gpt-5-mini'), builtInPrices['gpt-5-mini']);
    assert.equal(baseModelName('o4-mini-2025-04-16'), 'o4-mini');
    // A different model that merely starts like a known one is not priced as it.
    assert.equal(prices.priceOf('gpt-4.1-turbo-preview'), undefined);
  });

  it('covers the current OpenAI and Anthropic families', () => {
    for (const model of ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini', 'o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'claude-opus-4-5', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-3-7-sonnet', 'claude-3-5-haiku', 'claude-3-haiku']) {
      const price = builtInPrices[model];
      assert.ok(price, model);
      assert.ok(price.output > price.input && price.cacheRead <= price.input, model);
    }
  });

  it('lets the config override a built-in price and add models by name or glob, exact names first', () => {
    const own = { input: 1, output: 2, cacheRead: 0.5, cacheWrite: 1 };
    const house = { input: 0.1, output: 0.2, cacheRead: 0.1, cacheWrite: 0.1 };
    const prices = new PriceTable({ 'gpt-4.1': own, 'house-*': house, 'house-special': own });
    assert.equal(prices.priceOf('gpt-4.1-2025-04-14'), own);
    assert.equal(prices.priceOf('house-llama-70b'), house);
    assert.equal(prices.priceOf('house-special'), own);
    assert.equal(prices.priceOf('gpt-4o'), builtInPrices['gpt-4o']);
  });

  it('gives unknown models no cost and says so, rather than guessing', () => {
    const prices = new PriceTable({});
    assert.deepEqual(costOf(usage(1000, 1000), prices.priceOf('mock-model')), { usd: 0, known: false });
  });
});
