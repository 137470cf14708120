/**
 * The log table in PostgreSQL through node-postgres, for deployments that outgrow one SQLite file (or run
 * several gateways). A small pool: the writer sends one batch at a time.
 */
import { desc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { postgresMigrations } from './migrations/embedded.ts';
import type { LogStore } from './log-store.ts';
import type { LogRow } from './row.ts';
import { callsTable } from './schema.postgres.ts';

/** Any fixed number: serialises lessllm's migrations across gateways starting at the same moment. */
const migrationLockKey = 0x6c6573736c6c6d; // "lessllm"

export async function openPostgresStore(url: string): Promise<LogStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 2,
    // A database that does not answer must not hold the writer (and its queue) for long.
    connectionTimeoutMillis: 5_000,
    query_timeout: 30_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that breaks (server restart) emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', () => {});
  const db = drizzle(pool);

  return {
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockKey]);
        await client.query('CREATE SCHEMA IF NOT EXISTS "drizzle"');
        await client.query(
          'CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)',
        );
        const last = await client.query<{ created_at: string }>(
          'SELECT created_at FROM "drizzle"."__drizzle_migrations" ORDER BY created_at DESC LIMIT 1',
        );
        const lastApplied = last.rows.length > 0 ? Number(last.rows[0].created_at) : -1;
        for (const migration of postgresMigrations) {
          if (migration.createdAt <= lastApplied) continue;
          for (const statement of migration.statements) await client.query(statement);
          await client.query('INSERT INTO "drizzle"."__drizzle_migrations" ("hash", "created_at") VALUES ($1, $2)', [
            migration.hash,
            migration.createdAt,
          ]);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async insert(rows) {
      // A batch sent again after a lost answer skips the rows it already wrote (row.ts, callId).
      await db.insert(callsTable).values(rows).onConflictDoNothing({ target: callsTable.callId });
    },
    async latest(limit) {
      const rows = await db.select().from(callsTable).orderBy(desc(callsTable.startedAt), desc(callsTable.id)).limit(limit);
      return rows.map(({ id: _id, ...row }) => row as LogRow);
    },
    async close() {
      await pool.end();
    },
  };
}
