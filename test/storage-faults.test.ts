/**
 * Failing writes: ENOSPC / EIO on append, on sync and on snapshot writes reject the
 * affected writes with PersistenceError, roll the in-memory state back to what the disk holds,
 * and never lose an acknowledged change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openSqlJsEngine } from '../src/storage/sqljs/open.js';
import type { SqlJsEngine } from '../src/storage/sqljs/commit.js';
import { restoreDatabaseFile } from '../src/storage/sqljs/restore.js';
import { PersistenceError } from '../src/errors.js';
import { testSchema } from './fixtures/durability-schema.js';
import { createFaultFs, fileHash, tempDatabase } from './fixtures/durability-helpers.js';

function values(engine: SqlJsEngine): string[] {
  return engine.read((r) => r.all<{ value: string }>('SELECT value FROM Item ORDER BY id')).map((row) => row.value);
}

const insert = (engine: SqlJsEngine, value: string) => engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', [value]));

async function reopenValues(dbPath: string): Promise<string[]> {
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  try {
    return values(engine);
  } finally {
    await engine.close();
  }
}

for (const [op, code] of [
  ['write', 'ENOSPC'],
  ['write', 'EIO'],
  ['fdatasync', 'EIO'],
  ['fdatasync', 'ENOSPC'],
] as const) {
  test(`${code} on log ${op}: the batch rejects, memory rolls back, acknowledged changes stay`, async (t) => {
    const { dbPath } = tempDatabase(t);
    const faults = createFaultFs();
    const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, fs: faults.fs, compaction: { minLogBytes: 1 << 30 } });
    await insert(engine, 'a');
    await insert(engine, 'b');
    faults.fail(op, code, { pathIncludes: '-log' });
    const failing = [insert(engine, 'c1'), insert(engine, 'c2')];
    for (const write of failing) await assert.rejects(write, PersistenceError);
    assert.deepEqual(values(engine), ['a', 'b'], 'memory matches the disk again');
    await insert(engine, 'd');
    assert.deepEqual(values(engine), ['a', 'b', 'd']);
    await engine.close();
    assert.deepEqual(await reopenValues(dbPath), ['a', 'b', 'd']);
  });
}

test('when the torn tail cannot be cut off either, writes are refused until reopen; nothing acknowledged is lost', async (t) => {
  const { dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, fs: faults.fs, compaction: { minLogBytes: 1 << 30 } });
  await insert(engine, 'a');
  faults.fail('fdatasync', 'EIO', { pathIncludes: '-log' });
  faults.fail('ftruncate', 'EIO');
  await assert.rejects(insert(engine, 'lost'), PersistenceError);
  await assert.rejects(insert(engine, 'refused'), PersistenceError);
  assert.deepEqual(values(engine), ['a']);
  await engine.close();
  assert.deepEqual(await reopenValues(dbPath), ['a']);
});

test('a snapshot that cannot be written is reported, writes go on in the log, nothing is lost', async (t) => {
  const { dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  const warnings: Error[] = [];
  const engine = await openSqlJsEngine({
    path: dbPath,
    schema: testSchema,
    fs: faults.fs,
    compaction: { minLogBytes: 200, logToSnapshotRatio: 0 },
    onWarning: (e) => warnings.push(e),
  });
  const snapshotsAtOpen = engine.counters?.snapshots ?? 0;
  faults.fail('write', 'ENOSPC', { pathIncludes: 'snapshot-tmp', times: 100 });
  const written: string[] = [];
  for (let i = 0; i < 12; i++) {
    written.push(`v${i}`);
    await insert(engine, `v${i}`);
  }
  assert.ok(warnings.some((w) => w instanceof PersistenceError), 'the failed snapshot is reported');
  assert.equal(engine.counters?.snapshots, snapshotsAtOpen);
  faults.clearFaults();
  for (let i = 12; i < 40; i++) {
    written.push(`v${i}`);
    await insert(engine, `v${i}`);
  }
  assert.ok((engine.counters?.snapshots ?? 0) > snapshotsAtOpen, 'snapshots resume once the disk has room');
  assert.deepEqual(values(engine), written);
  await engine.close();
  assert.deepEqual(await reopenValues(dbPath), written);
});

test('a snapshot and its fallback append both failing: the covered writes reject and roll back', async (t) => {
  const { dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, fs: faults.fs, compaction: { minLogBytes: 150, logToSnapshotRatio: 0 } });
  await insert(engine, 'a');
  await insert(engine, 'b'); // pushes the log past the threshold: the next pump writes a snapshot
  faults.fail('fsync', 'EIO', { pathIncludes: 'snapshot-tmp' });
  faults.fail('fdatasync', 'EIO', { pathIncludes: '-log' });
  const late = insert(engine, 'c');
  await assert.rejects(late, PersistenceError);
  assert.deepEqual(values(engine), ['a', 'b']);
  await engine.close();
  assert.deepEqual(await reopenValues(dbPath), ['a', 'b']);
});

test('a failing snapshot during migration rejects the open with PersistenceError and keeps the original', async (t) => {
  const { dbPath } = tempDatabase(t);
  const { execFileSync } = await import('node:child_process');
  execFileSync('sqlite3', [dbPath, "CREATE TABLE Config (k TEXT PRIMARY KEY NOT NULL, v TEXT NOT NULL); INSERT INTO Config VALUES ('schemaVersion', '1');"]);
  const before = fileHash(dbPath);
  const faults = createFaultFs();
  faults.fail('write', 'ENOSPC', { pathIncludes: 'snapshot-tmp' });
  await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema, fs: faults.fs }), PersistenceError);
  assert.equal(fileHash(dbPath), before);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(values(engine), []);
  await engine.close();
});

test('restore with a failing write rejects with PersistenceError and leaves the old database', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await insert(engine, 'old');
  const image = engine.exportImage();
  await insert(engine, 'newer');
  await engine.close();
  const before = fileHash(dbPath);
  const faults = createFaultFs();
  faults.fail('write', 'ENOSPC', { pathIncludes: 'snapshot-tmp' });
  await assert.rejects(restoreDatabaseFile(dbPath, image, testSchema, { fs: faults.fs }), PersistenceError);
  assert.equal(fileHash(dbPath), before);
  assert.deepEqual(await reopenValues(dbPath), ['old', 'newer']);
  await restoreDatabaseFile(dbPath, image, testSchema);
  assert.deepEqual(await reopenValues(dbPath), ['old']);
  assert.ok(readFileSync(dbPath).length > 0);
});
