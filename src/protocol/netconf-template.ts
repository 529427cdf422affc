/**
 * The network-level part of a netconf (protocol.md §6), checked and serialized once per network
 * revision, so a member's netconf is made by writing only its own entries (`ts`, `id`, `v4s`,
 * `v6s`, `com` and the signature's) between fixed runs of bytes prepared in advance: no sorting,
 * no escaping of the fixed part, one buffer for the signing message and one for the result.
 *
 * The bytes are exactly `buildNetconfDictionary({ ...network, ...member })` (signed with
 * `Dictionary.sign` when signed), and the fields are checked the same way with the same errors.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { CertificateOfMembership } from './certificate.js';
import { InvalidArgumentError } from '../errors.js';
import { addressToHex, parseAddress } from '../crypto/address.js';
import { writeSignatureHex } from '../crypto/c25519.js';
import {
  Dictionary,
  SIGNATURE_BYTES,
  SIGNATURE_KEY,
  SIGNATURE_TIMESTAMP_KEY,
  SIGNER_IDENTITY_KEY,
  type DictionarySigner,
} from './dictionary.js';
import {
  ESCAPED_CHARACTER, SIGNED_MESSAGE_END_BYTES, dictionaryInternals, isEscapedByte, signatureTime, writeSignedMessageEnd,
} from './dictionary-internal.js';
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
const FIRST_SIGNATURE_SLOT = SIGNATURE;

/** A run of network-level entries in key order: as signed (`key=value NUL`) and as serialized. */
interface FixedStep {
  readonly slot: -1;
  readonly raw: Uint8Array;
  readonly escaped: Uint8Array;
}

/** Where a member's entry goes, if it has one. Its key is ASCII and needs no escaping. */
interface SlotStep {
  readonly slot: number;
  readonly key: string;
}

type Step = FixedStep | SlotStep;

const EQUALS = 0x3d;
const NUL = 0x00;
const LF = 0x0a;
const SIGNATURE_LINE_BYTES = SIGNATURE_KEY.length + 1 + SIGNATURE_BYTES * 2 + 1;

export class NetconfTemplate {
  /** Whether members' netconfs carry a COM (required) or not (refused). */
  readonly isPrivate: boolean;
  /** The network-level entries alone, for member values that need escaping (never from the master). */
  readonly #fixed: Dictionary;
  readonly #steps: readonly Step[];
  readonly #fixedCount: number;
  readonly #fixedRawLength: number;
  readonly #fixedEscapedLength: number;

  /** Checks and serializes the network-level fields; bad fields → InvalidArgumentError, as the builder. */
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
    this.isPrivate = network.isPrivate;
    this.#fixed = fixed;

