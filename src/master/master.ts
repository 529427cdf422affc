/**
 * The netconf master: the request path (master.md §1) and the administration (api.md) over one
 * storage and one master identity.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { Identity } from '../crypto/identity.js';
import type { MemoryHardHashChoice } from '../crypto/memory-hard-hash.js';
import type { SigningBackendChoice } from '../crypto/signing/backend.js';
import { createSigningPool } from '../crypto/signing/pool.js';
import type { SigningCounts, ValidationCounts } from '../crypto/signing/pool-types.js';
import { InvalidArgumentError } from '../errors.js';
import { MAX_WIRE_DICTIONARY_BYTES } from '../protocol/wire.js';
import * as admin from './admin.js';
import type { MemberInfo, MemberPage, MemberPageInput, MemberUpdate, NetworkCreation, NetworkInfo } from './admin.js';
import type { MasterContext } from './context.js';
import { MasterEventEmitter, type MasterEventName, type MasterListener, type NetworkChangeEvent } from './events.js';
import { BoundedSet } from './bounded-set.js';
import { ExternalChangeWatch, reportExternalChanges } from './external-changes.js';
import { NetconfCache } from './netconf-cache.js';
import { NetworkPartsCache } from './network-parts.js';
import { doNetworkConfigRequest, type NetworkConfigReply, type NetworkConfigRequestInput } from './request.js';
import type { NetworkSettingsInput } from './settings.js';
import type { NetconfStore, StorageStats } from './store.js';
import { ValidationGate } from './validation-gate.js';
import { checkActor, checkRetention, DEFAULT_ACTOR, listAuditEntries, type AuditEntry, type AuditQueryInput, type AuditRetention } from './audit.js';
import {
  expireMembers, getMemberExpiry, pruneMembers, setMemberExpiry, type MemberExpiryPolicy, type PruneMembersOptions, type PruneResult,
} from './expiry.js';
import {
  createJoinToken, listJoinTokens, revokeJoinToken, type CreatedJoinToken, type JoinTokenInfo, type JoinTokenOptions,
} from './join-tokens.js';

/** Identity validations in flight per source address (see validation-gate.ts). */
const VALIDATIONS_PER_SOURCE = 2;

export interface NetconfMasterOptions {
  /** The clock, ms since the epoch (default Date.now). Used for `ts`, signature times, firstSeen, lastSeen, creationTime. */
  now?: () => number;
  /** Random bytes (default: the platform's secure generator). Used to pick new network numbers. */
  random?: (n: number) => Uint8Array;
  /**
   * Check the proof of work of every identity the first time it is seen (default true). The check
   * is one memory-hard hash per new node; turning it off accepts any key for a new address and is
   * meant for tests and trusted harnesses only.
   */
  validateIdentities?: boolean;
  /** Requests whose metadata dictionary is larger are denied (default 65,535, what the wire can carry). */
  maxMetaDataBytes?: number;
  /**
   * Worker threads that sign fresh netconfs when many are asked for at once (Node.js; they sign
   * with the chosen backend; default: cores - 1, at least 1, at most 4; 0: sign on the calling
   * thread). Workers start on the first burst and never keep the process alive while idle.
   */
  signingWorkers?: number;
  /**
   * The Ed25519 implementation that signs, here and in the workers: `'auto'` (default: Node's
   * `node:crypto` where it exists and agrees with noble, else noble), `'native'` (refused where
   * unavailable) or `'noble'` (pure JavaScript; also keeps browsers' WebCrypto out). Same bytes
   * whichever signs.
   */
  signingBackend?: SigningBackendChoice;
  /**
   * The memory-hard hash that validates new identities: `'auto'` (default: WebAssembly where it
   * runs, else JavaScript), `'wasm'`, `'js'`, or a function of your own (it runs on the calling
   * thread; the named ones run on the signing workers). Same verdicts whichever hashes.
   */
  memoryHardHash?: MemoryHardHashChoice;
  /**
   * Who the audit trail names for this master's administrative changes (default 'library'; see
   * `as()` for a label per caller).
   */
  actor?: string;
  /** How much audit history is kept (default: the newest 100,000 entries, whatever their age). */
  auditRetention?: AuditRetention;
  /**
   * How often the networks' member expiry policies are applied (ms; default 10 minutes; 0: only
   * when `expireMembers()` is called). The timer never keeps the process alive.
   */
  memberExpiryInterval?: number;
}

