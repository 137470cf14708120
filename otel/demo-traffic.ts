/**
 * Demo traffic for the observability stack: a steady mix of calls to the mock-* models, through both
 * client APIs, streamed and not, with a few failures, so every dashboard panel and the TTFT alert have
 * something to show without an API key. `docker compose --profile demo up` runs it in its own container:
 *
 *   bun otel/demo-traffic.ts http://localhost:8000
 *
 * Plain fetch, no dependencies. The observability end-to-end test sends its traffic with `sendCall`.
 */

export type ClientApi = 'openai-chat' | 'anthropic-messages';

export type DemoCall = {
  model: string;
  api: ClientApi;
  stream: boolean;
  /** The user message; mock directives such as `mock:error=500` go here. */
  text: string;
};

/** Sends one call the way an SDK would, reads the answer to the end, and returns the HTTP status. */
export async function sendCall(baseUrl: string, call: DemoCall): Promise<number> {
  const openAi = call.api === 'openai-chat';
  const messages = [{ role: 'user', content: call.text }];
  const body = openAi
    ? { model: call.model, stream: call.stream, messages, ...(call.stream ? { stream_options: { include_usage: true } } : {}) }
    : { model: call.model, stream: call.stream, max_tokens: 256, messages };
  const headers: Record<string, string> = openAi
    ? { 'content-type': 'application/json', authorization: 'Bearer demo' }
    : { 'content-type': 'application/json', 'x-api-key': 'demo', 'anthropic-version': '2023-06-01' };
  const response = await fetch(`${baseUrl}${openAi ? '/v1/chat/completions' : '/v1/messages'}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  // Reading the whole body is what makes a streamed call complete (and its duration real).
  await response.arrayBuffer();
  return response.status;
}

const demoModels = ['mock-fast', 'mock-fast', 'mock-steady', 'mock-steady', 'mock-slow'];
const prompts = [
  'Summarise the plot of a film about a fox in three sentences.',
  'Write a haiku about tokens arriving one by one.',
  'Explain what time to first token means to a new engineer.',
];

/**
 * One call chosen at random: 2% fail (upstream error, rate limit, failure mid-stream), far enough below
 * the 5% error-rate alert that the demo does not set it off; mock-slow does set off the TTFT warning.
 */
export function randomDemoCall(random: () => number = Math.random): DemoCall {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const roll = random();
  const directive = roll < 0.01 ? ' mock:error=500' : roll < 0.015 ? ' mock:error=429' : roll < 0.02 ? ' mock:error=midstream' : '';
  return {
    model: pick(demoModels),
    api: random() < 0.5 ? 'openai-chat' : 'anthropic-messages',
    stream: random() < 0.75,
    text: `${pick(prompts)}${directive}`,
  };
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Sends about `callsPerSecond` calls a second until the process is stopped. */
export async function runDemo(baseUrl: string, callsPerSecond: number): Promise<never> {
  let sent = 0;
  const statuses = new Map<number, number>();
  for (;;) {
    const call = randomDemoCall();
    sendCall(baseUrl, call).then(
      (status) => statuses.set(status, (statuses.get(status) ?? 0) + 1),
      // lessllm restarting or not up yet: count it and keep going.
      () => statuses.set(0, (statuses.get(0) ?? 0) + 1),
    );
    sent++;
    if (sent % 100 === 0) {
      const summary = [...statuses].map(([status, count]) => `${status === 0 ? 'unreachable' : status}: ${count}`).join(', ');
      console.log(`demo traffic: ${sent} calls sent to ${baseUrl} (${summary})`);
    }
    await sleep((1000 / callsPerSecond) * (0.5 + Math.random()));
  }
}

if ((import.meta as { main?: boolean }).main) {
  const baseUrl = (globalThis as { process?: { argv: string[] } }).process?.argv[2] ?? 'http://localhost:8000';
  await runDemo(baseUrl.replace(/\/+$/, ''), 4);
}
