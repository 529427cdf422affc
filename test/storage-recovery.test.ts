/**
 * Recovery on open: a torn log tail is dropped, a torn snapshot temp file is ignored, an
 * interrupted snapshot switch is completed; foreign, corrupt, truncated and newer files, a log
 * damaged in the middle and a log whose snapshot is gone are refused with a typed error and left
 * byte-for-byte untouched, with no lock behind; an older schema is migrated with a copy of the
 * original kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlJsEngine } from '../src/storage/sqljs/open.js';
import type { SqlJsEngine } from '../src/storage/sqljs/commit.js';
import { CorruptDatabaseError, NotANetconfDatabaseError, SchemaTooNewError } from '../src/errors.js';
import { LOG_HEADER_SIZE, RECORD_HEADER_SIZE } from '../src/storage/sqljs/persistence/log-format.js';
import { testSchema } from './fixtures/durability-schema.js';
import { createFaultFs, fileHash, tempDatabase } from './fixtures/durability-helpers.js';

const NO_SNAPSHOTS = { minLogBytes: 1 << 30 };

function sqlite3(path: string, sql: string): string {
  return execFileSync('sqlite3', [path, sql], { encoding: 'utf8' }).trim();
}

function itemValues(engine: SqlJsEngine): string[] {
  return engine.read((r) => r.all<{ value: string }>('SELECT value FROM Item ORDER BY id')).map((row) => row.value);
}

/** Drops an open engine as a crash would: memory gone, files and lock left as they are (lock freed for reuse here). */
function crash(engine: SqlJsEngine, dbPath: string): void {
  engine.discard();
  rmSync(`${dbPath}.lock`, { force: true });
}

/** Every file of a folder with its SHA-256: equal before and after means nothing was written, created or left. */
function folderState(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, fileHash(join(dir, name))]));
}

/** Copies the files of an open database as they are on disk now: what a crash would leave. */
function crashCopy(fromDb: string, toDb: string): void {
  for (const suffix of ['', '-log']) copyFileSync(fromDb + suffix, toDb + suffix);
}

test('a log truncated at every byte of its last record opens with every record before it', async (t) => {
  const source = tempDatabase(t);
  const target = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: source.dbPath, schema: testSchema, compaction: NO_SNAPSHOTS });
  for (const value of ['a', 'b', 'c']) await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', [value]));
  const beforeLast = statSync(`${source.dbPath}-log`).size;
  await engine.write((w) => w.run('INSERT INTO Item (value, data) VALUES (?, ?)', ['last', new Uint8Array([1, 2, 3])]));
  crashCopy(source.dbPath, target.dbPath);
  await engine.close();

  const fullLog = readFileSync(`${target.dbPath}-log`);
  const main = readFileSync(target.dbPath);
  assert.ok(beforeLast > LOG_HEADER_SIZE + 3 * RECORD_HEADER_SIZE);
  for (let cut = beforeLast; cut < fullLog.length; cut++) {
    writeFileSync(target.dbPath, main);
    writeFileSync(`${target.dbPath}-log`, fullLog.subarray(0, cut));
    const reopened = await openSqlJsEngine({ path: target.dbPath, schema: testSchema, compaction: NO_SNAPSHOTS });
    assert.deepEqual(itemValues(reopened), ['a', 'b', 'c'], `cut at ${cut}`);
    assert.equal(statSync(`${target.dbPath}-log`).size, beforeLast, 'the torn tail is truncated away');
    crash(reopened, target.dbPath);
  }
  // A whole log opens with all four; a flipped byte in the last record drops only that record.
  writeFileSync(`${target.dbPath}-log`, fullLog);
  let reopened = await openSqlJsEngine({ path: target.dbPath, schema: testSchema, compaction: NO_SNAPSHOTS });
  assert.deepEqual(itemValues(reopened), ['a', 'b', 'c', 'last']);
  crash(reopened, target.dbPath);
  const flipped = Buffer.from(fullLog);
  flipped[fullLog.length - 2] ^= 0x40;
  writeFileSync(`${target.dbPath}-log`, flipped);
  reopened = await openSqlJsEngine({ path: target.dbPath, schema: testSchema, compaction: NO_SNAPSHOTS });
  assert.deepEqual(itemValues(reopened), ['a', 'b', 'c']);
  crash(reopened, target.dbPath);
});

test('a torn snapshot temp file and a stale next log are ignored and removed', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: NO_SNAPSHOTS });
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['kept']));
  await engine.close();
  writeFileSync(`${dbPath}.snapshot-tmp`, readFileSync(dbPath).subarray(0, 1000));
  writeFileSync(`${dbPath}-log.next`, Buffer.from('torn next log'));
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(itemValues(reopened), ['kept']);
  assert.ok(!existsSync(`${dbPath}.snapshot-tmp`));
  assert.ok(!existsSync(`${dbPath}-log.next`));
  await reopened.close();
  assert.equal(sqlite3(dbPath, 'PRAGMA integrity_check'), 'ok');
});

