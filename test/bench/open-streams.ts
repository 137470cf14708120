/// <reference types="bun" />
/**
 * Many concurrent open streams with slow tokens (one a second): does the gateway hold them all at
 * once, with bounded memory, and does every stream keep flowing? The client is raw HTTP/1.1 over
 * Bun.connect: thousands of sockets cost it little, and unlike `fetch` it has no cap on requests in
 * flight. A stream is stalled when it goes longer than `stallGapMs` without a byte, or is not finished
 * by the deadline.
 */
import { bunFetchCap, type HttpCall } from './contenders.ts';
import { memoryOf } from './processes.ts';
import { percentile, sleep } from './stats.ts';

export type OpenStreamsResult = {
  streams: number;
  completed: number;
  stalled: number;
  /** Of the stalled, those that went silent once they had started (the rest waited for their first byte). */
  stalledAfterFirstByte: number;
  failed: number;
  firstFailure: string | undefined;
  /** Streams that had started answering and had not finished, at the busiest moment. */
  mostOpenAtOnce: number;
  /** Client connections open at once, answering or still waiting for the gateway. */
  mostConnectedAtOnce: number;
  /** The most streams the upstream itself ever had open at once during the test. */
  upstreamMostOpen: number;
  firstByteP50Ms: number;
  firstByteP99Ms: number;
  rssIdleMb: number;
  /** The most RSS sampled while every stream was answering at once (NaN if they never all were). */
  rssAllOpenMb: number;
  /** The most RSS sampled during the whole test, including when the streams end and are recorded. */
  rssPeakMb: number;
  /** RSS two seconds after the last stream ended: what a burst leaves behind in the process. */
  rssAfterMb: number;
  /** (peak − idle) / most connections open at once. */
  kbPerStream: number;
  seconds: number;
};

type StreamState = {
  startedAt: number;
  firstByteAt: number | undefined;
  lastByteAt: number;
  /** The longest silence after the first byte (the wait for it is firstByteAt − startedAt). */
  longestGapAfterFirstByteMs: number;
  dataEvents: number;
  bytes: number;
  carry: string;
  connected: boolean;
  done: boolean;
  cutOff: boolean;
  failure: string | undefined;
  socket: { end(): void; terminate(): void } | undefined;
};

export type OpenStreamsOptions = {
  streams: number;
  tokens: number;
  /** Process whose memory is measured, if any. */
  pid: number | undefined;
  upstreamUrl: string;
  stallGapMs: number;
};

/** Whether streams failed or stalled while no more than Bun's fetch cap answered at once: they queued inside `fetch`. */
export function queuedInBunFetch(result: OpenStreamsResult): boolean {
  return result.stalled + result.failed > 0 && result.mostOpenAtOnce <= bunFetchCap && result.streams > bunFetchCap;
}

const batchSize = 250;
/** How long after the streams ended `rssAfterMb` is read. */
const afterEndMs = 2_000;
const batchIntervalMs = 20;

