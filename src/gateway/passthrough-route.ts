/**
 * Client and upstream speak the same protocol: the upstream's bytes go to the client unchanged (SSE
 * event names, pings, unknown fields and event types), and a copy is decoded on the side for
 * telemetry. The only thing ever added is an in-band error when the upstream stream breaks, so that a
 * cut-off stream never looks complete.
 */
import { GatewayError, toGatewayError } from '../core/gateway-error.ts';
import { createEventBoundarySplitter, createSseTap } from '../core/sse.ts';
import { responseToEvents } from '../core/response-events.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { UpstreamEndpoint } from '../providers/upstream-endpoint.ts';
import { endCall, failCall, type CallContext } from './call-context.ts';
import { forwardedResponseHeaders, sseHeaders } from './http-headers.ts';
import { relayStream } from './relay-stream.ts';
import { callUpstream, isEventStream } from './upstream-call.ts';

const eventEnd = new TextEncoder().encode('\n\n');

export async function runPassthrough(context: CallContext, endpoint: UpstreamEndpoint): Promise<Response> {
  const { route, body, rawBody } = context;
  // Forward the client's bytes untouched unless the route renames the model.
  const upstreamBody = route.upstreamModel === body.model ? rawBody : JSON.stringify({ ...body, model: route.upstreamModel });
  const upstream = await callUpstream(context, endpoint, upstreamBody);
  if (!(upstream instanceof Response)) return failCall(context, upstream);

  const protocol = endpoint.protocol;
  const headers = forwardedResponseHeaders(upstream.headers);
  if (!upstream.ok) return forwardUpstreamError(context, upstream, headers);
  if (context.stream && isEventStream(upstream)) return relayPassthroughStream(context, upstream, headers);

  // Non-streaming: the exact bytes go back; telemetry decodes them after the response is on its way.
  const bytes = new Uint8Array(await upstream.arrayBuffer());
  const processingStart = performance.now();
  headers.set('content-type', upstream.headers.get('content-type') ?? 'application/json');
  const response = new Response(bytes, { status: upstream.status, headers });
  context.overheadMs += performance.now() - processingStart;
  setTimeout(() => {
    const text = new TextDecoder().decode(bytes);
    let events: StreamEvent[] = [];
    let error: GatewayError | undefined;
    try {
      events = responseToEvents(protocol.decodeResponse(JSON.parse(text)));
    } catch (decodeError) {
      error = toGatewayError(decodeError);
    }
    const now = performance.now();
    for (const event of events) context.trace.onEvent(event, now);
    endCall(context, { status: upstream.status, error, responseHeaders: headers, responseBytes: bytes.byteLength, chunkCount: 0, responseBody: text });
  }, 0);
  return response;
}

async function forwardUpstreamError(context: CallContext, upstream: Response, headers: Headers): Promise<Response> {
  const text = await upstream.text().catch(() => '');
  const error = context.clientProtocol.decodeError(upstream.status, text, upstream.headers);
  headers.set('content-type', upstream.headers.get('content-type') ?? 'application/json');
  const response = new Response(text, { status: upstream.status, headers });
  endCall(context, { status: upstream.status, error, responseHeaders: headers, responseBytes: new TextEncoder().encode(text).byteLength, chunkCount: 0, responseBody: text });
  return response;
}

function relayPassthroughStream(context: CallContext, upstream: Response, headers: Headers): Response {
  const protocol = context.clientProtocol;
  const decoder = protocol.createStreamDecoder();
  let error: GatewayError | undefined;
  /** An error the decoder raised itself: the client has not seen it in the forwarded bytes. */
  let unseenError: GatewayError | undefined;
  const observe = (event: StreamEvent) => {
    context.trace.onEvent(event, performance.now());
    if (event.type === 'error') {
      error ??= event.error;
      if (event.error.upstreamType === undefined) unseenError ??= event.error;
    }
  };
  const tap = createSseTap((message) => decoder.push(message, observe));
  const splitter = createEventBoundarySplitter();

  const responseHeaders = sseHeaders(headers);
  context.stopWatchingClient();
  const body = relayStream(upstream.body!, {
    onInput(chunk, output) {
      const complete = splitter.complete(chunk);
      if (complete.byteLength > 0) {
        output.enqueue(complete);
        tap.feed(complete);
      }
      if (unseenError) {
        // Malformed upstream data: the client's parser would choke or hang; say why and stop.
        output.enqueueText(protocol.encodeStreamError(unseenError));
        return 'stop';
      }
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
      const lost = new GatewayError('bad_gateway', `The upstream connection broke in the middle of the stream: ${toGatewayError(sourceError).message}`);
      observe({ type: 'error', error: lost });
      output.enqueueText(protocol.encodeStreamError(lost));
    },
    onFinish(finish) {
      if (finish.cancelled) context.upstreamAbort.abort();
      context.overheadMs += finish.processingMs;
      endCall(context, { status: upstream.status, error, cancelled: finish.cancelled, responseHeaders, responseBytes: finish.bytes, chunkCount: finish.chunks });
    },
  });
  return new Response(body, { status: upstream.status, headers: responseHeaders });
}
