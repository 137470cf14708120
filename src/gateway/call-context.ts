/** Everything one chat call carries from arrival to its last byte, and how it ends. */
import type { CallTarget, CallTrace, FailedAttempt } from '../core/call-observer.ts';
import { GatewayError } from '../core/gateway-error.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { Protocol } from '../protocols/protocol.ts';
import type { CallAbort } from './call-abort.ts';
import type { CallDeadlines } from './call-deadlines.ts';
import type { UpstreamPlan } from './upstream-attempts.ts';
import { headersWithoutSecrets } from './http-headers.ts';

export type CallContext = {
  clientProtocol: Protocol;
  incoming: Request;
  rawBody: string;
  body: Record<string, unknown>;
  stream: boolean;
  trace: CallTrace;
  /** Whether telemetry records the call: the end it is told is gathered only then (CallObserver.recordsCalls). */
  recorded: boolean;
  /** performance.now() at arrival. */
  startedAt: number;
  /**
   * Aborts the upstream request: the whole call on client disconnect, the total timeout, shutdown, or
   * when the response is stopped early; a try alone on its own timeouts.
   */
  upstreamAbort: CallAbort;
  /**
   * Stops treating the request's abort signal as a disconnect. Called once a streaming response is
   * handed over (from then on the stream's own cancel reports disconnects; Deno's request.signal also
   * fires after a successful response, which must not abort anything) and when the call ends.
   */
  stopWatchingClient: () => void;
  /**
   * performance.now() when the first upstream request went out (or a local answer began), and when the
   * upstream was last heard from (an answer, a chunk, the end of its stream, a failure). What lies
   * between is the upstream's time, retries included; the rest of the call is lessllm's (overheadMsOf).
   */
  upstreamSentAt?: number;
  upstreamHeardAt?: number;
  /** performance.now() when the response was handed over whole, when that is before the call is reported. */
  respondedAt?: number;
  ended: boolean;
  /** The configured timeouts, armed per phase of the call. */
  deadlines: CallDeadlines;
  /** The signal of the current (or last) upstream request: aborted by the call's abort or by the try's own timeouts. */
  upstreamSignal?: AbortSignal;
  /** Upstream requests sent so far. */
  attempts: number;
  failedAttempts: FailedAttempt[];
  /** The target being tried, or that answered. */
  currentPlan?: UpstreamPlan;
  /** The key has a tokens-per-minute limit: usage must be known when the call ends, not later. */
  chargesTokens: boolean;
  /** Removes configured upstream keys from text that came from an upstream (error bodies). */
  redact: (text: string) => string;
  /** Called once when the call ends (rate-limit accounting, the shutdown registry). */
  onEnd?: (usage: { inputTokens: number; outputTokens: number } | undefined) => void;
};

export type CallOutcome = {
  status: number;
  error?: GatewayError;
  cancelled?: boolean;
  responseHeaders: Headers;
  responseBytes: number;
  chunkCount: number;
  responseBody?: string;
  /** A complete answer forwarded unread (passthrough): see CallEnd.unreadBody. */
  unreadBody?: Uint8Array;
  /** Tokens the call used, when known here (for per-key token limits). */
  usage?: { inputTokens: number; outputTokens: number };
};

/** Ends the call, exactly once: its deadlines, the shutdown registry and the key's limits, and telemetry when it records the call. */
export function endCall(context: CallContext, outcome: CallOutcome): void {
  if (context.ended) return;
  context.ended = true;
  context.stopWatchingClient();
  context.deadlines.clear();
  if (context.recorded) reportEnd(context, outcome);
  context.onEnd?.(outcome.usage);
}

/** Tells telemetry how the call ended. */
function reportEnd(context: CallContext, outcome: CallOutcome): void {
  const endMonotonicMs = context.respondedAt ?? performance.now();
  context.trace.end({
    endMonotonicMs,
    status: outcome.status,
    error: outcome.error,
    cancelled: outcome.cancelled ?? false,
    responseHeaders: headersWithoutSecrets(outcome.responseHeaders),
    responseBytes: outcome.responseBytes,
    chunkCount: outcome.chunkCount,
    overheadMs: overheadMsOf(context, endMonotonicMs, outcome.cancelled ?? false),
    responseBody: outcome.responseBody,
    unreadBody: outcome.unreadBody,
    target: context.currentPlan ? targetOf(context.currentPlan) : undefined,
    attempts: context.attempts,
    failedAttempts: context.failedAttempts,
    timeout: context.deadlines.fired,
  });
}

