/**
 * Gets an answer from the route's targets: each target is tried up to `retry.attempts` times, with
 * backoff (or the wait the upstream asked for), then the next target. All of this happens before any
 * byte reaches the client — a streaming answer counts as started only once its first body chunk has
 * arrived — so a retry can never duplicate or splice output. Once an answer is handed back, it is final.
 */
import type { RetryPolicy } from '../config/gateway-config.ts';
import type { FailedAttempt, RouteKind } from '../core/call-observer.ts';
import { GatewayError, errorKindFromStatus, toGatewayError } from '../core/gateway-error.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import { abortReason, heardFromUpstream, type CallContext } from './call-context.ts';
import { timeoutsOf } from './call-deadlines.ts';
import { upstreamBodySource, type ChunkSource } from './chunk-source.ts';
import { backoffDelayMs, isRetriableStatus, requestedRetryDelayMs } from './retry-policy.ts';
import type { ResolvedTarget } from './router.ts';
import { clientClosedError, fetchUpstream } from './upstream-fetch.ts';

/** One target made ready to call: where, in which protocol, with which body. */
export type UpstreamPlan = {
  target: ResolvedTarget;
  endpoint: UpstreamEndpoint;
  routeKind: Exclude<RouteKind, 'local'>;
  body: string;
};

/** A target in the list: an upstream to call, one answered inside lessllm, or one that cannot take this request. */
export type PlannedTarget = UpstreamPlan | { local: ResolvedTarget } | { unusable: GatewayError; target: ResolvedTarget };

export type UpstreamAnswer =
  /** A stream whose first chunk has arrived; `body` replays it, then reads on. */
  | { kind: 'stream'; plan: UpstreamPlan; response: Response; body: ChunkSource<Uint8Array> }
  /** A successful JSON answer, read whole. */
  | { kind: 'complete'; plan: UpstreamPlan; response: Response; bytes: Uint8Array<ArrayBuffer> }
  /** The upstream's error response after the last try (its body read, for the client). */
  | { kind: 'upstream_error'; plan: UpstreamPlan; response: Response; text: string }
  /** No upstream response to give: unreachable, timed out, cut off, or the client left. */
  | { kind: 'failed'; plan: UpstreamPlan | undefined; error: GatewayError }
  /** The next target is answered inside lessllm (mock, MCP). */
  | { kind: 'local'; target: ResolvedTarget };

type TryOutcome =
  | { settled: UpstreamAnswer }
  | { retry: { status: number | undefined; error: GatewayError; requestedDelayMs: number | undefined; answer: UpstreamAnswer } };

export async function callWithRetries(context: CallContext, targets: ReadonlyArray<() => PlannedTarget>, policy: RetryPolicy): Promise<UpstreamAnswer> {
  const failures: FailedAttempt[] = (context.failedAttempts = []);
  let last: UpstreamAnswer | undefined;
  for (let targetIndex = 0; targetIndex < targets.length; targetIndex++) {
    const planned = targets[targetIndex]();
    const isLastTarget = targetIndex === targets.length - 1;
    if ('local' in planned) return { kind: 'local', target: planned.local };
    if ('unusable' in planned) {
      // This target cannot take the request (e.g. a conversion it does not support): the next one may.
      last = { kind: 'failed', plan: undefined, error: planned.unusable };
      if (!isLastTarget) failures.push(failedAttempt(planned.target, undefined, planned.unusable, 0));
      continue;
    }
    context.currentPlan = planned;
    for (let tryNumber = 1; tryNumber <= policy.attempts; tryNumber++) {
      const outcome = await tryOnce(context, planned);
      if ('settled' in outcome) return outcome.settled;
      last = outcome.retry.answer;
      // The client left or the call ran out of time: nothing more is worth trying.
      if (context.upstreamAbort.signal.aborted) return last;
      const isLastTry = tryNumber === policy.attempts;
      if (isLastTry && isLastTarget) return last;
      const requested = outcome.retry.requestedDelayMs;
      const moveOn = isLastTry || (requested !== undefined && requested > policy.maxRetryAfterMs);
      const delayMs = moveOn ? 0 : (requested ?? backoffDelayMs(policy, tryNumber));
      failures.push(failedAttempt(planned.target, outcome.retry.status, outcome.retry.error, delayMs));
      if (moveOn) break;
      if (!(await pause(delayMs, context.upstreamAbort.signal))) return last;
    }
  }
  return last ?? { kind: 'failed', plan: undefined, error: new GatewayError('bad_gateway', 'No target of this route could take the request.') };
}

