/**
 * The master's storage interface (src/master/store.ts) over PostgreSQL (node-postgres), for
 * several master processes sharing one database.
 *
 * Transactions run at READ COMMITTED with the row and claim locks of `./pg-tx.ts`, so that
 * whatever runs at the same time in any process, no address is held twice, no update is lost, the
 * first identity that claims an address keeps it, and a revision never goes backwards. A
 * transaction that lost a race (a deadlock, a row another writer created first) runs again, a
 * bounded number of times, then fails with StorageContentionError. A transaction is acknowledged
 * only once committed.
 *
 * Other processes' changes: `generation` moves when the database's change sequence (moved by the
 * schema's triggers on every revision change and network deletion) is seen to have moved by a
 * request's first read, and when a notification of another process's change arrives (`./listener.ts`);
 * the master then drops what it keeps in memory and reports the changed networks.
 *
 * Statistics (a node's lastSeen, lastAt, version) and signed netconfs are written in batches after the
 * requests that produced them, as on sql.js: a crash may lose the last of them, never a claim.
 */
import type { Pool, PoolClient } from 'pg';
import { ClosedError, StorageError } from '../../errors.js';
import {
  runAsync, type CachedNetconf, type NetconfStore, type StorageStats, type NetconfStoreReader, type NetconfStoreTx, type StorageWork,
  type TransactionOptions,
} from '../../master/store.js';
import { coalescedSoon } from '../../schedule-soon.js';
import { ChangeListener } from './listener.js';
import { PgRead } from './pg-read.js';
import { addSightings, type NodeSighting } from '../node-sightings.js';
import { PgTx, RunAgain, type DeletionObserver } from './pg-tx.js';
import type { PgQueryable } from './pg-types.js';
import { StorageContentionError, StorageUnavailableError, isUnavailable } from './pg-errors.js';
import { uint64ToPg } from './values.js';

/** PostgreSQL cancelled the transaction (deadlock, serialization failure): running it again is safe. */
const RETRYABLE_CODES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 12;

type PendingNetconfs = Map<string, { nwid: string; address: string; netconf: CachedNetconf; generation: number }>;

export class PostgresNetconfStore implements NetconfStore {
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #sightings = new Map<string, NodeSighting>();
  readonly #netconfs: PendingNetconfs = new Map();
  readonly #listener: ChangeListener;
  /** Backend process IDs of this store's connections: their notifications are this process's own. */
  readonly #ownBackends = new Set<number>();
  readonly #externalListeners = new Set<() => void>();
  /** Writes what waits (sightings, reported revisions) on the next turn, once however often asked. */
  readonly #scheduleWrite = coalescedSoon(() => this.#writePending());
  #pendingWrite: Promise<void> = Promise.resolve();
  #closed = false;
  /** Transactions of this process that deleted a network or a member. */
  #deletions = 0;
  /** Moves of the database's change sequence seen, and other processes' notifications. */
  #moves = 0;
  #changeSequence: number | undefined;
  /** Write transactions committed, and their seconds (from BEGIN to COMMIT's answer, the server's sync included). */
  readonly #writes = { count: 0, seconds: 0 };
  readonly #observer: DeletionObserver = {
    pendingSightings: this.#sightings,
    changeSequenceSeen: (sequence) => {
      if (this.#changeSequence !== undefined && sequence > this.#changeSequence) this.#moves++;
      if (this.#changeSequence === undefined || sequence > this.#changeSequence) this.#changeSequence = sequence;
    },
    writePendingNetconfs: (db) => this.#writeNetconfs(db, this.#takeNetconfs()),
  };

  constructor(pool: Pool, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    // A connection that breaks (the server restarts) fails the statement running on it, which is
    // answered as StorageUnavailableError; its 'error' event must not crash the process too.
    pool.on('connect', (client) => {
      client.on('error', () => {});
      const pid = (client as PoolClient & { processID?: number }).processID;
      if (typeof pid === 'number') this.#ownBackends.add(pid);
    });
    pool.on('remove', (client) => {
      const pid = (client as PoolClient & { processID?: number }).processID;
      if (typeof pid === 'number') this.#ownBackends.delete(pid);
    });
    pool.on('error', () => {});
    this.#listener = new ChangeListener(pool, {
      changed: (fromProcess) => {
        if (this.#ownBackends.has(fromProcess)) return;
        this.#externalChange();
      },
      // Notifications may have been missed while the listening connection was down.
      reconnected: () => this.#externalChange(),
    });
  }

