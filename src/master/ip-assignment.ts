/**
 * Choosing and recording a member's addresses (master.md §3).
 *
 * From a CIDR pool, the first candidate is the pool network OR (the member address's low bits AND
 * the host mask): the low 32 bits for IPv4, the whole 40-bit address for IPv6. From a range pool,
 * it is the range's first address plus those bits modulo the range's size. Then the following
 * addresses in turn, wrapping inside the pool (a CIDR pool's range leaves out its network and
 * broadcast addresses). The first address nobody in the network holds wins, recorded with the
 * CIDR pool's prefix length (a range pool's: the full width).
 *
 * The prefix length a member receives for an address is that of the smallest managed route
 * containing it, else the one recorded (`prefixFor`).
 *
 * Probing never loads every assignment: the store answers "the first free address at or after the
 * candidate" through an index (for IPv4, the runs of held addresses; see src/storage/sql/schema.ts).
 */
import { MAX_ZT_ASSIGNED_ADDRESSES } from '../protocol/assigned-addresses.js';
import { wrappingRanges } from '../protocol/free-range.js';
import { familyBits, formatCidr, hostMask, rfc4193Address, type Cidr, type IpFamily } from '../protocol/ip.js';
import {
  call, type IpPool, type ManagedRoute, type NetconfStoreReader, type NetconfStoreTx, type NetworkRow, type StorageWork,
} from './store.js';

/** Where the search for a member's address in `pool` starts (inside the pool's range). */
export function firstCandidate(pool: IpPool, memberAddress: bigint): bigint {
  const memberBits = pool.family === 4 ? memberAddress & 0xffffffffn : memberAddress;
  if (pool.bits === null) return pool.first + (memberBits % (pool.last - pool.first + 1n));
  const mask = hostMask(pool.family, pool.bits);
  const candidate = ((pool.first - 1n) & ~mask) | (memberBits & mask);
  // The network address is skipped forward; after the broadcast address comes the wrap.
  return candidate < pool.first || candidate > pool.last ? pool.first : candidate;
}

/** The prefix length a member receives for `cidr`: the smallest managed route's containing it, else its own. */
export function prefixFor(cidr: Cidr, routes: readonly ManagedRoute[]): Cidr {
  let bits = -1;
  for (const { target } of routes) {
    if (target.family !== cidr.family || target.bits <= bits) continue;
    const mask = hostMask(target.family, target.bits);
    if ((cidr.address & ~mask) === target.address) bits = target.bits;
  }
  return bits < 0 || bits === 0 ? cidr : { ...cidr, bits };
}

/** Whether IPv6 addresses come from pools / the rfc4193 address is given, in this mode. */
export function v6FromPools(network: Pick<NetworkRow, 'v6AssignMode'>): boolean {
  return network.v6AssignMode === 'zt' || network.v6AssignMode === 'zt+rfc4193';
}
export function v6Rfc4193(network: Pick<NetworkRow, 'v6AssignMode'>): boolean {
  return network.v6AssignMode === 'rfc4193' || network.v6AssignMode === 'zt+rfc4193';
}

/** The address a member gets from `pool` in network `nwid`, or null when the pool has no free address. */
export function* findFreeAddress(
  reader: Pick<NetconfStoreReader, 'firstFreeAddress'>,
  nwid: string,
  pool: IpPool,
  memberAddress: bigint,
): StorageWork<bigint | null> {
  const start = firstCandidate(pool, memberAddress);
  for (const [from, to] of wrappingRanges(pool.first, pool.last, start)) {
    const found = yield* call(reader.firstFreeAddress(nwid, pool.family, from, to));
    if (found !== null) return found;
  }
  return null;
}

export interface MemberAddresses {
  /** CIDR strings for the netconf's `v4s` and `v6s`. */
  staticIps: string[];
  /** Shortages to report to the host. */
  shortages: { family: IpFamily; message: string }[];
}

/**
 * The addresses a member's netconf carries, assigning from pools when the network's modes say
 * `zt`, the member holds none of that family yet and it is not marked `noAutoAssignIps`. Each
 * carries the prefix length `prefixFor` gives it with the network's managed routes. New assignments are written through `tx`
 * (as automatic: they change no other member's config, so no revision) and marked as claims that
 * must be durable before the reply. Never more than MAX_ZT_ASSIGNED_ADDRESSES: what would exceed
 * it (rows written by other programs, or an address on top of an administrator's full list) is
 * left out and reported as a shortage.
 */
