import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/load-config.ts';
import { globToRegExp, Router } from './router.ts';

const config = parseConfig(
  `
providers:
  openai: { type: openai, base_url: https://api.openai.com/v1 }
  anthropic: { type: anthropic, base_url: https://api.anthropic.com }
  local: { type: mock }
routes:
  - { match: "claude-*", provider: anthropic }
  - { match: fast, provider: openai, model: gpt-4.1-mini }
  - { match: "gpt-?o", provider: openai }
  - { match: "openrouter/*", provider: openai }
  - { match: "*", provider: local }
`,
  'test.yaml',
  {},
);
const router = new Router(config);

describe('router', () => {
  it('takes the first route that matches', () => {
    assert.equal(router.resolve('claude-sonnet-4-5')?.targets[0].provider.name, 'anthropic');
    assert.equal(router.resolve('gpt-4o')?.targets[0].provider.name, 'openai');
    assert.equal(router.resolve('llama3')?.targets[0].provider.name, 'local');
  });

  it('rewrites the model for an alias and keeps it otherwise', () => {
    assert.equal(router.resolve('fast')?.targets[0].upstreamModel, 'gpt-4.1-mini');
    assert.equal(router.resolve('claude-opus-4-1')?.targets[0].upstreamModel, 'claude-opus-4-1');
  });

  it('lets * match slashes in model names and ? exactly one character', () => {
    assert.equal(router.resolve('openrouter/anthropic/claude-3.5')?.targets[0].provider.name, 'openai');
    assert.equal(router.resolve('gpt-4oo')?.targets[0].provider.name, 'local');
  });

  it('treats regex characters in globs literally', () => {
    assert.equal(globToRegExp('gpt-4.1').test('gpt-4x1'), false);
    assert.equal(globToRegExp('a+b').test('a+b'), true);
  });

  it('lists the routes that name one model', () => {
    assert.deepEqual(router.listedModels().map((model) => model.id), ['fast']);
  });

  it('finds nothing when no route matches', () => {
    const strict = new Router(parseConfig(`providers:\n  a: { type: mock }\nroutes: [{ match: "gpt-*", provider: a }]\n`, 'x', {}));
    assert.equal(strict.resolve('claude-3'), undefined);
  });

  it('returns fallback targets in the listed order, with each one’s model', () => {
    const fallback = new Router(
      parseConfig(`providers:\n  a: { type: mock }\n  b: { type: mock }\nroutes:\n  - { match: smart, targets: [{ provider: a, model: m1 }, { provider: b }] }\n`, 'x', {}),
    );
    const route = fallback.resolve('smart')!;
    assert.deepEqual(route.targets.map((target) => [target.provider.name, target.upstreamModel]), [['a', 'm1'], ['b', 'smart']]);
  });

  it('draws the order of weighted targets by weight, every target still in the list', () => {
    const text = `providers:\n  a: { type: mock }\n  b: { type: mock }\nroutes:\n  - { match: x, strategy: weighted, targets: [{ provider: a, weight: 3 }, { provider: b, weight: 1 }] }\n`;
    const order = (random: number) => new Router(parseConfig(text, 'x', {}), () => random).resolve('x')!.targets.map((target) => target.provider.name);
    // Total weight 4: a point below 3 picks a first, from 3 on b.
    assert.deepEqual(order(0), ['a', 'b']);
    assert.deepEqual(order(0.74), ['a', 'b']);
    assert.deepEqual(order(0.75), ['b', 'a']);
    assert.deepEqual(order(0.99), ['b', 'a']);
  });
});
