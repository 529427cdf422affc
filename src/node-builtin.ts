/**
 * A Node.js built-in module, reached through `process.getBuiltinModule` rather than a static
 * import, so that code a browser loads never depends on one. Null where there is none.
 */
export function nodeBuiltin<T>(id: string): T | null {
  const processObject = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const getBuiltinModule = processObject?.getBuiltinModule;
  if (typeof getBuiltinModule !== 'function') return null;
  try {
    return (getBuiltinModule.call(processObject, id) as T | undefined) ?? null;
  } catch {
    return null;
  }
}