test('a crash between installing a snapshot and its new log keeps every change', async (t) => {
  const source = tempDatabase(t);
  const target = tempDatabase(t);
  const faults = createFaultFs();
  const engine = await openSqlJsEngine({ path: source.dbPath, schema: testSchema, fs: faults.fs, compaction: NO_SNAPSHOTS });
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['one']));
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['two']));
  faults.fail('rename', 'EIO', { pathIncludes: '-log.next ->' });
  await assert.rejects(engine.snapshotNow());
  for (const suffix of ['', '-log', '-log.next']) copyFileSync(source.dbPath + suffix, target.dbPath + suffix);
  engine.discard();
  const reopened = await openSqlJsEngine({ path: target.dbPath, schema: testSchema });
  assert.deepEqual(itemValues(reopened), ['one', 'two']);
  assert.ok(!existsSync(`${target.dbPath}-log.next`));
  await reopened.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['three']));
  await reopened.close();
  assert.equal(sqlite3(target.dbPath, 'SELECT group_concat(value) FROM Item'), 'one,two,three');
});

const refusals: { name: string; make: (path: string) => void; error: new (...args: never[]) => Error }[] = [
  { name: 'random bytes', make: (p) => writeFileSync(p, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) & 255))), error: NotANetconfDatabaseError },
  { name: 'a text file', make: (p) => writeFileSync(p, 'network config notes\n'.repeat(50)), error: NotANetconfDatabaseError },
  {
    name: 'a SQLite database with other tables',
    make: (p) => sqlite3(p, "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');"),
    error: NotANetconfDatabaseError,
  },
  {
    name: 'a newer schema',
    make: (p) => sqlite3(p, "CREATE TABLE Config (k TEXT PRIMARY KEY, v TEXT); INSERT INTO Config VALUES ('schemaVersion', '99');"),
    error: SchemaTooNewError,
  },
  {
    name: 'a corrupt SQLite database',
    make: (p) => {
      sqlite3(
        p,
        "CREATE TABLE Config (k TEXT PRIMARY KEY, v TEXT); INSERT INTO Config VALUES ('schemaVersion', '2'); " +
          'CREATE TABLE Item (id INTEGER PRIMARY KEY, value TEXT, data BLOB); ' +
          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO Item SELECT x, 'v' || x, randomblob(50) FROM c;",
      );
      const bytes = readFileSync(p);
      bytes.fill(0xab, 4096 * 3, 4096 * 3 + 200);
      writeFileSync(p, bytes);
    },
    error: CorruptDatabaseError,
  },
];

for (const { name, make, error } of refusals) {
  test(`${name} is refused with ${error.name}, untouched, with no lock left`, async (t) => {
    const { dir, dbPath } = tempDatabase(t);
    make(dbPath);
    const before = fileHash(dbPath);
    await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema }), error);
    assert.equal(fileHash(dbPath), before);
    assert.deepEqual(readdirSync(dir), ['netconf.db']);
  });
}

test('an older schema is migrated forward with a copy of the original kept (never overwritten)', async (t) => {
  const { dir, dbPath } = tempDatabase(t);
  sqlite3(dbPath, "CREATE TABLE Config (k TEXT PRIMARY KEY NOT NULL, v TEXT NOT NULL); INSERT INTO Config VALUES ('schemaVersion', '1');");
  const original = fileHash(dbPath);
  writeFileSync(`${dbPath}.v1-backup`, 'an older backup');
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.equal(engine.read((r) => r.get<{ v: string }>("SELECT v FROM Config WHERE k = 'schemaVersion'"))?.v, '2');
  await engine.close();
  assert.equal(readFileSync(`${dbPath}.v1-backup`, 'utf8'), 'an older backup');
  assert.equal(fileHash(`${dbPath}.v1-backup-2`), original);
  assert.equal(sqlite3(dbPath, "SELECT v FROM Config WHERE k = 'schemaVersion'"), '2');
  assert.equal(sqlite3(dbPath, 'PRAGMA integrity_check'), 'ok');
  const again = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await again.close();
  assert.deepEqual(readdirSync(dir).sort(), ['netconf.db', 'netconf.db-log', 'netconf.db.v1-backup', 'netconf.db.v1-backup-2']);
});

test('a new database is created as an ordinary SQLite file', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['x']));
  await engine.close();
  assert.equal(sqlite3(dbPath, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sqlite3(dbPath, 'SELECT value FROM Item'), 'x');
  assert.ok(existsSync(join(dbPath + '-log')));
});

