/** Helpers shared by the benchmark scripts: statistics, formatting, synthetic members, signer choice. */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { chooseSigningBackend, type Ed25519Backend } from '../src/crypto/signing/backend.js';

export type Signer = 'noble' | 'native';

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A member identity with a random public key at a given address (not a valid proof of work). */
export function syntheticIdentity(address: bigint): Identity {
  return Identity.fromString(`${address.toString(16).padStart(10, '0')}:0:${bytesToHex(randomBytes(64))}`);
}

/** The backend named (throws where it is not available). */
export function signingBackend(signer: Signer): Ed25519Backend {
  return chooseSigningBackend(signer);
}
