/**
 * A throwaway PostgreSQL server for the tests and benchmarks: `initdb` and `pg_ctl` in a temp
 * folder, listening only on a unix socket there, on a non-default port. As root (CI), the server
 * runs as the `postgres` system user that Debian's package creates, since PostgreSQL refuses root.
 *
 * `ZT_TEST_POSTGRES_URL` (set by .ci/run) points the tests at a server started once for the whole
 * run; without it, `startPostgres()` starts one for the calling process.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN_FOLDERS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

export interface PostgresServer {
  /** A connection string for the server's `postgres` database (unix socket). */
  readonly url: string;
  /** A connection string for `database` on the same server. */
  urlFor(database: string): string;
  /** The folder holding the data directory, the socket and the log. */
  readonly folder: string;
  /** Shuts the server down (fast: clients are disconnected), keeping its data. */
  down(): void;
  /** Starts it again after `down()`. */
  up(): void;
  stop(): void;
}

/** The folder holding initdb/pg_ctl, or null when PostgreSQL is not installed. */
export function findPostgresBinaries(): string | null {
  for (const folder of BIN_FOLDERS) if (existsSync(join(folder, 'pg_ctl'))) return folder;
  return null;
}

function runAs(user: string | null, command: string, args: string[]): void {
  const [file, argv] = user === null ? [command, args] : ['runuser', ['-u', user, '--', command, ...args]];
  const result = spawnSync(file, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

function urlOn(socketFolder: string, port: number, database: string): string {
  return `postgresql://postgres@/${database}?host=${encodeURIComponent(socketFolder)}&port=${port}`;
}

/** Starts a server; throws when PostgreSQL is not installed. */
export function startPostgres(options: { port?: number } = {}): PostgresServer {
  const bin = findPostgresBinaries();
  if (bin === null) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  const port = options.port ?? 54_000 + (process.pid % 1000);
  const user = process.getuid?.() === 0 ? 'postgres' : null;
  const folder = mkdtempSync(join(tmpdir(), 'zt-pg-'));
  chmodSync(folder, 0o777);
  const data = join(folder, 'data');
  runAs(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const settings = `-c listen_addresses='' -c unix_socket_directories='${folder}' -p ${port} -c fsync=on -c max_connections=200`;
  const up = (): void => runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-o', settings, '-l', join(folder, 'log'), '-w', 'start']);
  const down = (): void => runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
  up();
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  process.once('exit', stop);

  return { url: urlOn(folder, port, 'postgres'), urlFor: (database) => urlOn(folder, port, database), folder, stop, down, up };
}

/** Stops a server that `start` (below) left running, given the folder it printed. */
export function stopPostgres(folder: string): void {
  const bin = findPostgresBinaries();
  if (bin === null || !existsSync(join(folder, 'data'))) return;
  try {
    runAs(process.getuid?.() === 0 ? 'postgres' : null, join(bin, 'pg_ctl'), ['-D', join(folder, 'data'), '-m', 'fast', '-w', 'stop']);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

// .ci/run: `tsx test/support/postgres-server.ts start PORT` prints `URL FOLDER` and leaves the
// server running; `... stop FOLDER` stops it.
if (process.argv[1]?.endsWith('postgres-server.ts')) {
  if (process.argv[2] === 'start') {
    const server = startPostgres({ port: Number(process.argv[3] ?? 54329) });
    process.removeAllListeners('exit');
    process.stdout.write(`${server.url} ${server.folder}\n`);
  } else if (process.argv[2] === 'stop' && process.argv[3] !== undefined) {
    stopPostgres(process.argv[3]);
  }
}
