import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { salsa20 } from '@noble/ciphers/salsa.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { chooseMemoryHardHash, memoryHardHash } from '../src/crypto/memory-hard-hash.js';
import { memoryHardHashJs } from '../src/crypto/memory-hard-hash-js.js';
import { memoryHardHashWasm } from '../src/crypto/memory-hard-hash-wasm.js';
import { Identity } from '../src/crypto/identity.js';
import { InvalidArgumentError } from '../src/errors.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8'));
const reference = JSON.parse(readFileSync(new URL('./vectors/reference.json', import.meta.url), 'utf8'));

function publicKeyOf(identityText: string): Uint8Array {
  return hexToBytes(identityText.split(':')[2]!);
}

/** protocol.md §2 step by step, with byte arrays and BigInt, and @noble/ciphers for the keystream. */
function memoryHardHashFromSpecText(pub: Uint8Array): Uint8Array {
  const d = sha512(pub);
  const keystream = salsa20(d.slice(0, 32), d.slice(32, 40), new Uint8Array(2_097_152 + 131_072 * 64));
  let ks = 0;
  const mem = new Uint8Array(2_097_152);
  mem.set(keystream.subarray(0, 64), 0);
  ks = 64;
  for (let i = 64; i < mem.length; i += 64) {
    for (let k = 0; k < 64; k++) mem[i + k] = mem[i - 64 + k]! ^ keystream[ks + k]!;
    ks += 64;
  }
  const view = new DataView(mem.buffer);
  for (let i = 0; i < 262_144; ) {
    const idx1 = Number(view.getBigUint64(8 * i) % 8n);
    i++;
    const idx2 = Number(view.getBigUint64(8 * i) % 262_144n);
    i++;
    for (let k = 0; k < 8; k++) {
      const t = mem[8 * idx2 + k]!;
      mem[8 * idx2 + k] = d[8 * idx1 + k]!;
      d[8 * idx1 + k] = t;
    }
    for (let k = 0; k < 64; k++) d[k] = d[k]! ^ keystream[ks + k]!;
    ks += 64;
  }
  return d;
}

test('SHA-512 matches the crypto.json vector', () => {
  assert.equal(bytesToHex(sha512(utf8ToBytes(vectors.sha512.input_ascii))), vectors.sha512.digest);
});

test('memoryHardHash of known_good gives the proof of work and the address', () => {
  const [address] = vectors.identities.known_good.split(':');
  const digest = memoryHardHashJs(publicKeyOf(vectors.identities.known_good));
  assert.equal(digest.length, 64);
  assert.ok(digest[0]! < 17);
  assert.equal(bytesToHex(digest.subarray(59, 64)), address);
});

test('memoryHardHash of the reference identities gives their addresses', () => {
  for (const entry of reference.identities) {
    const [address] = entry.public.split(':');
    const digest = memoryHardHashJs(publicKeyOf(entry.public));
    assert.ok(digest[0]! < 17);
    assert.equal(bytesToHex(digest.subarray(59, 64)), address);
  }
});

test('memoryHardHash equals a literal reading of the spec on an arbitrary key, and repeats', () => {
  const pub = sha512(utf8ToBytes('arbitrary public key')).slice();
  const expected = bytesToHex(memoryHardHashFromSpecText(pub));
  const first = memoryHardHashJs(pub);
  assert.equal(bytesToHex(first), expected);
  first.fill(0); // the result is the caller's own copy
  assert.equal(bytesToHex(memoryHardHashJs(pub)), expected);
});

test('the implementation is an argument of each call: names, a function of the caller, no setting left behind', () => {
  assert.equal(chooseMemoryHardHash('js'), memoryHardHashJs);
  assert.equal(chooseMemoryHardHash('wasm'), memoryHardHashWasm);
  assert.equal(chooseMemoryHardHash(), memoryHardHashWasm, 'auto: WebAssembly where it runs (Node 20 has SIMD)');
  assert.throws(() => chooseMemoryHardHash('nope' as never), InvalidArgumentError);
  assert.throws(() => memoryHardHash(new Uint8Array(64), { memoryHardHash: 'fast' as never }), InvalidArgumentError);

  let calls = 0;
  const counting = (pub: Uint8Array): Uint8Array => {
    calls++;
    return memoryHardHashJs(pub);
  };
  assert.equal(Identity.fromString(vectors.identities.known_bad).locallyValidate({ memoryHardHash: counting }), false);
  assert.equal(calls, 1);
  assert.equal(memoryHardHash(publicKeyOf(vectors.identities.known_good), { memoryHardHash: counting })[0]! < 17, true);
  assert.equal(calls, 2);
  // The next call without the option does not use it: nothing was installed.
  assert.equal(Identity.fromString(vectors.identities.known_good).locallyValidate(), true);
  assert.equal(bytesToHex(memoryHardHash(publicKeyOf(vectors.identities.known_good))), bytesToHex(memoryHardHashJs(publicKeyOf(vectors.identities.known_good))));
  assert.equal(calls, 2);
});

test('the JavaScript hash keeps nothing between calls: interleaved keys give the same bytes as alone', () => {
  const a = sha512(utf8ToBytes('first key')).slice();
  const b = sha512(utf8ToBytes('second key')).slice();
  const aloneA = bytesToHex(memoryHardHashJs(a));
  const aloneB = bytesToHex(memoryHardHashJs(b));
  assert.notEqual(aloneA, aloneB);
  assert.equal(bytesToHex(memoryHardHashJs(a)), aloneA);
  assert.equal(bytesToHex(memoryHardHashJs(b)), aloneB);
});
