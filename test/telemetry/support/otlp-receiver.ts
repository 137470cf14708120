/**
 * A real OTLP/HTTP receiver on 127.0.0.1 (node:http, available on Bun, Deno and Node): accepts
 * `POST /v1/traces` and `POST /v1/metrics` as OTLP JSON (the exporters' `http/json` protocol) and keeps
 * what arrived, flattened into plain objects the tests can assert on. Protobuf requests are accepted and
 * recorded by content type only; gzip-compressed bodies are unpacked. It can also be told to fail (500),
 * to stall (never answer) or to be unavailable once (503, Retry-After), to show that a broken collector
 * does not touch traffic.
 */
import { serveOnLoopback, type LoopbackServer } from '../../support/loopback.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;
export type Attributes = Record<string, AttributeValue>;

export type ReceivedSpan = {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  events: Array<{ name: string; timeNs: bigint; attributes: Attributes }>;
  status: { code: number; message?: string };
  resource: Attributes;
};

export type HistogramPoint = { attributes: Attributes; count: number; sum: number; bucketCounts: number[]; bounds: number[] };
export type SumPoint = { attributes: Attributes; value: number };

export type ReceivedMetric = {
  name: string;
  unit: string;
  histogram: HistogramPoint[];
  /** OTLP's AggregationTemporality of the histogram: 1 delta, 2 cumulative (0 when not a histogram). */
  histogramTemporality: number;
  sum: SumPoint[];
};

/** OTLP span kinds. */
export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;
export const STATUS_ERROR = 2;

/**
 * accept; fail with a 500; stall (never answer); slow (accept after 200 ms, like a collector under load);
 * unavailable-once (answer the next request 503 with Retry-After: 1, then accept).
 */
export type ReceiverBehaviour = 'accept' | 'fail' | 'stall' | 'slow' | 'unavailable-once';

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every metrics export, newest last (each holds cumulative values, unless the exporter was asked for delta). */
  readonly metricExports: ReceivedMetric[][] = [];
  readonly requests: Array<{ path: string; contentType: string; contentEncoding: string; status: number }> = [];
  behaviour: ReceiverBehaviour = 'accept';
  private server!: LoopbackServer;

  private constructor() {}

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    receiver.server = await serveOnLoopback((request, response) => void receiver.handle(request, response));
    return receiver;
  }

  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  get url(): string {
    return this.server.url;
  }

  /** The metrics of the latest export, by name. */
  latestMetrics(): Map<string, ReceivedMetric> {
    return new Map((this.metricExports.at(-1) ?? []).map((metric) => [metric.name, metric]));
  }

  /** Waits (polling, bounded) until `ready()` holds; returns false on timeout. */
  async waitFor(ready: () => boolean, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  /** Everything received, as text: for checking that something appears nowhere. */
  everything(): string {
    return JSON.stringify({ spans: this.spans, metrics: this.metricExports }, (_key, value) => (typeof value === 'bigint' ? String(value) : value));
  }

  reset(): void {
    this.spans.length = 0;
    this.metricExports.length = 0;
    this.requests.length = 0;
    this.behaviour = 'accept';
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? '').split('?')[0];
    const contentType = String(request.headers['content-type'] ?? '');
    const contentEncoding = String(request.headers['content-encoding'] ?? '');
    const received = { path, contentType, contentEncoding, status: 200 };
    this.requests.push(received);
    if (this.behaviour === 'stall') return; // never answers; the exporter must time out on its own
    if (this.behaviour === 'slow') await new Promise((resolve) => setTimeout(resolve, 200));
    if (this.behaviour === 'fail') {
      received.status = 500;
      response.writeHead(500, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (this.behaviour === 'unavailable-once') {
      this.behaviour = 'accept';
      received.status = 503;
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{}');
      return;
    }
    if (contentType.includes('json')) {
      const bytes = Buffer.concat(chunks);
      const body = JSON.parse((contentEncoding === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8'));
      if (path === '/v1/traces') this.spans.push(...flattenSpans(body));
      if (path === '/v1/metrics') this.metricExports.push(flattenMetrics(body));
    }
    response.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
    response.end(contentType.includes('json') ? '{}' : '');
  }
}

type OtlpAnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
};
type OtlpKeyValue = { key: string; value: OtlpAnyValue };

function valueOf(value: OtlpAnyValue | undefined): AttributeValue {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Attributes {
  const attributes: Attributes = {};
  for (const entry of list ?? []) attributes[entry.key] = valueOf(entry.value);
  return attributes;
}

/** The JSON exporter writes ids as hex strings; other encoders use base64. */
function idOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (/^[0-9a-f]+$/.test(value)) return value;
  return Buffer.from(value, 'base64').toString('hex');
}

function flattenSpans(body: any): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          name: span.name,
          kind: span.kind,
          traceId: idOf(span.traceId)!,
          spanId: idOf(span.spanId)!,
          parentSpanId: idOf(span.parentSpanId),
          startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano),
          attributes: attributesOf(span.attributes),
          events: (span.events ?? []).map((event: any) => ({
            name: event.name,
            timeNs: BigInt(event.timeUnixNano),
            attributes: attributesOf(event.attributes),
          })),
          status: { code: span.status?.code ?? 0, message: span.status?.message },
          resource,
        });
      }
    }
  }
  return spans;
}

function flattenMetrics(body: any): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = [];
  for (const resourceMetrics of body.resourceMetrics ?? []) {
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scopeMetrics.metrics ?? []) {
        metrics.push({
          name: metric.name,
          unit: metric.unit ?? '',
          histogram: (metric.histogram?.dataPoints ?? []).map((point: any) => ({
            attributes: attributesOf(point.attributes),
            count: Number(point.count),
            sum: Number(point.sum),
            bucketCounts: (point.bucketCounts ?? []).map(Number),
            bounds: (point.explicitBounds ?? []).map(Number),
          })),
          histogramTemporality: Number(metric.histogram?.aggregationTemporality ?? 0),
          sum: (metric.sum?.dataPoints ?? []).map((point: any) => ({
            attributes: attributesOf(point.attributes),
            value: Number(point.asInt ?? point.asDouble ?? 0),
          })),
        });
      }
    }
  }
  return metrics;
}
