/**
 * Finds how to start a child process running a module that sits beside the caller's
 * (module-beside.ts): the compiled module as is, or its TypeScript source with tsx imported first.
 * The child talks to its parent over Node's IPC channel (structured clone, so typed arrays pass
 * whole). Null where no child process can start: the caller then does the work itself.
 */
import type * as ChildProcesses from 'node:child_process';
import { findModuleBeside } from './module-beside.js';
import { nodeBuiltin } from './node-builtin.js';

// Held in a variable, so that bundlers leave the lookup to run time (`node --import tsx`).
const TYPESCRIPT_LOADER = 'tsx';

/** Starts the child with `args`; it inherits the parent's output streams and none of its command-line flags. */
export type ProcessStarter = (args: readonly string[]) => ChildProcesses.ChildProcess;

/** `base`: the caller's `import.meta.url`; `name`: the child's module file name without extension. */
export function findProcessModule(base: string, name: string): ProcessStarter | null {
  const children = nodeBuiltin<typeof ChildProcesses>('node:child_process');
  if (children === null || typeof children.fork !== 'function') return null;
  const found = findModuleBeside(base, name, TYPESCRIPT_LOADER);
  if (found === null) return null;
  const [module, execArgv] = 'compiled' in found ? [found.compiled, []] : [found.source, ['--import', found.loader]];
  return (args) => children.fork(module, args, { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
