/**
 * The one interface every administrative command calls. Two implementations: over the library's
 * master on a local database (local-client.ts), and over a running master's HTTP admin API
 * (remote-client.ts). Both answer with the library's records and throw the library's typed
 * errors, so a command prints the same output and exits with the same code in either mode.
 */
import type { NetconfMaster } from '../../master/index.js';

/** The master's identity as a client may see it: never the secret. */
export interface MasterPublicIdentity {
  address: string;
  /** The public identity string (address:0:public key). */
  identity: string;
}

export type AdminOperations = Pick<
  NetconfMaster,
  | 'createNetwork'
  | 'getNetwork'
  | 'listNetworks'
  | 'updateNetwork'
  | 'deleteNetwork'
  | 'addIpPool'
  | 'removeIpPool'
  | 'getMember'
  | 'listMembers'
  | 'authorizeMember'
  | 'deauthorizeMember'
  | 'setActiveBridge'
  | 'setMemberName'
  | 'setMemberNotes'
  | 'setIpAssignments'
  | 'deleteMember'
  | 'createJoinToken'
  | 'listJoinTokens'
  | 'revokeJoinToken'
  | 'pruneMembers'
  | 'listAuditEntries'
>;

export interface AdminClient extends AdminOperations {
  /** The master this client administers. */
  masterIdentity(): Promise<MasterPublicIdentity>;
  /**
   * Calls `listener` with each warning the master gives while this client works (2015 nodes
   * misreading per-group multicast rates, ...). Remote mode: the running master logs its own.
   */
  onWarning(listener: (message: string) => void): void;
  /** Releases what the client holds (the database lock in local mode). */
  close(): Promise<void>;
}

export type NetworkRecord = NonNullable<Awaited<ReturnType<NetconfMaster['getNetwork']>>>;
export type MemberRecord = NonNullable<Awaited<ReturnType<NetconfMaster['getMember']>>>;
export type NetworkSettingsPatch = NonNullable<Parameters<NetconfMaster['createNetwork']>[0]>;
