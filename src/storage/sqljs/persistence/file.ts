/**
 * Durable file persistence for Node.js (docs/architecture.md, "Persistence"):
 *
 *   <db>            the main file: an ordinary SQLite database, the last snapshot
 *   <db>-log        append-only log of committed transactions since that snapshot
 *   <db>-log.next   a fresh log written before a snapshot switch (exists only mid-switch)
 *   <db>.snapshot-tmp  the next snapshot, renamed over <db> once complete and synced
 *   <db>.compact-tmp-<random>  the next snapshot built by a child process from <db> and a
 *                      durable prefix of <db>-log, installed as snapshot-tmp is (its log.next carries
 *                      the records appended meanwhile); a name per build, so that a builder left
 *                      running by a killed process never writes a file another build installs
 *   <db>.lock       single-writer lock
 *
 * This module uses node:fs (through fs.ts and the lock); the engine loads it with a dynamic import
 * only when a path is given.
 */
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { equalBytes } from '@noble/curves/utils.js';
import { CorruptDatabaseError, ExternalModificationError, PersistenceError } from '../../../errors.js';
import { acquireFileLock, type FileLock } from '../lock.js';
import { LOG_HEADER_SIZE, encodeLogHeader, frameRecords, parseLog, type ParsedLog } from './log-format.js';
import type { ExternalChange, Persistence, PersistenceCounters, PreparedSnapshot, StoredState } from './types.js';
import { SnapshotBuilders, type CompactionJob } from './compaction-job.js';
import { nodePersistenceFs, writeFully, type FileIdentity, type PersistenceFs } from './fs.js';
import { capacityFor } from '../room-to-grow.js';
import { inPieces } from './pieces.js';

