/**
 * Client and upstream speak the same protocol: the upstream's bytes go to the client unchanged (SSE
 * event names, pings, unknown fields and event types), and a copy is decoded on the side for
 * telemetry. The only thing ever added is an in-band error when the upstream stream breaks, so that a
 * cut-off stream never looks complete.
 */
import type { GatewayError } from '../core/gateway-error.ts';
import { createEventBoundarySplitter, createSseTap } from '../core/sse.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import type { CanonicalRequest } from '../core/canonical-request.ts';
import { readCompleteAnswer } from '../protocols/complete-answer.ts';
import type { Protocol } from '../protocols/protocol.ts';
import { answerConverted } from './converted-route.ts';
import { endCall, redactedEvent, streamBreakError, type CallContext } from './call-context.ts';
import type { ChunkSource } from './chunk-source.ts';
import { forwardedResponseHeaders, sseHeaders } from './http-headers.ts';
import { relayStream } from './relay-stream.ts';
import type { ResolvedTarget } from './router.ts';
import type { UpstreamAnswer, UpstreamPlan } from './upstream-attempts.ts';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const eventEnd = utf8.encode('\n\n');

/** The request for a same-protocol target: the client's bytes, untouched unless the target renames the model. */
export function passthroughPlan(context: CallContext, target: ResolvedTarget, endpoint: UpstreamEndpoint): UpstreamPlan {
  const { body, rawBody } = context;
  const upstreamBody = target.upstreamModel === body.model ? rawBody : JSON.stringify({ ...body, model: target.upstreamModel });
  return { target, endpoint, routeKind: 'passthrough', body: upstreamBody };
}

/**
 * Hands the upstream's answer to the client as it came — except a JSON answer to a streaming request
 * (an upstream that ignored `stream: true`), which the client could not read: that one is re-encoded
 * as the stream it asked for.
 */
export function answerPassthrough(
  context: CallContext,
  answer: Extract<UpstreamAnswer, { kind: 'stream' | 'complete' | 'upstream_error' }>,
  canonicalRequest: () => CanonicalRequest,
): Response {
  const headers = forwardedResponseHeaders(answer.response.headers);
  switch (answer.kind) {
    case 'stream':
      return relayPassthroughStream(context, answer.response, answer.body, headers);
    case 'upstream_error':
      return forwardUpstreamError(context, answer.response, answer.text, headers);
    case 'complete':
      if (context.stream) return answerConverted(context, answer, canonicalRequest());
      return forwardComplete(context, answer.plan.endpoint.protocol, answer.response, answer.bytes, headers);
    default: {
      const unknownAnswer: never = answer;
      throw new Error(`unknown answer ${JSON.stringify(unknownAnswer)}`);
    }
  }
}

/** Non-streaming: the exact bytes go back; they are read after the response is on its way. */
function forwardComplete(context: CallContext, protocol: Protocol, upstream: Response, bytes: Uint8Array<ArrayBuffer>, headers: Headers): Response {
  headers.set('content-type', upstream.headers.get('content-type') ?? 'application/json');
  const response = new Response(bytes, { status: upstream.status, headers });
  // The call is reported after the client has its answer; its duration ends here.
  context.respondedAt = performance.now();
  const outcome = { status: upstream.status, responseHeaders: headers, responseBytes: bytes.byteLength, chunkCount: 0 };
  if (!context.chargesTokens) {
    // Telemetry reads the answer when it records the call, on a later turn of the event loop.
    endCall(context, { ...outcome, unreadBody: bytes });
    return response;
  }
  // A key with a tokens-per-minute limit is charged before its next request can arrive: read now.
  const { text, events, error } = readCompleteAnswer(protocol, bytes);
  const now = performance.now();
  for (const event of events) context.trace.onEvent(event, now);
  endCall(context, { ...outcome, error, responseBody: text });
  return response;
}