export function* memberAddresses(
  tx: NetconfStoreTx,
  network: NetworkRow,
  memberAddressHex: string,
  memberAddress: bigint,
  routes: readonly ManagedRoute[],
): StorageWork<MemberAddresses> {
  const held = yield* call(tx.getAssignments(network.id, memberAddressHex));
  const found: MemberAddresses = { staticIps: [], shortages: [] };
  const member: AssigningMember = { tx, network, memberAddressHex, memberAddress, routes, held, found, noAutoAssignIps: undefined };
  if (network.v4AssignMode === 'zt') yield* fromPools(member, 4);
  if (v6FromPools(network)) yield* fromPools(member, 6);
  if (v6Rfc4193(network) && !full(member, 6, 1)) {
    found.staticIps.push(formatCidr(rfc4193Address(BigInt('0x' + network.id), memberAddress)));
  }
  return found;
}

/** One member's address choice in progress (memberAddresses). */
interface AssigningMember {
  readonly tx: NetconfStoreTx;
  readonly network: NetworkRow;
  readonly memberAddressHex: string;
  readonly memberAddress: bigint;
  readonly routes: readonly ManagedRoute[];
  /** The addresses the member holds, sorted. */
  readonly held: readonly Cidr[];
  readonly found: MemberAddresses;
  /** The member's `noAutoAssignIps`, read only when a pool would be asked (autoAssignOff). */
  noAutoAssignIps: boolean | undefined;
}

/** Whether the member is marked to get no address from pools (read once, when first needed). */
function* autoAssignOff(member: AssigningMember): StorageWork<boolean> {
  member.noAutoAssignIps ??= (yield* call(member.tx.getMember(member.network.id, member.memberAddressHex)))?.noAutoAssignIps ?? false;
  return member.noAutoAssignIps;
}

/**
 * Whether `dropped` more addresses of `family` would go beyond the limit; if so, a shortage says
 * how many are left out.
 */
function full(member: AssigningMember, family: IpFamily, dropped: number): boolean {
  const { staticIps, shortages } = member.found;
  if (staticIps.length + dropped <= MAX_ZT_ASSIGNED_ADDRESSES) return false;
  shortages.push({
    family,
    message: `${member.memberAddressHex} in network ${member.network.id} would get more than ${MAX_ZT_ASSIGNED_ADDRESSES} addresses, ` +
      `which a 2015 node refuses; ${staticIps.length + dropped - MAX_ZT_ASSIGNED_ADDRESSES} IPv${family} left out`,
  });
  return true;
}

/** The member's addresses of `family`: those it holds, else one assigned from the network's pools. */
function* fromPools(member: AssigningMember, family: IpFamily): StorageWork<void> {
  const { tx, network, memberAddressHex, routes, held } = member;
  const { staticIps, shortages } = member.found;
  let mine = 0;
  for (const cidr of held) if (cidr.family === family) mine++;
  if (mine > 0) {
    full(member, family, mine);
    for (const cidr of held) {
      if (cidr.family !== family || staticIps.length >= MAX_ZT_ASSIGNED_ADDRESSES) continue;
      staticIps.push(formatCidr(prefixFor(cidr, routes)));
    }
    return;
  }
  if ((yield* autoAssignOff(member)) || full(member, family, 1)) return;
  const pools = (yield* call(tx.getPools(network.id))).filter((pool) => pool.family === family);
  for (const pool of pools) {
    const address = yield* findFreeAddress(tx, network.id, pool, member.memberAddress);
    if (address !== null) {
      const assignment: Cidr = { family, address, bits: pool.bits ?? familyBits(family) };
      yield* call(tx.insertAssignment(network.id, memberAddressHex, assignment, true));
      tx.requireDurable();
      staticIps.push(formatCidr(prefixFor(assignment, routes)));
      return;
    }
  }
  shortages.push({
    family,
    message:
      pools.length === 0
        ? `network ${network.id} assigns IPv${family} addresses but has no IPv${family} pool; ${memberAddressHex} got none`
        : `every IPv${family} pool of network ${network.id} is full; ${memberAddressHex} got no IPv${family} address`,
  });
}