    // Every key is ASCII: its text orders as its bytes do. Merge the member slots into the fixed
    // entries by key, then join each run of fixed entries into one piece of each form.
    type Item = { key: string; slot: number; entry?: [Uint8Array, Uint8Array] };
    const items: Item[] = fixed.entryBytes().map((entry) => ({ key: String.fromCharCode(...entry[0]), slot: -1, entry }));
    SLOT_KEYS.forEach((key, slot) => items.push({ key, slot }));
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const steps: Step[] = [];
    let run: Array<[Uint8Array, Uint8Array]> = [];
    const endRun = (): void => {
      if (run.length === 0) return;
      steps.push({ slot: -1, raw: rawEntries(run), escaped: new Dictionary(run).toBytes() });
      run = [];
    };
    for (const item of items) {
      if (item.entry !== undefined) {
        run.push(item.entry);
      } else {
        endRun();
        steps.push({ slot: item.slot, key: item.key });
      }
    }
    endRun();
    this.#steps = steps;
    this.#fixedCount = fixed.size;
    let rawLength = 0;
    let escapedLength = 0;
    for (const step of steps) {
      if (step.slot === -1) {
        rawLength += (step as FixedStep).raw.length;
        escapedLength += (step as FixedStep).escaped.length;
      }
    }
    this.#fixedRawLength = rawLength;
    this.#fixedEscapedLength = escapedLength;
  }

  /**
   * A member's unsigned netconf: the same bytes as `buildNetconfDictionary({ ...network, ...member })`.
   * Bad fields → InvalidArgumentError.
   */
  build(member: NetconfMemberFields): Dictionary {
    const values = this.#memberValues(member);
    const out = new Uint8Array(this.#fixedEscapedLength + entriesLength(values, FIRST_SIGNATURE_SLOT));
    let at = 0;
    for (const step of this.#steps) {
      if (step.slot === -1) {
        out.set((step as FixedStep).escaped, at);
        at += (step as FixedStep).escaped.length;
        continue;
      }
      if (step.slot >= FIRST_SIGNATURE_SLOT) continue;
      const value = values[step.slot];
      if (value === undefined) continue;
      at = writeAscii(out, at, (step as SlotStep).key);
      out[at++] = EQUALS;
      at = writePlain(out, at, value);
      if (at < 0) return this.#genericDictionary(values);
      out[at++] = LF;
    }
    return dictionaryInternals.fromCanonicalBytes(out);
  }

  /**
   * `build(member).byteLength` without building it (the signed size is `prepare(...).byteLength`).
   * Bad fields → InvalidArgumentError, as `build`.
   */
  byteLength(member: NetconfMemberFields): number {
    const values = this.#memberValues(member);
    if (!allPlain(values)) return this.#genericDictionary(values).byteLength;
    return this.#fixedEscapedLength + entriesLength(values, FIRST_SIGNATURE_SLOT);
  }

  /**
   * A member's netconf ready for signing elsewhere: `message` is what to sign; `complete(signature)`
   * then gives the signed netconf. `signerIdentityText` is the master's public identity string,
   * `nowMs` the signature time (default now). The same bytes as `buildNetconfDictionary` then
   * `beginSignature` and `completeSignature` (or `sign`). Bad arguments → InvalidArgumentError.
   */
  prepare(member: NetconfMemberFields, signerIdentityText: string, nowMs?: number | bigint): PreparedNetconf {
    return this.#prepared(this.#memberValues(member), signerIdentityText, nowMs);
  }

  #prepared(values: Array<string | undefined>, signerIdentityText: string, nowMs?: number | bigint): PreparedNetconf {
    const now = this.#setSigner(values, signerIdentityText, nowMs);
    // Every member value is ASCII needing no escape (checked while writing): bytes = code units.
    const memberLength = entriesLength(values, SLOT_KEYS.length);
    const count = this.#fixedCount + values.filter((value) => value !== undefined).length;
    const message = new Uint8Array(this.#fixedRawLength + memberLength + SIGNED_MESSAGE_END_BYTES);
    const draft = new Uint8Array(this.#fixedEscapedLength + memberLength + SIGNATURE_LINE_BYTES);
    let m = 0;
    let d = 0;
    let signatureAt = -1;
    let comSignatureAt = -1;
    let draftComSignatureAt = -1;
    for (const step of this.#steps) {
      if (step.slot === -1) {
        message.set((step as FixedStep).raw, m);
        m += (step as FixedStep).raw.length;
        draft.set((step as FixedStep).escaped, d);
        d += (step as FixedStep).escaped.length;
        continue;
      }
      const key = (step as SlotStep).key;
      if (step.slot === SIGNATURE) {
        // Not signed; in the result its 192 hex digits go here.
        d = writeAscii(draft, d, key);
        draft[d++] = EQUALS;
        signatureAt = d;
        d += SIGNATURE_BYTES * 2;
        draft[d++] = LF;
        continue;
      }
      const value = values[step.slot];
      if (value === undefined) continue;
      const start = m;
      m = writeAscii(message, m, key);
      message[m++] = EQUALS;
      m = writePlain(message, m, value);
      if (m < 0) return this.#genericPrepared(values, now);
      // the same bytes in the serialized form, ended by LF instead of NUL
      draft.set(message.subarray(start, m), d);
      d += m - start;
      if (step.slot === COM && endsWithSignature(value)) {
        comSignatureAt = m - SIGNATURE_HEX_LENGTH;
        draftComSignatureAt = d - SIGNATURE_HEX_LENGTH;
      }
      message[m++] = NUL;
      draft[d++] = LF;
    }
    writeSignedMessageEnd(message, m, count);
    return new DraftNetconf(message, draft, signatureAt, comSignatureAt, draftComSignatureAt);
  }

  /** `prepare`, `identity.sign(message)`, `complete`: a member's signed netconf at once. */
  sign(member: NetconfMemberFields, identity: DictionarySigner, nowMs?: number | bigint): Dictionary {
    if (identity === null || typeof identity !== 'object' || typeof identity.sign !== 'function') {
      throw new InvalidArgumentError('a dictionary is signed with an Identity that holds its private key');
    }
    const prepared = this.prepare(member, identity.toString(), nowMs);
    return prepared.complete(identity.sign(prepared.message));
  }

  /** Puts the signer's identity and the signature time (returned) into their slots. */
  #setSigner(values: Array<string | undefined>, signerIdentityText: string, nowMs?: number | bigint): bigint {
    if (typeof signerIdentityText !== 'string') {
      throw new InvalidArgumentError(`the signer's identity string is needed, got ${describeInput(signerIdentityText)}`);
    }
    const now = signatureTime(nowMs);
    values[SIGNER] = signerIdentityText;
    values[SIGNATURE_TIME] = now.toString(16);
    return now;
  }

  /** The member's values by slot (signature slots left empty), checked as the builder checks them. */
  #memberValues(member: NetconfMemberFields): Array<string | undefined> {
    if (member === null || typeof member !== 'object') throw new InvalidArgumentError('netconf member fields object expected');
    const values = new Array<string | undefined>(SLOT_KEYS.length).fill(undefined);
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

  /** The general way, for a member value that needs escaping or is not ASCII. */
  #genericDictionary(values: ReadonlyArray<string | undefined>): Dictionary {
    const dict = this.#fixed.clone();
    for (let slot = 0; slot < FIRST_SIGNATURE_SLOT; slot++) {
      const value = values[slot];
      if (value !== undefined) dict.set(SLOT_KEYS[slot]!, value);
    }
    return dict;
  }

  #genericPrepared(values: ReadonlyArray<string | undefined>, now: bigint): PreparedNetconf {
    const dict = this.#genericDictionary(values);
    const message = dict.beginSignature(values[SIGNER]!, now);
    const com = values[COM];
    const comSignatureAt = com !== undefined && endsWithSignature(com) ? rawValueEnd(dict, NetconfKey.CERTIFICATE_OF_MEMBERSHIP) - SIGNATURE_HEX_LENGTH : -1;
    return {
      message,
      byteLength: dict.byteLength + SIGNATURE_LINE_BYTES,
      comSignatureAt,
      complete: (signature: Uint8Array, comSignature?: Uint8Array) => {
        const signed = dict.clone();
        if (comSignature !== undefined) {
          checkComSignature(comSignature, comSignatureAt);
          signed.set(NetconfKey.CERTIFICATE_OF_MEMBERSHIP, com!.slice(0, -SIGNATURE_HEX_LENGTH) + bytesToHex(comSignature));
        }
        return signed.completeSignature(signature);
      },
    };
  }
}

