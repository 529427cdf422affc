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
import { firstFreeWrapping } from '../protocol/free-range.js';
import { assignableRange, formatCidr, hostMask, rfc4193Address, type Cidr, type IpFamily } from '../protocol/ip.js';
import type { NetconfStoreTx, NetworkRow } from './store.js';

export function firstCandidate(pool: Cidr, memberAddress: bigint): bigint {
  const mask = hostMask(pool.family, pool.bits);
  const memberBits = pool.family === 4 ? memberAddress & 0xffffffffn : memberAddress;
  return (pool.address & ~mask) | (memberBits & mask);
}

/** The lowest address of one family within [from, to] nobody in the network holds, or null. */
export type FirstFreeAddress = (family: IpFamily, from: bigint, to: bigint) => bigint | null;

/** The address a member gets from `pool`, or null when the pool has no free address. */
export function findFreeAddress(pool: Cidr, memberAddress: bigint, firstFree: FirstFreeAddress): bigint | null {
  const range = assignableRange(pool);
  if (range === null) return null;
  let start = firstCandidate(pool, memberAddress);
  // The network address is skipped forward; after the broadcast address comes the wrap.
  if (start < range.first || start > range.last) start = range.first;
  return firstFreeWrapping(range.first, range.last, start, (from, to) => firstFree(pool.family, from, to));
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
 * and marked as claims that must be durable before the reply.
 */
export function memberAddresses(
  tx: NetconfStoreTx,
  network: NetworkRow,
  memberAddressHex: string,
  memberAddress: bigint,
): MemberAddresses {
  const held = tx.getAssignments(network.id, memberAddressHex);
  const staticIps: string[] = [];
  const shortages: { family: IpFamily; message: string }[] = [];

  const fromPools = (family: IpFamily): void => {
    const mine = held.filter((cidr) => cidr.family === family);
    if (mine.length > 0) {
      staticIps.push(...mine.map(formatCidr));
      return;
    }
    const pools = tx.getPools(network.id).filter((pool) => pool.family === family);
    for (const pool of pools) {
      const address = findFreeAddress(pool, memberAddress, (f, from, to) => tx.firstFreeAddress(network.id, f, from, to));
      if (address !== null) {
        const assignment: Cidr = { family, address, bits: pool.bits };
        tx.insertAssignment(network.id, memberAddressHex, assignment);
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

  if (network.v4AssignMode === 'zt') fromPools(4);
  if (network.v6AssignMode === 'zt') fromPools(6);
  else if (network.v6AssignMode === 'rfc4193') {
    staticIps.push(formatCidr(rfc4193Address(BigInt('0x' + network.id), memberAddress)));
  }
  return { staticIps, shortages };
}