export interface NetconfMaster {
  /** This master's address (hex10): the top 40 bits of its network IDs. */
  readonly address: string;

  doNetworkConfigRequest(request: NetworkConfigRequestInput): Promise<NetworkConfigReply>;

  /** Creates a network with a free random ID, or with `settings.id` (this master's prefix; taken → ConflictError). */
  createNetwork(settings?: NetworkCreation): Promise<string>;
  getNetwork(nwid: string | bigint): Promise<NetworkInfo | null>;
  listNetworks(): Promise<NetworkInfo[]>;
  updateNetwork(nwid: string | bigint, patch: NetworkSettingsInput): Promise<void>;
  deleteNetwork(nwid: string | bigint): Promise<void>;
  addIpPool(nwid: string | bigint, cidr: string): Promise<void>;
  removeIpPool(nwid: string | bigint, cidr: string): Promise<void>;

  getMember(nwid: string | bigint, address: string | bigint): Promise<MemberInfo | null>;
  listMembers(nwid: string | bigint): Promise<MemberInfo[]>;
  /** One page of the members (filters, offset, limit: default 100), read in the database, with the network's counts. */
  pageMembers(nwid: string | bigint, page?: MemberPageInput): Promise<MemberPage>;
  /** Members of every network, and how many belong to a node seen at or after `since` (ms): counted in the database, for metrics. */
  countMembersSeen(since: number): Promise<{ members: number; seen: number }>;
  /** Authorizes a member; one that never asked yet is created authorized (pre-authorization). */
  authorizeMember(nwid: string | bigint, address: string | bigint): Promise<void>;
  /**
   * De-authorizes a member: the revision rises by the COM revision max delta + 1, so its last
   * certificate stops agreeing with those issued afterwards (master.md §4). A member not seen yet
   * is recorded as not authorized (pre-banning), which keeps it out of a public network too.
   */
  deauthorizeMember(nwid: string | bigint, address: string | bigint): Promise<void>;
  /** Authorizes many members in one transaction: one revision, one 'change' event. */
  authorizeMembers(nwid: string | bigint, addresses: readonly (string | bigint)[]): Promise<void>;
  /** De-authorizes many members in one transaction: one revision raise, one 'change' event. */
  deauthorizeMembers(nwid: string | bigint, addresses: readonly (string | bigint)[]): Promise<void>;
  setActiveBridge(nwid: string | bigint, address: string | bigint, on: boolean): Promise<void>;
  /** Changes any of a member's fields in one transaction (see MemberUpdate). */
  updateMember(nwid: string | bigint, address: string | bigint, update: MemberUpdate): Promise<void>;
  setMemberName(nwid: string | bigint, address: string | bigint, name: string): Promise<void>;
  setMemberNotes(nwid: string | bigint, address: string | bigint, notes: string): Promise<void>;
  setIpAssignments(nwid: string | bigint, address: string | bigint, cidrs: readonly string[]): Promise<void>;
  deleteMember(nwid: string | bigint, address: string | bigint): Promise<void>;

  /** Authorized members whose last reported revision is older than the network's. */
  membersToRefresh(nwid: string | bigint): Promise<string[]>;

  /**
   * A join token for the network: `token` is the secret, shown this once (stored only as a hash).
   * A member presenting it (metadata key `a`, value `token:<token>`) is authorized at first contact.
   */
  createJoinToken(nwid: string | bigint, options?: JoinTokenOptions): Promise<CreatedJoinToken>;
  /** The network's join tokens, oldest first: never their secrets. */
  listJoinTokens(nwid: string | bigint): Promise<JoinTokenInfo[]>;
  /** The token admits nobody from now on; the members it admitted stay. */
  revokeJoinToken(nwid: string | bigint, id: string): Promise<void>;

  /** Sets (or with null removes) the network's member expiry policy, applied every `memberExpiryInterval`. */
  setMemberExpiry(nwid: string | bigint, policy: MemberExpiryPolicy | null): Promise<void>;
  getMemberExpiry(nwid: string | bigint): Promise<Required<MemberExpiryPolicy> | null>;
  /** De-authorizes or deletes the network's members not seen for `notSeenFor` ms (or lists them: `dryRun`). */
  pruneMembers(nwid: string | bigint, options: PruneMembersOptions): Promise<PruneResult>;
  /** Applies every network's expiry policy now (the audit trail names `expiry`). */
  expireMembers(): Promise<PruneResult[]>;