const SIGNATURE_HEX_LENGTH = SIGNATURE_BYTES * 2;

/** Whether a COM's text ends with its signature: `":"` and 192 hex digits (an unsigned one ends with its 10-digit signer). */
function endsWithSignature(comText: string): boolean {
  return comText.length > SIGNATURE_HEX_LENGTH && comText.charCodeAt(comText.length - SIGNATURE_HEX_LENGTH - 1) === 0x3a;
}

/** Where `key`'s value ends in the message a signature covers (§4: `key "=" value NUL` for each entry in order). */
function rawValueEnd(dict: Dictionary, key: string): number {
  let at = 0;
  for (const [entryKey, value] of dict.entryBytes()) {
    at += entryKey.length + 1 + value.length;
    if (String.fromCharCode(...entryKey) === key) return at;
    at += 1;
  }
  return -1;
}

/** A COM signature given to `complete` must be 96 bytes, for a netconf whose COM has its place. */
function checkComSignature(comSignature: Uint8Array, comSignatureAt: number): void {
  if (comSignatureAt < 0) throw new InvalidArgumentError('this netconf has no signed COM whose signature could be given');
  if (!(comSignature instanceof Uint8Array) || comSignature.length !== SIGNATURE_BYTES) {
    throw new InvalidArgumentError(`a COM signature is ${SIGNATURE_BYTES} bytes, got ${describeInput(comSignature)}`);
  }
}

