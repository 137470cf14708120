/**
 * The log table: one row per call, on SQLite (node:sqlite, under Bun, Deno and Node) and on a real
 * PostgreSQL. Writes are asynchronous and bounded: a full queue, a locked or unreachable database never
 * throws into a call, what is lost is counted, and shutdown writes what is queued.
 */
import { postgresMigrations, sqliteMigrations } from '../../src/telemetry/log-table/migrations/embedded.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { GatewayError } from '../../src/core/gateway-error.ts';
import { createTelemetry, telemetryOptionsFromConfig, type Telemetry } from '../../src/telemetry/index.ts';
import { openLogStore, type LogStore } from '../../src/telemetry/log-table/log-store.ts';
import { nextCallId, type LogRow } from '../../src/telemetry/log-table/row.ts';
import { callEnd, callStart, play, settle, upstreamEvents } from './support/calls.ts';
import { freePort } from '../support/loopback.ts';
import { findPostgresBinaries, startPostgres, type PostgresServer } from '../support/postgres-server.ts';
import { parsePrometheusText, valueOf } from './support/prometheus-text.ts';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

type Harness = { telemetry: Telemetry; warnings: string[] };

async function telemetryWithLog(log: Record<string, unknown>): Promise<Harness> {
  const warnings: string[] = [];
  const options = telemetryOptionsFromConfig({ log }, {});
  const telemetry = await createTelemetry({ ...options, warn: (message) => warnings.push(message) });
  return { telemetry, warnings };
}

const requestBody = {
  model: 'gpt-4.1',
  stream: true,
  messages: [{ role: 'user', content: 'Say hello' }],
};

/** A complete streamed call; returns the trace ids it sent upstream. */
function streamedCall(telemetry: Telemetry, headers: Record<string, string> = {}): { traceId: string; spanId: string } {
  const start = callStart({ protocol: 'openai-chat', body: requestBody, headers, startedMsAgo: 500 });
  const trace = telemetry.observer.startCall(start);
  const [, traceId, spanId] = trace.upstreamHeaders().traceparent.split('-');
  const events = upstreamEvents('openai-chat', { model: 'gpt-4.1-2025-04-14', text: ['Hello', ' there', '!'], usage: { input: 9, output: 3, cacheRead: 2 } });
  play(trace, start, events, { ttftMs: 100, stepMs: 20, tailMs: 5 }, { responseBytes: 900, chunkCount: 6, overheadMs: 0.3 });
  return { traceId, spanId };
}

function failedCall(telemetry: Telemetry): void {
  const start = callStart({ protocol: 'anthropic-messages', body: { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] } });
  const trace = telemetry.observer.startCall(start);
  const error = new GatewayError('rate_limit', 'slow down', { status: 429 });
  trace.end(callEnd(start.startMonotonicMs + 30, { status: 429, error, responseBody: '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}', chunkCount: 0 }));
}

/** One streamed and one failed call logged to `database`, written by the shutdown. */
async function logTwoCalls(database: string): Promise<void> {
  const { telemetry } = await telemetryWithLog({ database });
  streamedCall(telemetry);
  failedCall(telemetry);
  await telemetry.shutdown();
}

async function droppedCount(telemetry: Telemetry, kind: string): Promise<number> {
  const samples = parsePrometheusText(await (await telemetry.metricsHandler()).text());
  return valueOf(samples, 'lessllm_telemetry_dropped_total', { lessllm_dropped_kind: kind }) ?? 0;
}

/** Timings are differences of performance.now() values: equal up to floating-point rounding. */
function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, Math.abs(expected)), `${actual} ≠ ${expected}`);
}

function checkStreamedRow(row: LogRow, ids: { traceId: string; spanId: string }): void {
  assert.equal(row.traceId, ids.traceId);
  assert.equal(row.spanId, ids.spanId);
  assert.equal(row.clientProtocol, 'openai-chat');
  assert.equal(row.provider, 'upstream');
  assert.equal(row.providerType, 'openai');
  assert.equal(row.route, 'passthrough');
  assert.equal(row.requestedModel, 'gpt-4.1');
  assert.equal(row.responseModel, 'gpt-4.1-2025-04-14');
  assert.equal(row.stream, true);
  assert.equal(row.status, 200);
  assert.equal(row.errorType, null);
  assertClose(row.ttftMs!, 100);
  assertClose(row.tpotMs!, (145 - 100) / (3 - 1));
  assertClose(row.durationMs, 145);
  assertClose(row.tokensPerSecond!, 3 / 0.045);
  assert.equal(row.inputTokens, 11);
  assert.equal(row.outputTokens, 3);
  assert.equal(row.cacheReadTokens, 2);
  assert.equal(row.usageEstimated, false);
  assert.equal(row.costKnown, true);
  assert.equal(row.costUsd, (9 * 2 + 2 * 0.5 + 3 * 8) / 1e6);
  assert.deepEqual(JSON.parse(row.requestBody!), requestBody);
  const response = JSON.parse(row.responseBody!);
  assert.equal(response.object, 'chat.completion', 'the stream is recorded as the response a non-streaming client would get');
  assert.equal(response.choices[0].message.content, 'Hello there!');
  assert.equal(row.httpDetails.method, 'POST');
  assert.equal(row.httpDetails.response_bytes, 900);
  assert.equal(row.httpDetails.request_headers.authorization, undefined, 'secrets never reach the table');
  assert.equal(row.httpDetails.request_headers['user-agent'], 'telemetry-test/1.0');
}

