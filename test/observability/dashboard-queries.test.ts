/**
 * The dashboards and alert rules, proven against real data: lessllm runs with several mock-routed
 * models, a real Prometheus scrapes its GET /metrics every second, mixed traffic goes through (both
 * client APIs, streamed and not, rate limits, upstream failures, a failure mid-stream, a model slow
 * enough to trip both TTFT alerts). Then every PromQL expression written in grafana/dashboards/,
 * otel/alerts.yml and the Grafana data sources is evaluated the way Grafana or Prometheus would: each
 * must be valid and return data. When a PostgreSQL is installed, the log-table panels' SQL runs against
 * the table lessllm itself created and filled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sendCall, type ClientApi, type DemoCall } from '../../otel/demo-traffic.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { findPostgresBinaries, startPostgres, type PostgresServer } from '../support/postgres-server.ts';
import { findPrometheus, startPrometheus, type QueryOutcome, type RunningPrometheus } from './prometheus-server.ts';
import { waitFor } from './processes.ts';
import { repositoryPath } from './stack-files.ts';
import {
  alertQueries,
  datasourceUidOfType,
  metricNamesIn,
  panelQueries,
  substitute,
  tracesToMetricsQueries,
  variableQueries,
  type Substitutions,
} from './stack-queries.ts';

const prometheusBinary = findPrometheus();
const postgresBinaries = findPostgresBinaries();
const noPrometheus = prometheusBinary
  ? false
  : 'prometheus is not installed (Debian: apt-get install prometheus): the dashboards and alert rules are checked against a real one';
const noPostgres = postgresBinaries ? false : 'PostgreSQL is not installed (Debian: apt-get install postgresql): the log-table panels are not checked';
if (noPrometheus) process.stderr.write(`test/observability/dashboard-queries.test.ts: skipped, ${noPrometheus}\n`);

/** Alert rules that can only be empty in this run, and why. Each is still checked to be valid. */
const emptyAlertsWithReason = new Map([
  ['LessllmProviderSilent (warning)', 'every provider in this run is still receiving calls (otel/alerts.test.yml shows it firing)'],
  ['LessllmTelemetryDropped (warning)', 'a healthy run drops nothing, and the counter has no series until a first drop (otel/alerts.test.yml shows it firing)'],
]);

/** Metrics the dashboards read that a healthy lessllm does not expose yet, and why. */
const metricsAbsentWithReason = new Map([
  ['lessllm_telemetry_dropped_total', 'created on the first dropped item; the panel shows 0 until then (`or vector(0)`)'],
]);

const models = { fast: 'mock-fast', steady: 'mock-steady', slow: 'mock-slow' };

const gatewayConfig = (logDatabase: string | undefined) => ({
  providers: {
    [models.fast]: { type: 'mock', ttft_ms: 20, tokens_per_second: 400, output_tokens: 12 },
    [models.steady]: { type: 'mock', ttft_ms: 60, tokens_per_second: 300, output_tokens: 16 },
    // Above the 5 s critical TTFT threshold, so both TTFT alert expressions have something to show.
    [models.slow]: { type: 'mock', ttft_ms: 5300, tokens_per_second: 200, output_tokens: 8 },
  },
  routes: [
    { match: models.fast, provider: models.fast },
    { match: models.slow, provider: models.slow },
    { match: '*', provider: models.steady },
  ],
  // Mock models have no list price; these make the cost panels non-empty.
  pricing: { 'mock-*': { input: 2, output: 8 } },
  ...(logDatabase ? { log: { database: logDatabase, flush_interval_ms: 100 } } : {}),
});

/**
 * One wave: mock-fast fails 2 calls of 10 (a rate limit and a failure mid-stream: the warning error
 * rate), mock-steady 3 of 10 (upstream errors: warning and critical), mock-slow never fails but is slow.
 * Each model gets at least 10 calls, the alert's minimum.
 */
function wave(): DemoCall[] {
  const calls: DemoCall[] = [];
  const add = (model: string, api: ClientApi, stream: boolean, text = 'Tell me about foxes.') => calls.push({ model, api, stream, text });
  for (const api of ['openai-chat', 'anthropic-messages'] as const) {
    for (const stream of [true, true, false]) add(models.fast, api, stream);
    for (const stream of [true, false]) add(models.steady, api, stream);
    add(models.slow, api, true);
  }
  add(models.fast, 'openai-chat', true);
  add(models.fast, 'anthropic-messages', true);
  add(models.fast, 'openai-chat', false, 'Too many? mock:error=429');
  add(models.fast, 'openai-chat', true, 'Start, then fail. mock:error=midstream');
  add(models.steady, 'openai-chat', true);
  add(models.steady, 'anthropic-messages', true);
  add(models.steady, 'anthropic-messages', false);
  add(models.steady, 'openai-chat', false, 'mock:error=500');
  add(models.steady, 'anthropic-messages', true, 'mock:error=500');
  add(models.steady, 'openai-chat', true, 'mock:error=503');
  return calls;
}

