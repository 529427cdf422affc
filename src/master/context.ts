/** What the request path and the administration share: storage, the master identity, clock, events. */
import type { BoundedSet } from './bounded-set.js';
import type { NetconfCache } from './netconf-cache.js';
import type { NetworkPartsCache } from './network-parts.js';
import type { Identity } from '../crypto/identity.js';
import type { SigningPool } from '../crypto/signing/pool-types.js';
import type { MasterEventEmitter } from './events.js';
import type { ExternalChangeWatch } from './external-changes.js';
import type { NetconfStore } from './store.js';
import type { ValidationGate } from './validation-gate.js';

export interface MasterContext {
  readonly store: NetconfStore;
  /** The master identity, with its private key. */
  readonly identity: Identity;
  /** Signs with the master identity and validates new identities, on worker threads when that pays. */
  readonly signer: SigningPool;
  /** The master's address: the top 40 bits of every network ID it serves. */
  readonly address: bigint;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly random: (n: number) => Uint8Array;
  readonly validateIdentities: boolean;
  readonly maxMetaDataBytes: number;
  readonly events: MasterEventEmitter;
  /** Finds the revisions another program raised in the database (see external-changes.ts). */
  readonly externalChanges: ExternalChangeWatch;
  readonly networkParts: NetworkPartsCache;
  readonly netconfs: NetconfCache;
  /** Requests begun and not yet answered: one alone has its netconf signed at once (SignOptions.alone). */
  readonly requestsInProgress: { count: number };
  /** Bounds the identity validations in flight per source address. */
  readonly validations: ValidationGate;
  /** Public identities whose proof of work failed (bounded). */
  readonly invalidIdentities: BoundedSet<string>;
  /** Who the audit trail names for administrative changes made through this context. */
  readonly actor: string;
  /** How much audit history is kept (see audit.ts). */
  readonly auditRetention: { readonly maxAge: number | null; readonly maxEntries: number | null };
}