/**
 * A batch whose commit succeeded but whose answer was lost (the SQLite thread stopped, the connection to
 * PostgreSQL broke) is sent again by the writer: the rows it already wrote must not be counted twice, and
 * a new row in the same batch must not be lost with them.
 */
async function checkResentBatch(store: LogStore): Promise<void> {
  const written = await store.latest(10);
  assert.equal(written.length, 2);
  assert.notEqual(written[0].callId, written[1].callId);
  for (const row of written) assert.match(row.callId, /^[0-9a-f]{28}$/);
  const newRow: LogRow = { ...written[0], callId: nextCallId(), startedAt: new Date(written[0].startedAt.getTime() + 1) };
  await store.insert(written);
  await store.insert([...written, newRow]);
  const rows = await store.latest(10);
  assert.equal(rows.length, 3, 'each call once, and the new row of the resent batch too');
  assert.deepEqual(rows.map((row) => row.callId).sort(), [...written.map((row) => row.callId), newRow.callId].sort());
}

describe('log table on SQLite', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'lessllm-log-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('writes one row per call with every column, and flushes the queue at shutdown', async () => {
    const path = join(directory, 'rows.db');
    const { telemetry, warnings } = await telemetryWithLog({ database: `sqlite:${path}`, batch_size: 2, flush_interval_ms: 20 });
    const ids = streamedCall(telemetry, { authorization: 'Bearer sk-secret' });
    failedCall(telemetry);
    failedCall(telemetry);
    await telemetry.shutdown();
    assert.deepEqual(warnings, []);

    const store = await openLogStore({ kind: 'sqlite', path });
    const rows = await store.latest(10);
    await store.close();
    assert.equal(rows.length, 3);
    const streamed = rows.find((row) => row.stream)!;
    checkStreamedRow(streamed, ids);
    const failed = rows.find((row) => !row.stream)!;
    assert.equal(failed.status, 429);
    assert.equal(failed.errorType, 'rate_limit');
    assert.equal(failed.inputTokens, null, 'a call refused before any answer used no tokens');
    assert.equal(JSON.parse(failed.responseBody!).error.type, 'rate_limit_error');

    // The SQL columns a person would query, with the indexes for time and model.
    const database = new DatabaseSync(path);
    const columns = (database.prepare('PRAGMA table_info(lessllm_calls)').all() as Array<{ name: string }>).map((column) => column.name);
    for (const name of ['started_at', 'trace_id', 'requested_model', 'ttft_ms', 'tokens_per_second', 'cost_usd', 'request_body', 'response_body', 'http_details']) {
      assert.ok(columns.includes(name), name);
    }
    const indexes = (database.prepare('PRAGMA index_list(lessllm_calls)').all() as Array<{ name: string }>).map((index) => index.name);
    assert.ok(indexes.includes('lessllm_calls_started_at_idx') && indexes.includes('lessllm_calls_requested_model_idx'));
    database.close();
  });

  it('keeps one row per call when a batch is sent again after its answer was lost', async () => {
    const path = join(directory, 'resent.db');
    await logTwoCalls(`sqlite:${path}`);
    const store = await openLogStore({ kind: 'sqlite', path });
    try {
      await checkResentBatch(store);
    } finally {
      await store.close();
    }
  });

  it('applies its migrations once, however often lessllm starts', async () => {
    const path = join(directory, 'migrations.db');
    for (let start = 0; start < 3; start++) {
      const { telemetry } = await telemetryWithLog({ database: `sqlite:${path}` });
      await telemetry.shutdown();
    }
    const database = new DatabaseSync(path);
    const applied = database.prepare('SELECT hash FROM __drizzle_migrations').all();
    database.close();
    assert.equal(applied.length, sqliteMigrations.length, 'each migration applied exactly once');
  });

  it('drops and counts rows when the queue is full, warning once', async () => {
    const path = join(directory, 'full.db');
    // A long interval and a large batch: nothing is written while the calls come in.
    const { telemetry, warnings } = await telemetryWithLog({ database: `sqlite:${path}`, queue_limit: 5, batch_size: 100, flush_interval_ms: 600_000 });
    for (let call = 0; call < 8; call++) failedCall(telemetry);
    await telemetry.forceFlush();
    assert.equal(await droppedCount(telemetry, 'log_queue_full'), 3);
    assert.equal(warnings.filter((warning) => warning.includes('queue full')).length, 1);
    await telemetry.shutdown();
    const store = await openLogStore({ kind: 'sqlite', path });
    assert.equal((await store.latest(100)).length, 5, 'the queued rows are written at shutdown');
    await store.close();
  });

  it('bounds the queue by the bodies its rows hold too, not only by their number', async () => {
    const path = join(directory, 'full-text.db');
    const { telemetry } = await telemetryWithLog({ database: `sqlite:${path}`, queue_text_limit: 1000, batch_size: 100, flush_interval_ms: 600_000 });
    for (let call = 0; call < 8; call++) failedCall(telemetry);
    await telemetry.forceFlush();
    const dropped = await droppedCount(telemetry, 'log_queue_full');
    await telemetry.shutdown();
    const store = await openLogStore({ kind: 'sqlite', path });
    const rows = await store.latest(100);
    await store.close();
    // Each row holds the request body and the error it got back; as many as fit 1,000 characters are kept.
    const rowChars = rows[0].requestBody!.length + rows[0].responseBody!.length;
    assert.equal(rows.length, Math.floor(1000 / rowChars), `${rowChars} characters a row`);
    assert.equal(dropped, 8 - rows.length);
  });

  it('retries while another process holds the database locked, and writes once it is free', async () => {
    const path = join(directory, 'locked.db');
    const { telemetry: setup } = await telemetryWithLog({ database: `sqlite:${path}` });
    await setup.shutdown();

    const locker = new DatabaseSync(path);
    locker.exec('BEGIN EXCLUSIVE');
    let locked = true;
    const warnings: string[] = [];
    const options = telemetryOptionsFromConfig({ log: { database: `sqlite:${path}`, flush_interval_ms: 20 } }, {});
    const telemetry = await createTelemetry({
      ...options,
      warn: (message) => {
        warnings.push(message);
        // The first failed write is the cue to let go: the retry must then succeed.
        if (message.includes('failed') && locked) {
          locker.exec('COMMIT');
          locked = false;
        }
      },
    });
    streamedCall(telemetry);
    const store = await openLogStore({ kind: 'sqlite', path });
    const deadline = Date.now() + 10_000;
    while ((await store.latest(1)).length === 0 && Date.now() < deadline) await settle(20);
    assert.equal((await store.latest(10)).length, 1);
    assert.ok(warnings.some((warning) => warning.includes('failed') && warning.includes('locked')), warnings.join('\n'));
    assert.equal(await droppedCount(telemetry, 'log_write'), 0);
    await store.close();
    await telemetry.shutdown();
    locker.close();
  });

  it('never throws into calls when the database stays locked; what it cannot write is counted', async () => {
    const path = join(directory, 'stuck.db');
    const { telemetry: setup } = await telemetryWithLog({ database: `sqlite:${path}` });
    await setup.shutdown();
    const locker = new DatabaseSync(path);
    locker.exec('BEGIN EXCLUSIVE');
    const { telemetry, warnings } = await telemetryWithLog({ database: `sqlite:${path}`, flush_interval_ms: 10 });
    for (let call = 0; call < 4; call++) streamedCall(telemetry);
    const deadline = Date.now() + 10_000;
    while ((await droppedCount(telemetry, 'log_write')) < 4 && Date.now() < deadline) await settle(20);
    assert.equal(await droppedCount(telemetry, 'log_write'), 4);
    assert.equal(warnings.filter((warning) => warning.includes('failed')).length, 1, 'one warning, not one per attempt');
    await telemetry.shutdown();
    locker.exec('ROLLBACK');
    locker.close();
  });

  it('starts even when the database cannot be opened, and says why', async () => {
    const { telemetry, warnings } = await telemetryWithLog({ database: `sqlite:${join(directory, 'missing-directory', 'x.db')}` });
    streamedCall(telemetry);
    await settle();
    assert.ok(warnings.some((warning) => warning.includes('cannot open')), warnings.join('\n'));
    await telemetry.shutdown();
  });

  it('`lessllm logs` prints the latest calls as a table', async () => {
    const path = join(directory, 'cli.db');
    await logTwoCalls(`sqlite:${path}`);
    const configPath = join(directory, 'cli.yaml');
    writeFileSync(configPath, `providers: { local: { type: mock } }\nroutes: [{ match: "*", provider: local }]\nlog: { database: "sqlite:${path}" }\n`);

    const output = runLessllm(['logs', '--config', configPath, '--limit', '5']);
    assert.equal(output.status, 0, output.stderr);
    const lines = output.stdout.trim().split('\n');
    assert.match(lines[0], /^TIME \(UTC\)\s+MODEL\s+STATUS\s+TTFT\s+TOK\/S\s+TOKENS IN\/OUT\s+COST$/);
    assert.equal(lines.length, 3);
    const streamedLine = lines.find((line) => line.includes('gpt-4.1'))!;
    assert.match(streamedLine, /gpt-4\.1 → gpt-4\.1-2025-04-14\s+200\s+100 ms\s+66\.7\s+11\/3\s+\$0\.000043$/);
    assert.match(lines.find((line) => line.includes('claude'))!, /429 rate_limit\s+-\s+-\s+-\s+\$0\.000000$/);

    const limited = runLessllm(['logs', '--database', `sqlite:${path}`, '--limit', '1']);
    assert.equal(limited.stdout.trim().split('\n').length, 2);
    const none = runLessllm(['logs', '--config', join(directory, 'cli.yaml').replace('cli.yaml', 'absent.yaml')]);
    assert.notEqual(none.status, 0);
  });
});