/** Empty results and all-NaN results (a quantile of nothing) are what a panel shows as "No data". */
function problemWith(outcome: QueryOutcome): string | undefined {
  if (!outcome.ok) return `invalid: ${outcome.error}`;
  if (outcome.series.length === 0) return 'no data (empty result)';
  const finite = outcome.series.some((series) => series.values.some(([, value]) => Number.isFinite(Number(value))));
  return finite ? undefined : 'no finite value (NaN or Inf only)';
}

describe('dashboards and alert rules against a real Prometheus scraping lessllm', { skip: noPrometheus }, () => {
  let postgres: PostgresServer | undefined;
  let gateway: RunningGateway;
  let prometheus: RunningPrometheus;
  let startedAt: Date;
  let callsSent = 0;
  let substitutions: Substitutions;

  /**
   * Started by `before` and awaited by each test: Bun gives node:test hooks 5 s whatever their
   * timeout option says, and this setup (servers plus two waves of traffic) takes longer.
   */
  let setup: Promise<void>;

  async function startEverythingAndSendTraffic(): Promise<void> {
    if (postgresBinaries) postgres = await startPostgres(postgresBinaries, 'lessllm');
    gateway = await startGateway({ config: gatewayConfig(postgres?.url) });
    const metrics = await fetch(`${gateway.url}/metrics`);
    const metricsText = await metrics.text();
    assert.equal(metrics.status, 200, `GET /metrics must serve Prometheus text for these checks; it answered ${metrics.status}: ${metricsText.slice(0, 200)}`);

    startedAt = new Date();
    prometheus = await startPrometheus(prometheusBinary!, {
      target: new URL(gateway.url).host,
      ruleFiles: [repositoryPath('otel/alerts.yml')],
    });
    await waitFor('the first scrape of lessllm', 30_000, async () => (await prometheus.scalar('up{job="lessllm"}')) === 1);

    // Wave 1 creates every series; wave 2 moves each of them after Prometheus has seen its first
    // value, which is what rate() and increase() need.
    for (let round = 1; round <= 2; round++) {
      const calls = wave();
      const statuses = await Promise.all(calls.map((call) => sendCall(gateway.url, call)));
      callsSent += calls.length;
      assert.ok(statuses.includes(200) && statuses.includes(429) && statuses.includes(500), `unexpected statuses ${statuses}`);
      await waitFor(`Prometheus to scrape wave ${round}`, 30_000, async () => {
        return (await prometheus.scalar('sum(gen_ai_client_operation_duration_count)')) === callsSent;
      });
    }
    const seconds = Math.ceil((Date.now() - startedAt.getTime()) / 1000) + 60;
    substitutions = {
      variables: { provider: '.*', model: '.*' },
      rateInterval: '1m',
      interval: '5s',
      range: `${seconds}s`,
      from: new Date(startedAt.getTime() - 60_000),
      to: new Date(Date.now() + 60_000),
    };
  }

  before(() => {
    setup = startEverythingAndSendTraffic();
    // Each test reports the failure; this keeps it from also being an unhandled rejection.
    setup.catch(() => {});
  });

  after(async () => {
    await setup?.catch(() => {});
    await Promise.all([prometheus?.stop(), gateway?.stop(), postgres?.stop()]);
  });

  const patience = { timeout: 240_000 };

  const evaluate = async (expression: string) =>
    prometheus.queryRange(expression, Math.floor(startedAt.getTime() / 1000), Math.ceil(Date.now() / 1000), 1);

  it('every PromQL expression in the dashboards is valid and returns data', patience, async () => {
    await setup;
    const queries = panelQueries(datasourceUidOfType('prometheus'));
    assert.ok(queries.length >= 20, `found only ${queries.length} PromQL targets in grafana/dashboards/`);
    const failures: string[] = [];
    for (const query of queries) {
      const expression = substitute(query, substitutions);
      const problem = problemWith(await evaluate(expression));
      if (problem) failures.push(`${query.where}\n    ${expression.replaceAll('\n', ' ')}\n    → ${problem}`);
    }
    assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
  });

  it('every alert rule expression is valid and returns data, except the ones listed with a reason', patience, async () => {
    await setup;
    const failures: string[] = [];
    const rules = alertQueries();
    for (const reason of emptyAlertsWithReason.keys()) assert.ok(rules.some((rule) => rule.name === reason), `${reason} is listed but not in otel/alerts.yml`);
    for (const rule of rules) {
      const outcome = await evaluate(rule.text);
      if (emptyAlertsWithReason.has(rule.name)) {
        // Still valid, and still empty: if it returned data here, the listed reason would be wrong.
        if (!outcome.ok) failures.push(`${rule.where}: invalid: ${outcome.error}`);
        else if (outcome.series.length > 0) failures.push(`${rule.where}: listed as empty (${emptyAlertsWithReason.get(rule.name)}) but returned data`);
        continue;
      }
      const problem = problemWith(outcome);
      if (problem) failures.push(`${rule.where}\n    ${rule.text.replaceAll('\n', ' ')}\n    → ${problem}`);
    }
    assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
  });

  it('the trace-to-metrics links of the Tempo data source return data for a model that had calls', patience, async () => {
    await setup;
    const queries = tracesToMetricsQueries();
    assert.ok(queries.length > 0);
    const failures: string[] = [];
    for (const query of queries) {
      // The span attributes mapped in `tags`, as Grafana fills them in from the span the user clicked.
      const expression = substitute(query, { ...substitutions, tags: `gen_ai_request_model="${models.slow}", gen_ai_provider_name="mock"` });
      const problem = problemWith(await evaluate(expression));
      if (problem) failures.push(`${query.where}\n    ${expression}\n    → ${problem}`);
    }
    assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
  });

  it('the provider and model variables list what had calls', patience, async () => {
    await setup;
    const start = Math.floor(startedAt.getTime() / 1000);
    const end = Math.ceil(Date.now() / 1000);
    for (const variable of variableQueries()) {
      const selector = variable.selector && substitute({ where: variable.where, text: variable.selector }, substitutions);
      const values = await prometheus.labelValues(variable.label, selector, start, end);
      const expected = variable.name === 'provider' ? ['mock'] : Object.values(models).sort();
      assert.deepEqual(values.sort(), expected, variable.where);
    }
  });

  it('every metric the dashboards and alerts read is one lessllm exposes', patience, async () => {
    await setup;
    const exposed = new Set(await prometheus.labelValues('__name__', undefined, Math.floor(startedAt.getTime() / 1000), Math.ceil(Date.now() / 1000)));
    const queries = [...panelQueries(datasourceUidOfType('prometheus')), ...alertQueries(), ...tracesToMetricsQueries()];
    const read = new Set(queries.flatMap((query) => metricNamesIn(substitute(query, { ...substitutions, tags: 'job="lessllm"' }))));
    assert.ok(read.has('gen_ai_server_time_to_first_token_bucket'), 'the metric name scan found the TTFT histogram');
    const missing = [...read].filter((name) => !exposed.has(name) && !metricsAbsentWithReason.has(name));
    assert.deepEqual(missing, []);
    for (const name of metricsAbsentWithReason.keys()) assert.ok(read.has(name), `${name} is listed as absent but no query reads it`);
  });

  it('Prometheus loads the alert rules and evaluates each without error', patience, async () => {
    await setup;
    await waitFor('every rule to be evaluated once', 30_000, async () => {
      const answer = await prometheus.get('/api/v1/rules', {});
      const rules = (answer.data as { groups: Array<{ rules: Array<{ health: string }> }> }).groups.flatMap((group) => group.rules);
      return rules.length === alertQueries().length && rules.every((rule) => rule.health !== 'unknown');
    });
    const answer = await prometheus.get('/api/v1/rules', {});
    const rules = (answer.data as { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }).groups.flatMap((group) => group.rules);
    assert.deepEqual(
      rules.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.health} ${rule.lastError ?? ''}`),
      [],
    );
  });

  it('the log-table panels return rows from the table lessllm filled', { ...patience, skip: noPostgres }, async () => {
    await setup;
    await waitFor('every call to reach the log table', 30_000, async () => {
      const [row] = await postgres!.query<{ count: string }>('SELECT count(*) AS count FROM lessllm_calls');
      return Number(row.count) === callsSent;
    });
    const queries = panelQueries(datasourceUidOfType('grafana-postgresql-datasource'), 'rawSql');
    assert.ok(queries.length >= 2, `found only ${queries.length} SQL targets`);
    const failures: string[] = [];
    for (const query of queries) {
      const sql = substitute(query, substitutions);
      try {
        const rows = await postgres!.query<Record<string, unknown>>(sql);
        if (rows.length === 0) failures.push(`${query.where}: no rows\n    ${sql.replaceAll('\n', ' ')}`);
      } catch (error) {
        failures.push(`${query.where}: ${error instanceof Error ? error.message : String(error)}\n    ${sql.replaceAll('\n', ' ')}`);
      }
    }
    assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
  });
});