function forwardUpstreamError(context: CallContext, upstream: Response, upstreamText: string, headers: Headers): Response {
  // An upstream that echoes its API key in an error message must not hand it to the client.
  const text = context.redact(upstreamText);
  const error = context.clientProtocol.decodeError(upstream.status, text, upstream.headers);
  headers.set('content-type', upstream.headers.get('content-type') ?? 'application/json');
  const response = new Response(text, { status: upstream.status, headers });
  endCall(context, { status: upstream.status, error, responseHeaders: headers, responseBytes: utf8.encode(text).byteLength, chunkCount: 0, responseBody: text });
  return response;
}

function relayPassthroughStream(context: CallContext, upstream: Response, source: ChunkSource<Uint8Array>, headers: Headers): Response {
  const protocol = context.clientProtocol;
  const decoder = protocol.createStreamDecoder();
  let error: GatewayError | undefined;
  /** An error the decoder raised itself: the client has not seen it in the forwarded bytes. */
  let unseenError: GatewayError | undefined;
  /** The event just fed to the tap was an error the upstream sent (it may quote the upstream's key). */
  let upstreamErrorSeen = false;
  const observe = (decoded: StreamEvent) => {
    const event = redactedEvent(context, decoded);
    context.trace.onEvent(event, performance.now());
    if (event.type === 'error') {
      error ??= event.error;
      if (event.error.upstreamType === undefined) unseenError ??= event.error;
      else upstreamErrorSeen = true;
    }
  };
  const tap = createSseTap((message) => decoder.push(message, observe));
  const splitter = createEventBoundarySplitter();

  const responseHeaders = sseHeaders(headers);
  context.stopWatchingClient();
  const body = relayStream(source, {
    onInput(chunk, output) {
      const block = splitter.complete(chunk);
      if (block.byteLength === 0) return 'continue';
      // Each event is decoded before it is forwarded (synchronously: microseconds), so a malformed one
      // never reaches the client — whose SDK would throw a parse error instead of an API error — and an
      // upstream error event that quotes an upstream key is forwarded with the key masked.
      let forwardedUpTo = 0;
      let start = 0;
      for (const end of splitter.eventEnds()) {
        upstreamErrorSeen = false;
        tap.feed(block.subarray(start, end));
        if (unseenError) break;
        if (upstreamErrorSeen) {
          const raw = block.subarray(start, end);
          const text = utf8Decoder.decode(raw);
          const masked = context.redact(text);
          if (masked !== text) {
            if (start > forwardedUpTo) output.enqueue(block.subarray(forwardedUpTo, start));
            output.enqueueText(masked);
            forwardedUpTo = end;
          }
        }
        start = end;
      }
      if (unseenError) {
        if (start > forwardedUpTo) output.enqueue(block.subarray(forwardedUpTo, start));
        // Malformed upstream data: say why and stop.
        output.enqueueText(protocol.encodeStreamError(unseenError));
        return 'stop';
      }
      if (block.byteLength > forwardedUpTo) output.enqueue(forwardedUpTo === 0 ? block : block.subarray(forwardedUpTo));
      return 'continue';
    },
    onSourceEnd(output) {
      // A last event without its closing empty line: let the decoder judge it as if it were closed.
      // Complete (e.g. a final `data: [DONE]`) → forwarded as sent; a fragment → dropped, and an error follows.
      const held = splitter.takeHeld();
      if (held.byteLength > 0) {
        tap.feed(held);
        tap.feed(eventEnd);
      }
      tap.end();
      decoder.end(observe);
      if (unseenError) output.enqueueText(protocol.encodeStreamError(unseenError));
      else if (held.byteLength > 0) output.enqueue(held);
    },
    onSourceError(sourceError, output) {
      const lost = streamBreakError(context, sourceError);
      observe({ type: 'error', error: lost });
      output.enqueueText(protocol.encodeStreamError(lost));
    },
    onFinish(finish) {
      if (finish.cancelled) context.upstreamAbort.abort();
      endCall(context, { status: upstream.status, error, cancelled: finish.cancelled, responseHeaders, responseBytes: finish.bytes, chunkCount: finish.chunks });
    },
  });
  return new Response(body, { status: upstream.status, headers: responseHeaders });
}
