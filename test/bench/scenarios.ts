/**
 * The traffic the benchmark sends. Every scenario is an OpenAI Chat Completions request from the
 * client's side; the model name picks the upstream protocol (`gpt-*` → OpenAI, `claude-*` → Anthropic,
 * as in lessllm's bench config) and the answer's shape (see upstream-answers.ts).
 */
import type { Wire } from './upstream-answers.ts';

export type ScenarioId =
  | 'json'
  | 'stream20'
  | 'stream200'
  | 'converted-json'
  | 'converted-stream20'
  | 'agent-stream20'
  | 'stream20-no-usage'
  | 'agent-stream20-no-usage';

export type Scenario = {
  id: ScenarioId;
  title: string;
  stream: boolean;
  /** The protocol the upstream speaks; `anthropic` is the converted route for an OpenAI client. */
  upstream: Wire;
  model: string;
  /** What the client asks: a one-line hello (the default), or a coding agent's long request (OpenAI only). */
  request?: 'hello' | 'agent';
  /** A streaming client that does not ask for usage (no `include_usage`): the passthrough upstream sends none, and lessllm counts it. */
  withoutUsage?: true;
};

export const throughputScenarios: readonly Scenario[] = [
  { id: 'json', title: 'non-streaming passthrough (OpenAI → OpenAI, 20-token answer)', stream: false, upstream: 'openai', model: 'gpt-bench-c20' },
  { id: 'stream20', title: 'streaming passthrough, 20 chunks (OpenAI → OpenAI)', stream: true, upstream: 'openai', model: 'gpt-bench-c20' },
  { id: 'stream200', title: 'streaming passthrough, 200 chunks (OpenAI → OpenAI)', stream: true, upstream: 'openai', model: 'gpt-bench-c200' },
  { id: 'converted-json', title: 'converted, non-streaming (OpenAI client → Anthropic upstream)', stream: false, upstream: 'anthropic', model: 'claude-bench-c20' },
  { id: 'converted-stream20', title: 'converted, streaming 20 chunks (OpenAI client → Anthropic upstream)', stream: true, upstream: 'anthropic', model: 'claude-bench-c20' },
  {
    id: 'agent-stream20',
    title: "a coding agent's request of 138 KB (system prompt, 20 tools, 15 tool rounds), streaming 20 chunks, passthrough",
    stream: true,
    upstream: 'openai',
    model: 'gpt-bench-c20',
    request: 'agent',
  },
];

/**
 * For `ab.ts` and `cpu-by-thread.ts` only: streams whose usage lessllm counts with its tokenizer, because
 * the client did not ask the upstream for it (the SDKs' default). The full benchmark's clients ask.
 */
export const usageCountingScenarios: readonly Scenario[] = [
  { id: 'stream20-no-usage', title: 'streaming passthrough, 20 chunks, no usage asked for', stream: true, upstream: 'openai', model: 'gpt-bench-c20', withoutUsage: true },
  {
    id: 'agent-stream20-no-usage',
    title: "a coding agent's request of 138 KB, streaming 20 chunks, passthrough, no usage asked for",
    stream: true,
    upstream: 'openai',
    model: 'gpt-bench-c20',
    request: 'agent',
    withoutUsage: true,
  },
];

/** Every scenario a load tool can be asked for by name (`ab.ts --scenarios`, `cpu-by-thread.ts --scenario`). */
export const namedScenarios: readonly Scenario[] = [...throughputScenarios, ...usageCountingScenarios];

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
    ...(scenario.request === 'agent' ? agentConversation() : { messages: [{ role: 'user', content: prompt }] }),
    max_tokens: 1024,
    stream: scenario.stream,
    ...(scenario.stream && !scenario.withoutUsage ? { stream_options: { include_usage: true } } : {}),
  });
}

export function anthropicBody(scenario: Scenario): string {
  if (scenario.request === 'agent') throw new Error(`${scenario.id}: the agent request exists in OpenAI's shape only`);
  return JSON.stringify({ model: scenario.model, max_tokens: 1024, messages: [{ role: 'user', content: prompt }], stream: scenario.stream });
}

/** The agent scenario's request body, streaming, for `model` (also used by src/telemetry/observer.bench.ts). */
export function agentRequestBody(model: string): string {
  return JSON.stringify({ model, ...agentConversation(), max_tokens: 1024, stream: true, stream_options: { include_usage: true } });
}

/**
 * What a coding agent sends on a turn (the benchmark's request: its sixteenth): long instructions, its
 * tools, and every earlier tool call with the file it returned (source text: quotes, backslashes and
 * newlines to escape, a little non-ASCII). The same bytes every time; about 130 KB on the sixteenth turn.
 * `session` puts other paths in the files, for a session whose text differs from the benchmark's.
 */
export function agentConversation(turn = 16, session?: number): { messages: unknown[]; tools: unknown[] } {
  const root = session === undefined ? 'src' : `src/s${session}`;
  const source = (file: number, lines: number) =>
    Array.from(
      { length: lines },
      (_, line) => `  const value${line} = await read("${root}/module${file}/part${line}.ts", { encoding: 'utf8' }); // step ${line}\n\tif (!value${line}) throw new Error(\`missing \\ ${line}\`);`,
    ).join('\n');
  const messages: unknown[] = [
    { role: 'system', content: `You are a careful coding agent. Résumé of the rules — read them all:\n${source(0, 150)}` },
    { role: 'user', content: 'Find why the build fails and fix it. 🙂' },
  ];
  for (let earlier = 1; earlier < turn; earlier++) {
    const id = `call_${earlier.toString().padStart(4, '0')}`;
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'read_file', arguments: JSON.stringify({ path: `src/module${earlier}/index.ts` }) } }] });
    messages.push({ role: 'tool', tool_call_id: id, content: source(earlier, 50) });
  }
  const tools = Array.from({ length: 20 }, (_, index) => ({
    type: 'function',
    function: {
      name: `tool_${index}`,
      description: `Tool ${index}: reads, writes or searches files in the workspace and reports what it did, with paths relative to the root.`,
      parameters: { type: 'object', properties: { path: { type: 'string', description: 'a path in the workspace' }, limit: { type: 'integer' } }, required: ['path'] },
    },
  }));
  return { messages, tools };
}
