/**
 * A real OTLP/HTTP receiver for a test file's spans, and telemetry pointed at it (OTLP JSON, traces only):
 * call `useSpanExport()` at the top of the file, then `startTelemetry()` in each test and `exported()`
 * to shut it down and get each call's SERVER and CLIENT spans.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { createTelemetry, telemetryOptionsFromConfig, type Telemetry } from '../../../src/telemetry/index.ts';
import { OtlpReceiver, SPAN_KIND_CLIENT, type ReceivedSpan } from './otlp-receiver.ts';

export type CallSpans = { server: ReceivedSpan; client: ReceivedSpan };

export type SpanExport = {
  readonly receiver: OtlpReceiver;
  startTelemetry(environment?: Record<string, string>, sections?: Record<string, unknown>): Promise<Telemetry>;
  /** Shuts telemetry down (which exports everything) and returns the pair of spans of each call. */
  exported(telemetry: Telemetry, expectedCalls?: number): Promise<CallSpans[]>;
};

export function useSpanExport(): SpanExport {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await OtlpReceiver.start();
  });
  after(async () => {
    await receiver.stop();
  });
  beforeEach(() => receiver.reset());
  return {
    get receiver() {
      return receiver;
    },
    startTelemetry(environment = {}, sections = {}) {
      const options = telemetryOptionsFromConfig(sections, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRICS_EXPORTER: 'none',
        ...environment,
      });
      return createTelemetry(options);
    },
    async exported(telemetry, expectedCalls = 1) {
      await telemetry.shutdown();
      assert.equal(receiver.spans.length, expectedCalls * 2, `spans: ${receiver.spans.map((span) => span.name).join(', ')}`);
      return receiver.spans
        .filter((span) => span.kind === SPAN_KIND_CLIENT)
        .map((client) => ({ client, server: receiver.spans.find((span) => span.spanId === client.parentSpanId)! }));
    },
  };
}

export const eventNamed = (span: ReceivedSpan, name: string) => span.events.find((event) => event.name === name);

export const jsonOf = (value: unknown) => JSON.parse(String(value));

export function assertClose(actual: unknown, expected: number): void {
  assert.equal(typeof actual, 'number', `expected a number, got ${JSON.stringify(actual)}`);
  assert.ok(Math.abs((actual as number) - expected) < 1e-9 + 1e-6 * Math.abs(expected), `${actual} ≠ ${expected}`);
}

/** An OpenAI streaming request with the parameters that become span attributes. */
export const openAiStreamBody = {
  model: 'gpt-4.1',
  stream: true,
  stream_options: { include_usage: true },
  max_completion_tokens: 256,
  temperature: 0.3,
  top_p: 0.9,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello' },
  ],
};