export async function runOpenStreams(call: HttpCall, options: OpenStreamsOptions): Promise<OpenStreamsResult> {
  const target = new URL(call.url);
  const request = new TextEncoder().encode(
    [
      `POST ${target.pathname} HTTP/1.1`,
      `host: ${target.host}`,
      ...Object.entries(call.headers).map(([name, value]) => `${name}: ${value}`),
      `content-length: ${new TextEncoder().encode(call.body).byteLength}`,
      '',
      call.body,
    ].join('\r\n'),
  );
  const rssIdleMb = options.pid === undefined ? Number.NaN : memoryOf(options.pid).rssMb;
  await fetch(options.upstreamUrl + '/stats/reset', { method: 'POST' }).then((response) => response.arrayBuffer());

  const states: StreamState[] = [];
  let rssPeakMb = rssIdleMb;
  let rssAllOpenMb = Number.NaN;
  let mostOpenAtOnce = 0;
  let mostConnectedAtOnce = 0;
  const begin = performance.now();
  const expectedMs = 500 + (options.tokens - 1) * 1000;

  const monitor = setInterval(() => {
    const now = performance.now();
    let open = 0;
    let connected = 0;
    for (const state of states) {
      if (state.connected) connected++;
      if (state.done || state.failure !== undefined) continue;
      if (state.firstByteAt !== undefined) open++;
      if (state.firstByteAt !== undefined) state.longestGapAfterFirstByteMs = Math.max(state.longestGapAfterFirstByteMs, now - state.lastByteAt);
    }
    mostOpenAtOnce = Math.max(mostOpenAtOnce, open);
    mostConnectedAtOnce = Math.max(mostConnectedAtOnce, connected);
    if (options.pid === undefined) return;
    const rssMb = memoryOf(options.pid).rssMb;
    rssPeakMb = Math.max(rssPeakMb, rssMb);
    if (open === options.streams) rssAllOpenMb = Number.isNaN(rssAllOpenMb) ? rssMb : Math.max(rssAllOpenMb, rssMb);
  }, 100);

  for (let opened = 0; opened < options.streams; opened += batchSize) {
    const batch = Math.min(batchSize, options.streams - opened);
    for (let index = 0; index < batch; index++) states.push(openStream(target, request));
    await sleep(batchIntervalMs);
  }
  const deadline = performance.now() + expectedMs + 3000;
  while (performance.now() < deadline && states.some((state) => !state.done && state.failure === undefined)) await sleep(100);
  clearInterval(monitor);
  const seconds = (performance.now() - begin) / 1000;

  for (const state of states) {
    // Cut off at the deadline: counted as stalled below, not as a failure.
    state.cutOff = !state.done && state.failure === undefined;
    state.socket?.terminate();
  }
  await sleep(afterEndMs);
  const rssAfterMb = options.pid === undefined ? Number.NaN : memoryOf(options.pid).rssMb;
  const upstreamStats = (await fetch(options.upstreamUrl + '/stats').then((response) => response.json())) as { mostOpenStreams: number };
  const failures = states.filter((state) => state.failure !== undefined);
  const completed = states.filter((state) => state.done && state.failure === undefined);
  // A finished stream has had its first byte; one that waited for it longer than the gap stalled too.
  const silentTooLong = (state: StreamState) => state.firstByteAt! - state.startedAt > options.stallGapMs || state.longestGapAfterFirstByteMs > options.stallGapMs;
  const stalled = states.filter((state) => state.failure === undefined && (!state.done || silentTooLong(state)));
  const firstBytes = states.flatMap((state) => (state.firstByteAt === undefined ? [] : [state.firstByteAt - state.startedAt]));
  return {
    streams: options.streams,
    completed: completed.length,
    stalled: stalled.length,
    stalledAfterFirstByte: stalled.filter((state) => state.longestGapAfterFirstByteMs > options.stallGapMs).length,
    failed: failures.length,
    firstFailure: failures[0]?.failure,
    mostOpenAtOnce,
    mostConnectedAtOnce,
    upstreamMostOpen: upstreamStats.mostOpenStreams,
    firstByteP50Ms: percentile(firstBytes, 50),
    firstByteP99Ms: percentile(firstBytes, 99),
    rssIdleMb,
    rssAllOpenMb,
    rssPeakMb,
    rssAfterMb,
    kbPerStream: mostConnectedAtOnce > 0 ? ((rssPeakMb - rssIdleMb) * 1024) / mostConnectedAtOnce : Number.NaN,
    seconds,
  };
}

function openStream(target: URL, request: Uint8Array): StreamState {
  const now = performance.now();
  const state: StreamState = {
    startedAt: now,
    firstByteAt: undefined,
    lastByteAt: now,
    longestGapAfterFirstByteMs: 0,
    dataEvents: 0,
    bytes: 0,
    carry: '',
    connected: false,
    done: false,
    cutOff: false,
    failure: undefined,
    socket: undefined,
  };
  const fail = (reason: string) => {
    if (!state.done && !state.cutOff) state.failure ??= reason;
  };
  Bun.connect({
    hostname: target.hostname,
    port: Number(target.port),
    socket: {
      open(socket) {
        state.socket = socket;
        state.connected = true;
        socket.write(request);
      },
      data(socket, bytes) {
        const receivedAt = performance.now();
        if (state.firstByteAt !== undefined) state.longestGapAfterFirstByteMs = Math.max(state.longestGapAfterFirstByteMs, receivedAt - state.lastByteAt);
        state.lastByteAt = receivedAt;
        state.bytes += bytes.byteLength;
        const text = Buffer.from(bytes).toString('latin1');
        if (state.firstByteAt === undefined) {
          state.firstByteAt = receivedAt;
          if (!text.startsWith('HTTP/1.1 200')) {
            fail(text.slice(0, text.indexOf('\r\n')) || 'no status line');
            socket.terminate();
            return;
          }
        }
        // Markers may be split between reads: search the tail of the previous read too.
        const window = state.carry + text;
        state.dataEvents += countOccurrences(window, 'data: ') - countOccurrences(state.carry, 'data: ');
        if (window.includes('[DONE]')) {
          state.done = true;
          socket.end();
        }
        state.carry = window.slice(-8);
      },
      close() {
        state.connected = false;
        if (!state.done) {
          const after = ((performance.now() - state.startedAt) / 1000).toFixed(1);
          fail(`connection closed before the stream ended (after ${after} s, ${state.bytes} bytes, ${state.dataEvents} data events)`);
        }
      },
      error(_socket, error) {
        fail(error.message);
      },
      connectError(_socket, error) {
        fail(`connect: ${error.message}`);
      },
    },
  }).catch((error: unknown) => fail(`connect: ${error instanceof Error ? error.message : String(error)}`));
  return state;
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}
