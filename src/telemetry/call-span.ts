/**
 * The two spans of a call: the HTTP SERVER span for the client's request (child of the client's own
 * trace when it sent a W3C `traceparent`) and under it the GenAI CLIENT span `chat {model}` for the
 * upstream call, whose context goes upstream in `traceparent`. Both are created when the call starts,
 * so their ids exist for the upstream headers, and are given everything else when it ends.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { CallStart } from '../core/call-observer.ts';
import type { CallSummary } from './call-summary.ts';
import type { CapturedContent, HttpDetails } from './content-capture.ts';
import * as names from './semconv.ts';

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

export type CallSpans = { server: Span; client: Span };

export function startCallSpans(tracer: Tracer, start: CallStart): CallSpans {
  const parent =
    start.traceparent === undefined
      ? ROOT_CONTEXT
      : propagator.extract(ROOT_CONTEXT, { traceparent: start.traceparent, tracestate: start.tracestate }, carrierGetter);
  const server = tracer.startSpan(
    `${start.http.method} ${start.http.path}`,
    {
      kind: SpanKind.SERVER,
      startTime: start.startEpochMs,
      attributes: {
        [names.ATTR_HTTP_REQUEST_METHOD]: start.http.method,
        [names.ATTR_URL_PATH]: start.http.path,
        [names.ATTR_HTTP_ROUTE]: start.http.path,
      },
    },
    parent,
  );
  const client = tracer.startSpan(
    `chat ${start.upstreamModel}`,
    {
      kind: SpanKind.CLIENT,
      // From the request's arrival, like TTFT: the upstream call is what the client is waiting on.
      startTime: start.startEpochMs,
      attributes: {
        [names.ATTR_GEN_AI_OPERATION_NAME]: names.GEN_AI_OPERATION_CHAT,
        [names.ATTR_GEN_AI_PROVIDER_NAME]: start.providerType,
        [names.ATTR_GEN_AI_REQUEST_MODEL]: start.upstreamModel,
      },
    },
    trace.setSpan(parent, server),
  );
  return { server, client };
}

/** `traceparent` (and `tracestate`) of the CLIENT span, for the upstream request. */
export function upstreamTraceHeaders(spans: CallSpans): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, spans.client), headers, headerSetter);
  return headers;
}

export function endCallSpans(
  spans: CallSpans,
  summary: CallSummary,
  content: CapturedContent | undefined,
  http: HttpDetails | undefined,
): void {
  const { start, end } = summary;
  const endTime = summary.endEpochMs;
  const failed = summary.errorType !== undefined;

  const client = spans.client;
  if (end.target) client.updateName(`chat ${start.upstreamModel}`);
  client.setAttributes(clientAttributes(summary));
  for (const attempt of end.failedAttempts ?? []) {
    const attributes: Attributes = {
      [names.ATTR_LESSLLM_PROVIDER]: attempt.providerName,
      [names.ATTR_GEN_AI_REQUEST_MODEL]: attempt.upstreamModel,
      [names.ATTR_ERROR_TYPE]: attempt.errorType,
      [names.ATTR_LESSLLM_RETRY_DELAY_MS]: attempt.retryDelayMs,
    };
    if (attempt.status !== undefined) attributes[names.ATTR_HTTP_RESPONSE_STATUS_CODE] = attempt.status;
    client.addEvent(names.EVENT_LESSLLM_ATTEMPT, attributes, attempt.atEpochMs);
  }
  if (content) {
    client.addEvent(names.EVENT_LESSLLM_REQUEST, bodyAttributes(content.requestBody), start.startEpochMs);
    if (content.responseBody) client.addEvent(names.EVENT_LESSLLM_RESPONSE, bodyAttributes(content.responseBody), endTime);
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
    client.addEvent(names.EVENT_GEN_AI_OPERATION_DETAILS, details, endTime);
  }
  if (failed) {
    client.setAttribute(names.ATTR_ERROR_TYPE, summary.errorType!);
    client.setStatus({ code: SpanStatusCode.ERROR, message: end.cancelled ? 'the client disconnected' : end.error?.message });
  }
  client.end(endTime);

  const server = spans.server;
  server.setAttribute(names.ATTR_HTTP_RESPONSE_STATUS_CODE, end.status);
  server.setAttribute(names.ATTR_HTTP_RESPONSE_BODY_SIZE, end.responseBytes);
  if (start.http.clientAddress) server.setAttribute(names.ATTR_CLIENT_ADDRESS, start.http.clientAddress);
  const userAgent = start.http.headers['user-agent'];
  if (userAgent) server.setAttribute(names.ATTR_USER_AGENT_ORIGINAL, userAgent);
  if (http) {
    server.addEvent(
      names.EVENT_LESSLLM_HTTP,
      {
        [names.ATTR_HTTP_REQUEST_METHOD]: http.method,
        [names.ATTR_URL_PATH]: http.path,
        ...(http.client_address ? { [names.ATTR_CLIENT_ADDRESS]: http.client_address } : {}),
        [names.ATTR_HTTP_RESPONSE_STATUS_CODE]: http.status,
        [names.ATTR_HTTP_RESPONSE_BODY_SIZE]: http.response_bytes,
        [names.ATTR_LESSLLM_HTTP_REQUEST_HEADERS]: JSON.stringify(http.request_headers),
        [names.ATTR_LESSLLM_HTTP_RESPONSE_HEADERS]: JSON.stringify(http.response_headers),
      },
      endTime,
    );
  }
  // HTTP server conventions: a 4xx is the client's error, not the server's, so only 5xx (and a
  // disconnect, which left the response unfinished) mark the server span as failed.
  if (end.status >= 500 || end.cancelled || (failed && end.status < 400)) {
    server.setAttribute(names.ATTR_ERROR_TYPE, end.status >= 500 ? String(end.status) : summary.errorType!);
    server.setStatus({ code: SpanStatusCode.ERROR });
  } else if (end.status >= 400) {
    server.setAttribute(names.ATTR_ERROR_TYPE, String(end.status));
  }
  server.end(endTime);
}

function clientAttributes(summary: CallSummary): Attributes {
  const { start, end, usage } = summary;
  const attributes: Attributes = {
    // Set again at the end: after a fallback the target that answered is not the one the span began with.
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
