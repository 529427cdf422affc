/**
 * Answering a member's NETWORK_CONFIG_REQUEST (master.md §1, §2; protocol.md §5, §6).
 *
 * Inputs are checked first, writing nothing when they are bad. Then one transaction runs the
 * eight steps of master.md §1 in order. It is opened with deferred durability, so statistics
 * (lastSeen, reported revision) ride on the next sync, while a request that claims something (a
 * new node, member or address) marks itself durable and is answered only once the claim is on disk.
 *
 * Step 8 builds the netconf inside the transaction, with everything but its two signatures (and
 * checks that the signed result will fit a reply), and signs it once the transaction has committed:
 * signing is the expensive part, and outside the transaction it can go to a worker thread while
 * other requests run. The COM and the netconf that carries it are signed as a pair, in one trip
 * to a worker. The signed netconf is then cached, in memory and in the store.
 */
import { C25519_SIGNATURE_BYTES } from '../crypto/c25519.js';
import { Identity } from '../crypto/identity.js';
import { CertificateOfMembership } from '../protocol/certificate.js';
import { Dictionary } from '../protocol/dictionary.js';
import { networkIdToHex, UINT64_MAX } from '../protocol/ids.js';
import { MAX_WIRE_DICTIONARY_BYTES as MAX_NETCONF_BYTES } from '../protocol/wire.js';
import type { PreparedNetconf } from '../protocol/netconf-template.js';
import { InvalidArgumentError, LimitExceededError } from '../errors.js';
import type { MasterContext } from './context.js';
import type { IpPoolExhaustedEvent } from './events.js';
import { reportExternalChanges } from './external-changes.js';
import { memberAddresses } from './ip-assignment.js';
import { UNKNOWN_VERSION, versionFromMetadata } from './node-version.js';
import type { NetworkParts } from './network-parts.js';
import { call, type JoinTokenRow, type MemberRow, type MemberStatus, type NetconfStoreTx, type NetworkStatus, type NodeVersion, type RequestState, type StorageWork } from './store.js';
import { memberAuditFields, recordAudit } from './audit.js';
import { changeEvent } from './events.js';
import { findJoinToken, presentedJoinToken } from './join-tokens.js';
import { newMember, PUBLIC, type Credential } from './new-member.js';

/** The outcome of a request (master.md §1) and what the host node does with it. */
export const ResultCode = {
  /** Send the signed netconf that comes with it. */
  OK: 0,
  /** Send nothing: the member is up to date. */
  OK_BUT_NOT_NEWER: 1,
  /** Send ERROR 3 (object not found). */
  OBJECT_NOT_FOUND: 2,
  /** Send ERROR 7 (network access denied). */
  ACCESS_DENIED: 3,
  /** Send nothing; log `error`. */
  INTERNAL_SERVER_ERROR: 4,
} as const;
export type ResultCode = (typeof ResultCode)[keyof typeof ResultCode];

export interface NetworkConfigRequestInput {
  /** The member's physical address (`ip/port`) when the request came directly; null when relayed. */
  fromAddr?: string | null;
  /** The requester's identity (the public part is enough), or its string form. */
  identity: Identity | string;
  /** hex16 or bigint. */
  nwid: string | bigint;
  /** The request's metadata dictionary (or its serialized bytes). */
  metaData?: Dictionary | Uint8Array | string | null;
  /** The revision the member already has; 0 or absent for none. */
  haveRevision?: bigint | number | null;
}

/**
 * A request's outcome, discriminated by `code`: after `reply.code === ResultCode.OK`, `netconf`
 * is a Dictionary (no `!` needed); with INTERNAL_SERVER_ERROR, `error` is a string.
 */
