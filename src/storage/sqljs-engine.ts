/**
 * The durable sql.js engine (master.md §5 Storage; docs/architecture.md, "Persistence").
 *
 * sql.js holds the database in memory. Each committed write transaction is recorded as the
 * statements it ran and handed to a persistence backend (a log file beside the main file in
 * Node.js, IndexedDB in a browser, nothing for an in-memory database). Writes issued while a sync
 * is in flight share the next one (group commit). When the log grows past a threshold relative to
 * the database size, the database is exported as a new snapshot and the log starts over.
 */
import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import type { SchemaManager, SqlEngine, SqlParams, SqlReader, SqlRow, SqlValue, SqlWriter, WriteOptions } from './engine.js';
import {
  ClosedError,
  CorruptDatabaseError,
  ExternalModificationError,
  InvalidArgumentError,
  NetconfError,
  NotANetconfDatabaseError,
  PersistenceError,
  StorageError,
  WasmNotFoundError,
} from '../errors.js';
import { decodeStatements, encodeStatements, type RecordedStatement } from './persistence/record-codec.js';
import { createMemoryPersistence } from './persistence/memory.js';
import type { ExternalChange, Persistence, PersistenceCounters, StoredState } from './persistence/types.js';
import type { PersistenceFs } from './persistence/file.js';
import { scheduleSoon } from '../schedule-soon.js';

export type { Persistence, PersistenceCounters, StoredState } from './persistence/types.js';
export type { PersistenceFs } from './persistence/file.js';

/** `IDBFactory` where the DOM types are loaded; in a project without them (Node.js), never. */
type IndexedDbFactory = typeof globalThis extends { indexedDB: infer F } ? F : never;

