/**
 * The upstream client of Node and Deno against a real node:http server: what fetch would do for everything
 * the gateway relies on (bodies and headers both ways, decompression, streaming chunk by chunk, aborts,
 * broken connections, backpressure). It is plain node:http, so it runs (and is tested) on every runtime,
 * though Bun does not use it.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { nodeUpstreamFetch } from './node-upstream-fetch.ts';

type Handler = (incoming: IncomingMessage, body: string, outgoing: ServerResponse) => void;

let server: Server;
let baseUrl: string;
const handlers = new Map<string, Handler>();
/** Requests whose connection closed, by path (to see an abort reach the upstream). */
const closed = new Set<string>();

before(async () => {
  server = createServer((incoming, outgoing) => {
    let body = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (piece: string) => (body += piece));
    incoming.on('end', () => handlers.get(incoming.url ?? '')?.(incoming, body, outgoing));
    outgoing.on('close', () => closed.add(incoming.url ?? ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, init: { headers?: HeadersInit; body?: string; signal?: AbortSignal } = {}) =>
  nodeUpstreamFetch(baseUrl + path, { method: 'POST', headers: new Headers(init.headers), body: init.body ?? '{}', signal: init.signal ?? new AbortController().signal });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 5_000; waited += 10) {
    if (condition()) return;
    await sleep(10);
  }
  assert.fail(`not within 5 s: ${what}`);
}

describe('the Node upstream client', () => {
  it('sends the body and headers as given, with a length, and answers status, headers and body as sent', async () => {
    handlers.set('/echo', (incoming, body, outgoing) => {
      outgoing.writeHead(201, [
        ['content-type', 'application/json'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
        ['x-request-id', 'req_1'],
      ]);
      outgoing.end(JSON.stringify({ body, headers: incoming.headers, method: incoming.method }));
    });
    const body = JSON.stringify({ model: 'gpt-x', messages: [{ role: 'user', content: 'héllo 👋' }] });
    const response = await post('/echo', { headers: { authorization: 'Bearer key', 'content-type': 'application/json' }, body });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-request-id'), 'req_1');
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    const echoed = (await response.json()) as { body: string; headers: Record<string, string>; method: string };
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.body, body);
    assert.equal(echoed.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(echoed.headers.authorization, 'Bearer key');
    assert.equal(echoed.headers['accept-encoding'], 'gzip, deflate, br', 'asks for what it can decode, as fetch does');
    assert.match(echoed.headers['user-agent'] ?? '', /^(node|Deno\/\d)/, 'names the runtime, as its fetch does');
  });

  it('undoes gzip and brotli, as fetch does', async () => {
    const text = JSON.stringify({ answer: 'x'.repeat(10_000) });
    handlers.set('/gzip', (_incoming, _body, outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      outgoing.end(gzipSync(text));
    });
    handlers.set('/br', (_incoming, _body, outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' });
      outgoing.end(brotliCompressSync(text));
    });
    assert.equal(await (await post('/gzip')).text(), text);
    assert.equal(await (await post('/br')).text(), text);
  });

  it('hands over each chunk of a stream as it arrives, not when the stream ends', async () => {
    let sendNext: (() => void) | undefined;
    handlers.set('/stream', (_incoming, _body, outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      sendNext = () => {
        sent++;
        if (sent <= 3) outgoing.write(`data: ${sent}\n\n`);
        else outgoing.end('data: [DONE]\n\n');
      };
      sendNext();
    });
    const response = await post('/stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const received: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(decoder.decode(value));
      // The next chunk is written only once this one has been read: a client that waited for the end would hang here.
      sendNext!();
    }
    assert.deepEqual(received, ['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n', 'data: [DONE]\n\n']);
  });

  it('errors the body when the connection breaks mid-stream, instead of ending it as if complete', async () => {
    handlers.set('/broken', (_incoming, _body, outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
      outgoing.write('data: 1\n\n');
      setTimeout(() => outgoing.socket?.destroy(), 50);
    });
    const response = await post('/broken');
    const reader = response.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), 'data: 1\n\n');
    await assert.rejects(reader.read(), TypeError);
  });

  it('rejects with the signal’s reason when aborted before the answer, and closes the upstream connection', async () => {
    handlers.set('/slow-answer', () => {});
    const controller = new AbortController();
    const answer = post('/slow-answer', { signal: controller.signal });
    await sleep(50);
    const reason = new Error('the client left');
    controller.abort(reason);
    await assert.rejects(answer, (error) => error === reason);
    await eventually(() => closed.has('/slow-answer'), 'the upstream saw the connection close');
  });

  it('errors the body when aborted mid-stream, and closes the upstream connection', async () => {
    handlers.set('/abort-mid-stream', (_incoming, _body, outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
      outgoing.write('data: 1\n\n');
    });
    const controller = new AbortController();
    const response = await post('/abort-mid-stream', { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await assert.rejects(reader.read());
    await eventually(() => closed.has('/abort-mid-stream'), 'the upstream saw the connection close');
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await assert.rejects(post('/echo', { signal: controller.signal }), /gone/);
  });

  it('rejects with a TypeError when nothing listens, as fetch does', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await assert.rejects(
      nodeUpstreamFetch(`http://127.0.0.1:${port}/v1`, { method: 'POST', headers: new Headers(), body: '{}', signal: new AbortController().signal }),
      TypeError,
    );
  });

  it('answers a 204 with no body', async () => {
    handlers.set('/empty', (_incoming, _body, outgoing) => {
      outgoing.writeHead(204);
      outgoing.end();
    });
    const response = await post('/empty');
    assert.equal(response.status, 204);
    assert.equal(response.body, null);
  });

  it('holds the upstream back while nobody reads, instead of buffering its whole answer', async () => {
    const piece = Buffer.alloc(64 * 1024, 'x');
    const pieces = 512; // 32 MiB: far more than the kernel's socket buffers hold
    let written = 0;
    let finished = false;
    handlers.set('/large', (_incoming, _body, outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'application/octet-stream' });
      const writeMore = () => {
        while (written < pieces) {
          written++;
          if (!outgoing.write(piece)) return void outgoing.once('drain', writeMore);
        }
        outgoing.end(() => (finished = true));
      };
      writeMore();
    });
    const response = await post('/large');
    await sleep(300);
    assert.ok(written < pieces / 2, `the upstream wrote ${written} of ${pieces} pieces while nobody read`);
    let received = 0;
    const reader = response.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) received += read.value.byteLength;
    assert.equal(received, piece.byteLength * pieces);
    await eventually(() => finished, 'the upstream finished writing');
  });
});