export type NetworkConfigReply =
  | {
      code: typeof ResultCode.OK;
      /** The signed netconf. */
      netconf: Dictionary;
      /** Shortages met while building the config (an IP pool full). */
      warnings?: string[];
      error?: undefined;
    }
  | {
      code: typeof ResultCode.OK_BUT_NOT_NEWER | typeof ResultCode.OBJECT_NOT_FOUND | typeof ResultCode.ACCESS_DENIED;
      netconf?: undefined;
      /** What was wrong with the input, when it was bad. */
      error?: string;
    }
  | {
      code: typeof ResultCode.INTERNAL_SERVER_ERROR;
      netconf?: undefined;
      /** What went wrong. */
      error: string;
    };

/** The longest `fromAddr` kept (the reference's Node.lastAt column size). */
const MAX_FROM_ADDR_LENGTH = 64;

/** Holds the place of a COM's signature in a netconf prepared before the COM is signed. */
const COM_SIGNATURE_STAND_IN = new Uint8Array(C25519_SIGNATURE_BYTES);

interface CheckedRequest {
  identity: Identity;
  /** Read for a join token only when one could matter (see admitWithJoinToken). */
  metaData: NetworkConfigRequestInput['metaData'];
  /** The identity's public string form. */
  publicIdentity: string;
  /** The network ID's hex16 form. */
  nwidHex: string;
  fromAddr: string | null;
  haveRevision: bigint;
  /** The software version the metadata tells, or null. */
  version: NodeVersion | null;
}

export async function doNetworkConfigRequest(
  context: MasterContext,
  request: NetworkConfigRequestInput,
): Promise<NetworkConfigReply> {
  context.requestsInProgress.count++;
  try {
    return await answerRequest(context, request);
  } finally {
    context.requestsInProgress.count--;
    reportExternalChanges(context);
  }
}

async function answerRequest(context: MasterContext, request: NetworkConfigRequestInput): Promise<NetworkConfigReply> {
  const checked = checkRequest(context, request);
  if ('code' in checked) return checked;

  const { identity, publicIdentity, fromAddr } = checked;

  // A node seen for the first time must prove that its address belongs to its key (the memory-hard
  // hash, done once). The transaction stops before writing anything when it meets such a node;
  // the proof is checked outside it, which it would otherwise hold up, on a signing worker (a few
  // at a time per source address), and the request runs again.
  let proofChecked = !context.validateIdentities;
  for (;;) {
    let outcome: Answer;
    try {
      outcome = await context.store.transaction(
        (tx) => answer(context, tx, checked, publicIdentity, fromAddr, proofChecked),
        { durability: 'deferred' },
      );
    } catch (error) {
      return { code: ResultCode.INTERNAL_SERVER_ERROR, error: describeError(error) };
    }
    if (outcome === NEEDS_PROOF_OF_WORK) {
      // An identity that failed once fails again: do not let it cost a memory-hard hash each time.
      if (context.invalidIdentities.has(publicIdentity) || !(await validate(context, identity, fromAddr))) {
        context.invalidIdentities.add(publicIdentity);
        return { code: ResultCode.ACCESS_DENIED, error: `identity ${identity.address} does not validate` };
      }
      proofChecked = true;
      continue;
    }
    let reply: NetworkConfigReply;
    if ('unsigned' in outcome) {
      try {
        reply = { code: ResultCode.OK, netconf: await signNetconf(context, outcome.unsigned) };
      } catch (error) {
        return { code: ResultCode.INTERNAL_SERVER_ERROR, error: describeError(error) };
      }
      if (outcome.shortages.length > 0) reply.warnings = outcome.shortages.map((shortage) => shortage.message);
    } else {
      reply = outcome.reply;
    }
    if (outcome.joined !== undefined) emitJoined(context, outcome.joined);
    for (const event of outcome.shortages) context.events.emit('warning', event);
    return reply;
  }
}

/** The proof of work of a new identity, checked off the calling thread, a few at a time per source. */
function validate(context: MasterContext, identity: Identity, fromAddr: string | null): Promise<boolean> {
  return context.validations.run(fromAddr, () => context.signer.validateIdentity(identity));
}

