/**
 * No key leaves the process. The gateway runs with recognisable upstream keys and gateway keys (every
 * one contains CANARY), serves varied traffic — successes and errors, streamed and not, both APIs, both
 * routes, an upstream whose error bodies echo the key it was sent, wrong and missing gateway keys, a
 * model the key may not use — and then everything it exported or answered is scanned: OTLP spans and
 * metrics, GET /metrics, its own stdout and stderr, every column of every log-table row, and every
 * response status, header and body the clients got. CANARY must appear in none of them.
 * The upstream itself must have received its keys (so the canaries were live), never a gateway key, and
 * the keys' names (not the keys) must show in the spans and log rows.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { TestUpstream, answerWith } from '../support/test-upstream.ts';
import { readLogRows } from '../faults/support/log-rows.ts';
import { chatBody, clientHeaders, clientPath, eventually, judgeStream, type ClientKind } from '../faults/support/raw-calls.ts';
import { OtlpReceiver, SPAN_KIND_CLIENT } from '../telemetry/support/otlp-receiver.ts';

const marker = 'CANARY';
const upstreamOpenAiKey = 'sk-upstream-CANARY-openai-7f3c9a1e5b2d4c6e';
const upstreamAnthropicKey = 'sk-ant-upstream-CANARY-anthropic-2d8e4b6f0c1a3e5f';
const alphaKey = 'lk-CANARY-alpha-0b1c2d3e4f5a6b7c';
const betaKey = 'lk-CANARY-beta-9f8e7d6c5b4a3928';
const gammaKey = 'lk-CANARY-gamma-1122334455667788';
const wrongKey = 'lk-CANARY-wrong-aaaabbbbccccdddd';

type Seen = { what: string; status: number; headers: Record<string, string>; body: string };

describe('secrets never leave the gateway', () => {
  let upstream: TestUpstream;
  let receiver: OtlpReceiver;
  let gateway: RunningGateway;
  let directory: string;
  let databasePath: string;
  let metricsText = '';
  const seen: Seen[] = [];

  before(async () => {
    upstream = await TestUpstream.start();
    receiver = await OtlpReceiver.start();
    directory = mkdtempSync(join(tmpdir(), 'lessllm-secrets-'));
    databasePath = join(directory, 'calls.db');
    gateway = await startGateway({
      config: {
        auth: {
          keys: [
            { name: 'team-alpha', key: '${ALPHA_KEY}' },
            { name: 'team-beta', key_sha256: createHash('sha256').update(betaKey).digest('hex') },
            { name: 'team-gamma', key: gammaKey, models: ['gpt-*'] },
          ],
        },
        providers: {
          'openai-upstream': { type: 'openai', base_url: `${upstream.url}/v1`, api_key: '${UPSTREAM_OPENAI_KEY}' },
          'anthropic-upstream': { type: 'anthropic', base_url: upstream.url, api_key: upstreamAnthropicKey },
          mock: { type: 'mock' },
        },
        routes: [
          { match: 'gpt-*', provider: 'openai-upstream' },
          { match: 'claude-*', provider: 'anthropic-upstream' },
          { match: 'mock-*', provider: 'mock' },
        ],
        retry: { attempts: 2, backoff_ms: 10 },
        telemetry: { capture_content: true },
        log: { database: `sqlite:${databasePath}`, flush_interval_ms: 50 },
      },
      env: {
        ALPHA_KEY: alphaKey,
        UPSTREAM_OPENAI_KEY: upstreamOpenAiKey,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '20',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
      },
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
    await receiver?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  /** A raw call; everything the client got is kept for the final scan. */
  async function call(what: string, path: string, init: { method?: string; headers: Record<string, string>; body?: unknown }): Promise<Seen> {
    const response = await fetch(`${gateway.url}${path}`, {
      method: init.method ?? 'POST',
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(20_000),
    });
    const result: Seen = { what, status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
    seen.push(result);
    return result;
  }

  const chat = (what: string, client: ClientKind, key: string, model: string, stream: boolean) =>
    call(what, clientPath(client), { headers: clientHeaders(client, key), body: chatBody(client, model, { stream }) });

  const routes: Array<{ client: ClientKind; key: string; model: string }> = [
    { client: 'openai', key: alphaKey, model: 'gpt-secret-test' },
    { client: 'openai', key: alphaKey, model: 'claude-secret-test' },
    { client: 'anthropic', key: betaKey, model: 'claude-secret-test' },
    { client: 'anthropic', key: betaKey, model: 'gpt-secret-test' },
  ];

  it('answers successful calls on every route, streamed and not', async () => {
    for (const { client, key, model } of routes) {
      for (const stream of [false, true]) {
        const result = await chat(`success ${client} ${model} ${stream}`, client, key, model, stream);
        assert.equal(result.status, 200, result.body);
        if (stream) assert.equal(judgeStream(client, result.body).ending, 'complete');
      }
    }
    const local = await chat('mock', 'openai', gammaKey, 'mock-model', true);
    assert.equal(local.status, 403, 'team-gamma may only use gpt-*');
    assert.equal((await chat('mock alpha', 'openai', alphaKey, 'mock-model', true)).status, 200);
    assert.equal((await call('models', '/v1/models', { method: 'GET', headers: clientHeaders('openai', alphaKey) })).status, 200);
    const count = await call('count tokens', '/v1/messages/count_tokens', {
      headers: clientHeaders('anthropic', betaKey),
      body: { model: 'claude-secret-test', messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(count.status, 200, count.body);
  });

  it('masks an upstream key echoed in an upstream error body (before the stream), on every route', async () => {
    for (const { client, key, model } of routes) {
      for (const stream of [false, true]) {
        if (model.startsWith('gpt-')) {
          const message = `Incorrect API key provided: ${upstreamOpenAiKey}. You can find your API key elsewhere.`;
          upstream.enqueue({ path: '/v1/chat/completions', status: 401, json: { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
        } else {
          const message = `invalid x-api-key: ${upstreamAnthropicKey}`;
          upstream.enqueue({ path: '/v1/messages', status: 401, json: { type: 'error', error: { type: 'authentication_error', message } } });
        }
        const result = await chat(`echoed key ${client} ${model} ${stream}`, client, key, model, stream);
        assert.equal(result.status, 401);
        assert.ok(!result.body.includes(marker), `the client got the upstream key back: ${result.body}`);
        assert.ok(result.body.includes('***'), `the rest of the upstream's message is kept, the key masked: ${result.body}`);
      }
    }
  });

  it('masks the key in a retried 5xx whose body echoes it', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      upstream.enqueue({ path: '/v1/messages', status: 500, json: { type: 'error', error: { type: 'api_error', message: `internal error for key ${upstreamAnthropicKey}` } } });
    }
    const result = await chat('retried 500', 'anthropic', betaKey, 'claude-secret-test', true);
    assert.equal(result.status, 500);
    assert.ok(!result.body.includes(marker), result.body);
  });

  it('masks an upstream key echoed in an in-band error event mid-stream, on every route', async () => {
    const leaks: string[] = [];
    for (const { client, key, model } of routes) {
      const upstreamKey = model.startsWith('gpt-') ? upstreamOpenAiKey : upstreamAnthropicKey;
      upstream.enqueue(answerWith({ model, text: ['Partial'], inBandError: { type: 'api_error', message: `stream failed for ${upstreamKey}` } }));
      const result = await chat(`in-band echo ${client} ${model}`, client, key, model, true);
      assert.equal(judgeStream(client, result.body).ending, 'error', result.body);
      if (result.body.includes(marker)) leaks.push(`${client} client, ${model}`);
    }
    assert.deepEqual(leaks, [], 'routes whose client got the upstream key inside the stream');
  });

  it('refuses wrong and missing gateway keys with 401, and a model outside the key with 403, echoing no key', async () => {
    const wrongBearer = await chat('wrong bearer', 'openai', wrongKey, 'gpt-secret-test', false);
    assert.equal(wrongBearer.status, 401);
    assert.equal(JSON.parse(wrongBearer.body).error.code, 'invalid_api_key');
    const wrongApiKey = await chat('wrong x-api-key', 'anthropic', wrongKey, 'claude-secret-test', true);
    assert.equal(wrongApiKey.status, 401);
    assert.equal(JSON.parse(wrongApiKey.body).error.type, 'authentication_error');
    const missing = await call('missing key', '/v1/chat/completions', { headers: { 'content-type': 'application/json' }, body: chatBody('openai', 'gpt-secret-test', { stream: false }) });
    assert.equal(missing.status, 401);
    const notAllowed = await chat('model not allowed', 'anthropic', gammaKey, 'claude-secret-test', false);
    assert.equal(notAllowed.status, 403);
    assert.equal(JSON.parse(notAllowed.body).error.type, 'permission_error');
  });

  it('the upstream got its own keys (the canaries were live), and never a gateway key', () => {
    const headersOf = (path: string) => upstream.requests.filter((request) => request.path === path).map((request) => request.headers);
    assert.ok(headersOf('/v1/chat/completions').some((headers) => headers.authorization === `Bearer ${upstreamOpenAiKey}`));
    assert.ok(headersOf('/v1/messages').some((headers) => headers['x-api-key'] === upstreamAnthropicKey));
    for (const request of upstream.requests) {
      const everything = JSON.stringify(request.headers) + request.rawBody;
      for (const gatewayKey of [alphaKey, betaKey, gammaKey, wrongKey]) assert.ok(!everything.includes(gatewayKey), `${request.path} carried a gateway key`);
    }
  });

  it('no canary in GET /metrics', async () => {
    metricsText = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.ok(metricsText.includes('gen_ai_client_operation_duration'), 'the metrics are there');
    assertNoCanary('GET /metrics', metricsText);
  });

  it('no canary in any response status, header or body the clients got', () => {
    assert.ok(seen.length >= 29, `${seen.length} responses`);
    for (const response of seen) assertNoCanary(`the response to "${response.what}"`, JSON.stringify(response));
  });

  it('stops on SIGTERM with exit code 0, flushing spans, metrics and log rows', async () => {
    gateway.signal('SIGTERM');
    assert.equal(await gateway.exited, 0);
  });

  it('no canary in the OTLP export (span attributes, span events, statuses, metrics); key names on the spans', () => {
    const clientSpans = receiver.spans.filter((span) => span.kind === SPAN_KIND_CLIENT);
    assert.ok(clientSpans.length >= 15, `${clientSpans.length} call spans exported`);
    assert.ok(receiver.metricExports.length > 0, 'metrics were exported');
    const keyNames = new Set(clientSpans.map((span) => span.attributes['lessllm.key.name']));
    assert.ok(keyNames.has('team-alpha') && keyNames.has('team-beta'), `key names on spans: ${[...keyNames].join(', ')}`);
    for (const span of receiver.spans) assertNoCanary(`span "${span.name}" (${span.attributes['gen_ai.request.model'] ?? ''})`, stringify(span));
    assertNoCanary('the OTLP metrics', stringify(receiver.metricExports));
  });

  it('no canary in any column of any log-table row; key names are there', async () => {
    const rows = await readLogRows(databasePath);
    assert.ok(rows.length >= 15, `${rows.length} log rows`);
    assert.ok(rows.some((row) => row.key_name === 'team-alpha') && rows.some((row) => row.key_name === 'team-beta'), 'key names in the log table');
    for (const row of rows) assertNoCanary(`log row ${row.id} (${row.requested_model}, ${row.error_type})`, stringify(row));
  });

  it('no canary in the gateway’s stdout and stderr', async () => {
    // The exit can be reported before the last lines of output have been read from the pipe.
    assert.ok(await eventually(() => gateway.log.includes('lessllm: stopped'), 5000), 'the whole output, to the end');
    assertNoCanary('the gateway’s stdout and stderr', gateway.log);
  });
});

function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? String(item) : item));
}

function assertNoCanary(where: string, text: string): void {
  const at = text.indexOf(marker);
  assert.equal(at, -1, `${where} holds a key: …${text.slice(Math.max(0, at - 80), at + 60)}…`);
}
