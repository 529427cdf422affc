/**
 * IP addresses with a prefix length (CIDR): their text forms as a netconf's `v4s` / `v6s` carry
 * them (protocol.md §6: IPv4 as `a.b.c.d/bits`, IPv6 as 8 groups of 4 hex digits, no `::`,
 * `/bits`), and the arithmetic of pools and assignments over them (master.md §3).
 *
 * Reading accepts the usual shortened IPv6 forms (`::`, 1-4 digit groups, dotted IPv4 tail).
 * `parseNetconfCidr` reads what a netconf carries (ParseError); `parseCidr` and `parseIp` read a
 * caller's input (InvalidArgumentError). Text written for IPv6 is always the full 8-group form:
 * being fixed-width, its text order is its numeric order, which the SQL store relies on for range
 * queries.
 */
import { InvalidArgumentError, ParseError } from '../errors.js';
import { asInvalidArgument } from './as-invalid-argument.js';
import { describeInput } from './ids.js';

export type IpFamily = 4 | 6;

export interface Cidr {
  readonly family: IpFamily;
  /** The address as an unsigned integer: 32 bits for IPv4, 128 bits for IPv6. */
  readonly address: bigint;
  /** Prefix length: 0..32 for IPv4, 0..128 for IPv6. */
  readonly bits: number;
}

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/** Reads dotted-quad IPv4 (no leading zeros) as a 32-bit bigint. */
export function parseIpv4(text: string): bigint {
  if (typeof text !== 'string') throw new ParseError(`IPv4 address expected, got ${describeInput(text)}`);
  const parts = text.split('.');
  if (parts.length !== 4) throw new ParseError(`IPv4 address must have 4 parts: ${describeInput(text)}`);
  let value = 0n;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part) || Number(part) > 255) {
      throw new ParseError(`IPv4 address has a bad part ${describeInput(part)}: ${describeInput(text)}`);
    }
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

export function formatIpv4(address: bigint): string {
  assertRange(address, 32);
  return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 0xffn)).join('.');
}

/** Reads an IPv6 address (full, `::`-shortened, or with a dotted IPv4 tail) as a 128-bit bigint. */
export function parseIpv6(text: string): bigint {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) {
    throw new ParseError(`IPv6 address expected, got ${describeInput(text)}`);
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new ParseError(`IPv6 address has more than one '::': ${describeInput(text)}`);
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const readGroups = (list: string[], isLastList: boolean): number[] => {
    const out: number[] = [];
    list.forEach((group, i) => {
      if (isLastList && i === list.length - 1 && group.includes('.')) {
        const v4 = parseIpv4(group);
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX_GROUP.test(group)) {
        out.push(parseInt(group, 16));
      } else {
        throw new ParseError(`IPv6 address has a bad group ${describeInput(group)}: ${describeInput(text)}`);
      }
    });
    return out;
  };
  const headWords = readGroups(head, halves.length === 1);
  const tailWords = readGroups(tail, true);
  const count = headWords.length + tailWords.length;
  let words: number[];
  if (halves.length === 2) {
    if (count > 7) throw new ParseError(`IPv6 address has too many groups: ${describeInput(text)}`);
    words = [...headWords, ...new Array<number>(8 - count).fill(0), ...tailWords];
  } else {
    if (count !== 8) throw new ParseError(`IPv6 address must have 8 groups: ${describeInput(text)}`);
    words = headWords;
  }
  let value = 0n;
  for (const word of words) value = (value << 16n) | BigInt(word);
  return value;
}

/** 8 groups of 4 lower-case hex digits, no shortening (the netconf form). */
export function formatIpv6Full(address: bigint): string {
  assertRange(address, 128);
  const hex = address.toString(16).padStart(32, '0');
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
  return groups.join(':');
}

/** Reads `address/bits` for either family (the family is told by the address's form); ParseError. */
export function parseNetconfCidr(text: string): Cidr {
  if (typeof text !== 'string') throw new ParseError(`CIDR expected, got ${describeInput(text)}`);
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    throw new ParseError(`CIDR must be address/bits: ${describeInput(text)}`);
  }
  const addressText = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  const family: IpFamily = addressText.includes(':') ? 6 : 4;
  const address = family === 4 ? parseIpv4(addressText) : parseIpv6(addressText);
  const maxBits = family === 4 ? 32 : 128;
  if (!PREFIX.test(bitsText) || Number(bitsText) > maxBits) {
    throw new ParseError(`CIDR prefix length must be 0..${maxBits}: ${describeInput(text)}`);
  }
  return { family, address, bits: Number(bitsText) };
}

/** The netconf form of a CIDR: `a.b.c.d/bits` or the full 8-group IPv6 form with `/bits`. */
export function formatCidr(cidr: Cidr): string {
  const address = cidr.family === 4 ? formatIpv4(cidr.address) : formatIpv6Full(cidr.address);
  return `${address}/${cidr.bits}`;
}

/** Reads a caller's CIDR. Without `/bits` the prefix is the full width (/32, /128) unless
 * `requirePrefix` is set. Host bits are kept (an assignment names one address). Bad text →
 * InvalidArgumentError. */
export function parseCidr(text: string, options: { requirePrefix?: boolean } = {}): Cidr {
  if (typeof text !== 'string') throw new InvalidArgumentError(`CIDR text expected, got ${describeInput(text)}`);
  let withPrefix = text;
  if (!text.includes('/')) {
    if (options.requirePrefix) {
      throw new InvalidArgumentError(`CIDR needs a prefix length (address/bits): ${describeInput(text)}`);
    }
    withPrefix = `${text}/${familyBits(text.includes(':') ? 6 : 4)}`;
  }
  return asInvalidArgument(() => parseNetconfCidr(withPrefix));
}

/** Reads a caller's address (either family) with no prefix; bad text → InvalidArgumentError. */
export function parseIp(text: string): { family: IpFamily; address: bigint } {
  const cidr = parseCidr(text);
  if (text.includes('/')) throw new InvalidArgumentError(`an address without /bits expected: ${describeInput(text)}`);
  return { family: cidr.family, address: cidr.address };
}

/** parseIp, or null for text that is not an address (rows kept as they are by a migration). */
export function parseIpOrNull(text: string): { family: IpFamily; address: bigint } | null {
  try {
    return parseIp(text);
  } catch {
    return null;
  }
}

/** The address alone, in the netconf form of its family. */
export function formatIp(family: IpFamily, address: bigint): string {
  return family === 4 ? formatIpv4(address) : formatIpv6Full(address);
}

/** Width in bits of an address of this family. */
export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
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

function assertRange(address: bigint, bits: number): void {
  if (typeof address !== 'bigint' || address < 0n || address >> BigInt(bits) !== 0n) {
    throw new ParseError(`address must be a ${bits}-bit unsigned bigint, got ${describeInput(address)}`);
  }
}
