/**
 * What the telemetry observer costs per call, printed as a table (a program, not a test):
 *
 *   ./node_modules/.bin/bun src/telemetry/observer.bench.ts [calls] [tokens] [hello|agent]
 *   ./node_modules/.bin/node src/telemetry/observer.bench.ts
 *   ./node_modules/.bin/deno run -A src/telemetry/observer.bench.ts
 *
 * Each call is a streamed answer of `tokens` text deltas (decoded by the real OpenAI stream decoder), to
 * a short request (`hello`, the default) or to the benchmark's coding agent request of 138 KB (`agent`).
 * "hot path" is what the gateway itself runs synchronously: startCall, upstreamHeaders, onEvent for
 * every event, end. "finish" is the work deferred to after the last byte (usage, cost, span attributes,
 * bodies, metrics, log row). Export happens in the background and is not in either column; the OTLP
 * receiver runs in this process, so the scenarios with export also pay for receiving.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noopObserver, type CallObserver, type CallStart } from '../core/call-observer.ts';
import { createSseTap } from '../core/sse.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import { openAiChatProtocol } from '../protocols/openai-chat/index.ts';
import { createTelemetry, telemetryOptionsFromConfig, type Telemetry } from './index.ts';
import type { TelemetryObserver } from './observer.ts';
import { agentRequestBody } from '../../test/bench/scenarios.ts';

const calls = Number(process.argv[2] ?? 2000);
const tokens = Number(process.argv[3] ?? 200);
const request = process.argv[4] ?? 'hello';
if (request !== 'hello' && request !== 'agent') throw new Error(`request ${request}: hello or agent`);

const rawBody =
  request === 'agent'
    ? agentRequestBody('gpt-4.1')
    : JSON.stringify({
        model: 'gpt-4.1',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Write a short story about a lighthouse keeper. '.repeat(20) },
        ],
      });
const body = JSON.parse(rawBody) as Record<string, unknown>;
const events = streamEvents(tokens);

function streamEvents(count: number): StreamEvent[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, usage: unknown = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-2025-04-14', choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], usage })}\n\n`;
  let sse = chunk({ role: 'assistant', content: '' });
  for (let index = 0; index < count; index++) sse += chunk({ content: ` word${index}` });
  sse += chunk({}, 'stop');
  sse += chunk({}, null, { prompt_tokens: 220, completion_tokens: count, total_tokens: 220 + count });
  sse += 'data: [DONE]\n\n';
  const decoder = openAiChatProtocol.createStreamDecoder();
  const decoded: StreamEvent[] = [];
  const tap = createSseTap((message) => decoder.push(message, (event) => decoded.push(event)));
  tap.feed(new TextEncoder().encode(sse));
  tap.end();
  decoder.end((event) => decoded.push(event));
  return decoded;
}

function callStart(): CallStart {
  return {
    startEpochMs: Date.now(),
    startMonotonicMs: performance.now(),
    clientProtocol: 'openai-chat',
    upstreamProtocol: 'openai-chat',
    routeKind: 'passthrough',
    providerName: 'openai',
    providerType: 'openai',
    requestedModel: 'gpt-4.1',
    upstreamModel: 'gpt-4.1',
    stream: true,
    rawRequestBody: rawBody,
    requestBody: body,
    canonicalRequest: () => openAiChatProtocol.decodeRequest(body),
    upstreamUrl: new URL('https://api.openai.com/v1'),
    http: { method: 'POST', path: '/v1/chat/completions', clientAddress: '127.0.0.1', headers: { 'content-type': 'application/json', 'user-agent': 'bench' } },
    traceparent: undefined,
    tracestate: undefined,
  };
}

type Measured = { hotPath: number[]; finish: number[] };

function runCall(observer: CallObserver, measured: Measured | undefined): void {
  const before = performance.now();
  const trace = observer.startCall(callStart());
  trace.upstreamHeaders();
  for (const event of events) trace.onEvent(event, performance.now());
  trace.end({
    endMonotonicMs: performance.now(),
    status: 200,
    error: undefined,
    cancelled: false,
    responseHeaders: { 'content-type': 'text/event-stream' },
    responseBytes: 40_000,
    chunkCount: events.length,
    overheadMs: 0.2,
    responseBody: undefined,
  });
  const afterHotPath = performance.now();
  (observer as Partial<TelemetryObserver>).finishPending?.();
  const afterFinish = performance.now();
  if (measured) {
    measured.hotPath.push(afterHotPath - before);
    measured.finish.push(afterFinish - afterHotPath);
  }
}

async function measure(name: string, observer: CallObserver, telemetry?: Telemetry): Promise<string[]> {
  for (let call = 0; call < Math.min(500, calls); call++) runCall(observer, undefined);
  await telemetry?.forceFlush();
  const measured: Measured = { hotPath: [], finish: [] };
  const started = performance.now();
  for (let call = 0; call < calls; call++) {
    runCall(observer, measured);
    // Let background export run between calls, as it would between requests.
    if (call % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await telemetry?.forceFlush();
  const wallPerCall = (performance.now() - started) / calls;
  const perEventNs = (median(measured.hotPath) * 1e6) / events.length;
  return [name, us(median(measured.hotPath)), us(percentile(measured.hotPath, 0.99)), perEventNs.toFixed(0), us(median(measured.finish)), us(percentile(measured.finish, 0.99)), us(wallPerCall)];
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

const us = (milliseconds: number) => (milliseconds * 1000).toFixed(1);

async function main(): Promise<void> {
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  const address = receiver.address();
  const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const directory = mkdtempSync(join(tmpdir(), 'lessllm-bench-'));

  const scenarios: Array<[string, Record<string, unknown>, Record<string, string>]> = [
    ['metrics only (Prometheus)', {}, {}],
    ['+ OTLP traces and metrics', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }],
    ['+ OTLP, content capture off', { telemetry: { capture_content: false } }, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }],
    ['+ OTLP + SQLite log table', { log: { database: `sqlite:${join(directory, 'bench.db')}` } }, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }],
  ];
  const rows: string[][] = [await measure('no telemetry (noop observer)', noopObserver)];
  for (const [name, sections, environment] of scenarios) {
    const telemetry = await createTelemetry(telemetryOptionsFromConfig(sections, environment));
    rows.push(await measure(name, telemetry.observer, telemetry));
    await telemetry.shutdown();
  }
  receiver.close();
  rmSync(directory, { recursive: true, force: true });

  const runtime = (globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } }).Bun
    ? `bun ${(globalThis as any).Bun.version}`
    : (globalThis as any).Deno
      ? `deno ${(globalThis as any).Deno.version.deno}`
      : `node ${process.version}`;
  console.log(`telemetry observer cost per call — ${runtime}, ${calls} calls of ${events.length} events (${tokens} tokens), ${request} request of ${rawBody.length} characters\n`);
  const header = ['scenario', 'hot path p50 µs', 'p99 µs', 'ns/event', 'finish p50 µs', 'p99 µs', 'wall µs/call'];
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index].length)));
  const line = (cells: string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '─'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

await main();
