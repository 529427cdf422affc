/**
 * What a member is, apart from how it is stored or shown: its network and address, its
 * authorization and how it got it, its name, notes and address policy, and the revision it last
 * reported. The store's row (`MemberRow`) and the public view (`MemberInfo`) both carry these.
 */

/** How a member got in: by an administrator, by a join token, or by joining a public network. */
export type CredentialType = 'api' | 'token' | 'public';
export const CREDENTIAL_TYPES: readonly CredentialType[] = ['api', 'token', 'public'];

export interface MemberFields {
  networkId: string;
  address: string;
  authorized: boolean;
  activeBridge: boolean;
  name: string;
  notes: string;
  /** When the member was last authorized (ms), or null. */
  authorizedAt: number | null;
  /** When the member was last de-authorized (ms), or null. */
  deauthorizedAt: number | null;
  /** The member gets no address from pools (only those an administrator gives). */
  noAutoAssignIps: boolean;
  /** The revision the member last reported having, or null before its first request. */
  clientReportedRevision: bigint | null;
  /** How the member was last authorized ('api', 'token', 'public'), or null when it never was. */
  lastAuthorizedCredentialType: CredentialType | null;
  /** The join token's id when it was last authorized by a token, else null. */
  lastAuthorizedCredential: string | null;
}
