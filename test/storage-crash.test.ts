/**
 * Durability under kill -9: a child process writes in a loop and prints each
 * acknowledgment; it is killed with SIGKILL at random moments. Every acknowledged change must be
 * there after reopening, the main file must pass `PRAGMA integrity_check` in the sqlite3 CLI, and
 * the lock the killed process left behind must be taken over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSqlJsEngine } from '../src/storage/sqljs/open.js';
import { DatabaseLockedError } from '../src/errors.js';
import { testSchema } from './fixtures/durability-schema.js';
import { buildFiles, tempDatabase } from './fixtures/durability-helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/durability-writer.ts', import.meta.url));
const ROUNDS = 10;

function sqlite3(path: string, sql: string): string {
  return execFileSync('sqlite3', [path, sql], { encoding: 'utf8' }).trim();
}

interface Child {
  pid: number;
  acked: Set<number>;
  /** Snapshots installed so far, as the writer reports them (off-thread mode only). */
  snapshots(): number;
  waitForAcks(n: number): Promise<void>;
  /** Resolves once the writer has reported `n` installed snapshots. */
  waitForSnapshots(n: number): Promise<void>;
  kill(): Promise<void>;
}

function startWriter(dbPath: string, firstId: number, mode = 'in-thread'): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dbPath, String(firstId), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked = new Set<number>();
  let snapshots = 0;
  let buffered = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  const until = (condition: () => boolean) =>
    new Promise<void>((done) => {
      const check = () => {
        if (condition()) done();
        else listeners.push(check);
      };
      check();
    });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited early (${code}): ${stderr}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ready')) {
          resolve({
            pid: child.pid!,
            acked,
            snapshots: () => snapshots,
            waitForAcks: (n) => until(() => acked.size >= n),
            waitForSnapshots: (n) => until(() => snapshots >= n),
            kill: async () => {
              child.kill('SIGKILL');
              await exited;
            },
          });
        } else if (line.startsWith('snapshots ')) {
          snapshots = Number(line.slice(10));
          listeners.splice(0).forEach((l) => l());
        } else if (line.startsWith('ack ')) {
          acked.add(Number(line.slice(4)));
          listeners.splice(0).forEach((l) => l());
        }
      }
    });
  });
}

test('every acknowledged write survives kill -9 at random moments; stale locks are taken over', async (t) => {
  const { dbPath } = tempDatabase(t);
  const allAcked = new Set<number>();
  let nextId = 1;
  for (let round = 0; round < ROUNDS; round++) {
    const child = await startWriter(dbPath, nextId);
    if (round === 0) {
      await assert.rejects(openSqlJsEngine({ path: dbPath, schema: testSchema }), (error: unknown) => {
        assert.ok(error instanceof DatabaseLockedError);
        assert.match(error.message, new RegExp(`process ${child.pid}\\b`));
        return true;
      });
    }
    await child.waitForAcks(1 + Math.floor(Math.random() * 40));
    await new Promise((r) => setTimeout(r, Math.random() * 30));
    await child.kill();
    for (const id of child.acked) allAcked.add(id);
    nextId += 100_000;

    assert.ok(existsSync(`${dbPath}.lock`), 'the killed writer leaves its lock behind');
    assert.equal(sqlite3(dbPath, 'PRAGMA integrity_check'), 'ok');

    const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
    const present = new Set(engine.read((r) => r.all<{ id: number }>('SELECT id FROM Item')).map((row) => row.id));
    const missing = [...allAcked].filter((id) => !present.has(id));
    assert.deepEqual(missing, [], `round ${round}: acknowledged ids missing after kill -9`);
    await engine.close();
    assert.ok(!existsSync(`${dbPath}.lock`));
  }
  assert.equal(sqlite3(dbPath, 'PRAGMA integrity_check'), 'ok');
  const count = Number(sqlite3(dbPath, 'SELECT count(*) FROM Item'));
  assert.ok(count >= allAcked.size);
});

test('every acknowledged write survives kill -9 while snapshots are built and installed off the writing thread', async (t) => {
  const { dbPath } = tempDatabase(t);
  const allAcked = new Set<number>();
  let installed = 0;
  let nextId = 1;
  for (let round = 0; round < ROUNDS; round++) {
    const child = await startWriter(dbPath, nextId, 'off-thread');
    // The first round waits for an installed snapshot (on a fast disk a few hundred writes take less
    // than a build), so that the path is always reached; after that the kill lands in any phase.
    if (round === 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no snapshot was installed within 60 s of writes')), 60_000);
      });
      try {
        await Promise.race([child.waitForSnapshots(1), timeout]);
      } finally {
        clearTimeout(timer);
        if (child.snapshots() === 0) await child.kill();
      }
    }
    await child.waitForAcks(child.acked.size + 200 + Math.floor(Math.random() * 800));
    await new Promise((r) => setTimeout(r, Math.random() * 100));
    await child.kill();
    installed += child.snapshots();
    for (const id of child.acked) allAcked.add(id);
    nextId += 100_000;
    assert.equal(sqlite3(dbPath, 'PRAGMA integrity_check'), 'ok');
    const engine = await openSqlJsEngine({ path: dbPath, schema: testSchema });
    const present = new Set(engine.read((r) => r.all<{ id: number }>('SELECT id FROM Item')).map((row) => row.id));
    const missing = [...allAcked].filter((id) => !present.has(id));
    assert.deepEqual(missing, [], `round ${round}: acknowledged ids missing after kill -9`);
    await engine.close();
    assert.deepEqual(buildFiles(dbPath), []);
  }
  assert.ok(installed > 0, 'no off-thread snapshot was installed: the test did not reach that path');
});
