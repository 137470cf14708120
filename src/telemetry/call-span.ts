/**
 * The two spans of a call: the HTTP SERVER span for the client's request (child of the client's own
 * trace when it sent a W3C `traceparent`) and under it the GenAI CLIENT span `chat {model}` for the
 * upstream call, whose context goes upstream in `traceparent`. Their ids and sampling decisions are made
 * when the call starts (the upstream needs them); the spans themselves are built in one piece when it
 * ends, as plain records (span-record.ts) that are encoded for OTLP at once (otlp/span-exporter.ts).
 *
 * Why not the SDK's Span objects: a span is written attribute by attribute through validating setters,
 * and then read again by the exporter; for lessllm's two spans per call that was about 9 % of the event
 * loop's time with spans exported, and building the records directly saved it some 6 µs per call. What
 * the SDK's spans would add is kept: the configured sampler decides (through the SDK's own Sampler
 * classes), ids come from its RandomIdGenerator, and the span limits are applied as it applies them
 * (span-limits.ts).
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type SpanContext,
  type SpanStatus,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator, hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import { SamplingDecision, type IdGenerator, type Sampler, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { CallStart } from '../core/call-observer.ts';
import type { CallSummary } from './call-summary.ts';
import type { CapturedContent, HttpDetails } from './content-capture.ts';
import * as names from './semconv.ts';
import { limitAttributes, limitEvents, type SpanLimits } from './span-limits.ts';
import { contextRecordOf, type SpanRecord } from './span-record.ts';

const propagator = new W3CTraceContextPropagator();

type Carrier = { traceparent?: string; tracestate?: string };
const carrierGetter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};
const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** What spans are made with: the configured sampler, the SDK's id generator, the span limits. */
export type Tracing = { sampler: Sampler; ids: IdGenerator; limits: SpanLimits };

export type StartedSpan = { context: SpanContext; samplerAttributes: Attributes | undefined };

export type CallSpans = {
  /** The client's span, when it sent a valid `traceparent`. */
  parent: SpanContext | undefined;
  server: StartedSpan;
  client: StartedSpan;
};

// The built-in samplers lessllm configures decide by trace id and parent only; the SDK would pass the
// span's first attributes, which none of them reads.
const noAttributes: Attributes = Object.freeze({});

export function startCallSpans(tracing: Tracing, start: CallStart): CallSpans {
  const parentContext =
    start.traceparent === undefined
      ? ROOT_CONTEXT
      : propagator.extract(ROOT_CONTEXT, { traceparent: start.traceparent, tracestate: start.tracestate }, carrierGetter);
  const remoteParent = trace.getSpanContext(parentContext);
  const parent = remoteParent && isSpanContextValid(remoteParent) ? remoteParent : undefined;
  const traceId = parent?.traceId ?? tracing.ids.generateTraceId();
  const server = startSpan(tracing, parentContext, traceId, parent?.traceState, serverSpanName(start), SpanKind.SERVER);
  const client = startSpan(
    tracing,
    trace.setSpanContext(parentContext, server.context),
    traceId,
    server.context.traceState,
    clientSpanName(start),
    SpanKind.CLIENT,
  );
  return { parent, server, client };
}

/**
 * Named when the spans start (the sampler sees the name) and again when they end, from the summary's start,
 * which after a fallback carries the target that answered.
 */
const serverSpanName = (start: CallStart) => `${start.http.method} ${start.http.path}`;
const clientSpanName = (start: CallStart) => `chat ${start.upstreamModel}`;

/** As the SDK's tracer starts a span: a new span id, and the sampler's decision on it. */
function startSpan(tracing: Tracing, parentContext: Context, traceId: string, traceState: SpanContext['traceState'], name: string, kind: SpanKind): StartedSpan {
  const decision = tracing.sampler.shouldSample(parentContext, traceId, name, kind, noAttributes, []);
  const traceFlags = decision.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
  const context: SpanContext = { traceId, spanId: tracing.ids.generateSpanId(), traceFlags };
  const state = decision.traceState ?? traceState;
  if (state) context.traceState = state;
  return { context, samplerAttributes: decision.attributes };
}

