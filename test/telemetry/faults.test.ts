/**
 * Telemetry never slows or breaks traffic: with the OTLP collector down, failing or hanging, every
 * observer call still returns at once and nothing throws; what could not be delivered is counted in
 * lessllm_telemetry_dropped_total. A bug inside the observer is caught and counted too.
 *
 * Timing bounds here are deliberately loose (tens of milliseconds per call, against an exporter that
 * hangs for 300+ ms): the behaviour under test is that the gateway never waits on the exporter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StreamEvent } from '../../src/core/stream-events.ts';
import { createTelemetry, telemetryOptionsFromConfig, type Telemetry } from '../../src/telemetry/index.ts';
import { callEnd, callStart, settle, upstreamEvents } from './support/calls.ts';
import { OtlpReceiver, SPAN_KIND_CLIENT } from './support/otlp-receiver.ts';
import { freePort } from '../support/loopback.ts';
import { parsePrometheusText, valueOf } from './support/prometheus-text.ts';

const body = { model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content: 'hello' }] };
/** A call with a big body (400,000 characters, captured twice: the body and the messages). */
const bigBody = { ...body, messages: [{ role: 'user', content: 'x'.repeat(400_000) }] };
const bigCapture = { telemetry: { max_content_bytes: 1_000_000 } };
const events = upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['a', 'b', 'c', 'd'], usage: { input: 5, output: 4 } });
/** The same answer from an upstream that reports no usage: telemetry counts its tokens on the counting thread first. */
const eventsWithoutUsage = upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['a', 'b', 'c', 'd'] }, { withUsage: false });

/** Runs `count` complete calls through the observer; returns the slowest single observer call in ms. */
function runCalls(telemetry: Telemetry, count: number, requestBody: Record<string, unknown> = body, answer = events): number {
  let slowest = 0;
  const timed = <T>(action: () => T): T => {
    const before = performance.now();
    const result = action();
    slowest = Math.max(slowest, performance.now() - before);
    return result;
  };
  for (let call = 0; call < count; call++) {
    const start = callStart({ protocol: 'openai-chat', body: requestBody });
    const trace = timed(() => telemetry.observer.startCall(start));
    timed(() => trace.upstreamHeaders());
    for (const event of answer) timed(() => trace.onEvent(event, performance.now()));
    timed(() => trace.end(callEnd(performance.now())));
  }
  return slowest;
}

/** Telemetry from these environment variables (and config sections), its warnings collected instead of printed. */
async function telemetryWith(environment: Record<string, string>, sections: Record<string, unknown> = {}): Promise<{ telemetry: Telemetry; warnings: string[] }> {
  const warnings: string[] = [];
  const telemetry = await createTelemetry({ ...telemetryOptionsFromConfig(sections, environment), warn: (message) => warnings.push(message) });
  return { telemetry, warnings };
}

async function dropped(telemetry: Telemetry, kind: string): Promise<number> {
  const samples = parsePrometheusText(await (await telemetry.metricsHandler()).text());
  return valueOf(samples, 'lessllm_telemetry_dropped_total', { lessllm_dropped_kind: kind }) ?? 0;
}

