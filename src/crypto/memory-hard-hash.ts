/**
 * The memory-hard hash that binds an identity's address to its public key (protocol.md §2).
 *
 * `memoryHardHash` is the portable JavaScript implementation and the reference for any faster one.
 * A faster implementation (the WebAssembly build) may be installed with
 * `setMemoryHardHashImplementation`; it is checked against a known answer before it is accepted.
 * `computeMemoryHardHash` is what the rest of the library calls. Identity installs the WebAssembly
 * implementation on its first hash unless an implementation (or `null`, for JavaScript) was chosen.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError } from '../errors.js';
import { Salsa20Keystream } from './salsa20.js';

export type MemoryHardHashFunction = (publicKey: Uint8Array) => Uint8Array;

export const MEMORY_HARD_HASH_BYTES = 2_097_152;
const MEMORY_WORDS64 = MEMORY_HARD_HASH_BYTES / 8; // 262,144
const MEMORY_BLOCKS = MEMORY_HARD_HASH_BYTES / 64; // 32,768

// One scratch buffer for every call: the hash is synchronous, so calls never overlap.
let scratchBytes: Uint8Array | null = null;
let scratchWords: Uint32Array | null = null;
const digestWords = new Uint32Array(16);
const digestBytes = new Uint8Array(digestWords.buffer);

/** memoryHardHash(pub) in plain JavaScript: 64 bytes, bit-exact with protocol.md §2. */
export function memoryHardHash(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array)) throw new InvalidArgumentError('public key must be a Uint8Array');
  if (scratchBytes === null || scratchWords === null) {
    scratchWords = new Uint32Array(MEMORY_HARD_HASH_BYTES / 4);
    scratchBytes = new Uint8Array(scratchWords.buffer);
  }
  const memBytes = scratchBytes;
  const memWords = scratchWords;
  const d = digestWords;
  const dBytes = digestBytes;

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
  return dBytes.slice();
}

// Known answer used to check an installed implementation before trusting it: the hash of the
// public key of crypto.json's identities.known_good.
const CHECK_PUBLIC_KEY = hexToBytes(
  'ac3d46abe0c21f3cfe7a6c8d6a85cfcffcb82fbd55af6a4d6350657c68200843' +
    'fa2e16f9418bbd9702cae365f2af5fb4c420908b803a681d4daef6114d78a2d7',
);
const CHECK_DIGEST_HEX =
  '10b1afd388c4c1561f184ed54cd5bd012a1c8edf5a5975200bb15608dba0b5eb' +
  'b9faa360a0c6bf99cf684e015bf5bda9d347a4867a5515fa48c6c58e4df28b72';

let installed: MemoryHardHashFunction | null = null;
let chosenExplicitly = false;

/**
 * Installs a faster implementation (or `null` to go back to JavaScript). It must return the same
 * 64 bytes as `memoryHardHash`; it is checked on a known answer and rejected otherwise.
 */
export function setMemoryHardHashImplementation(implementation: MemoryHardHashFunction | null): void {
  if (implementation === null) {
    installed = null;
    chosenExplicitly = true;
    return;
  }
  if (typeof implementation !== 'function') {
    throw new InvalidArgumentError('memory-hard hash implementation must be a function or null');
  }
  let answer: Uint8Array;
  try {
    answer = implementation(CHECK_PUBLIC_KEY.slice());
  } catch (cause) {
    throw new InvalidArgumentError('memory-hard hash implementation failed its known-answer check', { cause });
  }
  if (!(answer instanceof Uint8Array) || answer.length !== 64 || toHex(answer) !== CHECK_DIGEST_HEX) {
    throw new InvalidArgumentError('memory-hard hash implementation gives wrong results; not installed');
  }
  installed = implementation;
  chosenExplicitly = true;
}

/** True once `setMemoryHardHashImplementation` has been called (with a function or with null). */
export function isMemoryHardHashChosen(): boolean {
  return chosenExplicitly;
}

/** The implementation in use: the installed one, or the JavaScript one. */
export function getMemoryHardHashImplementation(): MemoryHardHashFunction {
  return installed ?? memoryHardHash;
}

/** True when a non-JavaScript implementation is installed. */
export function hasFastMemoryHardHash(): boolean {
  return installed !== null;
}

/** memoryHardHash(pub) with the implementation in use. */
export function computeMemoryHardHash(publicKey: Uint8Array): Uint8Array {
  return (installed ?? memoryHardHash)(publicKey);
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
