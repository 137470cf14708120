/**
 * A real HTTP server on 127.0.0.1 that speaks both upstream APIs, for the gateway to call:
 *   OpenAI:    POST /v1/chat/completions              (provider base_url = `${upstream.url}/v1`)
 *   Anthropic: POST /v1/messages, /v1/messages/count_tokens  (provider base_url = upstream.url)
 * Tests queue the responses it gives (status, headers, JSON or SSE bytes written in chosen pieces, then
 * end, reset or stall; or nothing at all, holding or dropping the connection) and read back every request
 * it received, when, and whether the gateway hung up on it.
 * With nothing queued it answers a small valid response in the protocol of the path.
 * Built on node:http, which Bun, Deno and Node all provide.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { serveOnLoopback, type LoopbackServer } from './loopback.ts';
import { concatBytes, firstEvents, splitBytes, type Chunking } from './chunking.ts';
import {
  anthropicEvents,
  anthropicMessage,
  anthropicSse,
  DEFAULT_ANSWER_TEXT,
  type AnswerScript,
  openAiChunks,
  openAiCompletion,
  openAiSse,
} from './upstream-answers.ts';

export type ScriptedResponse = {
  /** When set, only a request to this path takes this response; requests to other paths pass it by. */
  path?: string;
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body (content-type application/json). */
  json?: unknown;
  /** An SSE body, e.g. a recorded fixture (content-type text/event-stream). */
  sse?: Uint8Array | string;
  /** Any other body, sent as is with the given headers. */
  body?: Uint8Array | string;
  /** How the body is cut into writes; default one write per SSE event for `sse`, whole otherwise. */
  chunking?: Chunking;
  /** Pause between two writes, in milliseconds (default 0: a yield to the event loop, still separate writes). */
  delayMs?: number;
  /** After the body: end the response (default), destroy the connection, or keep it open sending nothing. */
  then?: 'end' | 'reset' | 'stall';
  /** Send nothing at all, not even the status line, and keep the connection open (a model still thinking). */
  hold?: boolean;
  /** Accept the request, then close the connection without sending a single byte (a crashed upstream). */
  drop?: boolean;
};

/** How a response ended, seen from the upstream. */
export type ResponseOutcome = {
  /** completed: every byte sent; aborted: the gateway closed the connection first; reset: we destroyed it. */
  kind: 'completed' | 'aborted' | 'reset';
  /** performance.now() in the test process when it happened. */
  atMs: number;
  bytesSent: number;
};

export type ReceivedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: any;
  /** performance.now() in the test process when the request arrived (before its body was read). */
  receivedAtMs: number;
  /** Settles once the response is over, however it ended. */
  outcome: Promise<ResponseOutcome>;
  /** Destroys the connection now (e.g. once the client has seen the first text of a stalled stream). */
  reset(): void;
};

type Responder = ScriptedResponse | ((request: ReceivedRequest) => ScriptedResponse);

export class TestUpstream {
  readonly requests: ReceivedRequest[] = [];
  private readonly queue: Responder[] = [];
  private server!: LoopbackServer;

  private constructor() {}

  static async start(): Promise<TestUpstream> {
    const upstream = new TestUpstream();
    upstream.server = await serveOnLoopback((request, response) => void upstream.handle(request, response));
    return upstream;
  }

  /** Base URL without /v1 (Anthropic convention); add `/v1` for an OpenAI provider. */
  get url(): string {
    return this.server.url;
  }

  /** Queue responses for the next requests, in order; a function sees the request first. */
  enqueue(...responses: Responder[]): void {
    this.queue.push(...responses);
  }

