/**
 * The memory-hard hash of protocol.md §2 in WebAssembly (source: wasm/memory-hard-hash.ts, built by
 * `npm run build:wasm`). SHA-512 (step 1) runs here in JavaScript; the module does the Salsa20/20
 * keystream, the 2 MiB buffer and the swaps. It gives the same bytes as `memoryHardHash` in well under
 * half the time (about 9 ms), and needs WebAssembly with SIMD (current browsers, Node 20).
 *
 * The module is embedded as base64, so it loads with no fetch, file access or configuration.
 * One instance (with its 2 MiB memory) is created on first use and shared: calls are synchronous
 * and never overlap.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { memoryHardHashWasmBase64 } from './memory-hard-hash-wasm-bytes.js';
import {
  hasFastMemoryHardHash,
  setMemoryHardHashImplementation,
  type MemoryHardHashFunction,
} from './memory-hard-hash.js';

interface MemoryHardHashExports {
  readonly memory: WebAssembly.Memory;
  readonly digestPointer: () => number;
  readonly compute: () => void;
}

const DIGEST_BYTES = 64;

let shared: MemoryHardHashFunction | null = null;
let pending: Promise<MemoryHardHashFunction> | null = null;
let defaultInstallAttempted = false;

/** The module's bytes (2.7 KB, small enough for synchronous compilation on a browser main thread). */
export function memoryHardHashWasmBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(memoryHardHashWasmBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Compiles and instantiates the module asynchronously (works everywhere WebAssembly does). */
export function loadWasmMemoryHardHash(): Promise<MemoryHardHashFunction> {
  if (shared !== null) return Promise.resolve(shared);
  pending ??= WebAssembly.instantiate(memoryHardHashWasmBytes(), {}).then(
    ({ instance }) => (shared ??= bindInstance(instance)),
    (error: unknown) => {
      pending = null;
      throw error;
    },
  );
  return pending;
}

/** Compiles and instantiates the module synchronously (the module is under the 4 KB main-thread limit). */
export function loadWasmMemoryHardHashSync(): MemoryHardHashFunction {
  if (shared === null) {
    const module = new WebAssembly.Module(memoryHardHashWasmBytes());
    shared = bindInstance(new WebAssembly.Instance(module, {}));
  }
  return shared;
}

/**
 * Makes the library's memory-hard hash (identity validation and generation) use WebAssembly.
 * Resolves to false, leaving the JavaScript implementation in place, when WebAssembly or its SIMD
 * instructions are unavailable or the module fails the known-answer check.
 */
export async function enableWasmMemoryHardHash(): Promise<boolean> {
  try {
    setMemoryHardHashImplementation(await loadWasmMemoryHardHash());
    return true;
  } catch {
    return false;
  }
}

/** Synchronous form of `enableWasmMemoryHardHash`. */
export function enableWasmMemoryHardHashSync(): boolean {
  try {
    setMemoryHardHashImplementation(loadWasmMemoryHardHashSync());
    return true;
  } catch {
    return false;
  }
}

/**
 * For the library's own hashing paths (identity validation and generation): on the first call only,
 * installs the WebAssembly implementation if this platform can run it; later calls cost nothing and
 * leave any implementation set since (including `setMemoryHardHashImplementation(null)`) alone.
 * Returns whether a fast implementation is in use.
 */
export function installWasmMemoryHardHashOnce(): boolean {
  if (!defaultInstallAttempted) {
    defaultInstallAttempted = true;
    enableWasmMemoryHardHashSync();
  }
  return hasFastMemoryHardHash();
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
