/** Member identities for the multi-process tests: the given address, an arbitrary key (no proof of work). */
import { bytesToHex } from '@noble/hashes/utils.js';
import { Identity } from '../../src/crypto/identity.js';
import { deterministicRandom } from '../../src/crypto/deterministic-random.js';

export function memberIdentity(address: string): Identity {
  const key = bytesToHex(deterministicRandom(`member ${address}`)(64));
  return Identity.fromString(`${address}:0:${key}`);
}
