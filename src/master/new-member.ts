/** A member's row as it is first written: by a request (master.md §1 step 3) or an administrator. */
import type { CredentialType, MemberRow } from './store.js';

/** How a member was admitted, for its record. */
export interface Credential {
  type: CredentialType;
  /** The join token's id, for a token. */
  id: string | null;
}

export const PUBLIC: Credential = { type: 'public', id: null };
export const BY_ADMINISTRATOR: Credential = { type: 'api', id: null };

/** A new member row, authorized by `credential` or (null) not authorized. */
export function newMember(nwid: string, address: string, now: number, credential: Credential | null): MemberRow {
  return {
    networkId: nwid,
    address,
    authorized: credential !== null,
    activeBridge: false,
    name: '',
    notes: '',
    authorizedAt: credential !== null ? now : null,
    deauthorizedAt: null,
    noAutoAssignIps: false,
    clientReportedRevision: null,
    lastAuthorizedCredentialType: credential?.type ?? null,
    lastAuthorizedCredential: credential?.id ?? null,
  };
}
