/**
 * Snapshots built in a child process (persistence/compaction-*.ts): writes go on while the next
 * snapshot is built from the stored one and the log, the records appended meanwhile move to the new
 * log, and a build that fails, is overtaken, is cut short or loses its parent loses nothing
 * acknowledged and leaves no file behind.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openSqlJsEngine } from '../src/storage/sqljs/open.js';
import type { SqlJsEngine } from '../src/storage/sqljs/commit.js';
import { buildCompactedImage } from '../src/storage/sqljs/persistence/compaction-build.js';
import { testSchema } from './fixtures/durability-schema.js';
import { buildFiles, childProcesses, createFaultFs, isRunning, tempDatabase } from './fixtures/durability-helpers.js';

const OFF_THREAD = { minLogBytes: 4096, logToSnapshotRatio: 0, offThreadFromBytes: 0 };
const insert = (engine: SqlJsEngine, id: number) =>
  engine.write((w) => w.run('INSERT INTO Item (id, value, data) VALUES (?, ?, ?)', [id, `v${id}`, new Uint8Array(100).fill(id & 255)]));
const ids = (engine: SqlJsEngine) => engine.read((r) => r.all<{ id: number }>('SELECT id FROM Item ORDER BY id')).map((row) => row.id);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function writeUntilSnapshots(engine: SqlJsEngine, atLeast: number, firstId = 0): Promise<number> {
  let id = firstId;
  const before = engine.counters!.snapshots;
  while (engine.counters!.snapshots - before < atLeast) {
    await insert(engine, id++);
    if (id - firstId > 200_000) throw new Error('no snapshot was installed');
  }
  return id;
}

/**
 * A copy of an open database's files as a kill -9 leaves them (the main file and a log not merged
 * into it); the engine is dropped without a close.
 */
function crashCopy(t: TestContext, engine: SqlJsEngine, dbPath: string): string {
  const main = readFileSync(dbPath);
  const log = readFileSync(`${dbPath}-log`);
  engine.discard();
  const { dbPath: copy } = tempDatabase(t);
  writeFileSync(copy, main);
  writeFileSync(`${copy}-log`, log);
  return copy;
}

test('snapshots built in a child process are installed while writes go on, and nothing written is lost', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: OFF_THREAD });
  const written = await writeUntilSnapshots(engine, 3);
  // Writes went on between the start of each build and its install: the new log carries them.
  assert.ok(engine.counters!.appends > 3);
  assert.deepEqual(ids(engine), range(written));
  await engine.close();
  assert.deepEqual(buildFiles(dbPath), []);
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(ids(reopened), range(written));
  await reopened.close();
});

test('a crash after an off-thread snapshot was installed reopens with the records appended during its build', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: OFF_THREAD });
  const written = await writeUntilSnapshots(engine, 2);
  const copy = crashCopy(t, engine, dbPath);
  const reopened = await openSqlJsEngine({ path: copy, schema: testSchema });
  assert.deepEqual(ids(reopened), range(written));
  await reopened.close();
});

test('a build whose log prefix does not follow the main file is refused', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  await insert(engine, 1);
  const log = readFileSync(`${dbPath}-log`);
  const main = readFileSync(dbPath);
  await engine.close();
  // After close the main file holds a newer snapshot than the log was started on.
  await assert.rejects(buildCompactedImage(new Uint8Array(readFileSync(dbPath)), new Uint8Array(log)), /does not follow/);
  const built = await buildCompactedImage(new Uint8Array(main), new Uint8Array(log));
  assert.equal(built.records, 1);
  await assert.rejects(buildCompactedImage(new Uint8Array(main), new Uint8Array(log.subarray(0, log.length - 1))), /not whole/);
});

