/**
 * The durable sql.js engine's commit path (master.md §5 Storage; docs/architecture.md,
 * "Persistence"): each committed write transaction is recorded as the statements it ran and handed
 * to a persistence backend (a log file beside the main file in Node.js, IndexedDB in a browser,
 * nothing for an in-memory database). Writes issued while a sync is in flight share the next one
 * (group commit). When the log grows past a threshold relative to the database size, the database
 * is exported as a new snapshot and the log starts over. A failed sync, or another program's edit
 * of the main file, makes the engine rebuild memory from the disk.
 */
import type { SqlJsStatic } from 'sql.js';
import type { SchemaManager, SqlEngine, SqlReader, SqlWriter, WriteOptions } from './engine.js';
import type { StorageStats } from '../../master/store.js';
import { ClosedError, ExternalModificationError, InvalidArgumentError, PersistenceError, StorageError } from '../../errors.js';
import type { CommittedTransaction, Connection } from './connection.js';
import { checkSchema, loadConnection } from './load.js';
import { encodeStatements } from './persistence/record-codec.js';
import type { ExternalChange, Persistence, PersistenceCounters, PreparedSnapshot } from './persistence/types.js';
import { scheduleSoon } from '../../schedule-soon.js';

/** How the engine commits: the schema it keeps, its clock, and when it syncs and compacts. */
export interface CommitOptions {
  schema: SchemaManager;
  /** Clock passed to migrations, in milliseconds. */
  now?: () => number;
  /**
   * When to write a new snapshot: log bytes ≥ max(minLogBytes, min(maxLogBytes, logToSnapshotRatio ×
   * snapshot size)). `maxLogBytes` (default 16 MiB) bounds what an open after a crash replays: some
   * 6 MB of log per second on the development machine.
   * From a snapshot of `offThreadFromBytes` on (default 8 MiB), the next one is built off this
   * thread from the stored snapshot and the log, where the backend can (file storage in Node.js: a
   * child process), so that writes never wait for it; below that, or where it cannot, it is
   * exported here.
   */
  compaction?: { minLogBytes?: number; maxLogBytes?: number; logToSnapshotRatio?: number; offThreadFromBytes?: number };
  /** How long a deferred change may wait for a sync, in milliseconds (default 100). */
  deferredFlushMs?: number;
  /** Called with failures that were absorbed (a snapshot that could not be written, and so on). */
  onWarning?: (error: Error) => void;
}

const DEFAULT_MIN_LOG_BYTES = 1 << 20;
const DEFAULT_LOG_TO_SNAPSHOT_RATIO = 0.5;
const DEFAULT_MAX_LOG_BYTES = 16 << 20;
const DEFAULT_DEFERRED_FLUSH_MS = 100;
// Exporting and hashing 8 MiB takes some 40–60 ms here: about where a stall starts to matter.
const DEFAULT_OFF_THREAD_FROM_BYTES = 8 << 20;

/** The snapshot size from which the next snapshot is built off this thread (`compaction.offThreadFromBytes`). */
export function offThreadFromBytes(options: Pick<CommitOptions, 'compaction'>): number {
  return options.compaction?.offThreadFromBytes ?? DEFAULT_OFF_THREAD_FROM_BYTES;
}

/** Open; closing (flushing, writing the last snapshot; no new writes); closed. */
type EngineStatus = 'open' | 'closing' | 'closed';

/** Thrown out of a write callback at its first write when another program changed the file. */
class ExternalChangeSeen extends Error {
  constructor(readonly change: ExternalChange) {
    super(change.detail);
  }
}

/** A committed transaction waiting for its sync; payload null for a flush barrier. */
interface PendingEntry {
  readonly payload: Uint8Array | null;
  readonly waiter: { resolve(): void; reject(error: Error): void } | null;
}

export class SqlJsEngine implements SqlEngine {
  private connection: Connection;
  private readonly now: () => number;
  private readonly minLogBytes: number;
  private readonly maxLogBytes: number;
  private readonly logToSnapshotRatio: number;
  private readonly deferredFlushMs: number;
  private readonly offThreadFromBytes: number;
  /** The off-thread snapshot: none, being built, or built and waiting for the pump to install it. */
  private offThread: { readonly state: 'none' | 'building' } | { readonly state: 'built'; readonly prepared: PreparedSnapshot } = { state: 'none' };
  private pending: PendingEntry[] = [];
  /** The commit pump: idle, scheduled to run soon, or running (one loop at a time). */
  private pumpState: 'idle' | 'scheduled' | 'running' = 'idle';
  private deferredDue = false;
  private deferredTimer: ReturnType<typeof setTimeout> | null = null;
  /** While set, writes wait for it (a reload is in progress). It never rejects. */
  private gate: Promise<void> | null = null;
  private status: EngineStatus = 'open';
  /**
   * Why writes are refused, once they must be: memory could not be brought back in line with the
   * disk (PersistenceError), or another program's edit and our log cannot be merged
   * (ExternalModificationError). Reads go on.
   */
  private refusal: StorageError | null = null;
  /** A snapshot that failed is retried only once the log reaches this size. */
  private nextSnapshotAt = 0;
  private replacements = 0;
  /** What `stats()` reports: write transactions, syncs and snapshots, with their seconds. */
  private readonly totals = { writes: { count: 0, seconds: 0 }, syncs: { count: 0, seconds: 0 }, snapshots: { count: 0, seconds: 0 } };