  /**
   * Moves when this process deletes a network or a member, and when another process's change is
   * seen (see the header): what the master keeps in memory from an earlier generation is dropped.
   */
  get generation(): number {
    return this.#deletions + this.#moves;
  }

  /** Starts listening for other processes' changes; called once by openPostgresStorage. */
  async start(): Promise<void> {
    await this.read(function* (reader) {
      return yield* (reader as unknown as PgRead).observeChangeSequence();
    });
    await this.#listener.start();
  }

  /**
   * Calls `listener` whenever another process changed a revision or deleted a network (the
   * generation has moved); returns the function that stops it.
   */
  onExternalChange(listener: () => void): () => void {
    this.#externalListeners.add(listener);
    return () => this.#externalListeners.delete(listener);
  }

  #externalChange(): void {
    this.#moves++;
    for (const listener of this.#externalListeners) listener();
  }

  async transaction<T>(work: (tx: NetconfStoreTx) => StorageWork<T>, _options?: TransactionOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#connect();
      const tx = new PgTx(client, this.#observer);
      let value: T;
      const started = performance.now();
      try {
        await client.query('BEGIN');
        value = await runAsync(work(tx));
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        client.release(isUnavailable(error) ? toError(error) : undefined);
        const code = (error as { code?: unknown } | null)?.code;
        if (error instanceof RunAgain || (typeof code === 'string' && RETRYABLE_CODES.has(code))) {
          if (attempt < MAX_ATTEMPTS) {
            await backoff(attempt);
            continue;
          }
          throw new StorageContentionError(`transaction run ${attempt} times, losing to concurrent writers each time`, { cause: error });
        }
        throw this.#mapError(error);
      }
      client.release();
      this.#writes.count++;
      this.#writes.seconds += (performance.now() - started) / 1000;
      if (tx.deletedRows) this.#deletions++;
      this.#addSightings(tx);
      return value;
    }
  }

  /** The server syncs its own commits and makes no snapshots: those are null. */
  async stats(): Promise<StorageStats> {
    const row = await this.#pool.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
    return { writes: { ...this.#writes }, syncs: null, snapshots: null, databaseBytes: Number(row.rows[0]!.bytes) };
  }

  async read<T>(work: (reader: NetconfStoreReader) => StorageWork<T>): Promise<T> {
    const client = await this.#connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const value = await runAsync(work(new PgRead(client, this.#observer)));
      await client.query('COMMIT');
      client.release();
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(isUnavailable(error) ? toError(error) : undefined);
      throw this.#mapError(error);
    }
  }

  cacheNetconf(nwid: string, address: string, netconf: CachedNetconf): void {
    this.#netconfs.set(`${nwid}/${address}`, { nwid, address, netconf, generation: this.generation });
    this.#scheduleWrite();
  }

  /** A consistent SQLite image of the whole database (one snapshot); requests go on meanwhile. */
  async backup(): Promise<Uint8Array> {
    await this.flush();
    const { sqliteImageFromPostgres } = await import('./sqlite-image.js');
    return sqliteImageFromPostgres(this);
  }

  async flush(): Promise<void> {
    this.#writePending();
    await this.#pendingWrite;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#externalListeners.clear();
    await this.#listener.stop();
    if (this.#ownsPool) await this.#pool.end();
  }

  /** Runs `fn` on one connection outside any transaction of the store's (schema, backup, copy). */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    try {
      const value = await fn(client);
      client.release();
      return value;
    } catch (error) {
      client.release(isUnavailable(error) ? toError(error) : undefined);
      throw this.#mapError(error);
    }
  }

  async #connect(): Promise<PoolClient> {
    if (this.#closed) throw new ClosedError();
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw this.#mapError(error);
    }
  }

