/**
 * The crypto layer (protocol.md §1–§3): addresses, identities, C25519 signatures and key agreement,
 * the memory-hard hash and its implementations, Ed25519 signing backends.
 */
export { Identity, type GenerateIdentityOptions } from './identity.js';
export {
  ADDRESS_BITS,
  ADDRESS_MAX,
  addressFromBytes,
  addressToBytes,
  addressToHex,
  isReservedAddress,
  parseAddress,
} from './address.js';
export {
  C25519_PRIVATE_KEY_BYTES,
  C25519_PUBLIC_KEY_BYTES,
  C25519_SIGNATURE_BYTES,
  c25519Agree,
  c25519PublicKey,
  c25519Sign,
  c25519Verify,
  constantTimeEqual,
} from './c25519.js';
export {
  MEMORY_HARD_HASH_BYTES,
  computeMemoryHardHash,
  getMemoryHardHashImplementation,
  hasFastMemoryHardHash,
  isMemoryHardHashChosen,
  memoryHardHash,
  setMemoryHardHashImplementation,
  type MemoryHardHashFunction,
} from './memory-hard-hash.js';
export {
  enableWasmMemoryHardHash,
  enableWasmMemoryHardHashSync,
  loadWasmMemoryHardHash,
  loadWasmMemoryHardHashSync,
} from './memory-hard-hash-wasm.js';
export { Salsa20Keystream, type SalsaRounds } from './salsa20.js';
export {
  getSigningBackend,
  isNativeSigningAvailable,
  setSigningBackend,
  type SigningBackendChoice,
  type SigningBackendName,
} from './signing-backend.js';
export { deterministicRandom } from './deterministic-random.js';
export { TEST_IDENTITIES } from './test-identities.js';