test('an off-thread snapshot whose install fails is reported, writes go on in the log, nothing is lost', async (t) => {
  const { dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  const warnings: Error[] = [];
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, fs: faults.fs, compaction: OFF_THREAD, onWarning: (e) => warnings.push(e) });
  const snapshotsAtOpen = engine.counters!.snapshots;
  faults.fail('rename', 'EIO', { pathIncludes: 'compact-tmp', times: 1_000 });
  let id = 0;
  while (warnings.length === 0 && id < 200_000) await insert(engine, id++);
  assert.match(warnings[0]!.message, /could not install a snapshot/);
  assert.equal(engine.counters!.snapshots, snapshotsAtOpen);
  faults.clearFaults();
  id = await writeUntilSnapshots(engine, 1, id);
  assert.deepEqual(ids(engine), range(id));
  await engine.close();
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(ids(reopened), range(id));
  await reopened.close();
});

test('closing while a snapshot is being built stops the build and leaves a complete database', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: OFF_THREAD });
  let id = 0;
  // Just past the threshold: the build has started, and close comes before it can finish.
  while (id < 60) await insert(engine, id++);
  await engine.close();
  assert.deepEqual(buildFiles(dbPath), []);
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(ids(reopened), range(id));
  await reopened.close();
});

test('the log is compacted at maxLogBytes however large the database is, bounding the replay after a crash', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1024, maxLogBytes: 8192, offThreadFromBytes: 2 ** 40 } });
  await engine.write((w) => w.run('INSERT INTO Item (id, value, data) VALUES (?, ?, ?)', [-1, 'big', new Uint8Array(400_000)]));
  await engine.snapshotNow();
  const before = engine.counters!.snapshots;
  // 0.5 × 400 KB would allow 200 KB of log; the cap allows 8 KB.
  for (let id = 0; id < 200; id++) await insert(engine, id);
  assert.ok(engine.counters!.snapshots - before >= 2, `snapshots: ${engine.counters!.snapshots - before}`);
  assert.ok(readFileSync(`${dbPath}-log`).length < 8192 + 1024);
  await engine.close();
});

test('a main file whose digest is the one its log records opens without an integrity check; an edited one is checked', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await insert(engine, 1);
  await engine.close();
  const { openFilePersistence } = await import('../src/storage/sqljs/persistence/file.js');
  let persistence = await openFilePersistence({ path: dbPath });
  assert.equal((await persistence.load()).snapshotVerified, true);
  await persistence.close();
  const { execFileSync } = await import('node:child_process');
  execFileSync('sqlite3', [dbPath, "INSERT INTO Item (value) VALUES ('edited')"]);
  persistence = await openFilePersistence({ path: dbPath });
  assert.equal((await persistence.load()).snapshotVerified, false);
  await persistence.close();
});

test('a snapshot built on a basis that moved on (another snapshot installed meanwhile) is dropped, not installed', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  await insert(engine, 1);
  await engine.close();
  const { openFilePersistence } = await import('../src/storage/sqljs/persistence/file.js');
  const persistence = await openFilePersistence({ path: dbPath });
  const state = await persistence.load();
  await persistence.acceptLoaded();
  const build = persistence.prepareSnapshot();
  assert.ok(build, 'a builder can start here');
  // Meanwhile a snapshot of a later state goes in (as close or an external edit's merge would).
  const { Connection } = await import('../src/storage/sqljs/connection.js');
  const { loadSqlJs } = await import('../src/storage/sqljs/open.js');
  const connection = Connection.open(await loadSqlJs(), state.snapshot);
  connection.replayAll(1, () => [{ sql: 'INSERT INTO Item (id, value) VALUES (?, ?)', params: [2, 'later'] }]);
  await persistence.replaceSnapshot(connection.export());
  connection.close();
  assert.equal(await persistence.installSnapshot(await build!), false);
  assert.deepEqual(buildFiles(dbPath), []);
  await persistence.close();
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(ids(reopened), [1, 2]);
  await reopened.close();
});

