/**
 * The floor on Node: a bare forwarding proxy on node:http that parses nothing, sending the request on
 * with the global `fetch` (BENCH_NODE_FLOOR_CLIENT=fetch, the default) or with `node:http`
 * (BENCH_NODE_FLOOR_CLIENT=http). The two differ only in the upstream client: node-floors.ts compares
 * them, which is why lessllm on Node sends its upstream requests with node:http
 * (src/runtime/node-upstream-fetch.ts). Plain JavaScript, so any Node runs it as it is.
 * `BENCH_UPSTREAM_URL=http://127.0.0.1:PORT node test/bench/node-floor-proxy.mjs`; prints
 * `floor listening on <url>`.
 */
import { Agent, createServer, request } from 'node:http';

const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error('BENCH_UPSTREAM_URL is not set');
const client = process.env.BENCH_NODE_FLOOR_CLIENT ?? 'fetch';
if (client !== 'fetch' && client !== 'http') throw new Error(`BENCH_NODE_FLOOR_CLIENT=${client}: fetch or http`);
const upstreamUrl = new URL(upstream);
const agent = new Agent({ keepAlive: true });

/** The request's headers for the upstream: the client's, less those that describe the client's connection. */
function forwardedHeaders(headers) {
  const forwarded = { ...headers };
  delete forwarded.host;
  delete forwarded.connection;
  return forwarded;
}

async function viaFetch(incoming, outgoing) {
  const pieces = [];
  for await (const piece of incoming) pieces.push(piece);
  const headers = forwardedHeaders(incoming.headers);
  delete headers['content-length'];
  const answer = await fetch(upstream + incoming.url, { method: incoming.method, headers, body: Buffer.concat(pieces) });
  outgoing.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  const reader = answer.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) outgoing.write(read.value);
  outgoing.end();
}

function viaHttp(incoming, outgoing) {
  const options = { host: upstreamUrl.hostname, port: upstreamUrl.port, path: incoming.url, method: incoming.method, headers: forwardedHeaders(incoming.headers), agent };
  const forward = request(options, (answer) => {
    outgoing.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
    answer.pipe(outgoing);
  });
  forward.on('error', () => outgoing.destroy());
  incoming.pipe(forward);
}

const server = createServer((incoming, outgoing) => {
  if (client === 'http') return viaHttp(incoming, outgoing);
  viaFetch(incoming, outgoing).catch(() => outgoing.destroy());
});
// The same backlog lessllm asks for on Node (src/runtime/serve.ts), so a burst is queued, not dropped.
server.listen({ host: '127.0.0.1', port: 0, backlog: 65_535 }, () => {
  process.stdout.write(`floor listening on http://127.0.0.1:${server.address().port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
