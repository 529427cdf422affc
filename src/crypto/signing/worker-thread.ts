/**
 * Starts a signing worker thread running worker.ts, found by URL beside this module: `worker.js`
 * in the built package, `worker.ts` when the sources run under tsx (the tests), which the worker
 * then loads through tsx as the calling thread does. Where neither file is there (the library
 * bundled into one file, a runtime without files) no worker starts, and the pool signs and
 * validates on the calling thread, with the same results.
 */
import type * as WorkerThreads from 'node:worker_threads';
import { nodeBuiltin } from '../node-builtin.js';
import type { WorkerData } from './worker-messages.js';

export type WorkerThreadsModule = typeof WorkerThreads;

// Names held in variables, so that bundlers leave the lookup to run time.
const COMPILED_WORKER = './worker.js';
const SOURCE_WORKER = './worker.ts';
const TYPESCRIPT_LOADER = 'tsx/esm/api';

// Run by a worker started from sources: TypeScript is loaded as the calling thread loads it, then the worker.
const SOURCE_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.loader).then(({ register }) => register()).then(() => import(workerData.entry));
`;

/** How worker threads start here, or null when they cannot. Found once per pool. */
export interface WorkerLauncher {
  start(data: WorkerData): WorkerThreads.Worker;
}

export function findWorkerLauncher(): WorkerLauncher | null {
  const threads = nodeBuiltin<WorkerThreadsModule>('node:worker_threads');
  const fs = nodeBuiltin<{ existsSync(path: URL): boolean }>('node:fs');
  if (threads === null || typeof threads.Worker !== 'function' || fs === null) return null;
  const { Worker } = threads;
  const compiled = besideThisModule(COMPILED_WORKER);
  if (compiled !== null && fs.existsSync(compiled)) {
    return { start: (workerData) => new Worker(compiled, { workerData }) };
  }
  const source = besideThisModule(SOURCE_WORKER);
  const loader = resolveTypeScriptLoader();
  if (source !== null && loader !== null && fs.existsSync(source)) {
    return {
      start: (workerData) => new Worker(SOURCE_BOOTSTRAP, { eval: true, workerData: { ...workerData, loader, entry: source.href } }),
    };
  }
  return null;
}

function besideThisModule(file: string): URL | null {
  try {
    const url = new URL(file, import.meta.url);
    return url.protocol === 'file:' ? url : null;
  } catch {
    return null; // no module URL (a CommonJS bundle)
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
