/**
 * A call answered inside lessllm — by the mock, or by an MCP client through the bridge — as canonical
 * events straight into the client's encoder. The first event decides the status: an error before any
 * content is a real HTTP error in the client's protocol, anything else commits to a 200.
 */
import { ResponseAccumulator } from '../core/accumulate.ts';
import type { CanonicalRequest } from '../core/canonical-request.ts';
import { GatewayError, toGatewayError } from '../core/gateway-error.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import { completeCall, endCall, failCall, heardFromUpstream, type CallContext } from './call-context.ts';
import { relayEvents } from './converted-route.ts';

/** Starts the local answer; may throw a GatewayError to refuse before anything is sent. */
export type LocalAnswer = () => ReadableStream<StreamEvent>;

export async function runLocal(context: CallContext, answer: LocalAnswer, canonical: CanonicalRequest): Promise<Response> {
  // The local answer (the mock, an MCP client) stands where an upstream would: waiting on it is not overhead.
  context.upstreamSentAt ??= performance.now();
  let source: ReadableStream<StreamEvent>;
  try {
    source = answer();
  } catch (error) {
    return failCall(context, toGatewayError(error));
  }

  const reader = source.getReader();
  // The client leaving before the answer is under way (chat-endpoint.ts aborts upstreamAbort) stops it.
  const onClientGone = () => reader.cancel().catch(() => {});
  context.upstreamAbort.signal.addEventListener('abort', onClientGone, { once: true });
  try {
    const first = await reader.read();
    heardFromUpstream(context);
    if (!first.done && first.value.type === 'error') {
      context.trace.onEvent(first.value, performance.now());
      return failCall(context, first.value.error);
    }
    if (context.stream) return relayEvents(context, prepended(first, reader, context), canonical, new Headers());

    // Non-streaming: wait for the whole answer, as an upstream would, then answer once.
    const accumulator = new ResponseAccumulator();
    let next = first;
    while (!next.done) {
      context.trace.onEvent(next.value, performance.now());
      accumulator.add(next.value);
      if (next.value.type === 'error') return failCall(context, next.value.error);
      next = await reader.read();
      heardFromUpstream(context);
    }
    if (context.upstreamAbort.signal.aborted) {
      endCall(context, { status: 499, cancelled: true, responseHeaders: new Headers(), responseBytes: 0, chunkCount: 0 });
      return new Response(null, { status: 499 });
    }
    const body = context.clientProtocol.encodeResponse(accumulator.toResponse());
    return completeCall(context, 200, body);
  } finally {
    context.upstreamAbort.signal.removeEventListener('abort', onClientGone);
  }
}

/**
 * The rest of a stream whose first read was already taken. An abort with a GatewayError as its reason
 * (shutdown after the grace period) fails it, so the client gets that error in-band.
 */
function prepended(
  first: Awaited<ReturnType<ReadableStreamDefaultReader<StreamEvent>['read']>>,
  reader: ReadableStreamDefaultReader<StreamEvent>,
  context: CallContext,
): ReadableStream<StreamEvent> {
  const abortSignal = context.upstreamAbort.signal;
  return new ReadableStream<StreamEvent>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
      abortSignal.addEventListener(
        'abort',
        () => {
          if (!(abortSignal.reason instanceof GatewayError)) return;
          controller.error(abortSignal.reason);
          reader.cancel().catch(() => {});
        },
        { once: true },
      );
    },
    async pull(controller) {
      const next = await reader.read();
      heardFromUpstream(context);
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
