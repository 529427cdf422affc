/**
 * Single-writer lock in a browser (docs/architecture.md, "Persistence"): a Web Lock held for as
 * long as the database is open. Where Web Locks are missing, no lock is taken.
 */
import { DatabaseLockedError } from '../../errors.js';

export interface WebLock {
  release(): void;
}

interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

export async function acquireWebLock(lockName: string, databaseName: string): Promise<WebLock> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (!locks) return { release: () => {} };
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const acquired = await new Promise<boolean>((resolve, reject) => {
    locks
      .request(lockName, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock === null ? undefined : held;
      })
      .catch(reject);
  });
  if (!acquired) {
    throw new DatabaseLockedError(`IndexedDB database ${databaseName} is open in another tab or worker`);
  }
  return { release };
}