  /** @internal use openSqlJsEngine */
  constructor(
    private readonly SQL: SqlJsStatic,
    connection: Connection,
    private readonly persistence: Persistence,
    private readonly options: CommitOptions,
  ) {
    this.connection = connection;
    this.now = options.now ?? Date.now;
    this.minLogBytes = options.compaction?.minLogBytes ?? DEFAULT_MIN_LOG_BYTES;
    this.maxLogBytes = options.compaction?.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.logToSnapshotRatio = options.compaction?.logToSnapshotRatio ?? DEFAULT_LOG_TO_SNAPSHOT_RATIO;
    this.deferredFlushMs = options.deferredFlushMs ?? DEFAULT_DEFERRED_FLUSH_MS;
    this.offThreadFromBytes = offThreadFromBytes(options);
  }

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

  stats(): StorageStats {
    const { writes, syncs, snapshots } = this.totals;
    const stored = this.persistence.keepsChanges !== false;
    return {
      writes: { ...writes },
      syncs: stored ? { ...syncs } : null,
      snapshots: stored ? { ...snapshots } : null,
      databaseBytes: stored ? this.persistence.snapshotBytes() + this.persistence.logBytes() : null,
    };
  }

  read<T>(fn: (reader: SqlReader) => T): T {
    if (this.status === 'closed') throw new ClosedError();
    return fn(this.connection.reader);
  }

  write<T>(fn: (writer: SqlWriter) => T, options: WriteOptions = {}): Promise<T> {
    if (this.status !== 'open') return Promise.reject(new ClosedError());
    if (this.gate) return this.gate.then(() => this.write(fn, options));
    if (this.refusal) return Promise.reject(this.refusal);
    let committed: CommittedTransaction<T>;
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
    const { result, statements, begunAt } = committed;
    // A callback that only read (a repeated request) ran no write transaction: it is not counted.
    if (begunAt !== null) addTiming(this.totals.writes, begunAt);
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
    if (this.status === 'closed') throw new ClosedError();
    if (this.connection.writing) throw new InvalidArgumentError('exportImage() cannot run inside a write callback');
    return this.connection.export();
  }

  async flush(): Promise<void> {
    if (this.status === 'closed') return;
    if (this.gate) await this.gate;
    await this.flushPending();
  }

