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
import type { MemberFields } from './member-fields.js';
export { CREDENTIAL_TYPES, type CredentialType, type MemberFields } from './member-fields.js';
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
/** `zt+rfc4193`: addresses from IPv6 pools and the computed rfc4193 address, both. */
export type V6AssignMode = 'none' | 'zt' | 'rfc4193' | 'zt+rfc4193' | 'dhcp6';
export const V4_ASSIGN_MODES: readonly V4AssignMode[] = ['none', 'zt', 'dhcp'];
export const V6_ASSIGN_MODES: readonly V6AssignMode[] = ['none', 'zt', 'rfc4193', 'zt+rfc4193', 'dhcp6'];

/** A node's software version from its request metadata; -1 where it did not say. */
export interface NodeVersion {
  major: number;
  minor: number;
  revision: number;
  protocol: number;
}

/** A managed route: `target` (network address and prefix) reached directly (`via` null) or through a gateway. */
export interface ManagedRoute {
  target: Cidr;
  via: { family: IpFamily; address: bigint } | null;
}

/**
 * An address pool: the addresses first..last of one family. `bits` is the prefix length of a pool
 * given as a CIDR (its range is the CIDR without the network and broadcast addresses), null for a
 * pool given as a range.
 */
export interface IpPool {
  family: IpFamily;
  first: bigint;
  last: bigint;
  bits: number | null;
}

export interface NodeRecord {
  address: string;
  /** The public identity string. */
  identity: string;
  /** The physical address last seen directly (`ip/port`), or null. */
  lastAt: string | null;
  firstSeen: number;
  lastSeen: number;
  /** From the latest request that carried it. */
  version: NodeVersion;
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
  /** The MTU members use (1280..10000). */
  mtu: number;
  /** The DNS search domain members are told ('' for none). */
  dnsDomain: string;
  /** DNS servers members are told, in order. */
  dnsServers: { family: IpFamily; address: bigint }[];
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

/**
 * A member as the store keeps it: the fields of `MemberFields` (the member's own settings and
 * history, which the master's public MemberInfo shows too), one row per member of a network.
 */
export interface MemberRow extends MemberFields {}

/**
 * Which members a page holds: those matching the filters, addresses ascending, skipping `offset`,
 * at most `limit`. A store reads only the page (LIMIT/OFFSET over the member key), never the whole network.
 */
export interface MemberPageQuery {
  offset: number;
  limit: number;
  /** Only members with this authorization (false: those waiting). */
  authorized?: boolean;
  /** Only members whose address holds this text, or whose name holds it ignoring ASCII case (lower case, non-empty). */
  search?: string;
}

export interface MemberCounts {
  total: number;
  authorized: number;
}

/** Members of every network, and those whose node was last seen at or after a time. */
export interface MembersSeen {
  members: number;
  seen: number;
}

/** A member's place in key order: its network, then its address. */
export interface MemberKey {
  networkId: string;
  address: string;
}

/** One page of a members-seen count: its figures, and the key of its last member (null: the last page). */
export interface MembersSeenPage extends MembersSeen {
  next: MemberKey | null;
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
  /** One page of the network's members (see MemberPageQuery), addresses ascending, read in the database. */
  pageMembers(nwid: string, query: MemberPageQuery): Awaitable<MemberRow[]>;
  /** How many members the network has, and how many of them are authorized, counted in the database. */
  countMembers(nwid: string): Awaitable<MemberCounts>;
  /**
   * Of the first `limit` members (in key order) after `after` (null: from the first), how many
   * there are and how many belong to a node seen at or after `since` (ms), counted in the
   * database (sightings still waiting for their write count from that write on). The master adds
   * the pages up, one read each, so that counting a million members never holds a synchronous
   * engine's thread long; an engine whose reads do not hold the caller's thread may count every
   * member after `after` at once (and answer `next: null`).
   */
  countMembersSeen(since: number, after: MemberKey | null, limit: number): Awaitable<MembersSeenPage>;
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
  getPools(nwid: string): Awaitable<IpPool[]>;
  /** Managed routes in the order they were given. */
  getRoutes(nwid: string): Awaitable<ManagedRoute[]>;
  /** Ethernet types of the network's rules with action `accept`. */
  getAcceptedEtherTypes(nwid: string): Awaitable<number[]>;
  getMulticastRates(nwid: string): Awaitable<MulticastRateRow[]>;

  /** A join token by its id (in any network), with its secret's hash. */
  getJoinToken(id: string): Awaitable<JoinTokenRow | undefined>;
  /** The network's join tokens, oldest first. */
  listJoinTokens(nwid: string): Awaitable<JoinTokenRow[]>;
  getMemberExpiry(nwid: string): Awaitable<MemberExpiryRow | undefined>;
  /** Every network's expiry policy, by network ID ascending. */
  listMemberExpiries(): Awaitable<MemberExpiryRow[]>;
  /**
   * Members of the network whose node was last seen before `time` (ms), addresses ascending.
   * Members whose node never asked for a config are not listed.
   */
  membersNotSeenSince(nwid: string, time: number): Awaitable<string[]>;
  /** Audit entries matching the query, oldest first. */
  listAuditEntries(query: AuditQuery): Awaitable<AuditEntryRow[]>;
}

export interface NetconfStoreTx extends NetconfStoreReader {
  /**
   * Marks this transaction as a claim (a new node, member or address) whose acknowledgment must
   * wait until it is durable, even in a transaction opened with `durability: 'deferred'`.
   */
  requireDurable(): void;

