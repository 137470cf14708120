/**
 * Draws pictures of Overview panels from real data, for the README: lessllm runs with the compose
 * stack's config (otel/lessllm.yaml, without the log table), the demo traffic calls it for a few minutes,
 * a real Prometheus scrapes it, and each panel's own PromQL (read from the dashboard JSON) is plotted with
 * gnuplot into otel/panels/*.png. These are gnuplot charts of the panels' queries, not Grafana
 * screenshots.
 *
 *   bun test/observability/render-panels.ts [minutes]     (needs prometheus and gnuplot on PATH)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { randomDemoCall, sendCall } from '../../otel/demo-traffic.ts';
import { startGateway } from '../support/gateway.ts';
import { findProgram, waitFor } from './processes.ts';
import { findPrometheus, startPrometheus, type Sample } from './prometheus-server.ts';
import { allPanels, loadDashboards, readText, repositoryPath } from './stack-files.ts';
import { substitute } from './stack-queries.ts';

const panelTitles = [
  'Calls / s by model',
  'Error rate by model',
  'Time to first token',
  'Time to first token p95 by model',
  'Output tokens / s by model',
  'lessllm overhead',
  'Cost per hour by model',
];
const minutes = Number(process.argv[2] ?? '5');
/** Enough distinct colours for the busiest panel (three models × three lines). */
const palette = ['#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9', '#705da0', '#508642', '#cca300'];
const outputFolder = repositoryPath('otel/panels');

const prometheusBinary = findPrometheus();
const gnuplot = findProgram('gnuplot');
if (!prometheusBinary || !gnuplot) throw new Error('render-panels needs prometheus and gnuplot on PATH (Debian: prometheus, gnuplot-nox)');

const config = parse(readText('otel/lessllm.yaml')) as Record<string, unknown>;
delete config.log;
const gateway = await startGateway({ config });
const prometheus = await startPrometheus(prometheusBinary, { target: new URL(gateway.url).host, ruleFiles: [] });
const scratch = mkdtempSync(join(tmpdir(), 'lessllm-panels-'));
try {
  await waitFor('the first scrape', 30_000, async () => (await prometheus.scalar('up')) === 1);
  const start = Math.floor(Date.now() / 1000);
  const deadline = Date.now() + minutes * 60_000;
  const pending: Promise<unknown>[] = [];
  while (Date.now() < deadline) {
    pending.push(sendCall(gateway.url, randomDemoCall()).catch(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 60 + Math.random() * 120));
  }
  await Promise.all(pending);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const end = Math.floor(Date.now() / 1000);

  mkdirSync(outputFolder, { recursive: true });
  const overview = loadDashboards().find((dashboard) => dashboard.uid === 'lessllm-overview')!;
  for (const title of panelTitles) {
    const panel = allPanels(overview).find((candidate) => candidate.title === title)!;
    const unit = (panel as { fieldConfig?: { defaults?: { unit?: string } } }).fieldConfig?.defaults?.unit ?? '';
    const lines: Array<{ legend: string; file: string }> = [];
    for (const target of panel.targets ?? []) {
      const expression = substitute({ where: title, text: target.expr! }, { variables: { provider: '.*', model: '.*' }, rateInterval: '30s', interval: '10s', range: '5m' });
      const outcome = await prometheus.queryRange(expression, start, end, 5);
      if (!outcome.ok) throw new Error(`${title}: ${outcome.error}`);
      for (const series of outcome.series) {
        const file = join(scratch, `${lines.length}.dat`);
        writeFileSync(file, dataLines(series, unit));
        lines.push({ legend: legendOf((target as { legendFormat?: string }).legendFormat ?? '', series), file });
      }
    }
    const image = join(outputFolder, `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.png`);
    const script = [
      "set terminal pngcairo size 900,320 font 'sans,10' background rgb 'white'",
      `set output '${image}'`,
      `set title '${title.replaceAll("'", '')} (lessllm overview)'`,
      'set xdata time',
      "set timefmt '%s'",
      "set format x '%H:%M'",
      'set xtics 60',
      ...palette.map((color, index) => `set linetype ${index + 1} linecolor rgb '${color}' linewidth 2`),
      `set linetype cycle ${palette.length}`,
      `set ylabel '${axisLabel(unit)}'`,
      'set yrange [0:*]',
      'set grid',
      'set key outside right top',
      'set border 3',
      'set tics nomirror',
      `plot ${lines.map((line) => `'${line.file}' using 1:2 with lines title '${line.legend.replaceAll("'", '')}'`).join(', ')}`,
    ].join('\n');
    const run = spawnSync(gnuplot, [], { input: script, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`gnuplot failed for ${title}: ${run.stderr}`);
    process.stdout.write(`${image}\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await prometheus.stop();
  await gateway.stop();
}

/** Percentages as 0–100 and seconds as milliseconds where that reads better; NaN points are gaps. */
function dataLines(series: Sample, unit: string): string {
  const scale = unit === 'percentunit' ? 100 : 1;
  return series.values.map(([time, value]) => (Number.isFinite(Number(value)) ? `${time} ${Number(value) * scale}` : '')).join('\n') + '\n';
}

function axisLabel(unit: string): string {
  return { percentunit: '%', s: 'seconds', reqps: 'calls / s', currencyUSD: 'USD / hour', short: '' }[unit] ?? unit;
}

function legendOf(format: string, series: Sample): string {
  return format.replace(/\{\{\s*([A-Za-z_]+)\s*\}\}/g, (_match, label: string) => series.metric[label] ?? '');
}