export interface FilePersistenceOptions {
  path: string;
  fs?: PersistenceFs;
  /** Skips the lock (used only by restore, which takes the lock itself). */
  lock?: FileLock;
  /**
   * The size from which snapshots will be built off the serving thread (the engine's
   * `offThreadFromBytes`): a main file this large starts the builders' spawner before it is read,
   * while this process is small and its fork cheap (compaction-job.ts). Default: started at the
   * first build.
   */
  snapshotBuildsFromBytes?: number;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** How much writeWholeFile joins small parts into before writing them. */
const WRITE_PIECE = 2 ** 20;
const EMPTY_DIGEST = new Uint8Array(32);

export function databaseFilePaths(path: string) {
  return {
    main: path,
    log: `${path}-log`,
    logNext: `${path}-log.next`,
    snapshotTmp: `${path}.snapshot-tmp`,
    /** What every build's file name starts with (its own suffix follows). */
    compactTmp: `${path}.compact-tmp`,
    lock: `${path}.lock`,
    journal: `${path}-journal`,
    wal: `${path}-wal`,
  };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function sameIdentity(a: FileIdentity | null, b: FileIdentity | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export async function openFilePersistence(options: FilePersistenceOptions): Promise<FilePersistence> {
  // Absolute, so that a host changing its working folder, and the builder processes started in
  // the one it had at the open, all name the same files.
  const path = resolve(options.path);
  const fs = options.fs ?? nodePersistenceFs;
  const lock = options.lock ?? (await acquireFileLock(databaseFilePaths(path).lock, path, fs));
  return new FilePersistence(path, fs, lock, options.snapshotBuildsFromBytes ?? Infinity);
}

/** A snapshot being built in a child process or waiting to be installed. */
interface SnapshotBuild {
  /** Its file: a name of its own. */
  readonly path: string;
  /** Until the builder replies. */
  job: CompactionJob | null;
  /** The log records appended since it started (framed); null once a reload made it stale. */
  appended: Uint8Array[] | null;
}

interface LoadPlan {
  /** The log file to use from now on is log.next (an interrupted snapshot switch). */
  adoptNextLog: boolean;
  /** Where the valid log ends in the log file that is kept. */
  validLength: number;
  /** Whether a log file is there at all. */
  logExists: boolean;
  /** The log follows an older main file and holds no records: start a fresh one. */
  resetLog?: boolean;
}

export class FilePersistence implements Persistence {
  readonly location: string;
  readonly counters: PersistenceCounters = { appends: 0, syncs: 0, snapshots: 0 };
  private readonly paths: ReturnType<typeof databaseFilePaths>;
  private logFd: number | null = null;
  private logSize = 0;
  private mainSize = 0;
  /** The main file as we last wrote or read it. */
  private knownMain: FileIdentity | null = null;
  /** Our next snapshot while it is being renamed over the main file: not another program's edit. */
  private installingMain: FileIdentity | null = null;
  private plan: LoadPlan | null = null;
  private loadedDigest: Uint8Array = EMPTY_DIGEST;
  /** Set when the files may no longer match what we believe; appends are refused until reopen. */
  private failed: Error | null = null;
  /** Counts loads and installed snapshots: a prepared snapshot is installed only on the basis it was built from. */
  private basis = 0;
  /** The snapshot being built in a child process (`job` until it replies) or waiting to be installed. */
  private readonly builders = new SnapshotBuilders();
  private build: SnapshotBuild | null = null;

  constructor(
    path: string,
    private readonly fs: PersistenceFs,
    private readonly lock: FileLock,
    private readonly snapshotBuildsFromBytes: number,
  ) {
    this.location = path;
    this.paths = databaseFilePaths(path);
  }

  async load(): Promise<StoredState> {
    this.basis++;
    if (this.build !== null) this.build.appended = null;
    const before = this.fs.statSync(this.paths.main);
    if (before !== null && before.size >= this.snapshotBuildsFromBytes) this.builders.warmUp();
    // Read with room to grow, and handed over to the engine: it becomes the database file uncopied,
    // provided the file system gave a buffer of its own with that room (an injected one may not).
    const snapshot = await this.readOptional(this.paths.main, capacityFor);
    const snapshotHandedOver = snapshot !== null && snapshot.byteOffset === 0 && snapshot.buffer.byteLength === capacityFor(snapshot.length);
    const digest = snapshot && snapshot.length > 0 ? sha256(snapshot) : EMPTY_DIGEST;
    const snapshotSize = snapshot?.length ?? 0;
    this.mainSize = snapshotSize;
    this.knownMain = before;
    this.loadedDigest = digest;

    let logBytes = await this.readOptional(this.paths.log);
    if (this.logFd !== null && logBytes) logBytes = logBytes.subarray(0, this.logSize);
    const nextBytes = this.logFd === null ? await this.readOptional(this.paths.logNext) : null;
    if (nextBytes) {
      const next = parseLog(nextBytes);
      if (next && equalBytes(next.header.snapshotDigest, digest) && next.header.snapshotSize === snapshotSize) {
        // The snapshot switch completed its first rename: the old log's records are in the snapshot.
        this.refuseDamage(next, this.paths.logNext);
        this.plan = { adoptNextLog: true, validLength: next.validLength, logExists: true };
        return { snapshot, records: next.records, logMatchesSnapshot: true, snapshotVerified: snapshotSize > 0, snapshotHandedOver };
      }
    }
    if (!logBytes) {
      this.plan = { adoptNextLog: false, validLength: 0, logExists: false };
      return { snapshot, records: [], logMatchesSnapshot: true, snapshotHandedOver };
    }
    const log = parseLog(logBytes);
    if (!log) {
      throw new CorruptDatabaseError(`${this.paths.log} is not a netconf log file (bad header); move it away to open ${this.location}`);
    }
    this.refuseDamage(log, this.paths.log);
    const matches = equalBytes(log.header.snapshotDigest, digest) && log.header.snapshotSize === snapshotSize;
    if (!snapshot && log.records.length > 0) {
      throw new CorruptDatabaseError(`${this.location} is missing but its log ${this.paths.log} holds ${log.records.length} changes`);
    }
    if (snapshotSize === 0 && log.header.snapshotSize > 0) {
      // A cleanly closed database has an empty log that follows its last snapshot: opening the
      // empty or missing main file as a new database would forget that snapshot.
      throw new CorruptDatabaseError(
        `${this.location} is ${snapshot ? 'empty' : 'missing'}, but its log ${this.paths.log} follows a snapshot of ` +
          `${log.header.snapshotSize} bytes. Nothing was changed. Put back the database file (from a backup), or ` +
          `move ${this.paths.log} away to start a new database.`,
      );
    }
    this.plan = { adoptNextLog: false, validLength: log.validLength, logExists: true, resetLog: !matches && log.records.length === 0 };
    return { snapshot, records: log.records, logMatchesSnapshot: matches, snapshotVerified: matches && snapshotSize > 0, snapshotHandedOver };
  }

  /** A bad record followed by intact ones is damage, not a torn tail: dropping it would lose acknowledged changes. */
  private refuseDamage(log: ParsedLog, path: string): void {
    if (!log.damaged) return;
    throw new CorruptDatabaseError(
      `${path} is damaged: the record at byte ${log.validLength} is bad but intact records follow it, so this is ` +
        `not the torn end of an interrupted write. Nothing was changed. Restore ${this.location} from a backup; ` +
        `opening it without the log would lose the changes recorded after the damage.`,
    );
  }

  async acceptLoaded(): Promise<void> {
    const plan = this.plan;
    if (!plan) throw new Error('acceptLoaded before load');
    const { fs, paths } = this;
    if (plan.adoptNextLog) {
      await fs.rename(paths.logNext, paths.log);
      await this.syncDirectory();
    } else {
      await fs.unlink(paths.logNext).catch(ignoreMissing);
    }
    await fs.unlink(paths.snapshotTmp).catch(ignoreMissing);
    await this.removeBuildFiles();
    if (!plan.logExists || plan.resetLog) {
      try {
        await this.writeFreshLog(paths.logNext, this.loadedDigest, this.mainSize);
      } catch (error) {
        // A full disk: leave no partial log behind for the next open to find.
        await fs.unlink(paths.logNext).catch(() => {});
        throw error;
      }
      await fs.rename(paths.logNext, paths.log);
      await this.syncDirectory();
      plan.validLength = LOG_HEADER_SIZE;
    }
    const fd = await fs.open(paths.log, 'r+');
    const size = this.fs.statSync(paths.log)?.size ?? 0;
    if (size > plan.validLength) {
      await fs.ftruncate(fd, plan.validLength);
      await fs.fdatasync(fd);
    }
    this.logFd = fd;
    this.logSize = plan.validLength;
    this.plan = null;
  }

  async append(payloads: readonly Uint8Array[]): Promise<void> {
    if (this.failed) throw new PersistenceError(`${this.location}: storage failed earlier (${this.failed.message}); reopen it`, { cause: this.failed });
    if (this.logFd === null) throw new PersistenceError(`${this.location}: log is not open`);
    const frames = frameRecords(payloads);
    try {
      await writeFully(this.fs, this.logFd, frames, this.logSize);
      this.counters.syncs++;
      await this.fs.fdatasync(this.logFd);
    } catch (error) {
      await this.truncateBack(error);
      throw new PersistenceError(`${this.location}: could not append to ${this.paths.log}: ${(error as Error).message}`, { cause: error });
    }
    this.counters.appends++;
    this.logSize += frames.length;
    this.build?.appended?.push(frames);
  }

  prepareSnapshot(): Promise<PreparedSnapshot> | null {
    if (this.failed || this.logFd === null || this.build !== null) return null;
    const basis = this.basis;
    const logLength = this.logSize;
    const path = `${this.paths.compactTmp}-${randomBytes(6).toString('hex')}`;
    const job = this.builders.build({ snapshotPath: this.paths.main, logPath: this.paths.log, logLength, targetPath: path });
    if (job === null) return null;
    const build: SnapshotBuild = { path, job, appended: [] };
    this.build = build;
    return job.reply.then(
      (reply) => {
        build.job = null;
        return { digest: reply.digest, size: reply.size, logLength, basis, buildMs: reply.ms };
      },
      async (error: unknown) => {
        build.job = null;
        await this.dropBuild(build);
        throw new PersistenceError(`${this.location}: could not build a snapshot: ${(error as Error).message}`, { cause: error });
      },
    );
  }

  async installSnapshot(prepared: PreparedSnapshot): Promise<boolean> {
    const build = this.build;
    if (build === null) return false;
    const appended = build.appended;
    // The build's file must be the one it reported: its own name, and the size it replied with.
    if (prepared.basis !== this.basis || appended === null || this.failed || this.fs.statSync(build.path)?.size !== prepared.size) {
      await this.dropBuild(build);
      return false;
    }
    const { fs, paths } = this;
    const tailLength = appended.reduce((sum, frames) => sum + frames.length, 0);
    if (prepared.logLength + tailLength !== this.logSize) {
      // Cannot happen while appends and this install take turns; refuse rather than guess.
      await this.dropBuild(build);
      throw new PersistenceError(`${this.location}: the log moved under a snapshot build (${prepared.logLength} + ${tailLength} ≠ ${this.logSize})`);
    }
    this.build = null;
    try {
      await this.writeWholeFile(paths.logNext, [encodeLogHeader({ snapshotDigest: prepared.digest, snapshotSize: prepared.size }), ...appended]);
    } catch (error) {
      await fs.unlink(build.path).catch(() => {});
      await fs.unlink(paths.logNext).catch(() => {});
      throw new PersistenceError(`${this.location}: could not write a snapshot's log: ${(error as Error).message}`, { cause: error });
    }
    await this.switchTo(build.path, prepared.size, LOG_HEADER_SIZE + tailLength);
    return true;
  }

  /** Stops a build if it still runs and removes its file; the next build may start. */
  private async dropBuild(build: SnapshotBuild): Promise<void> {
    if (this.build === build) this.build = null;
    await build.job?.stop().catch(() => {});
    await this.fs.unlink(build.path).catch(() => {});
  }

  /**
   * Removes the files of earlier builds, finished or not, a killed process's among them. A build of
   * ours still running is left to finish: its install is refused (its basis moved on) and removes it.
   */
  private async removeBuildFiles(): Promise<void> {
    const directory = dirname(this.location);
    const prefix = basename(this.paths.compactTmp);
    for (const name of await this.fs.list(directory)) {
      const path = join(directory, name);
      if (name.startsWith(prefix) && path !== this.build?.path) await this.fs.unlink(path).catch(ignoreMissing);
    }
  }

  /** Removes a partly written tail so that later appends never follow garbage. */
  private async truncateBack(cause: unknown): Promise<void> {
    try {
      await this.fs.ftruncate(this.logFd!, this.logSize);
      await this.fs.fdatasync(this.logFd!);
    } catch (error) {
      this.failed = error instanceof Error ? error : new Error(String(cause));
    }
  }

  async replaceSnapshot(image: Uint8Array): Promise<void> {
    if (this.failed) throw new PersistenceError(`${this.location}: storage failed earlier (${this.failed.message}); reopen it`, { cause: this.failed });
    const { paths } = this;
    const digest = sha256(image);
    try {
      await this.writeWholeFile(paths.snapshotTmp, [image]);
      await this.writeFreshLog(paths.logNext, digest, image.length);
    } catch (error) {
      await this.removeSwitchFiles(paths.snapshotTmp);
      throw new PersistenceError(`${this.location}: could not write a snapshot: ${(error as Error).message}`, { cause: error });
    }
    await this.switchTo(paths.snapshotTmp, image.length, LOG_HEADER_SIZE);
  }

  /**
   * The switch to a written and synced snapshot (`image`) whose log (log.next, `logSize` bytes) is
   * written and synced too: rename the image over the main file, then log.next over the log.
   */
  private async switchTo(imagePath: string, imageSize: number, logSize: number): Promise<void> {
    const { fs, paths } = this;
    const current = fs.statSync(paths.main);
    if (this.knownMain !== null && !sameIdentity(current, this.knownMain)) {
      await this.removeSwitchFiles(imagePath);
      throw new ExternalModificationError(`${this.location} was changed by another program; the snapshot was not installed`);
    }
    // Writes go on while the rename runs: from the moment it lands, the main file is this one.
    this.installingMain = fs.statSync(imagePath);
    try {
      await fs.rename(imagePath, paths.main);
      this.knownMain = this.installingMain;
      this.basis++;
    } catch (error) {
      await this.removeSwitchFiles(imagePath);
      throw new PersistenceError(`${this.location}: could not install a snapshot: ${(error as Error).message}`, { cause: error });
    } finally {
      this.installingMain = null;
    }
    // From here on the new main file holds everything; only log.next may follow it.
    try {
      await this.syncDirectory();
      if (this.logFd !== null) {
        const old = this.logFd;
        this.logFd = null;
        await fs.close(old).catch(() => {});
      }
      await fs.rename(paths.logNext, paths.log);
      await this.syncDirectory();
      this.logFd = await fs.open(paths.log, 'r+');
    } catch (error) {
      this.failed = error instanceof Error ? error : new Error(String(error));
      throw new PersistenceError(`${this.location}: snapshot installed but the new log could not be set up: ${this.failed.message}; reopen it`, { cause: error });
    }
    this.counters.snapshots++;
    this.logSize = logSize;
    this.mainSize = imageSize;
    this.knownMain = fs.statSync(paths.main);
  }

  async backupSnapshot(fromVersion: number | null): Promise<string | null> {
    if (this.fs.statSync(this.paths.main) === null) return null;
    const base = `${this.location}.v${fromVersion ?? 0}-backup`;
    for (let n = 1; n < 1000; n++) {
      const target = n === 1 ? base : `${base}-${n}`;
      if (this.fs.statSync(target) !== null) continue;
      await this.fs.copyFileExclusive(this.location, target);
      const fd = await this.fs.open(target, 'r');
      try {
        await this.fs.fsync(fd);
      } finally {
        await this.fs.close(fd);
      }
      await this.syncDirectory();
      return target;
    }
    throw new PersistenceError(`${this.location}: too many existing backups`);
  }

  detectExternalChange(): ExternalChange | null {
    const { fs, paths } = this;
    for (const busy of [paths.journal, paths.wal]) {
      if (fs.statSync(busy) !== null) {
        return { kind: 'busy', detail: `${busy} exists: another program is writing ${this.location}` };
      }
    }
    const current = fs.statSync(paths.main);
    if (!sameIdentity(current, this.knownMain) && !(this.installingMain !== null && sameIdentity(current, this.installingMain))) {
      return { kind: 'modified', detail: current === null ? `${this.location} was removed` : `${this.location} was changed by another program` };
    }
    return null;
  }

  logBytes(): number {
    return Math.max(0, this.logSize - LOG_HEADER_SIZE);
  }

  snapshotBytes(): number {
    return this.mainSize;
  }

  async close(): Promise<void> {
    if (this.build !== null) await this.dropBuild(this.build);
    this.builders.close();
    if (this.failed && this.logFd !== null) {
      // Last try to cut off records whose sync failed: they were never acknowledged.
      await this.fs.ftruncate(this.logFd, this.logSize).then(() => this.fs.fdatasync(this.logFd!)).catch(() => {});
    }
    if (this.logFd !== null) {
      const fd = this.logFd;
      this.logFd = null;
      await this.fs.close(fd).catch(() => {});
    }
    await this.lock.release();
  }

  private async readOptional(path: string, capacity?: (size: number) => number): Promise<Uint8Array | null> {
    try {
      return await this.fs.readFile(path, capacity);
    } catch (error) {
      if (isMissing(error)) return null;
      throw new PersistenceError(`could not read ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Writes `parts` one after another as the whole of `path`, synced. Runs of small parts (the
   * frames appended during a snapshot build) are joined in pieces of about a mebibyte: neither one
   * large copy on the serving thread nor a write per frame.
   */
  private async writeWholeFile(path: string, parts: readonly Uint8Array[]): Promise<void> {
    const fd = await this.fs.open(path, 'w');
    try {
      let position = 0;
      for (const piece of inPieces(parts, WRITE_PIECE)) {
        await writeFully(this.fs, fd, piece, position);
        position += piece.length;
      }
      this.counters.syncs++;
      await this.fs.fsync(fd);
    } finally {
      await this.fs.close(fd);
    }
  }

  private async writeFreshLog(path: string, digest: Uint8Array, snapshotSize: number): Promise<void> {
    await this.writeWholeFile(path, [encodeLogHeader({ snapshotDigest: digest, snapshotSize })]);
  }

  /** Removes what a snapshot switch that will not complete wrote (its image and its next log). */
  private async removeSwitchFiles(imagePath: string): Promise<void> {
    await this.fs.unlink(imagePath).catch(() => {});
    await this.fs.unlink(this.paths.logNext).catch(() => {});
  }

  private async syncDirectory(): Promise<void> {
    const fd = await this.fs.open(dirname(this.location), 'r');
    try {
      this.counters.syncs++;
      await this.fs.fsync(fd);
    } finally {
      await this.fs.close(fd);
    }
  }
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

