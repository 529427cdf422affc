/**
 * The snapshot builder that runs in a child process (docs/architecture.md, "Persistence"): given
 * the files to use as JSON in its first argument, it reads the main file and the first `logLength`
 * bytes of the log (records that are already durable), checks that the log follows that main file,
 * replays the records on it, and writes the result to `targetPath` (a name of this build's own),
 * synced. It changes no other file; the parent installs the result.
 *
 * A process of its own, not a thread: mapping and freeing its gigabyte of buffers then never holds
 * up the serving thread (docs/benchmarks.md, "File storage at a million members"). A child can
 * outlive a parent killed with kill -9, so it stops as soon as its parent is gone: it checks before
 * it creates the target and between the pieces it writes.
 */
import { openSync, readSync, closeSync, writeSync, fdatasyncSync, fsyncSync } from 'node:fs';
import { buildCompactedImage } from './compaction-build.js';
import type { CompactionRequest, CompactionReply } from './compaction-messages.js';
import { capacityFor } from '../room-to-grow.js';
import { nodePersistenceFs } from './fs.js';

/** How much of a snapshot is written between two syncs. */
const SYNC_EVERY = 8 * 2 ** 20;

class ParentGone extends Error {}

/** Lets the IPC channel report a parent that died, then stops the build if it did. */
async function stopIfParentGone(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (!process.connected) throw new ParentGone();
}

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
 * snapshot, so the serving process's log syncs wait behind at most one piece's write-back, not
 * hundreds of megabytes of it.
 */
async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  await stopIfParentGone();
  const fd = openSync(path, 'wx');
  try {
    let done = 0;
    while (done < data.length) {
      const end = Math.min(data.length, done + SYNC_EVERY);
      while (done < end) done += writeSync(fd, data, done, end - done, done);
      fdatasyncSync(fd);
      await stopIfParentGone();
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
  await writeSynced(request.targetPath, built.image);
  return { ok: true, digest: built.digest, size: built.image.length, records: built.records, ms: performance.now() - started };
}

/** Sends the one reply and ends: once it is handed over, or at once if the parent is gone. */
function replyAndExit(reply: CompactionReply): void {
  if (!process.connected) process.exit(0);
  process.send!(reply, () => process.exit(0));
}

// A parent that goes away ends the build at once where the build is waiting, and at its next check otherwise.
process.once('disconnect', () => process.exit(0));
run(JSON.parse(process.argv[2]!) as CompactionRequest).then(replyAndExit, (error: unknown) => {
  if (error instanceof ParentGone) process.exit(0);
  replyAndExit({ ok: false, message: error instanceof Error ? error.message : String(error) });
});
