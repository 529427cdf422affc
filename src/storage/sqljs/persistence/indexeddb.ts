/**
 * Browser persistence in IndexedDB (docs/architecture.md, "Persistence"): the same snapshot + log
 * design as the file backend. Object store `snapshot` holds the current image under key "main"
 * (and pre-migration copies); object store `log` holds one record per committed transaction. Each
 * batch is one IndexedDB transaction with default durability; a snapshot switch (put the image,
 * clear the log) is one transaction, so it is atomic by construction.
 */
import { PersistenceError } from '../../../errors.js';
import { acquireWebLock, type WebLock } from '../lock-web.js';
import type { Persistence, PersistenceCounters, StoredState } from './types.js';

const DB_VERSION = 1;
const SNAPSHOT_STORE = 'snapshot';
const LOG_STORE = 'log';
const MAIN_KEY = 'main';

export interface IndexedDbPersistenceOptions {
  name: string;
  factory?: IDBFactory;
}

export async function openIndexedDbPersistence(options: IndexedDbPersistenceOptions): Promise<Persistence> {
  const factory = options.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) throw new PersistenceError('IndexedDB is not available in this environment');
  const lock = await acquireWebLock(`zt-netconf-master:${options.name}`, options.name);
  try {
    const db = await openDatabase(factory, options.name);
    return new IndexedDbPersistence(options.name, db, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(SNAPSHOT_STORE)) db.createObjectStore(SNAPSHOT_STORE);
      if (!db.objectStoreNames.contains(LOG_STORE)) db.createObjectStore(LOG_STORE, { autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new PersistenceError(`cannot open IndexedDB database ${name}: ${request.error?.message}`));
    request.onblocked = () => reject(new PersistenceError(`IndexedDB database ${name} is blocked by another connection`));
  });
}

function completion(tx: IDBTransaction, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    const fail = () => reject(new PersistenceError(`IndexedDB ${what} failed: ${tx.error?.message ?? 'aborted'}`, { cause: tx.error }));
    tx.onerror = fail;
    tx.onabort = fail;
  });
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

class IndexedDbPersistence implements Persistence {
  readonly counters: PersistenceCounters = { appends: 0, syncs: 0, snapshots: 0 };
  private logSize = 0;
  private mainSize = 0;

  constructor(
    readonly location: string,
    private readonly db: IDBDatabase,
    private readonly lock: WebLock,
  ) {}

  async load(): Promise<StoredState> {
    const tx = this.db.transaction([SNAPSHOT_STORE, LOG_STORE], 'readonly');
    const done = completion(tx, 'load');
    const snapshotRequest = requestResult(tx.objectStore(SNAPSHOT_STORE).get(MAIN_KEY) as IDBRequest<Uint8Array | undefined>);
    const logRequest = requestResult(tx.objectStore(LOG_STORE).getAll() as IDBRequest<Uint8Array[]>);
    const [snapshot, records] = await Promise.all([snapshotRequest, logRequest, done]);
    const image = snapshot ? new Uint8Array(snapshot) : null;
    this.mainSize = image?.length ?? 0;
    this.logSize = records.reduce((sum, r) => sum + r.length, 0);
    return { snapshot: image, records: records.map((r) => new Uint8Array(r)), logMatchesSnapshot: true };
  }

  async acceptLoaded(): Promise<void> {}

  async append(payloads: readonly Uint8Array[]): Promise<void> {
    const tx = this.db.transaction(LOG_STORE, 'readwrite');
    const done = completion(tx, 'append');
    const store = tx.objectStore(LOG_STORE);
    for (const payload of payloads) store.add(payload);
    this.counters.syncs++;
    await done;
    this.counters.appends++;
    this.logSize += payloads.reduce((sum, p) => sum + p.length, 0);
  }

  async replaceSnapshot(image: Uint8Array): Promise<void> {
    const tx = this.db.transaction([SNAPSHOT_STORE, LOG_STORE], 'readwrite');
    const done = completion(tx, 'snapshot');
    tx.objectStore(SNAPSHOT_STORE).put(image, MAIN_KEY);
    tx.objectStore(LOG_STORE).clear();
    this.counters.syncs++;
    await done;
    this.counters.snapshots++;
    this.logSize = 0;
    this.mainSize = image.length;
  }

  async backupSnapshot(fromVersion: number | null): Promise<string | null> {
    const tx = this.db.transaction(SNAPSHOT_STORE, 'readwrite');
    const done = completion(tx, 'backup');
    const store = tx.objectStore(SNAPSHOT_STORE);
    const image = await requestResult(store.get(MAIN_KEY) as IDBRequest<Uint8Array | undefined>);
    if (!image) {
      await done;
      return null;
    }
    const base = `v${fromVersion ?? 0}-backup`;
    let key = base;
    for (let n = 2; (await requestResult(store.count(key))) > 0; n++) key = `${base}-${n}`;
    store.add(image, key);
    await done;
    return `${this.location}/${key}`;
  }

  detectExternalChange(): null {
    return null;
  }

  logBytes(): number {
    return this.logSize;
  }

  snapshotBytes(): number {
    return this.mainSize;
  }

  async close(): Promise<void> {
    this.db.close();
    this.lock.release();
  }
}