describe('telemetry under faults', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await OtlpReceiver.start();
  });
  after(async () => {
    await receiver.stop();
  });

  /** Spans alone, as JSON, to the receiver behaving as told: `calls` calls recorded and flushed. */
  async function spansExportedTo(behaviour: OtlpReceiver['behaviour'], calls: number): Promise<Telemetry> {
    receiver.reset();
    receiver.behaviour = behaviour;
    const { telemetry } = await telemetryWith({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none' });
    runCalls(telemetry, calls);
    await settle();
    await telemetry.forceFlush();
    return telemetry;
  }

  it('an unreachable collector: calls go on, failed exports are counted', async () => {
    const deadPort = await freePort();
    const { telemetry, warnings } = await telemetryWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${deadPort}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // The exporter retries a refused connection until its timeout: keep that short here.
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
    const slowest = runCalls(telemetry, 50);
    assert.ok(slowest < 50, `slowest observer call ${slowest.toFixed(2)} ms`);
    await settle();
    await telemetry.forceFlush();
    assert.equal(await dropped(telemetry, 'span_export'), 100, 'two spans per call, all lost and counted');
    assert.ok((await dropped(telemetry, 'metric_export')) >= 1);
    assert.equal(warnings.filter((warning) => warning.includes('spans could not be exported')).length, 1, 'said once');
    await telemetry.shutdown();
  });

  it('a collector that answers 500: counted the same way', async () => {
    const telemetry = await spansExportedTo('fail', 10);
    assert.equal(await dropped(telemetry, 'span_export'), 20);
    assert.ok(receiver.requests.length >= 1, 'the collector was tried');
    await telemetry.shutdown();
  });

  it('a collector that is unavailable once (503, Retry-After): the batch is sent again and arrives, nothing dropped', async () => {
    const telemetry = await spansExportedTo('unavailable-once', 5);
    assert.deepEqual(receiver.requests.map((request) => request.status), [503, 200], 'refused once, then sent again');
    assert.equal(receiver.spans.length, 10);
    assert.equal(await dropped(telemetry, 'span_export'), 0);
    await telemetry.shutdown();
  });

  it('OTEL_EXPORTER_OTLP_COMPRESSION=gzip: spans and metrics arrive gzip-compressed, and complete', async () => {
    receiver.reset();
    const { telemetry } = await telemetryWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    runCalls(telemetry, 5);
    await settle();
    await telemetry.shutdown();
    assert.deepEqual([...new Set(receiver.requests.map((request) => request.path))].sort(), ['/v1/metrics', '/v1/traces']);
    assert.ok(receiver.requests.every((request) => request.contentEncoding === 'gzip'), JSON.stringify(receiver.requests));
    assert.equal(receiver.spans.length, 10);
    assert.equal(await dropped(telemetry, 'span_export'), 0);
  });

  it('a collector that never answers: calls return at once, the full queue drops and counts, shutdown still ends', async () => {
    receiver.reset();
    receiver.behaviour = 'stall';
    const { telemetry, warnings } = await telemetryWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      OTEL_BSP_MAX_QUEUE_SIZE: '20',
      OTEL_METRICS_EXPORTER: 'none',
    });
    const slowest = runCalls(telemetry, 50);
    assert.ok(slowest < 50, `slowest observer call ${slowest.toFixed(2)} ms`);
    await settle(20);
    assert.ok(await receiver.waitFor(() => receiver.requests.length > 0), 'an export is hanging');
    assert.ok((await dropped(telemetry, 'span_queue_full')) > 0, 'spans beyond the queue are dropped and counted');
    assert.ok(warnings.some((warning) => warning.includes('span queue is full')));
    const shutdownStarted = performance.now();
    await telemetry.shutdown();
    assert.ok(performance.now() - shutdownStarted < 10_000, 'shutdown is bounded');
  });

  for (const { label, answer } of [
    { label: 'calls', answer: events },
    { label: 'calls whose usage is counted first (the upstream reported none)', answer: eventsWithoutUsage },
  ]) {
    it(`a burst of ${label} with more spans than the export queue holds, to a slow collector: they wait for room, none is dropped`, async () => {
      receiver.reset();
      receiver.behaviour = 'slow';
      const { telemetry } = await telemetryWith({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_MAX_QUEUE_SIZE: '40',
        OTEL_METRICS_EXPORTER: 'none',
      });
      // 45 calls ending at once: 90 spans for a queue of 40, whose first full batch takes the collector 200 ms
      // (calls are held back for room, up to 40 calls).
      runCalls(telemetry, 45, body, answer);
      // Full batches leave at once; the last spans wait for the batch processor's schedule (5 s) or the shutdown.
      assert.ok(await receiver.waitFor(() => receiver.spans.length >= 80, 4_000), `${receiver.spans.length} spans exported`);
      assert.equal(await dropped(telemetry, 'span_queue_full'), 0);
      await telemetry.shutdown();
      assert.equal(receiver.spans.length, 90);
      if (answer === eventsWithoutUsage) assert.ok(receiver.spans.every((span) => span.kind !== SPAN_KIND_CLIENT || span.attributes['lessllm.usage.estimated'] === true));
    });
  }

  it('a collector that never answers, calls with big bodies: what waits for export is bounded by its bytes, not only by the span count', async () => {
    receiver.reset();
    receiver.behaviour = 'stall';
    // 100 big calls: 200 spans, far from the 2,048 of the queue, but some 80 MB of encoded spans against 32 MB.
    const environment = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: '10000', OTEL_METRICS_EXPORTER: 'none' };
    const { telemetry } = await telemetryWith(environment, bigCapture);
    runCalls(telemetry, 100, bigBody);
    await settle(200);
    const droppedSpans = await dropped(telemetry, 'span_queue_full');
    assert.ok(droppedSpans > 0 && droppedSpans < 200, `${droppedSpans} of 200 spans dropped for the bytes they carry`);
    await telemetry.shutdown();
  });

  it('a slow collector, calls with big bodies: spans leave as their bytes add up, not after the 5 s schedule, and none is dropped', async () => {
    receiver.reset();
    receiver.behaviour = 'slow';
    const environment = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none' };
    const { telemetry } = await telemetryWith(environment, bigCapture);
    runCalls(telemetry, 60, bigBody);
    // 120 spans never make a batch of 512: without batches closed by their size they would wait 5 s.
    assert.ok(await receiver.waitFor(() => receiver.spans.length >= 100, 4_000), `${receiver.spans.length} spans exported`);
    assert.equal(await dropped(telemetry, 'span_queue_full'), 0);
    await telemetry.shutdown();
    assert.equal(receiver.spans.length, 120);
  });

  it('an observer bug (an event it does not know) is caught, counted and reported once; the span still ends', async () => {
    receiver.reset();
    const { telemetry, warnings } = await telemetryWith({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none' });
    for (let call = 0; call < 2; call++) {
      const start = callStart({ protocol: 'openai-chat', body });
      const trace = telemetry.observer.startCall(start);
      assert.doesNotThrow(() => trace.onEvent({ type: 'telepathy' } as unknown as StreamEvent, performance.now()));
      for (const event of events) trace.onEvent(event, performance.now());
      trace.end(callEnd(performance.now()));
    }
    await telemetry.forceFlush();
    assert.equal(await dropped(telemetry, 'observer_error'), 2);
    assert.equal(warnings.length, 1);
    await telemetry.shutdown();
    assert.equal(receiver.spans.length, 4, 'both calls still produced their spans');
  });
});
