/**
 * The log table's SQLite writer thread. node:sqlite is synchronous, so on the gateway's event loop every
 * batch of rows held up every call in flight: at 15,000 requests/s the writes took a fifth of the
 * gateway's CPU, and a writer that yielded between small groups of rows fell behind and dropped rows.
 * Here the database work, WAL checkpoints included, runs beside the event loop, which pays only for
 * turning each batch into values and sending it over (src/runtime/worker-thread.ts). Requests run one
 * at a time, in order.
 *
 * The thread loads no more than node:sqlite and the migrations: the rows arrive already converted to
 * SQL values (sqlite-store.ts does that with the drizzle table), so the thread starts in milliseconds
 * even on Node, where loading drizzle-orm takes a third of a second.
 *
 * Each batch is one transaction, its rows inserted with one prepared statement (a commit per row costs
 * 5× the CPU per row: test/bench/log-insert.ts). WAL journal with synchronous=NORMAL (no fsync per
 * commit), and busy timeout 0 so a database locked by another process fails at once (the writer retries
 * the batch later).
 */
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { workerData } from 'node:worker_threads';
import { assertNever } from '../../core/stream-events.ts';
import { serveRequests } from '../../runtime/worker-requests.ts';
import { sqliteMigrations } from './migrations/embedded.ts';

export type SqliteWorkerData = {
  path: string;
  /** `INSERT INTO … VALUES (?, …)` with one placeholder per value of an `insert` request's rows. */
  insertSql: string;
};

export type SqliteRequest =
  | { kind: 'open' }
  | { kind: 'migrate' }
  | { kind: 'insert'; rows: SQLInputValue[][] }
  | { kind: 'close' };

/** drizzle's own migrations table, so `drizzle-kit migrate` and lessllm agree on what was applied. */
const migrationsTable = '__drizzle_migrations';

const { path, insertSql } = workerData as SqliteWorkerData;

// Opened once; when that fails, every request is answered with why (the writer reports it and retries).
const opening = openDatabase(path);
opening.catch(() => {});
let insert: ((rows: SQLInputValue[][]) => void) | undefined;

serveRequests(handle);

async function handle(request: SqliteRequest): Promise<void> {
  const database = await opening;
  switch (request.kind) {
    case 'open':
      return;
    case 'migrate':
      migrate(database);
      return;
    case 'insert':
      // Prepared on the first write: the table exists only after the migrations.
      insert ??= batchInsert(database);
      insert(request.rows);
      return;
    case 'close':
      database.close();
      return;
    default:
      assertNever(request);
  }
}

async function openDatabase(file: string): Promise<DatabaseSync> {
  const { DatabaseSync } = await import('node:sqlite');
  const database = new DatabaseSync(file, { timeout: 0 });
  try {
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

function batchInsert(database: DatabaseSync): (rows: SQLInputValue[][]) => void {
  const statement = database.prepare(insertSql);
  return (rows) =>
    inTransaction(database, 'BEGIN', () => {
      for (const values of rows) statement.run(...values);
    });
}

function migrate(database: DatabaseSync): void {
  database.exec(`CREATE TABLE IF NOT EXISTS "${migrationsTable}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once apply each migration once.
  inTransaction(database, 'BEGIN IMMEDIATE', () => {
    const last = database.prepare(`SELECT created_at FROM "${migrationsTable}" ORDER BY created_at DESC LIMIT 1`).get() as
      | { created_at: number }
      | undefined;
    const record = database.prepare(`INSERT INTO "${migrationsTable}" ("hash", "created_at") VALUES (?, ?)`);
    for (const migration of sqliteMigrations) {
      if (last && Number(last.created_at) >= migration.createdAt) continue;
      for (const statement of migration.statements) database.exec(statement);
      record.run(migration.hash, migration.createdAt);
    }
  });
}

/** All of `work` or none of it. A failed BEGIN leaves no transaction to roll back, and its error is the one thrown. */
function inTransaction(database: DatabaseSync, begin: 'BEGIN' | 'BEGIN IMMEDIATE', work: () => void): void {
  database.exec(begin);
  try {
    work();
    database.exec('COMMIT');
  } catch (error) {
    if (database.isTransaction) database.exec('ROLLBACK');
    throw error;
  }
}
