/**
 * The sql.js engine's write path: transactions, group commit (concurrent commits share
 * one sync), deferred durability, a consistent exportImage while writes continue, restore, and the
 * single-writer lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { openSqlJsEngine, validateDatabaseImage } from '../src/storage/sqljs/open.js';
import type { SqlJsEngine } from '../src/storage/sqljs/commit.js';
import { restoreDatabaseFile } from '../src/storage/sqljs/restore.js';
import { decodeStatements, encodeStatements } from '../src/storage/sqljs/persistence/record-codec.js';
import { ClosedError, DatabaseLockedError, InvalidArgumentError, NotANetconfDatabaseError } from '../src/errors.js';
import { testSchema } from './fixtures/durability-schema.js';
import { createFaultFs, tempDatabase } from './fixtures/durability-helpers.js';

const count = (engine: SqlJsEngine) => Number(engine.read((r) => r.get<{ n: number }>('SELECT count(*) AS n FROM Item'))?.n);
const insert = (engine: SqlJsEngine, value: string, durability?: 'sync' | 'deferred') =>
  engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', [value]), { durability });

test('record codec round-trips statements with every value type', () => {
  const value = fc.oneof(fc.constant(null), fc.double({ noNaN: true }), fc.string(), fc.uint8Array());
  fc.assert(
    fc.property(fc.array(fc.record({ sql: fc.string(), params: fc.array(value) })), (statements) => {
      const decoded = decodeStatements(encodeStatements(statements));
      assert.deepEqual(decoded.map((s) => ({ sql: s.sql, params: s.params.map((p) => (p instanceof Uint8Array ? [...p] : p)) })),
        statements.map((s) => ({ sql: s.sql, params: s.params.map((p) => (p instanceof Uint8Array ? [...p] : p)) })));
    }),
  );
});

test('a throwing callback rolls back; async callbacks and nested writes are refused', async () => {
  const engine = await openSqlJsEngine({ schema: testSchema });
  await assert.rejects(
    engine.write((w) => {
      w.run('INSERT INTO Item (value) VALUES (?)', ['gone']);
      throw new Error('boom');
    }),
    /boom/,
  );
  await assert.rejects(engine.write(async (w) => w.run('INSERT INTO Item (value) VALUES (?)', ['x'])), InvalidArgumentError);
  let nested: unknown = null;
  await engine.write(() => {
    engine.write(() => 1).catch((error: unknown) => (nested = error));
  });
  await new Promise((r) => setImmediate(r));
  assert.ok(nested instanceof InvalidArgumentError);
  assert.equal(count(engine), 0);
  assert.equal(await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['kept']).changes), 1);
  assert.equal(count(engine), 1);
  await engine.close();
  assert.throws(() => engine.read(() => 1), ClosedError);
  await assert.rejects(insert(engine, 'late'), ClosedError);
});

test('concurrent sync writes share far fewer fsyncs than writes (group commit)', async (t) => {
  const { dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, fs: faults.fs, compaction: { minLogBytes: 1 << 30 } });
  const before = faults.calls.fdatasync;
  await Promise.all(Array.from({ length: 100 }, (_, i) => insert(engine, `v${i}`)));
  const syncs = faults.calls.fdatasync - before;
  assert.ok(syncs >= 1 && syncs <= 3, `100 concurrent writes took ${syncs} syncs`);
  // Writes issued while a sync is in flight ride on the next one.
  const mid = faults.calls.fdatasync;
  const first = insert(engine, 'first');
  await new Promise((r) => setImmediate(r));
  const rest = Array.from({ length: 50 }, (_, i) => insert(engine, `late${i}`));
  await Promise.all([first, ...rest]);
  assert.ok(faults.calls.fdatasync - mid <= 3);
  assert.equal(count(engine), 151);
  await engine.close();
});

test('deferred writes resolve before their sync unless the callback requires durability', async (t) => {
  const { dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, fs: faults.fs, deferredFlushMs: 10_000 });
  const before = faults.calls.fdatasync;
  await insert(engine, 'stat', 'deferred');
  assert.equal(faults.calls.fdatasync, before, 'a deferred write does not wait for a sync');
  await engine.write((w) => {
    w.run('INSERT INTO Item (value) VALUES (?)', ['claim']);
    w.requireDurable();
  }, { durability: 'deferred' });
  assert.equal(faults.calls.fdatasync, before + 1, 'requireDurable waits for the sync, which carries both');
  await insert(engine, 'stat2', 'deferred');
  await engine.flush();
  assert.equal(faults.calls.fdatasync, before + 2);
  await engine.close();
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.equal(count(reopened), 3);
  await reopened.close();
});

test('exportImage is a consistent SQLite image while writes continue; statements keep working after it', async (t) => {
  const engine = await openSqlJsEngine({ schema: testSchema });
  const writes: Promise<unknown>[] = [];
  let image: Uint8Array | null = null;
  let countAtExport = -1;
  for (let i = 0; i < 200; i++) {
    writes.push(insert(engine, `v${i}`));
    if (i === 120) {
      image = engine.exportImage();
      countAtExport = count(engine);
    }
  }
  await Promise.all(writes);
  assert.equal(count(engine), 200);
  assert.ok(image);
  await validateDatabaseImage(image, testSchema);
  const { dbPath } = tempDatabase(t);
  writeFileSync(dbPath, image);
  const copy = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.equal(count(copy), countAtExport);
  await copy.close();
  await engine.close();
});

test('restoreDatabaseFile validates the image and refuses a database that is open', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await insert(engine, 'before-backup');
  const image = engine.exportImage();
  await insert(engine, 'after-backup');
  await assert.rejects(restoreDatabaseFile(dbPath, image, testSchema), DatabaseLockedError);
  await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema }), DatabaseLockedError);
  await engine.close();
  await assert.rejects(restoreDatabaseFile(dbPath, new TextEncoder().encode('not a database'), testSchema), NotANetconfDatabaseError);
  await restoreDatabaseFile(dbPath, image, testSchema);
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(reopened.read((r) => r.all('SELECT value FROM Item')), [{ value: 'before-backup' }]);
  await reopened.close();
});

test('snapshots keep the log bounded and the file complete', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 4096, logToSnapshotRatio: 0.5 } });
  for (let i = 0; i < 300; i++) await engine.write((w) => w.run('INSERT INTO Item (value, data) VALUES (?, ?)', [`v${i}`, new Uint8Array(40)]));
  assert.ok((engine.counters?.snapshots ?? 0) >= 3);
  assert.ok(engine.counters!.appends >= 1);
  await engine.close();
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.equal(count(reopened), 300);
  await reopened.close();
});
