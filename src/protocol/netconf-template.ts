/**
 * The network-level part of a netconf (protocol.md §6), checked and laid out once per network
 * revision (an `EntryLayout` of the dictionary writer), so a member's netconf is made by writing
 * only its own entries (`ts`, `id`, `v4s`, `v6s`, `com` and the signature's) between fixed runs of
 * bytes written in advance: no sorting, no escaping of the fixed part, one buffer for the signing
 * message and one for the result.
 *
 * The bytes are exactly `buildNetconfDictionary({ ...network, ...member })` (signed with
 * `Dictionary.sign` when signed), and the fields are checked the same way with the same errors.
 */
import { CertificateOfMembership } from './certificate.js';
import { InvalidArgumentError } from '../errors.js';
import { addressToHex, parseAddress } from '../crypto/address.js';
import {
  Dictionary,
  SIGNATURE_BYTES,
  SIGNATURE_KEY,
  SIGNATURE_TIMESTAMP_KEY,
  SIGNER_IDENTITY_KEY,
  type DictionarySigner,
} from './dictionary.js';
import { EntryLayout, type PreparedEntries, type SerializedDraft, type SlotValue } from './entry-layout.js';
import { signatureTime } from './signature-time.js';
import { ExtensionKey, formatDns, formatMtu, formatRoutes } from './netconf-extensions.js';
import { asInvalidArgument } from './as-invalid-argument.js';
import { describeInput, hex16, parseNetworkId } from './ids.js';
import {
  NetconfKey,
  type NetconfFields,
  flag,
  formatActiveBridges,
  formatEtherTypes,
  formatMulticastLimit,
  formatMulticastRates,
  requireBigint,
  requireName,
  requireString,
  splitStaticIps,
  toBigint,
} from './netconf-fields.js';

/** What differs from member to member of one network at one revision. */
export type NetconfMemberFields = Pick<NetconfFields, 'timestamp' | 'issuedTo' | 'staticIps' | 'com'>;

/** What every member of a network gets alike at one revision: the rest of `NetconfFields`. */
export type NetconfNetworkFields = Omit<NetconfFields, keyof NetconfMemberFields>;

/** A member's netconf waiting for its signature (see `NetconfTemplate.prepare`). */
export interface PreparedNetconf {
  /**
   * The message to sign (§4): what `Dictionary.beginSignature` returns for this netconf. Yours:
   * it may be transferred to a worker.
   */
  readonly message: Uint8Array;
  /** `byteLength` of the signed netconf, known before signing (a netconf must fit 65,535). */
  readonly byteLength: number;
  /**
   * Where the 192 hex digits of the COM's signature begin in `message`; -1 when the netconf
   * carries no signed COM. A COM given with a stand-in signature can be signed later, together
   * with the netconf: its signature's hex goes here before `message` is signed, and to `complete`.
   */
  readonly comSignatureAt: number;
  /**
   * The signed netconf, given the 96-byte signature over `message` and, when the COM's signature
   * was written into `message` after `prepare`, that `comSignature` too (else InvalidArgumentError).
   * May be called again: each call gives a new Dictionary.
   */
  complete(signature: Uint8Array, comSignature?: Uint8Array): Dictionary;
}

// The entries a member brings, by slot number. The first five are its fields, the last three the signature's.
const COM = 0;
const ISSUED_TO = 1;
const TIMESTAMP = 2;
const STATIC_IPV4 = 3;
const STATIC_IPV6 = 4;
const SIGNATURE = 5;
const SIGNER = 6;
const SIGNATURE_TIME = 7;
const SLOT_KEYS: readonly string[] = [
  NetconfKey.CERTIFICATE_OF_MEMBERSHIP,
  NetconfKey.ISSUED_TO,
  NetconfKey.TIMESTAMP,
  NetconfKey.STATIC_IPV4,
  NetconfKey.STATIC_IPV6,
  SIGNATURE_KEY,
  SIGNER_IDENTITY_KEY,
  SIGNATURE_TIMESTAMP_KEY,
];
const SIGNATURE_HEX_LENGTH = SIGNATURE_BYTES * 2;
/** Where the signature's hex goes until it is known. */
const SIGNATURE_PLACE = '0'.repeat(SIGNATURE_HEX_LENGTH);

