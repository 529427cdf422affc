/**
 * The SQL engine contract inside src/storage: a sql.js database whose write transactions are
 * made durable by a persistence layer (a file in Node.js, IndexedDB in a browser, or nothing).
 *
 * Rules every caller keeps:
 * - A write callback is synchronous and deterministic: every value it writes comes in as a bound
 *   parameter (timestamps included), never from SQL functions such as random() or
 *   CURRENT_TIMESTAMP, because the persistence layer may replay the recorded statements.
 * - A write callback that throws rolls the transaction back; nothing is recorded.
 */
import type { StorageStats } from '../../master/store.js';

export type SqlValue = number | string | Uint8Array | null;
export type SqlParams = readonly SqlValue[];
export type SqlRow = Record<string, SqlValue>;

export interface SqlReader {
  /** First row of a query, or undefined. */
  get<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): T | undefined;
  /** Every row of a query. */
  all<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): T[];
}

export interface SqlWriter extends SqlReader {
  /** Executes one statement and records it for the persistence layer. */
  run(sql: string, params?: SqlParams): { changes: number };
  /**
   * Marks this transaction as one whose acknowledgment must wait for a durable sync even when it
   * was opened with `durability: 'deferred'` (a new node, member or address claim).
   */
  requireDurable(): void;
}

export interface WriteOptions {
  /**
   * 'sync' (default): the returned promise resolves only after the change is durable.
   * 'deferred': resolves at once; the change rides on the next sync (statistics, caches), unless
   * the callback called `requireDurable()`.
   */
  durability?: 'sync' | 'deferred';
}

export interface SqlEngine {
  /**
   * Changes whenever the database is replaced under its users: reloaded after another program's
   * edit, or rolled back to what is on disk after a failed write. Caches above key on it.
   */
  readonly generation: number;
  /** Runs a read-only callback against the current state. */
  read<T>(fn: (reader: SqlReader) => T): T;
  /** Runs a write transaction; see WriteOptions for when it resolves. */
  write<T>(fn: (writer: SqlWriter) => T, options?: WriteOptions): Promise<T>;
  /** A consistent image of the database as an ordinary SQLite file. */
  exportImage(): Uint8Array;
  /** Waits for deferred changes to be durable. */
  flush(): Promise<void>;
  /** Flushes and releases the database (and its file lock). */
  close(): Promise<void>;
  /** What it counted of its own work since it opened: write transactions, syncs, snapshots, size. */
  stats(): StorageStats;
}

/**
 * How the engine learns the database's schema state on open. Provided by the schema module.
 * `check` throws NotANetconfDatabaseError / SchemaTooNewError for files that must be refused
 * (the engine then leaves the file untouched); it returns whether `migrate` has work to do.
 */
export interface SchemaManager {
  check(reader: SqlReader): { needsMigration: boolean; fromVersion: number | null };
  migrate(writer: SqlWriter, now: number): void;
}
