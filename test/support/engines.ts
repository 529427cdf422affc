/**
 * One suite, every storage engine: `forEachEngine((engine) => { test(...) })` runs the tests it
 * declares once per engine, each group named for its engine, with `engine.open()` giving a fresh
 * store: sql.js in memory, or the PostgreSQL store on a new database (closed and dropped when the
 * group ends). Without PostgreSQL its group is skipped loudly (test/support/postgres.ts).
 */
import { after, describe } from 'node:test';
import type { NetconfStore } from '../../src/master/store.js';
import { openSqlJsStorage } from '../../src/storage/index.js';
import type { SqlNetconfStore } from '../../src/storage/sql/sql-store.js';
import { openPostgresStorage } from '../../src/storage/postgres/open.js';
import { createPostgresDatabase, postgresAvailable } from './postgres.js';

export interface Engine<S extends NetconfStore = NetconfStore> {
  readonly name: string;
  /** A fresh, empty store. */
  open(): Promise<S>;
}

/** sql.js in memory, for the tests that use what only it has (its engine, files, sqlite3). */
export const SQLJS: Engine<SqlNetconfStore> = { name: 'sql.js', open: () => openSqlJsStorage() };

function postgresEngine(): Engine {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return {
    name: 'PostgreSQL',
    async open() {
      const { url, drop } = await createPostgresDatabase();
      cleanups.push(drop);
      const store = await openPostgresStorage({ connectionString: url, maxConnections: 4 });
      cleanups.push(() => store.close());
      return store;
    },
  };
}

export function forEachEngine(body: (engine: Engine) => void): void {
  describe('on sql.js', () => body(SQLJS));
  describe('on PostgreSQL', { skip: !postgresAvailable() }, () => body(postgresEngine()));
}