/** Whether any of the call's spans is to be exported (an unsampled span is only there for its ids). */
export function isSampled(spans: CallSpans): boolean {
  return ((spans.server.context.traceFlags | spans.client.context.traceFlags) & TraceFlags.SAMPLED) !== 0;
}

/** `traceparent` (and `tracestate`) of the CLIENT span, for the upstream request. */
export function upstreamTraceHeaders(spans: CallSpans): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spans.client.context), headers, headerSetter);
  return headers;
}

/** The sampled ones of the call's two spans, complete, as records for export. */
export function callSpanRecords(
  tracing: Tracing,
  spans: CallSpans,
  summary: CallSummary,
  content: CapturedContent | undefined,
  http: HttpDetails | undefined,
): SpanRecord[] {
  const { start, end } = summary;
  const startTime = millisToHrTime(start.startEpochMs);
  // A clock that stepped back must not give a negative duration (the SDK ends such a span at its start).
  const endTime = millisToHrTime(Math.max(start.startEpochMs, summary.endEpochMs));
  const failed = summary.errorType !== undefined;
  const records: SpanRecord[] = [];

  if (spans.client.context.traceFlags & TraceFlags.SAMPLED) {
    const attributes = clientAttributes(summary);
    let status: SpanStatus = { code: SpanStatusCode.UNSET };
    if (failed) {
      attributes[names.ATTR_ERROR_TYPE] = summary.errorType!;
      const message = end.cancelled ? 'the client disconnected' : end.error?.message;
      status = message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message };
    }
    records.push(
      spanRecord(tracing, spans.client, spans.server.context, {
        name: clientSpanName(start),
        kind: SpanKind.CLIENT,
        startTime,
        endTime,
        status,
        attributes,
        events: clientEvents(summary, content, startTime, endTime),
      }),
    );
  }

  if (spans.server.context.traceFlags & TraceFlags.SAMPLED) {
    const attributes: Attributes = {
      [names.ATTR_HTTP_REQUEST_METHOD]: start.http.method,
      [names.ATTR_URL_PATH]: start.http.path,
      [names.ATTR_HTTP_ROUTE]: start.http.path,
      [names.ATTR_HTTP_RESPONSE_STATUS_CODE]: end.status,
      [names.ATTR_HTTP_RESPONSE_BODY_SIZE]: end.responseBytes,
    };
    if (start.http.clientAddress) attributes[names.ATTR_CLIENT_ADDRESS] = start.http.clientAddress;
    const userAgent = start.http.headers['user-agent'];
    if (userAgent) attributes[names.ATTR_USER_AGENT_ORIGINAL] = userAgent;
    let status: SpanStatus = { code: SpanStatusCode.UNSET };
    // HTTP server conventions: a 4xx is the client's error, not the server's, so only 5xx (and a
    // disconnect, which left the response unfinished) mark the server span as failed.
    if (end.status >= 500 || end.cancelled || (failed && end.status < 400)) {
      attributes[names.ATTR_ERROR_TYPE] = end.status >= 500 ? String(end.status) : summary.errorType!;
      status = { code: SpanStatusCode.ERROR };
    } else if (end.status >= 400) {
      attributes[names.ATTR_ERROR_TYPE] = String(end.status);
    }
    const events: TimedEvent[] = [];
    if (http) {
      const details: Attributes = {
        [names.ATTR_HTTP_REQUEST_METHOD]: http.method,
        [names.ATTR_URL_PATH]: http.path,
      };
      if (http.client_address) details[names.ATTR_CLIENT_ADDRESS] = http.client_address;
      details[names.ATTR_HTTP_RESPONSE_STATUS_CODE] = http.status;
      details[names.ATTR_HTTP_RESPONSE_BODY_SIZE] = http.response_bytes;
      details[names.ATTR_LESSLLM_HTTP_REQUEST_HEADERS] = JSON.stringify(http.request_headers);
      details[names.ATTR_LESSLLM_HTTP_RESPONSE_HEADERS] = JSON.stringify(http.response_headers);
      events.push(timedEvent(names.EVENT_LESSLLM_HTTP, details, endTime));
    }
    records.push(
      spanRecord(tracing, spans.server, spans.parent, {
        name: serverSpanName(start),
        kind: SpanKind.SERVER,
        startTime,
        endTime,
        status,
        attributes,
        events,
      }),
    );
  }
  return records;
}

