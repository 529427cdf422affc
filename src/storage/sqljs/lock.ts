/**
 * Single-writer lock for a database file (Node.js only): `<db>.lock`, created with O_EXCL,
 * holding the owner's pid, hostname and process start time. A lock whose process is gone (a
 * kill -9 leaves it behind) is taken over. See docs/architecture.md, "Persistence".
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { DatabaseLockedError } from '../../errors.js';
import { nodePersistenceFs, writeFully, type PersistenceFs } from './persistence/fs.js';

interface LockOwner {
  pid: number;
  hostname: string;
  /** Start time of the owning process (Linux clock ticks since boot), when known. */
  processStart: string | null;
  acquiredAt: string;
}

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/** A lock file with unreadable content younger than this is assumed to be mid-creation. */
const UNREADABLE_LOCK_GRACE_MS = 5_000;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Takes the lock, or throws DatabaseLockedError naming its holder. If the lock file cannot be
 * written whole (a full disk), the file this call created is removed again before the error is
 * thrown, so that no empty lock is left to block the next open.
 */
export async function acquireFileLock(lockPath: string, databasePath: string, fs: PersistenceFs = nodePersistenceFs): Promise<FileLock> {
  const me: LockOwner = {
    pid: process.pid,
    hostname: osHostname(),
    processStart: processStartTime(process.pid),
    acquiredAt: new Date().toISOString(),
  };
  const content = JSON.stringify(me);
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = await fs.open(lockPath, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readHolder(fs, lockPath);
      if (holder === 'gone') continue;
      if (holder === 'unreadable') {
        const age = lockAgeMs(fs, lockPath);
        if (age !== null && age < UNREADABLE_LOCK_GRACE_MS) {
          throw new DatabaseLockedError(`${databasePath} is being opened by another process (lock file ${lockPath} is being written)`);
        }
      } else if (holder.hostname !== me.hostname || isAlive(holder)) {
        throw new DatabaseLockedError(
          `${databasePath} is in use by process ${holder.pid} on ${holder.hostname} (since ${holder.acquiredAt}); ` +
            `stop that process first, or remove ${lockPath} if you are sure it is not running`,
        );
      }
      // Stale: its owner is dead. Take it over.
      await fs.unlink(lockPath).catch(() => {});
      continue;
    }
    try {
      await writeOwner(fs, fd, textEncoder.encode(content));
    } catch (error) {
      await fs.unlink(lockPath).catch(() => {});
      throw error;
    }
    return {
      path: lockPath,
      release: async () => {
        try {
          if (textDecoder.decode(await fs.readFile(lockPath)) === content) await fs.unlink(lockPath);
        } catch {
          // already gone
        }
      },
    };
  }
  throw new DatabaseLockedError(`${databasePath}: could not acquire ${lockPath} (contended)`);
}

async function writeOwner(fs: PersistenceFs, fd: number, bytes: Uint8Array): Promise<void> {
  try {
    await writeFully(fs, fd, bytes, 0);
    await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
}

async function readHolder(fs: PersistenceFs, lockPath: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = textDecoder.decode(await fs.readFile(lockPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as LockOwner;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return 'unreadable';
    return parsed;
  } catch {
    return 'unreadable';
  }
}

function lockAgeMs(fs: PersistenceFs, lockPath: string): number | null {
  const stat = fs.statSync(lockPath);
  return stat === null ? null : Date.now() - stat.mtimeMs;
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid exists; if it was reused by an unrelated process its start time differs.
  if (owner.processStart !== null) {
    const current = processStartTime(owner.pid);
    if (current !== null && current !== owner.processStart) return false;
  }
  return true;
}

/** Field 22 of /proc/<pid>/stat (start time); null where /proc is not available. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
