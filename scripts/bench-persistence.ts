/**
 * Persistence at scale, two benchmarks:
 *
 *   npm run bench:persistence [MB...]
 *     cost per change at a small and a large database: fill a database, then time sync writes of
 *     one small row (each its own fsync) and the time of one snapshot; the amortized cost per change
 *     adds snapshot time × record bytes / snapshot threshold.
 *
 *   npm run bench:persistence -- --members 1000000 [--seconds 60] [--ratio 0.05] [--crash-log-mb 64]
 *                                  [--modes control,calling,child]
 *     waits at a million members on file storage (bench-persistence-scale.ts): admin writes and requests
 *     together for `seconds`, with no snapshots (control), snapshots built on the calling thread and
 *     then off it (or only the `--modes` named); opening after a crash; bytes per active member.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlJsEngine } from '../src/storage/sqljs/open.js';
import type { SchemaManager } from '../src/storage/sqljs/engine.js';
import { nodePersistenceFs, type PersistenceFs } from '../src/storage/sqljs/persistence/fs.js';

/** Same file calls without the syncs: isolates the engine's own cost from the disk's fsync latency. */
const noSyncFs: PersistenceFs = { ...nodePersistenceFs, fdatasync: async () => {}, fsync: async () => {} };

const benchSchema: SchemaManager = {
  check: (reader) => ({ needsMigration: !reader.get("SELECT name FROM sqlite_master WHERE name = 'Blob'"), fromVersion: null }),
  migrate: (writer) => {
    writer.run('CREATE TABLE Blob (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    writer.run('CREATE TABLE Change (id INTEGER PRIMARY KEY, networkId TEXT NOT NULL, nodeId TEXT NOT NULL, ts INTEGER NOT NULL)');
  },
};

export interface PersistenceCost {
  dbMegabytes: number;
  /** Mean wall time of one sync write (append + fdatasync), ms. */
  syncWriteMs: number;
  /** Mean time per write when 64 writes are issued together (group commit), ms. */
  groupedWriteMs: number;
  /** One snapshot (export + write + fsync + rename), ms. */
  snapshotMs: number;
  /** Bytes one change adds to the log. */
  recordBytes: number;
  /** syncWriteMs + snapshotMs × recordBytes / threshold (threshold = 0.5 × db size). */
  amortizedMs: number;
}

export async function measurePersistenceCost(dbMegabytes: number, writes = 200, options: { withoutFsync?: boolean } = {}): Promise<PersistenceCost> {
  const dir = mkdtempSync(join(tmpdir(), 'ztnc-bench-'));
  try {
    const engine = await openSqlJsEngine({
      path: join(dir, 'netconf.db'),
      schema: benchSchema,
      compaction: { minLogBytes: 1 << 30 },
      fs: options.withoutFsync ? noSyncFs : undefined,
    });
    const chunk = new Uint8Array(1 << 20).fill(7);
    for (let i = 0; i < dbMegabytes; i++) await engine.write((w) => w.run('INSERT INTO Blob (data) VALUES (?)', [chunk]));
    let t = performance.now();
    await engine.snapshotNow();
    const snapshotMs = performance.now() - t;
    const change = (i: number) =>
      engine.write((w) => w.run('INSERT INTO Change (networkId, nodeId, ts) VALUES (?, ?, ?)', ['8056c2e21c000001', (i % 1e10).toString(16).padStart(10, '0'), 1_700_000_000_000 + i]));
    t = performance.now();
    for (let i = 0; i < writes; i++) await change(i);
    const syncWriteMs = (performance.now() - t) / writes;
    t = performance.now();
    await Promise.all(Array.from({ length: 64 }, (_, i) => change(writes + i)));
    const groupedWriteMs = (performance.now() - t) / 64;
    const { statSync } = await import('node:fs');
    const logBytes = statSync(join(dir, 'netconf.db-log')).size - 64;
    const recordBytes = logBytes / (writes + 64);
    const threshold = 0.5 * dbMegabytes * (1 << 20);
    await engine.close();
    return { dbMegabytes, syncWriteMs, groupedWriteMs, snapshotMs, recordBytes, amortizedMs: syncWriteMs + (snapshotMs * recordBytes) / threshold };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--members')) {
  const { runPersistenceScale } = await import('./bench-persistence-scale.js');
  await runPersistenceScale(process.argv.slice(2));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number);
  const results: PersistenceCost[] = [];
  for (const mb of sizes.length ? sizes : [10, 100]) {
    const r = await measurePersistenceCost(mb);
    const cpu = await measurePersistenceCost(mb, 1000, { withoutFsync: true });
    results.push(r);
    console.log(
      `${mb} MB: without fsync ${cpu.syncWriteMs.toFixed(3)} ms/write (amortized with snapshots ${cpu.amortizedMs.toFixed(3)}); with fsync: sync write ${r.syncWriteMs.toFixed(3)} ms, grouped ${r.groupedWriteMs.toFixed(3)} ms/write, ` +
        `snapshot ${r.snapshotMs.toFixed(0)} ms, record ${r.recordBytes.toFixed(0)} B, amortized ${r.amortizedMs.toFixed(3)} ms/change`,
    );
  }
  if (results.length >= 2) {
    console.log(`ratio largest/smallest amortized cost: ${(results.at(-1)!.amortizedMs / results[0].amortizedMs).toFixed(2)}`);
  }
}
