/** A call answered inside lessllm by the mock provider: canonical events straight to the client's encoder. */
import { ResponseAccumulator } from '../core/accumulate.ts';
import type { CanonicalRequest } from '../core/canonical-request.ts';
import { toGatewayError } from '../core/gateway-error.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import type { MockProviderConfig } from '../config/gateway-config.ts';
import { runMock } from '../providers/mock.ts';
import { endCall, failCall, type CallContext } from './call-context.ts';
import { relayEvents } from './converted-route.ts';
import { jsonResponse } from './http-headers.ts';

export async function runLocal(context: CallContext, provider: MockProviderConfig, canonical: CanonicalRequest): Promise<Response> {
  let source: ReadableStream<StreamEvent>;
  try {
    source = runMock(provider, canonical);
  } catch (error) {
    context.overheadMs += performance.now() - context.startedAt;
    return failCall(context, toGatewayError(error));
  }
  context.overheadMs += performance.now() - context.startedAt;
  if (context.stream) return relayEvents(context, source, canonical, new Headers());

  // Non-streaming: wait for the whole answer, as an upstream would, then answer once.
  const accumulator = new ResponseAccumulator();
  const reader = source.getReader();
  const onClientGone = () => reader.cancel().catch(() => {});
  context.incoming.signal.addEventListener('abort', onClientGone, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      context.trace.onEvent(value, performance.now());
      accumulator.add(value);
      if (value.type === 'error') return failCall(context, value.error);
    }
  } finally {
    context.incoming.signal.removeEventListener('abort', onClientGone);
  }
  const processingStart = performance.now();
  const body = context.clientProtocol.encodeResponse(accumulator.toResponse());
  const text = JSON.stringify(body);
  const response = jsonResponse(200, body);
  context.overheadMs += performance.now() - processingStart;
  endCall(context, { status: 200, responseHeaders: response.headers, responseBytes: new TextEncoder().encode(text).byteLength, chunkCount: 0, responseBody: text });
  return response;
}
