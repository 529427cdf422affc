import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { c25519PublicKey } from '../src/crypto/c25519.js';
import { c25519Sign } from '../src/crypto/c25519.js';
import { chooseSigningBackend, isNativeSigningAvailable, nobleBackend } from '../src/crypto/signing/backend.js';
import { InvalidArgumentError } from '../src/errors.js';

test('auto picks native in Node (it exists on Node >= 20.16); each choice is an argument, not a setting', () => {
  assert.equal(isNativeSigningAvailable(), true);
  assert.equal(chooseSigningBackend().name, 'native');
  assert.equal(chooseSigningBackend('noble').name, 'noble');
  assert.equal(chooseSigningBackend('native').name, 'native');
  assert.equal(chooseSigningBackend('auto').name, 'native');
  assert.throws(() => chooseSigningBackend('openssl' as never), InvalidArgumentError);
  // Choosing noble for one call leaves the next call's default alone.
  const privateKey = new Uint8Array(64).fill(3);
  const message = new Uint8Array([1, 2, 3]);
  assert.equal(bytesToHex(c25519Sign(privateKey, message, nobleBackend)), bytesToHex(c25519Sign(privateKey, message)));
  assert.equal(chooseSigningBackend().name, 'native');
});

test('noble and native give identical signatures and verdicts on random keys and messages', () => {
  const native = chooseSigningBackend('native');
  assert.ok(native);
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.nat(),
      (privateKey, message, flip) => {
        const publicKey = c25519PublicKey(privateKey);
        const bySoftware = nobleBackend.sign(message, privateKey);
        const byNative = native.sign(message, privateKey);
        assert.equal(bytesToHex(byNative), bytesToHex(bySoftware));
        for (const backend of [nobleBackend, native]) {
          assert.equal(backend.verify(bySoftware, message, publicKey), true);
        }
        const tampered = bySoftware.slice();
        tampered[flip % 64]! ^= 1 << (flip % 8);
        assert.equal(native.verify(tampered, message, publicKey), nobleBackend.verify(tampered, message, publicKey));
        assert.equal(native.verify(tampered, message, publicKey), false);
      },
    ),
    { numRuns: 60 },
  );
});

test('the noble backend (expanded key kept) signs exactly as @noble/curves ed25519.sign', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 300 }), (privateKey, message) => {
      const expected = ed25519.sign(message, privateKey.subarray(32, 64));
      assert.equal(bytesToHex(nobleBackend.sign(message, privateKey)), bytesToHex(expected));
      assert.equal(bytesToHex(nobleBackend.sign(message, privateKey)), bytesToHex(expected)); // from the cache
    }),
    { numRuns: 200 },
  );
});

for (const name of ['noble', 'native'] as const) {
  test(`the ${name} key cache follows changes to a reused key array`, () => {
    const backend = chooseSigningBackend(name);
    const privateKey = new Uint8Array(64).fill(1);
    const message = new Uint8Array([1, 2, 3]);
    const first = backend.sign(message, privateKey);
    privateKey[40] = 99;
    const second = backend.sign(message, privateKey);
    assert.equal(bytesToHex(second), bytesToHex(ed25519.sign(message, privateKey.subarray(32, 64))));
    assert.notEqual(bytesToHex(first), bytesToHex(second));
  });
}


test('both backends reject a signature under a public key that is not a curve point', () => {
  const native = chooseSigningBackend('native');
  const privateKey = new Uint8Array(64).fill(5);
  const message = new Uint8Array([9]);
  const signature = nobleBackend.sign(message, privateKey);
  const badPublicKey = c25519PublicKey(privateKey);
  badPublicKey.fill(0xff, 32, 64);
  assert.equal(nobleBackend.verify(signature, message, badPublicKey), false);
  assert.equal(native.verify(signature, message, badPublicKey), false);
});

test('noble and native give the same SHA-512 (C25519 signs its first half) on random messages', () => {
  const native = chooseSigningBackend('native');
  const noble = chooseSigningBackend('noble');
  assert.equal(bytesToHex(native.sha512(new TextEncoder().encode('supercalifragilisticexpealidocious'))),
    '182a855969e5d3e6cbf60524adf288d1bbf25292812431f6d252f1dbc1cb44df21573de1b06b6875959f3b6f87b11381d0bc792c433a13553ce084c29255311c');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (message) => {
      assert.equal(bytesToHex(native.sha512(message)), bytesToHex(noble.sha512(message)));
    }),
    { numRuns: 200 },
  );
});
