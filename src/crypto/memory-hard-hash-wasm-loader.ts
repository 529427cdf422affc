/**
 * Loads the WebAssembly build of the memory-hard hash (source: wasm/memory-hard-hash.ts, built by
 * `npm run build:wasm`, embedded as base64 in memory-hard-hash-wasm-bytes.ts so that it loads with
 * no fetch, file access or configuration). It needs WebAssembly with SIMD (current browsers,
 * Node 20); where that is missing, or the module fails its known-answer check, there is none.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { memoryHardHashWasmBase64 } from './memory-hard-hash-wasm-bytes.js';
import type { MemoryHardHashFunction } from './memory-hard-hash-js.js';

interface MemoryHardHashExports {
  readonly memory: WebAssembly.Memory;
  readonly digestPointer: () => number;
  readonly compute: () => void;
}

const DIGEST_BYTES = 64;

// Known answer checked before the module is trusted: the hash of the public key of the test
// vectors' identities.known_good.
const CHECK_PUBLIC_KEY = hexToBytes(
  'ac3d46abe0c21f3cfe7a6c8d6a85cfcffcb82fbd55af6a4d6350657c68200843' +
    'fa2e16f9418bbd9702cae365f2af5fb4c420908b803a681d4daef6114d78a2d7',
);
const CHECK_DIGEST_HEX =
  '10b1afd388c4c1561f184ed54cd5bd012a1c8edf5a5975200bb15608dba0b5eb' +
  'b9faa360a0c6bf99cf684e015bf5bda9d347a4867a5515fa48c6c58e4df28b72';

/** The module's bytes (2.7 KB, small enough for synchronous compilation on a browser main thread). */
export function memoryHardHashWasmBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(memoryHardHashWasmBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * A new instance of the module as a hash function, or null where this runtime cannot run it or
 * it gives a wrong answer. The instance owns its 2 MiB memory: each call overwrites all of it, so
 * nothing of one call is seen by the next (the calls are synchronous and never overlap).
 */
export function instantiateWasmMemoryHardHash(): MemoryHardHashFunction | null {
  let hash: MemoryHardHashFunction;
  try {
    hash = bindInstance(new WebAssembly.Instance(new WebAssembly.Module(memoryHardHashWasmBytes()), {}));
    return bytesToHex(hash(CHECK_PUBLIC_KEY.slice())) === CHECK_DIGEST_HEX ? hash : null;
  } catch {
    return null; // no WebAssembly, or no SIMD
  }
}

function bindInstance(instance: WebAssembly.Instance): MemoryHardHashFunction {
  const exports = instance.exports as unknown as MemoryHardHashExports;
  const digestAt = exports.digestPointer();
  const { memory, compute } = exports;
  return (publicKey: Uint8Array): Uint8Array => {
    if (!(publicKey instanceof Uint8Array)) throw new InvalidArgumentError('public key must be a Uint8Array');
    // The memory never grows, but a fresh view costs nothing and survives a detached buffer.
    new Uint8Array(memory.buffer, digestAt, DIGEST_BYTES).set(sha512(publicKey));
    compute();
    return new Uint8Array(memory.buffer, digestAt, DIGEST_BYTES).slice();
  };
}
