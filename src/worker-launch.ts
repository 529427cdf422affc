/**
 * Finds how to start a worker thread running a module that sits beside the caller's (module-beside.ts):
 * the compiled module as is, or its TypeScript source loaded through tsx as the calling thread loads
 * it. Null where no worker can start: the caller then does the work on its own thread.
 */
import type * as WorkerThreads from 'node:worker_threads';
import { findModuleBeside } from './module-beside.js';
import { nodeBuiltin } from './node-builtin.js';

// Held in a variable, so that bundlers leave the lookup to run time.
const TYPESCRIPT_LOADER = 'tsx/esm/api';

// Run by a worker started from sources: TypeScript is loaded as the calling thread loads it, then the worker.
const SOURCE_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.loader).then(({ register }) => register()).then(() => import(workerData.entry));
`;

/** Starts a worker thread with `workerData` (an object: a source run adds two keys of its own). */
export type WorkerStarter<D extends object> = (workerData: D) => WorkerThreads.Worker;

/** `base`: the caller's `import.meta.url`; `name`: the worker module's file name without extension. */
export function findWorkerModule<D extends object>(base: string, name: string): WorkerStarter<D> | null {
  const threads = nodeBuiltin<typeof WorkerThreads>('node:worker_threads');
  if (threads === null || typeof threads.Worker !== 'function') return null;
  const { Worker } = threads;
  const found = findModuleBeside(base, name, TYPESCRIPT_LOADER);
  if (found === null) return null;
  if ('compiled' in found) return (workerData) => new Worker(found.compiled, { workerData });
  return (workerData) => new Worker(SOURCE_BOOTSTRAP, { eval: true, workerData: { ...workerData, loader: found.loader, entry: found.source.href } });
}