test('the log is replayed at open as one transaction: a change that cannot be replayed is named and the open refused', async () => {
  const { loadConnection } = await import('../src/storage/sqljs/load.js');
  const { loadSqlJs } = await import('../src/storage/sqljs/open.js');
  const { encodeStatements } = await import('../src/storage/sqljs/persistence/record-codec.js');
  const { CorruptDatabaseError } = await import('../src/errors.js');
  const SQL = await loadSqlJs();
  const base = new SQL.Database();
  base.run('CREATE TABLE Item (id INTEGER PRIMARY KEY, value TEXT NOT NULL)');
  const snapshot = base.export();
  base.close();
  const record = (sql: string, params: (string | number)[]) => encodeStatements([{ sql, params }]);
  const good = [record('INSERT INTO Item (id, value) VALUES (?, ?)', [1, 'a']), record('INSERT INTO Item (id, value) VALUES (?, ?)', [2, 'b'])];
  const loaded = loadConnection(SQL, { snapshot, records: good, logMatchesSnapshot: true }, 'test.db');
  assert.deepEqual(loaded.reader.all('SELECT id FROM Item ORDER BY id'), [{ id: 1 }, { id: 2 }]);
  loaded.close();
  const bad = [good[0]!, record('INSERT INTO Missing (id) VALUES (?)', [3]), good[1]!];
  assert.throws(
    () => loadConnection(SQL, { snapshot, records: bad, logMatchesSnapshot: true }, 'test.db'),
    (error: unknown) => error instanceof CorruptDatabaseError && /logged change 2 cannot be replayed: .*Missing/.test(error.message),
  );
});

test('files left by earlier builds, a killed process\'s among them, are removed when the database opens', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  await insert(engine, 1);
  await engine.close();
  writeFileSync(`${dbPath}.compact-tmp-0123456789ab`, 'half a snapshot');
  writeFileSync(`${dbPath}.compact-tmp`, 'a build of an older version');
  writeFileSync(`${dbPath}.compactness`, 'not ours');
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(buildFiles(dbPath), []);
  assert.ok(existsSync(`${dbPath}.compactness`));
  assert.deepEqual(ids(reopened), [1]);
  await reopened.close();
});

/** A database as a kill -9 leaves it (a main file and a log with records to replay), and a build of it started by another process. */
async function orphanScene(t: TestContext) {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  for (let id = 0; id < 50; id++) await insert(engine, id);
  const copy = crashCopy(t, engine, dbPath);
  const target = `${copy}.compact-tmp-orphan`;
  const parent = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/compaction-parent.ts', import.meta.url)), copy, target], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => parent.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    parent.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
    parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before it started a build`)));
  });
  // The spawner starts at once; the builder once the spawner is ready.
  const spawners = await eventually(() => childProcesses(parent.pid!, 'compaction-spawner'));
  const builders = await eventually(() => childProcesses(spawners[0]!, 'compaction-child'));
  return { parent, spawner: spawners[0]!, builder: builders[0]!, target };
}

async function eventually(find: () => number[]): Promise<number[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = find();
    if (found.length === 1) return found;
    if (Date.now() > deadline) throw new Error(`found ${found.length} processes, not one`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function waitUntilEnded(pid: number): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !isRunning(pid);
}

test('when the serving process is killed with kill -9, its spawner and the builder running stop, and no snapshot file is written', async (t) => {
  const { parent, spawner, builder, target } = await orphanScene(t);
  parent.kill('SIGKILL');
  assert.ok(await waitUntilEnded(spawner), 'the spawner stopped');
  assert.ok(await waitUntilEnded(builder), 'the builder stopped');
  assert.equal(existsSync(target), false, 'the orphaned builder wrote its snapshot');
});

test('a builder whose serving process and spawner are both killed with kill -9 stops on its own and writes no file', async (t) => {
  const { parent, spawner, builder, target } = await orphanScene(t);
  process.kill(spawner, 'SIGKILL');
  parent.kill('SIGKILL');
  assert.ok(await waitUntilEnded(builder), 'the builder stopped');
  assert.equal(existsSync(target), false, 'the orphaned builder wrote its snapshot');
});

test('a large main file starts the builders\' spawner before it is read; close ends it', async (t) => {
  const { dbPath } = tempDatabase(t);
  const small = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  await insert(small, 1);
  await small.close();
  // Earlier tests' spawners may still be ending.
  const before = new Set(childProcesses(process.pid, 'compaction-spawner'));
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30, offThreadFromBytes: 1024 } });
  // No build has been asked for: the spawner runs because the main file is large enough for builds.
  const started = childProcesses(process.pid, 'compaction-spawner').filter((pid) => !before.has(pid));
  assert.equal(started.length, 1, 'one spawner started at the open');
  const [spawner] = started;
  await engine.close();
  assert.ok(await waitUntilEnded(spawner!), 'the spawner ended with close');
});

test('an idle spawner does not keep a process alive that never closed its database', async (t) => {
  const { dbPath } = tempDatabase(t);
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  await insert(engine, 1);
  await engine.close();
  const script = `
    import { openSqlJsEngine } from ${JSON.stringify(new URL('../src/storage/sqljs/open.ts', import.meta.url).href)};
    import { testSchema } from ${JSON.stringify(new URL('./fixtures/durability-schema.ts', import.meta.url).href)};
    const engine = await openSqlJsEngine({ path: ${JSON.stringify(dbPath)}, schema: testSchema, compaction: { offThreadFromBytes: 1024 } });
    await engine.write((w) => w.run('INSERT INTO Item (id, value) VALUES (2, ?)', ['two']));
    process.stdout.write('wrote\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(-1), 30_000);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  assert.equal(output, 'wrote\n');
  assert.equal(code, 0, 'the process ended on its own');
});

