/**
 * Network IDs and fixed-width hex numbers (protocol.md §1). A network ID is 64 bits, held as
 * `bigint`, printed as 16 lower-case hex digits; its top 40 bits are the controller's address.
 */
import { ParseError } from '../errors.js';
import { addressToHex } from '../crypto/address.js';

export const NETWORK_ID_MAX = (1n << 64n) - 1n;
export const UINT64_MAX = NETWORK_ID_MAX;

const HEX16 = /^[0-9a-fA-F]{16}$/;

/** Prints an unsigned 64-bit value as 16 zero-padded lower-case hex digits. */
export function hex16(value: bigint): string {
  assertUint64(value, 'value');
  return value.toString(16).padStart(16, '0');
}

/**
 * Reads a network ID given as 16 hex digits (either case) or as a bigint in the 64-bit range.
 * Zero is well-formed here; callers that need a real network reject it themselves.
 */
export function parseNetworkId(value: string | bigint): bigint {
  if (typeof value === 'bigint') {
    assertUint64(value, 'network ID');
    return value;
  }
  if (typeof value !== 'string' || !HEX16.test(value)) {
    throw new ParseError(`network ID must be 16 hex digits or a bigint: ${describeInput(value)}`);
  }
  return BigInt('0x' + value);
}

/** The hex16 form of a network ID given in either accepted form (checked as `parseNetworkId` does). */
export function networkIdToHex(value: string | bigint): string {
  if (typeof value === 'string' && HEX16.test(value)) return value.toLowerCase();
  return hex16(parseNetworkId(value));
}

/** The address (hex10) of the master that serves a network: the top 40 bits of its ID. */
export function networkIdController(value: string | bigint): string {
  return addressToHex(parseNetworkId(value) >> 24n);
}

/** The network's number among its master's networks: the low 24 bits of its ID. */
export function networkIdLocalNumber(value: string | bigint): number {
  return Number(parseNetworkId(value) & 0xffffffn);
}

/**
 * Reads 1..maxDigits hex digits (either case) as an unsigned integer, rejecting anything else
 * (signs, spaces, `0x`, empty text). `what` names the value in the error message.
 */
export function parseHexDigits(text: string, maxDigits: number, what: string): bigint {
  if (typeof text !== 'string' || text.length === 0 || text.length > maxDigits || !isHex(text)) {
    throw new ParseError(`${what} must be 1 to ${maxDigits} hex digits: ${describeInput(text)}`);
  }
  return BigInt('0x' + text);
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39;
    const lower = c >= 0x61 && c <= 0x66;
    const upper = c >= 0x41 && c <= 0x46;
    if (!digit && !lower && !upper) return false;
  }
  return true;
}

export function assertUint64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) {
    throw new ParseError(`${what} must be a bigint in 0..2^64-1: ${describeInput(value)}`);
  }
}

/** A short printable form of a bad input for error messages. */
export function describeInput(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (value instanceof Uint8Array) text = `<${value.length} bytes>`;
  else text = typeof value === 'object' && value !== null ? Object.prototype.toString.call(value) : String(value);
  return text.length > 48 ? text.slice(0, 48) + '…' : text;
}
