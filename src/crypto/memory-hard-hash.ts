/**
 * The memory-hard hash that binds an identity's address to its public key (protocol.md §2), with
 * the implementation chosen per call: `'js'` (memory-hard-hash-js.ts, runs everywhere), `'wasm'`
 * (memory-hard-hash-wasm.ts, same bytes, about 7 times faster), `'auto'` (the default: WebAssembly
 * where this runtime runs it, else JavaScript), or a function of your own giving the same 64 bytes.
 */
import { InvalidArgumentError } from '../errors.js';
import { memoryHardHashJs, type MemoryHardHashFunction } from './memory-hard-hash-js.js';
import { isWasmMemoryHardHashAvailable, memoryHardHashWasm } from './memory-hard-hash-wasm.js';

export { MEMORY_HARD_HASH_BYTES, type MemoryHardHashFunction } from './memory-hard-hash-js.js';

/** Which implementation computes the memory-hard hash. */
export type MemoryHardHashChoice = 'auto' | 'wasm' | 'js' | MemoryHardHashFunction;

/** The names a choice may take (a function is the other form). */
export type MemoryHardHashName = Exclude<MemoryHardHashChoice, MemoryHardHashFunction>;

export interface MemoryHardHashOptions {
  /** Default `'auto'`. */
  memoryHardHash?: MemoryHardHashChoice;
}

/**
 * The hash function a choice stands for. Throws InvalidArgumentError on an unknown choice, and on
 * `'wasm'` where WebAssembly (with SIMD) is unavailable.
 */
export function chooseMemoryHardHash(choice: MemoryHardHashChoice = 'auto'): MemoryHardHashFunction {
  if (typeof choice === 'function') return choice;
  if (choice === 'js') return memoryHardHashJs;
  if (choice === 'auto') return isWasmMemoryHardHashAvailable() ? memoryHardHashWasm : memoryHardHashJs;
  if (choice === 'wasm') {
    if (!isWasmMemoryHardHashAvailable()) {
      throw new InvalidArgumentError('memoryHardHash: the WebAssembly implementation needs WebAssembly with SIMD, unavailable here');
    }
    return memoryHardHashWasm;
  }
  throw new InvalidArgumentError(`memoryHardHash must be 'auto', 'wasm', 'js' or a function, got ${String(choice)}`);
}

/** memoryHardHash(pub): 64 bytes, bit-exact with protocol.md §2, whichever implementation computes it. */
export function memoryHardHash(publicKey: Uint8Array, options: MemoryHardHashOptions = {}): Uint8Array {
  return chooseMemoryHardHash(options.memoryHardHash)(publicKey);
}