export class NetconfTemplate {
  /** Whether members' netconfs carry a COM (required) or not (refused). */
  readonly isPrivate: boolean;
  readonly #layout: EntryLayout;

  /** Checks and lays out the network-level fields; bad fields → InvalidArgumentError, as the builder. */
  constructor(network: NetconfNetworkFields) {
    if (network === null || typeof network !== 'object') throw new InvalidArgumentError('netconf fields object expected');
    const fixed = new Dictionary();
    fixed.set(NetconfKey.NETWORK_ID, asInvalidArgument(() => hex16(parseNetworkId(network.networkId)), 'netconf networkId'));
    fixed.set(NetconfKey.REVISION, asInvalidArgument(() => hex16(requireBigint(network.revision)), 'netconf revision'));
    fixed.set(NetconfKey.PRIVATE, flag(network.isPrivate, 'isPrivate'));
    fixed.set(NetconfKey.NAME, requireName(network.name));
    const description = network.description === undefined ? '' : requireString(network.description, 'description');
    if (description.length > 0) fixed.set(NetconfKey.DESCRIPTION, description);
    fixed.set(NetconfKey.ENABLE_BROADCAST, flag(network.enableBroadcast, 'enableBroadcast'));
    fixed.set(NetconfKey.ALLOW_PASSIVE_BRIDGING, flag(network.allowPassiveBridging, 'allowPassiveBridging'));
    fixed.set(NetconfKey.ETHER_TYPES, formatEtherTypes(network.allowedEtherTypes));
    const limit = formatMulticastLimit(network.multicastLimit);
    if (limit !== null) fixed.set(NetconfKey.MULTICAST_LIMIT, limit);
    const rates = network.multicastRates ?? [];
    if (rates.length > 0) fixed.set(NetconfKey.MULTICAST_RATES, formatMulticastRates(rates));
    const bridges = network.activeBridges ?? [];
    if (bridges.length > 0) fixed.set(NetconfKey.ACTIVE_BRIDGES, formatActiveBridges(bridges));
    const mtu = formatMtu(network.mtu);
    if (mtu !== null) fixed.set(ExtensionKey.MTU, mtu);
    const routes = formatRoutes(network.routes);
    if (routes !== null) fixed.set(ExtensionKey.ROUTES, routes);
    const dns = formatDns(network.dns);
    if (dns !== null) fixed.set(ExtensionKey.DNS, dns);
    this.isPrivate = network.isPrivate;
    this.#layout = new EntryLayout(fixed.entryBytes(), SLOT_KEYS);
  }

