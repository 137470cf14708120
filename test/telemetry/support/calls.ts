/**
 * Calls for driving the observer directly, as the gateway would: a CallStart from a real request body
 * (decoded by the real protocol), canonical events decoded by the real stream decoder from the SSE bytes
 * an upstream sends (test/support/upstream-answers.ts), and a CallEnd. Timestamps are explicit, so the
 * timings the observer reports can be checked exactly.
 */
import type { CallEnd, CallStart, CallTrace, ClientProtocolName, RouteKind } from '../../../src/core/call-observer.ts';
import type { GatewayError } from '../../../src/core/gateway-error.ts';
import { createSseTap } from '../../../src/core/sse.ts';
import type { StreamEvent } from '../../../src/core/stream-events.ts';
import { anthropicMessagesProtocol } from '../../../src/protocols/anthropic-messages/index.ts';
import { openAiChatProtocol } from '../../../src/protocols/openai-chat/index.ts';
import type { Protocol } from '../../../src/protocols/protocol.ts';
import { anthropicEvents, anthropicSse, openAiChunks, openAiSse, type AnswerScript } from '../../support/upstream-answers.ts';

export const protocols: Record<ClientProtocolName, Protocol> = {
  'openai-chat': openAiChatProtocol,
  'anthropic-messages': anthropicMessagesProtocol,
};

export type StartOptions = {
  protocol: ClientProtocolName;
  body: Record<string, unknown>;
  upstreamProtocol?: ClientProtocolName;
  routeKind?: RouteKind;
  providerName?: string;
  providerType?: string;
  upstreamModel?: string;
  upstreamUrl?: string;
  traceparent?: string;
  headers?: Record<string, string>;
  /** How long ago the request arrived, in ms (timings are measured from then). */
  startedMsAgo?: number;
};

export function callStart(options: StartOptions): CallStart {
  const protocol = protocols[options.protocol];
  const rawRequestBody = JSON.stringify(options.body);
  const ago = options.startedMsAgo ?? 0;
  const upstreamProtocol = options.upstreamProtocol ?? options.protocol;
  return {
    startEpochMs: Date.now() - ago,
    startMonotonicMs: performance.now() - ago,
    clientProtocol: options.protocol,
    upstreamProtocol,
    routeKind: options.routeKind ?? (upstreamProtocol === options.protocol ? 'passthrough' : 'converted'),
    providerName: options.providerName ?? 'upstream',
    providerType: options.providerType ?? (upstreamProtocol === 'openai-chat' ? 'openai' : 'anthropic'),
    requestedModel: String(options.body.model),
    upstreamModel: options.upstreamModel ?? String(options.body.model),
    stream: options.body.stream === true,
    rawRequestBody,
    requestBody: options.body,
    canonicalRequest: () => protocol.decodeRequest(options.body),
    upstreamUrl: new URL(options.upstreamUrl ?? 'https://api.example.test/v1/chat/completions'),
    http: {
      method: 'POST',
      path: options.protocol === 'openai-chat' ? '/v1/chat/completions' : '/v1/messages',
      clientAddress: '127.0.0.1',
      headers: { 'content-type': 'application/json', 'user-agent': 'telemetry-test/1.0', ...(options.headers ?? {}) },
    },
    traceparent: options.traceparent,
    tracestate: undefined,
  };
}

/** The canonical events an upstream's stream decodes into, through the real decoder of its protocol. */
export function upstreamEvents(protocol: ClientProtocolName, script: AnswerScript, options: { withUsage?: boolean } = {}): StreamEvent[] {
  const sse =
    protocol === 'openai-chat' ? openAiSse(openAiChunks(script, options.withUsage ?? true)) : anthropicSse(anthropicEvents(script));
  const decoder = protocols[protocol].createStreamDecoder();
  const events: StreamEvent[] = [];
  const tap = createSseTap((message) => decoder.push(message, (event) => events.push(event)));
  tap.feed(new TextEncoder().encode(sse));
  tap.end();
  decoder.end((event) => events.push(event));
  return events;
}

export type Timing = {
  /** ms from the start to the first content event. */
  ttftMs: number;
  /** ms between consecutive content events after the first. */
  stepMs: number;
  /** ms from the last event to the end of the call. */
  tailMs?: number;
};

export type EndOptions = {
  status?: number;
  error?: GatewayError;
  cancelled?: boolean;
  responseBody?: string;
  unreadBody?: Uint8Array;
  responseHeaders?: Record<string, string>;
  responseBytes?: number;
  chunkCount?: number;
  overheadMs?: number;
};

/**
 * Feeds the events at the given pace (start + ttft for the first content event, then one step per content
 * event; non-content events share the time of the event before) and ends the call. Returns the end time.
 */
export function play(trace: CallTrace, start: CallStart, events: StreamEvent[], timing: Timing, end: EndOptions = {}): number {
  let now = start.startMonotonicMs;
  let contentSeen = false;
  for (const event of events) {
    const isContent =
      (event.type === 'text-delta' || event.type === 'reasoning-delta') ? event.text.length > 0
      : event.type === 'tool-call-delta' ? event.argumentsDelta.length > 0
      : event.type === 'tool-call-start' || event.type === 'redacted-reasoning';
    if (isContent) {
      now = contentSeen ? now + timing.stepMs : start.startMonotonicMs + timing.ttftMs;
      contentSeen = true;
    }
    trace.onEvent(event, now);
  }
  const endMonotonicMs = now + (timing.tailMs ?? 0);
  trace.end(callEnd(endMonotonicMs, end));
  return endMonotonicMs;
}

export function callEnd(endMonotonicMs: number, options: EndOptions = {}): CallEnd {
  return {
    endMonotonicMs,
    status: options.status ?? 200,
    error: options.error,
    cancelled: options.cancelled ?? false,
    responseHeaders: options.responseHeaders ?? { 'content-type': 'text/event-stream' },
    responseBytes: options.responseBytes ?? 1234,
    chunkCount: options.chunkCount ?? 10,
    overheadMs: options.overheadMs ?? 0.4,
    responseBody: options.responseBody,
    unreadBody: options.unreadBody,
  };
}

/** Lets the observer finish what it records on a later turn of the event loop. */
export function settle(ms = 5): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
