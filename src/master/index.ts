/** The master layer: request path, address assignment, administration and its storage interface. */
export { createNetconfMaster } from './master.js';
export type { NetconfMaster, NetconfMasterOptions } from './master.js';
export { ResultCode } from './request.js';
export type { NetworkConfigReply, NetworkConfigRequestInput } from './request.js';
export type { MemberInfo, MemberPage, MemberPageInput, MemberUpdate, NetworkCreation, NetworkInfo } from './admin.js';
export type { CredentialType, MemberFields } from './member-fields.js';
export type { CreatedJoinToken, JoinTokenInfo, JoinTokenOptions } from './join-tokens.js';
export type { AuditEntry, AuditQueryInput, AuditRetention } from './audit.js';
export type { MemberExpiryAction, MemberExpiryPolicy, PruneMembersOptions, PruneResult } from './expiry.js';
export type { NetworkSettings, NetworkSettingsInput } from './settings.js';
export {
  DEFAULT_COM_REVISION_MAX_DELTA, DEFAULT_ETHER_TYPES, DEFAULT_MULTICAST_LIMIT, MAX_DESCRIPTION_BYTES,
  MAX_MEMBER_NAME_BYTES, MAX_MEMBER_NOTES_BYTES, MAX_NETWORK_NAME_BYTES,
} from './settings.js';
export type {
  IpPoolExhaustedEvent, MasterEventName, MasterEvents, MasterListener, NetworkChangeEvent, NetworkChangeType,
  PerGroupMulticastRatesEvent,
} from './events.js';

// What createNetconfMaster takes; its reader, transaction and rows are in `zt-netconf-master/storage`.
export type { NetconfStore, StorageStats, TimingTotals, V4AssignMode, V6AssignMode } from './store.js';
