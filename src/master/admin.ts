/**
 * Administration of networks and members (api.md "Administration"; master.md §3, §4).
 *
 * Every operation validates its input before opening a transaction, runs as one durable
 * transaction, and raises the network's revision in that same transaction when the change alters
 * what any member's netconf would contain (a change that alters nothing leaves it). After the
 * commit a 'change' event lists the members to send NETWORK_CONFIG_REFRESH.
 */
import { addressToHex, isReservedAddress, parseAddress } from '../crypto/address.js';
import { ConflictError, InvalidArgumentError, LimitExceededError, NotFoundError } from '../errors.js';
import { asInvalidArgument } from '../protocol/as-invalid-argument.js';
import { hex16, parseNetworkId } from '../protocol/ids.js';
import type { MasterContext } from './context.js';
import type { NetworkChangeType } from './events.js';
import { firstFreeInRange, firstFreeWrapping } from '../protocol/free-range.js';
import { formatCidr, parseCidr, type Cidr } from '../protocol/ip.js';
import { newMember } from './request.js';
import {
  boundedText, DEFAULT_SETTINGS, MAX_MEMBER_NAME_BYTES, MAX_MEMBER_NOTES_BYTES, readPool, readPools,
  sameSettings, validateSettings, type NetworkSettings, type NetworkSettingsInput,
} from './settings.js';
import type { MemberRow, NetconfStoreReader, NetconfStoreTx, NetworkRow } from './store.js';

/** A network as `getNetwork` shows it. */
export interface NetworkInfo extends NetworkSettings {
  id: string;
  revision: bigint;
  creationTime: number;
}

/** A member as `getMember` / `listMembers` show it, with what is known of its node. */
export interface MemberInfo {
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
  /** The revision the member last reported having, or null before its first request. */
  clientReportedRevision: bigint | null;
  /** CIDR strings, IPv4 first, ascending. */
  ipAssignments: string[];
  /** The node's public identity, or null when it never asked for a config. */
  identity: string | null;
  firstSeen: number | null;
  lastSeen: number | null;
  lastAt: string | null;
}

export interface MemberUpdate {
  name?: string;
  notes?: string;
}

/** The numbers of networks one master can serve: the low 24 bits of a network ID. */
const NETWORK_NUMBER_MAX = 0xffffffn;
const RANDOM_NETWORK_NUMBER_TRIES = 8;

// ---------------------------------------------------------------------------------------------
// Networks

export async function createNetwork(context: MasterContext, input?: NetworkSettingsInput): Promise<string> {
  const settings: NetworkSettings = { ...cloneSettings(DEFAULT_SETTINGS), ...validateSettings(input) };
  const now = context.now();
  const randomStart = randomNetworkNumber(context);
  const nwid = await context.store.transaction((tx) => {
    const id = allocateNetworkId(context, tx, randomStart);
    tx.insertNetwork({ id, ...rowSettings(settings), revision: 1n, creationTime: now });
    writeListSettings(tx, id, settings);
    return id;
  });
  context.events.emit('change', { type: 'networkCreated', nwid, revision: 1n, refresh: [] });
  return nwid;
}

export async function getNetwork(context: MasterContext, nwid: string | bigint): Promise<NetworkInfo | null> {
  const id = requireNetworkId(nwid);
  return context.store.read((reader) => {
    const row = reader.getNetwork(id);
    return row === undefined ? null : networkInfo(reader, row);
  });
}

export async function listNetworks(context: MasterContext): Promise<NetworkInfo[]> {
  return context.store.read((reader) =>
    reader.listNetworkIds().map((id) => networkInfo(reader, reader.getNetwork(id)!)),
  );
}

export async function updateNetwork(
  context: MasterContext,
  nwid: string | bigint,
  patch: NetworkSettingsInput,
): Promise<void> {
  const id = requireNetworkId(nwid);
  if (patch === null || typeof patch !== 'object') throw new InvalidArgumentError('network settings patch must be an object');
  const changes = validateSettings(patch);
  await change(context, id, 'networkUpdated', undefined, (tx, network) => {
    const before = readSettings(tx, network);
    const after: NetworkSettings = { ...before, ...changes };
    if (sameSettings(before, after)) return null;
    tx.updateNetworkRow(id, rowSettings(after));
    writeListSettings(tx, id, after);
    return 1n;
  });
}