  /** Administrative changes recorded, oldest first (by network, member, time). */
  listAuditEntries(query?: AuditQueryInput): Promise<AuditEntry[]>;
  /** This master, with its changes recorded in the audit trail as made by `actor`. */
  as(actor: string): NetconfMaster;

  /**
   * 'change': committed changes to networks (this master's, and revisions raised by another program
   * editing the database file); 'warning': shortages met answering requests, and settings 2015 nodes misread.
   */
  on<E extends MasterEventName>(event: E, listener: MasterListener<E>): void;
  off<E extends MasterEventName>(event: E, listener: MasterListener<E>): void;
  /** Listens to 'change' events; returns the function that stops listening. */
  subscribe(listener: (event: NetworkChangeEvent) => void): () => void;

  /** A consistent SQLite database file of the whole state (see the storage for restoring it). */
  backup(): Promise<Uint8Array>;

  /**
   * Where this master's netconf signatures were made so far: by worker threads (Node.js), by
   * WebCrypto (browsers), or on the calling thread.
   */
  readonly signatureCounts: Readonly<SigningCounts>;

  /** Where the new identities' proofs of work were checked so far: by worker threads, or on the calling thread. */
  readonly validationCounts: Readonly<ValidationCounts>;

  /**
   * What the storage counted of its own work since it opened (write transactions, syncs, snapshots
   * and their seconds; the database's size), or null when it counts nothing. For metrics.
   */
  storageStats(): Promise<StorageStats | null>;

  /** Stops the signing workers (the storage stays open: close it yourself). Requests still work, signing here. */
  close(): Promise<void>;
}

export function createNetconfMaster(
  storage: NetconfStore,
  identity: Identity,
  options: NetconfMasterOptions = {},
): NetconfMaster {
  if (storage === null || typeof storage !== 'object' || typeof storage.transaction !== 'function') {
    throw new InvalidArgumentError('createNetconfMaster needs a storage (see openSqlJsStorage)');
  }
  if (!(identity instanceof Identity)) throw new InvalidArgumentError('createNetconfMaster needs an Identity');
  if (!identity.hasPrivate) {
    throw new InvalidArgumentError(`the master identity ${identity.address} must hold its private key`);
  }
  const maxMetaDataBytes = options.maxMetaDataBytes ?? MAX_WIRE_DICTIONARY_BYTES;
  if (!Number.isSafeInteger(maxMetaDataBytes) || maxMetaDataBytes < 0) {
    throw new InvalidArgumentError('maxMetaDataBytes must be a non-negative integer');
  }
  const events = new MasterEventEmitter();
  const signer = createSigningPool(identity, {
    ...(options.signingWorkers === undefined ? {} : { workers: options.signingWorkers }),
    ...(options.signingBackend === undefined ? {} : { backend: options.signingBackend }),
    ...(options.memoryHardHash === undefined ? {} : { memoryHardHash: options.memoryHardHash }),
  });
  const actor = checkActor(options.actor ?? DEFAULT_ACTOR);
  const auditRetention = checkRetention(options.auditRetention);
  const memberExpiryInterval = options.memberExpiryInterval ?? DEFAULT_MEMBER_EXPIRY_INTERVAL;
  if (!Number.isSafeInteger(memberExpiryInterval) || memberExpiryInterval < 0) {
    throw new InvalidArgumentError('memberExpiryInterval must be a non-negative integer (ms)');
  }
  const context: MasterContext = {
    store: storage,
    identity,
    signer,
    address: identity.addressValue,
    now: options.now ?? Date.now,
    random: options.random ?? randomBytes,
    validateIdentities: options.validateIdentities ?? true,
    maxMetaDataBytes,
    events,
    externalChanges: new ExternalChangeWatch(storage),
    networkParts: new NetworkPartsCache(() => storage.generation),
    netconfs: new NetconfCache(storage),
    requestsInProgress: { count: 0 },
    validations: new ValidationGate(VALIDATIONS_PER_SOURCE),
    invalidIdentities: new BoundedSet(4096),
    actor,
    auditRetention,
  };
  const expiryTimer = memberExpiryInterval === 0 ? null : startExpiryTimer(context, memberExpiryInterval);
  // Another process's change (a shared engine) is reported at once, not only at this process's next request.
  const stopWatching = storage.onExternalChange?.(() => reportExternalChanges(context));
  return facade(context, async () => {
    stopWatching?.();
    if (expiryTimer !== null) clearInterval(expiryTimer);
    await signer.close();
  });
}

