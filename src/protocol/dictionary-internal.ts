/**
 * Ways into `Dictionary` for the protocol layer's own fast paths (netconf-template.ts). Not part of
 * the public API: this module is not exported from any index.
 */
import type { Dictionary } from './dictionary.js';

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