/** One request to one upstream, judged: a final answer, or a failure worth another try. */
async function tryOnce(context: CallContext, plan: UpstreamPlan): Promise<TryOutcome> {
  const { deadlines } = context;
  // The call's signal is the try's (call-abort.ts): its phase timeouts abort this one and leave the
  // call a fresh signal, so `signal` keeps the reason this try ended with.
  const signal = context.upstreamAbort.signal;
  context.upstreamSignal = signal;
  context.attempts++;
  deadlines.beginAttempt(timeoutsOf(plan.target.provider)!, plan.target.provider.name);
  // The endpoint's headers were built for this call alone (and a retry sets the same values again).
  for (const [name, value] of Object.entries(context.trace.upstreamHeaders())) plan.endpoint.headers.set(name, value);
  if (context.attempts === 1) context.upstreamSentAt = performance.now();
  // The upstream answered, failed or broke off: its phase deadline stops counting, and the overhead measure notes when.
  const heardBack = () => {
    heardFromUpstream(context);
    deadlines.pausePhase();
  };

  const failure = (error: GatewayError): TryOutcome => {
    const answer: UpstreamAnswer = { kind: 'failed', plan, error };
    // Unreachable, cut off or timed out before the client saw a byte: another try is safe. A whole-call
    // abort (client gone, total timeout, shutdown) is not retried.
    const retriable = !context.upstreamAbort.signal.aborted && (error.kind === 'bad_gateway' || error.kind === 'timeout');
    return retriable ? { retry: { status: undefined, error, requestedDelayMs: undefined, answer } } : { settled: answer };
  };
  // A timeout or shutdown names itself; otherwise the client left.
  const abortedWith = (error: unknown) => abortReason(context) ?? (context.upstreamAbort.signal.aborted ? clientClosedError(error) : toGatewayError(error));

  deadlines.awaitHeaders(context.stream);
  let response: Response;
  try {
    response = await fetchUpstream(plan.endpoint, plan.body, signal);
  } catch (error) {
    heardBack();
    return failure(signal.aborted ? abortedWith(error) : toGatewayError(error));
  }

  if (!response.ok) {
    deadlines.awaitChunks();
    const text = await response.text().catch(() => '');
    heardBack();
    const answer: UpstreamAnswer = { kind: 'upstream_error', plan, response, text };
    if (signal.aborted) return failure(abortedWith(undefined));
    if (!isRetriableStatus(response.status)) return { settled: answer };
    const error = new GatewayError(errorKindFromStatus(response.status), `The upstream ${plan.target.provider.name} answered HTTP ${response.status}.`, { status: response.status });
    return { retry: { status: response.status, error, requestedDelayMs: requestedRetryDelayMs(response.headers), answer } };
  }

  if (context.stream && response.body && isEventStream(response)) {
    const reader = response.body.getReader();
    deadlines.awaitFirstByte();
    let first: Awaited<ReturnType<typeof reader.read>>;
    try {
      first = await reader.read();
    } catch (error) {
      heardBack();
      return failure(signal.aborted ? abortedWith(error) : brokenBeforeFirstByte(plan, error));
    }
    if (first.done) {
      heardBack();
      return failure(new GatewayError('bad_gateway', `The upstream ${plan.target.provider.name} ended its stream before sending anything.`));
    }
    heardFromUpstream(context);
    deadlines.awaitChunks();
    const readSettled = () => {
      deadlines.onChunk();
      heardFromUpstream(context);
    };
    return { settled: { kind: 'stream', plan, response, body: upstreamBodySource(first.value, reader, readSettled) } };
  }

  // A JSON answer (to a non-streaming request, or from an upstream that ignored `stream: true`). Anything
  // else with a 200 (an HTML page from a proxy or a captive portal) is a broken upstream, not an answer.
  const contentType = (response.headers.get('content-type') ?? '').toLowerCase();
  if (contentType !== '' && !contentType.includes('json') && !contentType.startsWith('text/event-stream')) {
    heardBack();
    await response.body?.cancel().catch(() => {});
    return failure(new GatewayError('bad_gateway', `The upstream ${plan.target.provider.name} answered HTTP ${response.status} with ${contentType.split(';')[0]}, not JSON or an event stream.`));
  }
  deadlines.awaitChunks();
  try {
    const bytes = new Uint8Array(await response.arrayBuffer());
    heardBack();
    return { settled: { kind: 'complete', plan, response, bytes } };
  } catch (error) {
    heardBack();
    return failure(signal.aborted ? abortedWith(error) : brokenBeforeFirstByte(plan, error));
  }
}

export function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
}

function brokenBeforeFirstByte(plan: UpstreamPlan, error: unknown): GatewayError {
  return new GatewayError('bad_gateway', `The upstream ${plan.target.provider.name} broke off its answer before the first byte: ${toGatewayError(error).message}`);
}

function failedAttempt(target: ResolvedTarget, status: number | undefined, error: GatewayError, retryDelayMs: number): FailedAttempt {
  return { providerName: target.provider.name, upstreamModel: target.upstreamModel, status, errorType: error.kind, retryDelayMs, atEpochMs: Date.now() };
}

/** Waits, unless the call is aborted first; says whether to go on. */
function pause(delayMs: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (delayMs <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, delayMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
