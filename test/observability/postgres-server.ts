/**
 * A throwaway PostgreSQL for tests (Debian's `postgresql` package, or any initdb/postgres on PATH): a
 * fresh cluster in a temp directory on a free 127.0.0.1 port, trust authentication, fsync off. PostgreSQL
 * refuses to run as root, so under root (CI containers) it runs as the `postgres` user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findProgram, freePort, settlesWithin, waitFor } from './processes.ts';

export type PostgresBinaries = { initdb: string; postgres: string; pgCtl: string };

export function findPostgres(): PostgresBinaries | undefined {
  // Debian keeps the server programs out of PATH, in /usr/lib/postgresql/<version>/bin.
  let debianFolders: string[] = [];
  try {
    debianFolders = readdirSync('/usr/lib/postgresql').sort().reverse().map((version) => `/usr/lib/postgresql/${version}/bin`);
  } catch {
    // not Debian's layout
  }
  const initdb = findProgram('initdb', debianFolders);
  const postgres = findProgram('postgres', debianFolders);
  const pgCtl = findProgram('pg_ctl', debianFolders);
  return initdb && postgres && pgCtl ? { initdb, postgres, pgCtl } : undefined;
}

const runningAsRoot = () => process.getuid?.() === 0;

function asServerUser(program: string, args: string[]): [string, string[]] {
  return runningAsRoot() ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

export class RunningPostgres {
  readonly port: number;
  private readonly child: ChildProcess;
  private readonly directory: string;
  private readonly binaries: PostgresBinaries;
  private readonly exit: Promise<unknown>;
  private output = '';
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  constructor(child: ChildProcess, port: number, directory: string, binaries: PostgresBinaries) {
    this.child = child;
    this.port = port;
    this.directory = directory;
    this.binaries = binaries;
    this.exit = new Promise((resolve) => child.once('exit', resolve));
    child.stdout?.on('data', (piece: Buffer) => (this.output += piece.toString('utf8')));
    child.stderr?.on('data', (piece: Buffer) => (this.output += piece.toString('utf8')));
    process.once('exit', this.killOnExit);
  }

  get log(): string {
    return this.output;
  }

  url(database: string): string {
    return `postgres://lessllm@127.0.0.1:${this.port}/${database}`;
  }

  async query<Row>(database: string, sql: string): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.killOnExit);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // "fast" shutdown: does not wait for clients to leave. Through pg_ctl because under root the
      // server runs behind runuser, which does not pass every signal on.
      const [pgCtl, args] = asServerUser(this.binaries.pgCtl, ['stop', '-D', join(this.directory, 'data'), '-m', 'fast', '-w']);
      try {
        execFileSync(pgCtl, args, { stdio: 'pipe', timeout: 15_000 });
      } catch {
        this.child.kill('SIGKILL');
      }
      await settlesWithin(this.exit, 10_000);
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** Starts a cluster with a `lessllm` superuser and creates `database`. */
export async function startPostgres(binaries: PostgresBinaries, database: string): Promise<RunningPostgres> {
  const directory = mkdtempSync(join(tmpdir(), 'lessllm-postgres-'));
  if (runningAsRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(directory, uid, gid);
  }
  const dataDirectory = join(directory, 'data');
  const [initdb, initdbArgs] = asServerUser(binaries.initdb, ['-D', dataDirectory, '-U', 'lessllm', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  execFileSync(initdb, initdbArgs, { stdio: 'pipe' });

  const port = await freePort();
  const [postgres, postgresArgs] = asServerUser(binaries.postgres, [
    '-D', dataDirectory,
    '-p', String(port),
    '-k', directory,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off',
  ]);
  const child = spawn(postgres, postgresArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new RunningPostgres(child, port, directory, binaries);
  try {
    await waitFor('PostgreSQL to accept connections', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited:\n${server.log}`);
      await server.query('postgres', 'SELECT 1');
      return true;
    });
    await server.query('postgres', `CREATE DATABASE ${database}`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