const NEEDS_PROOF_OF_WORK = Symbol('needs proof of work');
type Answer =
  | { reply: NetworkConfigReply; shortages: readonly []; joined?: JoinedMember }
  | { unsigned: UnsignedNetconf; shortages: IpPoolExhaustedEvent[]; joined?: JoinedMember }
  | typeof NEEDS_PROOF_OF_WORK;

/** A fresh netconf made inside the request's transaction, to be signed after it commits. */
interface UnsignedNetconf {
  readonly nwid: string;
  readonly revision: bigint;
  readonly address: string;
  readonly timestamp: number;
  /** The netconf; its COM (private networks) carries a stand-in signature until signed. */
  readonly prepared: PreparedNetconf;
  /** What the COM's signature covers, or null on a public network (no COM). */
  readonly comMessage: Uint8Array | null;
  /** The store's generation in the transaction that made it (see NetconfCache.keep). */
  readonly generation: number;
}

/** Checks every input before anything is read or written. */
function checkRequest(context: MasterContext, request: NetworkConfigRequestInput): CheckedRequest | NetworkConfigReply {
  if (request === null || typeof request !== 'object') {
    return { code: ResultCode.OBJECT_NOT_FOUND, error: 'request object expected' };
  }
  let nwidHex: string;
  try {
    nwidHex = networkIdToHex(request.nwid);
  } catch (error) {
    return { code: ResultCode.OBJECT_NOT_FOUND, error: describeError(error) };
  }

  let identity: Identity;
  let publicIdentity: string;
  try {
    ({ identity, publicIdentity } = requestIdentity(request.identity));
  } catch (error) {
    return { code: ResultCode.ACCESS_DENIED, error: `bad identity: ${describeError(error)}` };
  }

  const fromAddr = request.fromAddr ?? null;
  if (fromAddr !== null && (typeof fromAddr !== 'string' || fromAddr.length > MAX_FROM_ADDR_LENGTH)) {
    return { code: ResultCode.ACCESS_DENIED, error: `fromAddr must be a string of at most ${MAX_FROM_ADDR_LENGTH} characters` };
  }

  const metaSize = metaDataSize(request.metaData);
  if (metaSize === null || metaSize > context.maxMetaDataBytes) {
    return {
      code: ResultCode.ACCESS_DENIED,
      error: metaSize === null ? 'metaData must be a Dictionary' : `metaData is ${metaSize} bytes; at most ${context.maxMetaDataBytes} accepted`,
    };
  }

  const have = request.haveRevision ?? 0n;
  let haveRevision: bigint;
  if (typeof have === 'bigint' && have >= 0n && have <= UINT64_MAX) haveRevision = have;
  else if (typeof have === 'number' && Number.isSafeInteger(have) && have >= 0) haveRevision = BigInt(have);
  else return { code: ResultCode.ACCESS_DENIED, error: 'haveRevision must be a uint64' };

  return { identity, metaData: request.metaData, publicIdentity, nwidHex, fromAddr, haveRevision, version: versionFromMetadata(request.metaData) };
}

/**
 * The request's identity and its public string form: parsed from that form, or the Identity given, when it is one. An
 * object that only looks like one (another prototype, no key inside: a Proxy, `Object.create(Identity.prototype)`)
 * is refused rather than trusted or left to throw later. A real Identity is frozen when made, so it
 * has no properties of its own that could shadow its getters.
 */
function requestIdentity(value: unknown): { identity: Identity; publicIdentity: string } {
  if (typeof value === 'string') {
    const identity = Identity.fromString(value);
    return { identity, publicIdentity: identity.toString(false) };
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Identity.prototype) {
    try {
      // Reads the key inside (a TypeError when there is none), never through the object's own methods.
      return { identity: value as Identity, publicIdentity: Identity.prototype.toString.call(value, false) };
    } catch {
      // refused below
    }
  }
  throw new InvalidArgumentError('identity must be an Identity or its string form');
}