  /** The last request received, failing loudly when there was none. */
  lastRequest(): ReceivedRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error('the test upstream has received no request');
    return last;
  }

  /** Forget queued responses and recorded requests, between tests. */
  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAtMs = performance.now();
    const rawBody = await readBody(request);
    let settle: (outcome: ResponseOutcome) => void = () => {};
    const connection = { weResetIt: false };
    const received: ReceivedRequest = {
      method: request.method ?? '',
      path: (request.url ?? '').split('?')[0],
      headers: request.headers,
      rawBody,
      json: parseJsonOrUndefined(rawBody),
      receivedAtMs,
      outcome: new Promise((resolve) => (settle = resolve)),
      reset: () => {
        connection.weResetIt = true;
        response.socket?.destroy();
      },
    };
    this.requests.push(received);
    const scripted = this.takeResponse(received);
    await writeResponse(response, scripted, settle, connection);
  }

  private takeResponse(request: ReceivedRequest): ScriptedResponse {
    const position = this.queue.findIndex((responder) => typeof responder === 'function' || responder.path === undefined || responder.path === request.path);
    if (position === -1) return defaultResponse(request);
    const [responder] = this.queue.splice(position, 1);
    return typeof responder === 'function' ? responder(request) : responder;
  }
}

async function writeResponse(
  response: ServerResponse,
  scripted: ScriptedResponse,
  settle: (outcome: ResponseOutcome) => void,
  connection: { weResetIt: boolean },
): Promise<void> {
  let bytesSent = 0;
  let ended = false;
  response.on('close', () => {
    const kind = connection.weResetIt ? 'reset' : ended && response.writableFinished ? 'completed' : 'aborted';
    settle({ kind, atMs: performance.now(), bytesSent });
  });

  if (scripted.hold) return;
  if (scripted.drop) {
    connection.weResetIt = true;
    response.socket?.destroy();
    return;
  }
  const { bytes, contentType } = bodyOf(scripted);
  const headers: Record<string, string> = { 'content-type': contentType, ...scripted.headers };
  if (scripted.sse !== undefined) headers['cache-control'] ??= 'no-cache';
  response.writeHead(scripted.status ?? 200, headers);
  response.flushHeaders();

  const chunking = scripted.chunking ?? (scripted.sse !== undefined ? { kind: 'events' } : { kind: 'whole' });
  for (const piece of splitBytes(bytes, chunking)) {
    if (response.destroyed) return;
    await pause(scripted.delayMs ?? 0);
    if (response.destroyed) return;
    await new Promise<void>((resolve) => response.write(piece, () => resolve()));
    bytesSent += piece.length;
  }
  const ending = scripted.then ?? 'end';
  switch (ending) {
    case 'end':
      ended = true;
      response.end();
      return;
    case 'reset':
      await pause(scripted.delayMs ?? 0);
      connection.weResetIt = true;
      response.socket?.destroy();
      return;
    case 'stall':
      return;
    default:
      assertNeverEnding(ending);
  }
}

function assertNeverEnding(value: never): never {
  throw new Error(`unknown response ending: ${String(value)}`);
}

function bodyOf(scripted: ScriptedResponse): { bytes: Uint8Array; contentType: string } {
  const encode = (body: Uint8Array | string) => (typeof body === 'string' ? new TextEncoder().encode(body) : body);
  if (scripted.sse !== undefined) return { bytes: encode(scripted.sse), contentType: 'text/event-stream; charset=utf-8' };
  if (scripted.json !== undefined) return { bytes: encode(JSON.stringify(scripted.json)), contentType: 'application/json' };
  return { bytes: encode(scripted.body ?? ''), contentType: 'application/octet-stream' };
}

/**
 * A responder that answers `script` in whatever protocol and mode the request asks for: OpenAI or
 * Anthropic by path, SSE when `stream: true` (with the usage chunk only when the request asked for it,
 * as OpenAI does), JSON otherwise. `delivery` sets chunking, pacing and how the response ends.
 */
/**
 * Deliveries that cut a stream where parsers break: every byte, odd sizes that split UTF-8 code points
 * and CRLF pairs, seeded random cuts. Used with `multiByteText` by the SDK client suites.
 */
