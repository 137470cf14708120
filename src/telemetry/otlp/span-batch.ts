/**
 * The spans of one OTLP export, encoded as they are added: protobuf bytes (OTLP's default) or JSON text
 * (OTEL_EXPORTER_OTLP_PROTOCOL=http/json). Encoding each span when its call is recorded, rather than a
 * batch of 512 at export time, spreads the work over the calls and leaves the export itself no work.
 *
 * A protobuf batch writes into a buffer that earlier batches used: allocating a fresh one for each batch
 * (and growing it to a few hundred KB) cost more than encoding the spans in it.
 */
import type { OtlpProtocol } from '../options.ts';
import type { ResourceRecord, ScopeRecord, SpanRecord } from '../span-record.ts';
import { assertNever } from '../../core/stream-events.ts';
import { ProtobufWriter } from './protobuf-writer.ts';
import { jsonRequest, spanJson } from './span-json.ts';
import { ProtobufEnvelope, writeSpan } from './span-protobuf.ts';

export interface SpanBatch {
  readonly spanCount: number;
  /** Bytes the encoded spans take (characters, for JSON text): what the export queue bounds. */
  readonly size: number;
  add(record: SpanRecord): void;
  /** The ExportTraceServiceRequest of the spans added; valid until `release`. */
  request(): Uint8Array;
  /** The request has been sent (or given up on): its memory may serve the next batch. */
  release(): void;
}

export type SpanBatchFactory = () => SpanBatch;

export function spanBatchFactory(protocol: OtlpProtocol, resource: ResourceRecord, scope: ScopeRecord): SpanBatchFactory {
  switch (protocol) {
    case 'http/protobuf': {
      const envelope = new ProtobufEnvelope(resource, scope);
      const spareWriters: ProtobufWriter[] = [];
      return () => new ProtobufSpanBatch(envelope, spareWriters);
    }
    case 'http/json':
      return () => new JsonSpanBatch(resource, scope);
    default:
      return assertNever(protocol);
  }
}

/** Buffers kept for reuse: one batch fills while another is sent. A buffer grown past `largestKept` is let go. */
const keptWriters = 2;
const largestKept = 8 * 1024 * 1024;

class ProtobufSpanBatch implements SpanBatch {
  spanCount = 0;
  private readonly envelope: ProtobufEnvelope;
  private readonly spareWriters: ProtobufWriter[];
  private readonly writer: ProtobufWriter;
  private sealed: Uint8Array | undefined;

  constructor(envelope: ProtobufEnvelope, spareWriters: ProtobufWriter[]) {
    this.envelope = envelope;
    this.spareWriters = spareWriters;
    this.writer = spareWriters.pop() ?? new ProtobufWriter(64 * 1024);
    this.writer.pos = envelope.headerRoom;
  }

  get size(): number {
    return this.writer.pos - this.envelope.headerRoom;
  }

  add(record: SpanRecord): void {
    const start = this.writer.pos;
    try {
      writeSpan(this.writer, record);
    } catch (error) {
      // Half a span would make the collector refuse the whole batch: the others are kept, the error goes on.
      this.writer.pos = start;
      throw error;
    }
    this.spanCount++;
  }

  request(): Uint8Array {
    // Sealing appends the trailers: once only.
    return (this.sealed ??= this.envelope.seal(this.writer, this.envelope.headerRoom));
  }

  release(): void {
    if (this.spareWriters.length < keptWriters && this.writer.bytes.length <= largestKept) this.spareWriters.push(this.writer);
  }
}

class JsonSpanBatch implements SpanBatch {
  spanCount = 0;
  size = 0;
  private readonly spans: string[] = [];
  private readonly resource: ResourceRecord;
  private readonly scope: ScopeRecord;

  constructor(resource: ResourceRecord, scope: ScopeRecord) {
    this.resource = resource;
    this.scope = scope;
  }

  add(record: SpanRecord): void {
    const text = spanJson(record);
    this.spans.push(text);
    this.size += text.length;
    this.spanCount++;
  }

  request(): Uint8Array {
    return jsonRequest(this.resource, this.scope, this.spans);
  }

  release(): void {}
}
