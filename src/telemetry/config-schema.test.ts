import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TelemetryConfigError, telemetryOptionsFromConfig } from './config-schema.ts';

describe('telemetry options from the config sections and OTEL_* variables', () => {
  it('starts with Prometheus only, content captured, service name lessllm', () => {
    const options = telemetryOptionsFromConfig({}, {});
    assert.equal(options.sdkEnabled, true);
    assert.equal(options.serviceName, 'lessllm');
    assert.equal(options.otlpTraces, undefined);
    assert.equal(options.otlpMetrics, undefined);
    assert.equal(options.captureContent, true);
    assert.equal(options.maxContentBytes, 65536);
    assert.deepEqual(options.sampler, { name: 'parentbased_always_on', ratio: 1 });
    assert.equal(options.log, undefined);
  });

  it('derives each signal endpoint from OTEL_EXPORTER_OTLP_ENDPOINT, signal variables winning', () => {
    const options = telemetryOptionsFromConfig(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:9999/custom',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a%20b,authorization=Bearer%20k',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      },
    );
    assert.deepEqual(options.otlpTraces, {
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/json',
      headers: { 'x-tenant': 'a b', authorization: 'Bearer k' },
      timeoutMillis: 2500,
      compression: 'none',
      certificateFiles: false,
    });
    assert.equal(options.otlpMetrics?.url, 'http://metrics:9999/custom');
    assert.equal(options.otlpMetrics?.protocol, 'http/protobuf');
  });

  it('honours OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES over the config', () => {
    const sections = { telemetry: { service_name: 'from-config' } };
    assert.equal(telemetryOptionsFromConfig(sections, {}).serviceName, 'from-config');
    const withResource = telemetryOptionsFromConfig(sections, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment=prod' });
    assert.equal(withResource.serviceName, 'from-resource');
    assert.equal(withResource.resourceAttributes['deployment.environment'], 'prod');
    assert.equal(telemetryOptionsFromConfig(sections, { OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }).serviceName, 'from-env');
  });

  it('turns the SDK, exporters and content capture off as the standard variables say', () => {
    assert.equal(telemetryOptionsFromConfig({}, { OTEL_SDK_DISABLED: 'TRUE' }).sdkEnabled, false);
    const none = telemetryOptionsFromConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' });
    assert.equal(none.otlpTraces, undefined);
    assert.ok(none.otlpMetrics);
    assert.equal(telemetryOptionsFromConfig({ telemetry: { capture_content: false } }, {}).captureContent, false);
    assert.equal(telemetryOptionsFromConfig({}, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false' }).captureContent, false);
    assert.equal(
      telemetryOptionsFromConfig({ telemetry: { capture_content: false } }, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }).captureContent,
      true,
    );
  });

  it('reads the sampler variables and refuses values the SDK would not understand', () => {
    assert.deepEqual(telemetryOptionsFromConfig({}, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampler, {
      name: 'traceidratio',
      ratio: 0.25,
    });
    assert.throws(() => telemetryOptionsFromConfig({}, { OTEL_TRACES_SAMPLER: 'sometimes' }), TelemetryConfigError);
    assert.throws(() => telemetryOptionsFromConfig({}, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }), /between|from 0 to 1/);
    assert.throws(() => telemetryOptionsFromConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /grpc is not supported/);
  });

  it('reads the metrics temporality preference (cumulative by default) and refuses one the specification does not define', () => {
    assert.equal(telemetryOptionsFromConfig({}, {}).metricTemporality, 'cumulative');
    assert.equal(telemetryOptionsFromConfig({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta' }).metricTemporality, 'delta');
    assert.equal(telemetryOptionsFromConfig({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' }).metricTemporality, 'lowmemory');
    assert.throws(() => telemetryOptionsFromConfig({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' }), TelemetryConfigError);
  });

  it('reads OTLP compression (refusing what the SDK cannot send) and notes configured certificate files', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    const plain = telemetryOptionsFromConfig({}, endpoint);
    assert.equal(plain.otlpTraces?.compression, 'none');
    assert.equal(plain.otlpTraces?.certificateFiles, false);
    const gzipTraces = telemetryOptionsFromConfig({}, { ...endpoint, OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'GZIP' });
    assert.equal(gzipTraces.otlpTraces?.compression, 'gzip');
    assert.equal(gzipTraces.otlpMetrics?.compression, 'none');
    assert.equal(telemetryOptionsFromConfig({}, { ...endpoint, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }).otlpMetrics?.compression, 'gzip');
    assert.throws(() => telemetryOptionsFromConfig({}, { ...endpoint, OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }), /zstd is not supported/);
    const withCertificate = telemetryOptionsFromConfig({}, { ...endpoint, OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/etc/ssl/collector.pem' });
    assert.equal(withCertificate.otlpTraces?.certificateFiles, true);
    assert.equal(withCertificate.otlpMetrics?.certificateFiles, false);
    assert.equal(telemetryOptionsFromConfig({}, { ...endpoint, OTEL_EXPORTER_OTLP_CLIENT_KEY: '/etc/ssl/key.pem' }).otlpMetrics?.certificateFiles, true);
  });

  it('reads the span limits as the SDK does: span variables over general ones, 0 allowed for counts, nonsense ignored', () => {
    assert.deepEqual(telemetryOptionsFromConfig({}, {}).spanLimits, {
      attributeValueLengthLimit: Infinity,
      attributeCountLimit: 128,
      eventCountLimit: 128,
      attributePerEventCountLimit: 128,
    });
    const options = telemetryOptionsFromConfig(
      {},
      {
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100',
        OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4096',
        OTEL_ATTRIBUTE_COUNT_LIMIT: '64',
        OTEL_SPAN_EVENT_COUNT_LIMIT: '0',
        OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT: 'many',
      },
    );
    assert.deepEqual(options.spanLimits, { attributeValueLengthLimit: 4096, attributeCountLimit: 64, eventCountLimit: 0, attributePerEventCountLimit: 128 });
  });

  it('maps pricing and log sections, with defaults', () => {
    const options = telemetryOptionsFromConfig(
      {
        pricing: { 'house-*': { input: 0.5, output: 1.5 }, 'gpt-4.1': { input: 1, output: 4, cache_read: 0.25, cache_write: 1 } },
        log: { database: 'sqlite:./calls.db', batch_size: 10 },
      },
      {},
    );
    assert.deepEqual(options.pricingOverrides['house-*'], { input: 0.5, output: 1.5, cacheRead: 0.5, cacheWrite: 0.5 });
    assert.deepEqual(options.pricingOverrides['gpt-4.1'], { input: 1, output: 4, cacheRead: 0.25, cacheWrite: 1 });
    assert.deepEqual(options.log, { database: { kind: 'sqlite', path: './calls.db' }, batchSize: 10, flushIntervalMs: 1000, queueLimit: 10000, queueTextLimit: 16 * 1024 * 1024 });
    const postgres = telemetryOptionsFromConfig({ log: { database: 'postgres://u:p@db:5432/lessllm' } }, {});
    assert.deepEqual(postgres.log?.database, { kind: 'postgres', url: 'postgres://u:p@db:5432/lessllm' });
  });

  it('names the field at fault', () => {
    assert.throws(() => telemetryOptionsFromConfig({ telemetry: { max_content_bytes: 10 } }, {}), /telemetry\.max_content_bytes: /);
    assert.throws(() => telemetryOptionsFromConfig({ telemetry: { capture: true } }, {}), /telemetry/);
    assert.throws(() => telemetryOptionsFromConfig({ pricing: { 'gpt-x': { input: -1, output: 1 } } }, {}), /pricing\.gpt-x\.input: /);
    assert.throws(() => telemetryOptionsFromConfig({ log: { database: 'mysql://x' } }, {}), /log\.database: /);
  });
});