const DEFAULT_MEMBER_EXPIRY_INTERVAL = 10 * 60_000;

/** Applies the expiry policies every `interval` ms, one run at a time; never keeps the process alive. */
function startExpiryTimer(context: MasterContext, interval: number): ReturnType<typeof setInterval> {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    expireMembers(context).catch(() => {}).finally(() => (running = false)); // a storage error now is retried next time
  }, interval);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** The master's methods over one context (`as()` makes another with its own actor). */
function facade(context: MasterContext, close: () => Promise<void>): NetconfMaster {
  const { store: storage, events, signer, identity } = context;
  return {
    address: identity.address,
    doNetworkConfigRequest: (request) => doNetworkConfigRequest(context, request),
    createNetwork: (settings) => admin.createNetwork(context, settings),
    getNetwork: (nwid) => admin.getNetwork(context, nwid),
    listNetworks: () => admin.listNetworks(context),
    updateNetwork: (nwid, patch) => admin.updateNetwork(context, nwid, patch),
    deleteNetwork: (nwid) => admin.deleteNetwork(context, nwid),
    addIpPool: (nwid, cidr) => admin.addIpPool(context, nwid, cidr),
    removeIpPool: (nwid, cidr) => admin.removeIpPool(context, nwid, cidr),
    getMember: (nwid, address) => admin.getMember(context, nwid, address),
    listMembers: (nwid) => admin.listMembers(context, nwid),
    pageMembers: (nwid, page) => admin.pageMembers(context, nwid, page),
    countMembersSeen: (since) => admin.countMembersSeen(context, since),
    authorizeMember: (nwid, address) => admin.setMemberAuthorization(context, nwid, address, true),
    deauthorizeMember: (nwid, address) => admin.setMemberAuthorization(context, nwid, address, false),
    authorizeMembers: (nwid, addresses) => admin.setMembersAuthorization(context, nwid, addresses, true),
    deauthorizeMembers: (nwid, addresses) => admin.setMembersAuthorization(context, nwid, addresses, false),
    setActiveBridge: (nwid, address, on) => admin.setActiveBridge(context, nwid, address, on),
    updateMember: (nwid, address, update) => admin.updateMember(context, nwid, address, update),
    setMemberName: (nwid, address, name) => admin.updateMember(context, nwid, address, { name }),
    setMemberNotes: (nwid, address, notes) => admin.updateMember(context, nwid, address, { notes }),
    setIpAssignments: (nwid, address, cidrs) => admin.setIpAssignments(context, nwid, address, cidrs),
    deleteMember: (nwid, address) => admin.deleteMember(context, nwid, address),
    membersToRefresh: (nwid) => admin.membersToRefresh(context, nwid),
    createJoinToken: (nwid, joinOptions) => createJoinToken(context, nwid, joinOptions),
    listJoinTokens: (nwid) => listJoinTokens(context, nwid),
    revokeJoinToken: (nwid, id) => revokeJoinToken(context, nwid, id),
    setMemberExpiry: (nwid, policy) => setMemberExpiry(context, nwid, policy),
    getMemberExpiry: (nwid) => getMemberExpiry(context, nwid),
    pruneMembers: (nwid, pruneOptions) => pruneMembers(context, nwid, pruneOptions),
    expireMembers: () => expireMembers(context),
    listAuditEntries: (query) => listAuditEntries(context, query),
    as: (label) => facade({ ...context, actor: checkActor(label) }, close),
    on: (event, listener) => events.on(event, listener),
    off: (event, listener) => events.off(event, listener),
    subscribe: (listener) => {
      events.on('change', listener);
      return () => events.off('change', listener);
    },
    backup: () => storage.backup(),
    storageStats: async () => (storage.stats === undefined ? null : await storage.stats()),
    get signatureCounts() {
      return { ...signer.counts };
    },
    get validationCounts() {
      return { ...signer.validationCounts };
    },
    close,
  };
}