export async function deleteNetwork(context: MasterContext, nwid: string | bigint): Promise<void> {
  const id = requireNetworkId(nwid);
  const result = await context.store.transaction((tx) => {
    const network = requireNetwork(tx, id);
    // Every authorized member should ask again (and learn the network is gone).
    const refresh = tx.membersBehind(id, network.revision + 1n);
    tx.deleteNetwork(id);
    return { revision: network.revision, refresh };
  });
  context.events.emit('change', { type: 'networkDeleted', nwid: id, ...result });
}

export async function addIpPool(context: MasterContext, nwid: string | bigint, cidr: string): Promise<void> {
  const id = requireNetworkId(nwid);
  const pool = readPool(cidr);
  await change(context, id, 'networkUpdated', undefined, (tx) => {
    const pools = tx.getPools(id);
    if (pools.some((existing) => samePrefix(existing, pool))) return null;
    tx.setPools(id, [...pools, pool]);
    return 1n;
  });
}

export async function removeIpPool(context: MasterContext, nwid: string | bigint, cidr: string): Promise<void> {
  const id = requireNetworkId(nwid);
  const pool = readPool(cidr);
  await change(context, id, 'networkUpdated', undefined, (tx) => {
    const pools = tx.getPools(id);
    const kept = pools.filter((existing) => !samePrefix(existing, pool));
    if (kept.length === pools.length) throw new NotFoundError(`network ${id} has no pool ${formatCidr(pool)}`);
    tx.setPools(id, kept);
    return 1n;
  });
}

/** Authorized members whose last reported revision is older than the network's (or unknown). */
export async function membersToRefresh(context: MasterContext, nwid: string | bigint): Promise<string[]> {
  const id = requireNetworkId(nwid);
  return context.store.read((reader) => {
    const network = reader.getNetwork(id);
    if (network === undefined) throw new NotFoundError(`no network ${id}`);
    return reader.membersBehind(id, network.revision);
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
  return context.store.read((reader) => {
    const row = reader.getMember(id, member);
    return row === undefined ? null : memberInfo(reader, row, reader.getAssignments(id, member));
  });
}

export async function listMembers(context: MasterContext, nwid: string | bigint): Promise<MemberInfo[]> {
  const id = requireNetworkId(nwid);
  return context.store.read((reader) => {
    if (reader.getNetwork(id) === undefined) throw new NotFoundError(`no network ${id}`);
    const assignments = reader.listAssignments(id);
    return reader.listMembers(id).map((row) => memberInfo(reader, row, assignments.get(row.address) ?? []));
  });
}

/** Authorizes a member; one that never asked yet is created authorized (pre-authorization). */
export async function authorizeMember(context: MasterContext, nwid: string | bigint, address: string | bigint): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  const now = context.now();
  await change(context, id, 'memberAuthorized', member, (tx) => {
    const row = tx.getMember(id, member);
    if (row === undefined) {
      tx.insertMember(newMember(id, member, true, now));
      return 1n;
    }
    if (row.authorized) return null;
    tx.updateMember({ ...row, authorized: true, authorizedAt: now });
    return 1n;
  });
}

/**
 * De-authorizes a member. The revision rises by the COM revision max delta + 1, so the member's
 * last certificate stops agreeing with those issued afterwards (master.md §4). A member not seen
 * yet is recorded as not authorized, which keeps it out of a public network too.
 */
export async function deauthorizeMember(context: MasterContext, nwid: string | bigint, address: string | bigint): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  const now = context.now();
  await change(context, id, 'memberDeauthorized', member, (tx, network) => {
    const row = tx.getMember(id, member);
    if (row === undefined) {
      tx.insertMember({ ...newMember(id, member, false, now), deauthorizedAt: now });
      return 0n;
    }
    if (!row.authorized) return null;
    tx.updateMember({ ...row, authorized: false, deauthorizedAt: now });
    return network.comRevisionMaxDelta + 1n;
  });
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
  const now = context.now();
  await change(context, id, 'activeBridgeChanged', member, (tx, network) => {
    const row = tx.getMember(id, member) ?? insertNewMember(tx, network, member, now);
    if (row.activeBridge === on) return null;
    tx.updateMember({ ...row, activeBridge: on });
    return 1n;
  });
}

