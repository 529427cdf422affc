// The WebAssembly memory-hard hash (protocol.md §2) against the vectors and the JavaScript implementation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError } from '../src/errors.js';
import { Identity } from '../src/crypto/identity.js';
import { memoryHardHash } from '../src/crypto/memory-hard-hash.js';
import { memoryHardHashJs } from '../src/crypto/memory-hard-hash-js.js';
import { isWasmMemoryHardHashAvailable, memoryHardHashWasm } from '../src/crypto/memory-hard-hash-wasm.js';
import { instantiateWasmMemoryHardHash, memoryHardHashWasmBytes } from '../src/crypto/memory-hard-hash-wasm-loader.js';

interface IdentityVectors {
  identities: { known_good: string; known_bad: string };
}
const vectors = JSON.parse(
  readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8'),
) as IdentityVectors;

function parseIdentity(text: string): { address: Uint8Array; publicKey: Uint8Array } {
  const [address, type, publicKey] = text.split(':');
  assert.equal(type, '0');
  return { address: hexToBytes(address!), publicKey: hexToBytes(publicKey!) };
}

// The local validation rule of protocol.md §2 (the reserved-address rule is not the hash's concern).
function validates(hash: Uint8Array, address: Uint8Array): boolean {
  return hash[0]! < 17 && bytesToHex(hash.subarray(59, 64)) === bytesToHex(address);
}

test('known_good validates with the WebAssembly hash and known_bad does not', async () => {
  const hash = memoryHardHashWasm;
  const good = parseIdentity(vectors.identities.known_good);
  const bad = parseIdentity(vectors.identities.known_bad);
  const goodHash = hash(good.publicKey);
  assert.equal(goodHash.length, 64);
  assert.ok(validates(goodHash, good.address));
  assert.ok(!validates(hash(bad.publicKey), bad.address));
});

test('WebAssembly and JavaScript give identical bytes on the vector and on random public keys', async () => {
  const hash = memoryHardHashWasm;
  const good = parseIdentity(vectors.identities.known_good);
  assert.deepEqual(hash(good.publicKey), memoryHardHashJs(good.publicKey));
  // 20 runs: each JavaScript hash costs ~70 ms.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (publicKey) => {
      assert.equal(bytesToHex(hash(publicKey)), bytesToHex(memoryHardHashJs(publicKey)));
    }),
    { numRuns: 20 },
  );
});

test('each call returns a fresh 64-byte array and leaves the input unchanged', () => {
  const hash = memoryHardHashWasm;
  const publicKey = parseIdentity(vectors.identities.known_good).publicKey;
  const before = publicKey.slice();
  const first = hash(publicKey);
  const expected = first.slice();
  first.fill(0);
  const second = hash(publicKey);
  assert.notEqual(first, second);
  assert.deepEqual(second, expected);
  assert.deepEqual(publicKey, before);
});

test('each instance the loader makes is its own and answers alike', () => {
  const first = instantiateWasmMemoryHardHash()!;
  const second = instantiateWasmMemoryHardHash()!;
  assert.notEqual(first, second);
  const publicKey = parseIdentity(vectors.identities.known_good).publicKey;
  assert.equal(bytesToHex(first(publicKey)), bytesToHex(second(publicKey)));
  assert.equal(isWasmMemoryHardHashAvailable(), true);
});

test('a non-Uint8Array public key is rejected with InvalidArgumentError', () => {
  const hash = memoryHardHashWasm;
  assert.throws(() => hash([1, 2, 3] as unknown as Uint8Array), InvalidArgumentError);
});

test('the automatic choice hashes with WebAssembly here, and every choice gives the same bytes', () => {
  const good = parseIdentity(vectors.identities.known_good);
  const expected = bytesToHex(memoryHardHashJs(good.publicKey));
  assert.ok(validates(memoryHardHash(good.publicKey), good.address));
  for (const choice of ['auto', 'wasm', 'js'] as const) {
    assert.equal(bytesToHex(memoryHardHash(good.publicKey, { memoryHardHash: choice })), expected, choice);
  }
});

test('the embedded module is the committed wasm/memory-hard-hash.wasm and is small', () => {
  const committed = readFileSync(new URL('../wasm/memory-hard-hash.wasm', import.meta.url));
  const embedded = memoryHardHashWasmBytes();
  assert.deepEqual(embedded, new Uint8Array(committed));
  // Browsers allow synchronous compilation on the main thread only below 4 KB.
  assert.ok(embedded.length < 4096);
  assert.ok(WebAssembly.validate(embedded));
});

test('identity validation gives the same verdicts with each implementation', () => {
  for (const choice of ['auto', 'wasm', 'js'] as const) {
    assert.equal(Identity.fromString(vectors.identities.known_good).locallyValidate({ memoryHardHash: choice }), true, choice);
    assert.equal(Identity.fromString(vectors.identities.known_bad).locallyValidate({ memoryHardHash: choice }), false, choice);
  }
});
