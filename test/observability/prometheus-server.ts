/**
 * A real Prometheus for tests (Debian's `prometheus` package, or any on PATH): its own temp directory
 * and a free 127.0.0.1 port, scraping one target every second, with rule files loaded. Stopped with
 * SIGTERM; the directory is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findProgram, freePort, settlesWithin, waitFor } from './processes.ts';

export type PrometheusOptions = {
  /** host:port of the target serving GET /metrics. */
  target: string;
  ruleFiles: string[];
};

export type Sample = { metric: Record<string, string>; values: Array<[number, string]> };

export type QueryOutcome = { ok: true; series: Sample[] } | { ok: false; error: string };

export function findPrometheus(): string | undefined {
  return findProgram('prometheus');
}

export class RunningPrometheus {
  readonly url: string;
  private output = '';
  private readonly child: ChildProcess;
  private readonly directory: string;
  private readonly exit: Promise<unknown>;
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  constructor(child: ChildProcess, url: string, directory: string) {
    this.child = child;
    this.url = url;
    this.directory = directory;
    this.exit = new Promise((resolve) => child.once('exit', resolve));
    child.stdout?.on('data', (piece: Buffer) => (this.output += piece.toString('utf8')));
    child.stderr?.on('data', (piece: Buffer) => (this.output += piece.toString('utf8')));
    process.once('exit', this.killOnExit);
  }

  get log(): string {
    return this.output;
  }

  async get(path: string, parameters: Record<string, string | string[]>): Promise<{ status: string; data?: unknown; error?: string }> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(parameters)) for (const item of [value].flat()) search.append(name, item);
    const response = await fetch(`${this.url}${path}?${search}`);
    return (await response.json()) as { status: string; data?: unknown; error?: string };
  }

  /** A graph panel's query: every step from `start` to `end` (seconds since the epoch). */
  async queryRange(expression: string, start: number, end: number, stepSeconds: number): Promise<QueryOutcome> {
    const answer = await this.get('/api/v1/query_range', { query: expression, start: String(start), end: String(end), step: String(stepSeconds) });
    if (answer.status !== 'success') return { ok: false, error: answer.error ?? JSON.stringify(answer) };
    return { ok: true, series: (answer.data as { result: Sample[] }).result };
  }

  /** One value now, as a number (NaN when the result is empty). */
  async scalar(expression: string): Promise<number> {
    const answer = await this.get('/api/v1/query', { query: expression });
    const result = (answer.data as { result?: Array<{ value: [number, string] }> } | undefined)?.result ?? [];
    return result.length === 1 ? Number(result[0].value[1]) : Number.NaN;
  }

  async labelValues(label: string, selector: string | undefined, start: number, end: number): Promise<string[]> {
    const parameters: Record<string, string> = { start: String(start), end: String(end) };
    if (selector) parameters['match[]'] = selector;
    const answer = await this.get(`/api/v1/label/${label}/values`, parameters);
    if (answer.status !== 'success') throw new Error(`label values of ${label} for ${selector}: ${answer.error}`);
    return answer.data as string[];
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.killOnExit);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      if (!(await settlesWithin(this.exit, 10_000))) {
        this.child.kill('SIGKILL');
        await this.exit;
      }
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export async function startPrometheus(binary: string, options: PrometheusOptions): Promise<RunningPrometheus> {
  const directory = mkdtempSync(join(tmpdir(), 'lessllm-prometheus-'));
  const configPath = join(directory, 'prometheus.yml');
  writeFileSync(
    configPath,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: options.ruleFiles,
      scrape_configs: [{ job_name: 'lessllm', static_configs: [{ targets: [options.target] }] }],
    }),
  );
  const port = await freePort();
  const child = spawn(
    binary,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: directory },
  );
  const prometheus = new RunningPrometheus(child, `http://127.0.0.1:${port}`, directory);
  try {
    await waitFor('Prometheus to be ready', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited:\n${prometheus.log}`);
      const response = await fetch(`${prometheus.url}/-/ready`).catch(() => undefined);
      if (response) await response.body?.cancel();
      return response?.status === 200;
    });
  } catch (error) {
    await prometheus.stop();
    throw error;
  }
  return prometheus;
}
