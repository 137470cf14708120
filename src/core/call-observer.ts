/**
 * The seam between the gateway and telemetry. The gateway reports what happens to each call; an observer
 * (OpenTelemetry spans and metrics, the log table) turns it into records. The gateway never waits on an
 * observer and an observer must never throw into the gateway: telemetry cannot slow or break traffic.
 */
import type { CanonicalRequest } from './canonical-request.ts';
import type { ErrorKind, GatewayError } from './gateway-error.ts';
import type { StreamEvent } from './stream-events.ts';

export type ClientProtocolName = 'openai-chat' | 'anthropic-messages';

/** passthrough: same protocol both sides, bytes forwarded; converted: translated; local: built-in provider. */
export type RouteKind = 'passthrough' | 'converted' | 'local';

export type CallStart = {
  /** Date.now() when the request reached lessllm. */
  startEpochMs: number;
  /** performance.now() at the same moment; all durations are measured on this clock. */
  startMonotonicMs: number;
  clientProtocol: ClientProtocolName;
  /** The protocol spoken to the upstream; undefined for a local provider (mock). */
  upstreamProtocol: ClientProtocolName | undefined;
  routeKind: RouteKind;
  /** Provider name from the config (e.g. `openai`, `local`). */
  providerName: string;
  /** Provider type: the value for `gen_ai.provider.name` (openai, anthropic, mock…). */
  providerType: string;
  /** The model the client asked for. */
  requestedModel: string;
  /** The model sent upstream (differs when a route aliases). */
  upstreamModel: string;
  stream: boolean;
  /** The request body exactly as received. */
  rawRequestBody: string;
  /** The parsed body, for attributes such as max_tokens and temperature. */
  requestBody: Record<string, unknown>;
  /** The canonical form; computed lazily because passthrough never needs it for traffic. */
  canonicalRequest: () => CanonicalRequest | undefined;
  /** Where the upstream is, for `server.address`/`server.port`; undefined for a local provider. */
  upstreamUrl: URL | undefined;
  http: {
    method: string;
    path: string;
    clientAddress: string | undefined;
    /** Request headers, secrets already removed. */
    headers: Record<string, string>;
  };
  /** W3C trace context sent by the client, if any. */
  traceparent: string | undefined;
  tracestate: string | undefined;
  /** The name of the gateway key the call came with (never the key); undefined without gateway keys. */
  keyName?: string;
};

/** Which upstream a call went to; CallStart holds the first target, CallEnd the one that answered last. */
export type CallTarget = Pick<CallStart, 'providerName' | 'providerType' | 'upstreamModel' | 'upstreamProtocol' | 'routeKind' | 'upstreamUrl'>;

/** A try that failed before any byte reached the client, after which the gateway retried or moved on. */
export type FailedAttempt = {
  providerName: string;
  upstreamModel: string;
  /** The upstream's HTTP status, when it answered at all. */
  status: number | undefined;
  /** `error.type`: the error kind (e.g. `overloaded`, `timeout`, `bad_gateway`). */
  errorType: string;
  /** The pause before the next try (0 when the next try went to another target at once). */
  retryDelayMs: number;
  /** Date.now() when the try failed. */
  atEpochMs: number;
};

/** connect / first_byte / idle / total: which of the configured timeouts ended a call. */
export type TimeoutKind = 'connect' | 'first_byte' | 'idle' | 'total';

export type CallEnd = {
  /** performance.now() when the last byte was handed to the client (or the call failed). */
  endMonotonicMs: number;
  /** HTTP status the client got. */
  status: number;
  /** Set when the call failed: before the stream (HTTP error) or inside it (in-band error). */
  error: GatewayError | undefined;
  /** The client went away before the response was complete. */
  cancelled: boolean;
  /** Response headers sent to the client, secrets removed. */
  responseHeaders: Record<string, string>;
  /** Bytes of response body sent to the client. */
  responseBytes: number;
  /** Number of chunks (SSE events) sent to the client; 0 for a non-streaming call. */
  chunkCount: number;
  /** Time lessllm spent on the call itself: total duration minus time waiting on the upstream. */
  overheadMs: number;
  /** The exact response body for a non-streaming call (client's format); undefined for streams. */
  responseBody: string | undefined;
  /**
   * A complete answer passed through as the upstream's bytes (the client's own protocol), not read by the
   * gateway: the observer reads it (its text as responseBody, its events, an error if it is not a valid
   * answer) when it records the call, so that a call no one records never pays for it. Set only when
   * responseBody is not, and no event was reported.
   */
  unreadBody?: Uint8Array;
  /** The target that answered (or was tried last), when it is not the first one in CallStart. */
  target?: CallTarget;
  /** Upstream requests sent (0 for a call answered before or without one). */
  attempts?: number;
  /** The tries that failed before the one that produced the answer. */
  failedAttempts?: FailedAttempt[];
  /** Set when one of the configured timeouts ended the call. */
  timeout?: TimeoutKind;
};

export interface CallTrace {
  /** Extra headers to send upstream (e.g. `traceparent` of the gateway's client span). */
  upstreamHeaders(): Record<string, string>;
  /** Every canonical event, in order, as it passes (from a decoded copy on passthrough). */
  onEvent(event: StreamEvent, atMonotonicMs: number): void;
  /** Exactly once. */
  end(result: CallEnd): void;
}

/**
 * A request answered with an error before any call began: no key or a wrong one, a limit, a body that
 * does not parse or validate, an unknown model or path, shutdown. It has no span or log row (a flood of
 * them must stay cheap); it is counted.
 */
export type Refusal = {
  /** The API the request was addressed to; undefined for a path that belongs to neither. */
  clientProtocol: ClientProtocolName | undefined;
  status: number;
  errorType: ErrorKind;
};

export interface CallObserver {
  /**
   * False when nothing is recorded (telemetry off): the gateway then skips gathering what a call's start
   * and end would report (its headers without secrets, the upstream's URL), which cost a few µs a call.
   */
  readonly recordsCalls: boolean;
  startCall(start: CallStart): CallTrace;
  refused(refusal: Refusal): void;
}

export const noopTrace: CallTrace = { upstreamHeaders: () => ({}), onEvent() {}, end() {} };

/** What the gateway uses when telemetry is off. */
export const noopObserver: CallObserver = { recordsCalls: false, startCall: () => noopTrace, refused() {} };
