/**
 * The metrics, as Prometheus reads them from GET /metrics and as an OTLP receiver gets them pushed:
 * names, labels (and only those: nothing per request), semconv buckets, and values that are exactly
 * the arithmetic of the call (TTFT, TPOT, tokens per second, tokens, cost).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../src/core/gateway-error.ts';
import { createTelemetry, telemetryOptionsFromConfig, type Telemetry } from '../../src/telemetry/index.ts';
import * as semconv from '../../src/telemetry/semconv.ts';
import { callEnd, callStart, play, upstreamEvents } from './support/calls.ts';
import { OtlpReceiver } from './support/otlp-receiver.ts';
import { parsePrometheusText, samplesOf, valueOf, type Sample } from './support/prometheus-text.ts';

async function prometheusOnly(environment: Record<string, string> = {}, sections: Record<string, unknown> = {}): Promise<Telemetry> {
  return createTelemetry(telemetryOptionsFromConfig(sections, environment));
}

async function scrape(telemetry: Telemetry): Promise<{ text: string; samples: Sample[] }> {
  const response = await telemetry.metricsHandler();
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  return { text, samples: parsePrometheusText(text) };
}

const streamBody = { model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content: 'Count to five' }] };
const labels = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4.1', gen_ai_response_model: 'gpt-4.1-2025-04-14' };

/** A streamed answer of `tokens` one-token deltas, first after `ttftMs`, then one every `stepMs`. */
function streamedCall(telemetry: Telemetry, tokens: number, ttftMs: number, stepMs: number, usage = { input: 30, output: tokens }): void {
  const start = callStart({ protocol: 'openai-chat', body: streamBody, startedMsAgo: 5000 });
  const text = Array.from({ length: tokens }, (_, index) => ` w${index}`);
  play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'gpt-4.1-2025-04-14', text, usage }), { ttftMs, stepMs }, { overheadMs: 0.35 });
}

const histograms = [
  ['gen_ai_client_operation_duration', semconv.BUCKETS_OPERATION_DURATION],
  ['gen_ai_client_token_usage', semconv.BUCKETS_TOKEN_USAGE],
  ['gen_ai_server_time_to_first_token', semconv.BUCKETS_TIME_TO_FIRST_TOKEN],
  ['gen_ai_server_time_per_output_token', semconv.BUCKETS_TIME_PER_OUTPUT_TOKEN],
  ['gen_ai_usage_cost', semconv.BUCKETS_COST_USD],
  ['lessllm_output_tokens_per_second', semconv.BUCKETS_TOKENS_PER_SECOND],
  ['lessllm_gateway_overhead', semconv.BUCKETS_GATEWAY_OVERHEAD],
] as const;