export interface SqlJsEngineOptions {
  /** Node.js: durable file storage (the main file is an ordinary SQLite database). */
  path?: string;
  /** Browser: IndexedDB persistence. `factory` defaults to `globalThis.indexedDB`. */
  indexedDb?: { name: string; factory?: IndexedDbFactory };
  schema: SchemaManager;
  /** Clock passed to migrations, in milliseconds. */
  now?: () => number;
  /** Browser bundling: where sql.js finds its wasm file, or the wasm bytes themselves. */
  locateFile?: (file: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Node.js file persistence: the file-system calls to use (tests inject faults here). */
  fs?: PersistenceFs;
  /** When to write a new snapshot: log bytes ≥ max(minLogBytes, logToSnapshotRatio × snapshot size). */
  compaction?: { minLogBytes?: number; logToSnapshotRatio?: number };
  /** How long a deferred change may wait for a sync, in milliseconds (default 100). */
  deferredFlushMs?: number;
  /** Called with failures that were absorbed (a snapshot that could not be written, and so on). */
  onWarning?: (error: Error) => void;
  /** A ready persistence backend, instead of one chosen from `path` / `indexedDb`. */
  persistence?: Persistence;
}

const SQLITE_HEADER = new TextEncoder().encode('SQLite format 3\0');
const STATEMENT_CACHE_LIMIT = 256;
const DEFAULT_MIN_LOG_BYTES = 1 << 20;
const DEFAULT_LOG_TO_SNAPSHOT_RATIO = 0.5;
const DEFAULT_DEFERRED_FLUSH_MS = 100;

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
    const db = loadDatabase(SQL, state, persistence.location);
    let check: ReturnType<SchemaManager['check']>;
    const checkCache = new StatementCache(db);
    try {
      check = options.schema.check(readerFor(db, checkCache));
    } catch (error) {
      checkCache.clear();
      db.close();
      throw asStorageError(error, persistence.location);
    }
    checkCache.clear();
    await persistence.acceptLoaded();
    engine = new SqlJsEngine(SQL, db, persistence, options);
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

/** Thrown by schema managers are typed storage errors; anything else means "not ours". */
function asStorageError(error: unknown, location: string): Error {
  if (error instanceof NetconfError) return error;
  return new NotANetconfDatabaseError(`${location} is not a netconf database: ${(error as Error).message}`, { cause: error });
}

/** Builds the in-memory database from a snapshot plus its log; refuses damaged or foreign data. */
function loadDatabase(SQL: SqlJsStatic, state: StoredState, location: string): Database {
  const image = state.snapshot;
  if (image && image.length > 0) {
    const header = image.subarray(0, SQLITE_HEADER.length);
    if (image.length < 100 || !header.every((b, i) => b === SQLITE_HEADER[i])) {
      throw new NotANetconfDatabaseError(`${location} is not a SQLite database`);
    }
  }
  const db = image && image.length > 0 ? new SQL.Database(image) : new SQL.Database();
  try {
    tuneConnection(db);
    let verdict: unknown;
    try {
      verdict = db.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
    } catch (error) {
      const message = (error as Error).message;
      if (/not a database/i.test(message)) {
        throw new NotANetconfDatabaseError(`${location} is not a SQLite database: ${message}`, { cause: error });
      }
      throw new CorruptDatabaseError(`${location} is damaged: ${message}`, { cause: error });
    }
    if (verdict !== 'ok') throw new CorruptDatabaseError(`${location} is damaged: integrity check says ${String(verdict)}`);
    const cache = new StatementCache(db);
    state.records.forEach((record, index) => {
      try {
        applyRecord(db, cache, decodeStatements(record));
      } catch (error) {
        const reason = (error as Error).message;
        if (state.logMatchesSnapshot) {
          throw new CorruptDatabaseError(`${location}: logged change ${index + 1} cannot be replayed: ${reason}`, { cause: error });
        }
        throw new ExternalModificationError(
          `${location} was changed by another program after this master's last snapshot, and the ` +
            `${state.records.length} changes in its log do not apply on top of the edited file (change ${index + 1}: ${reason}). ` +
            `Nothing was changed. Either put back the file the log follows (from a backup), or move ${location}-log ` +
            `away to keep the edited file and drop those logged changes.`,
        );
      }
    });
    cache.clear();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * sql.js keeps its database file in an in-memory file system, so a rollback journal there is pure
 * overhead (a file created, written and deleted per transaction): keep the journal in memory
 * instead. Durability comes from the persistence layer, never from SQLite's own syncs. These
 * settings belong to the connection, and sql.js reopens the connection in export().
 */
function tuneConnection(db: Database): void {
  db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY');
}

function applyRecord(db: Database, cache: StatementCache, statements: readonly RecordedStatement[]): void {
  db.run('BEGIN');
  try {
    for (const { sql, params } of statements) executeStatement(db, cache, sql, params);
    db.run('COMMIT');
  } catch (error) {
    try {
      db.run('ROLLBACK');
    } catch {
      // no transaction left to roll back
    }
    throw error;
  }
}

function executeStatement(db: Database, cache: StatementCache, sql: string, params: SqlParams): number {
  if (params.length === 0) {
    db.run(sql);
  } else {
    const statement = cache.get(sql);
    try {
      statement.run(params as unknown[] as (number | string | Uint8Array | null)[]);
    } finally {
      statement.reset();
    }
  }
  return db.getRowsModified();
}

/**
 * What a write callback writes through. The SQLite transaction starts at the first write: a
 * callback that only reads (a repeated request) costs no BEGIN/COMMIT, and nothing can run
 * between its reads, so they are consistent.
 */
class TransactionWriter implements SqlWriter {
  readonly statements: RecordedStatement[] = [];
  begun = false;
  durable = false;

  constructor(
    private readonly db: Database,
    private readonly cache: StatementCache,
    private readonly reader: SqlReader,
    private readonly persistence: Persistence,
  ) {}

  get<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): T | undefined {
    return this.reader.get<T>(sql, params);
  }

  all<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): T[] {
    return this.reader.all<T>(sql, params);
  }

  run(sql: string, params: SqlParams = []): { changes: number } {
    if (!this.begun) {
      // Another program's edit is looked for before the first write only: a callback that just
      // reads changes nothing that an edit could conflict with.
      const change = this.persistence.detectExternalChange();
      if (change) throw new ExternalChangeSeen(change);
      runControl(this.cache, 'BEGIN');
      this.begun = true;
    }
    const changes = executeStatement(this.db, this.cache, sql, params);
    this.statements.push({ sql, params });
    return { changes };
  }

  requireDurable(): void {
    this.durable = true;
  }
}

/** Thrown out of a write callback at its first write when another program changed the file. */
class ExternalChangeSeen extends Error {
  constructor(readonly change: ExternalChange) {
    super(change.detail);
  }
}

/** BEGIN / COMMIT through prepared statements: sql.js's db.run() would parse them every time. */
function runControl(cache: StatementCache, sql: 'BEGIN' | 'COMMIT'): void {
  const statement = cache.get(sql);
  try {
    statement.step();
  } finally {
    statement.reset();
  }
}

/** Prepared statements by SQL text. sql.js frees them all in export(), so the cache is cleared first. */
class StatementCache {
  private readonly statements = new Map<string, Statement>();
  private readonly columnNames = new WeakMap<Statement, string[]>();
  constructor(private readonly db: Database) {}

