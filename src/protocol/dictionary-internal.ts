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

/** A signature time (`~!sigts`) given in ms: a non-negative safe integer or bigint. */
export function signatureTime(nowMs: number | bigint | undefined): bigint {
  if (nowMs === undefined) return BigInt(Date.now());
  if (typeof nowMs === 'bigint' && nowMs >= 0n) return nowMs;
  if (typeof nowMs === 'number' && Number.isSafeInteger(nowMs) && nowMs >= 0) return BigInt(nowMs);
  throw new InvalidArgumentError(`signature time must be a non-negative integer (ms), got ${describeInput(nowMs)}`);
}
