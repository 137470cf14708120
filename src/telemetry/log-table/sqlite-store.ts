/**
 * The log table on SQLite (node:sqlite, built into Bun, Deno and Node 22.13+: no native addon, and it
 * works inside `bun build --compile`, unlike `bun:sqlite`). Rows are written by a thread of their own
 * (sqlite-worker.ts): here each row only becomes its list of SQL values.
 * Reads (`lessllm logs`) are rare and go through drizzle on a connection of the event loop's own.
 *
 * drizzle-orm 0.45 has no node:sqlite driver, so its `sqlite-proxy` driver builds the SQL for reads and
 * this file runs it. Writes use one prepared single-row INSERT whose columns come from the drizzle table:
 * building a multi-row INSERT through drizzle for every batch (and re-preparing it) cost twice the CPU.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { desc, getTableColumns, getTableName, is, SQL, type Column } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/sqlite-proxy';
import { assertNever } from '../../core/stream-events.ts';
import { encodingFor, WorkerThread } from '../../runtime/worker-thread.ts';
import { sqliteLogWorkerUrl } from '../../worker-entries.ts';
import type { LogStore } from './log-store.ts';
import { rowTextChars, type LogRow } from './row.ts';
import { callsTable } from './schema.sqlite.ts';
import type { SqliteRequest, SqliteWorkerData } from './sqlite-worker.ts';

export async function openSqliteStore(path: string): Promise<LogStore> {
  const rowInsert = rowInsertOf();
  const workerData: SqliteWorkerData = { path, insertSql: rowInsert.sql };
  const thread = new WorkerThread<SqliteRequest>({ entry: sqliteLogWorkerUrl, workerData, name: 'SQLite log' });
  try {
    await thread.request({ kind: 'open' });
  } catch (error) {
    await thread.stop();
    throw error;
  }
  let reader: SqliteReader | undefined;
  return {
    async migrate() {
      await thread.request({ kind: 'migrate' });
    },
    async insert(rows) {
      const textChars = rows.reduce((sum, row) => sum + rowTextChars(row), 0);
      await thread.request({ kind: 'insert', rows: rows.map(rowInsert.values) }, encodingFor(textChars, rows.length));
    },
    async latest(limit) {
      reader ??= await openReader(path);
      return reader.latest(limit);
    },
    async close() {
      reader?.close();
      try {
        await thread.request({ kind: 'close' });
      } finally {
        await thread.stop();
      }
    },
  };
}

/**
 * The `INSERT` of a whole row, its columns taken from the drizzle table, so a column added to the schema
 * is written without touching this file; and a row's values for it, converted exactly as drizzle's own
 * insert converts them (Date to epoch ms, boolean to 0/1, JSON to text). A field the row leaves out gets
 * the column's default, or NULL (the id: SQLite numbers the row).
 */
function rowInsertOf(): { sql: string; values(row: LogRow): SQLInputValue[] } {
  const columns = Object.entries(getTableColumns(callsTable) as Record<string, Column>).filter(
    ([, column]) => column.generated === undefined || column.generated.type === 'byDefault',
  );
  for (const [, column] of columns) {
    // An SQL expression cannot be bound as a parameter; a schema that needs one must extend this writer.
    if (is(column.default, SQL)) throw new Error(`log table: column ${column.name} has an SQL default, which the row insert cannot bind`);
  }
  const names = columns.map(([, column]) => quoteIdentifier(column.name)).join(', ');
  const placeholders = columns.map(() => '?').join(', ');
  return {
    // A batch sent again after a lost answer skips the rows it already wrote (row.ts, callId).
    sql: `INSERT INTO ${quoteIdentifier(getTableName(callsTable))} (${names}) VALUES (${placeholders}) ON CONFLICT (${quoteIdentifier(callsTable.callId.name)}) DO NOTHING`,
    values(row) {
      const fields = row as unknown as Record<string, unknown>;
      const values: SQLInputValue[] = new Array(columns.length);
      for (let index = 0; index < columns.length; index++) {
        const [key, column] = columns[index];
        let value = fields[key];
        if (value === undefined) value = column.default ?? column.defaultFn?.();
        values[index] = value === undefined || value === null ? null : (column.mapToDriverValue(value) as SQLInputValue);
      }
      return values;
    },
  };
}

function quoteIdentifier(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

type SqliteReader = { latest(limit: number): Promise<LogRow[]>; close(): void };

async function openReader(path: string): Promise<SqliteReader> {
  const { DatabaseSync } = await import('node:sqlite');
  const database = new DatabaseSync(path, { timeout: 0 });
  const statements = new StatementCache(database);
  const db = drizzle(async (text, params, method) => {
    const statement = statements.get(text);
    switch (method) {
      case 'run':
        statement.run(...params);
        return { rows: [] };
      case 'get':
        return { rows: (statement.get(...params) as unknown as unknown[] | undefined) ?? [] };
      case 'all':
      case 'values':
        return { rows: statement.all(...params) as unknown as unknown[][] };
      default:
        return assertNever(method);
    }
  });
  return {
    async latest(limit) {
      const rows = await db.select().from(callsTable).orderBy(desc(callsTable.startedAt), desc(callsTable.id)).limit(limit);
      return rows.map(({ id: _id, ...row }) => row as LogRow);
    },
    close() {
      database.close();
    },
  };
}

/** Prepared statements by SQL text for drizzle's queries, bounded. */
class StatementCache {
  private readonly database: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(database: DatabaseSync) {
    this.database = database;
  }

  get(text: string): StatementSync {
    let statement = this.statements.get(text);
    if (!statement) {
      if (this.statements.size >= 16) this.statements.clear();
      statement = this.database.prepare(text);
      // drizzle's proxy driver maps rows by column position.
      statement.setReturnArrays(true);
      this.statements.set(text, statement);
    }
    return statement;
  }
}
