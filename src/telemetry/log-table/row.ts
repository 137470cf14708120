/**
 * One row of the log table per call, dialect-neutral: the SQLite and PostgreSQL schemas both store
 * exactly these fields. Built from the same CallSummary the span and the metrics use.
 */
import type { CallSummary } from '../call-summary.ts';
import type { CapturedContent, HttpDetails } from '../content-capture.ts';

export type LogRow = {
  /**
   * Unique per call (nextCallId below). A batch whose commit succeeded but whose answer was lost (the
   * SQLite thread stopped, the PostgreSQL connection broke) is sent again, and the rows it already wrote
   * are then skipped instead of counted twice.
   */
  callId: string;
  startedAt: Date;
  traceId: string | null;
  spanId: string | null;
  clientProtocol: string;
  provider: string;
  providerType: string;
  route: string;
  requestedModel: string;
  upstreamModel: string;
  responseModel: string | null;
  stream: boolean;
  status: number;
  errorType: string | null;
  ttftMs: number | null;
  tpotMs: number | null;
  tokensPerSecond: number | null;
  durationMs: number;
  overheadMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  usageEstimated: boolean;
  costUsd: number;
  costKnown: boolean;
  requestBody: string | null;
  responseBody: string | null;
  /** The gateway key's name (never the key); null without gateway keys. */
  keyName: string | null;
  /** Upstream requests sent, retries and fallbacks included; null when none was needed (local providers). */
  attempts: number | null;
  httpDetails: HttpDetails;
};

/**
 * Call ids: this process's random prefix and a counter, so each process's ids are unique among all
 * gateways writing to one database and sorted in the order they are made, which keeps adding them to
 * the unique index cheap (random ids, UUIDs, each went to a different page of the index: 2× the CPU
 * per row).
 */
const callIdPrefix = crypto.randomUUID().replaceAll('-', '').slice(0, 16);
let callIdCounter = 0;

export function nextCallId(): string {
  callIdCounter++;
  return callIdPrefix + callIdCounter.toString(16).padStart(12, '0');
}

/** Characters of the request and response bodies a row holds: what bounds the queue and picks how rows are sent. */
export function rowTextChars(row: LogRow): number {
  return (row.requestBody?.length ?? 0) + (row.responseBody?.length ?? 0);
}

export function logRowOf(
  summary: CallSummary,
  ids: { traceId: string; spanId: string } | undefined,
  content: CapturedContent | undefined,
  http: HttpDetails,
): LogRow {
  const { start, end, usage } = summary;
  return {
    callId: nextCallId(),
    startedAt: new Date(start.startEpochMs),
    traceId: ids?.traceId ?? null,
    spanId: ids?.spanId ?? null,
    clientProtocol: start.clientProtocol,
    provider: start.providerName,
    providerType: start.providerType,
    route: start.routeKind,
    requestedModel: start.requestedModel,
    upstreamModel: start.upstreamModel,
    responseModel: summary.responseModel ?? null,
    stream: start.stream,
    status: end.status,
    errorType: summary.errorType ?? null,
    ttftMs: summary.ttftMs ?? null,
    tpotMs: summary.tpotMs ?? null,
    tokensPerSecond: summary.outputTokensPerSecond ?? null,
    durationMs: summary.durationMs,
    overheadMs: end.overheadMs,
    inputTokens: usage?.inputTokens ?? null,
    outputTokens: usage?.outputTokens ?? null,
    cacheReadTokens: usage?.cacheReadTokens ?? null,
    cacheWriteTokens: usage?.cacheWriteTokens ?? null,
    usageEstimated: summary.usageEstimated,
    costUsd: summary.cost.usd,
    costKnown: summary.cost.known,
    requestBody: content?.requestBody.text ?? null,
    responseBody: content?.responseBody?.text ?? null,
    keyName: start.keyName ?? null,
    attempts: end.attempts ?? null,
    httpDetails: http,
  };
}
