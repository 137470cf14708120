/**
 * `lessllm logs [--config FILE] [--limit N] [--database URL]`: the latest calls from the log table, as a
 * table a person can read in a terminal (time, model, status, TTFT, tokens/s, tokens, cost).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfig, loadConfigFile } from '../../config/load-config.ts';
import { parseLogDatabase, TelemetryConfigError, telemetryOptionsFromConfig } from '../config-schema.ts';
import type { LogDatabase } from '../options.ts';
import { openLogStore } from './log-store.ts';
import type { LogRow } from './row.ts';

const usage = `usage: lessllm logs [--config FILE] [--limit N] [--database URL]

Prints the latest calls from the log table (log.database in the config, or --database).
`;

export async function runLogsCommand(argv: string[]): Promise<number> {
  let values: { config?: string; limit?: string; database?: string; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        limit: { type: 'string' },
        database: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`lessllm logs: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`lessllm logs: --limit must be a positive whole number (got ${values.limit})\n`);
    return 2;
  }

  let database: LogDatabase | undefined;
  try {
    database = values.database ? parseLogDatabase(values.database) : configuredDatabase(values.config);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TelemetryConfigError) {
      process.stderr.write(`lessllm logs: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (!database) {
    process.stderr.write('lessllm logs: no log table configured (set log.database in the config, or pass --database)\n');
    return 1;
  }

  let rows: LogRow[];
  try {
    const store = await openLogStore(database);
    try {
      // Creates the table if no gateway has yet (an empty table reads better than an SQL error); a
      // read-only database user cannot, and then reading still works once the gateway has created it.
      await store.migrate().catch(() => {});
      rows = await store.latest(limit);
    } finally {
      await store.close();
    }
  } catch (error) {
    process.stderr.write(`lessllm logs: cannot read the log table: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(formatLogTable(rows));
  return 0;
}

function configuredDatabase(configPath: string | undefined): LogDatabase | undefined {
  const chosen = configPath ?? process.env.LESSLLM_CONFIG ?? (existsSync('lessllm.yaml') ? 'lessllm.yaml' : undefined);
  const config = chosen === undefined ? defaultConfig() : loadConfigFile(chosen, process.env);
  return telemetryOptionsFromConfig(config.telemetrySections, process.env).log?.database;
}

const columns: Array<{ title: string; value(row: LogRow): string; alignRight?: boolean }> = [
  { title: 'TIME (UTC)', value: (row) => row.startedAt.toISOString().replace('T', ' ').slice(0, 19) },
  { title: 'MODEL', value: modelOf },
  { title: 'STATUS', value: (row) => (row.errorType ? `${row.status} ${row.errorType}` : String(row.status)) },
  { title: 'TTFT', value: (row) => (row.ttftMs === null ? '-' : `${Math.round(row.ttftMs)} ms`), alignRight: true },
  { title: 'TOK/S', value: (row) => (row.tokensPerSecond === null ? '-' : row.tokensPerSecond.toFixed(1)), alignRight: true },
  { title: 'TOKENS IN/OUT', value: tokensOf, alignRight: true },
  { title: 'COST', value: (row) => (row.costKnown ? `$${row.costUsd.toFixed(6)}` : '?'), alignRight: true },
];

export function formatLogTable(rows: LogRow[]): string {
  if (rows.length === 0) return 'no calls logged yet\n';
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, index) => Math.max(column.title.length, ...cells.map((line) => line[index].length)));
  const formatLine = (line: string[]) =>
    line
      .map((cell, index) => (columns[index].alignRight ? cell.padStart(widths[index]) : cell.padEnd(widths[index])))
      .join('  ')
      .trimEnd();
  return [formatLine(columns.map((column) => column.title)), ...cells.map(formatLine)].join('\n') + '\n';
}

function modelOf(row: LogRow): string {
  const answered = row.responseModel ?? row.upstreamModel;
  return answered === row.requestedModel ? answered : `${row.requestedModel} → ${answered}`;
}

function tokensOf(row: LogRow): string {
  if (row.inputTokens === null || row.outputTokens === null) return '-';
  return `${row.inputTokens}/${row.outputTokens}${row.usageEstimated ? '~' : ''}`;
}
