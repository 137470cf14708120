/**
 * Clients that disconnect at random points of a streamed call (before the response headers, after the
 * first chunk, in the middle), on all four routes, drawn by fast-check from a fixed seed so a failure
 * replays. Each time: the upstream sees its request aborted promptly, the span says `error.type =
 * cancelled`, the log row is written with the output the client had got so far, and the metrics count it.
 *
 * Timing is the behaviour: the issue asks for the upstream to be aborted within 100 ms. One slow
 * scheduling slice on a busy 2-core machine can exceed that, so each disconnect must reach the upstream
 * within 1 s (anything slower is a missed abort, not noise), and the median over the runs within 100 ms.
 * The test upstream timestamps the abort in this process, so the measure includes both hops.
 */
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSseText } from '../support/stream-checks.ts';
import { answerWith } from '../support/test-upstream.ts';
import { parsePrometheusText, samplesOf } from '../telemetry/support/prometheus-text.ts';
import { newTrace, upstreamProviders, useObservedGateway, within } from './support/observed-gateway.ts';
import { eventually, judgeStream, parseJson, sendChat, textOfEvent, type ClientKind } from './support/raw-calls.ts';

const eachAbortWithinMs = 1000;
const medianAbortWithinMs = 100;
const runs = 16;
/** The upstream writes one event every this many ms and never finishes: it is always mid-answer. */
const paceMs = 25;
const words = Array.from({ length: 80 }, (_, index) => ` word${index}`);

type DisconnectPoint = 'before-headers' | 'after-first-chunk' | 'mid-stream';

const schedule = fc.record({
  client: fc.constantFrom<ClientKind>('openai', 'anthropic'),
  upstream: fc.constantFrom<ClientKind>('openai', 'anthropic'),
  point: fc.constantFrom<DisconnectPoint>('before-headers', 'after-first-chunk', 'mid-stream'),
  /** For mid-stream: how many text chunks the client reads first. */
  chunksFirst: fc.integer({ min: 2, max: 8 }),
  /** An extra pause before leaving, so the disconnect does not always land right after a read. */
  pauseMs: fc.integer({ min: 0, max: 40 }),
});

describe('clients that disconnect at random points', () => {
  const setup = useObservedGateway((upstreams) => ({
    providers: upstreamProviders(upstreams),
    retry: { attempts: 1 },
    routes: [
      { match: 'gpt-*', provider: 'openai-a' },
      { match: 'claude-*', provider: 'anthropic-a' },
    ],
  }));

  it(`${runs} random disconnects: upstream aborted promptly, span cancelled, log row with the partial output, counted`, { timeout: 120_000 }, async () => {
    const abortDelays: number[] = [];
    await fc.assert(
      fc.asyncProperty(schedule, async ({ client, upstream, point, chunksFirst, pauseMs }) => {
        const upstreamServer = setup.upstreams.a;
        upstreamServer.reset();
        const model = upstream === 'openai' ? 'gpt-faults' : 'claude-faults';
        upstreamServer.enqueue(
          point === 'before-headers' ? { hold: true } : answerWith({ model, text: words }, { delayMs: paceMs, then: 'stall' }),
        );
        const trace = newTrace();
        const controller = new AbortController();
        const responsePromise = sendChat(setup.gateway, { client, model, stream: true, headers: trace.headers, signal: controller.signal });
        responsePromise.catch(() => {});

        let received = '';
        if (point === 'before-headers') {
          assert.ok(await eventually(() => upstreamServer.requests.length === 1), 'the request reached the upstream');
        } else {
          const response = await responsePromise;
          assert.equal(response.status, 200);
          const reader = response.body!.getReader();
          const decoder = new TextDecoder();
          const wanted = point === 'after-first-chunk' ? 1 : chunksFirst;
          while (textChunks(client, received) < wanted) {
            const { value, done } = await reader.read();
            assert.ok(!done, 'the stream ended before the client left');
            received += decoder.decode(value, { stream: true });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        const leftAtMs = performance.now();
        controller.abort();

        const outcome = await within(upstreamServer.lastRequest().outcome, 3000);
        assert.ok(outcome, `${point}: the upstream request was still open 3 s after the client left`);
        assert.equal(outcome.kind, 'aborted', `${point}: the upstream response ended as ${outcome.kind}`);
        const delay = outcome.atMs - leftAtMs;
        abortDelays.push(delay);
        assert.ok(delay < eachAbortWithinMs, `${point}: the upstream saw the abort ${delay.toFixed(0)} ms after the client left`);

        const span = await setup.callSpan(trace.traceId);
        assert.equal(span.attributes['error.type'], 'cancelled', `${point}: span error.type`);
        const row = await setup.logRow(trace.traceId);
        assert.equal(row.error_type, 'cancelled', `${point}: log row error_type`);
        const clientText = judgeStream(client, received).outputText;
        if (point !== 'before-headers') {
          assert.ok(clientText.length > 0);
          assert.ok(String(row.response_body).includes(clientText), `${point}: the log row holds what the client got (${JSON.stringify(clientText)}): ${row.response_body}`);
        }
      }),
      { seed: 4242, numRuns: runs, endOnFailure: true },
    );

    const sorted = [...abortDelays].sort((left, right) => left - right);
    const median = sorted[Math.floor(sorted.length / 2)];
    assert.ok(median <= medianAbortWithinMs, `median abort delay ${median.toFixed(1)} ms over ${sorted.length} disconnects: ${sorted.map((ms) => ms.toFixed(0)).join(', ')}`);

    const samples = parsePrometheusText(await (await fetch(`${setup.gateway.url}/metrics`)).text());
    const cancelled = samplesOf(samples, 'gen_ai_client_operation_duration_count', { error_type: 'cancelled' }).reduce((sum, sample) => sum + sample.value, 0);
    assert.equal(cancelled, runs, 'every disconnect is counted as cancelled');
  });
});

/** How many text deltas the client has received so far (complete events only). */
function textChunks(client: ClientKind, text: string): number {
  return parseSseText(text).filter((record) => textOfEvent(client, parseJson(record.data) as Record<string, unknown> | undefined) !== '').length;
}