describe('GET /metrics', () => {
  it('has every histogram under its Prometheus name, with the semconv buckets and only low-cardinality labels', async () => {
    const telemetry = await prometheusOnly();
    streamedCall(telemetry, 5, 200, 20);
    await telemetry.forceFlush();
    const { samples } = await scrape(telemetry);
    for (const [name, boundaries] of histograms) {
      const buckets = samplesOf(samples, `${name}_bucket`);
      assert.ok(buckets.length > 0, `${name}_bucket`);
      const les = [...new Set(buckets.map((sample) => sample.labels.le))];
      assert.deepEqual(les, [...boundaries.map(String), '+Inf'], `${name} buckets`);
      assert.ok(valueOf(samples, `${name}_count`, name === 'gen_ai_client_token_usage' ? { gen_ai_token_type: 'input' } : {}) === 1, `${name}_count`);
      for (const sample of samplesOf(samples, `${name}_count`)) {
        const names = Object.keys(sample.labels).filter((label) => label !== 'otel_scope_name' && label !== 'gen_ai_token_type').sort();
        assert.deepEqual(names, ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model'], name);
        assert.deepEqual({ ...sample.labels, otel_scope_name: undefined, gen_ai_token_type: undefined }, { ...labels, otel_scope_name: undefined, gen_ai_token_type: undefined });
      }
    }
    await telemetry.shutdown();
  });

  it('reports TTFT, TPOT and tokens per second exactly as the stream was timed', async () => {
    const telemetry = await prometheusOnly();
    // 10 tokens: the first at 400 ms, then one every 50 ms → 850 ms in all.
    streamedCall(telemetry, 10, 400, 50);
    await telemetry.forceFlush();
    const { samples } = await scrape(telemetry);
    assertClose(valueOf(samples, 'gen_ai_server_time_to_first_token_sum', labels)!, 0.4);
    assertClose(valueOf(samples, 'gen_ai_client_operation_duration_sum', labels)!, 0.85);
    assertClose(valueOf(samples, 'gen_ai_server_time_per_output_token_sum', labels)!, 0.45 / 9);
    assertClose(valueOf(samples, 'lessllm_output_tokens_per_second_sum', labels)!, 10 / 0.45);
    assertClose(valueOf(samples, 'lessllm_gateway_overhead_sum', labels)!, 0.00035);
    // The 0.4 s TTFT is in the bucket le=0.5 and not in le=0.25.
    assert.equal(valueOf(samples, 'gen_ai_server_time_to_first_token_bucket', { ...labels, le: '0.25' }), 0);
    assert.equal(valueOf(samples, 'gen_ai_server_time_to_first_token_bucket', { ...labels, le: '0.5' }), 1);
    await telemetry.shutdown();
  });

  it('counts tokens exactly as the upstream reported them, and prices them from the table', async () => {
    const telemetry = await prometheusOnly();
    streamedCall(telemetry, 3, 10, 10, { input: 1200, output: 3 });
    streamedCall(telemetry, 4, 10, 10, { input: 800, output: 4 });
    await telemetry.forceFlush();
    const { samples } = await scrape(telemetry);
    assert.equal(valueOf(samples, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'input' }), 2000);
    assert.equal(valueOf(samples, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'output' }), 7);
    assert.equal(valueOf(samples, 'gen_ai_client_token_usage_count', { ...labels, gen_ai_token_type: 'output' }), 2);
    // gpt-4.1: $2 per million input, $8 per million output.
    assertClose(valueOf(samples, 'gen_ai_usage_cost_sum', labels)!, (2000 * 2 + 7 * 8) / 1e6);
    await telemetry.shutdown();
  });

  it('uses the config’s prices over the built-in ones, and records no cost for a model with no price', async () => {
    const telemetry = await prometheusOnly({}, { pricing: { 'gpt-4.1*': { input: 10, output: 100 } } });
    streamedCall(telemetry, 2, 10, 10, { input: 1000, output: 2 });
    const start = callStart({ protocol: 'openai-chat', body: { ...streamBody, model: 'mystery-model' } });
    play(telemetry.observer.startCall(start), start, upstreamEvents('openai-chat', { model: 'mystery-model', text: ['x'] }), { ttftMs: 5, stepMs: 5 });
    await telemetry.forceFlush();
    const { samples } = await scrape(telemetry);
    assertClose(valueOf(samples, 'gen_ai_usage_cost_sum', labels)!, (1000 * 10 + 2 * 100) / 1e6);
    assert.deepEqual(samplesOf(samples, 'gen_ai_usage_cost_count', { gen_ai_request_model: 'mystery-model' }), []);
    assert.equal(valueOf(samples, 'gen_ai_client_operation_duration_count', { gen_ai_request_model: 'mystery-model' }), 1);
    await telemetry.shutdown();
  });

  it('labels failures with error_type and keeps them out of the success-only timings', async () => {
    const telemetry = await prometheusOnly();
    const start = callStart({ protocol: 'openai-chat', body: streamBody });
    const trace = telemetry.observer.startCall(start);
    trace.end(callEnd(start.startMonotonicMs + 25, { status: 529, error: new GatewayError('overloaded', 'busy', { status: 529 }), chunkCount: 0 }));
    const cancelled = callStart({ protocol: 'openai-chat', body: streamBody });
    const events = upstreamEvents('openai-chat', { model: 'gpt-4.1-2025-04-14', text: ['a', 'b', 'c'] }).slice(0, 3);
    play(telemetry.observer.startCall(cancelled), cancelled, events, { ttftMs: 30, stepMs: 5 }, { cancelled: true });
    await telemetry.forceFlush();
    const { samples } = await scrape(telemetry);
    assert.equal(valueOf(samples, 'gen_ai_client_operation_duration_count', { error_type: 'overloaded' }), 1);
    assert.equal(valueOf(samples, 'gen_ai_client_operation_duration_count', { error_type: 'cancelled' }), 1);
    assert.deepEqual(samplesOf(samples, 'gen_ai_server_time_to_first_token_count'), []);
    assert.deepEqual(samplesOf(samples, 'lessllm_output_tokens_per_second_count'), []);
    assert.deepEqual(samplesOf(samples, 'gen_ai_client_token_usage_count', { error_type: 'overloaded' }), [], 'a refused call used no tokens');
    assert.equal(valueOf(samples, 'gen_ai_client_token_usage_count', { error_type: 'cancelled', gen_ai_token_type: 'output' }), 1);
    await telemetry.shutdown();
  });

  it('shows the streams in flight', async () => {
    const telemetry = await prometheusOnly();
    const first = callStart({ protocol: 'openai-chat', body: streamBody });
    const second = callStart({ protocol: 'openai-chat', body: streamBody });
    const firstTrace = telemetry.observer.startCall(first);
    const secondTrace = telemetry.observer.startCall(second);
    telemetry.observer.startCall(callStart({ protocol: 'openai-chat', body: { ...streamBody, stream: false } }));
    const active = async () => valueOf((await scrape(telemetry)).samples, 'lessllm_streams_active', { gen_ai_request_model: 'gpt-4.1' });
    assert.equal(await active(), 2, 'a non-streaming call is not a stream');
    play(firstTrace, first, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    assert.equal(await active(), 1);
    play(secondTrace, second, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    assert.equal(await active(), 0);
    await telemetry.shutdown();
  });

  it('keeps at most 2,000 series of streams in flight, however many models clients name', async () => {
    const telemetry = await prometheusOnly();
    const calls = Array.from({ length: 2500 }, (_, index) => {
      const start = callStart({ protocol: 'openai-chat', body: { ...streamBody, model: `model-${index}` } });
      return { start, trace: telemetry.observer.startCall(start) };
    });
    const streams = async () => samplesOf((await scrape(telemetry)).samples, 'lessllm_streams_active');
    const open = await streams();
    assert.equal(open.length, 2000);
    assert.equal(open.filter((sample) => sample.labels.otel_metric_overflow === 'true').map((sample) => sample.value).join(), '501');
    assert.equal(open.reduce((sum, sample) => sum + sample.value, 0), 2500);
    for (const { start, trace } of calls) play(trace, start, upstreamEvents('openai-chat', { model: 'm', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    assert.deepEqual(new Set((await streams()).map((sample) => sample.value)), new Set([0]));
    await telemetry.shutdown();
  });

  it('is valid Prometheus exposition format (promtool check metrics)', async (context) => {
    const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (promtool.status !== 0) {
      context.skip('promtool is not installed (Debian package prometheus)');
      return;
    }
    const telemetry = await prometheusOnly();
    streamedCall(telemetry, 3, 10, 10);
    await telemetry.forceFlush();
    const { text } = await scrape(telemetry);
    await telemetry.shutdown();
    const directory = mkdtempSync(join(tmpdir(), 'lessllm-promtool-'));
    try {
      writeFileSync(join(directory, 'metrics.txt'), text);
      const check = spawnSync('sh', ['-c', `promtool check metrics < ${join(directory, 'metrics.txt')}`], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.equal(check.stdout + check.stderr, '', 'no lint findings either');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('says so when OTEL_SDK_DISABLED=true, and still answers', async () => {
    const telemetry = await prometheusOnly({ OTEL_SDK_DISABLED: 'true' });
    const start = callStart({ protocol: 'openai-chat', body: streamBody });
    const trace = telemetry.observer.startCall(start);
    assert.deepEqual(trace.upstreamHeaders(), {});
    play(trace, start, upstreamEvents('openai-chat', { model: 'gpt-4.1', text: ['x'] }), { ttftMs: 1, stepMs: 1 });
    const { text } = await scrape(telemetry);
    assert.match(text, /disabled/);
    await telemetry.shutdown();
  });
});

describe('OTLP metrics push', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await OtlpReceiver.start();
  });
  after(async () => {
    await receiver.stop();
  });

  it('sends the same instruments with the same buckets and attributes', async () => {
    const telemetry = await createTelemetry(
      telemetryOptionsFromConfig({}, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_METRIC_EXPORT_INTERVAL: '100',
      }),
    );
    streamedCall(telemetry, 4, 100, 10);
    assert.ok(await receiver.waitFor(() => receiver.latestMetrics().has('gen_ai.server.time_to_first_token')), 'a periodic push arrives');
    await telemetry.shutdown();
    const metrics = receiver.latestMetrics();
    const expectedUnits: Record<string, string> = {
      'gen_ai.client.operation.duration': 's',
      'gen_ai.client.token.usage': '{token}',
      'gen_ai.server.time_to_first_token': 's',
      'gen_ai.server.time_per_output_token': 's',
      'gen_ai.usage.cost': 'USD',
      'lessllm.output_tokens_per_second': '{token}/s',
      'lessllm.gateway.overhead': 's',
    };
    for (const [name, unit] of Object.entries(expectedUnits)) {
      const metric = metrics.get(name);
      assert.ok(metric, name);
      assert.equal(metric.unit, unit, name);
      const point = metric.histogram[0];
      assert.equal(point.attributes['gen_ai.request.model'], 'gpt-4.1', name);
      assert.equal(point.attributes['gen_ai.response.model'], 'gpt-4.1-2025-04-14', name);
    }
    assert.deepEqual(metrics.get('gen_ai.server.time_to_first_token')!.histogram[0].bounds, semconv.BUCKETS_TIME_TO_FIRST_TOKEN);
    assertClose(metrics.get('gen_ai.server.time_to_first_token')!.histogram[0].sum, 0.1);
    assert.deepEqual(
      metrics.get('gen_ai.client.token.usage')!.histogram.map((point) => point.attributes['gen_ai.token.type']).sort(),
      ['input', 'output'],
    );
    assert.ok(metrics.has('lessllm.streams.active'));
  });

  it('sends deltas when OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta, while /metrics stays cumulative', async () => {
    const telemetry = await createTelemetry(
      telemetryOptionsFromConfig({}, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_METRIC_EXPORT_INTERVAL: '100',
      }),
    );
    const ttftCounts = () =>
      receiver.metricExports.map((metrics) => metrics.find((metric) => metric.name === 'gen_ai.server.time_to_first_token')?.histogram[0]?.count ?? 0);
    const exportsBefore = receiver.metricExports.length;
    streamedCall(telemetry, 4, 100, 10);
    streamedCall(telemetry, 4, 300, 10);
    await telemetry.forceFlush();
    assert.ok(await receiver.waitFor(() => ttftCounts().slice(exportsBefore).includes(2)), 'a push with both calls');
    const afterFirst = receiver.metricExports.length;
    streamedCall(telemetry, 4, 200, 10);
    await telemetry.forceFlush();
    assert.ok(await receiver.waitFor(() => ttftCounts().slice(afterFirst).includes(1)), 'a later push with only the third call');
    const delta = receiver.metricExports.slice(afterFirst).flat().find((metric) => metric.name === 'gen_ai.server.time_to_first_token' && metric.histogram.length > 0)!;
    assert.equal(delta.histogramTemporality, 1, 'AGGREGATION_TEMPORALITY_DELTA');
    assertClose(delta.histogram[0].sum, 0.2);
    // Pushes in between with no new call carry no TTFT point at all, as the SDK's delta readers do.
    assert.ok(ttftCounts().slice(exportsBefore).every((count) => count <= 2));
    const { samples } = await scrape(telemetry);
    assert.equal(valueOf(samples, 'gen_ai_server_time_to_first_token_count', labels), 3);
    await telemetry.shutdown();
  });
});

function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-9 + 1e-6 * Math.abs(expected), `${actual} ≠ ${expected}`);
}
