/**
 * C25519 signatures (protocol.md §3) through WebCrypto's Ed25519, for runtimes without worker
 * threads (browsers): the browser signs away from the page's thread, and much faster than
 * JavaScript can. The key is imported once and used only after a test signature matches
 * `Identity.sign` byte for byte; until then, if it never does, and after `close`, signatures are
 * made on the calling thread (pool.ts does not use WebCrypto when the `noble` backend is chosen).
 * Identities are validated on the calling thread: there is no worker here.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { InvalidArgumentError } from '../../errors.js';
import { Identity } from '../identity.js';
import type { MemoryHardHashChoice } from '../memory-hard-hash.js';
import { c25519Sign, checkSignaturePair, writeSignatureHex } from '../c25519.js';
import { ed25519SeedToPkcs8, type Ed25519Backend } from './backend.js';
import type { SigningCounts, SigningPool, ValidationCounts } from './pool-types.js';

/** The part of `SubtleCrypto` used here. */
export interface Ed25519Subtle {
  importKey(format: 'pkcs8', keyData: Uint8Array, algorithm: { name: 'Ed25519' }, extractable: false, usages: ['sign']): Promise<unknown>;
  sign(algorithm: { name: 'Ed25519' }, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}

/** The runtime's WebCrypto, when it has one. Whether it knows Ed25519 shows when the key is imported. */
export function findSubtle(): Ed25519Subtle | null {
  const subtle = (globalThis as { crypto?: { subtle?: Ed25519Subtle } }).crypto?.subtle;
  return subtle !== undefined && typeof subtle.importKey === 'function' && typeof subtle.sign === 'function' ? subtle : null;
}

const SELF_TEST = new TextEncoder().encode('zt-netconf-master WebCrypto self-test');

export class WebCryptoSigningPool implements SigningPool {
  readonly counts: SigningCounts = { byWorkers: 0, byWebCrypto: 0, inline: 0 };
  readonly validationCounts: ValidationCounts = { byWorkers: 0, inline: 0 };
  /** The imported key once it passed the self-test; null when WebCrypto is not to be used. */
  #key: Promise<unknown> | null = null;
  #closed = false;

  constructor(
    private readonly privateKey: Uint8Array,
    private readonly subtle: Ed25519Subtle,
    private readonly backend: Ed25519Backend,
    private readonly memoryHardHash: MemoryHardHashChoice = 'auto',
  ) {}

  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (!(message instanceof Uint8Array)) throw new InvalidArgumentError('a message to sign must be a Uint8Array');
    const key = this.#closed ? null : await (this.#key ??= this.#importKey());
    if (key !== null) {
      const digest = this.backend.sha512(message).subarray(0, 32);
      try {
        const signature = new Uint8Array(96);
        signature.set(new Uint8Array(await this.subtle.sign({ name: 'Ed25519' }, key, digest)), 0);
        signature.set(digest, 64);
        this.counts.byWebCrypto++;
        return signature;
      } catch {
        this.#key = Promise.resolve(null); // it failed once: stop asking
      }
    }
    this.counts.inline++;
    return c25519Sign(this.privateKey, message, this.backend);
  }

  async signPair(first: Uint8Array, second: Uint8Array, firstSignatureAt: number): Promise<[Uint8Array, Uint8Array]> {
    const refusal = checkSignaturePair(first, second, firstSignatureAt);
    if (refusal !== null) throw refusal;
    const signature = await this.sign(first);
    writeSignatureHex(second, firstSignatureAt, signature);
    return [signature, await this.sign(second)];
  }

  async validateIdentity(identity: Identity): Promise<boolean> {
    if (!(identity instanceof Identity)) throw new InvalidArgumentError('validateIdentity needs an Identity');
    this.validationCounts.inline++;
    return identity.locallyValidate({ memoryHardHash: this.memoryHardHash });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async #importKey(): Promise<unknown> {
    try {
      const pkcs8 = ed25519SeedToPkcs8(this.privateKey.subarray(32, 64));
      const key = await this.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
      const expected = c25519Sign(this.privateKey, SELF_TEST, this.backend);
      const digest = expected.subarray(64, 96);
      const actual = new Uint8Array(await this.subtle.sign({ name: 'Ed25519' }, key, digest));
      return equalBytes(actual, expected.subarray(0, 64)) ? key : null;
    } catch {
      return null; // no Ed25519 in this WebCrypto
    }
  }
}
