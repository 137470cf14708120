/// <reference types="bun" />
/**
 * The benchmark's OpenTelemetry collector stand-in: takes OTLP/HTTP exports (`POST /v1/traces`,
 * `/v1/metrics`, `/v1/logs`, protobuf or JSON), reads each body whole and answers success, as a
 * collector does, without decoding or keeping anything: the cost of exporting is the gateway's, and
 * this process should add as little as possible beside it. GET /stats says what arrived (exports and
 * bytes per signal), which shows that telemetry really left the gateway.
 * Run as its own process: `bun test/bench/otlp-sink.ts`; prints `otlp sink listening on <url>`.
 */
const received: Record<string, { exports: number; bytes: number }> = {};

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (request.method === 'GET' && path === '/stats') return Response.json(received);
    if (request.method !== 'POST' || !path.startsWith('/v1/')) return new Response('not found', { status: 404 });
    const body = await request.arrayBuffer();
    const signal = (received[path.slice(4)] ??= { exports: 0, bytes: 0 });
    signal.exports++;
    signal.bytes += body.byteLength;
    // An empty Export*ServiceResponse: zero bytes in protobuf, {} in JSON.
    const json = request.headers.get('content-type')?.includes('json') ?? false;
    return json ? Response.json({}) : new Response(new Uint8Array(0), { headers: { 'content-type': 'application/x-protobuf' } });
  },
});
console.log(`otlp sink listening on http://127.0.0.1:${server.port}`);
