/**
 * Administration of networks and members (api.md "Administration"; master.md §3, §4).
 *
 * Every operation validates its input before opening a transaction and runs as one durable
 * transaction. The revision is not raised here: the store raises it, in that same transaction,
 * whenever a change alters what any member's netconf would contain, whoever made the change
 * (src/storage/schema.ts, version 4); this module holds the network for the length of its
 * transaction so that one call raises it once. A change that alters nothing writes nothing.
 * After the commit a 'change' event tells the new revision; its list of members to send
 * NETWORK_CONFIG_REFRESH is computed only when a listener reads it.
 */
import { addressToHex, isReservedAddress, parseAddress } from '../crypto/address.js';
import { ConflictError, InvalidArgumentError, LimitExceededError, NotFoundError } from '../errors.js';
import { asInvalidArgument } from '../protocol/as-invalid-argument.js';
import { hex16, parseNetworkId } from '../protocol/ids.js';
import type { MasterContext } from './context.js';
import { changeEvent, type NetworkChangeEvent, type NetworkChangeType } from './events.js';
import { reportExternalChanges } from './external-changes.js';
import { MAX_ZT_ASSIGNED_ADDRESSES } from '../protocol/assigned-addresses.js';
import { searchFirstFree, wrappingRanges } from '../protocol/free-range.js';
import { formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '../protocol/ip.js';
import { BY_ADMINISTRATOR, newMember } from './new-member.js';
import { memberAuditFields, recordAudit, type AuditSnapshot } from './audit.js';
import { prefixFor, v6Rfc4193 } from './ip-assignment.js';
import {
  boundedText, DEFAULT_SETTINGS, MAX_MEMBER_NAME_BYTES, MAX_MEMBER_NOTES_BYTES, poolText, readPool, readPools, readRoutes,
  routeSettings, sameSettings, perGroupMulticastRates, validateSettings, type NetworkSettings, type NetworkSettingsInput,
} from './settings.js';
import type { MemberFields } from './member-fields.js';
import {
  call, type IpPool, type ManagedRoute, type MemberKey, type MembersSeenPage, type MemberPageQuery, type MemberRow, type NetconfStoreReader,
  type NetconfStoreTx, type NetworkRow, type StorageWork,
} from './store.js';
import { scheduleSoon } from '../schedule-soon.js';

/** A network as `getNetwork` shows it. */
export interface NetworkInfo extends NetworkSettings {
  id: string;
  /** Every pool as the range of addresses it gives (a CIDR pool without its network and broadcast addresses). */
  ipAssignmentPools: { ipRangeStart: string; ipRangeEnd: string }[];
  revision: bigint;
  creationTime: number;
}

/** What `createNetwork` accepts: settings, and optionally the ID (on this master's prefix, not taken). */
export interface NetworkCreation extends NetworkSettingsInput {
  id?: string | bigint;
}

/** A member as `getMember` / `listMembers` show it: its fields, its addresses and what is known of its node. */
export interface MemberInfo extends MemberFields {
  /**
   * CIDR strings, IPv4 first, ascending, with the prefix length the member receives (the smallest
   * managed route containing the address, else the pool's or the one given).
   */
  ipAssignments: string[];
  /** The node's public identity, or null when it never asked for a config. */
  identity: string | null;
  firstSeen: number | null;
  lastSeen: number | null;
  lastAt: string | null;
  /** The node's software version from its request metadata; -1 where unknown. */
  vMajor: number;
  vMinor: number;
  vRev: number;
  vProto: number;
}

/**
 * What `updateMember` changes, in one transaction (keys absent stay as they are). A member the
 * network has never seen is created only when `authorized` is given (pre-authorization or
 * pre-banning); otherwise NotFoundError.
 */
export interface MemberUpdate {
  name?: string;
  notes?: string;
  authorized?: boolean;
  activeBridge?: boolean;
  noAutoAssignIps?: boolean;
  /** Replaces the member's addresses, as `setIpAssignments`. */
  ipAssignments?: readonly string[];
}

const MEMBER_UPDATE_KEYS: ReadonlySet<string> = new Set(['name', 'notes', 'authorized', 'activeBridge', 'noAutoAssignIps', 'ipAssignments']);

/** The numbers of networks one master can serve: the low 24 bits of a network ID. */
const NETWORK_NUMBER_MAX = 0xffffffn;
const RANDOM_NETWORK_NUMBER_TRIES = 8;

// ---------------------------------------------------------------------------------------------
// Networks

export async function createNetwork(context: MasterContext, input?: NetworkCreation): Promise<string> {
  const { id: wantedId, ...settingsInput } = input ?? {};
  const settings: NetworkSettings = { ...cloneSettings(DEFAULT_SETTINGS), ...validateSettings(settingsInput) };
  const wanted = wantedId === undefined ? null : requireNetworkId(wantedId);
  if (wanted !== null && BigInt('0x' + wanted) >> 24n !== context.address) {
    throw new InvalidArgumentError(`network ${wanted} belongs to another master (this one is ${addressToHex(context.address)})`);
  }
  const now = context.now();
  const randomStart = randomNetworkNumber(context);
  const nwid = await context.store.transaction(function* (tx) {
    let id: string;
    if (wanted === null) id = yield* allocateNetworkId(context, tx, randomStart);
    else if ((yield* call(tx.getNetwork(wanted))) !== undefined) throw new ConflictError(`network ${wanted} exists already`);
    else id = wanted;
    // The lists first: with no network row yet, the store's revision triggers have nothing to raise.
    yield* writeListSettings(tx, id, settings);
    yield* call(tx.insertNetwork({ id, ...rowSettings(settings), revision: 1n, creationTime: now }));
    yield* recordAudit(context, tx, context.actor, { action: 'networkCreated', nwid: id, before: undefined, after: { ...settings } });
    return id;
  });
  context.events.emit('change', changeEvent({ type: 'networkCreated', nwid, revision: 1n }, async () => []));
  warnOfPerGroupRates(context, nwid, settings);
  return nwid;
}

export async function getNetwork(context: MasterContext, nwid: string | bigint): Promise<NetworkInfo | null> {
  const id = requireNetworkId(nwid);
  return context.store.read(function* (reader) {
    const row = yield* call(reader.getNetwork(id));
    return row === undefined ? null : yield* networkInfo(reader, row);
  });
}

export async function listNetworks(context: MasterContext): Promise<NetworkInfo[]> {
  return context.store.read(function* (reader) {
    const networks: NetworkInfo[] = [];
    for (const id of yield* call(reader.listNetworkIds())) {
      const row = yield* call(reader.getNetwork(id));
      if (row !== undefined) networks.push(yield* networkInfo(reader, row));
    }
    return networks;
  });
}

export async function updateNetwork(
  context: MasterContext,
  nwid: string | bigint,
  patch: NetworkSettingsInput,
): Promise<void> {
  const id = requireNetworkId(nwid);
  if (patch === null || typeof patch !== 'object') throw new InvalidArgumentError('network settings patch must be an object');
  const changes = validateSettings(patch);
  let after: NetworkSettings | undefined;
  const changed = await change(context, id, { type: 'networkUpdated' }, function* (tx, network) {
    const before = yield* readSettings(tx, network);
    after = { ...before, ...changes };
    if (sameSettings(before, after)) return false;
    yield* call(tx.updateNetworkRow(id, rowSettings(after)));
    yield* writeListSettings(tx, id, after);
    return true;
  });
  if (changed && changes.multicastRates !== undefined) warnOfPerGroupRates(context, id, after!);
}

export async function deleteNetwork(context: MasterContext, nwid: string | bigint): Promise<void> {
  const id = requireNetworkId(nwid);
  const { revision, refresh } = await context.store.transaction(function* (tx) {
    const network = yield* requireNetwork(tx, id);
    // Every authorized member should ask again (and learn the network is gone).
    const refresh = yield* call(tx.membersBehind(id, network.revision + 1n));
    const before = yield* auditSnapshot(tx, id, undefined);
    yield* call(tx.deleteNetwork(id));
    yield* recordAudit(context, tx, context.actor, { action: 'networkDeleted', nwid: id, before, after: undefined });
    return { revision: network.revision, refresh };
  });
  context.events.emit('change', changeEvent({ type: 'networkDeleted', nwid: id, revision }, async () => refresh));
}

export async function addIpPool(context: MasterContext, nwid: string | bigint, cidr: string): Promise<void> {
  const id = requireNetworkId(nwid);
  const pool = readPool(cidr);
  await change(context, id, { type: 'networkUpdated' }, function* (tx) {
    const pools = yield* call(tx.getPools(id));
    if (pools.some((existing) => samePool(existing, pool))) return false;
    yield* call(tx.setPools(id, [...pools, pool]));
    return true;
  });
}

export async function removeIpPool(context: MasterContext, nwid: string | bigint, cidr: string): Promise<void> {
  const id = requireNetworkId(nwid);
  const pool = readPool(cidr);
  await change(context, id, { type: 'networkUpdated' }, function* (tx) {
    const pools = yield* call(tx.getPools(id));
    const kept = pools.filter((existing) => !samePool(existing, pool));
    if (kept.length === pools.length) throw new NotFoundError(`network ${id} has no pool ${poolText(pool)}`);
    yield* call(tx.setPools(id, kept));
    return true;
  });
}

/** Authorized members whose last reported revision is older than the network's (or unknown). */
export async function membersToRefresh(context: MasterContext, nwid: string | bigint): Promise<string[]> {
  const id = requireNetworkId(nwid);
  return context.store.read(function* (reader) {
    const network = yield* requireNetwork(reader, id);
    return yield* call(reader.membersBehind(id, network.revision));
  });
}

// ---------------------------------------------------------------------------------------------
// Members

export async function getMember(
  context: MasterContext,
  nwid: string | bigint,
  address: string | bigint,
): Promise<MemberInfo | null> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  return context.store.read(function* (reader) {
    const row = yield* call(reader.getMember(id, member));
    if (row === undefined) return null;
    const routes = yield* call(reader.getRoutes(id));
    return yield* memberInfo(reader, row, yield* call(reader.getAssignments(id, member)), routes);
  });
}

