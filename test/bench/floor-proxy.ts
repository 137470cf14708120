/// <reference types="bun" />
/**
 * The floor: the least any gateway can cost. A bare forwarding proxy on Bun.serve that sends the request
 * on with `fetch` and returns the upstream's body stream, parsing nothing. Any gateway that does real work
 * (routing, conversion, telemetry) is measured against this.
 * `BENCH_UPSTREAM_URL=http://127.0.0.1:PORT bun test/bench/floor-proxy.ts`; prints `floor listening on <url>`.
 */
const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error('BENCH_UPSTREAM_URL is not set');

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.delete('host');
    const answer = await fetch(upstream + url.pathname, { method: request.method, headers, body: await request.arrayBuffer() });
    return new Response(answer.body, { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' } });
  },
});

process.stdout.write(`floor listening on http://127.0.0.1:${server.port}\n`);
process.once('SIGTERM', () => {
  void server.stop(true);
  process.exit(0);
});
