/** Reads a drizzle-kit migration folder (meta/_journal.json and the .sql files it lists). Dev tooling and tests only. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Migration } from './migration.ts';

type Journal = { entries: Array<{ tag: string; when: number }> };

export function readMigrationFolder(folder: URL): Migration[] {
  const journal = JSON.parse(readFileSync(new URL('meta/_journal.json', folder), 'utf8')) as Journal;
  return journal.entries.map((entry) => {
    const sql = readFileSync(new URL(`${entry.tag}.sql`, folder), 'utf8');
    return {
      tag: entry.tag,
      createdAt: entry.when,
      hash: createHash('sha256').update(sql).digest('hex'),
      statements: sql
        .split('--> statement-breakpoint')
        .map((statement) => statement.trim())
        .filter((statement) => statement.length > 0),
    };
  });
}
