/**
 * The database file sql.js keeps in memory starts with room to grow in place, so that a commit
 * that makes it larger does not copy the whole file (room-to-grow.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { capacityFor, withRoomToGrow } from '../src/storage/sqljs/room-to-grow.js';
import { nodePersistenceFs } from '../src/storage/sqljs/persistence/fs.js';
import { tempDatabase } from './fixtures/durability-helpers.js';
import { testSchema } from './fixtures/durability-schema.js';
import { loadSqlJs, openSqlJsEngine } from '../src/storage/sqljs/open.js';

async function sampleImage(rows: number): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)');
  for (let i = 0; i < rows; i++) db.run('INSERT INTO t (b) VALUES (randomblob(1000))');
  const image = db.export();
  db.close();
  return image;
}

/** `withRoomToGrow(image)`, recording each array its slice() hands out. */
function watched(image: Uint8Array, take = false) {
  const view = withRoomToGrow(image, { take });
  const handedOut: Uint8Array[] = [];
  const slice = view.slice.bind(view);
  Object.defineProperty(view, 'slice', {
    value: (start?: number, end?: number) => {
      const file = slice(start, end);
      handedOut.push(file);
      return file;
    },
  });
  return { view, handedOut };
}

test('an image opened with room to grow has twice its size of capacity and its own bytes first', async () => {
  const image = await sampleImage(50);
  const file = withRoomToGrow(image).slice();
  assert.equal(file.length, capacityFor(image.length));
  assert.equal(file.length, 2 * image.length);
  assert.deepEqual(file.subarray(0, image.length), image);
  assert.ok(file.subarray(image.length).every((byte) => byte === 0));
});

test('without memory for the room, the file starts as a plain copy of the image', async () => {
  const image = await sampleImage(5);
  const file = withRoomToGrow(image, { capacity: 2 ** 53 }).slice();
  assert.deepEqual(file, image);
  assert.notEqual(file.buffer, image.buffer);
});

test('a slice of part of the image is that part, as any slice is', async () => {
  const image = await sampleImage(5);
  assert.deepEqual(withRoomToGrow(image).slice(16, 100), image.slice(16, 100));
});

test('sql.js takes the file from the image with slice(), and writes that grow the file land in that same array', async () => {
  const SQL = await loadSqlJs();
  const image = await sampleImage(100);
  const before = image.slice();
  const { view, handedOut } = watched(image);
  const db = new SQL.Database(view);
  assert.equal(handedOut.length, 1, 'sql.js made its file from slice() of the image');
  const file = handedOut[0]!;
  db.run('BEGIN');
  for (let i = 0; i < 80; i++) db.run('INSERT INTO t (b) VALUES (randomblob(1000))');
  db.run('COMMIT');
  const grown = db.export();
  assert.ok(grown.length > image.length * 1.5, 'the database grew by more than half');
  assert.ok(grown.length <= file.length);
  // Had the file system copied the file to a larger array, the growth would not be in this one.
  // (The 100-byte header is left out: export() reopens the database, which rewrites counters in it.)
  assert.deepEqual(file.subarray(100, grown.length), grown.subarray(100));
  assert.deepEqual(image, before, 'the image itself is unchanged');
  db.close();
});

test('a taken image is the file itself: its buffer, room included, with no copy', async () => {
  const SQL = await loadSqlJs();
  const bytes = await sampleImage(20);
  const buffer = new ArrayBuffer(3 * bytes.length);
  const image = new Uint8Array(buffer, 0, bytes.length);
  image.set(bytes);
  const { view, handedOut } = watched(image, true);
  const db = new SQL.Database(view);
  assert.equal(handedOut[0]!.buffer, buffer);
  assert.equal(handedOut[0]!.length, buffer.byteLength);
  db.run('INSERT INTO t (b) VALUES (randomblob(1000))');
  assert.notDeepEqual(image, bytes, 'sql.js wrote to the taken buffer');
  assert.equal(db.exec('SELECT count(*) FROM t')[0]!.values[0]![0], 21);
  db.close();
});

test('file storage reads a file into a buffer with room: its bytes first, then zeroes', async (t) => {
  const { dbPath: path } = tempDatabase(t);
  const bytes = await sampleImage(3);
  writeFileSync(path, bytes);
  const read = await nodePersistenceFs.readFile(path, capacityFor);
  assert.deepEqual(read, bytes);
  assert.equal(read.buffer.byteLength, capacityFor(bytes.length));
  assert.ok(new Uint8Array(read.buffer, bytes.length).every((byte) => byte === 0));
  assert.deepEqual(await nodePersistenceFs.readFile(path), bytes);
});

test('a file system that answers with a view into a buffer of its own keeps that buffer: only a buffer read with room is taken', async (t) => {
  const { dbPath: path } = tempDatabase(t);
  const first = await openSqlJsEngine({ path, schema: testSchema });
  for (let id = 0; id < 20; id++) await first.write((w) => w.run('INSERT INTO Item (id, value, data) VALUES (?, ?, ?)', [id, `v${id}`, new Uint8Array(100)]));
  await first.close();
  // An injected file system that ignores `capacity` and hands out the file inside a larger buffer
  // whose tail holds something else (as a pool of buffers would).
  const sentinel = 0xab;
  const shared: ArrayBuffer[] = [];
  const fs = {
    ...nodePersistenceFs,
    readFile: async (file: string) => {
      const bytes = await nodePersistenceFs.readFile(file);
      const buffer = new ArrayBuffer(bytes.length + 256 * 1024);
      new Uint8Array(buffer).fill(sentinel).set(bytes);
      shared.push(buffer);
      return new Uint8Array(buffer, 0, bytes.length);
    },
  };
  const engine = await openSqlJsEngine({ path, schema: testSchema, fs });
  for (let id = 20; id < 220; id++) await engine.write((w) => w.run('INSERT INTO Item (id, value, data) VALUES (?, ?, ?)', [id, `v${id}`, new Uint8Array(1000).fill(1)]));
  const main = shared[0]!;
  const size = (await nodePersistenceFs.readFile(path)).length;
  assert.ok(new Uint8Array(main, size).every((byte) => byte === sentinel), 'the file system\'s buffer past the file is untouched');
  assert.equal(engine.read((r) => r.get<{ n: number }>('SELECT count(*) AS n FROM Item'))?.n, 220);
  await engine.close();
});
