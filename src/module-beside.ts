/**
 * Finds a helper module that sits beside the caller's, for a worker thread or a child process to run:
 * `<name>.js` in the built package, or `<name>.ts` when the sources run under tsx (the tests), with
 * the tsx entry point that loads it. Null where neither file is there (the library bundled into one
 * file, a runtime without files): the caller then does the work itself.
 */
import { nodeBuiltin } from './node-builtin.js';

/** The helper's file: compiled (runs as is), or a TypeScript source and the loader entry it needs. */
export type HelperModule = { readonly compiled: URL } | { readonly source: URL; readonly loader: string };

/**
 * `base`: the caller's `import.meta.url`; `name`: the helper's file name without extension;
 * `loaderSpecifier`: the tsx entry the runner uses for a source (resolved from here).
 */
export function findModuleBeside(base: string, name: string, loaderSpecifier: string): HelperModule | null {
  const fs = nodeBuiltin<{ existsSync(path: URL): boolean }>('node:fs');
  if (fs === null) return null;
  const compiled = beside(base, `./${name}.js`);
  if (compiled !== null && fs.existsSync(compiled)) return { compiled };
  const source = beside(base, `./${name}.ts`);
  const loader = resolveFromHere(loaderSpecifier);
  if (source !== null && loader !== null && fs.existsSync(source)) return { source, loader };
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

function resolveFromHere(specifier: string): string | null {
  try {
    const meta = import.meta as { resolve?: (specifier: string) => string };
    return typeof meta.resolve === 'function' ? meta.resolve(specifier) : null;
  } catch {
    return null;
  }
}