/** The eight steps of master.md §1, inside one transaction. */
function* answer(
  context: MasterContext,
  tx: NetconfStoreTx,
  request: CheckedRequest,
  publicIdentity: string,
  fromAddr: string | null,
  proofChecked: boolean,
): StorageWork<Answer> {
  const now = context.now();
  const address = request.identity.address;
  const { nwidHex } = request;

  // Every request makes this call: yielded as `call` would yield it, without a generator of its own
  // (one per request, measured at 1-3 % of a repeated request's time).
  const stored = (yield tx.getRequestState(nwidHex, address)) as RequestState;

  // 1. Node record: an address belongs to the first identity that claimed it.
  if (stored.nodeIdentity !== undefined) {
    if (!sameIdentity(stored.nodeIdentity, request.identity)) return answered({ code: ResultCode.ACCESS_DENIED });
    tx.touchNode(address, now, fromAddr, request.version);
  } else {
    if (!proofChecked) return NEEDS_PROOF_OF_WORK;
    yield* call(tx.insertNode({
      address, identity: publicIdentity, lastAt: fromAddr, firstSeen: now, lastSeen: now, version: request.version ?? { ...UNKNOWN_VERSION },
    }));
    tx.requireDurable();
  }

  // 2. Network: ours, and present.
  if (!nwidHex.startsWith(context.identity.address)) return answered({ code: ResultCode.OBJECT_NOT_FOUND });
  const network = stored.network;
  if (network === undefined) return answered({ code: ResultCode.OBJECT_NOT_FOUND });

  // 3. Member: created on first request, authorized at once on a public network, or on a private
  // one with a good join token (4a).
  const { member: known } = stored;
  const admission =
    known === undefined
      ? yield* createMember(context, tx, request, network, now)
      : !known.authorized && network.private && presentedJoinToken(request.metaData) !== undefined
        ? yield* admitWithJoinToken(context, tx, request, known, network.revision, now)
        : { member: known, revision: network.revision, joined: undefined };
  if (!('member' in admission)) return answered(admission);
  const { member, revision, joined } = admission;

  // 4. Authorization.
  if (!member.authorized) return answered({ code: ResultCode.ACCESS_DENIED });

  // 5. What the member says it has.
  if (member.clientReportedRevision !== request.haveRevision) {
    yield* call(tx.updateMemberReportedRevision(nwidHex, address, request.haveRevision));
  }

  // 6. Up to date.
  if (request.haveRevision > 0n && request.haveRevision === revision) {
    return withJoined(answered({ code: ResultCode.OK_BUT_NOT_NEWER }), joined);
  }

  // 7. The config already made at this revision, byte for byte, signing nothing.
  const cached =
    context.netconfs.get(nwidHex, address, revision) ??
    (yield* context.netconfs.load(tx, nwidHex, address, revision, member.cachedNetconfRevision));
  if (cached !== undefined) return withJoined(answered({ code: ResultCode.OK, netconf: cached }), joined);

  // 8. A new config, signed once this transaction has committed.
  const parts = yield* context.networkParts.get(tx, nwidHex, revision);
  return withJoined(yield* buildUnsigned(context, tx, parts, request.identity, now), joined);
}

/** A member created or admitted by this request, with the revision it is served and the join to report. */
interface Admission {
  member: MemberStatus;
  revision: bigint;
  joined: JoinedMember | undefined;
}

/** Step 3: the member's first request creates it, authorized on a public network or by a good join token. */
function* createMember(
  context: MasterContext,
  tx: NetconfStoreTx,
  request: CheckedRequest,
  network: NetworkStatus,
  now: number,
): StorageWork<Admission | NetworkConfigReply> {
  const token = network.private ? yield* joinTokenOf(tx, request, now) : undefined;
  const credential = network.private ? (token === undefined || token === null ? null : byToken(token)) : PUBLIC;
  const row = newMember(request.nwidHex, request.identity.address, now, credential);
  yield* call(tx.insertMember(row));
  tx.requireDurable();
  if (token === null) return JOIN_TOKEN_REFUSED;
  const joined = token === undefined ? undefined : yield* recordJoin(context, tx, token, undefined, row);
  return { member: { ...row, cachedNetconfRevision: null }, revision: network.revision, joined };
}

