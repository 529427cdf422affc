/**
 * Finds how to start a worker thread running a module that sits beside the caller's: `<name>.js` in
 * the built package, or `<name>.ts` when the sources run under tsx (the tests), which the worker then
 * loads through tsx as the calling thread does. Null where neither file is there (the library bundled
 * into one file, a runtime without files or without worker threads): the caller then does the work
 * on its own thread.
 */
import type * as WorkerThreads from 'node:worker_threads';
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
  const fs = nodeBuiltin<{ existsSync(path: URL): boolean }>('node:fs');
  if (threads === null || typeof threads.Worker !== 'function' || fs === null) return null;
  const { Worker } = threads;
  const compiled = beside(base, `./${name}.js`);
  if (compiled !== null && fs.existsSync(compiled)) return (workerData) => new Worker(compiled, { workerData });
  const source = beside(base, `./${name}.ts`);
  const loader = resolveTypeScriptLoader();
  if (source !== null && loader !== null && fs.existsSync(source)) {
    return (workerData) => new Worker(SOURCE_BOOTSTRAP, { eval: true, workerData: { ...workerData, loader, entry: source.href } });
  }
  return null;
}

function beside(base: string, file: string): URL | null {
  try {
    const url = new URL(file, base);
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
