/**
 * Opening the durable sql.js engine (docs/architecture.md, "Recovery on open"): load sql.js,
 * choose the persistence backend, rebuild the database from what it holds, ask the schema manager,
 * and only then let the backend repair anything on disk. Any refusal leaves every file as it was
 * and releases the lock.
 */
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import type { SchemaManager } from './engine.js';
import { InvalidArgumentError, NetconfError, NotANetconfDatabaseError, PersistenceError } from '../../errors.js';
import { SqlJsEngine, type CommitOptions } from './commit.js';
import { checkSchema, loadConnection } from './load.js';
import { createMemoryPersistence } from './persistence/memory.js';
import type { Persistence } from './persistence/types.js';
import type { PersistenceFs } from './persistence/fs.js';

export interface SqlJsEngineOptions extends CommitOptions {
  /** Node.js: durable file storage (the main file is an ordinary SQLite database). */
  path?: string;
  /** Browser: IndexedDB persistence. `factory` defaults to `globalThis.indexedDB`. */
  indexedDb?: { name: string; factory?: IDBFactory };
  /** Browser bundling: where sql.js finds its wasm file, or the wasm bytes themselves. */
  locateFile?: (file: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Node.js file persistence: the file-system calls to use (tests inject faults here). */
  fs?: PersistenceFs;
  /** A ready persistence backend, instead of one chosen from `path` / `indexedDb`. */
  persistence?: Persistence;
}

let sqlJsPromise: Promise<SqlJsStatic> | null = null;

const runsOnNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * Loads sql.js once per process. In Node.js its wasm is found next to its own file. In a browser,
 * with neither option given, the wasm (`sql-wasm-browser.wasm`) is looked for next to the script
 * that holds this code (the application's bundle), not next to the page.
 */
export function loadSqlJs(config: { locateFile?: (file: string) => string; wasmBinary?: ArrayBuffer | Uint8Array } = {}): Promise<SqlJsStatic> {
  if (!sqlJsPromise) {
    const init: Record<string, unknown> = {};
    if (config.locateFile) init.locateFile = config.locateFile;
    if (config.wasmBinary) init.wasmBinary = config.wasmBinary;
    if (!runsOnNode && !config.locateFile && !config.wasmBinary) {
      init.locateFile = (file: string) => new URL(file, import.meta.url).href;
    }
    sqlJsPromise = initSqlJs(init).catch((error: unknown) => {
      sqlJsPromise = null;
      throw error;
    });
  }
  return sqlJsPromise;
}

/** Loads the Node-only file persistence without letting browser bundlers follow the import. */
export async function loadFilePersistenceModule(): Promise<typeof import('./persistence/file.js')> {
  const here = import.meta.url;
  const compiled = new URL('./persistence/file.js', here).href;
  try {
    return (await import(/* @vite-ignore */ compiled)) as typeof import('./persistence/file.js');
  } catch (error) {
    // Running from source (tsx): the module is a .ts file next to this one.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const source = new URL('./persistence/file.ts', here).href;
    return (await import(/* @vite-ignore */ source)) as typeof import('./persistence/file.js');
  }
}

async function createPersistence(options: SqlJsEngineOptions): Promise<Persistence> {
  if (options.persistence) return options.persistence;
  if (options.path !== undefined && options.indexedDb !== undefined) {
    throw new InvalidArgumentError('give either path or indexedDb, not both');
  }
  if (options.path !== undefined) {
    const file = await loadFilePersistenceModule();
    return file.openFilePersistence({ path: options.path, fs: options.fs });
  }
  if (options.indexedDb !== undefined) {
    const { openIndexedDbPersistence } = await import('./persistence/indexeddb.js');
    return openIndexedDbPersistence(options.indexedDb);
  }
  return createMemoryPersistence();
}

/** Opens (creating, recovering or migrating as needed) a durable sql.js database. */
export async function openSqlJsEngine(options: SqlJsEngineOptions): Promise<SqlJsEngine> {
  const SQL = await loadSqlJs(options);
  let persistence: Persistence;
  try {
    persistence = await createPersistence(options);
  } catch (error) {
    throw asOpenError(error, options.path ?? options.indexedDb?.name ?? 'the database');
  }
  let engine: SqlJsEngine | null = null;
  try {
    const state = await persistence.load();
    const connection = loadConnection(SQL, state, persistence.location);
    const check = checkSchema(connection, options.schema, persistence.location);
    try {
      await persistence.acceptLoaded();
    } catch (error) {
      connection.close();
      throw error;
    }
    engine = new SqlJsEngine(SQL, connection, persistence, options);
    if (check.needsMigration) {
      await engine.migrateOnOpen(check.fromVersion, state.snapshot !== null && state.snapshot.length > 0);
    } else if (!state.logMatchesSnapshot && state.records.length > 0) {
      // The main file was edited after our last snapshot: keep the merge we just replayed.
      await engine.snapshotNow();
    }
    return engine;
  } catch (error) {
    if (engine) engine.discard();
    await persistence.close().catch(() => {});
    throw asOpenError(error, persistence.location);
  }
}

/** Typed errors pass; a file-system failure (missing folder, no permission...) becomes a PersistenceError. */
function asOpenError(error: unknown, location: string): Error {
  if (error instanceof NetconfError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PersistenceError(`cannot open ${location}: ${message}`, { cause: error });
}

/**
 * Checks that an image is an intact SQLite database the schema manager accepts (an older schema
 * is accepted: it is migrated when opened). Throws the typed error open would throw.
 */
export async function validateDatabaseImage(image: Uint8Array, schema: SchemaManager, location = 'the image'): Promise<{ needsMigration: boolean; fromVersion: number | null }> {
  const SQL = await loadSqlJs();
  if (image.length === 0) throw new NotANetconfDatabaseError(`${location} is empty`);
  const connection = loadConnection(SQL, { snapshot: image, records: [], logMatchesSnapshot: true }, location);
  const check = checkSchema(connection, schema, location);
  connection.close();
  return check;
}
