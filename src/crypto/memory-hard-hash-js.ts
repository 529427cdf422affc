/**
 * The memory-hard hash that binds an identity's address to its public key (protocol.md §2), in
 * plain JavaScript: the portable implementation and the reference for the WebAssembly one
 * (memory-hard-hash-wasm.ts). memory-hard-hash.ts chooses between them.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { Salsa20Keystream } from './salsa20.js';

export type MemoryHardHashFunction = (publicKey: Uint8Array) => Uint8Array;

export const MEMORY_HARD_HASH_BYTES = 2_097_152;
const MEMORY_WORDS64 = MEMORY_HARD_HASH_BYTES / 8; // 262,144
const MEMORY_BLOCKS = MEMORY_HARD_HASH_BYTES / 64; // 32,768

/** memoryHardHash(pub) in plain JavaScript: 64 bytes, bit-exact with protocol.md §2. */
export function memoryHardHashJs(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array)) throw new InvalidArgumentError('public key must be a Uint8Array');
  // Its own 2 MiB each call (allocating it costs about 1 % of the hash): no state between calls.
  const memWords = new Uint32Array(MEMORY_HARD_HASH_BYTES / 4);
  const memBytes = new Uint8Array(memWords.buffer);
  const d = new Uint32Array(16);
  const dBytes = new Uint8Array(d.buffer);

  // Step 1: d = SHA-512(pub).
  dBytes.set(sha512(publicKey));

  // Step 2: one Salsa20/20 keystream keyed by d[0..32] with nonce d[32..40].
  const stream = new Salsa20Keystream(dBytes.slice(0, 32), dBytes.slice(32, 40), 20);

  // Step 3: mem[0] = block 0; mem[i] = mem[i-1] XOR next block.
  stream.nextBlockInto(memWords, 0);
  for (let block = 1; block < MEMORY_BLOCKS; block++) {
    const at = block * 16;
    stream.nextBlockInto(memWords, at);
    for (let k = 0; k < 16; k++) memWords[at + k] = memWords[at + k]! ^ memWords[at - 16 + k]!;
  }

  // Step 4: walk the 8-byte words in pairs. Only the low bits of each big-endian word matter, and
  // those sit in its last bytes. Each swap exchanges two 32-bit halves; byte layout is preserved.
  for (let i = 0; i < MEMORY_WORDS64; i += 2) {
    const first = i * 8;
    const second = first + 8;
    const idx1 = memBytes[first + 7]! & 7;
    const idx2 = ((memBytes[second + 5]! & 3) << 16) | (memBytes[second + 6]! << 8) | memBytes[second + 7]!;
    const memAt = idx2 * 2;
    const dAt = idx1 * 2;
    const m0 = memWords[memAt]!;
    const m1 = memWords[memAt + 1]!;
    memWords[memAt] = d[dAt]!;
    memWords[memAt + 1] = d[dAt + 1]!;
    d[dAt] = m0;
    d[dAt + 1] = m1;
    stream.xorNextBlockInto(d, 0);
  }

  // Step 5.
  return dBytes;
}