  async close(): Promise<void> {
    if (this.status !== 'open') return;
    this.status = 'closing';
    try {
      await this.flush().catch(() => {});
      if (this.gate) await this.gate;
      if (!this.refusal && this.persistence.logBytes() > 0) {
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
    this.status = 'closed';
    this.offThread = { state: 'none' };
    this.clearDeferredTimer();
    this.connection.close();
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
    const started = performance.now();
    const image = this.connection.export();
    await this.persistence.replaceSnapshot(image);
    addTiming(this.totals.snapshots, started);
    this.nextSnapshotAt = 0;
  }

  /** Waits until every change committed so far has been synced (or rejected). */
  private async flushPending(): Promise<void> {
    if (this.pending.length === 0 && this.pumpState !== 'running') return;
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ payload: null, waiter: { resolve, reject } });
      this.kick();
    });
  }

  private runTransaction<T>(fn: (writer: SqlWriter) => T): CommittedTransaction<T> {
    return this.connection.transaction(fn, this.refuseAfterExternalChange);
  }

  /**
   * Runs before a callback's first write: another program's edit is looked for then only, since a
   * callback that just reads changes nothing that an edit could conflict with.
   */
  private readonly refuseAfterExternalChange = (): void => {
    const change = this.persistence.detectExternalChange();
    if (change) throw new ExternalChangeSeen(change);
  };

  private replaceConnection(connection: Connection): void {
    this.replacements++;
    this.connection.close();
    this.connection = connection;
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
    if (this.pumpState !== 'idle') return;
    this.pumpState = 'scheduled';
    scheduleSoon(() => {
      this.pumpState = 'idle';
      void this.pump();
    });
  }

  private armDeferredTimer(): void {
    if (this.deferredTimer !== null || this.pumpState === 'running') return;
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
    return Math.max(this.logThreshold(), this.nextSnapshotAt);
  }

  /** Log bytes that call for a snapshot of the current one. */
  private logThreshold(): number {
    return Math.max(this.minLogBytes, Math.min(this.maxLogBytes, this.logToSnapshotRatio * this.persistence.snapshotBytes()));
  }

  /** The single loop that moves committed changes to durable storage, one batch per sync. */
  private async pump(): Promise<void> {
    if (this.pumpState === 'running') return;
    this.pumpState = 'running';
    try {
      for (;;) {
        const built = this.builtSnapshot();
        if (built !== null) {
          await this.installPrepared(built);
          continue;
        }
        const logBytes = this.persistence.logBytes();
        if (this.offThread.state === 'none' && logBytes > 0 && logBytes >= this.snapshotThreshold() && this.status !== 'closed' && !this.startBuilding()) {
          await this.snapshotCoveringPending();
          continue;
        }
        const needsSync = this.deferredDue || this.status === 'closing' || this.pending.some((entry) => entry.waiter !== null);
        if (!needsSync || this.pending.length === 0) break;
        this.deferredDue = false;
        this.clearDeferredTimer();
        await this.appendBatch(this.pending.splice(0));
      }
    } finally {
      this.pumpState = 'idle';
    }
    if (this.builtSnapshot() !== null && this.status !== 'closed') this.kick();
    else if (this.pending.length > 0) this.armDeferredTimer();
  }

  private builtSnapshot(): PreparedSnapshot | null {
    return this.offThread.state === 'built' ? this.offThread.prepared : null;
  }

  /**
   * Starts building the next snapshot off this thread (file storage: in a child process), if the
   * snapshot is large enough for that to matter and the backend can; false when it is to be made
   * here instead. Writes go on while it builds; once built, the pump installs it between two
   * appends.
   */
  private startBuilding(): boolean {
    if (this.status !== 'open' || this.persistence.snapshotBytes() < this.offThreadFromBytes) return false;
    const build = this.persistence.prepareSnapshot?.() ?? null;
    if (build === null) return false;
    this.offThread = { state: 'building' };
    build.then(
      (prepared) => {
        this.offThread = this.status === 'open' ? { state: 'built', prepared } : { state: 'none' };
        if (this.status === 'open') this.kick();
      },
      (error: unknown) => {
        this.offThread = { state: 'none' };
        // A build stopped by close is no failure.
        if (this.status !== 'open') return;
        this.warn(error);
        this.retryLater();
      },
    );
    return true;
  }

  private async installPrepared(prepared: PreparedSnapshot): Promise<void> {
    this.offThread = { state: 'none' };
    const started = performance.now();
    try {
      if (await this.persistence.installSnapshot!(prepared)) {
        // Its time: the build on its thread, then the install here.
        addTiming(this.totals.snapshots, started - prepared.buildMs);
        this.nextSnapshotAt = 0;
      }
    } catch (error) {
      this.warn(error);
      this.retryLater();
    }
  }

  /** After a failed snapshot: the next try once the log has grown by another threshold. */
  private retryLater(): void {
    this.nextSnapshotAt = this.persistence.logBytes() + this.logThreshold();
  }

  private async appendBatch(batch: PendingEntry[]): Promise<void> {
    const payloads = batch.flatMap((entry) => (entry.payload ? [entry.payload] : []));
    if (payloads.length > 0) {
      const started = performance.now();
      try {
        await this.persistence.append(payloads);
        addTiming(this.totals.syncs, started);
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
    const started = performance.now();
    const image = this.connection.export();
    try {
      await this.persistence.replaceSnapshot(image);
      addTiming(this.totals.snapshots, started);
      this.nextSnapshotAt = 0;
    } catch (error) {
      this.warn(error);
      this.retryLater();
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
        this.replaceConnection(loadConnection(this.SQL, state, this.location));
      } catch (reloadError) {
        this.refusal = new PersistenceError(
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
    if (this.refusal) return;
    try {
      const state = await this.persistence.load();
      const connection = loadConnection(this.SQL, state, this.location);
      if (checkSchema(connection, this.options.schema, this.location).needsMigration) {
        connection.close();
        throw new Error('the edited file needs a schema migration');
      }
      this.replaceConnection(connection);
    } catch (error) {
      const reason = (error as Error).message;
      this.refusal = new ExternalModificationError(
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

/** Counts one more run of something that started at `started` (performance.now()) and ended now. */
function addTiming(totals: { count: number; seconds: number }, started: number): void {
  totals.count++;
  totals.seconds += (performance.now() - started) / 1000;
}
