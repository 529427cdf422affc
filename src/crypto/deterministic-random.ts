/**
 * A repeatable byte source for tests and fixtures: SHA-512 of (seed, counter) blocks.
 * NOT a secure random generator. Never use it to make keys for a real network.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** A `random(n)` function (as `Identity.generate` takes) that yields the same bytes for the same seed. */
export function deterministicRandom(seed: string): (n: number) => Uint8Array {
  const seedBytes = utf8ToBytes(seed);
  let counter = 0;
  let pool = new Uint8Array(0);
  let used = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let filled = 0; filled < n; ) {
      if (used === pool.length) {
        const input = new Uint8Array(seedBytes.length + 4);
        input.set(seedBytes, 0);
        new DataView(input.buffer).setUint32(seedBytes.length, counter++);
        pool = sha512(input);
        used = 0;
      }
      const take = Math.min(n - filled, pool.length - used);
      out.set(pool.subarray(used, used + take), filled);
      filled += take;
      used += take;
    }
    return out;
  };
}
