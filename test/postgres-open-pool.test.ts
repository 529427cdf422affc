/**
 * `openPostgresStorage({ pool })`: the storage on the caller's own pool, which it uses as it would
 * its own and never ends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { InvalidArgumentError } from '../src/errors.js';
import { createNetconfMaster } from '../src/master/index.js';
import { openPostgresStorage } from '../src/storage/postgres/open.js';
import { freshPostgresDatabase, postgresAvailable } from './support/postgres.js';

const skip = !postgresAvailable();

test('a storage opened on the caller\'s pool makes its schema there, serves a master, and leaves the pool open when closed', { skip }, async (t) => {
  const pool = new pg.Pool({ connectionString: await freshPostgresDatabase(t), max: 4 });
  pool.on('error', () => {}); // the database is dropped when the test ends
  t.after(() => pool.end());
  const storage = await openPostgresStorage({ pool });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  const nwid = await master.createNetwork({ name: 'on a given pool' });
  await master.close();
  await storage.close();
  // The pool still works, and holds what the master wrote.
  const rows = (await pool.query<{ name: string }>(`SELECT name FROM network WHERE id = $1`, [nwid])).rows;
  assert.deepEqual(rows, [{ name: 'on a given pool' }]);
  // A second storage on the same pool sees it.
  const again = await openPostgresStorage({ pool });
  const reopened = createNetconfMaster(again, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  assert.equal((await reopened.getNetwork(nwid))?.name, 'on a given pool');
  await reopened.close();
  await again.close();
});

test('a storage needs exactly one of a connection string and a pool', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {}); // the database is dropped when the test ends
  t.after(() => pool.end());
  await assert.rejects(openPostgresStorage({ connectionString: url, pool }), InvalidArgumentError);
  await assert.rejects(openPostgresStorage({}), InvalidArgumentError);
  await assert.rejects(openPostgresStorage({ connectionString: 42 as unknown as string }), InvalidArgumentError);
});