export type SpanContent = Pick<SpanRecord, 'name' | 'kind' | 'startTime' | 'endTime' | 'status' | 'attributes' | 'events'>;

/** One ended span as a record, within the span limits (exported for the test that compares it with the SDK's spans). */
export function spanRecord(tracing: Tracing, span: StartedSpan, parent: SpanContext | undefined, content: SpanContent): SpanRecord {
  const allAttributes = span.samplerAttributes ? { ...span.samplerAttributes, ...content.attributes } : content.attributes;
  const { attributes, droppedAttributesCount } = limitAttributes(allAttributes, tracing.limits.attributeCountLimit, tracing.limits);
  const { events, droppedEventsCount } = limitEvents(content.events, tracing.limits);
  const record: SpanRecord = {
    name: content.name,
    kind: content.kind,
    context: contextRecordOf(span.context),
    startTime: content.startTime,
    endTime: content.endTime,
    duration: hrTimeDuration(content.startTime, content.endTime),
    status: content.status,
    attributes,
    events,
    links: [],
    droppedAttributesCount,
    droppedEventsCount,
    droppedLinksCount: 0,
  };
  if (parent) record.parent = contextRecordOf(parent);
  return record;
}

function timedEvent(name: string, attributes: Attributes, time: SpanRecord['startTime']): TimedEvent {
  return { name, attributes, time, droppedAttributesCount: 0 };
}

