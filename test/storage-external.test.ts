/**
 * External modification: the main file edited with the sqlite3 CLI while the engine has
 * it open. Policy (docs/architecture.md, "Persistence"): before a write, the engine notices the
 * change, reloads the edited file, replays its own logged changes on top, and writes the merge as
 * a new snapshot. If they do not apply, writes are refused with ExternalModificationError and no
 * file is touched. While sqlite3 holds a journal/WAL beside the file, writes are refused (retry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { openSqlJsEngine } from '../src/storage/sqljs/open.js';
import type { SqlJsEngine } from '../src/storage/sqljs/commit.js';
import { ExternalModificationError } from '../src/errors.js';
import { testSchema } from './fixtures/durability-schema.js';
import { fileHash, tempDatabase } from './fixtures/durability-helpers.js';

function sqlite3(path: string, sql: string): string {
  return execFileSync('sqlite3', [path, sql], { encoding: 'utf8' }).trim();
}
const values = (engine: SqlJsEngine) => engine.read((r) => r.all<{ value: string }>('SELECT value FROM Item ORDER BY id')).map((row) => row.value);

test('an edit made with sqlite3 while open is merged with the changes in our log, never overwritten', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  await engine.write((w) => w.run('INSERT INTO Item (id, value) VALUES (?, ?)', [1, 'ours-1']));
  sqlite3(dbPath, "INSERT INTO Item (id, value) VALUES (100, 'theirs'); UPDATE Config SET v = v WHERE k = 'schemaVersion';");
  await engine.write((w) => w.run('INSERT INTO Item (id, value) VALUES (?, ?)', [2, 'ours-2']));
  assert.deepEqual(values(engine), ['ours-1', 'ours-2', 'theirs']);
  // The merge was written as the new main file: sqlite3 sees all three, even before close.
  assert.equal(sqlite3(dbPath, 'SELECT group_concat(value) FROM (SELECT value FROM Item ORDER BY id)'), 'ours-1,theirs');
  await engine.close();
  assert.equal(sqlite3(dbPath, 'SELECT group_concat(value) FROM (SELECT value FROM Item ORDER BY id)'), 'ours-1,ours-2,theirs');
});

test('an edit that conflicts with our logged changes refuses writes and changes no file', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  await engine.write((w) => w.run('INSERT INTO Item (id, value) VALUES (?, ?)', [5, 'ours']));
  sqlite3(dbPath, "INSERT INTO Item (id, value) VALUES (5, 'theirs')");
  const main = fileHash(dbPath);
  const log = fileHash(`${dbPath}-log`);
  await assert.rejects(
    engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['next'])),
    (error: unknown) => error instanceof ExternalModificationError && /Stop the master/.test(error.message),
  );
  await assert.rejects(engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['again'])), ExternalModificationError);
  assert.deepEqual(values(engine), ['ours'], 'reads keep the state before the edit');
  await engine.close();
  assert.equal(fileHash(dbPath), main);
  assert.equal(fileHash(`${dbPath}-log`), log);
  // Reopening still refuses, untouched, until the operator decides.
  await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema }), ExternalModificationError);
  assert.equal(fileHash(dbPath), main);
});

test('while another program holds a journal beside the file, writes are refused; afterwards they work', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  writeFileSync(`${dbPath}-journal`, '');
  await assert.rejects(engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['x'])), ExternalModificationError);
  rmSync(`${dbPath}-journal`);
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['x']));
  assert.deepEqual(values(engine), ['x']);
  await engine.close();
});

test('an edit made while the master was stopped is simply used', async (t) => {
  const { dbPath } = tempDatabase(t);
  let engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['ours']));
  await engine.close();
  sqlite3(dbPath, "INSERT INTO Item (value) VALUES ('theirs')");
  engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['later']));
  await engine.close();
  engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(values(engine), ['ours', 'theirs', 'later']);
  await engine.close();
});

test('our own snapshots, installed while writes go on, are never taken for another program\'s edit', async (t) => {
  const { dbPath } = tempDatabase(t);
  // A snapshot after every few KB of log, while deferred writes keep coming from many callers.
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 4096, logToSnapshotRatio: 0 } });
  const writes: Promise<unknown>[] = [];
  // At least 3,000 writes, and on until a few snapshots went in among them (how many a run of
  // 3,000 brings depends on how busy the machine is: a slow sync batches more writes).
  let i = 0;
  for (; i < 3000 || ((engine.counters?.snapshots ?? 0) <= 3 && i < 30_000); i++) {
    const id = i;
    writes.push(engine.write((w) => w.run('INSERT INTO Item (id, value) VALUES (?, ?)', [id, 'x'.repeat(200)]), { durability: id % 50 === 0 ? 'sync' : 'deferred' }));
    if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(writes);
  await engine.flush();
  assert.ok((engine.counters?.snapshots ?? 0) > 3, `snapshots: ${engine.counters?.snapshots}`);
  assert.equal(engine.generation, 0, 'the database was reloaded as if edited by another program');
  assert.equal(values(engine).length, i);
  await engine.close();
});
