// The WebAssembly memory-hard hash (protocol.md §2) against the vectors and the JavaScript implementation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError } from '../src/errors.js';
import {
  computeMemoryHardHash,
  getMemoryHardHashImplementation,
  hasFastMemoryHardHash,
  memoryHardHash,
  setMemoryHardHashImplementation,
} from '../src/crypto/memory-hard-hash.js';
import {
  enableWasmMemoryHardHash,
  installWasmMemoryHardHashOnce,
  loadWasmMemoryHardHash,
  loadWasmMemoryHardHashSync,
  memoryHardHashWasmBytes,
} from '../src/crypto/memory-hard-hash-wasm.js';

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
  const hash = await loadWasmMemoryHardHash();
  const good = parseIdentity(vectors.identities.known_good);
  const bad = parseIdentity(vectors.identities.known_bad);
  const goodHash = hash(good.publicKey);
  assert.equal(goodHash.length, 64);
  assert.ok(validates(goodHash, good.address));
  assert.ok(!validates(hash(bad.publicKey), bad.address));
});

test('WebAssembly and JavaScript give identical bytes on the vector and on random public keys', async () => {
  const hash = await loadWasmMemoryHardHash();
  const good = parseIdentity(vectors.identities.known_good);
  assert.deepEqual(hash(good.publicKey), memoryHardHash(good.publicKey));
  // 20 runs: each JavaScript hash costs ~70 ms.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (publicKey) => {
      assert.equal(bytesToHex(hash(publicKey)), bytesToHex(memoryHardHash(publicKey)));
    }),
    { numRuns: 20 },
  );
});

test('each call returns a fresh 64-byte array and leaves the input unchanged', () => {
  const hash = loadWasmMemoryHardHashSync();
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

test('the synchronous and asynchronous loaders share one instance', async () => {
  assert.equal(loadWasmMemoryHardHashSync(), await loadWasmMemoryHardHash());
});

test('a non-Uint8Array public key is rejected with InvalidArgumentError', () => {
  const hash = loadWasmMemoryHardHashSync();
  assert.throws(() => hash([1, 2, 3] as unknown as Uint8Array), InvalidArgumentError);
});

test('enableWasmMemoryHardHash installs it as the library implementation', async (t) => {
  t.after(() => setMemoryHardHashImplementation(null));
  assert.equal(await enableWasmMemoryHardHash(), true);
  assert.ok(hasFastMemoryHardHash());
  const good = parseIdentity(vectors.identities.known_good);
  assert.ok(validates(computeMemoryHardHash(good.publicKey), good.address));
});

test('the embedded module is the committed wasm/memory-hard-hash.wasm and is small', () => {
  const committed = readFileSync(new URL('../wasm/memory-hard-hash.wasm', import.meta.url));
  const embedded = memoryHardHashWasmBytes();
  assert.deepEqual(embedded, new Uint8Array(committed));
  // Browsers allow synchronous compilation on the main thread only below 4 KB.
  assert.ok(embedded.length < 4096);
  assert.ok(WebAssembly.validate(embedded));
});

test('installWasmMemoryHardHashOnce installs on its first call only', (t) => {
  t.after(() => setMemoryHardHashImplementation(null));
  setMemoryHardHashImplementation(null);
  assert.equal(installWasmMemoryHardHashOnce(), true);
  assert.equal(getMemoryHardHashImplementation(), loadWasmMemoryHardHashSync());
  // A later explicit choice of JavaScript is respected.
  setMemoryHardHashImplementation(null);
  assert.equal(installWasmMemoryHardHashOnce(), false);
  assert.equal(getMemoryHardHashImplementation(), memoryHardHash);
});