  /**
   * A member's unsigned netconf: the same bytes as `buildNetconfDictionary({ ...network, ...member })`.
   * Bad fields → InvalidArgumentError.
   */
  build(member: NetconfMemberFields): Dictionary {
    return Dictionary.fromSerialized(this.#layout.serialize(this.#memberValues(member)));
  }

  /**
   * `build(member).byteLength` without building it (the signed size is `prepare(...).byteLength`).
   * Bad fields → InvalidArgumentError, as `build`.
   */
  byteLength(member: NetconfMemberFields): number {
    return this.#layout.serializedLength(this.#memberValues(member));
  }

  /**
   * A member's netconf ready for signing elsewhere: `message` is what to sign; `complete(signature)`
   * then gives the signed netconf. `signerIdentityText` is the master's public identity string,
   * `nowMs` the signature time (default now). The same bytes as `buildNetconfDictionary` then
   * `beginSignature` and `completeSignature` (or `sign`). Bad arguments → InvalidArgumentError.
   */
  prepare(member: NetconfMemberFields, signerIdentityText: string, nowMs?: number | bigint): PreparedNetconf {
    const values = this.#memberValues(member);
    if (typeof signerIdentityText !== 'string') {
      throw new InvalidArgumentError(`the signer's identity string is needed, got ${describeInput(signerIdentityText)}`);
    }
    values[SIGNER] = signerIdentityText;
    values[SIGNATURE_TIME] = signatureTime(nowMs).toString(16);
    values[SIGNATURE] = SIGNATURE_PLACE;
    return new DraftNetconf(this.#layout.prepare(values), hasSignaturePlace(values[COM]));
  }

  /** `prepare`, `identity.sign(message)`, `complete`: a member's signed netconf at once. */
  sign(member: NetconfMemberFields, identity: DictionarySigner, nowMs?: number | bigint): Dictionary {
    if (identity === null || typeof identity !== 'object' || typeof identity.sign !== 'function') {
      throw new InvalidArgumentError('a dictionary is signed with an Identity that holds its private key');
    }
    const prepared = this.prepare(member, identity.toString(), nowMs);
    return prepared.complete(identity.sign(prepared.message));
  }

  /** The member's values by slot (signature slots left empty), checked as the builder checks them. */
  #memberValues(member: NetconfMemberFields): SlotValue[] {
    if (member === null || typeof member !== 'object') throw new InvalidArgumentError('netconf member fields object expected');
    const values = new Array<SlotValue>(SLOT_KEYS.length).fill(undefined);
    values[TIMESTAMP] = asInvalidArgument(() => hex16(toBigint(member.timestamp)), 'netconf timestamp');
    values[ISSUED_TO] = asInvalidArgument(() => addressToHex(parseAddress(member.issuedTo)), 'netconf issuedTo');
    const { v4, v6 } = splitStaticIps(member.staticIps ?? []);
    if (v4.length > 0) values[STATIC_IPV4] = v4.join(',');
    if (v6.length > 0) values[STATIC_IPV6] = v6.join(',');
    const com = member.com ?? null;
    if (this.isPrivate && com === null) throw new InvalidArgumentError('a private network netconf needs a com');
    if (!this.isPrivate && com !== null) throw new InvalidArgumentError('a public network netconf carries no com');
    if (com !== null) {
      values[COM] =
        typeof com === 'string' ? asInvalidArgument(() => CertificateOfMembership.parse(com).toString(), 'netconf com') : com.toString();
    }
    return values;
  }
}

/** Whether a COM's text ends with its signature: `":"` and 192 hex digits (an unsigned one ends with its 10-digit signer). */
function hasSignaturePlace(comText: SlotValue): boolean {
  return (
    typeof comText === 'string' &&
    comText.length > SIGNATURE_HEX_LENGTH &&
    comText.charCodeAt(comText.length - SIGNATURE_HEX_LENGTH - 1) === 0x3a
  );
}

/** A member's netconf waiting for its signature, and its COM's when that is signed together with it. */
class DraftNetconf implements PreparedNetconf {
  readonly message: Uint8Array;
  readonly comSignatureAt: number;
  readonly #draft: SerializedDraft;

  constructor(prepared: PreparedEntries, comMayBeSigned: boolean) {
    this.message = prepared.message;
    this.#draft = prepared.draft;
    const comEnd = prepared.messageValueEnds[COM]!;
    this.comSignatureAt =
      comMayBeSigned && comEnd >= 0 && prepared.draft.hasPlace(COM, SIGNATURE_HEX_LENGTH) ? comEnd - SIGNATURE_HEX_LENGTH : -1;
  }

  get byteLength(): number {
    return this.#draft.byteLength;
  }

  complete(signature: Uint8Array, comSignature?: Uint8Array): Dictionary {
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
      throw new InvalidArgumentError(`a signature is ${SIGNATURE_BYTES} bytes, got ${describeInput(signature)}`);
    }
    if (comSignature === undefined) return Dictionary.fromSerialized(this.#draft.complete([[SIGNATURE, signature]]));
    if (this.comSignatureAt < 0) throw new InvalidArgumentError('this netconf has no signed COM whose signature could be given');
    if (!(comSignature instanceof Uint8Array) || comSignature.length !== SIGNATURE_BYTES) {
      throw new InvalidArgumentError(`a COM signature is ${SIGNATURE_BYTES} bytes, got ${describeInput(comSignature)}`);
    }
    return Dictionary.fromSerialized(this.#draft.complete([[SIGNATURE, signature], [COM, comSignature]]));
  }
}
