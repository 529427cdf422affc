/**
 * ZeroTier identities of type 0, "C25519" (protocol.md §2): a 40-bit address bound to a 64-byte
 * public key by a memory-hard proof of work, optionally with the 64-byte private key.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError, ParseError } from '../errors.js';
import { addressToHex, isReservedAddress } from './address.js';
import {
  c25519Agree,
  c25519PublicKey,
  c25519Sign,
  c25519Verify,
  ed25519PublicKey,
  x25519PublicKey,
} from './c25519.js';
import { chooseMemoryHardHash, type MemoryHardHashOptions } from './memory-hard-hash.js';
import { identityProofHolds, proofOfWorkAddress } from './proof-of-work.js';

export interface GenerateIdentityOptions extends MemoryHardHashOptions {
  /** Source of random bytes (default: the platform's secure generator). Must return `n` bytes. */
  random?: (n: number) => Uint8Array;
  /** Called after each proof-of-work attempt with the number of attempts so far. */
  onProgress?: (attempts: number) => void;
  /** Aborts the search; `generate` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

const KEY_HEX_DIGITS = 128;
const MAX_STRING_LENGTH = 10 + 1 + 1 + 1 + KEY_HEX_DIGITS + 1 + KEY_HEX_DIGITS;
const HEX_ADDRESS = /^[0-9a-fA-F]{10}$/;
const HEX_KEY = /^[0-9a-fA-F]{128}$/;

// Private keys live outside the instances so that no console or debugger dump of an Identity shows them.
const privateKeys = new WeakMap<Identity, Uint8Array>();

/** @internal The private key of an identity (for the signing pool), or null. Not exported by the package. */
export function privateKeyOf(identity: Identity): Uint8Array | null {
  return privateKeys.get(identity) ?? null;
}

/**
 * A node's identity: its address and public key, and the private key when it is held. Instances are
 * immutable and frozen (no property can be added to one).
 */
export class Identity {
  readonly #address: bigint;
  readonly #publicKey: Uint8Array;
  #validity: boolean | undefined;
  // Identities are immutable and their text forms are read on every request: computed once.
  #addressHex: string | undefined;
  #publicForm: string | undefined;

  private constructor(address: bigint, publicKey: Uint8Array, privateKey: Uint8Array | null) {
    this.#address = address;
    this.#publicKey = publicKey;
    if (privateKey !== null) privateKeys.set(this, privateKey);
    // No property can be added to shadow a getter (`address`) or a method: an object whose
    // prototype is Identity.prototype and that holds a key inside is exactly what this made.
    Object.freeze(this);
  }

  /**
   * Reads `AAAAAAAAAA:0:PUB` or `AAAAAAAAAA:0:PUB:PRIV` (hex in either case). Throws ParseError on
   * anything else, on a reserved address, or when PRIV does not belong to PUB. Does not check the
   * proof of work: call `locallyValidate()` for that.
   */
  static fromString(text: string): Identity {
    if (typeof text !== 'string') throw new ParseError('identity must be a string');
    if (text.length > MAX_STRING_LENGTH) throw new ParseError('identity string is too long');
    const fields = text.split(':');
    if (fields.length !== 3 && fields.length !== 4) {
      throw new ParseError(`identity must have 3 or 4 ':'-separated fields, found ${fields.length}`);
    }
    const [addressText, typeText, publicText, privateText] = fields as [string, string, string, string?];
    if (!HEX_ADDRESS.test(addressText)) throw new ParseError('identity address must be 10 hex digits');
    const address = BigInt('0x' + addressText);
    if (isReservedAddress(address)) throw new ParseError(`identity address ${addressText} is reserved`);
    if (typeText !== '0') throw new ParseError(`unsupported identity type ${JSON.stringify(typeText)}`);
    if (!HEX_KEY.test(publicText)) throw new ParseError('identity public key must be 128 hex digits');
    const publicKey = hexToBytes(publicText);
    let privateKey: Uint8Array | null = null;
    if (privateText !== undefined) {
      if (!HEX_KEY.test(privateText)) throw new ParseError('identity private key must be 128 hex digits');
      privateKey = hexToBytes(privateText);
      if (!equalBytes(c25519PublicKey(privateKey), publicKey)) {
        throw new ParseError('identity private key does not belong to its public key');
      }
    }
    return new Identity(address, publicKey, privateKey);
  }