/** Step 4a: a join token admits a member not yet authorized, never one an administrator de-authorized. */
function* admitWithJoinToken(
  context: MasterContext,
  tx: NetconfStoreTx,
  request: CheckedRequest,
  member: MemberStatus,
  revision: bigint,
  now: number,
): StorageWork<Admission | NetworkConfigReply> {
  const row = yield* call(tx.getMember(request.nwidHex, request.identity.address));
  if (row === undefined || row.deauthorizedAt !== null) return JOIN_TOKEN_REFUSED;
  const token = yield* joinTokenOf(tx, request, now);
  if (token === null || token === undefined) return JOIN_TOKEN_REFUSED;
  const credential = byToken(token);
  const admitted: MemberRow = {
    ...row, authorized: true, authorizedAt: now,
    lastAuthorizedCredentialType: credential.type, lastAuthorizedCredential: credential.id,
  };
  yield* call(tx.updateMember(admitted));
  tx.requireDurable();
  // The store raised the revision (a member authorized): this request serves the new one.
  const raised = (yield* call(tx.getNetwork(request.nwidHex)))?.revision ?? revision;
  yield* context.externalChanges.ownChange(tx);
  const joined = yield* recordJoin(context, tx, token, row, admitted);
  return { member: { ...member, authorized: true }, revision: raised, joined };
}

const byToken = (token: JoinTokenRow): Credential => ({ type: 'token', id: token.id });

/** The reply to a join token that admits nobody: it says no more (which part was wrong stays unsaid). */
const JOIN_TOKEN_REFUSED: NetworkConfigReply = { code: ResultCode.ACCESS_DENIED, error: 'join token refused' };

/** A member a join token admitted, reported as a 'change' once the request commits. */
interface JoinedMember {
  nwid: string;
  address: string;
}

/**
 * The join token the request presents, spent: undefined when it presents none, null when the
 * token admits nobody (unknown, another network's, wrong secret, revoked, expired, used up).
 */
function* joinTokenOf(tx: NetconfStoreTx, request: CheckedRequest, now: number): StorageWork<JoinTokenRow | null | undefined> {
  const text = presentedJoinToken(request.metaData);
  if (text === undefined) return undefined;
  const token = yield* findJoinToken(tx, request.nwidHex, text);
  if (token === undefined || !(yield* call(tx.spendJoinToken(token.id, now)))) return null;
  tx.requireDurable();
  return { ...token, uses: token.uses + 1 };
}

function* recordJoin(
  context: MasterContext,
  tx: NetconfStoreTx,
  token: JoinTokenRow,
  before: MemberRow | undefined,
  after: MemberRow,
): StorageWork<JoinedMember> {
  yield* recordAudit(context, tx, `token:${token.id}`, {
    action: 'memberAuthorized',
    nwid: after.networkId,
    address: after.address,
    before: before === undefined ? undefined : memberAuditFields(before),
    after: memberAuditFields(after),
  });
  return { nwid: after.networkId, address: after.address };
}

/** A member admitted by a join token is a change like an administrator's authorization. */
function emitJoined(context: MasterContext, joined: JoinedMember): void {
  const { nwid, address } = joined;
  context.store
    .read(function* (reader) {
      return (yield* call(reader.getNetwork(nwid)))?.revision;
    })
    .then((revision) => {
      if (revision === undefined) return;
      context.events.emit('change', changeEvent({ type: 'memberAuthorized', nwid, address, revision }, () =>
        context.store.read(function* (reader) {
          return yield* call(reader.membersBehind(nwid, revision));
        })));
    }, () => {});
}

