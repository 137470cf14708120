/**
 * The seven histograms every call records into (duration, overhead, tokens, TTFT, TPOT, tokens per
 * second, cost), aggregated here and handed to the SDK's metric readers as a MetricProducer, instead of
 * being recorded through the SDK's Histogram instruments.
 *
 * Why: the SDK finds a data point by hashing the attributes of every measurement (their keys sorted,
 * then JSON.stringify), and a call makes eight measurements with the same five attributes. Here a call
 * finds its series once, by a string of its attribute values, and adds to the eight histograms in it.
 * Everything else stays the SDK's: the readers, their schedule, temporality selection, the Prometheus
 * and OTLP encodings. What a reader collects is what the SDK's instruments gave it for the same calls
 * (call-histograms.test.ts records the same calls both ways and compares): explicit buckets whose upper
 * bound is inclusive, sum, count, min and max, negative values dropped and NaN not counted, a series' start time its first
 * measurement (cumulative) or the reader's previous collection (delta, for a series reported then),
 * at most 2,000 attribute sets and the rest counted under `otel.metric.overflow`. The series arrive in
 * a ScopeMetrics of their own, with the same scope name as the SDK's instruments.
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { CallSummary } from './call-summary.ts';
import { callStartAttributes, cardinalityLimit, overflowAttributes } from './metrics.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_INPUT,
  GEN_AI_TOKEN_TYPE_OUTPUT,
  histogramDefinitions,
  type HistogramDefinition,
} from './semconv.ts';

/** The histograms a series holds, in the order they are exported; token usage has one per token type. */
const slots = ['duration', 'inputTokens', 'outputTokens', 'timeToFirstToken', 'timePerOutputToken', 'cost', 'tokensPerSecond', 'overhead'] as const;
type Slot = (typeof slots)[number];
const slotIndex = Object.fromEntries(slots.map((slot, index) => [slot, index])) as Record<Slot, number>;

/** Each exported metric and the slots its data points come from. */
const metricsOfSlots: ReadonlyArray<{ definition: HistogramDefinition; slots: readonly Slot[] }> = [
  { definition: histogramDefinitions.operationDuration, slots: ['duration'] },
  { definition: histogramDefinitions.tokenUsage, slots: ['inputTokens', 'outputTokens'] },
  { definition: histogramDefinitions.timeToFirstToken, slots: ['timeToFirstToken'] },
  { definition: histogramDefinitions.timePerOutputToken, slots: ['timePerOutputToken'] },
  { definition: histogramDefinitions.cost, slots: ['cost'] },
  { definition: histogramDefinitions.tokensPerSecond, slots: ['tokensPerSecond'] },
  { definition: histogramDefinitions.gatewayOverhead, slots: ['overhead'] },
];

const boundariesOfSlot: ReadonlyArray<readonly number[]> = slots.map(
  (slot) => metricsOfSlots.find((metric) => metric.slots.includes(slot))!.definition.boundaries,
);

/** One histogram of one attribute set. */
class HistogramPoint {
  readonly boundaries: readonly number[];
  counts: number[];
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Whether anything was recorded, NaN included: the SDK reports a series whose only value was NaN, with a count of 0. */
  used = false;
  /** When its first value came. */
  startTime: HrTime = [0, 0];

  constructor(boundaries: readonly number[]) {
    this.boundaries = boundaries;
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number, nowMs: number): void {
    // As the SDK's Histogram instrument: a negative value is not a measurement at all.
    if (value < 0) return;
    if (!this.used) {
      this.used = true;
      this.startTime = millisToHrTime(nowMs);
    }
    if (Number.isNaN(value)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // The first bucket whose upper bound is ≥ value; the last one is unbounded.
    const boundaries = this.boundaries;
    let bucket = 0;
    while (bucket < boundaries.length && boundaries[bucket]! < value) bucket++;
    this.counts[bucket]!++;
  }

  value(): Histogram {
    return {
      buckets: { boundaries: this.boundaries as number[], counts: this.counts.slice() },
      count: this.count,
      sum: this.sum,
      min: this.count > 0 ? this.min : undefined,
      max: this.count > 0 ? this.max : undefined,
    };
  }
}

/** The histograms of one attribute set (a provider, a model, a response model, an error type). */
class Series {
  /** seriesKey() of its attributes, or `overflow`: the same across a delta table's resets. */
  readonly key: string;
  readonly attributes: Attributes;
  /** The overflow set has a single token usage point: its attributes cannot tell input from output. */
  readonly isOverflow: boolean;
  readonly points: HistogramPoint[] = boundariesOfSlot.map((boundaries) => new HistogramPoint(boundaries));

  constructor(key: string, attributes: Attributes, isOverflow: boolean) {
    this.key = key;
    this.attributes = attributes;
    this.isOverflow = isOverflow;
  }

  record(summary: CallSummary, nowMs: number): void {
    const points = this.points;
    points[slotIndex.duration]!.record(summary.durationMs / 1000, nowMs);
    points[slotIndex.overhead]!.record(summary.end.overheadMs / 1000, nowMs);
    if (summary.usage) {
      points[slotIndex.inputTokens]!.record(summary.usage.inputTokens, nowMs);
      points[this.isOverflow ? slotIndex.inputTokens : slotIndex.outputTokens]!.record(summary.usage.outputTokens, nowMs);
      if (summary.cost.known) points[slotIndex.cost]!.record(summary.cost.usd, nowMs);
    }
    // The conventions define the two server timings for successful responses only.
    if (summary.errorType !== undefined) return;
    if (summary.ttftMs !== undefined) points[slotIndex.timeToFirstToken]!.record(summary.ttftMs / 1000, nowMs);
    if (summary.tpotMs !== undefined) points[slotIndex.timePerOutputToken]!.record(summary.tpotMs / 1000, nowMs);
    if (summary.outputTokensPerSecond !== undefined) points[slotIndex.tokensPerSecond]!.record(summary.outputTokensPerSecond, nowMs);
  }

