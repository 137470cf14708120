import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresMigrations, sqliteMigrations } from './embedded.ts';
import { readMigrationFolder } from './read-folder.ts';

describe('embedded log table migrations', () => {
  it('are exactly what drizzle-kit generated (run embed.ts after drizzle-kit generate)', () => {
    assert.deepEqual(sqliteMigrations, readMigrationFolder(new URL('sqlite/', import.meta.url)));
    assert.deepEqual(postgresMigrations, readMigrationFolder(new URL('postgres/', import.meta.url)));
  });
});
