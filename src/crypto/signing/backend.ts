/**
 * Ed25519 backends for C25519 signatures (protocol.md §3), and the choice between them. Ed25519 is deterministic, so every correct
 * backend produces the same bytes; backends differ only in speed.
 *
 * - `noble`: @noble/curves, pure JavaScript. Works everywhere; the reference. `ed25519.sign` derives
 *   the public key (a base-point multiplication) on every call; this backend keeps the expanded key
 *   (scalar, nonce prefix, public key) per key array, as ref10 and OpenSSL keep theirs, so a
 *   signature costs one base-point multiplication. Tests hold it byte-identical to `ed25519.sign`.
 * - `native`: Node's `node:crypto` (OpenSSL). Keys become KeyObjects once per key array and are cached.
 *   `node:crypto` is reached through `process.getBuiltinModule`, never a static import, so code a
 *   browser loads does not depend on it. Browsers use `noble`: WebCrypto's Ed25519 is asynchronous
 *   and signing here is synchronous.
 *
 * `auto` (the default) uses `native` when it exists and, on first use, signs and verifies a test
 * message identically to `noble`; otherwise `noble`. The choice is an argument of whatever signs
 * (`createNetconfMaster`'s `signingBackend` option, `c25519Sign`), never a process-wide setting.
 */
import type * as NodeCrypto from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, equalBytes } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError } from '../../errors.js';
import { nodeBuiltin } from '../../node-builtin.js';

export type SigningBackendName = 'noble' | 'native';
export type SigningBackendChoice = SigningBackendName | 'auto';

/** Ed25519 on C25519 keys: the seed is `privateKey[32..64]`, the public key `publicKey[32..64]`. */
export interface Ed25519Backend {
  readonly name: SigningBackendName;
  /** 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /** Whether `signature` (64 bytes) is a valid Ed25519 signature of `message`. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** SHA-512 of `message` (C25519 signs the first half of it). */
  sha512(message: Uint8Array): Uint8Array;
}

/** A value derived from the 32 key bytes `owner[32..64]`, rebuilt when those bytes change. */
class KeyCache<T> {
  readonly #entries = new WeakMap<Uint8Array, { keyBytes: Uint8Array; value: T }>();
  constructor(private readonly build: (keyBytes: Uint8Array) => T) {}

  get(owner: Uint8Array): T {
    const keyBytes = owner.subarray(32, 64);
    const hit = this.#entries.get(owner);
    if (hit !== undefined && equalBytes(hit.keyBytes, keyBytes)) return hit.value;
    const value = this.build(keyBytes);
    // Keyed by the caller's array; the stored copy guards against the array being changed later.
    this.#entries.set(owner, { keyBytes: keyBytes.slice(), value });
    return value;
  }
}

const { Point } = ed25519;
const expandedKeys = new KeyCache((seed) => ed25519.utils.getExtendedPublicKey(seed));
const scalarOfHash = (...parts: Uint8Array[]): bigint => Point.Fn.create(bytesToNumberLE(sha512(concatBytes(...parts))));

export const nobleBackend: Ed25519Backend = {
  name: 'noble',
  sign(message, privateKey) {
    // RFC 8032 §5.1.6 with the expanded key kept: r = H(prefix‖M), R = rB, k = H(R‖A‖M), S = r + k·s.
    const { prefix, scalar, pointBytes } = expandedKeys.get(privateKey);
    const r = scalarOfHash(prefix, message);
    const R = Point.BASE.multiply(r).toBytes();
    const k = scalarOfHash(R, pointBytes, message);
    return concatBytes(R, Point.Fn.toBytes(Point.Fn.create(r + k * scalar)));
  },
  verify(signature, message, publicKey) {
    try {
      // Strict RFC 8032 decoding (canonical S and points), like OpenSSL.
      return ed25519.verify(signature, message, publicKey.subarray(32, 64), { zip215: false });
    } catch {
      return false;
    }
  },
  sha512,
};

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI).
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
/** The PKCS#8 DER form of an Ed25519 seed, as OpenSSL reads it. */
export function ed25519SeedToPkcs8(seed: Uint8Array): Uint8Array {
  return concatBytes(PKCS8_ED25519_PREFIX, seed);
}
const SPKI_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

