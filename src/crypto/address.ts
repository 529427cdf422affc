/**
 * 40-bit ZeroTier addresses (protocol.md §1). Held as `bigint`, printed as 10 lower-case hex digits.
 */
import { ParseError } from '../errors.js';

export const ADDRESS_BITS = 40;
export const ADDRESS_MAX = (1n << 40n) - 1n;

const HEX10 = /^[0-9a-fA-F]{10}$/;

/** `0` and every address whose top byte is `0xff` can never belong to an identity. */
export function isReservedAddress(address: bigint): boolean {
  return address === 0n || address >> 32n === 0xffn;
}

/** Prints an address as `hex10`. Throws ParseError when the value does not fit 40 bits. */
export function addressToHex(address: bigint): string {
  assertAddressRange(address);
  return address.toString(16).padStart(10, '0');
}

/**
 * Reads an address given as 10 hex digits (either case) or as a bigint in the 40-bit range.
 * Reserved addresses are accepted here (they are well-formed); identity parsing rejects them.
 */
export function parseAddress(value: string | bigint): bigint {
  if (typeof value === 'bigint') {
    assertAddressRange(value);
    return value;
  }
  if (typeof value !== 'string' || !HEX10.test(value)) {
    throw new ParseError(`address must be 10 hex digits: ${describe(value)}`);
  }
  return BigInt('0x' + value);
}

/** The 5 address bytes, most significant first. */
export function addressToBytes(address: bigint): Uint8Array {
  assertAddressRange(address);
  const out = new Uint8Array(5);
  let rest = address;
  for (let i = 4; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Reads 5 bytes (most significant first) at `offset` as an address. */
export function addressFromBytes(bytes: Uint8Array, offset = 0): bigint {
  if (offset < 0 || offset + 5 > bytes.length) throw new ParseError('address needs 5 bytes');
  let value = 0n;
  for (let i = 0; i < 5; i++) value = (value << 8n) | BigInt(bytes[offset + i]!);
  return value;
}

function assertAddressRange(address: bigint): void {
  if (typeof address !== 'bigint' || address < 0n || address > ADDRESS_MAX) {
    throw new ParseError(`address out of the 40-bit range: ${describe(address)}`);
  }
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? text.slice(0, 40) + '…' : text;
}
