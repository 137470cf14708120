/**
 * Client and upstream speak different protocols: the request goes through the canonical form, and the
 * response comes back through it — decode upstream SSE → canonical events → encode client SSE, fused in
 * one loop per network chunk so every token is forwarded the moment it arrives.
 */
import type { CanonicalRequest } from '../core/canonical-request.ts';
import { toGatewayError, type GatewayError } from '../core/gateway-error.ts';
import { createSseTap } from '../core/sse.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { Transcoder } from '../core/transcoder.ts';
import { readCompleteAnswer } from '../protocols/complete-answer.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import { completeCall, endCall, failCall, redactedEvent, streamBreakError, type CallContext } from './call-context.ts';
import type { ChunkSource } from './chunk-source.ts';
import { forwardedResponseHeaders, sseHeaders } from './http-headers.ts';
import { relayStream } from './relay-stream.ts';
import type { ResolvedTarget } from './router.ts';
import type { PlannedTarget, UpstreamAnswer } from './upstream-attempts.ts';

/** The request for a target of the other protocol: the canonical request encoded for it. */
export function convertedPlan(context: CallContext, target: ResolvedTarget, endpoint: UpstreamEndpoint, canonical: CanonicalRequest): PlannedTarget {
  const defaultMaxTokens = target.provider.type === 'anthropic' ? target.provider.defaultMaxTokens : 4096;
  try {
    const body = JSON.stringify(endpoint.protocol.encodeRequest({ ...canonical, model: target.upstreamModel }, { defaultMaxTokens }));
    return { target, endpoint, routeKind: 'converted', body };
  } catch (error) {
    return { unusable: toGatewayError(error), target };
  }
}

/** Translates the upstream's answer into the client's protocol. */
export function answerConverted(
  context: CallContext,
  answer: Extract<UpstreamAnswer, { kind: 'stream' | 'complete' | 'upstream_error' }>,
  canonical: CanonicalRequest,
): Response {
  const { endpoint } = answer.plan;
  const forwarded = forwardedResponseHeaders(answer.response.headers);
  switch (answer.kind) {
    case 'stream':
      return relayConvertedStream(context, endpoint, answer.body, canonical, forwarded, answer.response.status);
    case 'upstream_error':
      return failCall(context, endpoint.protocol.decodeError(answer.response.status, context.redact(answer.text), answer.response.headers));
    case 'complete':
      return convertComplete(context, endpoint, answer.bytes, canonical, forwarded, answer.response.status);
    default: {
      const unknownAnswer: never = answer;
      throw new Error(`unknown answer ${JSON.stringify(unknownAnswer)}`);
    }
  }
}

/** A JSON answer: to a non-streaming request, or from an upstream that ignored `stream: true`. */
function convertComplete(context: CallContext, endpoint: UpstreamEndpoint, bytes: Uint8Array, canonical: CanonicalRequest, forwarded: Headers, status: number): Response {
  const answer = readCompleteAnswer(endpoint.protocol, bytes);
  if (answer.error) return failCall(context, answer.error);
  // Telemetry sees a JSON answer as the events a stream of it would carry.
  const { response: decoded, events } = answer;
  if (context.stream) {
    const source = new ReadableStream<StreamEvent>({
      start(controller) {
        for (const event of events) controller.enqueue(event);
        controller.close();
      },
    });
    return relayEvents(context, source, canonical, forwarded, status);
  }
  const now = performance.now();
  for (const event of events) context.trace.onEvent(event, now);
  const body = context.clientProtocol.encodeResponse(decoded);
  return completeCall(context, 200, body, forwarded);
}

function relayConvertedStream(
  context: CallContext,
  endpoint: UpstreamEndpoint,
  source: ChunkSource<Uint8Array>,
  canonical: CanonicalRequest,
  forwarded: Headers,
  status: number,
): Response {
  return relayToClient(context, source, canonical, forwarded, status, (accept) => {
    const decoder = endpoint.protocol.createStreamDecoder();
    const tap = createSseTap((message) => decoder.push(message, accept));
    return {
      feed: (chunk) => tap.feed(chunk),
      end() {
        tap.end();
        decoder.end(accept);
      },
      failure: (error) => streamBreakError(context, error),
    };
  });
}

/** Streams canonical events (already decoded) to the client: used by the mock and by JSON-to-stream. */
export function relayEvents(
  context: CallContext,
  source: ReadableStream<StreamEvent>,
  canonical: CanonicalRequest,
  forwarded: Headers,
  status = 200,
): Response {
  return relayToClient(context, source, canonical, forwarded, status, (accept) => ({ feed: accept, end() {}, failure: toGatewayError }));
}

/** How one kind of input becomes canonical events, given where to put them. */
type EventSource<Input> = {
  feed(input: Input): void;
  /** The input ended: flush what is held (a decoder reports a cut-off stream here). */
  end(): void;
  /** Reading the input failed: the error the client gets. */
  failure(error: unknown): GatewayError;
};

/** The streaming response of a converted or local call: inputs → canonical events → the client's SSE. */
function relayToClient<Input>(
  context: CallContext,
  source: ReadableStream<Input> | ChunkSource<Input>,
  canonical: CanonicalRequest,
  forwarded: Headers,
  status: number,
  eventSourceFor: (accept: (event: StreamEvent) => void) => EventSource<Input>,
): Response {
  const pipeline = createEventPipeline(context, canonical);
  const events = eventSourceFor(pipeline.accept);
  const responseHeaders = sseHeaders(forwarded);
  context.stopWatchingClient();
  const body = relayStream(source, {
    onInput(input, output) {
      pipeline.attach(output.enqueueText);
      events.feed(input);
      return pipeline.failed ? 'stop' : 'continue';
    },
    onSourceEnd(output) {
      pipeline.attach(output.enqueueText);
      events.end();
      pipeline.end();
    },
    onSourceError(error, output) {
      pipeline.attach(output.enqueueText);
      pipeline.accept({ type: 'error', error: events.failure(error) });
      pipeline.end();
    },
    onFinish(finish) {
      // The client left: stop the upstream (or the local answer) at once.
      if (finish.cancelled) context.upstreamAbort.abort();
      endCall(context, { status, error: pipeline.error, cancelled: finish.cancelled, responseHeaders, responseBytes: finish.bytes, chunkCount: finish.chunks });
    },
  });
  return new Response(body, { status, headers: responseHeaders });
}

/** Canonical events → telemetry and the client's encoder; `attach` points it at the current output. */
function createEventPipeline(context: CallContext, canonical: CanonicalRequest) {
  const encoder: Transcoder<StreamEvent, string> = context.clientProtocol.createStreamEncoder({ includeUsage: canonical.streamUsageRequested });
  let write: (text: string) => void = () => {};
  const pipeline = {
    failed: false,
    error: undefined as GatewayError | undefined,
    attach(output: (text: string) => void) {
      write = output;
    },
    accept(decoded: StreamEvent) {
      // After an error nothing more may reach the client: the error is its last word.
      if (pipeline.failed) return;
      // Masked before the client and telemetry see it.
      const event = redactedEvent(context, decoded);
      context.trace.onEvent(event, performance.now());
      if (event.type === 'error') {
        pipeline.failed = true;
        pipeline.error = event.error;
      }
      encoder.push(event, write);
    },
    end() {
      encoder.end(write);
    },
  };
  return pipeline;
}
