/**
 * Starts the snapshot-building worker (compaction-worker.ts), found by URL beside this module:
 * `compaction-worker.js` in the built package, `compaction-worker.ts` when the sources run under tsx
 * (the tests), which the worker then loads through tsx as the calling thread does. Where neither is
 * there (the library bundled into one file) it returns null and snapshots are made on the calling
 * thread, as for small databases.
 */
import { findWorkerModule } from '../../../worker-launch.js';
import type { CompactionReply, CompactionRequest } from './compaction-messages.js';

/** A running compaction: its reply, and a way to stop it (the reply then rejects). */
export interface CompactionJob {
  readonly reply: Promise<Extract<CompactionReply, { ok: true }>>;
  stop(): Promise<void>;
}

/** Starts a worker building the next snapshot, or returns null when no worker can start here. */
export function startCompaction(request: CompactionRequest): CompactionJob | null {
  // compaction-worker.ts, beside this module (see worker-launch.ts).
  const start = findWorkerModule<CompactionRequest>(import.meta.url, 'compaction-worker');
  if (start === null) return null;
  const worker = start(request);
  worker.unref();
  let stopped = false;
  const reply = new Promise<Extract<CompactionReply, { ok: true }>>((resolve, reject) => {
    worker.once('message', (message: CompactionReply) => {
      if (message.ok) resolve(message);
      else reject(new Error(`snapshot worker: ${message.message}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(stopped ? 'snapshot worker stopped' : `snapshot worker exited with code ${code}`)));
  });
  return {
    reply,
    stop: async () => {
      stopped = true;
      await worker.terminate();
    },
  };
}