function loadNodeCrypto(): typeof NodeCrypto | null {
  const module = nodeBuiltin<typeof NodeCrypto>('node:crypto');
  return module !== null && typeof module.sign === 'function' ? module : null;
}

function createNativeBackend(crypto: typeof NodeCrypto): Ed25519Backend {
  const buildPrivate = (seed: Uint8Array): NodeCrypto.KeyObject =>
    crypto.createPrivateKey({ key: Buffer.from(ed25519SeedToPkcs8(seed)), format: 'der', type: 'pkcs8' });
  const buildPublic = (publicKey: Uint8Array): NodeCrypto.KeyObject =>
    crypto.createPublicKey({ key: Buffer.from(concatBytes(SPKI_ED25519_PREFIX, publicKey)), format: 'der', type: 'spki' });

  const privateKeys = new KeyCache(buildPrivate);
  const publicKeys = new KeyCache(buildPublic);

  return {
    name: 'native',
    sign(message, privateKey) {
      const signature = crypto.sign(null, message, privateKeys.get(privateKey));
      return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength).slice();
    },
    verify(signature, message, publicKey) {
      try {
        return crypto.verify(null, message, publicKeys.get(publicKey), signature);
      } catch {
        return false; // a public key OpenSSL cannot decode
      }
    },
    sha512(message) {
      const digest = crypto.createHash('sha512').update(message).digest();
      return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
    },
  };
}

/** Signs and verifies a fixed message with `candidate` and checks it matches `noble` exactly. */
function agreesWithNoble(candidate: Ed25519Backend): boolean {
  try {
    const privateKey = new Uint8Array(64);
    for (let i = 0; i < 64; i++) privateKey[i] = (i * 37 + 11) & 0xff;
    const publicKey = new Uint8Array(64);
    publicKey.set(ed25519.getPublicKey(privateKey.subarray(32, 64)), 32);
    const message = new TextEncoder().encode('zt-netconf-master signing backend self-test');
    const expected = nobleBackend.sign(message, privateKey);
    const actual = candidate.sign(message, privateKey);
    if (!equalBytes(expected, actual)) return false;
    if (!equalBytes(nobleBackend.sha512(message), candidate.sha512(message))) return false;
    if (!candidate.verify(expected, message, publicKey)) return false;
    const tampered = expected.slice();
    tampered[5]! ^= 1;
    return !candidate.verify(tampered, message, publicKey);
  } catch {
    return false;
  }
}

// Found on first use and kept: what this runtime offers does not change while it runs.
let nativeBackend: Ed25519Backend | null | undefined; // undefined: not looked for yet

/** The native backend when this runtime has one that matches noble; null otherwise. */
function findNativeBackend(): Ed25519Backend | null {
  if (nativeBackend === undefined) {
    const crypto = loadNodeCrypto();
    const candidate = crypto === null ? null : createNativeBackend(crypto);
    nativeBackend = candidate !== null && agreesWithNoble(candidate) ? candidate : null;
  }
  return nativeBackend;
}

/** True when the `native` backend can be used in this runtime. */
export function isNativeSigningAvailable(): boolean {
  return findNativeBackend() !== null;
}

/**
 * The backend a choice stands for: `auto` (native when available, else noble), `noble`, or
 * `native` (InvalidArgumentError where it is unavailable, e.g. in browsers).
 */
export function chooseSigningBackend(choice: SigningBackendChoice = 'auto'): Ed25519Backend {
  if (choice === 'noble') return nobleBackend;
  if (choice === 'auto') return findNativeBackend() ?? nobleBackend;
  if (choice === 'native') {
    const native = findNativeBackend();
    if (native === null) throw new InvalidArgumentError('the native signing backend is not available in this runtime');
    return native;
  }
  throw new InvalidArgumentError(`unknown signing backend: ${String(choice)}`);
}
