import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { WorkerThread } from '../../runtime/worker-thread.ts';
import { sqliteLogWorkerUrl } from '../../worker-entries.ts';
import type { SqliteRequest } from './sqlite-worker.ts';

const directory = mkdtempSync(join(tmpdir(), 'lessllm-sqlite-thread-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const insertSql =
  'INSERT INTO "lessllm_calls" ("started_at", "client_protocol", "provider", "provider_type", "route", "requested_model", "upstream_model", "stream", "status", "duration_ms", "overhead_ms", "usage_estimated", "cost_usd", "cost_known", "http_details") VALUES (?, \'openai-chat\', \'p\', \'openai\', \'passthrough\', ?, \'m\', 0, 200, 1, 0.1, 0, 0, 0, \'{}\')';

const sqliteThread = (path: string) => new WorkerThread<SqliteRequest>({ entry: sqliteLogWorkerUrl, workerData: { path, insertSql }, name: 'SQLite log' });

function models(path: string): string[] {
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    return (database.prepare('SELECT requested_model FROM lessllm_calls ORDER BY id').all() as { requested_model: string }[]).map((row) => row.requested_model);
  } finally {
    database.close();
  }
}

describe('the SQLite log thread (a WorkerThread)', () => {
  it('writes a batch as one transaction: a batch with a bad row leaves nothing behind', async () => {
    const path = join(directory, 'transaction.db');
    const thread = sqliteThread(path);
    try {
      await thread.request({ kind: 'migrate' });
      await thread.request({ kind: 'insert', rows: [[1, 'a'], [2, 'b']] });
      // NOT NULL requested_model: the second row fails, so the first must not be kept either.
      await assert.rejects(thread.request({ kind: 'insert', rows: [[3, 'c'], [4, null]] }), /NOT NULL/);
      await thread.request({ kind: 'insert', rows: [[5, 'd']] });
      assert.deepEqual(models(path), ['a', 'b', 'd']);
    } finally {
      await thread.stop();
    }
  });

  it('starts again after it stopped, and what it was still doing fails instead of hanging', async () => {
    const path = join(directory, 'restart.db');
    const thread = sqliteThread(path);
    try {
      await thread.request({ kind: 'migrate' });
      await thread.request({ kind: 'insert', rows: [[1, 'before']] });
      const inFlight = thread.request({ kind: 'insert', rows: [[2, 'in flight']] });
      await thread.stop();
      // The caller hears either that the row was written or that the thread stopped: never nothing.
      const outcome = await inFlight.then(
        () => 'written',
        (error: Error) => error.message,
      );
      await thread.request({ kind: 'insert', rows: [[3, 'after']] });
      const written = models(path);
      if (outcome === 'written') assert.deepEqual(written, ['before', 'in flight', 'after']);
      else {
        assert.match(outcome, /the SQLite log thread stopped/);
        // A thread stopped after its commit but before its answer left has written the row all the same
        // (seen when the telemetry suites run together under load).
        const inFlightWritten = written.includes('in flight');
        assert.deepEqual(written, inFlightWritten ? ['before', 'in flight', 'after'] : ['before', 'after']);
      }
    } finally {
      await thread.stop();
    }
  });

  it('answers every request with the reason when the database cannot be opened', async () => {
    const thread = sqliteThread(join(directory, 'no-such-directory', 'log.db'));
    try {
      await assert.rejects(thread.request({ kind: 'open' }), /unable to open/i);
      await assert.rejects(thread.request({ kind: 'insert', rows: [[1, 'x']] }), /unable to open/i);
    } finally {
      await thread.stop();
    }
  });
});