test('a database opened by a relative path keeps its files where it was opened when the process changes its working folder', async (t) => {
  const { dir, dbPath } = tempDatabase(t);
  const { dir: elsewhere } = tempDatabase(t);
  const start = process.cwd();
  t.after(() => process.chdir(start));
  process.chdir(dir);
  const engine = await openSqlJsEngine({ path: 'netconf.db', schema: testSchema, compaction: { minLogBytes: 1 << 30 } });
  await insert(engine, 1);
  process.chdir(elsewhere);
  await insert(engine, 2);
  await engine.snapshotNow();
  await insert(engine, 3);
  await engine.close();
  assert.equal(existsSync(join(elsewhere, 'netconf.db')), false, 'a file was written in the new working folder');
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(ids(reopened), [1, 2, 3]);
  await reopened.close();
});

test('a spawner killed while the database is open is replaced at the next build, and nothing is lost', async (t) => {
  const { dbPath } = tempDatabase(t);
  const warnings: Error[] = [];
  const before = new Set(childProcesses(process.pid, 'compaction-spawner'));
  const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema, compaction: OFF_THREAD, onWarning: (e) => warnings.push(e) });
  let id = await writeUntilSnapshots(engine, 1);
  const [spawner] = childProcesses(process.pid, 'compaction-spawner').filter((pid) => !before.has(pid));
  assert.ok(spawner, 'a spawner runs');
  process.kill(spawner, 'SIGKILL');
  assert.ok(await waitUntilEnded(spawner), 'the spawner was killed');
  id = await writeUntilSnapshots(engine, 2, id);
  const replacements = childProcesses(process.pid, 'compaction-spawner').filter((pid) => !before.has(pid) && pid !== spawner);
  assert.equal(replacements.length, 1, 'another spawner took its place');
  assert.deepEqual(ids(engine), range(id));
  await engine.close();
  const reopened = await openSqlJsEngine({ path: dbPath, schema: testSchema });
  assert.deepEqual(ids(reopened), range(id));
  await reopened.close();
  assert.ok(warnings.every((warning) => /snapshot/.test(warning.message)), warnings.map((w) => w.message).join('; '));
});
