/**
 * Reads lessllm's own account of its overhead from GET /metrics: the `lessllm_gateway_overhead`
 * histogram's sum and count (all label sets together), so that the mean over one phase of the
 * benchmark can be compared with what the benchmark measured from outside.
 */

export type HistogramTotals = { sum: number; count: number };

export type MetricsScrape = { status: number; overhead: HistogramTotals | undefined };

export const overheadMetric = 'lessllm_gateway_overhead';

export async function scrapeOverhead(baseUrl: string): Promise<MetricsScrape> {
  const { status, text } = await scrape(baseUrl);
  return { status, overhead: status === 200 ? histogramTotals(text, overheadMetric) : undefined };
}

/** GET /metrics; status 0 when nothing answered. */
async function scrape(baseUrl: string): Promise<{ status: number; text: string }> {
  try {
    const response = await fetch(baseUrl + '/metrics', { signal: AbortSignal.timeout(5000) });
    return { status: response.status, text: await response.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

/** Sum of `<name>_sum` and `<name>_count` over every label set; undefined when the metric is absent. */
export function histogramTotals(text: string, name: string): HistogramTotals | undefined {
  let sum = 0;
  let count = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const metric = metricName(line);
    if (metric !== name + '_sum' && metric !== name + '_count') continue;
    const value = sampleValue(line);
    if (!Number.isFinite(value)) continue;
    seen = true;
    if (metric === name + '_sum') sum += value;
    else count += value;
  }
  return seen ? { sum, count } : undefined;
}

/** `lessllm_telemetry_dropped_total` by `lessllm_dropped_kind`, the kinds with drops only; undefined when unreadable. */
export async function scrapeDropped(baseUrl: string): Promise<Record<string, number> | undefined> {
  const { status, text } = await scrape(baseUrl);
  if (status !== 200) return undefined;
  const dropped: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (metricName(line) !== 'lessllm_telemetry_dropped_total') continue;
    const kind = /lessllm_dropped_kind="([^"]*)"/.exec(line)?.[1] ?? 'unknown';
    const value = sampleValue(line);
    if (Number.isFinite(value) && value > 0) dropped[kind] = (dropped[kind] ?? 0) + value;
  }
  return dropped;
}

/** What scrapeDropped found, in words: "nothing dropped", "dropped: span_queue_full 12, …" or "drops unknown". */
export function describeDropped(dropped: Record<string, number> | undefined): string {
  if (dropped === undefined) return 'drops unknown';
  const entries = Object.entries(dropped);
  return entries.length === 0 ? 'nothing dropped' : `dropped: ${entries.map(([kind, count]) => `${kind} ${count}`).join(', ')}`;
}

/** The value of a sample line: what follows its last space (lessllm's exposition has no timestamps). */
function sampleValue(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

function metricName(line: string): string {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  const end = brace === -1 ? space : space === -1 ? brace : Math.min(brace, space);
  return end === -1 ? line : line.slice(0, end);
}

/** Mean overhead in milliseconds between two scrapes; undefined when nothing was recorded in between. */
export function meanBetween(before: HistogramTotals | undefined, after: HistogramTotals | undefined): { meanMs: number; calls: number } | undefined {
  if (after === undefined) return undefined;
  const count = after.count - (before?.count ?? 0);
  if (count <= 0) return undefined;
  return { meanMs: ((after.sum - (before?.sum ?? 0)) / count) * 1000, calls: count };
}
