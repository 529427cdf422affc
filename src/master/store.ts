/**
 * The storage interface the master talks to (master.md §5). It is domain-level: no SQL here, so a
 * store over another engine (PostgreSQL, ...) can be written without touching the master.
 * src/storage/sql/sql-store.ts implements it over sql.js.
 *
 * One request path and one administration serve every engine. The master writes its work inside a
 * transaction (or a read) once, as a generator (`StorageWork`) that yields each storage call's
 * result and is resumed with its value: `const member = yield* call(tx.getMember(nwid, address))`.
 * Each store runs that work its own way:
 * - a synchronous engine (sql.js) answers every call with a value and runs the whole work at once
 *   inside its transaction (`runSync`): nothing can interleave, and no promise is made per call;
 * - an asynchronous engine (PostgreSQL) answers with promises and awaits each one (`runAsync`),
 *   keeping its guarantees with locks in the database (src/storage/postgres/pg-tx.ts).
 * The master decides everything one request needs inside one transaction (node, member, addresses,
 * and the netconf with its size checked). Signing comes after the commit, outside any transaction;
 * the signed netconf then reaches the store through `cacheNetconf`.
 *
 * Conventions: network IDs are hex16 strings, node addresses hex10 strings (both lower case),
 * revisions and other 64-bit values `bigint` (every uint64 must round-trip exactly), timestamps
 * milliseconds since the epoch as `number`. A stored value the store cannot read as its type is a
 * CorruptDatabaseError, never a default.
 */
import type { Cidr, IpFamily } from '../protocol/ip.js';

/** A value now (a synchronous engine) or later (an asynchronous one). */
export type Awaitable<T> = T | PromiseLike<T>;

/**
 * Work done inside one transaction or read: a generator yielding each storage call's result
 * (a value or a promise) and resumed with the value. Its return value is the work's result.
 */
export type StorageWork<T> = Generator<Awaitable<unknown>, T, unknown>;

/** A reader or transaction whose every call answers at once (a synchronous engine's). */
export type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> : T[K];
};

/** One storage call inside `StorageWork`, typed: `const row = yield* call(reader.getNetwork(id))`. */
export function* call<T>(result: Awaitable<T>): StorageWork<T> {
  return (yield result) as T;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs work whose every storage call answered with a value, at once (a synchronous engine). A
 * promise is a programming error: the work is stopped (its `finally` blocks run) and this throws.
 */
export function runSync<T>(work: StorageWork<T>): T {
  let step = work.next();
  while (!step.done) {
    if (isThenable(step.value)) {
      work.return(undefined as never);
      throw new TypeError('a synchronous store answered a storage call with a promise');
    }
    step = work.next(step.value);
  }
  return step.value;
}

/** Runs work awaiting each storage call's answer (an asynchronous engine); a rejection is thrown into the work. */
export async function runAsync<T>(work: StorageWork<T>): Promise<T> {
  let step = work.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = await step.value;
    } catch (error) {
      step = work.throw(error);
      continue;
    }
    step = work.next(value);
  }
  return step.value;
}

export type V4AssignMode = 'none' | 'zt' | 'dhcp';
export type V6AssignMode = 'none' | 'zt' | 'rfc4193' | 'dhcp6';
export const V4_ASSIGN_MODES: readonly V4AssignMode[] = ['none', 'zt', 'dhcp'];
export const V6_ASSIGN_MODES: readonly V6AssignMode[] = ['none', 'zt', 'rfc4193', 'dhcp6'];

export interface NodeRecord {
  address: string;
  /** The public identity string. */
  identity: string;
  /** The physical address last seen directly (`ip/port`), or null. */
  lastAt: string | null;
  firstSeen: number;
  lastSeen: number;
}

/** Network settings as stored in the network row itself. */
export interface NetworkRow {
  id: string;
  name: string;
  description: string;
  /** Members need authorization (default true). */
  private: boolean;
  enableBroadcast: boolean;
  allowPassiveBridging: boolean;
  v4AssignMode: V4AssignMode;
  v6AssignMode: V6AssignMode;
  multicastLimit: number;
  comRevisionMaxDelta: bigint;
  revision: bigint;
  creationTime: number;
}

export type NetworkRowSettings = Omit<NetworkRow, 'id' | 'revision' | 'creationTime'>;