  attributesOf(slot: Slot): Attributes {
    if (this.isOverflow) return this.attributes;
    if (slot === 'inputTokens') return { ...this.attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_INPUT };
    if (slot === 'outputTokens') return { ...this.attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_OUTPUT };
    return this.attributes;
  }
}

/** The series by attribute set, for one temporality: kept for ever (cumulative) or since a reader's last collection (delta). */
class SeriesTable {
  series = new Map<string, Series>();
  private overflow: Series | undefined;

  seriesOf(key: string, summary: CallSummary): Series {
    let series = this.series.get(key);
    if (series !== undefined) return series;
    if (this.series.size < cardinalityLimit - 1) {
      series = new Series(key, callAttributes(summary), false);
      this.series.set(key, series);
      return series;
    }
    return (this.overflow ??= new Series('overflow', overflowAttributes, true));
  }

  /** Every series, the overflow set last. */
  all(): Series[] {
    const all = [...this.series.values()];
    if (this.overflow) all.push(this.overflow);
    return all;
  }

  clear(): void {
    this.series = new Map();
    this.overflow = undefined;
  }
}

export class CallHistograms {
  private readonly resource: Resource;
  private readonly scopeName: string;
  private readonly cumulative = new SeriesTable();
  /** One table per delta reader: each reader empties its own when it collects. */
  private readonly deltaTables: SeriesTable[] = [];

  constructor(resource: Resource, scopeName: string) {
    this.resource = resource;
    this.scopeName = scopeName;
  }

  record(summary: CallSummary): void {
    const key = seriesKey(summary);
    const nowMs = Date.now();
    this.cumulative.seriesOf(key, summary).record(summary, nowMs);
    for (const table of this.deltaTables) table.seriesOf(key, summary).record(summary, nowMs);
  }

  /** What one metric reader collects, in the temporality it asks for histograms (`selectAggregationTemporality`). */
  producerFor(temporality: AggregationTemporality): MetricProducer {
    switch (temporality) {
      case AggregationTemporality.CUMULATIVE:
        return { collect: async () => this.collect(this.cumulative.all(), temporality, (_id, point) => point.startTime).collection };
      case AggregationTemporality.DELTA: {
        const table = new SeriesTable();
        this.deltaTables.push(table);
        let lastCollection: { time: HrTime; reported: Set<string> } | undefined;
        return {
          collect: async () => {
            const series = table.all();
            table.clear();
            const reported = new Set<string>();
            const previous = lastCollection;
            const { collection, endTime } = this.collect(series, temporality, (id, point) => {
              reported.add(id);
              // As the SDK: a series reported at the reader's previous collection starts there.
              return previous?.reported.has(id) ? previous.time : point.startTime;
            });
            lastCollection = { time: endTime, reported };
            return collection;
          },
        };
      }
      default: {
        const unknownTemporality: never = temporality;
        throw new Error(`unknown aggregation temporality ${String(unknownTemporality)}`);
      }
    }
  }

  /** The series' data points with values, by metric; `startTimeOf` is given each point's id (series key and slot). */
  private collect(
    series: readonly Series[],
    temporality: AggregationTemporality,
    startTimeOf: (id: string, point: HistogramPoint) => HrTime,
  ): { collection: CollectionResult; endTime: HrTime } {
    const endTime = millisToHrTime(Date.now());
    const metrics: HistogramMetricData[] = [];
    for (const { definition, slots: metricSlots } of metricsOfSlots) {
      const dataPoints: DataPoint<Histogram>[] = [];
      for (const one of series) {
        for (const slot of metricSlots) {
          const point = one.points[slotIndex[slot]]!;
          if (!point.used) continue;
          dataPoints.push({ attributes: one.attributesOf(slot), startTime: startTimeOf(`${one.key}\n${slot}`, point), endTime, value: point.value() });
        }
      }
      if (dataPoints.length === 0) continue;
      metrics.push({
        descriptor: { name: definition.name, description: definition.description, unit: definition.unit, valueType: ValueType.DOUBLE },
        aggregationTemporality: temporality,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints,
      });
    }
    const collection: CollectionResult = {
      resourceMetrics: { resource: this.resource, scopeMetrics: metrics.length > 0 ? [{ scope: { name: this.scopeName, version: '' }, metrics }] : [] },
      errors: [],
    };
    return { collection, endTime };
  }
}

/** The attributes the conventions allow on these metrics: never an id, a key or a user (a series per request). */
function callAttributes(summary: CallSummary): Attributes {
  const attributes = callStartAttributes(summary.start);
  if (summary.responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = summary.responseModel;
  if (summary.errorType !== undefined) attributes[ATTR_ERROR_TYPE] = summary.errorType;
  return attributes;
}

/** The values of callAttributes as one string, each prefixed by its length (-1: absent), so no two sets share one. */
function seriesKey(summary: CallSummary): string {
  const { providerType, upstreamModel } = summary.start;
  const responseModel = summary.responseModel;
  const errorType = summary.errorType;
  return `${providerType.length},${upstreamModel.length},${responseModel?.length ?? -1},${errorType?.length ?? -1}:${providerType}${upstreamModel}${responseModel ?? ''}${errorType ?? ''}`;
}