  #mapError(error: unknown): unknown {
    if (error instanceof StorageError || !isUnavailable(error)) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new StorageUnavailableError(`PostgreSQL is unavailable: ${reason}`, { cause: error });
  }

  #addSightings(tx: PgTx): void {
    if (tx.sightings.size === 0) return;
    addSightings(this.#sightings, tx.sightings);
    this.#scheduleWrite();
  }

  /** The pending netconfs cached in the current generation (those of an earlier one are dropped). */
  #takeNetconfs(): { nwid: string; address: string; netconf: CachedNetconf }[] {
    const generation = this.generation;
    const current = [...this.#netconfs.values()].filter((pending) => pending.generation === generation);
    this.#netconfs.clear();
    return current;
  }

  async #writeNetconfs(db: PgQueryable, netconfs: { nwid: string; address: string; netconf: CachedNetconf }[]): Promise<void> {
    if (netconfs.length === 0) return;
    await db.query(
      `UPDATE member SET cachednetconf = n.bytes, cachednetconfrevision = n.revision, cachednetconftimestamp = n.ts
       FROM unnest($1::char(16)[], $2::char(10)[], $3::bytea[], $4::bigint[], $5::bigint[]) AS n(networkid, nodeid, bytes, revision, ts)
       WHERE member.networkid = n.networkid AND member.nodeid = n.nodeid`,
      [
        netconfs.map((n) => n.nwid), netconfs.map((n) => n.address), netconfs.map((n) => Buffer.from(n.netconf.bytes)),
        netconfs.map((n) => uint64ToPg(n.netconf.revision)), netconfs.map((n) => n.netconf.timestamp),
      ],
    );
  }

  /** Writes the pending sightings and netconfs in one statement each; a failure loses only them. */
  #writePending(): void {
    if (this.#sightings.size === 0 && this.#netconfs.size === 0) return;
    const sightings = [...this.#sightings];
    const netconfs = this.#takeNetconfs();
    const write = async (): Promise<void> => {
      if (sightings.length > 0) {
        await this.#pool.query(
          `UPDATE node SET lastseen = greatest(node.lastseen, s.lastseen), lastat = coalesce(s.lastat, node.lastat),
             vmajor = coalesce(s.vmajor, node.vmajor), vminor = coalesce(s.vminor, node.vminor),
             vrev = coalesce(s.vrev, node.vrev), vproto = coalesce(s.vproto, node.vproto)
           FROM unnest($1::char(10)[], $2::bigint[], $3::text[], $4::integer[], $5::integer[], $6::integer[], $7::integer[])
             AS s(id, lastseen, lastat, vmajor, vminor, vrev, vproto)
           WHERE node.id = s.id`,
          [
            sightings.map(([id]) => id), sightings.map(([, s]) => s.lastSeen), sightings.map(([, s]) => s.lastAt),
            sightings.map(([, s]) => s.version?.major ?? null), sightings.map(([, s]) => s.version?.minor ?? null),
            sightings.map(([, s]) => s.version?.revision ?? null), sightings.map(([, s]) => s.version?.protocol ?? null),
          ],
        );
      }
      await this.#writeNetconfs(this.#pool, netconfs);
    };
    // Reads see pending sightings until they are written; a lost batch of statistics or cache is
    // not an error anyone waits for.
    this.#pendingWrite = this.#pendingWrite
      .then(write)
      .catch(() => {})
      .finally(() => {
        for (const [address, sighting] of sightings) {
          if (this.#sightings.get(address) === sighting) this.#sightings.delete(address);
        }
      });
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
