/**
 * The log table in SQLite, through `node:sqlite`, which Bun, Deno and Node (22.13+) all build in: no
 * native addon to install, and it works inside `bun build --compile` (never `bun:sqlite`, which only Bun
 * has). drizzle-orm 0.45 has no node:sqlite driver of its own, so its `sqlite-proxy` driver builds the
 * SQL for queries and this file runs it.
 *
 * node:sqlite is synchronous, so a write runs on the event loop and must be cheap. Rows are written
 * with one prepared single-row INSERT, run once per row: building a new multi-row INSERT through
 * drizzle for every batch (and re-preparing it) cost twice the CPU per row. A whole batch is one
 * transaction, inserted a few rows at a time with a turn of the event loop between (so the calls in
 * flight never wait long): a commit per 16 rows wrote the same index pages into the WAL again each
 * time, 1.4× the CPU per row (6.5 against 4.6 µs: test/bench/log-insert.ts). WAL journal with
 * synchronous=NORMAL (no fsync per commit), and busy timeout 0 so a database locked by another process
 * fails at once (the batch is retried later) instead of blocking streams.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { setImmediate } from 'node:timers';
import { desc, getTableColumns, getTableName, is, SQL, type Column } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/sqlite-proxy';
import { sqliteMigrations } from './migrations/embedded.ts';
import type { LogStore } from './log-store.ts';
import type { LogRow } from './row.ts';
import { callsTable } from './schema.sqlite.ts';

/**
 * Rows inserted in one go, between two turns of the event loop: 16 rows of ~5 µs hold it for about a
 * tenth of a millisecond (a whole batch of 100 in one go showed as p99 latency and TTFT of the calls in
 * flight).
 */
const rowsPerTurn = 16;

/** Lets the calls in flight run (setImmediate: after pending I/O, without setTimeout's 1 ms clamp). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** drizzle's own migrations table, so `drizzle-kit migrate` and lessllm agree on what was applied. */
const migrationsTable = '__drizzle_migrations';

export async function openSqliteStore(path: string): Promise<LogStore> {
  const { DatabaseSync } = await import('node:sqlite');
  const database = new DatabaseSync(path, { timeout: 0 });
  try {
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
  } catch (error) {
    database.close();
    throw error;
  }
  const statements = new StatementCache(database);
  // Prepared on the first write: the table exists only after migrate().
  let insertRow: ((row: LogRow) => void) | undefined;
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
    }
  });

  return {
    async migrate() {
      migrateSqlite(database);
    },
    async insert(rows) {
      insertRow ??= preparedRowInsert(database);
      database.exec('BEGIN');
      try {
        for (let index = 0; index < rows.length; index++) {
          if (index > 0 && index % rowsPerTurn === 0) await nextTurn();
          insertRow(rows[index]);
        }
        database.exec('COMMIT');
      } catch (error) {
        if (database.isTransaction) database.exec('ROLLBACK');
        throw error;
      }
    },
    async latest(limit) {
      const rows = await db.select().from(callsTable).orderBy(desc(callsTable.startedAt), desc(callsTable.id)).limit(limit);
      return rows.map(({ id: _id, ...row }) => row as LogRow);
    },
    async close() {
      database.close();
    },
  };
}

function migrateSqlite(database: DatabaseSync): void {
  database.exec(`CREATE TABLE IF NOT EXISTS "${migrationsTable}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once apply each migration once.
  database.exec('BEGIN IMMEDIATE');
  try {
    const last = database.prepare(`SELECT created_at FROM "${migrationsTable}" ORDER BY created_at DESC LIMIT 1`).get() as
      | { created_at: number }
      | undefined;
    const record = database.prepare(`INSERT INTO "${migrationsTable}" ("hash", "created_at") VALUES (?, ?)`);
    for (const migration of sqliteMigrations) {
      if (last && Number(last.created_at) >= migration.createdAt) continue;
      for (const statement of migration.statements) database.exec(statement);
      record.run(migration.hash, migration.createdAt);
    }
    database.exec('COMMIT');
  } catch (error) {
    database.exec('ROLLBACK');
    throw error;
  }
}

/**
 * One prepared `INSERT` of a whole row, its columns taken from the drizzle table, so a column added to
 * the schema is written without touching this file. Values are converted exactly as drizzle's own insert
 * converts them (Date to epoch ms, boolean to 0/1, JSON to text); a field the row leaves out gets the
 * column's default, or NULL (the id: SQLite numbers the row).
 */
function preparedRowInsert(database: DatabaseSync): (row: LogRow) => void {
  const columns = Object.entries(getTableColumns(callsTable) as Record<string, Column>).filter(
    ([, column]) => column.generated === undefined || column.generated.type === 'byDefault',
  );
  for (const [, column] of columns) {
    // An SQL expression cannot be bound as a parameter; a schema that needs one must extend this writer.
    if (is(column.default, SQL)) throw new Error(`log table: column ${column.name} has an SQL default, which the row insert cannot bind`);
  }
  const names = columns.map(([, column]) => quoteIdentifier(column.name)).join(', ');
  const placeholders = columns.map(() => '?').join(', ');
  const statement = database.prepare(`INSERT INTO ${quoteIdentifier(getTableName(callsTable))} (${names}) VALUES (${placeholders})`);
  const values: SQLInputValue[] = new Array(columns.length);
  return (row) => {
    const fields = row as unknown as Record<string, unknown>;
    for (let index = 0; index < columns.length; index++) {
      const [key, column] = columns[index];
      let value = fields[key];
      if (value === undefined) value = column.default ?? column.defaultFn?.();
      values[index] = value === undefined || value === null ? null : (column.mapToDriverValue(value) as SQLInputValue);
    }
    statement.run(...values);
  };
}

function quoteIdentifier(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/** Prepared statements by SQL text for drizzle's queries (reads and migrations), bounded. */
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
