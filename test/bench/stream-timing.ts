/**
 * Time to first token and per-chunk delay, seen by a client that timestamps every SSE chunk as it
 * arrives. The upstream writes its own clock into each paced token (upstream-answers.ts), so the time a
 * chunk spent between the upstream's write and the client's read is measured per chunk; the same figure
 * for `direct` is the path without any gateway, and the difference is what the gateway added.
 *
 * Time to first token is measured twice. As the client sees it (request sent → first content chunk read),
 * which includes the upstream's own wait before its first token: on this machine that wait is a timer in
 * a process sharing two cores with the gateway and the load generator, late by up to a millisecond and
 * differently from stream to stream, so the p99 of two contenders' TTFTs differs by that noise as much as
 * by what the gateway adds. And as its path: the request's way to the upstream (sent → reached the
 * upstream's handler) plus the first token's way back (upstream write → client read), per stream, both
 * stamped into the first token. The path is what a gateway can add to TTFT; the upstream's wait is not.
 * The path still carries the client's and the upstream's own stalls, as direct's does.
 */
import type { HttpCall } from './contenders.ts';
import { SseReader, tallyEvent, emptyTally, requestArrivedAtOf, sentAtOf } from './sse-reader.ts';
import { percentileOfSorted, sleep, wallClockMs } from './stats.ts';

export type StreamTimingResult = {
  streams: number;
  failed: number;
  firstFailure: string | undefined;
  ttftP50Ms: number;
  ttftP99Ms: number;
  /** TTFT less the upstream's wait for its first token: request sent → upstream, plus first token written → read. */
  ttftPathP50Ms: number;
  ttftPathP99Ms: number;
  /** Upstream write → client read, for every content chunk after the first. */
  chunkTransitP50Ms: number;
  chunkTransitP99Ms: number;
  /** The longest a content chunk took from the upstream's write to the client's read: the longest stall. */
  chunkTransitMaxMs: number;
  /** Time between consecutive content chunks at the client. */
  gapP99Ms: number;
};

export async function runStreamTiming(
  call: HttpCall,
  options: { concurrency: number; seconds: number; expectedChunks: number },
): Promise<StreamTimingResult> {
  const ttfts: number[] = [];
  const ttftPaths: number[] = [];
  const transits: number[] = [];
  const gaps: number[] = [];
  let streams = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const stopAt = performance.now() + options.seconds * 1000;
  const maxStreams = options.concurrency * 1000;

  const oneStream = async () => {
    const startedAt = wallClockMs();
    const response = await fetch(call.url, { method: 'POST', headers: call.headers, body: call.body, signal: AbortSignal.timeout(30_000) });
    if (response.status !== 200 || response.body === null) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 160)}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const sse = new SseReader();
    const tally = emptyTally();
    let previousAt: number | undefined;
    let ttft = Number.NaN;
    let ttftPath = Number.NaN;
    const streamTransits: number[] = [];
    const streamGaps: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const receivedAt = wallClockMs();
      for (const event of sse.push(decoder.decode(value, { stream: true }))) {
        const content = tallyEvent(call.clientWire, event, tally);
        if (content === undefined) continue;
        if (previousAt === undefined) {
          ttft = receivedAt - startedAt;
          const sentAt = sentAtOf(content);
          const arrivedAt = requestArrivedAtOf(content);
          if (sentAt !== undefined && arrivedAt !== undefined) ttftPath = arrivedAt - startedAt + (receivedAt - sentAt);
        } else {
          streamGaps.push(receivedAt - previousAt);
          const sentAt = sentAtOf(content);
          if (sentAt !== undefined) streamTransits.push(receivedAt - sentAt);
        }
        previousAt = receivedAt;
      }
    }
    if (tally.errorText !== undefined) throw new Error(`in-band error: ${tally.errorText}`);
    if (tally.contentChunks !== options.expectedChunks || !tally.sawEnd) {
      throw new Error(`incomplete stream: ${tally.contentChunks}/${options.expectedChunks} chunks, end ${tally.sawEnd}`);
    }
    // Only complete streams count: a broken one has no meaningful timing.
    ttfts.push(ttft);
    if (Number.isFinite(ttftPath)) ttftPaths.push(ttftPath);
    transits.push(...streamTransits);
    gaps.push(...streamGaps);
  };

  const worker = async () => {
    while (performance.now() < stopAt && streams < maxStreams) {
      streams++;
      try {
        await oneStream();
      } catch (error) {
        failed++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
        // A failing contender fails fast; do not spin.
        await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  const sortedTtft = Float64Array.from(ttfts).sort();
  const sortedTtftPath = Float64Array.from(ttftPaths).sort();
  const sortedTransit = Float64Array.from(transits).sort();
  return {
    streams,
    failed,
    firstFailure,
    ttftP50Ms: percentileOfSorted(sortedTtft, 50),
    ttftP99Ms: percentileOfSorted(sortedTtft, 99),
    ttftPathP50Ms: percentileOfSorted(sortedTtftPath, 50),
    ttftPathP99Ms: percentileOfSorted(sortedTtftPath, 99),
    chunkTransitP50Ms: percentileOfSorted(sortedTransit, 50),
    chunkTransitP99Ms: percentileOfSorted(sortedTransit, 99),
    chunkTransitMaxMs: sortedTransit.length > 0 ? sortedTransit[sortedTransit.length - 1]! : Number.NaN,
    gapP99Ms: percentileOfSorted(Float64Array.from(gaps).sort(), 99),
  };
}
