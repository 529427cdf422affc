/**
 * The memory-hard hash of protocol.md §2 in WebAssembly (loaded by memory-hard-hash-wasm-loader.ts).
 * SHA-512 (step 1) runs in JavaScript; the module does the Salsa20/20 keystream, the 2 MiB buffer
 * and the swaps. Same bytes as `memoryHardHashJs` in well under half the time (about 9 ms).
 */
import { InvalidArgumentError } from '../errors.js';
import { instantiateWasmMemoryHardHash } from './memory-hard-hash-wasm-loader.js';
import type { MemoryHardHashFunction } from './memory-hard-hash-js.js';

// Instantiating costs about a quarter of a hash, so one instance serves every call of this thread.
// It is a resource, not a setting: each call overwrites its memory and leaves nothing behind.
let instance: MemoryHardHashFunction | null | undefined;

/** Whether this runtime runs the WebAssembly hash (WebAssembly with SIMD, and a correct answer). */
export function isWasmMemoryHardHashAvailable(): boolean {
  return (instance ??= instantiateWasmMemoryHardHash()) !== null;
}

/** memoryHardHash(pub) in WebAssembly: 64 bytes. Throws InvalidArgumentError where it cannot run. */
export function memoryHardHashWasm(publicKey: Uint8Array): Uint8Array {
  const hash = (instance ??= instantiateWasmMemoryHardHash());
  if (hash === null) throw new InvalidArgumentError('the WebAssembly memory-hard hash needs WebAssembly with SIMD');
  return hash(publicKey);
}
