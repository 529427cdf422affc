/**
 * zt-netconf-master: a ZeroTier-style network configuration master.
 * Layers, each depending only on those before it: crypto → protocol → master → storage.
 */
export * from './errors.js';
export { Identity } from './crypto/identity.js';
// Speed controls: Ed25519 backend (noble everywhere, node:crypto when available) and the memory-hard hash (WASM or JS).
export { getSigningBackend, isNativeSigningAvailable, setSigningBackend } from './crypto/signing-backend.js';
export type { SigningBackendChoice, SigningBackendName } from './crypto/signing-backend.js';
export type { SigningCounts } from './crypto/signing-pool.js';
export { memoryHardHash, setMemoryHardHashImplementation } from './crypto/memory-hard-hash.js';
export type { MemoryHardHashFunction } from './crypto/memory-hard-hash.js';
export { enableWasmMemoryHardHash } from './crypto/memory-hard-hash-wasm.js';
export { Dictionary } from './protocol/dictionary.js';
export { CertificateOfMembership } from './protocol/certificate.js';
export { NetworkConfig } from './protocol/network-config.js';
export * from './protocol/wire.js';
export * from './master/index.js';
export { openSqlJsStorage, restoreDatabaseFile } from './storage/index.js';
// Deterministic mode for tests and fixtures (published keys, not a secure generator: never for real networks).
export { TEST_IDENTITIES } from './crypto/test-identities.js';
export { deterministicRandom } from './crypto/deterministic-random.js';
export type { GenerateIdentityOptions } from './crypto/identity.js';
export type { ByteString, DictionarySigner, SignatureVerifier } from './protocol/dictionary.js';
export type {
  CertificateSigner, CertificateVerifier, CreateCertificateOptions, Qualifier,
} from './protocol/certificate.js';
export type { MulticastRate } from './protocol/network-config.js';
export type { Cidr, IpFamily } from './protocol/ip.js';
export type { SqlJsStorageOptions, SqlNetconfStore } from './storage/index.js';
export type { SqlJsEngineOptions } from './storage/sqljs/open.js';