  /** A statement's column names, asked of SQLite once: sql.js's getAsObject asks again for every row. */
  columnsOf(statement: Statement): string[] {
    let names = this.columnNames.get(statement);
    if (names === undefined) this.columnNames.set(statement, (names = statement.getColumnNames()));
    return names;
  }

  get(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement) {
      this.statements.delete(sql);
      this.statements.set(sql, statement);
      return statement;
    }
    statement = this.db.prepare(sql);
    this.statements.set(sql, statement);
    if (this.statements.size > STATEMENT_CACHE_LIMIT) {
      const [oldestSql, oldest] = this.statements.entries().next().value as [string, Statement];
      this.statements.delete(oldestSql);
      oldest.free();
    }
    return statement;
  }

  /** Forgets every statement (freeing them unless the database already did). */
  clear(free = true): void {
    if (free) for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
  }
}

function readerFor(db: Database, cache: StatementCache): SqlReader {
  const rows = <T extends SqlRow>(sql: string, params: SqlParams, limit: number): T[] => {
    const statement = cache.get(sql);
    const out: T[] = [];
    try {
      statement.bind(params as unknown[] as (number | string | Uint8Array | null)[]);
      const names = cache.columnsOf(statement);
      while (out.length < limit && statement.step()) {
        const values = statement.get();
        const row: SqlRow = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = values[i] as SqlValue;
        out.push(row as T);
      }
    } finally {
      statement.reset();
    }
    return out;
  };
  return {
    get: <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): T | undefined => rows<T>(sql, params, 1)[0],
    all: <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []) => rows<T>(sql, params, Infinity),
  };
}

/** A committed transaction waiting for its sync; payload null for a flush barrier. */
interface PendingEntry {
  readonly payload: Uint8Array | null;
  readonly waiter: { resolve(): void; reject(error: Error): void } | null;
}


export class SqlJsEngine implements SqlEngine {
  private db: Database;
  private cache: StatementCache;
  private reader: SqlReader;
  private readonly now: () => number;
  private readonly minLogBytes: number;
  private readonly logToSnapshotRatio: number;
  private readonly deferredFlushMs: number;
  private pending: PendingEntry[] = [];
  private pumpRunning = false;
  private pumpScheduled = false;
  private deferredDue = false;
  private deferredTimer: ReturnType<typeof setTimeout> | null = null;
  /** While set, writes wait for it (a reload is in progress). It never rejects. */
  private gate: Promise<void> | null = null;
  private inTransaction = false;
  private closing = false;
  private closed = false;
  /** Set when memory could not be brought back in line with the disk; writes are refused. */
  private broken: StorageError | null = null;
  /** Set when another program's edit and our log cannot be merged; writes are refused. */
  private conflict: ExternalModificationError | null = null;
  /** A snapshot that failed is retried only once the log reaches this size. */
  private nextSnapshotAt = 0;

