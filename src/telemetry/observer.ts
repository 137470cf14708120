/**
 * The CallObserver the gateway reports every call to. The per-event path only notes the first content
 * delta and folds the event into the response (a string append, usually); everything else (usage,
 * cost, bodies, span attributes, metrics, the log row) is computed once, after the call's last byte,
 * on a later turn of the event loop so the client's final bytes go out first (recording-line.ts says
 * when exactly). Nothing here throws into the gateway: a failure is caught, counted
 * (lessllm.telemetry.dropped, kind observer_error) and reported once.
 */
import { ResponseAccumulator } from '../core/accumulate.ts';
import type { CallEnd, CallObserver, CallStart, CallTrace } from '../core/call-observer.ts';
import { isContentEvent, type StreamEvent } from '../core/stream-events.ts';
import type { TokenCounter } from '../core/token-counter.ts';
import { readCompleteAnswer, readCompleteAnswerText } from '../protocols/complete-answer.ts';
import { callSpanRecords, isSampled, startCallSpans, upstreamTraceHeaders, type CallSpans } from './call-span.ts';
import { readCall, summarizeCall, type CallSummary, type CountedTokens, type ReadCall } from './call-summary.ts';
import { captureContent, httpDetails, protocolOf } from './content-capture.ts';
import type { LogWriter } from './log-table/log-writer.ts';
import { logRowOf } from './log-table/row.ts';
import type { CallMetrics, DroppedKind } from './metrics.ts';
import type { PriceTable } from './pricing.ts';
import { RecordingLine } from './recording-line.ts';
import type { TelemetrySdk } from './sdk.ts';

export type ObserverParts = {
  sdk: TelemetrySdk | undefined;
  metrics: CallMetrics | undefined;
  logWriter: LogWriter | undefined;
  prices: PriceTable;
  captureContent: boolean;
  maxContentBytes: number;
  /** Finished calls held back at most while the span export queue is full (its size: OTEL_BSP_MAX_QUEUE_SIZE). */
  maxHeldCalls: number;
  /** Characters of request and response bodies the calls waiting to be recorded keep at most. */
  maxWaitingTextChars: number;
  /** Counts the tokens of calls whose upstream reported no usage, or not all of it. */
  tokenCounter: TokenCounter;
  reportDrop(kind: DroppedKind, count: number): void;
  warn(message: string): void;
};

export type TelemetryObserver = CallObserver & {
  /** Records the calls whose end was reported but not yet recorded (flush, shutdown); settles once all are. */
  finishPending(): Promise<void>;
};

