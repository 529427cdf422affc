/**
 * Starts the snapshot-building worker (compaction-worker.ts), found by URL beside this module:
 * `compaction-worker.js` in the built package, `compaction-worker.ts` when the sources run under tsx
 * (the tests), which the worker then loads through tsx as the calling thread does. Where neither is
 * there (the library bundled into one file) it returns null and snapshots are made on the calling
 * thread, as for small databases.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import type { CompactionReply, CompactionRequest } from './compaction-messages.js';

// Names held in variables, so that bundlers leave the lookup to run time.
const COMPILED_WORKER = './compaction-worker.js';
const SOURCE_WORKER = './compaction-worker.ts';
const TYPESCRIPT_LOADER = 'tsx/esm/api';

const SOURCE_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.loader).then(({ register }) => register()).then(() => import(workerData.entry));
`;

/** A running compaction: its reply, and a way to stop it (the reply then rejects). */
export interface CompactionJob {
  readonly reply: Promise<Extract<CompactionReply, { ok: true }>>;
  stop(): Promise<void>;
}

/** Starts a worker building the next snapshot, or returns null when no worker can start here. */
export function startCompaction(request: CompactionRequest): CompactionJob | null {
  const worker = launch(request);
  if (worker === null) return null;
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

function launch(request: CompactionRequest): Worker | null {
  const compiled = besideThisModule(COMPILED_WORKER);
  if (compiled !== null && existsSync(compiled)) return new Worker(compiled, { workerData: request });
  const source = besideThisModule(SOURCE_WORKER);
  const loader = resolveTypeScriptLoader();
  if (source !== null && loader !== null && existsSync(source)) {
    return new Worker(SOURCE_BOOTSTRAP, { eval: true, workerData: { ...request, loader, entry: source.href } });
  }
  return null;
}

function besideThisModule(file: string): URL | null {
  try {
    const url = new URL(file, import.meta.url);
    return url.protocol === 'file:' ? url : null;
  } catch {
    return null;
  }
}

function resolveTypeScriptLoader(): string | null {
  try {
    const meta = import.meta as { resolve?: (specifier: string) => string };
    return typeof meta.resolve === 'function' ? meta.resolve(TYPESCRIPT_LOADER) : null;
  } catch {
    return null;
  }
}