  /** @internal use openSqlJsEngine */
  constructor(
    private readonly SQL: SqlJsStatic,
    db: Database,
    private readonly persistence: Persistence,
    private readonly options: SqlJsEngineOptions,
  ) {
    this.db = db;
    this.cache = new StatementCache(db);
    this.reader = readerFor(db, this.cache);
    this.now = options.now ?? Date.now;
    this.minLogBytes = options.compaction?.minLogBytes ?? DEFAULT_MIN_LOG_BYTES;
    this.logToSnapshotRatio = options.compaction?.logToSnapshotRatio ?? DEFAULT_LOG_TO_SNAPSHOT_RATIO;
    this.deferredFlushMs = options.deferredFlushMs ?? DEFAULT_DEFERRED_FLUSH_MS;
  }

  private replacements = 0;

  /** Counts the times the database was replaced under its users (a reload, a rollback to disk). */
  get generation(): number {
    return this.replacements;
  }

  /** Where the database lives (a path, an IndexedDB name, or ':memory:'). */
  get location(): string {
    return this.persistence.location;
  }

  /** Counters of the persistence backend (appends, syncs, snapshots), when it keeps them. */
  get counters(): PersistenceCounters | null {
    return (this.persistence as { counters?: PersistenceCounters }).counters ?? null;
  }

  read<T>(fn: (reader: SqlReader) => T): T {
    if (this.closed) throw new ClosedError();
    return fn(this.reader);
  }