export function createObserver(parts: ObserverParts): TelemetryObserver {
  // A call's two spans must fit the export queue before it is recorded.
  const line = new RecordingLine({
    hasRoom: () => parts.sdk?.hasRoomForSpans(2) ?? true,
    maxHeld: parts.maxHeldCalls,
    maxWaitingTextChars: parts.maxWaitingTextChars,
  });
  let warnedAboutFailure = false;
  const failed = (error: unknown) => {
    parts.reportDrop('observer_error', 1);
    if (!warnedAboutFailure) {
      warnedAboutFailure = true;
      parts.warn(`telemetry: recording a call failed (further failures are only counted): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  };
  const context: RecorderContext = { parts, line, failed, counting: new CountingCalls(failed) };
  return {
    recordsCalls: true,
    startCall(start) {
      try {
        return new CallRecorder(start, context);
      } catch (error) {
        failed(error);
        return inertTrace;
      }
    },
    refused(refusal) {
      try {
        parts.metrics?.refused(refusal);
      } catch (error) {
        failed(error);
      }
    },
    async finishPending() {
      line.finishAll();
      // Calls whose tokens were being counted join the line again once counted.
      await context.counting.settled();
      line.finishAll();
    },
  };
}

const inertTrace: CallTrace = { upstreamHeaders: () => ({}), onEvent() {}, end() {} };

type RecorderContext = {
  parts: ObserverParts;
  line: RecordingLine;
  failed(error: unknown): void;
  counting: CountingCalls;
};

/** Calls waiting for the token counting thread before they are recorded: flush and shutdown wait for them. */
class CountingCalls {
  private pending = 0;
  private waiters: Array<() => void> = [];
  private readonly failed: (error: unknown) => void;

  constructor(failed: (error: unknown) => void) {
    this.failed = failed;
  }

  track(recording: Promise<void>): void {
    this.pending++;
    recording.catch(this.failed).finally(() => {
      if (--this.pending > 0) return;
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  settled(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

class CallRecorder implements CallTrace {
  private readonly start: CallStart;
  private readonly context: RecorderContext;
  private readonly spans: CallSpans | undefined;
  private accumulator: ResponseAccumulator | undefined;
  private firstContentAtMs: number | undefined;
  private result: CallEnd | undefined;
  private recorded = false;
  /** What the call's end says, read when the line first reaches it. */
  private read: ReadCall | undefined;
  /** Tokens the upstream did not report, while the counting thread counts them and once it has. */
  private counting = false;
  private counted: CountedTokens | undefined;
  /** What the call keeps in memory until it is recorded, roughly: its request and response bodies. */
  textChars = 0;

  constructor(start: CallStart, context: RecorderContext) {
    this.start = start;
    this.context = context;
    const { sdk, metrics } = context.parts;
    this.spans = sdk ? startCallSpans(sdk.tracing, start) : undefined;
    if (start.stream) metrics?.streamStarted(start);
  }

  upstreamHeaders(): Record<string, string> {
    try {
      return this.spans ? upstreamTraceHeaders(this.spans) : {};
    } catch (error) {
      this.context.failed(error);
      return {};
    }
  }

  onEvent(event: StreamEvent, atMonotonicMs: number): void {
    if (this.result !== undefined) return;
    try {
      if (this.firstContentAtMs === undefined && isContentEvent(event)) this.firstContentAtMs = atMonotonicMs;
      (this.accumulator ??= new ResponseAccumulator()).add(event);
    } catch (error) {
      this.context.failed(error);
    }
  }

  end(result: CallEnd): void {
    if (this.result !== undefined) return;
    this.result = result;
    this.textChars = this.start.rawRequestBody.length + (result.responseBody?.length ?? result.unreadBody?.byteLength ?? 0);
    try {
      if (this.start.stream) this.context.parts.metrics?.streamEnded(this.start);
      this.context.line.add(this);
    } catch (error) {
      this.context.failed(error);
    }
  }

  /**
   * Called by the recording line. A call whose upstream reported no usage (or not all of it) passes the
   * line twice: the first time its tokens go to the counting thread, and once they are counted it joins
   * the line again, to be recorded when the span export has room, as every other call is.
   */
  finishNow(): void {
    if (this.recorded || this.result === undefined || this.counting) return;
    try {
      const call = (this.read ??= this.readCall(this.result));
      if (call.tokensToCount !== undefined && this.counted === undefined) {
        this.count(call.tokensToCount);
        return;
      }
      this.recorded = true;
      this.recordSummary(summarizeCall(call, this.context.parts.prices, this.counted));
    } catch (error) {
      this.recorded = true;
      this.context.failed(error);
    }
  }

  private readCall(reported: CallEnd): ReadCall {
    const { end, accumulator } = reported.unreadBody
      ? readAnswerOf(this.start, reported, reported.unreadBody)
      : { end: reported, accumulator: this.accumulator ?? accumulatorFromBody(this.start, reported) };
    return readCall({ start: this.start, end, firstContentAtMs: this.firstContentAtMs, accumulator });
  }

  private count(tokens: NonNullable<ReadCall['tokensToCount']>): void {
    const { tokenCounter } = this.context.parts;
    this.counting = true;
    this.context.counting.track(
      Promise.all([tokenCounter.count(tokens.output), tokens.input && tokenCounter.count(tokens.input)]).then(([output, input]) => {
        this.counting = false;
        this.counted = { output, input };
        this.context.line.add(this);
      }),
    );
  }

  private recordSummary(summary: CallSummary): void {
    const { parts } = this.context;
    const { sdk } = parts;
    const spans = this.spans;
    const spansWanted = sdk !== undefined && spans !== undefined && sdk.exportsSpans && isSampled(spans);
    const detailsWanted = spansWanted || parts.logWriter !== undefined;
    const content = detailsWanted && parts.captureContent ? captureContent(summary, parts.maxContentBytes) : undefined;
    const http = detailsWanted ? httpDetails(summary) : undefined;

    if (spansWanted) sdk.exportSpans(callSpanRecords(sdk.tracing, spans, summary, content, http));
    parts.metrics?.record(summary);
    if (parts.logWriter && http) {
      const spanContext = spans?.client.context;
      const ids = spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : undefined;
      parts.logWriter.enqueue(logRowOf(summary, ids, content, http));
    }
  }
}

/** The call's end with the answer it passed through unread now read: its text, its events, and its error if it has one. */
function readAnswerOf(start: CallStart, end: CallEnd, body: Uint8Array): { end: CallEnd; accumulator: ResponseAccumulator | undefined } {
  const answer = readCompleteAnswer(protocolOf(start.clientProtocol), body);
  return { end: { ...end, unreadBody: undefined, responseBody: answer.text, error: end.error ?? answer.error }, accumulator: accumulatorOf(answer.events) };
}

/** A non-streaming response the gateway reported only as its body: decoded here, off the hot path. */
function accumulatorFromBody(start: CallStart, end: CallEnd): ResponseAccumulator | undefined {
  if (end.responseBody === undefined || end.status >= 400) return undefined;
  return accumulatorOf(readCompleteAnswerText(protocolOf(start.clientProtocol), end.responseBody).events);
}

/** The events folded up; undefined when there are none (an answer that did not decode). */
function accumulatorOf(events: readonly StreamEvent[]): ResponseAccumulator | undefined {
  let accumulator: ResponseAccumulator | undefined;
  for (const event of events) (accumulator ??= new ResponseAccumulator()).add(event);
  return accumulator;
}
