/**
 * Certificate of membership, COM (protocol.md §5): a signed, sorted list of qualifiers
 * (id, value, maxDelta), three uint64s each. Two members may talk when their COMs agree.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError, ParseError } from '../errors.js';
import { addressToHex, parseAddress } from '../crypto/address.js';
import { UINT64_MAX, describeInput, hex16, parseNetworkId } from './ids.js';

export interface Qualifier {
  readonly id: bigint;
  readonly value: bigint;
  readonly maxDelta: bigint;
}

/** Ids of the standard qualifiers. Ids below `FIRST_CUSTOM_QUALIFIER_ID` are reserved. */
export const QualifierId = {
  REVISION: 0n,
  NETWORK_ID: 1n,
  ISSUED_TO: 2n,
} as const;
export const FIRST_CUSTOM_QUALIFIER_ID = 65536n;

export interface CertificateSigner {
  readonly address: string;
  sign(message: Uint8Array): Uint8Array;
}

export interface CertificateVerifier {
  readonly address: string;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface CreateCertificateOptions {
  revision: bigint;
  revisionMaxDelta: bigint;
  nwid: bigint | string;
  issuedTo: string | bigint;
}

const QUALIFIER_BYTES = 24;
const QUALIFIER_HEX = QUALIFIER_BYTES * 2;
const SIGNATURE_BYTES = 96;
const HEX = /^[0-9a-fA-F]*$/;

export class CertificateOfMembership {
  #qualifiers: Qualifier[];
  #signedBy: bigint;
  #signature: Uint8Array | null;

  private constructor(qualifiers: Qualifier[], signedBy: bigint, signature: Uint8Array | null) {
    this.#qualifiers = qualifiers;
    this.#signedBy = signedBy;
    this.#signature = signature;
  }

  /**
   * An unsigned COM with the standard three qualifiers: revision (with its max delta), network ID
   * (max delta 0) and the member's address (max delta 2^64-1). Bad nwid/address → ParseError,
   * revision values that are not uint64 bigints → InvalidArgumentError.
   */
  static create(options: CreateCertificateOptions): CertificateOfMembership {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('CertificateOfMembership.create needs an options object');
    }
    const revision = requireUint64(options.revision, 'revision');
    const revisionMaxDelta = requireUint64(options.revisionMaxDelta, 'revisionMaxDelta');
    const nwid = parseNetworkId(options.nwid);
    const issuedTo = parseAddress(options.issuedTo);
    return new CertificateOfMembership(
      [
        { id: QualifierId.REVISION, value: revision, maxDelta: revisionMaxDelta },
        { id: QualifierId.NETWORK_ID, value: nwid, maxDelta: 0n },
        { id: QualifierId.ISSUED_TO, value: issuedTo, maxDelta: UINT64_MAX },
      ],
      0n,
      null,
    );
  }

  /**
   * Reads `"1:" hex(qualifiers) ":" hex10(signedBy) [":" hex(signature)]`. Hex may be either case.
   * Throws ParseError (and nothing else) for anything malformed, including: qualifier ids not
   * strictly ascending (the signature covers their order, so they are never re-sorted), a signer
   * without a signature, or a signature with signer `0000000000`.
   */
  static parse(text: string): CertificateOfMembership {
    if (typeof text !== 'string') throw new ParseError(`COM string expected, got ${describeInput(text)}`);
    const parts = text.split(':');
    if (parts.length !== 3 && parts.length !== 4) {
      throw new ParseError(`COM must have 3 or 4 ':'-separated parts: ${describeInput(text)}`);
    }
    const [version, qualifierHex, signedByHex, signatureHex] = parts as [string, string, string, string?];
    if (version !== '1') throw new ParseError(`COM version must be 1: ${describeInput(text)}`);
    if (qualifierHex.length % QUALIFIER_HEX !== 0 || !HEX.test(qualifierHex)) {
      throw new ParseError(`COM qualifiers must be hex in groups of ${QUALIFIER_HEX} digits: ${describeInput(text)}`);
    }
    const qualifiers: Qualifier[] = [];
    for (let at = 0; at < qualifierHex.length; at += QUALIFIER_HEX) {
      const id = BigInt('0x' + qualifierHex.slice(at, at + 16));
      const value = BigInt('0x' + qualifierHex.slice(at + 16, at + 32));
      const maxDelta = BigInt('0x' + qualifierHex.slice(at + 32, at + 48));
      const previous = qualifiers[qualifiers.length - 1];
      if (previous !== undefined && previous.id >= id) {
        throw new ParseError(`COM qualifier ids must be unique and ascending: ${describeInput(text)}`);
      }
      qualifiers.push({ id, value, maxDelta });
    }
    if (signedByHex.length !== 10 || !HEX.test(signedByHex)) {
      throw new ParseError(`COM signer must be 10 hex digits: ${describeInput(text)}`);
    }
    const signedBy = BigInt('0x' + signedByHex);
    let signature: Uint8Array | null = null;
    if (signatureHex !== undefined) {
      if (signatureHex.length !== SIGNATURE_BYTES * 2 || !HEX.test(signatureHex)) {
        throw new ParseError(`COM signature must be ${SIGNATURE_BYTES * 2} hex digits: ${describeInput(text)}`);
      }
      signature = hexToBytes(signatureHex);
    }
    if ((signedBy === 0n) !== (signature === null)) {
      throw new ParseError(`COM has a signer without a signature or a signature without a signer: ${describeInput(text)}`);
    }
    return new CertificateOfMembership(qualifiers, signedBy, signature);
  }