  insertNode(node: NodeRecord): Awaitable<void>;
  /** Updates lastSeen, lastAt when given, and the version when given. */
  touchNode(address: string, lastSeen: number, lastAt: string | null, version?: NodeVersion | null): void;

  insertNetwork(network: NetworkRow): Awaitable<void>;
  updateNetworkRow(nwid: string, settings: NetworkRowSettings): Awaitable<void>;
  /**
   * The store raises a network's revision itself whenever a change alters what members receive
   * (master.md §4), whoever writes. Between `holdRevision` and `releaseRevision` (in one
   * transaction) the raises asked for are merged into one, applied at the release.
   */
  holdRevision(nwid: string): Awaitable<void>;
  releaseRevision(nwid: string): Awaitable<void>;
  /** Deletes the network with its members, assignments, pools, routes, rules and multicast rates. */
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

  /** Replace the network's pools, routes, accepted Ethernet types and multicast rates. */
  setPools(nwid: string, pools: IpPool[]): Awaitable<void>;
  setRoutes(nwid: string, routes: ManagedRoute[]): Awaitable<void>;
  setAcceptedEtherTypes(nwid: string, etherTypes: number[]): Awaitable<void>;
  setMulticastRates(nwid: string, rates: MulticastRateRow[]): Awaitable<void>;

  insertJoinToken(token: JoinTokenRow): Awaitable<void>;
  /**
   * Spends one use of the token if it is still good at `now` (not revoked, not expired, uses left):
   * one atomic check-and-increment, so that concurrent spenders never exceed `maxUses`. Returns
   * whether a use was spent.
   */
  spendJoinToken(id: string, now: number): Awaitable<boolean>;
  /** Marks the token revoked; returns whether it was not revoked before. */
  revokeJoinToken(id: string): Awaitable<boolean>;
  /** Sets (or with null removes) the network's member expiry policy. */
  setMemberExpiry(nwid: string, policy: Omit<MemberExpiryRow, 'networkId'> | null): Awaitable<void>;
  /** Deletes the nodes among `addresses` that are a member of no network; returns them, ascending. */
  forgetNodesWithoutMembers(addresses: readonly string[]): Awaitable<string[]>;
  insertAuditEntry(entry: Omit<AuditEntryRow, 'id'>): Awaitable<void>;
  /** Deletes audit entries older than `before` (ms) and all but the newest `keep`; either may be null. */
  pruneAuditEntries(before: number | null, keep: number | null): Awaitable<void>;
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
  /** What the engine counted of its own work since it opened (metrics); absent when it counts nothing. */
  stats?(): Awaitable<StorageStats>;
}

/** How many times something ran, and the seconds it took in all. */
export interface TimingTotals {
  count: number;
  seconds: number;
}

/** What a storage engine counted of its own work since it opened (see NetconfStore.stats). */
export interface StorageStats {
  /** Write transactions run, and the seconds of each up to its commit (sql.js: those that wrote; PostgreSQL: every transaction, to COMMIT's answer). */
  writes: TimingTotals;
  /** Syncs to durable storage (one per batch of commits), or null when a server makes them (PostgreSQL). */
  syncs: TimingTotals | null;
  /** Snapshots written (the log compacted into the main file), or null when the engine makes none. */
  snapshots: TimingTotals | null;
  /** The database's size in bytes as stored, or null when unknown. */
  databaseBytes: number | null;
}


/** A join token as stored (schema version 5): the secret only as its SHA-256. */
export interface JoinTokenRow {
  /** 16 lower-case hex digits. */
  id: string;
  networkId: string;
  name: string;
  /** SHA-256 of the secret (32 bytes). */
  secretHash: Uint8Array;
  createdAt: number;
  /** ms since the epoch, or null for no expiry. */
  expiresAt: number | null;
  /** null for no limit. */
  maxUses: number | null;
  uses: number;
  revoked: boolean;
}

export type MemberExpiryAction = 'deauthorize' | 'delete';
export const MEMBER_EXPIRY_ACTIONS: readonly MemberExpiryAction[] = ['deauthorize', 'delete'];

/** A network's member expiry policy. */
export interface MemberExpiryRow {
  networkId: string;
  /** Members whose node was not seen for this long (ms) expire. */
  notSeenFor: number;
  action: MemberExpiryAction;
}

/** One administrative change (schema version 5). */
export interface AuditEntryRow {
  /** Ascending in the order entries were recorded. */
  id: number;
  time: number;
  /** Who: an admin service token's name, `cli`, a library caller's label, `token:<id>`, `expiry`. */
  actor: string;
  /** What: `networkCreated`, `memberAuthorized`, `joinTokenCreated`, ... */
  action: string;
  networkId: string | null;
  address: string | null;
  /** The fields changed, before and after, as JSON objects (null when there was none). */
  before: string | null;
  after: string | null;
}

/** Which audit entries to read: every condition given must hold. */
export interface AuditQuery {
  nwid?: string;
  address?: string;
  /** From this time (ms), inclusive. */
  since?: number;
  /** Before this time (ms), exclusive. */
  until?: number;
  /** The newest `limit` matching entries (still returned oldest first). */
  limit?: number;
}
