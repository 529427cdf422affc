/**
 * The master's storage interface over PostgreSQL (node-postgres), for several master processes
 * sharing one database.
 *
 * Transactions run at READ COMMITTED with the row and claim locks of `./pg-tx.ts`, so that
 * whatever runs at the same time in any process, no address is held twice, no update is lost, the
 * first identity that claims an address keeps it, and a revision never goes backwards. A
 * transaction that lost a race (a deadlock, a row another writer created first) runs again, a
 * bounded number of times, then fails with StorageContentionError. A transaction is acknowledged
 * only once committed.
 *
 * Statistics (a node's lastSeen, lastAt) and signed netconfs are written in batches after the
 * requests that produced them, as on sql.js: a crash may lose the last of them, never a claim.
 */
import type { Pool, PoolClient } from 'pg';
import { ClosedError, StorageError } from '../../errors.js';
import type { CachedNetconf } from '../../master/store.js';
import { scheduleSoon } from '../../schedule-soon.js';
import { PgRead } from './pg-read.js';
import { PgTx, RunAgain, type NodeSighting } from './pg-tx.js';
import { uint64ToPg } from './values.js';

/** PostgreSQL cancelled the transaction (deadlock, serialization failure): running it again is safe. */
const RETRYABLE_CODES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 12;

/** The server could not be reached, or went away: SQLSTATE classes 08 and 57P, and socket errors. */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error instanceof Error && /Connection terminated|connect|ECONN|EPIPE/i.test(error.message);
  return code.startsWith('08') || code.startsWith('57P') || code === 'ECONNREFUSED' || code === 'ECONNRESET' ||
    code === 'ENOENT' || code === 'EPIPE' || code === 'ETIMEDOUT';
}

/** The database server cannot be reached; the call changed nothing that was acknowledged. */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_UNAVAILABLE', message, options);
  }
}

/** Concurrent writers kept cancelling this transaction; nothing of it was committed. */
export class StorageContentionError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_CONTENTION', message, options);
  }
}

export interface PostgresTransactionOptions {
  durability?: 'sync' | 'deferred';
}

export class PostgresNetconfStore {
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #sightings = new Map<string, NodeSighting>();
  readonly #netconfs = new Map<string, { nwid: string; address: string; netconf: CachedNetconf }>();
  #writeScheduled = false;
  #pendingWrite: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(pool: Pool, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    // A connection that breaks (the server restarts) fails the statement running on it, which is
    // answered as StorageUnavailableError; its 'error' event must not crash the process too.
    pool.on('connect', (client) => client.on('error', () => {}));
    pool.on('error', () => {});
  }

  /** Another process's change is read by the next statement: nothing in memory goes stale. */
  readonly generation = 0;

  async transaction<T>(fn: (tx: PgTx) => T | Promise<T>, _options?: PostgresTransactionOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#connect();
      const tx = new PgTx(client);
      let value: T;
      try {
        await client.query('BEGIN');
        value = await fn(tx);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        client.release(isUnavailable(error));
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
      this.#afterCommit(tx);
      return value;
    }
  }

  async read<T>(fn: (reader: PgRead) => T | Promise<T>): Promise<T> {
    const client = await this.#connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const value = await fn(new PgRead(client));
      await client.query('COMMIT');
      client.release();
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(isUnavailable(error));
      throw this.#mapError(error);
    }
  }

  cacheNetconf(nwid: string, address: string, netconf: CachedNetconf): void {
    this.#netconfs.set(`${nwid}/${address}`, { nwid, address, netconf });
    this.#scheduleWrite();
  }

  async flush(): Promise<void> {
    this.#writePending();
    await this.#pendingWrite;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end();
  }

  /** Runs `fn` on one connection outside any transaction of the store's (schema, backup). */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    try {
      return await fn(client);
    } finally {
      client.release();
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

  #afterCommit(tx: PgTx): void {
    for (const { nwid, address } of tx.dropped) {
      for (const [key, pending] of this.#netconfs) {
        if (pending.nwid === nwid && (address === undefined || pending.address === address)) this.#netconfs.delete(key);
      }
    }
    if (tx.sightings.size === 0) return;
    for (const [address, sighting] of tx.sightings) {
      const earlier = this.#sightings.get(address);
      this.#sightings.set(address, { lastSeen: sighting.lastSeen, lastAt: sighting.lastAt ?? earlier?.lastAt ?? null });
    }
    this.#scheduleWrite();
  }

  #scheduleWrite(): void {
    if (this.#writeScheduled) return;
    this.#writeScheduled = true;
    scheduleSoon(() => {
      this.#writeScheduled = false;
      this.#writePending();
    });
  }

  /** Writes the pending sightings and netconfs in one statement each; a failure loses only them. */
  #writePending(): void {
    if (this.#sightings.size === 0 && this.#netconfs.size === 0) return;
    const sightings = [...this.#sightings];
    this.#sightings.clear();
    const netconfs = [...this.#netconfs.values()];
    this.#netconfs.clear();
    const write = async (): Promise<void> => {
      if (sightings.length > 0) {
        await this.#pool.query(
          `UPDATE node SET lastseen = greatest(node.lastseen, s.lastseen), lastat = coalesce(s.lastat, node.lastat)
           FROM unnest($1::text[], $2::bigint[], $3::text[]) AS s(id, lastseen, lastat) WHERE node.id = s.id`,
          [sightings.map(([id]) => id), sightings.map(([, s]) => s.lastSeen), sightings.map(([, s]) => s.lastAt)],
        );
      }
      if (netconfs.length > 0) {
        await this.#pool.query(
          `UPDATE member SET cachednetconf = n.bytes, cachednetconfrevision = n.revision, cachednetconftimestamp = n.ts
           FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[]) AS n(networkid, nodeid, bytes, revision, ts)
           WHERE member.networkid = n.networkid AND member.nodeid = n.nodeid`,
          [
            netconfs.map((n) => n.nwid), netconfs.map((n) => n.address), netconfs.map((n) => Buffer.from(n.netconf.bytes)),
            netconfs.map((n) => uint64ToPg(n.netconf.revision)), netconfs.map((n) => n.netconf.timestamp),
          ],
        );
      }
    };
    // A lost batch of statistics or cache is not an error anyone waits for.
    this.#pendingWrite = this.#pendingWrite.then(write).catch(() => {});
  }
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
