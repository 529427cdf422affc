/**
 * The snapshot builder that runs on a worker thread (docs/architecture.md, "Persistence"): it reads
 * the main file and the first `logLength` bytes of the log (records that are already durable), checks
 * that the log follows that main file, replays the records on it, and writes the result to
 * `targetPath`, synced. It changes no other file; the calling thread installs the result.
 */
import { openSync, readSync, closeSync, writeSync, fdatasyncSync, fsyncSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { buildCompactedImage } from './compaction-build.js';
import type { CompactionRequest, CompactionReply } from './compaction-messages.js';
import { capacityFor } from '../room-to-grow.js';
import { nodePersistenceFs } from './fs.js';

/** How much of a snapshot is written between two syncs. */
const SYNC_EVERY = 8 * 2 ** 20;

function readPrefix(path: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, done);
      if (n <= 0) throw new Error(`${path} is shorter than the ${length} bytes to compact`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * Writes `data` to `path` and syncs it, a piece at a time: dirty pages never pile up to the whole
 * snapshot, so the serving thread's log syncs wait behind at most one piece's write-back, not
 * hundreds of megabytes of it.
 */
function writeSynced(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let done = 0;
    while (done < data.length) {
      const end = Math.min(data.length, done + SYNC_EVERY);
      while (done < end) done += writeSync(fd, data, done, end - done, done);
      fdatasyncSync(fd);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function run(request: CompactionRequest): Promise<CompactionReply> {
  const started = performance.now();
  // The snapshot is read with room to grow and handed to sql.js uncopied (room-to-grow.ts).
  const snapshot = await nodePersistenceFs.readFile(request.snapshotPath, capacityFor);
  const built = await buildCompactedImage(snapshot, readPrefix(request.logPath, request.logLength), { take: true });
  writeSynced(request.targetPath, built.image);
  return { ok: true, digest: built.digest, size: built.image.length, records: built.records, ms: performance.now() - started };
}

run(workerData as CompactionRequest).then(
  (reply) => parentPort!.postMessage(reply),
  (error: unknown) => parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies CompactionReply),
);
