/**
 * Rows of the gateway's SQLite log table exactly as stored (every column, by its SQL name), read with
 * node:sqlite, which Bun, Deno and Node all have. Read-only, while the gateway may still be writing
 * (the table is in WAL mode, so a reader never blocks the writer).
 */
import { existsSync } from 'node:fs';

export type RawLogRow = Record<string, unknown>;

const table = 'lessllm_calls';

/** The rows of one trace, or every row when `traceId` is absent; none when the table does not exist yet. */
export async function readLogRows(databasePath: string, traceId?: string): Promise<RawLogRow[]> {
  if (!existsSync(databasePath)) return [];
  const { DatabaseSync } = await import('node:sqlite');
  const database = new DatabaseSync(databasePath, { readOnly: true });
  try {
    const exists = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    if (!exists) return [];
    const rows =
      traceId === undefined
        ? database.prepare(`SELECT * FROM ${table} ORDER BY id`).all()
        : database.prepare(`SELECT * FROM ${table} WHERE trace_id = ? ORDER BY id`).all(traceId);
    return rows as RawLogRow[];
  } finally {
    database.close();
  }
}
