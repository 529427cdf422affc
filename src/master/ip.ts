/**
 * Address arithmetic for pools and assignments (master.md §3), over the text forms of
 * src/protocol/ip.ts. Administrative input is read here, so parse failures become
 * InvalidArgumentError. Text written for IPv6 is always the full 8-group form: being fixed-width,
 * its text order is its numeric order, which the SQL store relies on for range queries.
 */
import { InvalidArgumentError, ParseError } from '../errors.js';
import { formatCidr as formatProtocolCidr, formatIpv4, formatIpv6Full, parseCidr as parseProtocolCidr } from '../protocol/ip.js';
import type { Cidr, IpFamily } from '../protocol/ip.js';

export type { Cidr, IpFamily } from '../protocol/ip.js';

export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** Reads one address (either family) with no prefix. */
export function parseIp(text: string): { family: IpFamily; address: bigint } {
  const cidr = parseCidr(text);
  if (typeof text === 'string' && text.includes('/')) {
    throw new InvalidArgumentError(`an address without /bits expected: ${JSON.stringify(text.slice(0, 64))}`);
  }
  return { family: cidr.family, address: cidr.address };
}

/**
 * Reads `address/bits`. Without `/bits` the prefix is the full width (/32, /128) unless
 * `requirePrefix` is set. Host bits are kept (an assignment names one address).
 */
export function parseCidr(text: string, options: { requirePrefix?: boolean } = {}): Cidr {
  if (typeof text !== 'string') throw new InvalidArgumentError(`CIDR text expected, got ${typeof text}`);
  let withPrefix = text;
  if (!text.includes('/')) {
    if (options.requirePrefix) {
      throw new InvalidArgumentError(`CIDR needs a prefix length (address/bits): ${JSON.stringify(text.slice(0, 64))}`);
    }
    withPrefix = `${text}/${text.includes(':') ? 128 : 32}`;
  }
  try {
    return parseProtocolCidr(withPrefix);
  } catch (error) {
    if (error instanceof ParseError) throw new InvalidArgumentError(error.message, { cause: error });
    throw error;
  }
}

export function formatCidr(cidr: Cidr): string {
  return formatProtocolCidr(cidr);
}

export function formatIp(family: IpFamily, address: bigint): string {
  return family === 4 ? formatIpv4(address) : formatIpv6Full(address);
}

/** The mask of the host part of a prefix (all ones in the low `width - bits` bits). */
export function hostMask(family: IpFamily, bits: number): bigint {
  return (1n << BigInt(familyBits(family) - bits)) - 1n;
}

/** The prefix with its host bits cleared (a pool's network address). */
export function networkOf(cidr: Cidr): Cidr {
  return { family: cidr.family, address: cidr.address & ~hostMask(cidr.family, cidr.bits), bits: cidr.bits };
}

/** The lowest and highest assignable addresses of a pool: its network and broadcast excluded. */
export function assignableRange(pool: Cidr): { first: bigint; last: bigint } | null {
  const mask = hostMask(pool.family, pool.bits);
  if (mask < 3n) return null;
  const network = pool.address & ~mask;
  return { first: network + 1n, last: network + mask - 1n };
}

/**
 * The RFC 4193 address later ZeroTier versions compute for a member (master.md §3):
 * `fd` + the 8 network ID bytes + `99 93` + the 5 address bytes, prefix /88.
 */
export function rfc4193Address(nwid: bigint, memberAddress: bigint): Cidr {
  const address = (0xfdn << 120n) | (nwid << 56n) | (0x9993n << 40n) | memberAddress;
  return { family: 6, address, bits: 88 };
}
