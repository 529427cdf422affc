/**
 * The contract between the sql.js engine and a persistence backend (a file in Node.js,
 * IndexedDB in a browser, nothing in memory). See docs/architecture.md, "Persistence".
 */

/** What a backend holds: the last snapshot and the log records written after it. */
export interface StoredState {
  /** The snapshot (an ordinary SQLite database image), or null when there is none yet. */
  readonly snapshot: Uint8Array | null;
  /** Payloads of the valid log records, in commit order. */
  readonly records: readonly Uint8Array[];
  /**
   * False when the snapshot is not the one the log was started on: another program replaced or
   * edited the main file. The records are then ours, written before that change.
   */
  readonly logMatchesSnapshot: boolean;
  /**
   * True when the snapshot's SHA-256 is the digest this backend recorded beside it once it was
   * written and synced (or checked at an earlier open): its bytes are an intact database's, so the
   * integrity check at open (seconds at a million members) is skipped.
   */
  readonly snapshotVerified?: boolean;
  /**
   * True when the backend read the snapshot for this load alone and keeps no reference to it: the
   * engine may then use its buffer, and any room after it, as the database file (room-to-grow.ts)
   * instead of copying it.
   */
  readonly snapshotHandedOver?: boolean;
}

/** A change to the main file made by another program, seen before a write. */
export type ExternalChange =
  | { readonly kind: 'modified'; readonly detail: string }
  | { readonly kind: 'busy'; readonly detail: string };

export interface Persistence {
  /** A human-readable name for messages (the file path, the IndexedDB name). */
  readonly location: string;
  /** False for a backend that stores nothing: the engine then records no statements for it. */
  readonly keepsChanges?: boolean;
  /** Reads the stored state. Changes nothing on disk. */
  load(): Promise<StoredState>;
  /**
   * Called once after the engine accepted the loaded state: repairs what recovery may repair
   * (drops a torn log tail, finishes an interrupted snapshot switch, removes temporary files)
   * and prepares for appends.
   */
  acceptLoaded(): Promise<void>;
  /** Appends one record per payload and makes them durable (one sync for the whole batch). */
  append(payloads: readonly Uint8Array[]): Promise<void>;
  /** Atomically installs a new snapshot and starts an empty log that follows it. */
  replaceSnapshot(image: Uint8Array): Promise<void>;
  /**
   * Optional: starts building the next snapshot off the calling thread, from the stored snapshot and
   * the log as it is now; appends go on meanwhile. Null when it cannot (no builder can start here,
   * or a build already running). Rejects when the build fails; nothing on disk is then changed.
   */
  prepareSnapshot?(): Promise<PreparedSnapshot> | null;
  /**
   * Installs a prepared snapshot atomically, with a new log holding the records appended since it
   * was prepared. Called between appends. Returns false, changing nothing, when the stored state
   * moved on since (another snapshot installed, or reloaded): the prepared one is then dropped.
   */
  installSnapshot?(prepared: PreparedSnapshot): Promise<boolean>;
  /** Keeps a copy of the stored snapshot before a migration; returns where, or null. */
  backupSnapshot(fromVersion: number | null): Promise<string | null>;
  /** Synchronous check for a change made by another program (cheap: a stat or two). */
  detectExternalChange(): ExternalChange | null;
  /** Bytes of log records since the last snapshot. */
  logBytes(): number;
  /** Size of the last snapshot. */
  snapshotBytes(): number;
  /** Releases the backend (file handles, locks). */
  close(): Promise<void>;
}

/** A snapshot built off the calling thread, waiting to be installed (Persistence.prepareSnapshot). */
export interface PreparedSnapshot {
  readonly digest: Uint8Array;
  readonly size: number;
  /** The log length (header included) it covers. */
  readonly logLength: number;
  /** The stored state it was built from (the backend's own count of snapshots installed and reloads). */
  readonly basis: number;
  /** Milliseconds the build took on its thread. */
  readonly buildMs: number;
}

/** Statistics a benchmark or test may read. */
export interface PersistenceCounters {
  appends: number;
  syncs: number;
  snapshots: number;
}