test('a log damaged in the middle (32 bytes at 25, 50 and 90 %) is refused with CorruptDatabaseError, every file unchanged', async (t) => {
  const { dir, dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: NO_SNAPSHOTS });
  const written = Array.from({ length: 40 }, (_, i) => `v${i}`);
  for (const value of written) await engine.write((w) => w.run('INSERT INTO Item (value, data) VALUES (?, ?)', [value, new Uint8Array(48).fill(7)]));
  crash(engine, dbPath);
  const log = readFileSync(`${dbPath}-log`);
  for (const fraction of [0.25, 0.5, 0.9]) {
    const damaged = Buffer.from(log);
    const at = Math.floor(log.length * fraction);
    for (let i = at; i < at + 32; i++) damaged[i]! ^= 0xff;
    writeFileSync(`${dbPath}-log`, damaged);
    const before = folderState(dir);
    await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema }), (error: unknown) => {
      assert.ok(error instanceof CorruptDatabaseError, `damage at ${fraction}: ${String(error)}`);
      assert.match(error.message, /intact records follow/);
      return true;
    });
    assert.deepEqual(folderState(dir), before, `damage at ${fraction}: no file changed, no lock left`);
  }
  writeFileSync(`${dbPath}-log`, log);
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(itemValues(reopened), written, 'the undamaged log still holds every change');
  await reopened.close();
});

test('a bad record with nothing valid after it is a torn tail: dropped, the records before it kept', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: NO_SNAPSHOTS });
  for (const value of ['a', 'b']) await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', [value]));
  crash(engine, dbPath);
  const validLength = statSync(`${dbPath}-log`).size;
  // What a crash during a longer append may leave: a record header announcing more than was written, then garbage.
  const tail = Buffer.alloc(300, 0x5a);
  tail.writeUInt32LE(280, 0);
  writeFileSync(`${dbPath}-log`, Buffer.concat([readFileSync(`${dbPath}-log`), tail]));
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(itemValues(reopened), ['a', 'b']);
  assert.equal(statSync(`${dbPath}-log`).size, validLength);
  await reopened.close();
});

for (const loss of ['truncated to 0 bytes', 'deleted'] as const) {
  test(`a cleanly closed database whose main file was ${loss} is refused, not opened as a new one`, async (t) => {
    const { dir, dbPath } = tempDatabase(t);
    const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
    await engine.write((w) => w.run('INSERT INTO Item (value) VALUES (?)', ['precious']));
    await engine.close();
    if (loss === 'deleted') rmSync(dbPath);
    else writeFileSync(dbPath, new Uint8Array(0));
    const before = folderState(dir);
    await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema }), (error: unknown) => {
      assert.ok(error instanceof CorruptDatabaseError, String(error));
      assert.match(error.message, /follows a snapshot of \d+ bytes/);
      return true;
    });
    assert.deepEqual(folderState(dir), before, 'the log that names the lost snapshot is kept as it was');
  });
}

test('truncated or header-damaged files are refused as corrupt or not a database, never as a write failure', async (t) => {
  const { dir, dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  for (let i = 0; i < 300; i++) await engine.write((w) => w.run('INSERT INTO Item (value, data) VALUES (?, ?)', [`v${i}`, new Uint8Array(40).fill(i & 255)]));
  await engine.close();
  const main = readFileSync(dbPath);
  const log = readFileSync(`${dbPath}-log`);
  const damage = (from: Uint8Array, at: number, length: number) => {
    const bytes = Buffer.from(from);
    bytes.fill(0xab, at, at + length);
    return bytes;
  };
  const cases: { name: string; main?: Uint8Array; log?: Uint8Array; error: typeof CorruptDatabaseError | typeof NotANetconfDatabaseError }[] = [
    { name: 'main cut to 100 bytes', main: main.subarray(0, 100), error: CorruptDatabaseError },
    { name: 'main cut to one page', main: main.subarray(0, 4096), error: CorruptDatabaseError },
    { name: 'main cut in half', main: main.subarray(0, main.length >> 1), error: CorruptDatabaseError },
    { name: 'page size damaged', main: damage(main, 16, 2), error: NotANetconfDatabaseError },
    { name: 'page count damaged', main: damage(main, 28, 4), error: CorruptDatabaseError },
    { name: 'schema format damaged', main: damage(main, 40, 8), error: CorruptDatabaseError },
    { name: 'text encoding damaged', main: damage(main, 56, 4), error: CorruptDatabaseError },
    { name: 'log header damaged', log: damage(log, 20, 4), error: CorruptDatabaseError },
    { name: 'log cut inside its header', log: log.subarray(0, 20), error: CorruptDatabaseError },
  ];
  for (const { name, main: damagedMain, log: damagedLog, error } of cases) {
    writeFileSync(dbPath, damagedMain ?? main);
    writeFileSync(`${dbPath}-log`, damagedLog ?? log);
    const before = folderState(dir);
    await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema }), (thrown: unknown) => {
      assert.ok(thrown instanceof error, `${name}: ${String(thrown)}`);
      return true;
    });
    assert.deepEqual(folderState(dir), before, `${name}: no file changed, no lock left`);
  }
});
