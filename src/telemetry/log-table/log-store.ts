/** Where log rows go: one implementation per database, chosen by the `log.database` URL. */
import type { LogDatabase } from '../options.ts';
import type { LogRow } from './row.ts';

export interface LogStore {
  /** Creates or updates the table (idempotent; safe when several gateways start at once). */
  migrate(): Promise<void>;
  /** All rows or none (one transaction), without blocking the event loop while the database works. */
  insert(rows: LogRow[]): Promise<void>;
  /** Newest first. */
  latest(limit: number): Promise<LogRow[]>;
  close(): Promise<void>;
}

/** Opens the store; the drivers are loaded only when a log table is configured. */
export async function openLogStore(database: LogDatabase): Promise<LogStore> {
  if (database.kind === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite-store.ts');
    return openSqliteStore(database.path);
  }
  const { openPostgresStore } = await import('./postgres-store.ts');
  return openPostgresStore(database.url);
}
