/**
 * Opening the durable sql.js engine (docs/architecture.md, "Recovery on open"): load sql.js,
 * choose the persistence backend, rebuild the database from what it holds, ask the schema manager,
 * and only then let the backend repair anything on disk. Any refusal leaves every file as it was
 * and releases the lock.
 */
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import type { SchemaManager } from './engine.js';
import { InvalidArgumentError, NetconfError, NotANetconfDatabaseError, PersistenceError, WasmNotFoundError } from '../../errors.js';
import { offThreadFromBytes, SqlJsEngine, type CommitOptions } from './commit.js';
import { checkSchema, loadConnection } from './load.js';
import { createMemoryPersistence } from './persistence/memory.js';
import type { Persistence } from './persistence/types.js';
import type { PersistenceFs } from './persistence/fs.js';

export interface SqlJsEngineOptions extends CommitOptions {
  /** Node.js: durable file storage (the main file is an ordinary SQLite database). */
  path?: string;
  /** Browser: IndexedDB persistence. `factory` defaults to `globalThis.indexedDB`. */
  indexedDb?: { name: string; factory?: IndexedDbFactory };
  /** Browser bundling: where sql.js finds its wasm file, or the wasm bytes themselves. */
  locateFile?: (file: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Node.js file persistence: the file-system calls to use (tests inject faults here). */
  fs?: PersistenceFs;
  /** A ready persistence backend, instead of one chosen from `path` / `indexedDb`. */
  persistence?: Persistence;
}
/** `IDBFactory` where the DOM types are loaded; in a project without them (Node.js), never. */
type IndexedDbFactory = typeof globalThis extends { indexedDB: infer F } ? F : never;

let sqlJsPromise: Promise<SqlJsStatic> | null = null;

const runsOnNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * @internal
 * Loads sql.js once per process. Its wasm is read here and handed to sql.js, so a missing file is
 * a `WasmNotFoundError` naming where it was looked for: `locateFile(name)` when given; in Node.js
 * next to sql.js's own file (or next to this code, when one bundle holds both); in a browser
 * (`sql-wasm-browser.wasm`) next to the script that holds this code (the application's bundle),
 * not next to the page.
 */
export function loadSqlJs(config: { locateFile?: (file: string) => string; wasmBinary?: ArrayBuffer | Uint8Array } = {}): Promise<SqlJsStatic> {
  if (!sqlJsPromise) {
    sqlJsPromise = readSqlJsWasm(config)
      // sql.js takes any bytes here (its types say ArrayBuffer).
      .then((wasmBinary) => initSqlJs({ wasmBinary: wasmBinary as ArrayBuffer }))
      .catch((error: unknown) => {
        sqlJsPromise = null;
        throw error;
      });
  }
  return sqlJsPromise;
}

async function readSqlJsWasm(config: { locateFile?: (file: string) => string; wasmBinary?: ArrayBuffer | Uint8Array }): Promise<ArrayBuffer | Uint8Array> {
  if (config.wasmBinary) return config.wasmBinary;
  const name = runsOnNode ? 'sql-wasm.wasm' : 'sql-wasm-browser.wasm';
  const file = config.locateFile?.(name) ?? (runsOnNode ? nodeWasmPath(name) : new URL(name, import.meta.url).href);
  if (runsOnNode) {
    const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
    try {
      return fs.readFileSync(file.startsWith('file:') ? new URL(file) : file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR') throw new WasmNotFoundError(file, { cause: error });
      throw error;
    }
  }
  let response: Response;
  try {
    response = await fetch(file);
  } catch (error) {
    throw new WasmNotFoundError(file, { cause: error });
  }
  if (!response.ok) throw new WasmNotFoundError(file, { cause: new Error(`HTTP ${response.status}`) });
  return response.arrayBuffer();
}

/** sql.js's wasm as installed beside it, or beside this code when a bundle holds sql.js too. */
function nodeWasmPath(name: string): string {
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
  try {
    return createRequire(import.meta.url).resolve(`sql.js/dist/${name}`);
  } catch {
    const { fileURLToPath } = process.getBuiltinModule('node:url') as typeof import('node:url');
    return fileURLToPath(new URL(name, import.meta.url));
  }
}

/**
 * Loads the Node-only file persistence. A plain relative import, so Node.js bundlers include the
 * module; browser bundlers replace it with an empty module (package.json `browser` maps it to
 * false), since a page never opens a path.
 */
export async function loadFilePersistenceModule(): Promise<typeof import('./persistence/file.js')> {
  const file = (await import('./persistence/file.js')) as Partial<typeof import('./persistence/file.js')>;
  if (typeof file.openFilePersistence !== 'function') {
    throw new InvalidArgumentError('file storage (the path option) needs Node.js; in a browser, give indexedDb');
  }
  return file as typeof import('./persistence/file.js');
}

async function createPersistence(options: SqlJsEngineOptions): Promise<Persistence> {
  if (options.persistence) return options.persistence;
  if (options.path !== undefined && options.indexedDb !== undefined) {
    throw new InvalidArgumentError('give either path or indexedDb, not both');
  }
  if (options.path !== undefined) {
    const file = await loadFilePersistenceModule();
    return file.openFilePersistence({ path: options.path, fs: options.fs, snapshotBuildsFromBytes: offThreadFromBytes(options) });
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