/** Runs src/main.ts with the runtime running this test, as a user would run `lessllm`. */
function runLessllm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const runtime = globalThis as { Deno?: { execPath(): string } };
  const [command, prefix] = runtime.Deno ? [runtime.Deno.execPath(), ['run', '-A']] : [process.execPath, []];
  const result = spawnSync(command, [...prefix, 'src/main.ts', ...args], { cwd: repositoryRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const postgresBinaries = findPostgresBinaries();
if (!postgresBinaries) {
  console.warn('log table on PostgreSQL: SKIPPED — no PostgreSQL binaries (install Debian\'s `postgresql` package to run these tests)');
}

describe('log table on PostgreSQL', { skip: postgresBinaries === undefined ? 'PostgreSQL is not installed (apt-get install postgresql)' : false }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres(postgresBinaries!);
  });
  after(async () => {
    await server?.stop();
  });

  it('writes one row per call with every column, migrating the database at start', async () => {
    const { telemetry, warnings } = await telemetryWithLog({ database: server.url, batch_size: 2, flush_interval_ms: 20 });
    const ids = streamedCall(telemetry, { authorization: 'Bearer sk-secret' });
    failedCall(telemetry);
    await telemetry.shutdown();
    assert.deepEqual(warnings, []);

    const store = await openLogStore({ kind: 'postgres', url: server.url });
    const rows = await store.latest(10);
    await store.close();
    assert.equal(rows.length, 2);
    checkStreamedRow(rows.find((row) => row.stream)!, ids);

    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const details = await client.query(`SELECT http_details->>'method' AS method, started_at FROM lessllm_calls WHERE stream`);
    assert.equal(details.rows[0].method, 'POST', 'http_details is queryable JSON');
    const migrations = await client.query('SELECT hash FROM drizzle.__drizzle_migrations');
    assert.equal(migrations.rows.length, postgresMigrations.length, 'each migration applied exactly once');
    await client.end();
  });

  it('keeps one row per call when a batch is sent again after its answer was lost', async () => {
    const { telemetry } = await telemetryWithLog({ database: server.url });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query('TRUNCATE lessllm_calls');
    await client.end();
    streamedCall(telemetry);
    failedCall(telemetry);
    await telemetry.shutdown();
    const store = await openLogStore({ kind: 'postgres', url: server.url });
    try {
      await checkResentBatch(store);
    } finally {
      await store.close();
    }
  });

  it('lets several gateways start at once against one database', async () => {
    const starts = await Promise.all([1, 2, 3].map(() => telemetryWithLog({ database: server.url })));
    for (const { telemetry, warnings } of starts) {
      assert.deepEqual(warnings, []);
      await telemetry.shutdown();
    }
  });

  it('never throws into calls when PostgreSQL is down; what it cannot write is counted', async () => {
    const deadPort = await freePort();
    const { telemetry, warnings } = await telemetryWithLog({ database: `postgres://lessllm:secret-password@127.0.0.1:${deadPort}/postgres`, flush_interval_ms: 10 });
    assert.ok(warnings.some((warning) => warning.includes('cannot open')));
    assert.ok(!warnings.join('\n').includes('secret-password'), 'the password is never printed');
    for (let call = 0; call < 3; call++) streamedCall(telemetry);
    const deadline = Date.now() + 15_000;
    while ((await droppedCount(telemetry, 'log_write')) < 3 && Date.now() < deadline) await settle(20);
    assert.equal(await droppedCount(telemetry, 'log_write'), 3);
    await telemetry.shutdown();
  });
});
