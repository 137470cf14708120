/**
 * End to end: the real gateway process (as a user starts it) with telemetry on, real SDK clients, the
 * test upstream speaking both APIs, the built-in mock provider, a real OTLP/HTTP receiver, GET /metrics
 * and the SQLite log table. For all four routes, streaming and not, what is exported must describe the
 * call exactly: span names, kinds, parentage and the traceparent sent upstream, usage equal to the
 * upstream's, cost from the config's prices, the request as received and the response in the client's
 * own format, and no credential anywhere.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anthropicClient, openAiClient } from '../support/clients.ts';
import { CLIENT_KEY, PROVIDER_ANTHROPIC_KEY, PROVIDER_OPENAI_KEY, standardConfig } from '../support/e2e-setup.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { routesForAnthropicClient, routesForOpenAiClient, type Route } from '../support/routes.ts';
import { answerWith, TestUpstream } from '../support/test-upstream.ts';
import { estimateContentTokens, estimateRequestTokens } from '../../src/core/token-count.ts';
import { openAiChatProtocol } from '../../src/protocols/openai-chat/index.ts';
import { openLogStore } from '../../src/telemetry/log-table/log-store.ts';
import type { LogRow } from '../../src/telemetry/log-table/row.ts';
import { OtlpReceiver, SPAN_KIND_CLIENT, SPAN_KIND_SERVER, type ReceivedSpan } from './support/otlp-receiver.ts';
import { parsePrometheusText, samplesOf } from './support/prometheus-text.ts';

const answerText = ['Tele', 'metry', ' is', ' on', '.'];
const usage = { input: 31, output: 7 };
/** USD per million tokens for the test models, from the config. */
const prices = { openai: { input: 2, output: 8 }, anthropic: { input: 3, output: 15 } };
const timedModel = 'timed-model';
const timed = { ttftMs: 300, tokensPerSecond: 50, tokens: 20 };

