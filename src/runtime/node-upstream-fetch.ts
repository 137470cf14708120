/**
 * Upstream requests on Node and Deno through node:http and node:https instead of the global fetch, with
 * the same contract as fetch for what the gateway uses: a POST with a text body, headers and an AbortSignal
 * in; a web Response out, its body a ReadableStream that carries every chunk as it arrives, decompressed as
 * fetch would (the gateway forwards no content-encoding), erroring if the connection breaks mid-body.
 *
 * Why: on both runtimes fetch costs a gateway more than everything else it does. On Node (undici behind
 * web streams), a bare forwarding proxy opening 5,000 streams at once took 8.6 s of CPU with fetch and 3.8 s
 * with node:http, and its first byte's p99 was 3.5 s with fetch and 0.7 s with node:http
 * (test/bench/node-floors.ts); undici's pool also looks through every busy connection for a free one on
 * each new request. On Deno, lessllm spent 1,590 µs of CPU per streamed request of 20 chunks with fetch and
 * 465 with node:http, and held 5,000 open streams in 1.7 GB of RSS with fetch and 0.75 GB with node:http
 * (test/bench/ab.ts --runtime deno). Bun's fetch is its native client and stays (upstream-fetch.ts picks).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { currentRuntime } from './current-runtime.ts';

export type UpstreamRequestInit = { method: string; headers: Headers; body: string; signal: AbortSignal };

/**
 * fetch goes through HTTP_PROXY / HTTPS_PROXY / NO_PROXY always on Deno, and on Node when
 * NODE_USE_ENV_PROXY=1 or --use-env-proxy says so (Node ≥ 24.5); custom agents must be told, or a proxied
 * deployment would silently go direct.
 */
const useEnvironmentProxy =
  currentRuntime() === 'deno' ||
  process.env.NODE_USE_ENV_PROXY === '1' ||
  [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--use-env-proxy');
// Kept-alive connections without a cap per host, as fetch keeps them; the most recently used is reused first.
const agentOptions = { keepAlive: true, scheduling: 'lifo' as const, proxyEnv: useEnvironmentProxy ? process.env : undefined };
const agents = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) };

/** What Node's fetch asks for and decodes, so an upstream answers the same on every runtime. */
const acceptedEncodings = 'gzip, deflate, br';
/** What the runtime's own fetch would say it is, for upstreams that log or check it. */
const defaultUserAgent = currentRuntime() === 'deno' ? `Deno/${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}` : 'node';
/** Statuses whose responses have no body (a Response with one would not construct). */
const bodilessStatuses = new Set([204, 205, 304]);

export function nodeUpstreamFetch(url: string, init: UpstreamRequestInit): Promise<Response> {
  const { signal } = init;
  if (signal.aborted) return Promise.reject(signal.reason);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new TypeError(`invalid upstream URL: ${url}`));
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(new TypeError(`unsupported protocol ${target.protocol}`));

  const headers = Object.fromEntries(init.headers);
  headers['accept-encoding'] ??= acceptedEncodings;
  headers['user-agent'] ??= defaultUserAgent;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const outgoing = send(target, { method: init.method, headers, agent: agents[target.protocol as 'http:' | 'https:'] });
    // One listener for the call's whole life: before the answer it rejects, after it errors the body.
    const onAbort = () => outgoing.destroy(signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    const release = () => signal.removeEventListener('abort', onAbort);

    // `on`, not `once`: an 'error' event with no listener left would crash the process.
    outgoing.on('error', (error) => {
      release();
      if (!settled) {
        settled = true;
        reject(signal.aborted ? signal.reason : new TypeError(`fetch failed: ${error.message}`, { cause: error }));
      }
    });
    outgoing.once('response', (incoming) => {
      settled = true;
      try {
        resolve(responseOf(incoming, release));
      } catch (error) {
        incoming.destroy();
        release();
        reject(new TypeError(`fetch failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    });
    outgoing.end(init.body);
  });
}

function responseOf(incoming: IncomingMessage, release: () => void): Response {
  const status = incoming.statusCode ?? 0;
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) headers.append(raw[index], raw[index + 1]);
  incoming.once('close', release);
  if (bodilessStatuses.has(status)) {
    incoming.on('error', () => {});
    incoming.resume();
    return new Response(null, { status, statusText: incoming.statusMessage, headers });
  }
  return new Response(bodyStream(decoded(incoming, headers.get('content-encoding'))), { status, statusText: incoming.statusMessage, headers });
}

/** The body with its content codings undone, last applied first (as fetch does); an unknown one is left as is. */
function decoded(incoming: IncomingMessage, contentEncoding: string | null): Readable {
  if (contentEncoding === null) return incoming;
  const decoders: NodeJS.ReadWriteStream[] = [];
  for (const coding of contentEncoding.toLowerCase().split(',').map((name) => name.trim()).reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(createGunzip());
    else if (coding === 'deflate') decoders.push(createInflate());
    else if (coding === 'br') decoders.push(createBrotliDecompress());
    else if (coding !== 'identity' && coding !== '') return incoming;
  }
  if (decoders.length === 0) return incoming;
  // pipeline destroys every stage with the first error, so a broken connection errors the last decoder too.
  const stages = [incoming, ...decoders] as unknown as [Readable, ...NodeJS.ReadWriteStream[]];
  return pipeline(stages, () => {}) as unknown as Readable;
}

/**
 * How much of the body may wait unread before the source is paused. Counting chunks instead (one waiting
 * chunk) paused and resumed the source for nearly every chunk of a fast stream: 707 µs of event loop per
 * streamed request of 20 chunks against 447 µs with this (test/bench/ab.ts, --runtime node).
 */
const bufferedBytes: QueuingStrategy<Uint8Array> = { highWaterMark: 64 * 1024, size: (chunk) => chunk?.byteLength ?? 0 };

/**
 * A Node stream as a web stream, each chunk handed on as it comes: once `bufferedBytes` wait unread the
 * source is paused until the reader asks again, so a slow client holds the upstream back instead of the
 * gateway's memory filling up. Cancelling destroys the source (and with it the connection).
 */
function bodyStream(source: Readable): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.on('data', (chunk: Buffer) => {
        if (!open) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) <= 0) source.pause();
      });
      source.once('end', () => {
        if (open) controller.close();
        open = false;
      });
      source.on('error', (error) => {
        if (open) controller.error(new TypeError(`terminated: ${error.message}`, { cause: error }));
        open = false;
      });
    },
    pull() {
      source.resume();
    },
    cancel() {
      open = false;
      source.destroy();
    },
  }, bufferedBytes);
}