export async function listMembers(context: MasterContext, nwid: string | bigint): Promise<MemberInfo[]> {
  const id = requireNetworkId(nwid);
  return context.store.read(function* (reader) {
    yield* requireNetwork(reader, id);
    const assignments = yield* call(reader.listAssignments(id));
    const routes = yield* call(reader.getRoutes(id));
    const members: MemberInfo[] = [];
    for (const row of yield* call(reader.listMembers(id))) {
      members.push(yield* memberInfo(reader, row, assignments.get(row.address) ?? [], routes));
    }
    return members;
  });
}

/** Members of every network, and how many belong to a node seen at or after `since` (ms); counted in the database. */
export async function countMembersSeen(context: MasterContext, since: number): Promise<{ members: number; seen: number }> {
  if (typeof since !== 'number' || Number.isNaN(since)) throw new InvalidArgumentError(`since must be a time in ms, got ${String(since)}`);
  const total = { members: 0, seen: 0 };
  let after: MemberKey | null = null;
  for (;;) {
    const from: MemberKey | null = after;
    const page: MembersSeenPage = await context.store.read(function* (reader) {
      return yield* call(reader.countMembersSeen(since, from, MEMBERS_SEEN_PAGE));
    });
    total.members += page.members;
    total.seen += page.seen;
    if (page.next === null) return total;
    after = page.next;
    // Requests go on between two pages (the count is a gauge, not a snapshot).
    await new Promise<void>((resolve) => scheduleSoon(resolve));
  }
}