  /**
   * Makes a new identity with its private key. Runs the proof of work (about 15 memory-hard hashes
   * on average), yielding to the event loop between attempts.
   */
  static async generate(options: GenerateIdentityOptions = {}): Promise<Identity> {
    const random = options.random ?? randomBytes;
    const { onProgress, signal } = options;
    const hash = chooseMemoryHardHash(options.memoryHardHash);
    let attempts = 0;
    for (;;) {
      const privateKey = takeRandom(random, 64);
      const edPublicKey = ed25519PublicKey(privateKey);
      for (;;) {
        signal?.throwIfAborted();
        const publicKey = new Uint8Array(64);
        publicKey.set(x25519PublicKey(privateKey), 0);
        publicKey.set(edPublicKey, 32);
        const address = proofOfWorkAddress(hash(publicKey));
        attempts++;
        onProgress?.(attempts);
        if (address !== null) {
          if (isReservedAddress(address)) break; // start again with new keys
          const identity = new Identity(address, publicKey, privateKey);
          identity.#validity = true;
          return identity;
        }
        nextX25519Secret(privateKey);
        await yieldToEventLoop();
      }
      await yieldToEventLoop();
    }
  }

  /** The address as 10 lower-case hex digits. */
  get address(): string {
    return (this.#addressHex ??= addressToHex(this.#address));
  }

  /** The address as a number. */
  get addressValue(): bigint {
    return this.#address;
  }

  /** A copy of the 64-byte public key (X25519 || Ed25519). */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice();
  }

  get hasPrivate(): boolean {
    return privateKeys.has(this);
  }

  /** The same identity without its private key. */
  publicOnly(): Identity {
    const copy = new Identity(this.#address, this.#publicKey, null);
    copy.#validity = this.#validity;
    return copy;
  }

  /**
   * Checks the proof of work binding address and key: one memory-hard hash (the implementation
   * chosen by `options.memoryHardHash`, default `'auto'`), on the first call only.
   */
  locallyValidate(options: MemoryHardHashOptions = {}): boolean {
    if (this.#validity === undefined) {
      const hash = chooseMemoryHardHash(options.memoryHardHash);
      this.#validity = identityProofHolds(this.#address, this.#publicKey.slice(), hash);
    }
    return this.#validity;
  }

  /** The 96-byte C25519 signature of `message`. Throws InvalidArgumentError without a private key. */
  sign(message: Uint8Array): Uint8Array {
    return c25519Sign(this.#requirePrivateKey('sign'), message);
  }

  /** Whether `signature` is this identity's signature of `message`. */
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return c25519Verify(this.#publicKey, message, signature);
  }

  /** `length` bytes of key shared with `other` (needs this identity's private key). */
  agree(other: Identity, length: number): Uint8Array {
    if (!(other instanceof Identity)) throw new InvalidArgumentError('agree needs another Identity');
    return c25519Agree(this.#requirePrivateKey('agree'), other.#publicKey, length);
  }

  /** Same address and same public key (private keys are ignored). */
  equals(other: unknown): boolean {
    return other instanceof Identity && other.#address === this.#address && equalBytes(other.#publicKey, this.#publicKey);
  }

  /** `AAAAAAAAAA:0:PUB`, or with `:PRIV` appended when asked for and present. */
  toString(includePrivate = false): string {
    const publicForm = (this.#publicForm ??= `${this.address}:0:${bytesToHex(this.#publicKey)}`);
    const privateKey = privateKeys.get(this);
    return includePrivate && privateKey !== undefined ? `${publicForm}:${bytesToHex(privateKey)}` : publicForm;
  }

  /** JSON carries the public form only. */
  toJSON(): string {
    return this.toString(false);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Identity(${this.toString(false)}${this.hasPrivate ? ', has private key' : ''})`;
  }

  #requirePrivateKey(operation: string): Uint8Array {
    const privateKey = privateKeys.get(this);
    if (privateKey === undefined) {
      throw new InvalidArgumentError(`cannot ${operation}: identity ${this.address} has no private key`);
    }
    return privateKey;
  }
}

function takeRandom(random: (n: number) => Uint8Array, length: number): Uint8Array {
  const bytes = random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new InvalidArgumentError(`random(${length}) must return ${length} bytes`);
  }
  return bytes.slice();
}

/**
 * Moves to another X25519 secret by counting up in bytes 8..16 (little-endian). The low bits of
 * byte 0 are cleared by X25519 clamping, so counting there would repeat keys.
 */
function nextX25519Secret(privateKey: Uint8Array): void {
  for (let i = 8; i < 16; i++) {
    privateKey[i] = (privateKey[i]! + 1) & 0xff;
    if (privateKey[i] !== 0) return;
  }
}

function yieldToEventLoop(): Promise<void> {
  const setImmediateFn = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => {
    if (typeof setImmediateFn === 'function') setImmediateFn(resolve);
    else setTimeout(resolve, 0);
  });
}
