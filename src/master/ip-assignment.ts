/**
 * Choosing and recording a member's addresses (master.md §3).
 *
 * From a pool, the first candidate is the pool network OR (the member address's low bits AND the
 * host mask): the low 32 bits for IPv4, the whole 40-bit address for IPv6. Then the following
 * addresses in turn, wrapping inside the pool, skipping the pool's network and broadcast
 * (all-ones) addresses. The first address nobody in the network holds wins, recorded with the
 * pool's prefix length.
 *
 * Probing never loads every assignment: the store answers "the first free address at or after the
 * candidate" through an index (for IPv4, the runs of held addresses; see src/storage/sql/schema.ts).
 */
import { MAX_ZT_ASSIGNED_ADDRESSES } from '../protocol/assigned-addresses.js';
import { wrappingRanges } from '../protocol/free-range.js';
import { assignableRange, formatCidr, hostMask, rfc4193Address, type Cidr, type IpFamily } from '../protocol/ip.js';
import { call, type NetconfStoreReader, type NetconfStoreTx, type NetworkRow, type StorageWork } from './store.js';

export function firstCandidate(pool: Cidr, memberAddress: bigint): bigint {
  const mask = hostMask(pool.family, pool.bits);
  const memberBits = pool.family === 4 ? memberAddress & 0xffffffffn : memberAddress;
  return (pool.address & ~mask) | (memberBits & mask);
}

/** The address a member gets from `pool` in network `nwid`, or null when the pool has no free address. */
export function* findFreeAddress(
  reader: Pick<NetconfStoreReader, 'firstFreeAddress'>,
  nwid: string,
  pool: Cidr,
  memberAddress: bigint,
): StorageWork<bigint | null> {
  const range = assignableRange(pool);
  if (range === null) return null;
  let start = firstCandidate(pool, memberAddress);
  // The network address is skipped forward; after the broadcast address comes the wrap.
  if (start < range.first || start > range.last) start = range.first;
  for (const [from, to] of wrappingRanges(range.first, range.last, start)) {
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
 * `zt` and the member holds none of that family yet. New assignments are written through `tx`
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
): StorageWork<MemberAddresses> {
  const held = yield* call(tx.getAssignments(network.id, memberAddressHex));
  const staticIps: string[] = [];
  const shortages: { family: IpFamily; message: string }[] = [];
  const full = (family: IpFamily, dropped: number): boolean => {
    if (staticIps.length + dropped <= MAX_ZT_ASSIGNED_ADDRESSES) return false;
    shortages.push({
      family,
      message: `${memberAddressHex} in network ${network.id} would get more than ${MAX_ZT_ASSIGNED_ADDRESSES} addresses, ` +
        `which a 2015 node refuses; ${staticIps.length + dropped - MAX_ZT_ASSIGNED_ADDRESSES} IPv${family} left out`,
    });
    return true;
  };

  const fromPools = function* (family: IpFamily): StorageWork<void> {
    const mine = held.filter((cidr) => cidr.family === family);
    if (mine.length > 0) {
      const room = Math.max(0, MAX_ZT_ASSIGNED_ADDRESSES - staticIps.length);
      full(family, mine.length);
      staticIps.push(...mine.slice(0, room).map(formatCidr));
      return;
    }
    if (full(family, 1)) return;
    const pools = (yield* call(tx.getPools(network.id))).filter((pool) => pool.family === family);
    for (const pool of pools) {
      const address = yield* findFreeAddress(tx, network.id, pool, memberAddress);
      if (address !== null) {
        const assignment: Cidr = { family, address, bits: pool.bits };
        yield* call(tx.insertAssignment(network.id, memberAddressHex, assignment, true));
        tx.requireDurable();
        staticIps.push(formatCidr(assignment));
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
  };

  if (network.v4AssignMode === 'zt') yield* fromPools(4);
  if (network.v6AssignMode === 'zt') yield* fromPools(6);
  else if (network.v6AssignMode === 'rfc4193' && !full(6, 1)) {
    staticIps.push(formatCidr(rfc4193Address(BigInt('0x' + network.id), memberAddress)));
  }
  return { staticIps, shortages };
}