/** Sets a member's name and/or notes (shown to administrators only; no config changes). */
export async function updateMember(
  context: MasterContext,
  nwid: string | bigint,
  address: string | bigint,
  update: MemberUpdate,
): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  if (update === null || typeof update !== 'object') throw new InvalidArgumentError('member update must be an object');
  for (const key of Object.keys(update)) {
    if (key !== 'name' && key !== 'notes') throw new InvalidArgumentError(`unknown member field ${JSON.stringify(key)}`);
  }
  const name = update.name === undefined ? undefined : boundedText(update.name, 'member name', MAX_MEMBER_NAME_BYTES);
  const notes = update.notes === undefined ? undefined : boundedText(update.notes, 'member notes', MAX_MEMBER_NOTES_BYTES);
  const now = context.now();
  await change(context, id, 'memberUpdated', member, (tx, network) => {
    const existing = tx.getMember(id, member);
    const row = existing ?? insertNewMember(tx, network, member, now);
    const next: MemberRow = { ...row, name: name ?? row.name, notes: notes ?? row.notes };
    if (existing !== undefined && next.name === row.name && next.notes === row.notes) return null;
    tx.updateMember(next);
    return 0n;
  });
}

/**
 * Replaces a member's addresses with `cidrs` (`10.1.2.3/24`, `fd00::5/64`; without `/bits` the
 * full width). Each must be a valid address given once; one held by another member of the
 * network → ConflictError, nothing changed.
 */
export async function setIpAssignments(
  context: MasterContext,
  nwid: string | bigint,
  address: string | bigint,
  cidrs: readonly string[],
): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  if (!Array.isArray(cidrs)) throw new InvalidArgumentError('setIpAssignments needs an array of CIDR strings');
  const wanted: Cidr[] = [];
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (wanted.some((other) => other.family === cidr.family && other.address === cidr.address)) {
      throw new InvalidArgumentError(`address ${text} given twice`);
    }
    wanted.push(cidr);
  }
  const now = context.now();
  await change(context, id, 'ipAssignmentsChanged', member, (tx, network) => {
    if (tx.getMember(id, member) === undefined) insertNewMember(tx, network, member, now);
    for (const cidr of wanted) {
      const holder = tx.assignmentHolder(id, cidr.family, cidr.address);
      if (holder !== undefined && holder !== member) {
        throw new ConflictError(`${formatCidr(cidr)} is already assigned to ${holder} in network ${id}`);
      }
    }
    const before = tx.getAssignments(id, member).map(formatCidr).sort();
    const after = wanted.map(formatCidr).sort();
    if (before.length === after.length && before.every((cidr, i) => cidr === after[i])) return null;
    tx.deleteAssignments(id, member);
    for (const cidr of wanted) tx.insertAssignment(id, member, cidr);
    return 1n;
  });
}

