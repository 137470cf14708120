/// <reference types="bun" />
/**
 * The floor: the least any gateway can cost. A bare forwarding proxy on Bun.serve that sends the request
 * on with `fetch` and returns the upstream's body stream, parsing nothing. Any gateway that does real work
 * (routing, conversion, telemetry) is measured against this.
 * `BENCH_UPSTREAM_URL=http://127.0.0.1:PORT bun test/bench/floor-proxy.ts`; prints `floor listening on <url>`.
 *
 * With BENCH_FLOOR_READS_BODIES=1 it does the least any gateway that routes by model and counts tokens
 * must do in JavaScript, and nothing more: the request is read and parsed (for its model), a JSON answer
 * is read and parsed (for its usage) and sent on as it came, and a stream passes chunk by chunk through a
 * JavaScript ReadableStream, unparsed. The plain floor's bodies never enter JavaScript at all.
 */
const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error('BENCH_UPSTREAM_URL is not set');
const readsBodies = process.env.BENCH_FLOOR_READS_BODIES === '1';

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

/** The request sent on to the same path at the upstream, with the client's headers less `host`. */
function sendUpstream(request: Request, body: ArrayBuffer | string): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.delete('host');
  return fetch(upstream + new URL(request.url).pathname, { method: request.method, headers, body });
}

async function forward(request: Request): Promise<Response> {
  const answer = await sendUpstream(request, await request.arrayBuffer());
  return new Response(answer.body, { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' } });
}

async function forwardReadingBodies(request: Request): Promise<Response> {
  const text = await request.text();
  if (typeof (JSON.parse(text) as { model?: unknown }).model !== 'string') return Response.json({ error: 'no model' }, { status: 400 });
  const answer = await sendUpstream(request, text);
  const contentType = answer.headers.get('content-type') ?? 'application/json';
  if (answer.body && contentType.startsWith('text/event-stream')) {
    return new Response(throughJavaScript(answer.body), { status: answer.status, headers: { 'content-type': contentType } });
  }
  const answerText = await answer.text();
  if ((JSON.parse(answerText) as { usage?: unknown }).usage === undefined) throw new Error('the upstream answered without usage');
  return new Response(answerText, { status: answer.status, headers: { 'content-type': contentType } });
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 0,
  fetch: readsBodies ? forwardReadingBodies : forward,
});

process.stdout.write(`floor listening on http://127.0.0.1:${server.port}\n`);
process.once('SIGTERM', () => {
  void server.stop(true);
  process.exit(0);
});
