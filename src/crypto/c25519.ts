/**
 * C25519 keys, signatures and key agreement on raw key bytes (protocol.md §2–§3).
 * PUB  = X25519 public key (32) || Ed25519 public key (32)
 * PRIV = X25519 secret (32)     || Ed25519 seed (32)
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { chooseSigningBackend, type Ed25519Backend } from './signing/backend.js';

export const C25519_PUBLIC_KEY_BYTES = 64;
export const C25519_PRIVATE_KEY_BYTES = 64;
export const C25519_SIGNATURE_BYTES = 96;

/** X25519 public key of `PRIV[0..32]`. */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  assertKey(privateKey, 'private');
  return x25519.getPublicKey(privateKey.subarray(0, 32));
}

/** Ed25519 public key of the seed `PRIV[32..64]`. */
export function ed25519PublicKey(privateKey: Uint8Array): Uint8Array {
  assertKey(privateKey, 'private');
  return ed25519.getPublicKey(privateKey.subarray(32, 64));
}

/** The 64-byte PUB that belongs to a 64-byte PRIV. */
export function c25519PublicKey(privateKey: Uint8Array): Uint8Array {
  const publicKey = new Uint8Array(C25519_PUBLIC_KEY_BYTES);
  publicKey.set(x25519PublicKey(privateKey), 0);
  publicKey.set(ed25519PublicKey(privateKey), 32);
  return publicKey;
}

/**
 * sign(msg) = Ed25519(SHA-512(msg)[0..32]) || SHA-512(msg)[0..32]; 96 bytes. Every backend gives
 * the same bytes (default: the automatic choice, signing/backend.ts).
 */
export function c25519Sign(privateKey: Uint8Array, message: Uint8Array, backend: Ed25519Backend = chooseSigningBackend()): Uint8Array {
  assertKey(privateKey, 'private');
  assertBytes(message, 'message');
  const digest = backend.sha512(message).subarray(0, 32);
  const signature = new Uint8Array(C25519_SIGNATURE_BYTES);
  signature.set(backend.sign(digest, privateKey), 0);
  signature.set(digest, 64);
  return signature;
}

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** Writes a signature's 96 bytes as 192 lower-case hex digits (the form signed texts carry) into `out` at `at`. */
export function writeSignatureHex(out: Uint8Array, at: number, signature: Uint8Array): void {
  for (let i = 0; i < C25519_SIGNATURE_BYTES; i++) {
    const byte = signature[i]!;
    out[at++] = HEX_DIGITS[byte >>> 4]!;
    out[at++] = HEX_DIGITS[byte & 0x0f]!;
  }
}

/** Why a pair of messages, the second to carry the first's signature as hex at `firstSignatureAt`, cannot be signed; null when they can. */
export function checkSignaturePair(first: unknown, second: unknown, firstSignatureAt: unknown): InvalidArgumentError | null {
  if (!(first instanceof Uint8Array) || !(second instanceof Uint8Array)) {
    return new InvalidArgumentError('messages to sign must be Uint8Arrays');
  }
  if (!Number.isSafeInteger(firstSignatureAt) || (firstSignatureAt as number) < 0 || (firstSignatureAt as number) + 2 * C25519_SIGNATURE_BYTES > second.length) {
    return new InvalidArgumentError(`the first signature's ${2 * C25519_SIGNATURE_BYTES} hex digits must fit the second message at a whole offset, got ${String(firstSignatureAt)}`);
  }
  return null;
}

/** Whether `signature` is a valid C25519 signature of `message` by `publicKey`. Never throws on bad input. */
export function c25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  backend: Ed25519Backend = chooseSigningBackend(),
): boolean {
  if (!isBytes(publicKey, C25519_PUBLIC_KEY_BYTES) || !isBytes(signature, C25519_SIGNATURE_BYTES)) return false;
  if (!(message instanceof Uint8Array)) return false;
  const digest = backend.sha512(message).subarray(0, 32);
  if (!constantTimeEqual(signature.subarray(64, 96), digest)) return false;
  return backend.verify(signature.subarray(0, 64), digest, publicKey);
}

/**
 * Key agreement: raw = X25519(PRIV[0..32], theirPUB[0..32]); block 0 = SHA-512(raw), each further
 * block = SHA-512(previous block); the first `length` bytes.
 * A low-order peer key (one that makes the shared secret predictable) is refused with
 * InvalidArgumentError instead of deriving a key anyone could compute.
 */
export function c25519Agree(privateKey: Uint8Array, theirPublicKey: Uint8Array, length: number): Uint8Array {
  assertKey(privateKey, 'private');
  assertKey(theirPublicKey, 'public');
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError('agreement length must be a non-negative integer');
  }
  let raw: Uint8Array;
  try {
    raw = x25519.getSharedSecret(privateKey.subarray(0, 32), theirPublicKey.subarray(0, 32));
  } catch (cause) {
    throw new InvalidArgumentError('key agreement refused: the peer X25519 key is of low order', { cause });
  }
  const out = new Uint8Array(length);
  let block = sha512(raw);
  for (let offset = 0; offset < length; offset += 64) {
    if (offset > 0) block = sha512(block);
    out.set(length - offset >= 64 ? block : block.subarray(0, length - offset), offset);
  }
  raw.fill(0);
  return out;
}

/** Compares two byte arrays in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

function assertBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be a Uint8Array`);
}

function assertKey(value: unknown, kind: 'public' | 'private'): asserts value is Uint8Array {
  if (!isBytes(value, 64)) throw new InvalidArgumentError(`C25519 ${kind} key must be 64 bytes`);
}
