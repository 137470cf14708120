/**
 * The traffic the benchmark sends. Every scenario is an OpenAI Chat Completions request from the
 * client's side; the model name picks the upstream protocol (`gpt-*` → OpenAI, `claude-*` → Anthropic,
 * as in lessllm's bench config) and the answer's shape (see upstream-answers.ts).
 */
import type { Wire } from './upstream-answers.ts';

export type ScenarioId = 'json' | 'stream20' | 'stream200' | 'converted-json' | 'converted-stream20';

export type Scenario = {
  id: ScenarioId;
  title: string;
  stream: boolean;
  /** The protocol the upstream speaks; `anthropic` is the converted route for an OpenAI client. */
  upstream: Wire;
  model: string;
};

export const throughputScenarios: readonly Scenario[] = [
  { id: 'json', title: 'non-streaming passthrough (OpenAI → OpenAI, 20-token answer)', stream: false, upstream: 'openai', model: 'gpt-bench-c20' },
  { id: 'stream20', title: 'streaming passthrough, 20 chunks (OpenAI → OpenAI)', stream: true, upstream: 'openai', model: 'gpt-bench-c20' },
  { id: 'stream200', title: 'streaming passthrough, 200 chunks (OpenAI → OpenAI)', stream: true, upstream: 'openai', model: 'gpt-bench-c200' },
  { id: 'converted-json', title: 'converted, non-streaming (OpenAI client → Anthropic upstream)', stream: false, upstream: 'anthropic', model: 'claude-bench-c20' },
  { id: 'converted-stream20', title: 'converted, streaming 20 chunks (OpenAI client → Anthropic upstream)', stream: true, upstream: 'anthropic', model: 'claude-bench-c20' },
];

/** Paced streams for time to first token and per-chunk delay: 20 ms to the first token, then one every 2 ms. */
export const pacedScenarios: readonly Scenario[] = [
  { id: 'stream20', title: 'passthrough', stream: true, upstream: 'openai', model: 'gpt-bench-c50-f20-d2' },
  { id: 'converted-stream20', title: 'converted', stream: true, upstream: 'anthropic', model: 'claude-bench-c50-f20-d2' },
];

export const openLoopScenario: Scenario = throughputScenarios[0];

/** Slow tokens for the many-open-streams test: one token a second, so a stream stays open for `tokens` seconds. */
export function openStreamsScenario(tokens: number): Scenario {
  return { id: 'stream20', title: 'open streams', stream: true, upstream: 'openai', model: `gpt-bench-c${tokens}-f500-d1000` };
}

const prompt = 'Say hello to the benchmark in a few words.';

export function openAiBody(scenario: Scenario): string {
  return JSON.stringify({
    model: scenario.model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: 1024,
    stream: scenario.stream,
    ...(scenario.stream ? { stream_options: { include_usage: true } } : {}),
  });
}

export function anthropicBody(scenario: Scenario): string {
  return JSON.stringify({ model: scenario.model, max_tokens: 1024, messages: [{ role: 'user', content: prompt }], stream: scenario.stream });
}
