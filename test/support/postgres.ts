/**
 * Fresh PostgreSQL databases for tests: `ZT_TEST_POSTGRES_URL` (.ci/run starts one server for the
 * run), else a server this test process starts (test/support/postgres-server.ts). Without
 * PostgreSQL the tests that need it are skipped with a loud notice, except in CI, where they fail.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { call, type Awaitable, type NetconfStore, type NetconfStoreReader, type NetconfStoreTx } from '../../src/master/store.js';
import { findPostgresBinaries, startPostgres, type PostgresServer } from './postgres-server.js';

let server: { url: string; urlFor(database: string): string } | null | undefined;

function theServer(): { url: string; urlFor(database: string): string } | null {
  if (server !== undefined) return server;
  const given = process.env.ZT_TEST_POSTGRES_URL;
  if (given !== undefined && given !== '') {
    server = { url: given, urlFor: (database) => given.replace(/^(postgres(?:ql)?:\/\/[^/?]*\/)[^?]*/, `$1${database}`) };
  } else if (findPostgresBinaries() !== null) {
    const started: PostgresServer = startPostgres();
    server = started;
  } else {
    server = null;
  }
  return server;
}

/** Whether PostgreSQL tests can run here. In CI a missing server is an error, not a skip. */
export function postgresAvailable(): boolean {
  if (theServer() !== null) return true;
  if (process.env.CI) throw new Error('PostgreSQL is required in CI (see .ci/run)');
  process.stderr.write('\n*** PostgreSQL is not installed: the PostgreSQL tests are SKIPPED (apt-get install -y postgresql) ***\n\n');
  return false;
}

/** A new empty database: its connection string, and the function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const target = theServer();
  if (target === null) throw new Error('no PostgreSQL server');
  const name = `zt_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: target.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const drop = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  return { url: target.urlFor(name), drop };
}

/** A new empty database, dropped after the test; its connection string. */
export async function freshPostgresDatabase(t: TestContext): Promise<string> {
  const { url, drop } = await createPostgresDatabase();
  t.after(drop);
  return url;
}

/**
 * The PostgreSQL store driven with one asynchronous body, for tests that read or write it
 * directly: `await transactPg(store, async (tx) => { await tx.insertNetwork(row); })`.
 */
export function transactPg<T>(store: NetconfStore, body: (tx: NetconfStoreTx) => Promise<T>): Promise<T> {
  return store.transaction(function* (tx) {
    return yield* call(body(tx));
  });
}

export function readPg<T>(store: NetconfStore, body: (reader: NetconfStoreReader) => Awaitable<T>): Promise<T> {
  return store.read(function* (reader) {
    return yield* call(body(reader));
  });
}
