/**
 * Opening the netconf storage: refusals are typed, change no file and leave no lock behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CURRENT_SCHEMA_VERSION, openSqlJsStorage } from '../src/storage/index.js';
import { NotANetconfDatabaseError, PersistenceError } from '../src/errors.js';
import { createFaultFs, fileHash, tempDatabase } from './fixtures/durability-helpers.js';

/** Every file of a folder with its SHA-256. */
function folderState(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, fileHash(join(dir, name))]));
}

test('a database path in a folder that does not exist gives a PersistenceError naming it, and creates nothing', async (t) => {
  const { dir } = tempDatabase(t, 'ztnc-open-');
  const path = join(dir, 'missing', 'netconf.db');
  await assert.rejects(openSqlJsStorage({ path }), (error: unknown) => {
    assert.ok(error instanceof PersistenceError, String(error));
    assert.equal(error.code, 'ERR_PERSISTENCE');
    assert.match(error.message, /missing\/netconf\.db/);
    return true;
  });
  assert.equal(existsSync(join(dir, 'missing')), false);
});

test('a netconf database whose Config lost its schemaVersion row is refused as not a netconf database, with nothing written, however often it is opened', async (t) => {
  const { dir, dbPath } = tempDatabase(t);
  const storage = await openSqlJsStorage({ path: dbPath });
  await storage.close();
  execFileSync('sqlite3', [dbPath, `DELETE FROM Config WHERE k = 'schemaVersion'`]);
  const before = folderState(dir);
  for (let attempt = 0; attempt < 3; attempt++) {
    await assert.rejects(openSqlJsStorage({ path: dbPath }), (error: unknown) => {
      assert.ok(error instanceof NotANetconfDatabaseError, String(error));
      assert.match(error.message, /schemaVersion/);
      return true;
    });
    assert.deepEqual(folderState(dir), before, 'no backup copy, no lock, no file changed');
  }
});

test('the 2015 reference database, which has no schemaVersion row, is still migrated', async (t) => {
  const { dbPath } = tempDatabase(t);
  copyFileSync(new URL('./fixtures/netconf-2015-original.db', import.meta.url), dbPath);
  const storage = await openSqlJsStorage({ path: dbPath });
  await storage.close();
  assert.equal(execFileSync('sqlite3', [dbPath, `SELECT v FROM Config WHERE k = 'schemaVersion'`], { encoding: 'utf8' }).trim(), String(CURRENT_SCHEMA_VERSION));
  assert.ok(existsSync(`${dbPath}.v1-backup`));
});

test('opening on a full disk leaves no lock file behind, so the next open is not blocked', async (t) => {
  const { dir, dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  faults.fail('write', 'ENOSPC', { pathIncludes: '.lock' });
  await assert.rejects(openSqlJsStorage({ path: dbPath, fs: faults.fs }), PersistenceError);
  assert.deepEqual(readdirSync(dir), []);
  faults.fail('write', 'ENOSPC', { pathIncludes: '-log' });
  await assert.rejects(openSqlJsStorage({ path: dbPath, fs: faults.fs }), PersistenceError);
  assert.deepEqual(readdirSync(dir), [], 'a refused open removes its lock and the log it began');
  const started = Date.now();
  const storage = await openSqlJsStorage({ path: dbPath });
  await storage.close();
  assert.ok(Date.now() - started < 2_000, 'the open after a full disk is not held up by a stale lock');
});