function clientEvents(summary: CallSummary, content: CapturedContent | undefined, startTime: SpanRecord['startTime'], endTime: SpanRecord['endTime']): TimedEvent[] {
  const { end } = summary;
  const events: TimedEvent[] = [];
  for (const attempt of end.failedAttempts ?? []) {
    const attributes: Attributes = {
      [names.ATTR_LESSLLM_PROVIDER]: attempt.providerName,
      [names.ATTR_GEN_AI_REQUEST_MODEL]: attempt.upstreamModel,
      [names.ATTR_ERROR_TYPE]: attempt.errorType,
      [names.ATTR_LESSLLM_RETRY_DELAY_MS]: attempt.retryDelayMs,
    };
    if (attempt.status !== undefined) attributes[names.ATTR_HTTP_RESPONSE_STATUS_CODE] = attempt.status;
    events.push(timedEvent(names.EVENT_LESSLLM_ATTEMPT, attributes, millisToHrTime(attempt.atEpochMs)));
  }
  if (!content) return events;
  events.push(timedEvent(names.EVENT_LESSLLM_REQUEST, bodyAttributes(content.requestBody), startTime));
  if (content.responseBody) events.push(timedEvent(names.EVENT_LESSLLM_RESPONSE, bodyAttributes(content.responseBody), endTime));
  const details: Attributes = { [names.ATTR_GEN_AI_OPERATION_NAME]: names.GEN_AI_OPERATION_CHAT };
  let truncated = false;
  if (content.inputMessages) {
    details[names.ATTR_GEN_AI_INPUT_MESSAGES] = content.inputMessages.text;
    truncated ||= content.inputMessages.truncated;
  }
  if (content.outputMessages) {
    details[names.ATTR_GEN_AI_OUTPUT_MESSAGES] = content.outputMessages.text;
    truncated ||= content.outputMessages.truncated;
  }
  if (content.systemInstructions) {
    details[names.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = content.systemInstructions.text;
    truncated ||= content.systemInstructions.truncated;
  }
  if (truncated) details[names.ATTR_LESSLLM_TRUNCATED] = true;
  events.push(timedEvent(names.EVENT_GEN_AI_OPERATION_DETAILS, details, endTime));
  return events;
}

function clientAttributes(summary: CallSummary): Attributes {
  const { start, end, usage } = summary;
  const attributes: Attributes = {
    [names.ATTR_GEN_AI_OPERATION_NAME]: names.GEN_AI_OPERATION_CHAT,
    // The target that answered: after a fallback not the one the call began with.
    [names.ATTR_GEN_AI_PROVIDER_NAME]: start.providerType,
    [names.ATTR_GEN_AI_REQUEST_MODEL]: start.upstreamModel,
    [names.ATTR_GEN_AI_REQUEST_STREAM]: start.stream,
    [names.ATTR_LESSLLM_CLIENT_PROTOCOL]: start.clientProtocol,
    [names.ATTR_LESSLLM_ROUTE]: start.routeKind,
    [names.ATTR_LESSLLM_PROVIDER]: start.providerName,
    [names.ATTR_LESSLLM_CLIENT_MODEL]: start.requestedModel,
    [names.ATTR_LESSLLM_CHUNK_COUNT]: end.chunkCount,
    [names.ATTR_LESSLLM_RESPONSE_BYTES]: end.responseBytes,
    [names.ATTR_LESSLLM_OVERHEAD]: end.overheadMs / 1000,
    [names.ATTR_LESSLLM_COST_USD]: summary.cost.usd,
    [names.ATTR_LESSLLM_COST_KNOWN]: summary.cost.known,
  };
  if (start.upstreamProtocol) attributes[names.ATTR_LESSLLM_UPSTREAM_PROTOCOL] = start.upstreamProtocol;
  if (start.keyName !== undefined) attributes[names.ATTR_LESSLLM_KEY_NAME] = start.keyName;
  if (end.attempts !== undefined) attributes[names.ATTR_LESSLLM_ATTEMPTS] = end.attempts;
  if (end.timeout !== undefined) attributes[names.ATTR_LESSLLM_TIMEOUT] = end.timeout;
  if (start.upstreamUrl) {
    attributes[names.ATTR_SERVER_ADDRESS] = start.upstreamUrl.hostname;
    attributes[names.ATTR_SERVER_PORT] = Number(start.upstreamUrl.port) || (start.upstreamUrl.protocol === 'https:' ? 443 : 80);
  }
  const body = start.requestBody;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') attributes[names.ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  if (typeof body.temperature === 'number') attributes[names.ATTR_GEN_AI_REQUEST_TEMPERATURE] = body.temperature;
  if (typeof body.top_p === 'number') attributes[names.ATTR_GEN_AI_REQUEST_TOP_P] = body.top_p;
  if (typeof body.top_k === 'number') attributes[names.ATTR_GEN_AI_REQUEST_TOP_K] = body.top_k;
  if (summary.response?.id) attributes[names.ATTR_GEN_AI_RESPONSE_ID] = summary.response.id;
  if (summary.responseModel) attributes[names.ATTR_GEN_AI_RESPONSE_MODEL] = summary.responseModel;
  if (summary.finishReasons.length > 0) attributes[names.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = summary.finishReasons;
  if (usage) {
    attributes[names.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.inputTokens;
    attributes[names.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.outputTokens;
    attributes[names.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheReadTokens;
    attributes[names.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheWriteTokens;
    if (usage.reasoningTokens !== undefined) attributes[names.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoningTokens;
    attributes[names.ATTR_LESSLLM_USAGE_ESTIMATED] = summary.usageEstimated;
  }
  if (summary.ttftMs !== undefined) {
    attributes[names.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = summary.ttftMs / 1000;
    attributes[names.ATTR_LESSLLM_TTFT] = summary.ttftMs / 1000;
  }
  if (summary.tpotMs !== undefined) attributes[names.ATTR_LESSLLM_TPOT] = summary.tpotMs / 1000;
  if (summary.outputTokensPerSecond !== undefined) attributes[names.ATTR_LESSLLM_TOKENS_PER_SECOND] = summary.outputTokensPerSecond;
  return attributes;
}

function bodyAttributes(body: { text: string; truncated: boolean }): Attributes {
  return body.truncated ? { [names.ATTR_LESSLLM_BODY]: body.text, [names.ATTR_LESSLLM_TRUNCATED]: true } : { [names.ATTR_LESSLLM_BODY]: body.text };
}