export const awkwardDeliveries = [
  { label: 'one byte per write', delivery: { chunking: { kind: 'bytes', size: 1 } } },
  { label: 'three bytes per write', delivery: { chunking: { kind: 'bytes', size: 3 } } },
  { label: 'seven bytes per write, CRLF line ends', delivery: { chunking: { kind: 'bytes', size: 7 }, crlf: true } },
  { label: 'random writes (seed 7)', delivery: { chunking: { kind: 'random', seed: 7, maxSize: 40 } } },
  { label: 'random writes (seed 99), CRLF line ends', delivery: { chunking: { kind: 'random', seed: 99, maxSize: 17 }, crlf: true } },
] as const;

/** Text pieces whose characters take 2, 3 and 4 bytes in UTF-8: any byte-level cut splits some of them. */
export const multiByteText = ['Grüße ', '日本語の', 'テキスト ', '🌍🚀', ' done'];

export function answerWith(
  script: AnswerScript,
  delivery: Pick<ScriptedResponse, 'chunking' | 'delayMs' | 'then' | 'headers'> & {
    /** Send only the first n SSE events: a stream cut off mid-way. */
    onlyFirstEvents?: number;
    /** Write SSE lines ending in CRLF instead of LF (both are valid SSE). */
    crlf?: boolean;
    /** Bytes written after the (possibly cut) events: garbage, a malformed chunk, half an event. */
    append?: string;
  } = {},
): (request: ReceivedRequest) => ScriptedResponse {
  return (request) => {
    const body = request.json ?? {};
    let sse: string | undefined;
    if (request.path === '/v1/chat/completions') {
      if (body.stream !== true) return { json: openAiCompletion(script), headers: delivery.headers };
      sse = openAiSse(openAiChunks(script, body.stream_options?.include_usage === true));
    } else if (request.path === '/v1/messages') {
      if (body.stream !== true) return { json: anthropicMessage(script), headers: delivery.headers };
      sse = anthropicSse(anthropicEvents(script));
    } else {
      throw new Error(`answerWith: ${request.path} is not a messages endpoint`);
    }
    const { onlyFirstEvents, crlf, append, ...rest } = delivery;
    const bytes = new TextEncoder().encode(crlf ? sse.split('\n').join('\r\n') : sse);
    const events = onlyFirstEvents === undefined ? bytes : firstEvents(bytes, onlyFirstEvents);
    return { ...rest, sse: append === undefined ? events : concatBytes([events, new TextEncoder().encode(append)]) };
  };
}

/** A small valid answer in the protocol the path belongs to, echoing the requested model. */
function defaultResponse(request: ReceivedRequest): ScriptedResponse {
  const body = request.json ?? {};
  const model = typeof body.model === 'string' ? body.model : 'unknown-model';
  if (request.method === 'POST' && (request.path === '/v1/chat/completions' || request.path === '/v1/messages')) {
    return answerWith({ model, text: DEFAULT_ANSWER_TEXT })(request);
  }
  if (request.method === 'POST' && request.path === '/v1/messages/count_tokens') {
    return { json: { input_tokens: estimateTokens(request.rawBody) } };
  }
  if (request.method === 'GET' && request.path === '/v1/models') {
    return { json: { object: 'list', data: [{ id: 'upstream-model', object: 'model', created: 0, owned_by: 'test' }] } };
  }
  return { status: 404, json: { error: { message: `test upstream: no route for ${request.method} ${request.path}`, type: 'not_found' } } };
}

/** The default count_tokens answer: grows with the body, so tests can tell it from an estimate. */
export function estimateTokens(rawBody: string): number {
  return 1000 + rawBody.length;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of request) pieces.push(piece as Buffer);
  return Buffer.concat(pieces).toString('utf8');
}

function parseJsonOrUndefined(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** 0 yields to the event loop once (each write still leaves on its own); more waits on a timer. */
function pause(milliseconds: number): Promise<void> {
  if (milliseconds <= 0) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