export type NetworkStatus = Pick<NetworkRow, 'private' | 'revision'>;

export interface MemberStatus extends Pick<MemberRow, 'authorized' | 'clientReportedRevision'> {
  /** The revision the stored cached netconf was made at, or null when none is stored. */
  cachedNetconfRevision: bigint | null;
}

/** A request's node, network and member as stored; undefined where there is none. */
export interface RequestState {
  /** The node's stored public identity. */
  nodeIdentity: string | undefined;
  /** Whether the network is private, and its revision. */
  network: NetworkStatus | undefined;
  /** The member's authorization and the revisions it reported and was last sent. */
  member: MemberStatus | undefined;
}

export interface MemberRow {
  networkId: string;
  address: string;
  authorized: boolean;
  activeBridge: boolean;
  name: string;
  notes: string;
  /** When the member was last authorized (ms), or null. */
  authorizedAt: number | null;
  /** When the member was last de-authorized (ms), or null. */
  deauthorizedAt: number | null;
  clientReportedRevision: bigint | null;
}

/** A network whose revision moved, and the sequence number of that move (see the schema, version 4). */
export interface NetworkRevisionChange {
  nwid: string;
  revision: bigint;
  changeSequence: number;
}

export interface CachedNetconf {
  bytes: Uint8Array;
  revision: bigint;
  timestamp: number;
}

export interface MulticastRateRow {
  /** 12 lower-case hex digits; `000000000000` with ADI 0 is the network's default rate. */
  mac: string;
  adi: number;
  preload: number;
  maxBalance: number;
  accrual: number;
}

/** Reads; available both in transactions and in `read`. */
export interface NetconfStoreReader {
  getNode(address: string): Awaitable<NodeRecord | undefined>;
  /** What a request reads before it decides anything (master.md §1, steps 1–3), in one read. */
  getRequestState(nwid: string, address: string): Awaitable<RequestState>;
  getNetwork(nwid: string): Awaitable<NetworkRow | undefined>;
  /** Every network's ID, ascending. */
  listNetworkIds(): Awaitable<string[]>;
  /** Network IDs in [from, to] (hex16, inclusive), ascending, at most `limit`. */
  networkIdsInRange(from: string, to: string, limit: number): Awaitable<string[]>;
  getMember(nwid: string, address: string): Awaitable<MemberRow | undefined>;
  listMembers(nwid: string): Awaitable<MemberRow[]>;
  /** The member's cached netconf if it was made at `revision` (an older one is of no use). */
  getCachedNetconf(nwid: string, address: string, revision: bigint): Awaitable<CachedNetconf | undefined>;
  /** Authorized members flagged as active bridges, addresses ascending. */
  activeBridges(nwid: string): Awaitable<string[]>;
  /** Authorized members whose reported revision is missing or below `revision`. */
  membersBehind(nwid: string, revision: bigint): Awaitable<string[]>;
  /** The highest change sequence of any network (see `networksChangedSince`); 0 when none. */
  lastChangeSequence(): Awaitable<number>;
  /** Networks whose revision moved after change sequence `sequence`, oldest change first. */
  networksChangedSince(sequence: number): Awaitable<NetworkRevisionChange[]>;
  getAssignments(nwid: string, address: string): Awaitable<Cidr[]>;
  /** Every assignment of the network, by member address. */
  listAssignments(nwid: string): Awaitable<Map<string, Cidr[]>>;
  /** Who holds an address in the network, if anyone. */
  assignmentHolder(nwid: string, family: IpFamily, value: bigint): Awaitable<string | undefined>;
  /**
   * The lowest address of one family within [from, to] that nobody in the network holds, or null.
   * Must not cost time in proportion to the number of held addresses (master.md §3).
   */
  firstFreeAddress(nwid: string, family: IpFamily, from: bigint, to: bigint): Awaitable<bigint | null>;
  /** Pools in the order they were added. */
  getPools(nwid: string): Awaitable<Cidr[]>;
  /** Ethernet types of the network's rules with action `accept`. */
  getAcceptedEtherTypes(nwid: string): Awaitable<number[]>;
  getMulticastRates(nwid: string): Awaitable<MulticastRateRow[]>;
}