/** The fast path's prepared netconf: the serialized form with a hole for the signature's hex. */
class DraftNetconf implements PreparedNetconf {
  readonly message: Uint8Array;
  readonly #draft: Uint8Array;
  readonly #signatureAt: number;
  #handedOut = false;

  constructor(message: Uint8Array, draft: Uint8Array, signatureAt: number, comSignatureAt: number, draftComSignatureAt: number) {
    this.message = message;
    this.#draft = draft;
    this.#signatureAt = signatureAt;
    this.comSignatureAt = comSignatureAt;
    this.#draftComSignatureAt = draftComSignatureAt;
  }

  readonly comSignatureAt: number;
  readonly #draftComSignatureAt: number;

  get byteLength(): number {
    return this.#draft.length;
  }

  complete(signature: Uint8Array, comSignature?: Uint8Array): Dictionary {
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
      throw new InvalidArgumentError(`a signature is ${SIGNATURE_BYTES} bytes, got ${describeInput(signature)}`);
    }
    if (comSignature !== undefined) checkComSignature(comSignature, this.comSignatureAt);
    // The first result keeps the draft itself; later ones (never changing an earlier one) a copy.
    const bytes = this.#handedOut ? this.#draft.slice() : this.#draft;
    this.#handedOut = true;
    writeSignatureHex(bytes, this.#signatureAt, signature);
    if (comSignature !== undefined) writeSignatureHex(bytes, this.#draftComSignatureAt, comSignature);
    return dictionaryInternals.fromCanonicalBytes(bytes);
  }
}


/** The bytes of the member entries in slots below `slotCount`, each `key "=" value` and one separator. */
function entriesLength(values: ReadonlyArray<string | undefined>, slotCount: number): number {
  let length = 0;
  for (let slot = 0; slot < slotCount; slot++) {
    const value = values[slot];
    if (value !== undefined) length += SLOT_KEYS[slot]!.length + value.length + 2;
  }
  return length;
}

function allPlain(values: ReadonlyArray<string | undefined>): boolean {
  return values.every((value) => value === undefined || isPlain(value));
}

/** `key "=" value NUL` for each entry (raw, as signed). */
function rawEntries(entries: ReadonlyArray<[Uint8Array, Uint8Array]>): Uint8Array {
  let length = 0;
  for (const [key, value] of entries) length += key.length + value.length + 2;
  const out = new Uint8Array(length);
  let at = 0;
  for (const [key, value] of entries) {
    out.set(key, at);
    at += key.length;
    out[at++] = EQUALS;
    out.set(value, at);
    at += value.length;
    out[at++] = NUL;
  }
  return out;
}

function writeAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

const asciiEncoder = new TextEncoder();

const NOT_ASCII = /[^\x00-\x7f]/;

/** True when the text is ASCII and needs no escape: its serialized bytes are its code units. */
function isPlain(text: string): boolean {
  return !ESCAPED_CHARACTER.test(text) && !NOT_ASCII.test(text);
}

/**
 * Writes text that is ASCII and needs no escape (no NUL, CR, LF, `=` or `\`) one byte per code
 * unit; -1 (having written some of it) when it is anything else. Long text goes through
 * `encodeInto`, many times faster than a loop over its code units.
 */
function writePlain(out: Uint8Array, at: number, text: string): number {
  const length = text.length;
  if (length < 32) {
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f || isEscapedByte(code)) return -1;
      out[at++] = code;
    }
    return at;
  }
  if (ESCAPED_CHARACTER.test(text)) return -1;
  const { read, written } = asciiEncoder.encodeInto(text, out.subarray(at));
  // Both equal the length only when every code unit was ASCII (anything else takes 2+ bytes).
  return read === length && written === length ? at + length : -1;
}
