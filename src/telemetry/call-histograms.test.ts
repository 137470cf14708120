/**
 * lessllm aggregates its per-call histograms itself (call-histograms.ts) instead of recording them
 * through the SDK's instruments. A metric reader must not be able to tell: the same calls, recorded the
 * way the SDK's Histogram instruments were used before (the reference below) and through CallHistograms,
 * collect to the same data points — cumulative and delta, across several collections, with values on
 * bucket bounds, beyond the last bound, NaN, failures, and more attribute sets than the cardinality limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attributes, Histogram as HistogramInstrument } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricProducer,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { CallHistograms } from './call-histograms.ts';
import type { CallSummary } from './call-summary.ts';
import { cardinalityLimit } from './metrics.ts';
import { histogramDefinitions } from './semconv.ts';

/** A reader that collects when told to, in one temporality. */
class TestReader extends MetricReader {
  constructor(temporality: AggregationTemporality, metricProducers: MetricProducer[] = []) {
    super({ aggregationTemporalitySelector: () => temporality, metricProducers });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The way lessllm recorded a call into the SDK's Histogram instruments before CallHistograms. */
function sdkRecorder(reader: MetricReader): (summary: CallSummary) => void {
  const views = Object.values(histogramDefinitions).map((definition): ViewOptions => ({
    instrumentName: definition.name,
    aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: definition.boundaries } },
  }));
  const meter = new MeterProvider({ readers: [reader], views }).getMeter('lessllm');
  const instrument = (key: keyof typeof histogramDefinitions): HistogramInstrument => {
    const definition = histogramDefinitions[key];
    return meter.createHistogram(definition.name, { unit: definition.unit, description: definition.description });
  };
  const duration = instrument('operationDuration');
  const tokenUsage = instrument('tokenUsage');
  const timeToFirstToken = instrument('timeToFirstToken');
  const timePerOutputToken = instrument('timePerOutputToken');
  const cost = instrument('cost');
  const tokensPerSecond = instrument('tokensPerSecond');
  const overhead = instrument('gatewayOverhead');
  return (summary) => {
    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': summary.start.providerType,
      'gen_ai.request.model': summary.start.upstreamModel,
    };
    if (summary.responseModel !== undefined) attributes['gen_ai.response.model'] = summary.responseModel;
    if (summary.errorType !== undefined) attributes['error.type'] = summary.errorType;
    const succeeded = summary.errorType === undefined;
    duration.record(summary.durationMs / 1000, attributes);
    overhead.record(summary.end.overheadMs / 1000, attributes);
    if (summary.usage) {
      tokenUsage.record(summary.usage.inputTokens, { ...attributes, 'gen_ai.token.type': 'input' });
      tokenUsage.record(summary.usage.outputTokens, { ...attributes, 'gen_ai.token.type': 'output' });
      if (summary.cost.known) cost.record(summary.cost.usd, attributes);
    }
    if (succeeded && summary.ttftMs !== undefined) timeToFirstToken.record(summary.ttftMs / 1000, attributes);
    if (succeeded && summary.tpotMs !== undefined) timePerOutputToken.record(summary.tpotMs / 1000, attributes);
    if (succeeded && summary.outputTokensPerSecond !== undefined) tokensPerSecond.record(summary.outputTokensPerSecond, attributes);
  };
}

/** CallHistograms behind a reader of its own (bound to an otherwise empty MeterProvider, as a reader must be). */
function lessllmRecorder(temporality: AggregationTemporality): { reader: TestReader; record(summary: CallSummary): void } {
  const histograms = new CallHistograms(resourceFromAttributes({ 'service.name': 'test' }), 'lessllm');
  const reader = new TestReader(temporality, [histograms.producerFor(temporality)]);
  new MeterProvider({ readers: [reader] });
  return { reader, record: (summary) => histograms.record(summary) };
}

type Call = {
  provider?: string;
  model?: string;
  responseModel?: string;
  errorType?: string;
  durationMs?: number;
  overheadMs?: number;
  usage?: { input: number; output: number };
  costUsd?: number;
  ttftMs?: number;
  tpotMs?: number;
  tokensPerSecond?: number;
};

/** The fields of a CallSummary the histograms read; the rest does not matter to them. */
function summaryOf(call: Call): CallSummary {
  const usage = call.usage ? { inputTokens: call.usage.input, outputTokens: call.usage.output, cacheReadTokens: 0, cacheWriteTokens: 0 } : undefined;
  return {
    start: { providerType: call.provider ?? 'openai', upstreamModel: call.model ?? 'gpt-4.1' },
    end: { overheadMs: call.overheadMs ?? 0.3 },
    durationMs: call.durationMs ?? 800,
    responseModel: call.responseModel,
    errorType: call.errorType,
    usage,
    cost: call.costUsd === undefined ? { usd: 0, known: false } : { usd: call.costUsd, known: true },
    ttftMs: call.ttftMs,
    tpotMs: call.tpotMs,
    outputTokensPerSecond: call.tokensPerSecond,
  } as unknown as CallSummary;
}

type Point = { attributes: Attributes; value: Histogram };

