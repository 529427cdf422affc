/**
 * Browser persistence exercised in Node with fake-indexeddb: the same snapshot + log
 * design, group commit, snapshots, migration backup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { openSqlJsEngine } from '../src/storage/sqljs/open.js';
import type { SqlJsEngine } from '../src/storage/sqljs/commit.js';
import { testSchema } from './fixtures/durability-schema.js';

const values = (engine: SqlJsEngine) => engine.read((r) => r.all<{ value: string }>('SELECT value FROM Item ORDER BY id')).map((row) => row.value);

test('IndexedDB persistence keeps acknowledged writes across reopen, with group commit and snapshots', async () => {
  const factory = new IDBFactory();
  const open = () => openSqlJsEngine({ indexedDb: { name: 'netconf', factory }, schema: testSchema, compaction: { minLogBytes: 2048, logToSnapshotRatio: 0.2 } });
  let engine = await open();
  await Promise.all(Array.from({ length: 40 }, (_, i) => engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', [`c${i}`]))));
  const afterConcurrent = engine.counters!.appends;
  assert.ok(afterConcurrent <= 3, `40 concurrent writes used ${afterConcurrent} transactions`);
  for (let i = 0; i < 60; i++) await engine.write((w) => w.run('INSERT INTO Item (value, data) VALUES (?, ?)', [`s${i}`, new Uint8Array(30)]));
  assert.ok(engine.counters!.snapshots >= 2);
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['deferred']), { durability: 'deferred' });
  await engine.flush();
  const expected = values(engine);
  assert.equal(expected.length, 101);
  // Reopen without close, as after a crashed tab: memory is gone, the log holds the latest changes.
  engine.discard();
  engine = await open();
  assert.deepEqual(values(engine), expected);
  await engine.close();
  engine = await open();
  assert.deepEqual(values(engine), expected);
  await engine.close();
});
