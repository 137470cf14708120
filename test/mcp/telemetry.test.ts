/**
 * Calls answered over MCP are measured like any other: the gateway's metrics carry the mcp provider, the
 * tokenizer's counts, and a time to first token that is the time until the MCP client's first chunk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'gpt-tokenizer';
import { parsePrometheusText, valueOf, type Sample } from '../telemetry/support/prometheus-text.ts';
import { nextRequest, useBridge } from './support/bridge-setup.ts';

/** A model of its own, so these metrics are not mixed with other tests' calls (it matches `bridge-*`). */
const model = 'bridge-metrics';
/** How long the MCP client takes before its first chunk: the time to first token must include it. */
const thinkingMs = 400;

describe('telemetry of calls answered over MCP', () => {
  const setup = useBridge();

  it('records the mcp provider, tokenizer usage, and a time to first token that waits for the first answered chunk', async () => {
    const pieces = ['Measured', ' answer.'];
    const streamStarted = setup.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'measure me' }], stream: true });
    const request = await nextRequest(setup.desk, 'measure me');
    await new Promise((resolve) => setTimeout(resolve, thinkingMs));
    await setup.desk.answer({ id: request.id, text: pieces[0], done: false });
    await setup.desk.answer({ id: request.id, text: pieces[1], done: true });
    let text = '';
    for await (const chunk of await streamStarted) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, pieces.join(''));

    const labels = { gen_ai_provider_name: 'mcp', gen_ai_request_model: model, gen_ai_operation_name: 'chat' };
    const samples = await metricsOnceRecorded(setup.url, labels);
    const timeToFirstToken = valueOf(samples, 'gen_ai_server_time_to_first_token_sum', labels)!;
    // A lower bound only: a slow machine can make it longer, never shorter.
    assert.ok(timeToFirstToken >= thinkingMs / 1000, `time to first token ${timeToFirstToken} s includes the ${thinkingMs} ms before the first chunk`);
    assert.ok(valueOf(samples, 'gen_ai_client_operation_duration_sum', labels)! >= timeToFirstToken);
    assert.equal(valueOf(samples, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'output' }), encode(pieces.join('')).length);
    assert.ok(valueOf(samples, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'input' })! > 0);
  });
});

/** The call is recorded when its response ends, a moment after the client read the last byte. */
async function metricsOnceRecorded(url: string, labels: Record<string, string>): Promise<Sample[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${url}/metrics`);
    assert.equal(response.status, 200);
    const samples = parsePrometheusText(await response.text());
    if (valueOf(samples, 'gen_ai_client_operation_duration_count', labels) === 1) return samples;
    if (Date.now() > deadline) throw new Error(`no operation recorded for ${JSON.stringify(labels)} after 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
