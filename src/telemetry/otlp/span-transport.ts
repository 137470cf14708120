/**
 * How span batches leave: the OpenTelemetry SDK's OTLP/HTTP export delegate (retries with backoff and
 * Retry-After, the timeout, headers, partial-success warnings, the exporter's own metrics) over one of
 * the SDK's two HTTP transports.
 *
 * On Bun it is the SDK's `fetch` transport. Bun's `node:http` client, which the other transport uses,
 * moves the body through JavaScript streams: sending one benchmark batch (820 KB, the spans of 256
 * calls) to a local collector cost the process 1.9 ms of CPU against 0.7 ms with `fetch`, and held the
 * event loop for 1–3 ms, where `fetch` hands the bytes to Bun's HTTP thread in a quarter of a
 * millisecond. The fetch transport neither compresses nor loads certificate files, so with
 * OTEL_EXPORTER_OTLP_COMPRESSION=gzip or an OTEL_EXPORTER_OTLP_*CERTIFICATE / *CLIENT_KEY variable set,
 * and on Node and Deno, whose `node:http` is their own, batches go over `node:http`.
 */
import type { CompressionAlgorithm, IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { createLegacyOtlpBrowserExportDelegate } from '@opentelemetry/otlp-exporter-base/browser-http';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import type { ISerializer } from '@opentelemetry/otlp-transformer';
import { currentRuntime } from '../../runtime/current-runtime.ts';
import type { OtlpTarget } from '../options.ts';

type SpanTransportKind = 'fetch' | 'node:http';

/** The transport span batches to `target` leave by on this runtime. */
function spanTransportKind(target: OtlpTarget): SpanTransportKind {
  const fetchWillDo = target.compression === 'none' && !target.certificateFiles;
  return currentRuntime() === 'bun' && fetchWillDo ? 'fetch' : 'node:http';
}

export function createSpanExportDelegate<Request, Response>(
  target: OtlpTarget,
  serializer: ISerializer<Request, Response>,
  countSpans: (request: Request) => number,
): IOtlpExportDelegate<Request> {
  const json = target.protocol === 'http/json';
  const requiredHeaders = { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' };
  const { url, headers, timeoutMillis, compression } = target;
  // The names the SDK's own exporters give their self-observability metrics.
  const componentType = json ? 'otlp_http_json_span_exporter' : 'otlp_http_span_exporter';
  const counting = { name: 'span' as const, countItems: countSpans };
  const kind = spanTransportKind(target);
  switch (kind) {
    case 'fetch':
      return createLegacyOtlpBrowserExportDelegate({ url, headers, timeoutMillis }, serializer, componentType, counting, undefined, 'v1/traces', requiredHeaders);
    case 'node:http':
      return createOtlpHttpExportDelegate(
        convertLegacyHttpOptions({ url, headers, timeoutMillis, compression: compression as CompressionAlgorithm }, 'TRACES', 'v1/traces', requiredHeaders),
        serializer,
        componentType,
        counting,
        undefined,
      );
    default: {
      const unknownKind: never = kind;
      throw new Error(`unknown span transport ${String(unknownKind)}`);
    }
  }
}
