/**
 * Ways into `Dictionary` for the protocol layer's own fast paths (netconf-template.ts). Not part of
 * the public API: this module is not exported from any index.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Dictionary } from './dictionary.js';
import { describeInput } from './ids.js';

export interface DictionaryInternals {
  /**
   * A dictionary whose serialized form is `bytes`, which must be exactly what `toBytes()` would give
   * (keys unique and in byte order, every byte that needs it escaped). The bytes are kept, not
   * copied, and must never change afterwards; the entries are read from them only when asked for.
   */
  fromCanonicalBytes(bytes: Uint8Array): Dictionary;
}

/** Filled in by dictionary.ts when it loads (import Dictionary before using this). */
export const dictionaryInternals: DictionaryInternals = {
  fromCanonicalBytes() {
    throw new Error('dictionary.ts is not loaded');
  },
};

/** Whether `esc` (protocol.md §4) writes this byte as two: NUL, CR, LF, `=` or `\`. */
export function isEscapedByte(byte: number): boolean {
  return byte === 0x00 || byte === 0x0d || byte === 0x0a || byte === 0x3d || byte === 0x5c;
}

/** Matches text holding a character `esc` writes as two (see isEscapedByte). */
export const ESCAPED_CHARACTER = /[\0\r\n=\\]/;

/** Bytes after the entries of a message to sign (§4): 0xff, then BE32(count). */
export const SIGNED_MESSAGE_END_BYTES = 5;

/** Writes the end of a message to sign (§4), 0xff then BE32(`count`), at `at`. */
export function writeSignedMessageEnd(message: Uint8Array, at: number, count: number): void {
  message[at] = 0xff;
  message[at + 1] = count >>> 24;
  message[at + 2] = (count >>> 16) & 0xff;
  message[at + 3] = (count >>> 8) & 0xff;
  message[at + 4] = count & 0xff;
}

/** A signature time (`~!sigts`) given in ms: a non-negative safe integer or bigint. */
export function signatureTime(nowMs: number | bigint | undefined): bigint {
  if (nowMs === undefined) return BigInt(Date.now());
  if (typeof nowMs === 'bigint' && nowMs >= 0n) return nowMs;
  if (typeof nowMs === 'number' && Number.isSafeInteger(nowMs) && nowMs >= 0) return BigInt(nowMs);
  throw new InvalidArgumentError(`signature time must be a non-negative integer (ms), got ${describeInput(nowMs)}`);
}