describe('telemetry of the running gateway', () => {
  let receiver: OtlpReceiver;
  let upstream: TestUpstream;
  let gateway: RunningGateway;
  let directory: string;
  let databasePath: string;
  const callsMade: string[] = [];

  before(async () => {
    receiver = await OtlpReceiver.start();
    upstream = await TestUpstream.start();
    directory = mkdtempSync(join(tmpdir(), 'lessllm-e2e-telemetry-'));
    databasePath = join(directory, 'calls.db');
    const config = standardConfig(upstream) as { providers: Record<string, unknown>; routes: unknown[] };
    gateway = await startGateway({
      config: {
        ...config,
        providers: {
          ...config.providers,
          timed: { type: 'mock', ttft_ms: timed.ttftMs, tokens_per_second: timed.tokensPerSecond, output_tokens: timed.tokens },
        },
        routes: [{ match: 'timed-*', provider: 'timed' }, ...config.routes],
        telemetry: { capture_content: true },
        pricing: { 'gpt-gateway-*': prices.openai, 'claude-gateway-*': prices.anthropic },
        log: { database: `sqlite:${databasePath}`, flush_interval_ms: 50 },
      },
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '20',
        OTEL_METRIC_EXPORT_INTERVAL: '250',
        OTEL_SERVICE_NAME: 'lessllm-e2e',
      },
    });
    const metrics = await fetch(`${gateway.url}/metrics`);
    if (metrics.status === 404) {
      throw new Error('the gateway runs without telemetry: src/main.ts must pass createTelemetry(...).observer and metricsHandler to serve()');
    }
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
    await receiver?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  /** The spans of the call whose upstream request carried `traceparent`. */
  async function spansOfUpstreamCall(traceparent: string): Promise<{ server: ReceivedSpan; client: ReceivedSpan }> {
    const [, traceId, clientSpanId] = traceparent.split('-');
    const found = () => {
      const client = receiver.spans.find((span) => span.spanId === clientSpanId);
      const server = client && receiver.spans.find((span) => span.spanId === client.parentSpanId);
      return client && server ? { client, server } : undefined;
    };
    assert.ok(await receiver.waitFor(() => found() !== undefined, 15_000), `spans of trace ${traceId} arrive`);
    return found()!;
  }

  async function latestClientSpan(model: string): Promise<ReceivedSpan> {
    const find = () => receiver.spans.findLast((span) => span.kind === SPAN_KIND_CLIENT && span.attributes['lessllm.client.model'] === model);
    assert.ok(await receiver.waitFor(() => find() !== undefined, 15_000), `a span for ${model}`);
    return find()!;
  }

  const routes: Array<{ route: Route; client: 'openai' | 'anthropic' }> = [
    ...routesForOpenAiClient.map((route) => ({ route, client: 'openai' as const })),
    ...routesForAnthropicClient.map((route) => ({ route, client: 'anthropic' as const })),
  ];

  for (const { route, client } of routes) {
    for (const stream of [true, false]) {
      it(`${route.label}, ${stream ? 'streaming' : 'not streaming'}: spans, attributes and events describe the call`, async () => {
        upstream.enqueue(answerWith({ model: route.model, text: answerText, usage }));
        callsMade.push(route.model);
        const { requestBody, responseText } = client === 'openai' ? await callOpenAi(route.model, stream) : await callAnthropic(route.model, stream);
        const upstreamRequest = upstream.lastRequest();
        const traceparent = String(upstreamRequest.headers.traceparent);
        assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'the upstream gets a traceparent');

        const { server, client: span } = await spansOfUpstreamCall(traceparent);
        const path = client === 'openai' ? '/v1/chat/completions' : '/v1/messages';
        assert.equal(server.name, `POST ${path}`);
        assert.equal(server.kind, SPAN_KIND_SERVER);
        assert.equal(span.name, `chat ${route.model}`);
        assert.equal(span.kind, SPAN_KIND_CLIENT);
        assert.equal(span.traceId, server.traceId);
        assert.equal(span.resource['service.name'], 'lessllm-e2e');

        const attributes = span.attributes;
        assert.equal(attributes['gen_ai.operation.name'], 'chat');
        assert.equal(attributes['gen_ai.provider.name'], route.upstream);
        assert.equal(attributes['gen_ai.request.model'], route.model);
        assert.equal(attributes['gen_ai.response.model'], route.model);
        assert.equal(attributes['gen_ai.request.stream'], stream);
        assert.equal(attributes['lessllm.client.protocol'], client === 'openai' ? 'openai-chat' : 'anthropic-messages');
        assert.equal(attributes['lessllm.route'], route.conversion);
        assert.equal(attributes['lessllm.provider'], `${route.upstream}-upstream`);
        assert.equal(attributes['server.address'], '127.0.0.1');
        assert.equal(attributes['gen_ai.usage.input_tokens'], usage.input, 'exactly the upstream’s usage');
        assert.equal(attributes['gen_ai.usage.output_tokens'], usage.output);
        assert.equal(attributes['lessllm.usage.estimated'], false);
        const price = prices[route.upstream];
        assertClose(attributes['lessllm.cost.usd'], (usage.input * price.input + usage.output * price.output) / 1e6);
        assert.equal(attributes['lessllm.cost.known'], true);
        assert.deepEqual(attributes['gen_ai.response.finish_reasons'], [route.upstream === 'openai' ? 'stop' : 'end_turn']);
        assert.ok(typeof attributes['gen_ai.response.id'] === 'string');
        if (stream) {
          assert.ok((attributes['lessllm.ttft'] as number) > 0);
          assert.ok((attributes['lessllm.chunk_count'] as number) > 0);
        } else {
          assert.equal(attributes['lessllm.ttft'], undefined);
        }
        assert.ok((attributes['lessllm.response.bytes'] as number) > 0);
        assert.equal(server.attributes['http.response.status_code'], 200);

        const requestEvent = span.events.find((event) => event.name === 'lessllm.request')!;
        assert.deepEqual(JSON.parse(String(requestEvent.attributes['lessllm.body'])), requestBody, 'the request as the client sent it');
        const responseEvent = span.events.find((event) => event.name === 'lessllm.response')!;
        const recorded = JSON.parse(String(responseEvent.attributes['lessllm.body']));
        if (stream) {
          // What this client would have got without streaming.
          if (client === 'openai') {
            assert.equal(recorded.object, 'chat.completion');
            assert.equal(recorded.choices[0].message.content, answerText.join(''));
          } else {
            assert.equal(recorded.type, 'message');
            assert.equal(recorded.content[0].text, answerText.join(''));
          }
        } else {
          assert.equal(responseEvent.attributes['lessllm.body'], responseText, 'exactly the bytes the client got');
        }
        const details = span.events.find((event) => event.name === 'gen_ai.client.inference.operation.details')!.attributes;
        assert.deepEqual(JSON.parse(String(details['gen_ai.input.messages'])), [{ role: 'user', parts: [{ type: 'text', content: 'Say hello' }] }]);
        assert.deepEqual(JSON.parse(String(details['gen_ai.output.messages']))[0].parts, [{ type: 'text', content: answerText.join('') }]);
        const http = server.events.find((event) => event.name === 'lessllm.http')!.attributes;
        assert.equal(http['client.address'], '127.0.0.1');
        assert.equal(http['url.path'], path);
      });
    }
  }

  it('reports TTFT, TPOT and tokens per second of the mock within a few milliseconds of what the client measured', async () => {
    callsMade.push(timedModel);
    // A request first, so that the call below goes over an open connection: the client's clock would
    // otherwise include opening one (33 ms once, on a busy machine), which the gateway's cannot see.
    await (await fetch(`${gateway.url}/health`)).text();
    const started = performance.now();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: timedModel, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Count' }] }),
    });
    const arrivals: number[] = [];
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    let buffered = '';
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      buffered += decoder.decode(read.value, { stream: true });
      let boundary: number;
      while ((boundary = buffered.indexOf('\n\n')) !== -1) {
        const event = buffered.slice(0, boundary);
        buffered = buffered.slice(boundary + 2);
        const data = event.startsWith('data: ') ? event.slice(6) : '';
        if (data === '' || data === '[DONE]') continue;
        if (JSON.parse(data).choices?.[0]?.delta?.content) arrivals.push(performance.now());
      }
    }
    const clientTtftMs = arrivals[0] - started;
    const clientTpotMs = (arrivals.at(-1)! - arrivals[0]) / (arrivals.length - 1);
    assert.equal(arrivals.length, timed.tokens);

    const span = await latestClientSpan(timedModel);
    const ttftMs = (span.attributes['lessllm.ttft'] as number) * 1000;
    const tpotMs = (span.attributes['lessllm.tpot'] as number) * 1000;
    // The gateway starts its clock when the request arrives, the client when it sends: the client's TTFT
    // is a little longer. Generous bounds: the machine is small and shared (timing IS the behaviour here).
    assert.ok(ttftMs >= timed.ttftMs - 1, `gateway TTFT ${ttftMs} ms ≥ the mock’s ${timed.ttftMs} ms`);
    assert.ok(Math.abs(clientTtftMs - ttftMs) < 30, `client TTFT ${clientTtftMs.toFixed(1)} ms vs gateway ${ttftMs.toFixed(1)} ms`);
    assert.ok(Math.abs(clientTpotMs - tpotMs) / clientTpotMs < 0.1, `client TPOT ${clientTpotMs.toFixed(2)} ms vs gateway ${tpotMs.toFixed(2)} ms`);
    // The mock's own pacing is only roughly what it was set to on a busy machine; what matters is above.
    assert.ok(Math.abs(tpotMs - 1000 / timed.tokensPerSecond) / (1000 / timed.tokensPerSecond) < 0.25, `TPOT ${tpotMs} ms at ${timed.tokensPerSecond} tokens/s`);
    const tokensPerSecond = span.attributes['lessllm.tokens_per_second'] as number;
    assertClose(tokensPerSecond, timed.tokens / ((span.attributes['lessllm.tpot'] as number) * (timed.tokens - 1)));
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], timed.tokens);
    assert.equal(span.attributes['lessllm.route'], 'local');
    assert.equal(span.attributes['lessllm.cost.known'], false, 'the mock has no price');
    // The mock stands where an upstream would: its pacing is not lessllm's overhead.
    const overheadMs = (span.attributes['lessllm.overhead'] as number) * 1000;
    assert.ok(overheadMs > 0 && overheadMs < timed.ttftMs / 10, `overhead ${overheadMs.toFixed(2)} ms of a call the mock took ${timed.ttftMs} ms to start`);
  });

  it('counts the tokens of a stream the upstream reported no usage for on the token count thread: exactly what the tokenizer counts', async () => {
    // An OpenAI client that does not ask for include_usage: the passthrough upstream sends no usage.
    const model = `${routesForOpenAiClient[0].model}-unreported`;
    upstream.enqueue(answerWith({ model, text: answerText, usage }));
    callsMade.push(model);
    const requestBody = { model, stream: true as const, messages: [{ role: 'user' as const, content: 'Say hello, and count for yourself.' }] };
    let received = '';
    for await (const chunk of await openAiClient(gateway).chat.completions.create(requestBody)) received += chunk.choices[0]?.delta.content ?? '';
    assert.equal(received, answerText.join(''));
    const { client: span } = await spansOfUpstreamCall(String(upstream.lastRequest().headers.traceparent));
    assert.equal(span.attributes['lessllm.usage.estimated'], true);
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], estimateRequestTokens(openAiChatProtocol.decodeRequest(requestBody)));
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], estimateContentTokens([{ type: 'text', text: received }]));
    assert.doesNotMatch(gateway.log, /token count thread/, 'counted on the thread, not on the event loop');
  });

  it("keeps a coding agent's long request whole in the span and the log row (sent to their threads cloned, not as JSON)", async () => {
    // Source text as agents send it: quotes, backslashes, newlines, non-ASCII; 50 KB, under the 64 KiB cap.
    const source = Array.from({ length: 400 }, (_, line) => `const path${line} = "src\\dir\\file${line}.ts"; // naïve — ${'x'.repeat(line % 40)} 🙂\n`).join('');
    // A model of its own, so the per-route call counts of the metrics test stay as they are.
    const model = `${routesForOpenAiClient[0].model}-agent`;
    upstream.enqueue(answerWith({ model, text: answerText, usage }));
    callsMade.push(model);
    const requestBody = { model, messages: [{ role: 'user' as const, content: source }] };
    await openAiClient(gateway).chat.completions.create(requestBody);
    const { client: span } = await spansOfUpstreamCall(String(upstream.lastRequest().headers.traceparent));
    const recorded = String(span.events.find((event) => event.name === 'lessllm.request')!.attributes['lessllm.body']);
    assert.equal(span.attributes['lessllm.truncated'], undefined);
    assert.deepEqual(JSON.parse(recorded), requestBody);
    const details = span.events.find((event) => event.name === 'gen_ai.client.inference.operation.details')!.attributes;
    assert.equal(JSON.parse(String(details['gen_ai.input.messages']))[0].parts[0].content, source);
    const store = await openLogStore({ kind: 'sqlite', path: databasePath });
    try {
      let row: LogRow | undefined;
      for (const deadline = Date.now() + 15_000; !row && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
        row = (await store.latest(1000)).find((candidate) => candidate.spanId === span.spanId);
      }
      assert.ok(row, 'the call has its row');
      assert.equal(row.requestBody, recorded, 'the row holds the same request as the span');
    } finally {
      await store.close();
    }
  });

  // lessllm.overhead (and the lessllm_gateway_overhead histogram) is the call's time less the upstream's:
  // an upstream that pauses before its body and between its events must not show up in it.
  for (const route of routesForOpenAiClient) {
    for (const stream of [true, false]) {
      it(`${route.label}, ${stream ? 'streaming' : 'not streaming'}: the overhead leaves out the upstream's pauses`, async () => {
        const pauseMs = 80;
        // A model of its own, so the per-route call counts of the metrics test stay as they are.
        const model = `${route.model}-paused`;
        const answer = answerWith({ model, text: answerText, usage }, { delayMs: pauseMs });
        // A JSON answer is one write: the pause comes between its headers and its body.
        upstream.enqueue((request) => ({ ...answer(request), delayMs: pauseMs }));
        callsMade.push(model);
        await callOpenAi(model, stream);
        const { client: span } = await spansOfUpstreamCall(String(upstream.lastRequest().headers.traceparent));
        const durationMs = Number(span.endNs - span.startNs) / 1e6;
        const overheadMs = (span.attributes['lessllm.overhead'] as number) * 1000;
        assert.ok(durationMs >= pauseMs, `the call took ${durationMs.toFixed(1)} ms, the upstream's pauses included`);
        assert.ok(overheadMs > 0 && overheadMs < pauseMs / 2, `overhead ${overheadMs.toFixed(2)} ms of a ${durationMs.toFixed(1)} ms call`);
      });
    }
  }

  it('ends the span of a call the client abandons, with error.type=cancelled and the partial answer', async () => {
    callsMade.push(timedModel);
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: timedModel, stream: true, messages: [{ role: 'user', content: 'Abandon me' }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('"content":" ')) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await reader.cancel().catch(() => {});

    const find = () => receiver.spans.find((span) => span.kind === SPAN_KIND_CLIENT && span.attributes['error.type'] === 'cancelled');
    assert.ok(await receiver.waitFor(() => find() !== undefined, 15_000), 'the abandoned call’s span is exported');
    const span = find()!;
    assert.equal(span.status.code, 2);
    const output = JSON.parse(String(span.events.find((event) => event.name === 'gen_ai.client.inference.operation.details')!.attributes['gen_ai.output.messages']));
    assert.ok(output[0].parts[0].content.length > 0, 'the partial answer is recorded');
    assert.ok((span.attributes['gen_ai.usage.output_tokens'] as number) < timed.tokens);
  });

  it('serves the metrics on GET /metrics and pushes them over OTLP, for every route', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const samples = parsePrometheusText(text);
    for (const { route } of routes) {
      const counts = samplesOf(samples, 'gen_ai_client_operation_duration_count', { gen_ai_request_model: route.model, gen_ai_provider_name: route.upstream });
      assert.equal(counts.reduce((sum, sample) => sum + sample.value, 0), 4, `${route.model}: 2 clients × stream and not`);
    }
    assert.ok(samplesOf(samples, 'gen_ai_server_time_to_first_token_bucket', { gen_ai_request_model: timedModel }).length > 0);
    assert.ok(samplesOf(samples, 'gen_ai_client_operation_duration_count', { error_type: 'cancelled' }).length > 0);
    assert.ok(samplesOf(samples, 'lessllm_streams_active').length > 0);
    assert.ok(await receiver.waitFor(() => receiver.latestMetrics().has('gen_ai.client.operation.duration'), 10_000));
  });

  it('never lets a credential into the telemetry', async () => {
    const everything = receiver.everything();
    for (const secret of [CLIENT_KEY, PROVIDER_OPENAI_KEY, PROVIDER_ANTHROPIC_KEY]) assert.ok(!everything.includes(secret), secret);
  });

  it('writes a log row for every call, flushed when the gateway stops (SIGTERM)', async () => {
    await gateway.stop();
    const store = await openLogStore({ kind: 'sqlite', path: databasePath });
    const rows: LogRow[] = await store.latest(1000);
    await store.close();
    assert.deepEqual(rows.map((row) => row.requestedModel).sort(), [...callsMade].sort());
    const spanIds = new Set(receiver.spans.map((span) => span.spanId));
    for (const row of rows) assert.ok(row.spanId && spanIds.has(row.spanId), 'each row names its span');
    assert.ok(rows.some((row) => row.errorType === 'cancelled'));
    const text = JSON.stringify(rows);
    for (const secret of [CLIENT_KEY, PROVIDER_OPENAI_KEY, PROVIDER_ANTHROPIC_KEY]) assert.ok(!text.includes(secret), secret);
  });

  async function callOpenAi(model: string, stream: boolean): Promise<{ requestBody: unknown; responseText: string }> {
    const openai = openAiClient(gateway);
    const messages = [{ role: 'user' as const, content: 'Say hello' }];
    if (stream) {
      const requestBody = { model, messages, stream: true, stream_options: { include_usage: true } };
      const chunks = await openai.chat.completions.create({ ...requestBody, stream: true });
      let text = '';
      for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, answerText.join(''));
      return { requestBody, responseText: '' };
    }
    const requestBody = { model, messages };
    const response = await openai.chat.completions.create(requestBody).asResponse();
    return { requestBody, responseText: await response.text() };
  }

  async function callAnthropic(model: string, stream: boolean): Promise<{ requestBody: unknown; responseText: string }> {
    const anthropic = anthropicClient(gateway);
    const requestBody = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Say hello' }] };
    if (stream) {
      const message = await anthropic.messages.stream(requestBody).finalMessage();
      assert.equal(message.content[0].type === 'text' ? message.content[0].text : '', answerText.join(''));
      return { requestBody: { ...requestBody, stream: true }, responseText: '' };
    }
    const response = await anthropic.messages.create(requestBody).asResponse();
    return { requestBody, responseText: await response.text() };
  }
});

function assertClose(actual: unknown, expected: number): void {
  assert.equal(typeof actual, 'number');
  assert.ok(Math.abs((actual as number) - expected) < 1e-9 + 1e-6 * Math.abs(expected), `${actual} ≠ ${expected}`);
}