export interface NetconfStoreTx extends NetconfStoreReader {
  /**
   * Marks this transaction as a claim (a new node, member or address) whose acknowledgment must
   * wait until it is durable, even in a transaction opened with `durability: 'deferred'`.
   */
  requireDurable(): void;

  insertNode(node: NodeRecord): Awaitable<void>;
  /** Updates lastSeen, and lastAt when given. */
  touchNode(address: string, lastSeen: number, lastAt: string | null): void;

  insertNetwork(network: NetworkRow): Awaitable<void>;
  updateNetworkRow(nwid: string, settings: NetworkRowSettings): Awaitable<void>;
  /**
   * The store raises a network's revision itself whenever a change alters what members receive
   * (master.md §4), whoever writes. Between `holdRevision` and `releaseRevision` (in one
   * transaction) the raises asked for are merged into one, applied at the release.
   */
  holdRevision(nwid: string): Awaitable<void>;
  releaseRevision(nwid: string): Awaitable<void>;
  /** Deletes the network with its members, assignments, pools, rules and multicast rates. */
  deleteNetwork(nwid: string): Awaitable<void>;

  insertMember(member: MemberRow): Awaitable<void>;
  updateMember(member: MemberRow): Awaitable<void>;
  updateMemberReportedRevision(nwid: string, address: string, revision: bigint): Awaitable<void>;
  /** Deletes the member and releases its addresses. */
  deleteMember(nwid: string, address: string): Awaitable<void>;

  /**
   * Records an address; the store refuses (throws) an address already held in the network.
   * `automatic`: chosen from a pool while building this member's config, which raises no revision.
   */
  insertAssignment(nwid: string, address: string, assignment: Cidr, automatic?: boolean): Awaitable<void>;
  deleteAssignments(nwid: string, address: string): Awaitable<void>;

  /** Replace the network's pools, accepted Ethernet types and multicast rates. */
  setPools(nwid: string, pools: Cidr[]): Awaitable<void>;
  setAcceptedEtherTypes(nwid: string, etherTypes: number[]): Awaitable<void>;
  setMulticastRates(nwid: string, rates: MulticastRateRow[]): Awaitable<void>;
}

export interface TransactionOptions {
  /**
   * 'sync' (default): resolves once the change is durable. 'deferred': resolves at once and the
   * change rides on the next sync, unless the transaction called `requireDurable()`.
   */
  durability?: 'sync' | 'deferred';
}

export interface NetconfStore {
  /**
   * Changes whenever a revision could come back with other contents: a transaction deleted a
   * network or a member (its ID may return at a revision already used), or the stored state was
   * replaced (reloaded after another program's edit, rolled back after a failed write). What the
   * master keeps in memory from an earlier generation is then dropped (see master/netconf-cache.ts).
   */
  readonly generation: number;
  /**
   * Runs `work` as one transaction: committed when it returns, rolled back when it throws. An
   * engine may run it more than once (a race lost to another writer): it must not act outside the
   * store but through what it returns.
   */
  transaction<T>(work: (tx: NetconfStoreTx) => StorageWork<T>, options?: TransactionOptions): Promise<T>;
  /** Runs read-only work against a consistent committed state. */
  read<T>(work: (reader: NetconfStoreReader) => StorageWork<T>): Promise<T>;
  /**
   * Stores a member's signed netconf outside any request's transaction (it is signed after the
   * request commits). Only a cache: it may be written later in a batch and may be lost in a crash.
   * It is written only in the generation it was given in: a transaction that deletes a network or
   * a member first writes what is pending (so nothing lands on a row made afterwards), and after a
   * replaced state what was pending is not written.
   */
  cacheNetconf(nwid: string, address: string, netconf: CachedNetconf): void;
  /** A consistent image of the whole database as an ordinary SQLite file. */
  backup(): Promise<Uint8Array>;
  /** Waits until deferred changes are durable. */
  flush(): Promise<void>;
  /** Flushes and releases the storage. */
  close(): Promise<void>;
  /**
   * For an engine shared by several processes (PostgreSQL): calls `listener` whenever another
   * process changed a revision or deleted a network, once `generation` has moved; returns the
   * function that stops it. The master then reports the changes as it reports another program's.
   */
  onExternalChange?(listener: () => void): () => void;
}
