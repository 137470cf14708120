/// <reference types="bun" />
/**
 * The floor: the least any gateway can cost. A bare forwarding proxy on Bun.serve that sends the request
 * on with `fetch` and returns the upstream's body stream, parsing nothing. Any gateway that does real work
 * (routing, conversion, telemetry) is measured against this.
 * `BENCH_UPSTREAM_URL=http://127.0.0.1:PORT bun test/bench/floor-proxy.ts`; prints `floor listening on <url>`.
 *
 * With BENCH_FLOOR_READS_CHUNKS=1 the response body is a JavaScript ReadableStream that reads each
 * upstream chunk and enqueues it as it is, still parsing nothing: the least any gateway that looks at a
 * stream (for its tokens, usage, errors) can cost, since the plain floor's body never enters JavaScript.
 */
const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error('BENCH_UPSTREAM_URL is not set');
const readsChunks = process.env.BENCH_FLOOR_READS_CHUNKS === '1';

function throughJavaScript(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.delete('host');
    const answer = await fetch(upstream + url.pathname, { method: request.method, headers, body: await request.arrayBuffer() });
    const body = readsChunks && answer.body ? throughJavaScript(answer.body) : answer.body;
    return new Response(body, { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' } });
  },
});

process.stdout.write(`floor listening on http://127.0.0.1:${server.port}\n`);
process.once('SIGTERM', () => {
  void server.stop(true);
  process.exit(0);
});
