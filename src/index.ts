/**
 * zt-netconf-master: a ZeroTier-style network configuration master.
 * Layers, each depending only on those before it: crypto → protocol → master → storage.
 *
 * Entry points: this one (the master, its storage, the protocol objects, errors);
 * `zt-netconf-master/testing` (published test identities, a seeded generator);
 * `zt-netconf-master/storage` (the storage interface and its row types, for implementers).
 */
export * from './errors.js';
export { Identity } from './crypto/identity.js';
export type { GenerateIdentityOptions } from './crypto/identity.js';
// Speed: the Ed25519 backend and the memory-hard hash are options (createNetconfMaster, Identity), automatic by default.
export { isNativeSigningAvailable } from './crypto/signing/backend.js';
export type { SigningBackendChoice, SigningBackendName } from './crypto/signing/backend.js';
export type { SigningCounts, ValidationCounts } from './crypto/signing/pool-types.js';
export { memoryHardHash } from './crypto/memory-hard-hash.js';
export type { MemoryHardHashChoice, MemoryHardHashFunction, MemoryHardHashOptions } from './crypto/memory-hard-hash.js';
export { Dictionary } from './protocol/dictionary.js';
export type { ByteString, DictionarySigner, SignatureVerifier } from './protocol/dictionary.js';
export { CertificateOfMembership } from './protocol/certificate.js';
export type {
  CertificateSigner, CertificateVerifier, CreateCertificateOptions, Qualifier,
} from './protocol/certificate.js';
export { NetworkConfig } from './protocol/network-config.js';
export type { MulticastRate } from './protocol/network-config.js';
export type { Cidr, IpFamily } from './protocol/ip.js';
export * from './protocol/wire.js';
export { createNetconfMaster } from './master/master.js';
export type { NetconfMaster, NetconfMasterOptions } from './master/master.js';
export { ResultCode } from './master/request.js';
export type { NetworkConfigReply, NetworkConfigRequestInput } from './master/request.js';
export type { MemberInfo, MemberPage, MemberPageInput, MemberUpdate, NetworkCreation, NetworkInfo } from './master/admin.js';
export type { CreatedJoinToken, JoinTokenInfo, JoinTokenOptions } from './master/join-tokens.js';
export type { AuditEntry, AuditQueryInput, AuditRetention } from './master/audit.js';
export type { MemberExpiryAction, MemberExpiryPolicy, PruneMembersOptions, PruneResult } from './master/expiry.js';
export type { NetworkSettings, NetworkSettingsInput } from './master/settings.js';
export {
  DEFAULT_COM_REVISION_MAX_DELTA, DEFAULT_ETHER_TYPES, DEFAULT_MULTICAST_LIMIT, MAX_DESCRIPTION_BYTES,
  MAX_MEMBER_NAME_BYTES, MAX_MEMBER_NOTES_BYTES, MAX_NETWORK_NAME_BYTES,
} from './master/settings.js';
export type {
  IpPoolExhaustedEvent, MasterEventName, MasterEvents, MasterListener, NetworkChangeEvent, NetworkChangeType,
} from './master/events.js';
// What createNetconfMaster takes; its reader, transaction and rows are in `zt-netconf-master/storage`.
export type { NetconfStore, V4AssignMode, V6AssignMode } from './master/store.js';
export { openSqlJsStorage, restoreDatabaseFile } from './storage/index.js';
export type { SqlJsStorageOptions, SqlNetconfStore } from './storage/index.js';
// The admin service: ZeroTier's controller API as a Fetch handler (docs/admin-api.md).
export * from './admin-api/index.js';
