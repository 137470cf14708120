/**
 * Open-loop load: requests leave on a schedule set by the clock (e.g. 1,000 per second), never waiting
 * for earlier answers, so a slow gateway cannot slow the load down and hide its own latency. Latency is
 * measured from the moment each request actually left; how late the generator itself was against its
 * schedule (timer granularity, a busy machine) is reported separately rather than mixed into every figure.
 */
import type { HttpCall } from './contenders.ts';
import { mean, percentileOfSorted, sleep } from './stats.ts';

export type OpenLoopResult = {
  rate: number;
  sent: number;
  completed: number;
  errors: number;
  /** Requests dropped because too many were still waiting: the contender could not keep up. */
  skipped: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  /** How late, at the 99th percentile, the generator sent a request relative to its schedule. */
  sendLagP99Ms: number;
};

const maxInFlight = 2000;

export async function runOpenLoop(call: HttpCall, options: { rate: number; seconds: number }): Promise<OpenLoopResult> {
  const total = Math.round(options.rate * options.seconds);
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now() + 5;

  const send = async (dueAt: number) => {
    inFlight++;
    const sentAt = performance.now();
    lags.push(sentAt - dueAt);
    try {
      const response = await fetch(call.url, { method: 'POST', headers: call.headers, body: call.body });
      await response.arrayBuffer();
      if (response.status === 200) latencies.push(performance.now() - sentAt);
      else errors++;
    } catch {
      errors++;
    } finally {
      inFlight--;
    }
  };

  let next = 0;
  const deadline = start + options.seconds * 1000 + 2000;
  while (next < total && performance.now() < deadline) {
    const now = performance.now();
    while (next < total && start + next * intervalMs <= now) {
      const dueAt = start + next * intervalMs;
      if (inFlight >= maxInFlight) skipped++;
      else pending.push(send(dueAt));
      next++;
    }
    const wait = start + next * intervalMs - performance.now();
    await sleep(Math.max(0, Math.min(wait, 1)));
  }
  skipped += total - next;
  await Promise.race([Promise.all(pending), sleep(15_000)]);

  const sorted = Float64Array.from(latencies).sort();
  return {
    rate: options.rate,
    sent: next,
    completed: latencies.length,
    errors,
    skipped,
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p99Ms: percentileOfSorted(sorted, 99),
    meanMs: mean(latencies),
    sendLagP99Ms: percentileOfSorted(Float64Array.from(lags).sort(), 99),
  };
}
