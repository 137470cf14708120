/**
 * What one log-table row costs on SQLite, by batch size (each batch is one transaction): the CPU of the
 * whole process (the writer thread included) and the part the event loop pays (turning the rows into
 * SQL values and handing them to the writer thread, the time until `insert` returns its promise):
 *
 *   ./node_modules/.bin/bun test/bench/log-insert.ts
 *   ./node_modules/.bin/node test/bench/log-insert.ts
 *   ./node_modules/.bin/deno run -A test/bench/log-insert.ts
 *
 * Rows look like the benchmark's non-streaming calls (about 1 KB with bodies and HTTP details) and carry
 * increasing timestamps, as real calls do (repeated timestamps would split index pages and cost 3×).
 * Batch sizes are measured in interleaved rounds; the table gives the median CPU µs per row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/telemetry/log-table/sqlite-store.ts';
import { nextCallId, type LogRow } from '../../src/telemetry/log-table/row.ts';
import type { HttpDetails } from '../../src/telemetry/content-capture.ts';

const batchSizes = [1, 16, 100];
const rowsPerRound = 4_800;
const rounds = 10;
const warmUpRounds = 2;

const requestBody = JSON.stringify({
  model: 'gpt-bench-c20',
  messages: [{ role: 'user', content: 'Say hello to the benchmark in a few words.' }],
  max_tokens: 1024,
  stream: false,
});
const responseBody = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  model: 'gpt-bench-c20',
  choices: [{ index: 0, message: { role: 'assistant', content: 'token '.repeat(20) }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 },
});
const httpDetails: HttpDetails = {
  method: 'POST',
  path: '/v1/chat/completions',
  client_address: '127.0.0.1',
  status: 200,
  response_bytes: responseBody.length,
  request_headers: { 'content-type': 'application/json', 'user-agent': 'wrk', host: '127.0.0.1:8080' },
  response_headers: { 'content-type': 'application/json' },
};

let clock = Date.UTC(2026, 10, 21);
function row(): LogRow {
  return {
    callId: nextCallId(),
    startedAt: new Date(clock++),
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    clientProtocol: 'openai-chat',
    provider: 'bench-openai',
    providerType: 'openai',
    route: 'passthrough',
    requestedModel: 'gpt-bench-c20',
    upstreamModel: 'gpt-bench-c20',
    responseModel: 'gpt-bench-c20',
    stream: false,
    status: 200,
    errorType: null,
    ttftMs: null,
    tpotMs: null,
    tokensPerSecond: null,
    durationMs: 1.2,
    overheadMs: 0.05,
    inputTokens: 12,
    outputTokens: 20,
    cacheReadTokens: null,
    cacheWriteTokens: null,
    usageEstimated: false,
    costUsd: 0,
    costKnown: false,
    requestBody,
    responseBody,
    keyName: null,
    attempts: 1,
    httpDetails,
  };
}

const directory = mkdtempSync(join(tmpdir(), 'lessllm-log-insert-'));
try {
  const stores = new Map<number, Awaited<ReturnType<typeof openSqliteStore>>>();
  for (const size of batchSizes) {
    const store = await openSqliteStore(join(directory, `batch-${size}.db`));
    await store.migrate();
    stores.set(size, store);
  }
  const perRow = new Map<number, number[]>(batchSizes.map((size) => [size, []]));
  const loopPerRow = new Map<number, number[]>(batchSizes.map((size) => [size, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? batchSizes : [...batchSizes].reverse();
    for (const size of order) {
      const store = stores.get(size)!;
      const batches = Array.from({ length: rowsPerRound / size }, () => Array.from({ length: size }, row));
      let loopMs = 0;
      const before = process.cpuUsage();
      for (const batch of batches) {
        const handedOver = performance.now();
        const written = store.insert(batch);
        loopMs += performance.now() - handedOver;
        await written;
      }
      const used = process.cpuUsage(before);
      if (round >= warmUpRounds) {
        perRow.get(size)!.push((used.user + used.system) / rowsPerRound);
        loopPerRow.get(size)!.push((loopMs * 1000) / rowsPerRound);
      }
    }
  }
  for (const store of stores.values()) await store.close();

  const runtime = 'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node';
  console.log(`log table on SQLite, CPU per row by rows per transaction (${runtime}, ${rounds - warmUpRounds} rounds of ${rowsPerRound} rows)\n`);
  console.log('| rows per transaction | CPU µs per row, median | min | max | event loop µs per row, median |');
  console.log('|---:|---:|---:|---:|---:|');
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  for (const size of batchSizes) {
    const values = sorted(perRow.get(size)!);
    const loop = sorted(loopPerRow.get(size)!);
    const median = (list: number[]) => list[Math.floor(list.length / 2)];
    console.log(`| ${size} | ${median(values).toFixed(2)} | ${values[0].toFixed(2)} | ${values[values.length - 1].toFixed(2)} | ${median(loop).toFixed(2)} |`);
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