/** The histogram data points of a collection by metric name, in an order that does not depend on recording order. */
function histogramPoints(resourceMetrics: ResourceMetrics): Map<string, Point[]> {
  const byName = new Map<string, Point[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    assert.equal(scope.scope.name, 'lessllm');
    for (const metric of scope.metrics) {
      assert.equal(metric.dataPointType, DataPointType.HISTOGRAM, metric.descriptor.name);
      assert.ok(!byName.has(metric.descriptor.name), `${metric.descriptor.name} collected twice`);
      const points = (metric.dataPoints as DataPoint<Histogram>[]).map(({ attributes, value }) => ({ attributes: sortedKeys(attributes), value }));
      points.sort((first, second) => JSON.stringify(first.attributes).localeCompare(JSON.stringify(second.attributes)));
      byName.set(metric.descriptor.name, points);
    }
  }
  return byName;
}

function sortedKeys(attributes: Attributes): Attributes {
  return Object.fromEntries(Object.entries(attributes).sort(([first], [second]) => first.localeCompare(second)));
}

/** Records `rounds` of calls both ways, collecting after each round, and compares every collection. */
async function assertSameCollections(temporality: AggregationTemporality, rounds: Call[][], leaveOut: string[] = []) {
  const sdkReader = new TestReader(temporality);
  const recordWithSdk = sdkRecorder(sdkReader);
  const lessllm = lessllmRecorder(temporality);
  for (const [round, calls] of rounds.entries()) {
    for (const call of calls) {
      recordWithSdk(summaryOf(call));
      lessllm.record(summaryOf(call));
    }
    const expected = histogramPoints((await sdkReader.collect()).resourceMetrics);
    const actual = histogramPoints((await lessllm.reader.collect()).resourceMetrics);
    for (const name of leaveOut) {
      expected.delete(name);
      actual.delete(name);
    }
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `round ${round}: the metrics collected`);
    for (const [name, points] of expected) assert.deepEqual(actual.get(name), points, `round ${round}: ${name}`);
  }
}

const variedCalls: Call[] = [
  { durationMs: 1234, overheadMs: 0.21, usage: { input: 220, output: 57 }, costUsd: 0.0021, ttftMs: 310, tpotMs: 18.5, tokensPerSecond: 54, responseModel: 'gpt-4.1-2025-04-14' },
  { durationMs: 80, overheadMs: 0.05, usage: { input: 1, output: 4 }, costUsd: 0.0001, ttftMs: 1, tpotMs: 10, tokensPerSecond: 1, responseModel: 'gpt-4.1-2025-04-14' },
  { durationMs: 100_000, overheadMs: 900, usage: { input: 70_000_000, output: 0 }, costUsd: 75, ttftMs: 12_000, tpotMs: 3000, tokensPerSecond: 5000 },
  { model: 'claude-sonnet-4-5', provider: 'anthropic', usage: { input: 12, output: 3 }, tokensPerSecond: Number.NaN, ttftMs: 40 },
  { errorType: 'timeout', durationMs: 30_000, ttftMs: 200, tpotMs: 5, tokensPerSecond: 100 },
  { errorType: 'upstream_error', usage: { input: 5, output: 0 }, costUsd: 0 },
  { durationMs: 0, overheadMs: -0.01 },
];

describe('the per-call histograms collect what the SDK’s instruments collected for the same calls', () => {
  it('cumulative, over three collections (one with no new calls)', async () => {
    await assertSameCollections(AggregationTemporality.CUMULATIVE, [variedCalls, [], variedCalls.slice(1, 4)]);
  });

  it('delta, over three collections (one with no new calls)', async () => {
    await assertSameCollections(AggregationTemporality.DELTA, [variedCalls, [], variedCalls.slice(1, 4), variedCalls]);
  });

  it('counts attribute sets beyond the cardinality limit together, under otel.metric.overflow', async () => {
    // Without usage: the SDK limits each instrument on its own, and token usage has two sets per call.
    const manyModels = Array.from({ length: cardinalityLimit + 150 }, (_, index) => ({ model: `model-${index}`, ttftMs: index }));
    for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
      await assertSameCollections(temporality, [manyModels, manyModels.slice(0, 10)]);
    }
  });

  it('gives a delta series reported before the reader’s previous collection time as its start', async () => {
    const lessllm = lessllmRecorder(AggregationTemporality.DELTA);
    lessllm.record(summaryOf({ model: 'a' }));
    const first = (await lessllm.reader.collect()).resourceMetrics;
    const firstEnd = first.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.endTime;
    await new Promise((resolve) => setTimeout(resolve, 5));
    lessllm.record(summaryOf({ model: 'a' }));
    lessllm.record(summaryOf({ model: 'b' }));
    const second = (await lessllm.reader.collect()).resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints;
    const startOf = (model: string) => second.find((point) => point.attributes['gen_ai.request.model'] === model)!.startTime;
    assert.deepEqual(startOf('a'), firstEnd);
    assert.ok(startOf('b')[0] * 1e9 + startOf('b')[1] > firstEnd[0] * 1e9 + firstEnd[1], 'a new series starts at its first value');
  });

  it('collects nothing before the first call', async () => {
    const lessllm = lessllmRecorder(AggregationTemporality.CUMULATIVE);
    const { resourceMetrics } = await lessllm.reader.collect();
    assert.equal(histogramPoints(resourceMetrics).size, 0);
  });
});