/** Removes a member and releases its addresses. Its node record stays. */
export async function deleteMember(context: MasterContext, nwid: string | bigint, address: string | bigint): Promise<void> {
  const id = requireNetworkId(nwid);
  const member = requireMemberAddress(address);
  await change(context, id, 'memberDeleted', member, (tx) => {
    if (tx.getMember(id, member) === undefined) throw new NotFoundError(`network ${id} has no member ${member}`);
    tx.deleteMember(id, member);
    return 1n;
  });
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/**
 * Runs one administrative change on an existing network. `apply` returns by how much the revision
 * rises (0n: recorded but no member's config changes), or null when nothing changed at all.
 */
async function change(
  context: MasterContext,
  nwid: string,
  type: NetworkChangeType,
  address: string | undefined,
  apply: (tx: NetconfStoreTx, network: NetworkRow) => bigint | null,
): Promise<void> {
  const result = await context.store.transaction((tx) => {
    const network = requireNetwork(tx, nwid);
    const raise = apply(tx, network);
    if (raise === null) return null;
    const revision = network.revision + raise;
    if (raise > 0n) tx.setNetworkRevision(nwid, revision);
    return { revision, refresh: tx.membersBehind(nwid, revision) };
  });
  if (result === null) return;
  context.events.emit('change', { type, nwid, ...(address === undefined ? {} : { address }), ...result });
}

function requireNetwork(reader: NetconfStoreReader, nwid: string): NetworkRow {
  const network = reader.getNetwork(nwid);
  if (network === undefined) throw new NotFoundError(`no network ${nwid}`);
  return network;
}

/** A member row made by an administrator before the member asked: authorized as the network's kind says. */
function insertNewMember(tx: NetconfStoreTx, network: NetworkRow, address: string, now: number): MemberRow {
  const row = newMember(network.id, address, !network.private, now);
  tx.insertMember(row);
  return row;
}

export function requireNetworkId(nwid: string | bigint): string {
  return asInvalidArgument(() => hex16(parseNetworkId(nwid)));
}

function requireMemberAddress(address: string | bigint): string {
  const value = asInvalidArgument(() => parseAddress(address));
  if (isReservedAddress(value)) throw new InvalidArgumentError(`address ${addressToHex(value)} is reserved`);
  return addressToHex(value);
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
function allocateNetworkId(context: MasterContext, tx: NetconfStoreTx, firstTry: bigint): string {
  const prefix = context.address << 24n;
  let number = firstTry;
  for (let i = 0; i < RANDOM_NETWORK_NUMBER_TRIES; i++) {
    const id = hex16(prefix | number);
    if (tx.getNetwork(id) === undefined) return id;
    number = randomNetworkNumber(context);
  }
  const networkNumbersInRange = (from: bigint, to: bigint, limit: number) =>
    tx.networkIdsInRange(hex16(prefix | from), hex16(prefix | to), limit).map((id) => BigInt('0x' + id) & NETWORK_NUMBER_MAX);
  const free = firstFreeWrapping(0n, NETWORK_NUMBER_MAX, number, (from, to) =>
    firstFreeInRange(from, to, networkNumbersInRange),
  );
  if (free === null) throw new LimitExceededError('this master already serves 2^24 networks, the protocol limit');
  return hex16(prefix | free);
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
  };
}

function writeListSettings(tx: NetconfStoreTx, nwid: string, settings: NetworkSettings): void {
  tx.setPools(nwid, readPools(settings.ipPools));
  tx.setAcceptedEtherTypes(nwid, settings.etherTypes);
  tx.setMulticastRates(nwid, settings.multicastRates);
}

function readSettings(reader: NetconfStoreReader, row: NetworkRow): NetworkSettings {
  return {
    name: row.name,
    description: row.description,
    private: row.private,
    enableBroadcast: row.enableBroadcast,
    allowPassiveBridging: row.allowPassiveBridging,
    v4AssignMode: row.v4AssignMode,
    v6AssignMode: row.v6AssignMode,
    ipPools: reader.getPools(row.id).map(formatCidr),
    etherTypes: reader.getAcceptedEtherTypes(row.id),
    multicastLimit: row.multicastLimit,
    multicastRates: reader.getMulticastRates(row.id),
    comRevisionMaxDelta: row.comRevisionMaxDelta,
  };
}

function networkInfo(reader: NetconfStoreReader, row: NetworkRow): NetworkInfo {
  return { id: row.id, ...readSettings(reader, row), revision: row.revision, creationTime: row.creationTime };
}

function memberInfo(reader: NetconfStoreReader, row: MemberRow, assignments: Cidr[]): MemberInfo {
  const node = reader.getNode(row.address);
  return {
    networkId: row.networkId,
    address: row.address,
    authorized: row.authorized,
    activeBridge: row.activeBridge,
    name: row.name,
    notes: row.notes,
    authorizedAt: row.authorizedAt,
    deauthorizedAt: row.deauthorizedAt,
    ipAssignments: assignments.map(formatCidr),
    clientReportedRevision: row.clientReportedRevision,
    identity: node?.identity ?? null,
    firstSeen: node?.firstSeen ?? null,
    lastSeen: node?.lastSeen ?? null,
    lastAt: node?.lastAt ?? null,
  };
}

function samePrefix(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.address === b.address && a.bits === b.bits;
}

function cloneSettings(settings: Readonly<NetworkSettings>): NetworkSettings {
  return {
    ...settings,
    ipPools: [...settings.ipPools],
    etherTypes: [...settings.etherTypes],
    multicastRates: settings.multicastRates.map((rate) => ({ ...rate })),
  };
}
