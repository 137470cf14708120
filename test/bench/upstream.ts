/// <reference types="bun" />
/**
 * The benchmark's upstream: an OpenAI- and Anthropic-compatible server on Bun.serve that answers at
 * once (bodies built once per model and reused) or streams at a set pace (see upstream-answers.ts).
 * Run as its own process so its CPU never counts against a gateway: `bun test/bench/upstream.ts`.
 * Prints `upstream listening on <url>` when ready. GET /stats reports the streams open right now and the
 * most ever open at once, which shows whether a gateway really holds N upstream streams concurrently.
 */
import {
  answerShapeOf,
  completeBody,
  isPaced,
  streamHead,
  streamTail,
  streamToken,
  tokenText,
  type AnswerShape,
  type Wire,
} from './upstream-answers.ts';
import { wallClockMs } from './stats.ts';

/** Bun's direct stream controller: writes go straight to the socket buffer, flush sends them. */
type DirectController = { write(chunk: Uint8Array): unknown; flush(): unknown; close(): void };

type ChatBody = { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } };

const completeBodies = new Map<string, string>();
const instantStreams = new Map<string, Uint8Array[]>();
let openStreams = 0;
let mostOpenStreams = 0;
let requestCount = 0;

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.BENCH_UPSTREAM_PORT ?? 0),
  // Slow streams stay quiet between tokens for longer than Bun's 10 s default allows.
  idleTimeout: 0,
  async fetch(request) {
    const arrivedAtMs = wallClockMs();
    const path = new URL(request.url).pathname;
    if (request.method === 'GET' && path === '/stats') {
      return Response.json({ openStreams, mostOpenStreams, requestCount });
    }
    if (request.method === 'POST' && path === '/stats/reset') {
      mostOpenStreams = openStreams;
      requestCount = 0;
      return Response.json({ ok: true });
    }
    const wire: Wire | undefined = path.endsWith('/chat/completions') ? 'openai' : path.endsWith('/messages') ? 'anthropic' : undefined;
    if (request.method !== 'POST' || wire === undefined) return new Response('not found', { status: 404 });
    requestCount++;
    let body: ChatBody;
    try {
      body = (await request.json()) as ChatBody;
    } catch {
      return Response.json({ error: { message: 'invalid JSON' } }, { status: 400 });
    }
    const model = typeof body.model === 'string' ? body.model : 'bench';
    const shape = answerShapeOf(model);
    if (body.stream !== true) {
      // A paced non-streaming answer arrives when the whole answer would have been generated.
      if (isPaced(shape)) await Bun.sleep(shape.firstTokenDelayMs + (shape.chunks - 1) * shape.interTokenDelayMs);
      return completeResponse(wire, model, shape);
    }
    // Anthropic always reports usage; OpenAI only when asked, as the real API does.
    const includeUsage = wire === 'anthropic' || body.stream_options?.include_usage === true;
    return streamResponse({ wire, model, shape, includeUsage, clientGone: request.signal, arrivedAtMs });
  },
});

process.stdout.write(`upstream listening on http://127.0.0.1:${server.port}\n`);
process.once('SIGTERM', () => {
  void server.stop(true);
  process.exit(0);
});

function completeResponse(wire: Wire, model: string, shape: AnswerShape): Response {
  const key = wire + ' ' + model;
  let body = completeBodies.get(key);
  if (body === undefined) {
    body = completeBody(wire, model, shape);
    if (completeBodies.size < 100) completeBodies.set(key, body);
  }
  return new Response(body, { headers: { 'content-type': 'application/json' } });
}

/** What a streamed answer is made from. */
type StreamedAnswer = {
  wire: Wire;
  model: string;
  shape: AnswerShape;
  includeUsage: boolean;
  /** Aborted when the gateway or client reading the stream went away. */
  clientGone: AbortSignal;
  /** When the request reached this server: a paced stream's first token carries it. */
  arrivedAtMs: number;
};

function streamResponse(answer: StreamedAnswer): Response {
  const { wire, model, shape, includeUsage } = answer;
  const headers = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
  const paced = isPaced(shape);
  const events = paced ? undefined : instantEvents(wire, model, shape, includeUsage);
  const source = {
    type: 'direct',
    async pull(controller: DirectController) {
      openStreams++;
      mostOpenStreams = Math.max(mostOpenStreams, openStreams);
      try {
        if (events !== undefined) {
          // Each event is its own write, as an LLM server flushes every token.
          for (const event of events) {
            controller.write(event);
            await controller.flush();
          }
        } else {
          await writePaced(controller, answer);
        }
      } catch {
        // The reader went away; nothing to tell anyone.
      } finally {
        openStreams--;
        controller.close();
      }
    },
  };
  // The DOM typings know nothing of Bun's `type: 'direct'` streams.
  return new Response(new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>), { headers });
}

async function writePaced(controller: DirectController, { wire, model, shape, includeUsage, clientGone, arrivedAtMs }: StreamedAnswer): Promise<void> {
  for (const event of streamHead(wire, model)) controller.write(event);
  await controller.flush();
  for (let index = 0; index < shape.chunks; index++) {
    const wait = index === 0 ? shape.firstTokenDelayMs : shape.interTokenDelayMs;
    if (wait > 0) await Bun.sleep(wait);
    // A gateway that gave up on this stream must not keep counting as an open one.
    if (clientGone.aborted) return;
    controller.write(streamToken(wire, model, tokenText(wallClockMs(), index === 0 ? arrivedAtMs : undefined)));
    await controller.flush();
  }
  for (const event of streamTail(wire, model, shape.chunks, includeUsage)) controller.write(event);
  await controller.flush();
}

function instantEvents(wire: Wire, model: string, shape: AnswerShape, includeUsage: boolean): Uint8Array[] {
  const key = `${wire} ${model} ${includeUsage}`;
  let events = instantStreams.get(key);
  if (events === undefined) {
    const token = streamToken(wire, model, tokenText(undefined));
    events = [...streamHead(wire, model), ...Array.from({ length: shape.chunks }, () => token), ...streamTail(wire, model, shape.chunks, includeUsage)];
    if (instantStreams.size < 100) instantStreams.set(key, events);
  }
  return events;
}
