/**
 * The numbers of one finished call, computed once at its end from what the gateway reported: timings
 * (TTFT, TPOT, tokens per second), the response, token usage (reported, or counted with a tokenizer when
 * the upstream sent none), cost and error type. Spans, metrics and the log row all read this one record,
 * so they always agree.
 */
import type { CallEnd, CallStart } from '../core/call-observer.ts';
import type { ResponseAccumulator } from '../core/accumulate.ts';
import type { CanonicalResponse, Usage } from '../core/canonical-response.ts';
import { contentTokenTexts, requestTokenTexts, type TokenTexts } from '../core/token-count.ts';
import { costOf, type Cost, type PriceTable } from './pricing.ts';
import { ERROR_TYPE_CANCELLED } from './semconv.ts';

export type CallSummary = {
  start: CallStart;
  end: CallEnd;
  /** Epoch milliseconds of the end, on the same clock as start.startEpochMs. */
  endEpochMs: number;
  durationMs: number;
  /** Request arrival to the first content delta; streams only (a non-streaming answer arrives at once). */
  ttftMs: number | undefined;
  tpotMs: number | undefined;
  outputTokensPerSecond: number | undefined;
  /** What came back: accumulated from the stream, or the non-streaming body decoded. */
  response: CanonicalResponse | undefined;
  usage: Usage | undefined;
  usageEstimated: boolean;
  cost: Cost;
  /** Undefined for a successful call. */
  errorType: string | undefined;
  responseModel: string | undefined;
  finishReasons: string[];
};

export type CallObservations = {
  start: CallStart;
  end: CallEnd;
  /** performance.now() of the first content delta, if one came. */
  firstContentAtMs: number | undefined;
  /** The stream's events folded up; undefined when no event arrived. */
  accumulator: ResponseAccumulator | undefined;
};

/**
 * A finished call's observations read: what came back, whether it finished, and what the tokenizer must
 * count before the call can be summarised (the upstream's numbers when it sent them and the response is
 * complete; otherwise the output is counted from what did arrive, and the input too when the upstream
 * reported none: a stream that was cut off or abandoned has usage only from its start, as Anthropic
 * reports input tokens first). A call that failed before any response used no tokens.
 */
export type ReadCall = {
  observations: CallObservations;
  /** The observations' start, naming the target that answered after a fallback. */
  start: CallStart;
  response: CanonicalResponse | undefined;
  errorType: string | undefined;
  /** Undefined when the upstream's usage stands as it reported it. */
  tokensToCount: { output: TokenTexts; input: TokenTexts | undefined } | undefined;
};

/** What the tokenizer counted of `ReadCall.tokensToCount`. */
export type CountedTokens = { output: number; input: number | undefined };

export function readCall(observations: CallObservations): ReadCall {
  const { end, accumulator } = observations;
  // After a fallback, the target that answered is the one every record names.
  const start = end.target ? { ...observations.start, ...end.target } : observations.start;
  const response = accumulator?.toResponse();
  const finished = accumulator?.finish !== undefined;
  const errorType = errorTypeOf(end);
  let tokensToCount: ReadCall['tokensToCount'];
  if (response !== undefined && !(response.usageReported && (finished || errorType === undefined))) {
    tokensToCount = { output: contentTokenTexts(response.content), input: response.usageReported ? undefined : requestTextsOf(start) };
  }
  return { observations, start, response, errorType, tokensToCount };
}

function requestTextsOf(start: CallStart): TokenTexts {
  const request = safely(start.canonicalRequest);
  return request ? requestTokenTexts(request) : { texts: [], fixedTokens: 0 };
}

/**
 * `counted`: the counts of `call.tokensToCount` when it has any, counted off the event loop
 * (src/core/token-counter.ts).
 */
export function summarizeCall(call: ReadCall, prices: PriceTable, counted: CountedTokens | undefined): CallSummary {
  const { observations, start, response, errorType } = call;
  const { end, accumulator } = observations;
  const durationMs = Math.max(0, end.endMonotonicMs - start.startMonotonicMs);
  const { usage, estimated } = usageOf(call, counted);

  let ttftMs: number | undefined;
  let tpotMs: number | undefined;
  let outputTokensPerSecond: number | undefined;
  if (start.stream && observations.firstContentAtMs !== undefined) {
    ttftMs = Math.max(0, observations.firstContentAtMs - start.startMonotonicMs);
    const generationMs = durationMs - ttftMs;
    const outputTokens = usage?.outputTokens ?? 0;
    if (outputTokens > 1) tpotMs = generationMs / (outputTokens - 1);
    if (outputTokens > 0 && generationMs > 0) outputTokensPerSecond = outputTokens / (generationMs / 1000);
  }

  const responseModel = response?.model || undefined;
  const pricedModel = responseModel ?? start.upstreamModel;
  return {
    start,
    end,
    endEpochMs: start.startEpochMs + durationMs,
    durationMs,
    ttftMs,
    tpotMs,
    outputTokensPerSecond,
    response,
    usage,
    usageEstimated: estimated,
    cost: usage ? costOf(usage, prices.priceOf(pricedModel)) : { usd: 0, known: prices.priceOf(pricedModel) !== undefined },
    errorType,
    responseModel,
    finishReasons: response && accumulator?.finish ? [response.finish.raw ?? response.finish.reason] : [],
  };
}

/** The upstream's usage, or what was counted; an output the upstream under-reported (a stream cut off) is raised to the count. */
function usageOf({ response, tokensToCount }: ReadCall, counted: CountedTokens | undefined): { usage: Usage | undefined; estimated: boolean } {
  if (response === undefined) return { usage: undefined, estimated: false };
  if (tokensToCount === undefined) return { usage: response.usage, estimated: false };
  if (counted === undefined) throw new Error('a call whose usage must be counted was summarised before its tokens were counted');
  const outputTokens = counted.output;
  if (response.usageReported) {
    return {
      usage: { ...response.usage, outputTokens: Math.max(response.usage.outputTokens, outputTokens) },
      estimated: outputTokens > response.usage.outputTokens,
    };
  }
  const inputTokens = counted.input ?? 0;
  return { usage: { inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 }, estimated: true };
}

function errorTypeOf(end: CallEnd): string | undefined {
  if (end.cancelled) return ERROR_TYPE_CANCELLED;
  if (end.error) return end.error.kind;
  if (end.status >= 400) return String(end.status);
  return undefined;
}

function safely<T>(compute: () => T): T | undefined {
  try {
    return compute();
  } catch {
    return undefined;
  }
}