/** The answer, carrying the member a join token admitted (reported once the request commits). */
function withJoined(outcome: Answer, joined: JoinedMember | undefined): Answer {
  return joined === undefined || outcome === NEEDS_PROOF_OF_WORK ? outcome : { ...outcome, joined };
}

const NO_SHORTAGES: readonly [] = Object.freeze([]) as readonly [];

/** An answer decided without a new netconf. */
function answered(reply: NetworkConfigReply): Answer {
  return { reply, shortages: NO_SHORTAGES };
}

function* buildUnsigned(
  context: MasterContext,
  tx: NetconfStoreTx,
  parts: NetworkParts,
  identity: Identity,
  now: number,
): StorageWork<Answer> {
  const { network, template } = parts;
  const addresses = yield* memberAddresses(tx, network, identity.address, identity.addressValue, parts.routes);
  // The COM's signature is made with the netconf's, after the commit: until then a stand-in of
  // the same size holds its place, so the netconf's bytes, and its size, are final here.
  const com = network.private
    ? CertificateOfMembership.create({
        revision: network.revision,
        revisionMaxDelta: network.comRevisionMaxDelta,
        nwid: network.id,
        issuedTo: identity.address,
      }).applySignature(context.identity.address, COM_SIGNATURE_STAND_IN)
    : null;
  const member = { timestamp: now, issuedTo: identity.address, staticIps: addresses.staticIps, com };
  const prepared = template.prepare(member, context.identity.toString(false), now);

  // Thrown here, so that the transaction, and whatever it claimed, rolls back.
  if (prepared.byteLength > MAX_NETCONF_BYTES) {
    throw new LimitExceededError(
      `netconf for ${identity.address} on ${network.id} is ${prepared.byteLength} bytes; at most ${MAX_NETCONF_BYTES} fit a reply`,
    );
  }

  const shortages: IpPoolExhaustedEvent[] = addresses.shortages.map((shortage) => ({
    type: 'ipPoolExhausted',
    nwid: network.id,
    address: identity.address,
    family: shortage.family,
    message: shortage.message,
  }));
  const unsigned: UnsignedNetconf = {
    nwid: network.id,
    revision: network.revision,
    address: identity.address,
    timestamp: now,
    prepared,
    comMessage: com?.signingMessage() ?? null,
    generation: context.store.generation,
  };
  return { shortages, unsigned };
}

/** Signs the COM and the netconf that carries it (or the netconf alone); caches the result. */
async function signNetconf(context: MasterContext, unsigned: UnsignedNetconf): Promise<Dictionary> {
  const { prepared, comMessage } = unsigned;
  // The one request in progress need not wait for a turn of the event loop to be found alone.
  const options = { alone: context.requestsInProgress.count === 1 };
  let netconf: Dictionary;
  if (comMessage === null) {
    netconf = prepared.complete(await context.signer.sign(prepared.message, options));
  } else {
    const [comSignature, signature] = await context.signer.signPair(comMessage, prepared.message, prepared.comSignatureAt, options);
    netconf = prepared.complete(signature, comSignature);
  }
  context.netconfs.keep(unsigned.generation, unsigned.nwid, unsigned.address, netconf, {
    bytes: netconf.toBytes(),
    revision: unsigned.revision,
    timestamp: unsigned.timestamp,
  });
  return netconf;
}


function sameIdentity(stored: string, identity: Identity): boolean {
  if (stored === identity.toString(false)) return true;
  try {
    return Identity.fromString(stored).equals(identity);
  } catch {
    return false;
  }
}

function metaDataSize(metaData: NetworkConfigRequestInput['metaData']): number | null {
  if (metaData === undefined || metaData === null) return 0;
  if (metaData instanceof Dictionary) return metaData.byteLength;
  if (metaData instanceof Uint8Array) return metaData.length;
  if (typeof metaData === 'string') return new TextEncoder().encode(metaData).length;
  return null;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