  /** Like `parse`, but null instead of an error. */
  static tryParse(text: string): CertificateOfMembership | null {
    try {
      return CertificateOfMembership.parse(text);
    } catch (error) {
      if (error instanceof ParseError) return null;
      throw error;
    }
  }

  /** A copy of the qualifiers, sorted by id. */
  get qualifiers(): readonly Qualifier[] {
    return this.#qualifiers.map((q) => ({ ...q }));
  }

  /** The network revision (qualifier 0), 0n when absent. */
  get revision(): bigint {
    return this.#find(QualifierId.REVISION)?.value ?? 0n;
  }

  /** How far apart two revisions may be (qualifier 0's max delta), 0n when absent. */
  get revisionMaxDelta(): bigint {
    return this.#find(QualifierId.REVISION)?.maxDelta ?? 0n;
  }

  /** The network ID (qualifier 1), 0n when absent. */
  get networkId(): bigint {
    return this.#find(QualifierId.NETWORK_ID)?.value ?? 0n;
  }

  /** The member address (qualifier 2) as hex, at least 10 digits; `0000000000` when absent. */
  get issuedTo(): string {
    return (this.#find(QualifierId.ISSUED_TO)?.value ?? 0n).toString(16).padStart(10, '0');
  }

  /** The signer's address, `0000000000` when unsigned. */
  get signedBy(): string {
    return addressToHex(this.#signedBy);
  }

  /** A copy of the 96-byte signature, or null when unsigned. */
  get signature(): Uint8Array | null {
    return this.#signature === null ? null : this.#signature.slice();
  }

  get isSigned(): boolean {
    return this.#signature !== null;
  }

  /** Whether the standard qualifiers 0 (revision), 1 (network ID) and 2 (issued to) are present. */
  get hasRequiredFields(): boolean {
    return (
      this.#find(QualifierId.REVISION) !== undefined &&
      this.#find(QualifierId.NETWORK_ID) !== undefined &&
      this.#find(QualifierId.ISSUED_TO) !== undefined
    );
  }

  /**
   * Adds a custom qualifier, or replaces the one with the same id. Ids below 65536 are reserved
   * (the standard three are set by `create`): they throw InvalidArgumentError. Any change drops
   * the signature.
   */
  addQualifier(id: bigint, value: bigint, maxDelta: bigint): this {
    const qualifierId = requireUint64(id, 'qualifier id');
    if (qualifierId < FIRST_CUSTOM_QUALIFIER_ID) {
      throw new InvalidArgumentError(`qualifier ids below ${FIRST_CUSTOM_QUALIFIER_ID} are reserved: ${id}`);
    }
    const qualifier = {
      id: qualifierId,
      value: requireUint64(value, 'qualifier value'),
      maxDelta: requireUint64(maxDelta, 'qualifier maxDelta'),
    };
    const kept = this.#qualifiers.filter((q) => q.id !== qualifierId);
    kept.push(qualifier);
    kept.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#qualifiers = kept;
    this.#signedBy = 0n;
    this.#signature = null;
    return this;
  }

  /** Signs the qualifier bytes; `signedBy` becomes the identity's address. Throws without a private key. */
  sign(identity: CertificateSigner): this {
    if (identity === null || typeof identity !== 'object' || typeof identity.sign !== 'function') {
      throw new InvalidArgumentError('a certificate is signed with an Identity that holds its private key');
    }
    parseAddress(identity.address);
    return this.applySignature(identity.address, identity.sign(this.#qualifierBytes()));
  }

  /** The bytes a signature covers (the qualifier bytes), for signing elsewhere (see `applySignature`). */
  signingMessage(): Uint8Array {
    return this.#qualifierBytes();
  }

  /**
   * Records a 96-byte signature of `signingMessage()` made by `signer` (an address). It is not
   * checked here: `verify` does that.
   */
  applySignature(signer: string | bigint, signature: Uint8Array): this {
    let signedBy: bigint;
    try {
      signedBy = parseAddress(signer);
    } catch (error) {
      throw new InvalidArgumentError(`the signer must be an address: ${describeInput(signer)}`, { cause: error });
    }
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
      throw new InvalidArgumentError('signer returned a signature that is not 96 bytes');
    }
    this.#signedBy = signedBy;
    this.#signature = signature.slice();
    return this;
  }

  /** True when signed by this identity's address and the signature verifies. Never throws. */
  verify(identity: CertificateVerifier): boolean {
    try {
      if (this.#signature === null) return false;
      if (typeof identity.address !== 'string' || identity.address.toLowerCase() !== this.signedBy) return false;
      return identity.verify(this.#qualifierBytes(), this.#signature.slice()) === true;
    } catch {
      return false;
    }
  }

  /**
   * True when, for every qualifier q of this COM, `other` has a qualifier with the same id whose
   * value is within q.maxDelta of q.value. Matching is by id (not by position, which was the
   * reference's bug). A COM without qualifiers agrees with anything; check `hasRequiredFields`.
   */
  agreesWith(other: CertificateOfMembership): boolean {
    if (!(other instanceof CertificateOfMembership)) {
      throw new InvalidArgumentError('agreesWith compares with another CertificateOfMembership');
    }
    const theirs = new Map<bigint, bigint>();
    for (const q of other.#qualifiers) theirs.set(q.id, q.value);
    for (const q of this.#qualifiers) {
      const value = theirs.get(q.id);
      if (value === undefined) return false;
      const distance = value > q.value ? value - q.value : q.value - value;
      if (distance > q.maxDelta) return false;
    }
    return true;
  }

  equals(other: CertificateOfMembership): boolean {
    return this.toString() === other.toString();
  }

  clone(): CertificateOfMembership {
    return new CertificateOfMembership(
      this.#qualifiers.slice(),
      this.#signedBy,
      this.#signature === null ? null : this.#signature.slice(),
    );
  }

  toString(): string {
    let text = '1:';
    for (const q of this.#qualifiers) text += hex16(q.id) + hex16(q.value) + hex16(q.maxDelta);
    text += ':' + addressToHex(this.#signedBy);
    if (this.#signature !== null) text += ':' + bytesToHex(this.#signature);
    return text;
  }

  toJSON(): string {
    return this.toString();
  }

  #find(id: bigint): Qualifier | undefined {
    return this.#qualifiers.find((q) => q.id === id);
  }

  /** `BE64(id) BE64(value) BE64(maxDelta)` for each qualifier in order. */
  #qualifierBytes(): Uint8Array {
    const bytes = new Uint8Array(this.#qualifiers.length * QUALIFIER_BYTES);
    const view = new DataView(bytes.buffer);
    this.#qualifiers.forEach((q, i) => {
      view.setBigUint64(i * QUALIFIER_BYTES, q.id, false);
      view.setBigUint64(i * QUALIFIER_BYTES + 8, q.value, false);
      view.setBigUint64(i * QUALIFIER_BYTES + 16, q.maxDelta, false);
    });
    return bytes;
  }
}

function requireUint64(value: bigint, what: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) {
    throw new InvalidArgumentError(`${what} must be a bigint in 0..2^64-1, got ${describeInput(value)}`);
  }
  return value;
}