/** Which members `pageMembers` answers (see MemberPage). */
export interface MemberPageInput {
  /** Members skipped (default 0). */
  offset?: number;
  /** At most this many (default 100; 0 answers the counts only). */
  limit?: number;
  /** Only members with this authorization (false: those waiting for it). */
  authorized?: boolean;
  /** Only members whose address holds this text, or whose name holds it ignoring ASCII case. */
  search?: string;
}

/** One page of a network's members, addresses ascending, with the counts of the whole network. */
export interface MemberPage {
  members: MemberInfo[];
  /** Members of the network (whatever the filters). */
  total: number;
  /** Authorized members of the network (whatever the filters). */
  authorized: number;
}

export const DEFAULT_MEMBER_PAGE_LIMIT = 100;

/** Members counted per read by countMembersSeen: a few milliseconds of sql.js each. */
const MEMBERS_SEEN_PAGE = 2_000;

/**
 * A page of a network's members, read page by page in the database: its cost does not grow with
 * the network's size (save the counts, which the database makes from its index).
 */
export async function pageMembers(context: MasterContext, nwid: string | bigint, input: MemberPageInput = {}): Promise<MemberPage> {
  const id = requireNetworkId(nwid);
  const count = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${value}`);
    return value;
  };
  const query: MemberPageQuery = {
    offset: count('offset', input.offset, 0),
    limit: count('limit', input.limit, DEFAULT_MEMBER_PAGE_LIMIT),
  };
  if (input.authorized !== undefined) query.authorized = input.authorized;
  if (input.search !== undefined && input.search !== '') {
    if (typeof input.search !== 'string') throw new InvalidArgumentError('search must be a string');
    query.search = input.search.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  }
  return context.store.read(function* (reader) {
    yield* requireNetwork(reader, id);
    const counts = yield* call(reader.countMembers(id));
    const members: MemberInfo[] = [];
    if (query.limit > 0) {
      const routes = yield* call(reader.getRoutes(id));
      for (const row of yield* call(reader.pageMembers(id, query))) {
        members.push(yield* memberInfo(reader, row, yield* call(reader.getAssignments(id, row.address)), routes));
      }
    }
    return { members, ...counts };
  });
}

/**
 * Authorizes or de-authorizes one member. One that never asked yet is created with it
 * (pre-authorization, pre-banning: a pre-banned member stays out of a public network too).
 * De-authorization raises the revision by the COM revision max delta + 1 (the store does), so the
 * member's last certificate stops agreeing with those issued afterwards (master.md §4).
 */
export async function setMemberAuthorization(
  context: MasterContext,
  nwid: string | bigint,
  address: string | bigint,
  authorized: boolean,
): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  await setAuthorization(context, id, [member], authorized, { type: authorized ? 'memberAuthorized' : 'memberDeauthorized', address: member });
}

/** Authorizes or de-authorizes many members in one transaction and one revision change (see setMemberAuthorization). */
export async function setMembersAuthorization(
  context: MasterContext,
  nwid: string | bigint,
  addresses: readonly (string | bigint)[],
  authorized: boolean,
): Promise<void> {
  const id = requireNetworkId(nwid);
  const members = requireMemberAddresses(addresses);
  await setAuthorization(context, id, members, authorized, { type: authorized ? 'membersAuthorized' : 'membersDeauthorized' });
}

/**
 * Sets the authorization of `members` (addresses checked, distinct). Members without a row are
 * created with it (pre-authorization, pre-banning). A bulk event lists the members that changed.
 */
async function setAuthorization(
  context: MasterContext,
  nwid: string,
  members: readonly string[],
  authorized: boolean,
  event: ChangeDescription,
): Promise<void> {
  const now = context.now();
  const changedMembers: string[] = [];
  await change(context, nwid, event, function* (tx) {
    changedMembers.length = 0; // the work runs again after another program's edit is reloaded, or a lost race
    for (const member of members) {
      const row = yield* call(tx.getMember(nwid, member));
      let after: MemberRow;
      if (row === undefined) {
        const created = newMember(nwid, member, now, authorized ? BY_ADMINISTRATOR : null);
        after = authorized ? created : { ...created, deauthorizedAt: now };
        yield* call(tx.insertMember(after));
      } else if (row.authorized !== authorized) {
        after = authorized
          ? { ...row, authorized, authorizedAt: now, lastAuthorizedCredentialType: BY_ADMINISTRATOR.type, lastAuthorizedCredential: BY_ADMINISTRATOR.id }
          : { ...row, authorized, deauthorizedAt: now };
        yield* call(tx.updateMember(after));
      } else {
        continue;
      }
      yield* recordAudit(context, tx, context.actor, {
        action: authorized ? 'memberAuthorized' : 'memberDeauthorized', nwid, address: member,
        before: row === undefined ? undefined : memberAuditFields(row), after: memberAuditFields(after),
      });
      changedMembers.push(member);
    }
    return changedMembers.length > 0;
  }, () => (event.address === undefined ? { addresses: changedMembers } : {}), 'byApply');
}

export async function setActiveBridge(
  context: MasterContext,
  nwid: string | bigint,
  address: string | bigint,
  on: boolean,
): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  if (typeof on !== 'boolean') throw new InvalidArgumentError('setActiveBridge needs true or false');
  await change(context, id, { type: 'activeBridgeChanged', address: member }, function* (tx) {
    const row = yield* requireMember(tx, id, member);
    if (row.activeBridge === on) return false;
    yield* call(tx.updateMember({ ...row, activeBridge: on }));
    return true;
  });
}

/**
 * Changes a member in one transaction (see MemberUpdate): its name and notes (shown to
 * administrators only), authorization, active bridge flag, `noAutoAssignIps` and addresses. Every
 * field is checked before the transaction; an address held by another member → ConflictError; more
 * addresses than a 2015 node accepts → LimitExceededError; nothing changed then. The revision rises
 * once, by max delta + 1 when the member is de-authorized.
 */
export async function updateMember(
  context: MasterContext,
  nwid: string | bigint,
  address: string | bigint,
  update: MemberUpdate,
): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  if (update === null || typeof update !== 'object') throw new InvalidArgumentError('member update must be an object');
  for (const [key, value] of Object.entries(update)) {
    if (!MEMBER_UPDATE_KEYS.has(key)) throw new InvalidArgumentError(`unknown member field ${JSON.stringify(key)}`);
    if (['authorized', 'activeBridge', 'noAutoAssignIps'].includes(key) && value !== undefined && typeof value !== 'boolean') {
      throw new InvalidArgumentError(`member ${key} must be true or false`);
    }
  }
  const name = update.name === undefined ? undefined : boundedText(update.name, 'member name', MAX_MEMBER_NAME_BYTES);
  const notes = update.notes === undefined ? undefined : boundedText(update.notes, 'member notes', MAX_MEMBER_NOTES_BYTES);
  const wanted = update.ipAssignments === undefined ? undefined : readAssignments(update.ipAssignments);
  const now = context.now();
  let authorizationChanged = false;
  const type = (): NetworkChangeType =>
    authorizationChanged ? (update.authorized ? 'memberAuthorized' : 'memberDeauthorized') : 'memberUpdated';
  const description = { type: 'memberUpdated' as NetworkChangeType, address: member };
  await change(context, id, description, function* (tx, network) {
    authorizationChanged = false;
    let row = yield* call(tx.getMember(id, member));
    let changed = false;
    if (row === undefined) {
      if (update.authorized === undefined) throw new NotFoundError(`network ${id} has no member ${member}`);
      const created = newMember(id, member, now, update.authorized ? BY_ADMINISTRATOR : null);
      row = update.authorized ? created : { ...created, deauthorizedAt: now };
      yield* call(tx.insertMember(row));
      authorizationChanged = changed = true;
    }
    if (wanted !== undefined) changed = (yield* replaceAssignments(tx, network, member, wanted)) || changed;
    const next: MemberRow = {
      ...row,
      name: name ?? row.name,
      notes: notes ?? row.notes,
      activeBridge: update.activeBridge ?? row.activeBridge,
      noAutoAssignIps: update.noAutoAssignIps ?? row.noAutoAssignIps,
    };
    if (update.authorized !== undefined && update.authorized !== row.authorized) {
      next.authorized = update.authorized;
      if (update.authorized) {
        next.authorizedAt = now;
        next.lastAuthorizedCredentialType = BY_ADMINISTRATOR.type;
        next.lastAuthorizedCredential = BY_ADMINISTRATOR.id;
      } else {
        next.deauthorizedAt = now;
      }
      authorizationChanged = true;
    }
    const rowChanged = (Object.keys(next) as (keyof MemberRow)[]).some((key) => next[key] !== row[key]);
    if (rowChanged) yield* call(tx.updateMember(next));
    description.type = type();
    return changed || rowChanged;
  });
}

/**
 * Replaces a member's addresses with `cidrs` (`10.1.2.3/24`, `fd00::5/64`; without `/bits` the
 * full width, never /0). Each must be a valid address given once; one held by another member of
 * the network → ConflictError; more than a 2015 node accepts (MAX_ZT_ASSIGNED_ADDRESSES, counting
 * the rfc4193 address the network gives) → LimitExceededError; nothing changed.
 */
export async function setIpAssignments(
  context: MasterContext,
  nwid: string | bigint,
  address: string | bigint,
  cidrs: readonly string[],
): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  const wanted = readAssignments(cidrs);
  await change(context, id, { type: 'ipAssignmentsChanged', address: member }, function* (tx, network) {
    yield* requireMember(tx, id, member);
    return yield* replaceAssignments(tx, network, member, wanted);
  });
}

/** Checks addresses given by an administrator: each valid, given once, not /0, at most the limit. */
function readAssignments(cidrs: readonly string[]): Cidr[] {
  if (!Array.isArray(cidrs)) throw new InvalidArgumentError('setIpAssignments needs an array of CIDR strings');
  const wanted: Cidr[] = [];
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (cidr.bits === 0) throw new InvalidArgumentError(`address ${text} has prefix length 0, which a 2015 node reads as none`);
    if (wanted.some((other) => other.family === cidr.family && other.address === cidr.address)) {
      throw new InvalidArgumentError(`address ${text} given twice`);
    }
    wanted.push(cidr);
  }
  if (wanted.length > MAX_ZT_ASSIGNED_ADDRESSES) throw tooManyAddresses(wanted.length, 0);
  return wanted;
}

/** Replaces a member's addresses inside a transaction; returns whether anything changed. */
function* replaceAssignments(tx: NetconfStoreTx, network: NetworkRow, member: string, wanted: readonly Cidr[]): StorageWork<boolean> {
  const id = network.id;
  const computed = v6Rfc4193(network) ? 1 : 0;
  if (wanted.length + computed > MAX_ZT_ASSIGNED_ADDRESSES) throw tooManyAddresses(wanted.length, computed);
  for (const cidr of wanted) {
    const holder = yield* call(tx.assignmentHolder(id, cidr.family, cidr.address));
    if (holder !== undefined && holder !== member) {
      throw new ConflictError(`${formatCidr(cidr)} is already assigned to ${holder} in network ${id}`);
    }
  }
  const before = (yield* call(tx.getAssignments(id, member))).map(formatCidr).sort();
  const after = wanted.map(formatCidr).sort();
  if (before.length === after.length && before.every((cidr, i) => cidr === after[i])) return false;
  yield* call(tx.deleteAssignments(id, member));
  for (const cidr of wanted) yield* call(tx.insertAssignment(id, member, cidr));
  return true;
}

function tooManyAddresses(given: number, computed: number): LimitExceededError {
  return new LimitExceededError(
    `${given} addresses${computed > 0 ? ' plus the rfc4193 one' : ''} exceed the ${MAX_ZT_ASSIGNED_ADDRESSES} ` +
      `a 2015 node accepts in one netconf`,
  );
}

/** Removes a member and releases its addresses. Its node record stays. */
export async function deleteMember(context: MasterContext, nwid: string | bigint, address: string | bigint): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  await change(context, id, { type: 'memberDeleted', address: member }, function* (tx) {
    yield* requireMember(tx, id, member);
    yield* call(tx.deleteMember(id, member));
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** What a change event says besides the network and its revision. */
export interface ChangeDescription {
  type: NetworkChangeType;
  address?: string;
}

/** Rolls back a change that turned out to alter nothing, so that it writes nothing at all. */
const NOTHING_CHANGED = Symbol('nothing changed');

/**
 * Runs one administrative change on an existing network, holding its revision so that the store
 * raises it at most once (src/storage/schema.ts). `apply` returns whether it changed anything;
 * when it did, a 'change' event follows the commit (with `extra()` fields). Returns whether it did.
 */
export async function change(
  context: MasterContext,
  nwid: string,
  description: ChangeDescription,
  apply: (tx: NetconfStoreTx, network: NetworkRow) => StorageWork<boolean>,
  extra: () => Partial<NetworkChangeEvent> = () => ({}),
  audit: 'snapshots' | 'byApply' = 'snapshots',
): Promise<boolean> {
  let revision: bigint;
  try {
    revision = await context.store.transaction(function* (tx) {
      yield* context.externalChanges.notice(tx);
      const network = yield* requireNetwork(tx, nwid);
      yield* call(tx.holdRevision(nwid));
      // The audit trail records the fields that changed (a bulk change records each member itself).
      const before = audit === 'snapshots' ? yield* auditSnapshot(tx, nwid, description.address) : undefined;
      if (!(yield* apply(tx, network))) throw NOTHING_CHANGED;
      if (audit === 'snapshots') {
        yield* recordAudit(context, tx, context.actor, {
          action: description.type, nwid, address: description.address ?? null,
          before, after: yield* auditSnapshot(tx, nwid, description.address),
        });
      }
      yield* call(tx.releaseRevision(nwid));
      const after = (yield* requireNetwork(tx, nwid)).revision;
      if (after !== network.revision) yield* context.externalChanges.ownChange(tx);
      return after;
    });
  } catch (error) {
    if (error === NOTHING_CHANGED) return false;
    throw error;
  } finally {
    reportExternalChanges(context);
  }
  context.events.emit('change', changeEvent({ ...description, ...extra(), nwid, revision }, membersBehind(context, nwid, revision)));
  return true;
}

/** A network's settings, or a member's fields and addresses, as the audit trail shows them. */
function* auditSnapshot(reader: NetconfStoreReader, nwid: string, address: string | undefined): StorageWork<AuditSnapshot> {
  if (address === undefined) {
    const network = yield* call(reader.getNetwork(nwid));
    return network === undefined ? undefined : { ...(yield* readSettings(reader, network)) };
  }
  const row = yield* call(reader.getMember(nwid, address));
  if (row === undefined) return undefined;
  return { ...memberAuditFields(row), ipAssignments: (yield* call(reader.getAssignments(nwid, address))).map(formatCidr) };
}

function membersBehind(context: MasterContext, nwid: string, revision: bigint): () => Promise<string[]> {
  return () => context.store.read(function* (reader) {
    return yield* call(reader.membersBehind(nwid, revision));
  });
}

function* requireMember(reader: NetconfStoreReader, nwid: string, address: string): StorageWork<MemberRow> {
  const row = yield* call(reader.getMember(nwid, address));
  if (row === undefined) throw new NotFoundError(`network ${nwid} has no member ${address}`);
  return row;
}

function warnOfPerGroupRates(context: MasterContext, nwid: string, settings: NetworkSettings): void {
  const groups = perGroupMulticastRates(settings.multicastRates);
  if (groups.length === 0) return;
  context.events.emit('warning', {
    type: 'perGroupMulticastRates',
    nwid,
    message:
      `network ${nwid} has multicast rates for ${groups.length} particular group(s) (${groups.slice(0, 3).join(', ')}` +
      `${groups.length > 3 ? ', ...' : ''}): 2015 nodes misread every rate but the default, so on them ` +
      `these rates collide with each other and may override the default rate`,
  });
}

export function* requireNetwork(reader: NetconfStoreReader, nwid: string): StorageWork<NetworkRow> {
  const network = yield* call(reader.getNetwork(nwid));
  if (network === undefined) throw new NotFoundError(`no network ${nwid}`);
  return network;
}

export function requireNetworkId(nwid: string | bigint): string {
  return asInvalidArgument(() => hex16(parseNetworkId(nwid)));
}

function requireMemberAddress(address: string | bigint): string {
  const value = asInvalidArgument(() => parseAddress(address));
  if (isReservedAddress(value)) throw new InvalidArgumentError(`address ${addressToHex(value)} is reserved`);
  return addressToHex(value);
}

function requireMemberAddresses(addresses: readonly (string | bigint)[]): string[] {
  if (!Array.isArray(addresses)) throw new InvalidArgumentError('an array of member addresses expected');
  return [...new Set(addresses.map(requireMemberAddress))];
}

function randomNetworkNumber(context: MasterContext): bigint {
  const bytes = context.random(3);
  if (!(bytes instanceof Uint8Array) || bytes.length < 3) {
    throw new InvalidArgumentError('the random option must return the number of bytes asked for');
  }
  return (BigInt(bytes[0]!) << 16n) | (BigInt(bytes[1]!) << 8n) | BigInt(bytes[2]!);
}

/**
 * A free network ID: the master's address in the top 40 bits and a free 24-bit number, tried at
 * random first, then the next free number after a random point (wrapping).
 */
function* allocateNetworkId(context: MasterContext, tx: NetconfStoreTx, firstTry: bigint): StorageWork<string> {
  const prefix = context.address << 24n;
  let number = firstTry;
  for (let i = 0; i < RANDOM_NETWORK_NUMBER_TRIES; i++) {
    const id = hex16(prefix | number);
    if ((yield* call(tx.getNetwork(id))) === undefined) return id;
    number = randomNetworkNumber(context);
  }
  for (const [from, to] of wrappingRanges(0n, NETWORK_NUMBER_MAX, number)) {
    // The free-number search asks for taken numbers a batch at a time; the store answers each batch.
    const search = searchFirstFree(from, to);
    let step = search.next();
    while (!step.done) {
      const { from: low, to: high, limit } = step.value;
      const ids = yield* call(tx.networkIdsInRange(hex16(prefix | low), hex16(prefix | high), limit));
      step = search.next(ids.map((id) => BigInt('0x' + id) & NETWORK_NUMBER_MAX));
    }
    if (step.value !== null) return hex16(prefix | step.value);
  }
  throw new LimitExceededError('this master already serves 2^24 networks, the protocol limit');
}

function rowSettings(settings: NetworkSettings): Omit<NetworkRow, 'id' | 'revision' | 'creationTime'> {
  return {
    name: settings.name,
    description: settings.description,
    private: settings.private,
    enableBroadcast: settings.enableBroadcast,
    allowPassiveBridging: settings.allowPassiveBridging,
    v4AssignMode: settings.v4AssignMode,
    v6AssignMode: settings.v6AssignMode,
    multicastLimit: settings.multicastLimit,
    comRevisionMaxDelta: settings.comRevisionMaxDelta,
    mtu: settings.mtu,
    dnsDomain: settings.dns.domain,
    dnsServers: settings.dns.servers.map((server) => parseIp(server)),
  };
}

function* writeListSettings(tx: NetconfStoreTx, nwid: string, settings: NetworkSettings): StorageWork<void> {
  yield* call(tx.setPools(nwid, readPools(settings.ipPools)));
  yield* call(tx.setRoutes(nwid, readRoutes(settings.routes)));
  yield* call(tx.setAcceptedEtherTypes(nwid, settings.etherTypes));
  yield* call(tx.setMulticastRates(nwid, settings.multicastRates));
}

function* readSettings(reader: NetconfStoreReader, row: NetworkRow): StorageWork<NetworkSettings> {
  const pools = yield* call(reader.getPools(row.id));
  const routes = yield* call(reader.getRoutes(row.id));
  const etherTypes = yield* call(reader.getAcceptedEtherTypes(row.id));
  const multicastRates = yield* call(reader.getMulticastRates(row.id));
  return {
    name: row.name,
    description: row.description,
    private: row.private,
    enableBroadcast: row.enableBroadcast,
    allowPassiveBridging: row.allowPassiveBridging,
    v4AssignMode: row.v4AssignMode,
    v6AssignMode: row.v6AssignMode,
    ipPools: pools.map(poolText),
    routes: routes.map(routeSettings),
    dns: { domain: row.dnsDomain, servers: row.dnsServers.map((server) => formatIp(server.family, server.address)) },
    mtu: row.mtu,
    etherTypes,
    multicastLimit: row.multicastLimit,
    multicastRates,
    comRevisionMaxDelta: row.comRevisionMaxDelta,
  };
}

function* networkInfo(reader: NetconfStoreReader, row: NetworkRow): StorageWork<NetworkInfo> {
  const settings = yield* readSettings(reader, row);
  const ipAssignmentPools = readPools(settings.ipPools).map((pool) => ({
    ipRangeStart: formatIp(pool.family, pool.first),
    ipRangeEnd: formatIp(pool.family, pool.last),
  }));
  return { id: row.id, ...settings, ipAssignmentPools, revision: row.revision, creationTime: row.creationTime };
}

function* memberInfo(
  reader: NetconfStoreReader,
  row: MemberRow,
  assignments: Cidr[],
  routes: readonly ManagedRoute[],
): StorageWork<MemberInfo> {
  const node = yield* call(reader.getNode(row.address));
  return {
    networkId: row.networkId,
    address: row.address,
    authorized: row.authorized,
    activeBridge: row.activeBridge,
    name: row.name,
    notes: row.notes,
    authorizedAt: row.authorizedAt,
    deauthorizedAt: row.deauthorizedAt,
    noAutoAssignIps: row.noAutoAssignIps,
    ipAssignments: assignments.map((cidr) => formatCidr(prefixFor(cidr, routes))),
    clientReportedRevision: row.clientReportedRevision,
    lastAuthorizedCredentialType: row.lastAuthorizedCredentialType,
    lastAuthorizedCredential: row.lastAuthorizedCredential,
    identity: node?.identity ?? null,
    firstSeen: node?.firstSeen ?? null,
    lastSeen: node?.lastSeen ?? null,
    lastAt: node?.lastAt ?? null,
    vMajor: node?.version.major ?? -1,
    vMinor: node?.version.minor ?? -1,
    vRev: node?.version.revision ?? -1,
    vProto: node?.version.protocol ?? -1,
  };
}

function samePool(a: IpPool, b: IpPool): boolean {
  return a.family === b.family && a.first === b.first && a.last === b.last && a.bits === b.bits;
}

function cloneSettings(settings: Readonly<NetworkSettings>): NetworkSettings {
  return {
    ...settings,
    ipPools: [...settings.ipPools],
    routes: settings.routes.map((route) => ({ ...route })),
    dns: { domain: settings.dns.domain, servers: [...settings.dns.servers] },
    etherTypes: [...settings.etherTypes],
    multicastRates: settings.multicastRates.map((rate) => ({ ...rate })),
  };
}
