/**
 * SIGTERM during 200 open streams (half OpenAI, half Anthropic clients, on the built-in mock provider
 * pacing its tokens slowly):
 *   - with a grace period long enough, every stream completes normally;
 *   - with a short one, every stream either completed or ended with an in-band error event (never a
 *     silent cut);
 *   - either way every call has its span (at the OTLP receiver) and its log row (SQLite), the process
 *     exits with code 0, and requests that arrive after SIGTERM are refused (connection refused or 503).
 * Runs against the compiled executable too (LESSLLM_TEST_COMMAND, see test/support/gateway.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { OtlpReceiver, SPAN_KIND_CLIENT } from '../telemetry/support/otlp-receiver.ts';
import { readLogRows } from './support/log-rows.ts';
import { newTrace, telemetryEnvironment, within } from './support/observed-gateway.ts';
import { eventually, judgeStream, sendChat, type ClientKind, type StreamEnding } from './support/raw-calls.ts';

const streamCount = 200;
const slowModel = 'slow-model';
/** 40 tokens at 10 per second: each stream runs about 4 s, so all 200 are open when SIGTERM comes. */
const slowMock = { type: 'mock', tokens_per_second: 10, output_tokens: 40 };
/** A draining gateway that has not exited by then is stuck (the grace period plus a bounded flush is far less). */
const exitLimitMs = 45_000;
/** Bun's node:test gives each test 5 s unless told otherwise; these run for several seconds by design. */
const patience = { timeout: 180_000 };

type OpenStream = {
  client: ClientKind;
  traceId: string;
  status: number;
  /** Settles when the stream ends, however it ends. */
  finished: Promise<{ text: string; failure: unknown }>;
};

/** Starts a streamed call and resolves once its first bytes arrived; the rest is read in the background. */
async function openStream(gateway: RunningGateway, index: number): Promise<OpenStream> {
  const client: ClientKind = index % 2 === 0 ? 'openai' : 'anthropic';
  const trace = newTrace();
  const response = await sendChat(gateway, { client, model: slowModel, stream: true, headers: trace.headers, signal: AbortSignal.timeout(exitLimitMs + 30_000) });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const first = await reader.read();
  text += decoder.decode(first.value, { stream: true });
  const finished = (async () => {
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) text += decoder.decode(read.value, { stream: true });
      return { text, failure: undefined };
    } catch (failure) {
      return { text, failure };
    }
  })();
  return { client, traceId: trace.traceId, status: response.status, finished };
}