  write<T>(fn: (writer: SqlWriter) => T, options: WriteOptions = {}): Promise<T> {
    if (this.closing || this.closed) return Promise.reject(new ClosedError());
    if (this.gate) return this.gate.then(() => this.write(fn, options));
    const refusal = this.broken ?? this.conflict;
    if (refusal) return Promise.reject(refusal);
    let committed: { result: T; statements: RecordedStatement[]; durable: boolean };
    try {
      committed = this.runTransaction(fn);
    } catch (error) {
      if (!(error instanceof ExternalChangeSeen)) return Promise.reject(error);
      const { change } = error;
      if (change.kind === 'busy') {
        return Promise.reject(
          new ExternalModificationError(
            `${change.detail}; this write was refused so as not to overwrite that program's change. ` +
              `Retry once it has finished (end its transaction or close the sqlite3 shell).`,
          ),
        );
      }
      // The callback ran on the state before the edit and wrote nothing: reload, then run it again.
      this.setGate(this.reloadAfterExternalChange(change.detail));
      return this.write(fn, options);
    }
    const { result, statements } = committed;
    if (statements.length === 0 || this.persistence.keepsChanges === false) return Promise.resolve(result);
    const payload = encodeStatements(statements);
    const mustSync = (options.durability ?? 'sync') === 'sync' || committed.durable;
    if (!mustSync) {
      this.pending.push({ payload, waiter: null });
      this.armDeferredTimer();
      return Promise.resolve(result);
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ payload, waiter: { resolve: () => resolve(result), reject } });
      this.kick();
    });
  }

  exportImage(): Uint8Array {
    if (this.closed) throw new ClosedError();
    if (this.inTransaction) throw new InvalidArgumentError('exportImage() cannot run inside a write callback');
    return this.exportDatabase();
  }

  async flush(): Promise<void> {
    if (this.closed) return;
    if (this.gate) await this.gate;
    await this.flushPending();
  }

  /** Waits until every change committed so far has been synced (or rejected). */
  private async flushPending(): Promise<void> {
    if (this.pending.length === 0 && !this.pumpRunning) return;
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ payload: null, waiter: { resolve, reject } });
      this.kick();
    });
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    try {
      await this.flush().catch(() => {});
      if (this.gate) await this.gate;
      if (!this.broken && !this.conflict && this.persistence.logBytes() > 0) {
        // Leaves a main file that holds everything: quick to open, and complete for sqlite3 users.
        await this.snapshotNow().catch((error: unknown) => this.warn(error));
      }
    } finally {
      this.clearDeferredTimer();
      await this.persistence.close().catch((error: unknown) => this.warn(error));
      this.discard();
    }
  }

  /** @internal Frees the in-memory database without touching persistence. */
  discard(): void {
    this.closed = true;
    this.clearDeferredTimer();
    this.cache.clear();
    this.db.close();
  }

  /** @internal Migration at open: keep a copy of the original file, migrate, write the snapshot. */
  async migrateOnOpen(fromVersion: number | null, hadSnapshot: boolean): Promise<void> {
    if (hadSnapshot) await this.persistence.backupSnapshot(fromVersion);
    this.runTransaction((writer) => this.options.schema.migrate(writer, this.now()));
    await this.snapshotNow();
  }

  /** Writes a snapshot now (after every pending change is durable); throws on failure. */
  async snapshotNow(): Promise<void> {
    await this.flushPending();
    const image = this.exportDatabase();
    await this.persistence.replaceSnapshot(image);
    this.nextSnapshotAt = 0;
  }

  private runTransaction<T>(fn: (writer: SqlWriter) => T): { result: T; statements: RecordedStatement[]; durable: boolean } {
    if (this.inTransaction) throw new InvalidArgumentError('write() cannot be called inside a write callback');
    const writer = new TransactionWriter(this.db, this.cache, this.reader, this.persistence);
    this.inTransaction = true;
    try {
      const result = fn(writer);
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new InvalidArgumentError('write callbacks must be synchronous (the callback returned a promise)');
      }
      if (writer.begun) runControl(this.cache, 'COMMIT');
      return { result, statements: writer.statements, durable: writer.durable };
    } catch (error) {
      if (writer.begun) {
        try {
          this.db.run('ROLLBACK');
        } catch {
          // already rolled back by SQLite
        }
      }
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  private exportDatabase(): Uint8Array {
    // export() frees every prepared statement of the database.
    this.cache.clear(false);
    const image = this.db.export();
    tuneConnection(this.db);
    return image;
  }

  private replaceDatabase(db: Database): void {
    this.replacements++;
    this.cache.clear();
    this.db.close();
    this.db = db;
    this.cache = new StatementCache(db);
    this.reader = readerFor(db, this.cache);
  }

  private setGate(work: Promise<void>): void {
    const gate: Promise<void> = work
      .catch((error: unknown) => this.warn(error))
      .finally(() => {
        if (this.gate === gate) this.gate = null;
      });
    this.gate = gate;
  }

  private kick(): void {
    if (this.pumpRunning || this.pumpScheduled) return;
    this.pumpScheduled = true;
    scheduleSoon(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private armDeferredTimer(): void {
    if (this.deferredTimer !== null || this.pumpRunning) return;
    this.deferredTimer = setTimeout(() => {
      this.deferredTimer = null;
      this.deferredDue = true;
      this.kick();
    }, this.deferredFlushMs);
    (this.deferredTimer as { unref?: () => void }).unref?.();
  }

  private clearDeferredTimer(): void {
    if (this.deferredTimer !== null) clearTimeout(this.deferredTimer);
    this.deferredTimer = null;
  }

  private snapshotThreshold(): number {
    return Math.max(this.minLogBytes, this.logToSnapshotRatio * this.persistence.snapshotBytes(), this.nextSnapshotAt);
  }

  /** The single loop that moves committed changes to durable storage, one batch per sync. */
  private async pump(): Promise<void> {
    if (this.pumpRunning) return;
    this.pumpRunning = true;
    try {
      for (;;) {
        const logBytes = this.persistence.logBytes();
        if (logBytes > 0 && logBytes >= this.snapshotThreshold() && !this.closed) {
          await this.snapshotCoveringPending();
          continue;
        }
        const needsSync = this.deferredDue || this.closing || this.pending.some((entry) => entry.waiter !== null);
        if (!needsSync || this.pending.length === 0) break;
        this.deferredDue = false;
        this.clearDeferredTimer();
        await this.appendBatch(this.pending.splice(0));
      }
    } finally {
      this.pumpRunning = false;
    }
    if (this.pending.length > 0) this.armDeferredTimer();
  }

  private async appendBatch(batch: PendingEntry[]): Promise<void> {
    const payloads = batch.flatMap((entry) => (entry.payload ? [entry.payload] : []));
    if (payloads.length > 0) {
      try {
        await this.persistence.append(payloads);
      } catch (error) {
        await this.rollBackAfterFailure(error, batch);
        return;
      }
    }
    for (const entry of batch) entry.waiter?.resolve();
  }

  /**
   * Every change committed so far is in the exported image, so the pending ones are durable once
   * the snapshot is installed. If it cannot be, they go to the current log as usual.
   */
  private async snapshotCoveringPending(): Promise<void> {
    const covered = this.pending.splice(0);
    const image = this.exportDatabase();
    try {
      await this.persistence.replaceSnapshot(image);
      this.nextSnapshotAt = 0;
    } catch (error) {
      this.warn(error);
      this.nextSnapshotAt = this.persistence.logBytes() + Math.max(this.minLogBytes, this.logToSnapshotRatio * this.persistence.snapshotBytes());
      await this.appendBatch(covered);
      return;
    }
    for (const entry of covered) entry.waiter?.resolve();
  }

  /**
   * A sync failed: the batch and everything committed after it are not durable. Reject them and
   * rebuild memory from what the disk holds (snapshot plus the durable log prefix).
   */
  private async rollBackAfterFailure(error: unknown, batch: PendingEntry[]): Promise<void> {
    const failure =
      error instanceof StorageError
        ? error
        : new PersistenceError(`${this.location}: write failed: ${(error as Error).message}`, { cause: error });
    const affected = batch.concat(this.pending.splice(0));
    const reload = (async () => {
      try {
        const state = await this.persistence.load();
        this.replaceDatabase(loadDatabase(this.SQL, state, this.location));
      } catch (reloadError) {
        this.broken = new PersistenceError(
          `${this.location}: after a failed write the database could not be reloaded (${(reloadError as Error).message}); close and reopen it`,
          { cause: reloadError },
        );
      }
    })();
    this.setGate(reload);
    await reload;
    for (const entry of affected) entry.waiter?.reject(failure);
  }

  /**
   * Another program changed the main file. Reload it, replay our logged changes on top (they are
   * not in it), and write the merge as a new snapshot; if they do not apply, refuse writes.
   */
  private async reloadAfterExternalChange(detail: string): Promise<void> {
    await this.flushPending().catch(() => {});
    if (this.broken) return;
    try {
      const state = await this.persistence.load();
      const db = loadDatabase(this.SQL, state, this.location);
      const checkCache = new StatementCache(db);
      try {
        const check = this.options.schema.check(readerFor(db, checkCache));
        if (check.needsMigration) throw new Error('the edited file needs a schema migration');
      } catch (error) {
        checkCache.clear();
        db.close();
        throw error;
      }
      checkCache.clear();
      this.replaceDatabase(db);
    } catch (error) {
      const reason = (error as Error).message;
      this.conflict = new ExternalModificationError(
        `${detail} while this master had it open, and it could not be merged with this master's own changes (${reason}). ` +
          `Writes are refused so that neither change is lost; reads show the state before the edit. ` +
          `Stop the master, keep the edit or undo it (the changes this master made since its last snapshot are in ${this.location}-log), and start it again.`,
      );
      return;
    }
    await this.snapshotNow().catch((error: unknown) => this.warn(error));
  }

  private warn(error: unknown): void {
    const asError = error instanceof Error ? error : new Error(String(error));
    this.options.onWarning?.(asError);
  }
}

/**
 * Checks that an image is an intact SQLite database the schema manager accepts (an older schema
 * is accepted: it is migrated when opened). Throws the typed error open would throw.
 */
export async function validateDatabaseImage(image: Uint8Array, schema: SchemaManager, location = 'the image'): Promise<{ needsMigration: boolean; fromVersion: number | null }> {
  const SQL = await loadSqlJs();
  if (image.length === 0) throw new NotANetconfDatabaseError(`${location} is empty`);
  const db = loadDatabase(SQL, { snapshot: image, records: [], logMatchesSnapshot: true }, location);
  const cache = new StatementCache(db);
  try {
    return schema.check(readerFor(db, cache));
  } catch (error) {
    throw asStorageError(error, location);
  } finally {
    cache.clear();
    db.close();
  }
}
