/**
 * The proof of work that binds an identity's address to its public key (protocol.md §2): the
 * memory-hard hash of the key must begin with a byte below 17, and its last 5 bytes are the
 * address, which must not be reserved. Used by Identity (generation and validation) and by the
 * signing workers (validation off the calling thread), so both give the same verdicts.
 */
import { addressFromBytes, isReservedAddress } from './address.js';
import type { MemoryHardHashFunction } from './memory-hard-hash-js.js';

/** The proof of work passes when the first hash byte is below this. */
const WORK_THRESHOLD = 17;

/** The address a memory-hard hash proves (possibly a reserved one), or null when the work fails. */
export function proofOfWorkAddress(digest: Uint8Array): bigint | null {
  return digest[0]! < WORK_THRESHOLD ? addressFromBytes(digest, 59) : null;
}

/** Whether `publicKey` proves `address` (one memory-hard hash with `hash`). */
export function identityProofHolds(address: bigint, publicKey: Uint8Array, hash: MemoryHardHashFunction): boolean {
  return !isReservedAddress(address) && proofOfWorkAddress(hash(publicKey)) === address;
}
