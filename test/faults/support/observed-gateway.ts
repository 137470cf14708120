/**
 * The fault suites' arrangement: two test upstreams (A and B, so a fallback can be told apart from a
 * retry), a real OTLP receiver and a SQLite log table, and the gateway process wired to all of them.
 *
 * Each call the tests make carries its own W3C `traceparent`, so the gateway's spans and log row of that
 * call are found by its trace id, whether or not the call ever reached an upstream.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { startGateway, type RunningGateway } from '../../support/gateway.ts';
import { TestUpstream } from '../../support/test-upstream.ts';
import { OtlpReceiver, SPAN_KIND_CLIENT, type ReceivedSpan } from '../../telemetry/support/otlp-receiver.ts';
import { readLogRows, type RawLogRow } from './log-rows.ts';

export const UPSTREAM_OPENAI_KEY = 'sk-faults-openai-key';
export const UPSTREAM_ANTHROPIC_KEY = 'sk-ant-faults-anthropic-key';

/** How long telemetry may take to arrive (batching every 20 ms; deno compiles on first use). */
const arrivalTimeoutMs = 15_000;

export type Upstreams = { a: TestUpstream; b: TestUpstream };

/** The four providers every fault config starts from: each API on each upstream. */
export function upstreamProviders(upstreams: Upstreams, extra: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
  const provider = (type: 'openai' | 'anthropic', upstream: TestUpstream) =>
    type === 'openai'
      ? { type, base_url: `${upstream.url}/v1`, api_key: UPSTREAM_OPENAI_KEY }
      : { type, base_url: upstream.url, api_key: UPSTREAM_ANTHROPIC_KEY };
  return {
    'openai-a': { ...provider('openai', upstreams.a), ...extra['openai-a'] },
    'anthropic-a': { ...provider('anthropic', upstreams.a), ...extra['anthropic-a'] },
    'openai-b': { ...provider('openai', upstreams.b), ...extra['openai-b'] },
    'anthropic-b': { ...provider('anthropic', upstreams.b), ...extra['anthropic-b'] },
  };
}

export type ObservedGateway = {
  upstreams: Upstreams;
  receiver: OtlpReceiver;
  gateway: RunningGateway;
  databasePath: string;
  /** The CLIENT span (the gen_ai call span) of the call made with this trace id. */
  callSpan(traceId: string): Promise<ReceivedSpan>;
  /** The log-table row of the call made with this trace id, every column as stored. */
  logRow(traceId: string): Promise<RawLogRow>;
};

export type ObservedOptions = {
  /** Extra environment for the gateway (e.g. OTEL_* overrides). */
  env?: Record<string, string>;
};

/** Call inside a `describe`; everything is started in its `before` hook and stopped in `after`. */
export function useObservedGateway(
  configure: (upstreams: Upstreams) => Record<string, unknown> | Promise<Record<string, unknown>>,
  options: ObservedOptions = {},
): ObservedGateway {
  const setup = {} as ObservedGateway;
  let directory = '';
  let logOffset = 0;
  before(async () => {
    setup.upstreams = { a: await TestUpstream.start(), b: await TestUpstream.start() };
    setup.receiver = await OtlpReceiver.start();
    directory = mkdtempSync(join(tmpdir(), 'lessllm-faults-'));
    setup.databasePath = join(directory, 'calls.db');
    const config = {
      ...(await configure(setup.upstreams)),
      log: { database: `sqlite:${setup.databasePath}`, flush_interval_ms: 50 },
    };
    setup.gateway = await startGateway({ config, env: { ...telemetryEnvironment(setup.receiver), ...options.env } });
  });
  after(async () => {
    await setup.gateway?.stop();
    await setup.upstreams?.a.stop();
    await setup.upstreams?.b.stop();
    await setup.receiver?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });
  beforeEach(() => {
    setup.upstreams?.a.reset();
    setup.upstreams?.b.reset();
    logOffset = setup.gateway?.log.length ?? 0;
  });
  afterEach((context: unknown) => {
    if ((context as { passed?: boolean } | undefined)?.passed === false) setup.gateway?.printOutput('during the failed test', logOffset);
  });
  setup.callSpan = async (traceId) => {
    const find = () => setup.receiver.spans.find((span) => span.traceId === traceId && span.kind === SPAN_KIND_CLIENT);
    assert.ok(await setup.receiver.waitFor(() => find() !== undefined, arrivalTimeoutMs), `the call span of trace ${traceId} was exported`);
    return find()!;
  };
  setup.logRow = (traceId) => waitForLogRow(setup.databasePath, traceId);
  return setup;
}

/** OTLP JSON to the receiver, exported every 20 ms, so a test sees its spans quickly. */
export function telemetryEnvironment(receiver: OtlpReceiver): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '20',
    OTEL_METRICS_EXPORTER: 'none',
  };
}

export async function waitForLogRow(databasePath: string, traceId: string): Promise<RawLogRow> {
  const deadline = Date.now() + arrivalTimeoutMs;
  for (;;) {
    const [row] = await readLogRows(databasePath, traceId);
    if (row) return row;
    assert.ok(Date.now() < deadline, `a log row for trace ${traceId} was written`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A fresh trace for one call: send `header` as `traceparent`, find its telemetry by `traceId`. */
export function newTrace(): { traceId: string; header: string; headers: { traceparent: string } } {
  const traceId = randomBytes(16).toString('hex');
  const header = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  return { traceId, header, headers: { traceparent: header } };
}

/** The span's `lessllm.attempt` events (one per failed try). */
export function attemptEvents(span: ReceivedSpan) {
  return span.events.filter((event) => event.name === 'lessllm.attempt');
}

/** Resolves with the value, or with `undefined` after the time: for "did this ever happen" checks. */
export async function within<T>(promise: Promise<T>, milliseconds: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), milliseconds)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
