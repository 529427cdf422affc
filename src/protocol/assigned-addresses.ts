/**
 * What a 2015 node accepts as the addresses a netconf assigns it (`v4s` and `v6s`, protocol.md §6):
 * at most 16 in all (`ZT1_MAX_ZT_ASSIGNED_ADDRESSES`; an rfc4193 address counts like any other),
 * else it refuses the whole netconf; and none with a prefix of 0 bits, which it reads as "no
 * address". The netconf reader refuses both; the builder refuses a /0; the master's administration
 * checks both before it assigns.
 */
import { InvalidArgumentError, LimitExceededError } from '../errors.js';
import type { Cidr } from './ip.js';

/** The most addresses (`v4s` and `v6s` together) one netconf may assign. */
export const MAX_ZT_ASSIGNED_ADDRESSES = 16;

/** `cidr` when a node can take it as an assignment; a /0 → InvalidArgumentError. */
export function requireAssignableCidr(cidr: Cidr): Cidr {
  if (cidr.bits === 0) {
    throw new InvalidArgumentError('an assigned address needs a prefix of at least 1 bit: a 2015 node reads /0 as no address');
  }
  return cidr;
}

/** Refuses more than MAX_ZT_ASSIGNED_ADDRESSES addresses for one member with LimitExceededError. */
export function requireAssignedAddressCount(count: number): void {
  if (count > MAX_ZT_ASSIGNED_ADDRESSES) {
    throw new LimitExceededError(
      `${count} addresses assigned; a 2015 node refuses a netconf with more than ${MAX_ZT_ASSIGNED_ADDRESSES}`,
    );
  }
}
