/**
 * A throwaway PostgreSQL for tests (Debian's `postgresql` package, or any initdb/pg_ctl found through
 * pg_config): a fresh cluster in a temp directory on a free 127.0.0.1 port, trust authentication for
 * the `lessllm` superuser, fsync off. PostgreSQL refuses to run as root, so under root (CI) the
 * programs run as the `postgres` user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './loopback.ts';

export type PostgresServer = {
  /** Connection URL of the database the server was started for. */
  url: string;
  query<Row>(sql: string): Promise<Row[]>;
  stop(): Promise<void>;
};

/** The folder holding initdb and pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBinaries(): string | undefined {
  const onPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (onPath.status === 0 && existsSync(join(onPath.stdout.trim(), 'initdb'))) return onPath.stdout.trim();
  // Debian keeps the server programs out of PATH, in /usr/lib/postgresql/<version>/bin.
  const debianRoot = '/usr/lib/postgresql';
  if (!existsSync(debianRoot)) return undefined;
  const versions = readdirSync(debianRoot).filter((version) => existsSync(join(debianRoot, version, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(debianRoot, versions[0], 'bin') : undefined;
}

/** Starts a cluster and, unless it is `postgres`, creates `database` in it. */
export async function startPostgres(binaries: string, database = 'postgres'): Promise<PostgresServer> {
  const directory = mkdtempSync(join(tmpdir(), 'lessllm-pg-'));
  chmodSync(directory, 0o777);
  const dataDirectory = join(directory, 'data');
  const port = await freePort();
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const run = (program: string, args: string[]) => {
    const command = join(binaries, program);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
    else execFileSync(command, args, { stdio: 'pipe' });
  };
  const stop = async () => {
    try {
      run('pg_ctl', ['-D', dataDirectory, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
  const urlOf = (name: string) => `postgres://lessllm@127.0.0.1:${port}/${name}`;
  const query = async <Row>(name: string, sql: string): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: urlOf(name) });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  };

  run('initdb', ['-D', dataDirectory, '-U', 'lessllm', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  run('pg_ctl', ['-D', dataDirectory, '-o', serverOptions, '-l', join(directory, 'server.log'), '-w', '-t', '60', 'start']);
  try {
    if (database !== 'postgres') await query('postgres', `CREATE DATABASE ${database}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: urlOf(database), query: (sql) => query(database, sql), stop };
}
