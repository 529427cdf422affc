/**
 * The storage interface the master talks to (master.md §5). It is domain-level: no SQL here, so a
 * store over another engine (PostgreSQL, ...) can be written without touching the master.
 * src/storage/sql/sql-store.ts implements it over sql.js.
 *
 * Transactions are synchronous inside: `transaction(fn)` runs `fn` with a transaction object whose
 * methods return values directly, and commits when `fn` returns (rolls back when it throws). The
 * master decides everything one request needs inside one such call (node, member, addresses, and
 * the netconf with its size checked), so requests can never interleave inside a transaction:
 * concurrency is safe by construction. Signing comes after the commit, outside any transaction;
 * the signed netconf then reaches the store through `cacheNetconf`. sql.js is synchronous, which
 * makes this possible. A store over an asynchronous engine would need an asynchronous variant of
 * this interface (and a lock per network or serializable transactions to keep the same guarantee).
 *
 * Conventions: network IDs are hex16 strings, node addresses hex10 strings (both lower case),
 * revisions and other 64-bit values `bigint` (every uint64 must round-trip exactly), timestamps
 * milliseconds since the epoch as `number`. A stored value the store cannot read as its type is a
 * CorruptDatabaseError, never a default.
 */
import type { Cidr, IpFamily } from '../protocol/ip.js';

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
  getNode(address: string): NodeRecord | undefined;
  /** What a request reads before it decides anything (master.md §1, steps 1–3), in one read. */
  getRequestState(nwid: string, address: string): RequestState;
  getNetwork(nwid: string): NetworkRow | undefined;
  /** Every network's ID, ascending. */
  listNetworkIds(): string[];
  /** Network IDs in [from, to] (hex16, inclusive), ascending, at most `limit`. */
  networkIdsInRange(from: string, to: string, limit: number): string[];
  getMember(nwid: string, address: string): MemberRow | undefined;
  listMembers(nwid: string): MemberRow[];
  /** The member's cached netconf if it was made at `revision` (an older one is of no use). */
  getCachedNetconf(nwid: string, address: string, revision: bigint): CachedNetconf | undefined;
  /** Authorized members flagged as active bridges, addresses ascending. */
  activeBridges(nwid: string): string[];
  /** Authorized members whose reported revision is missing or below `revision`. */
  membersBehind(nwid: string, revision: bigint): string[];
  getAssignments(nwid: string, address: string): Cidr[];
  /** Every assignment of the network, by member address. */
  listAssignments(nwid: string): Map<string, Cidr[]>;
  /** Who holds an address in the network, if anyone. */
  assignmentHolder(nwid: string, family: IpFamily, value: bigint): string | undefined;
  /**
   * The lowest address of one family within [from, to] that nobody in the network holds, or null.
   * Must not cost time in proportion to the number of held addresses (master.md §3).
   */
  firstFreeAddress(nwid: string, family: IpFamily, from: bigint, to: bigint): bigint | null;
  /** Pools in the order they were added. */
  getPools(nwid: string): Cidr[];
  /** Ethernet types of the network's rules with action `accept`. */
  getAcceptedEtherTypes(nwid: string): number[];
  getMulticastRates(nwid: string): MulticastRateRow[];
}

export interface NetconfStoreTx extends NetconfStoreReader {
  /**
   * Marks this transaction as a claim (a new node, member or address) whose acknowledgment must
   * wait until it is durable, even in a transaction opened with `durability: 'deferred'`.
   */
  requireDurable(): void;

  insertNode(node: NodeRecord): void;
  /** Updates lastSeen, and lastAt when given. */
  touchNode(address: string, lastSeen: number, lastAt: string | null): void;

  insertNetwork(network: NetworkRow): void;
  updateNetworkRow(nwid: string, settings: NetworkRowSettings): void;
  setNetworkRevision(nwid: string, revision: bigint): void;
  /** Deletes the network with its members, assignments, pools, rules and multicast rates. */
  deleteNetwork(nwid: string): void;

  insertMember(member: MemberRow): void;
  updateMember(member: MemberRow): void;
  updateMemberReportedRevision(nwid: string, address: string, revision: bigint): void;
  /** Deletes the member and releases its addresses. */
  deleteMember(nwid: string, address: string): void;

  /** Records an address; the store refuses (throws) an address already held in the network. */
  insertAssignment(nwid: string, address: string, assignment: Cidr): void;
  deleteAssignments(nwid: string, address: string): void;

  /** Replace the network's pools, accepted Ethernet types and multicast rates. */
  setPools(nwid: string, pools: Cidr[]): void;
  setAcceptedEtherTypes(nwid: string, etherTypes: number[]): void;
  setMulticastRates(nwid: string, rates: MulticastRateRow[]): void;
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
  /** Runs `fn` as one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: (tx: NetconfStoreTx) => T, options?: TransactionOptions): Promise<T>;
  /** Runs a read-only callback against the current committed state. */
  read<T>(fn: (reader: NetconfStoreReader) => T): T;
  /**
   * Stores a member's signed netconf outside any request's transaction (it is signed after the
   * request commits). Only a cache: it may be written later in a batch and may be lost in a crash.
   * It is written only in the generation it was given in: a transaction that deletes a network or
   * a member first writes what is pending (so nothing lands on a row made afterwards), and after a
   * replaced state what was pending is not written.
   */
  cacheNetconf(nwid: string, address: string, netconf: CachedNetconf): void;
  /** A consistent image of the whole database as an ordinary SQLite file. */
  backup(): Uint8Array;
  /** Waits until deferred changes are durable. */
  flush(): Promise<void>;
  /** Flushes and releases the storage. */
  close(): Promise<void>;
}