/** Notes that the upstream (or the local answer) was just heard from. */
export function heardFromUpstream(context: CallContext): void {
  context.upstreamHeardAt = performance.now();
}

/**
 * The time lessllm added to the call: from arrival to the response handed over, less the time from the
 * first upstream request to the upstream's last word. Measured at the edges, so what a client waits for
 * beyond the upstream is in it: parsing and conversion, but also the turns of the event loop the call
 * waited for while other calls' work ran (per-chunk work overlaps the upstream's own pace and counts
 * only where it delays the end). A call the client left was waiting on the upstream until it ended.
 */
function overheadMsOf(context: CallContext, endMonotonicMs: number, cancelled: boolean): number {
  const total = endMonotonicMs - context.startedAt;
  if (context.upstreamSentAt === undefined) return total;
  const upstream = (cancelled ? endMonotonicMs : (context.upstreamHeardAt ?? endMonotonicMs)) - context.upstreamSentAt;
  return Math.max(0, total - upstream);
}

function targetOf(plan: UpstreamPlan): CallTarget {
  return {
    providerName: plan.target.provider.name,
    providerType: plan.target.provider.type,
    upstreamModel: plan.target.upstreamModel,
    upstreamProtocol: plan.endpoint.protocol.name as CallTarget['upstreamProtocol'],
    routeKind: plan.routeKind,
    upstreamUrl: new URL(plan.endpoint.url),
  };
}

/** The GatewayError an abort of the upstream request carried: a timeout (the try's or the call's) or shutdown. */
export function abortReason(context: CallContext): GatewayError | undefined {
  for (const signal of [context.upstreamSignal, context.upstreamAbort.signal]) {
    if (signal?.aborted && signal.reason instanceof GatewayError) return signal.reason;
  }
  return undefined;
}

/**
 * The in-band error for an upstream stream that stopped delivering: a timeout or shutdown says so
 * itself (the abort's reason); anything else is a broken connection.
 */
export function streamBreakError(context: CallContext, sourceError: unknown): GatewayError {
  const aborted = abortReason(context);
  if (aborted) return aborted;
  const reason = sourceError instanceof Error ? sourceError.message : String(sourceError);
  return new GatewayError('bad_gateway', `The upstream connection broke in the middle of the stream: ${context.redact(reason)}`);
}

/** The error with configured upstream keys masked in its message (the same error when none occurs). */
export function redactedError(context: CallContext, error: GatewayError): GatewayError {
  const message = context.redact(error.message);
  if (message === error.message) return error;
  return new GatewayError(error.kind, message, {
    status: error.status,
    param: error.param,
    code: error.code,
    retryAfter: error.retryAfter,
    upstreamHeaders: error.upstreamHeaders,
    upstreamType: error.upstreamType,
  });
}

/** The event, with upstream keys masked when it is an error (an upstream's message may quote its own key). */
export function redactedEvent(context: CallContext, event: StreamEvent): StreamEvent {
  return event.type === 'error' ? { type: 'error', error: redactedError(context, event.error) } : event;
}

/** Answers with one JSON body (a complete response or an error) and ends the call with it. */
export function completeCall(context: CallContext, status: number, body: unknown, headers?: Headers, error?: GatewayError): Response {
  const text = JSON.stringify(body);
  const responseHeaders = new Headers(headers);
  responseHeaders.set('content-type', 'application/json');
  endCall(context, {
    status,
    error,
    cancelled: error !== undefined && context.upstreamAbort.signal.aborted && context.incoming.signal.aborted,
    responseHeaders,
    responseBytes: utf8.encode(text).byteLength,
    chunkCount: 0,
    responseBody: text,
  });
  return new Response(text, { status, headers: responseHeaders });
}

/** Answers with an error in the client's protocol before any byte of a response was sent. */
export function failCall(context: CallContext, error: GatewayError): Response {
  const encoded = context.clientProtocol.encodeError(error);
  return completeCall(context, encoded.status, encoded.body, encoded.headers, error);
}

const utf8 = new TextEncoder();