/** What a request sent after SIGTERM got: refused at the socket, or an HTTP status. */
async function lateRequest(gateway: RunningGateway): Promise<'refused' | number> {
  try {
    const response = await sendChat(gateway, { client: 'openai', model: slowModel, stream: true, signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 'refused';
  }
}

type ShutdownRun = {
  streams: OpenStream[];
  endings: Array<{ ending: StreamEnding; failure: unknown; errorMessage: string | undefined; client: ClientKind }>;
  late: 'refused' | number;
  exitCode: number | null | undefined;
  output: string;
  spansByTrace: Map<string, number>;
  rowsByTrace: Map<string, number>;
};

/** Starts a gateway with this grace period, opens the streams, sends SIGTERM, and collects what happened. */
async function shutdownDuringStreams(receiver: OtlpReceiver, directory: string, graceMs: number): Promise<ShutdownRun> {
  const databasePath = join(directory, `calls-${graceMs}.db`);
  const gateway = await startGateway({
    config: {
      server: { shutdown_grace_ms: graceMs },
      providers: { slow: slowMock },
      routes: [{ match: 'slow-*', provider: 'slow' }],
      log: { database: `sqlite:${databasePath}`, flush_interval_ms: 50 },
    },
    env: telemetryEnvironment(receiver),
  });
  try {
    const streams = await Promise.all(Array.from({ length: streamCount }, (_, index) => openStream(gateway, index)));
    gateway.signal('SIGTERM');
    assert.ok(await eventually(() => /draining \d+ calls/.test(gateway.log), 10_000), `the gateway says it is draining:\n${gateway.log}`);
    const late = await lateRequest(gateway);
    const endings = await Promise.all(
      streams.map(async (stream) => {
        const { text, failure } = await stream.finished;
        const judged = judgeStream(stream.client, text);
        return { ending: judged.ending, failure, errorMessage: judged.error?.message, client: stream.client };
      }),
    );
    const exitCode = await within(gateway.exited, exitLimitMs);
    // The exit can be reported before the last lines of output have been read from the pipe.
    await eventually(() => gateway.log.includes('lessllm: stopped'), 5000);
    const traceIds = new Set(streams.map((stream) => stream.traceId));
    const spansByTrace = new Map<string, number>();
    for (const span of receiver.spans) {
      if (span.kind === SPAN_KIND_CLIENT && traceIds.has(span.traceId)) spansByTrace.set(span.traceId, (spansByTrace.get(span.traceId) ?? 0) + 1);
    }
    const rowsByTrace = new Map<string, number>();
    for (const row of await readLogRows(databasePath)) {
      const traceId = String(row.trace_id);
      if (traceIds.has(traceId)) rowsByTrace.set(traceId, (rowsByTrace.get(traceId) ?? 0) + 1);
    }
    return { streams, endings, late, exitCode, output: gateway.log, spansByTrace, rowsByTrace };
  } finally {
    await gateway.stop();
  }
}

function assertNothingLost(run: ShutdownRun): void {
  assert.equal(run.exitCode, 0, `exit code (undefined: still running ${exitLimitMs} ms after SIGTERM)\n${run.output}`);
  assert.ok(run.output.includes('lessllm: stopped'), `the gateway says it stopped:\n${run.output}`);
  assert.ok(run.late === 'refused' || run.late === 503, `a request after SIGTERM got ${run.late}, not refused or 503`);
  assert.ok(run.streams.every((stream) => stream.status === 200));
  const missingSpans = run.streams.filter((stream) => run.spansByTrace.get(stream.traceId) !== 1).length;
  assert.equal(missingSpans, 0, `${missingSpans} of ${streamCount} calls have no (or more than one) exported span`);
  const missingRows = run.streams.filter((stream) => run.rowsByTrace.get(stream.traceId) !== 1).length;
  assert.equal(missingRows, 0, `${missingRows} of ${streamCount} calls have no (or more than one) log row`);
}

describe('SIGTERM during 200 open streams', () => {
  let receiver: OtlpReceiver;
  let directory: string;
  before(async () => {
    receiver = await OtlpReceiver.start();
    directory = mkdtempSync(join(tmpdir(), 'lessllm-shutdown-'));
  });
  after(async () => {
    await receiver?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('with a long grace period every stream completes normally; nothing is lost; exit code 0', patience, async () => {
    const run = await shutdownDuringStreams(receiver, directory, 30_000);
    const notComplete = run.endings.filter((ending) => ending.ending !== 'complete' || ending.failure !== undefined);
    assert.equal(notComplete.length, 0, `streams that did not complete: ${JSON.stringify(notComplete.slice(0, 3).map((ending) => ({ ...ending, failure: String(ending.failure) })))}`);
    assertNothingLost(run);
  });

  it('with a short grace period every stream completes or ends with an in-band error event, never a silent cut', patience, async () => {
    const run = await shutdownDuringStreams(receiver, directory, 300);
    const cut = run.endings.filter((ending) => ending.failure !== undefined || ending.ending === 'cut');
    assert.equal(cut.length, 0, `silently cut streams: ${JSON.stringify(cut.slice(0, 3).map((ending) => ({ ...ending, failure: String(ending.failure) })))}`);
    const errors = run.endings.filter((ending) => ending.ending === 'error');
    assert.ok(errors.length > 0, 'the 4 s streams cannot all finish in a 300 ms grace period');
    for (const error of errors) assert.match(error.errorMessage ?? '', /shutting down/, `the in-band error says why (${error.client} client)`);
    assertNothingLost(run);
  });
});
