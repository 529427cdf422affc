import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  c25519Agree,
  c25519PublicKey,
  c25519Sign,
  c25519Verify,
  constantTimeEqual,
} from '../src/crypto/c25519.js';
import { chooseSigningBackend, isNativeSigningAvailable, type Ed25519Backend } from '../src/crypto/signing/backend.js';
import { InvalidArgumentError } from '../src/errors.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8'));
const backends = isNativeSigningAvailable() ? (['noble', 'native'] as const) : (['noble'] as const);

/** Runs `body` with the backend of that name, passed to every call that signs or verifies. */
function withBackend(name: 'noble' | 'native', body: (backend: Ed25519Backend) => void): void {
  const backend = chooseSigningBackend(name);
  assert.equal(backend.name, name);
  body(backend);
}

test('public keys derive from the private keys of all crypto.json c25519 cases', () => {
  for (const v of vectors.c25519) {
    assert.equal(bytesToHex(c25519PublicKey(hexToBytes(v.priv1))), v.pub1);
    assert.equal(bytesToHex(c25519PublicKey(hexToBytes(v.priv2))), v.pub2);
  }
});

test('agreement is the vector in both directions for all 16 cases', () => {
  assert.equal(vectors.c25519.length, 16);
  for (const v of vectors.c25519) {
    assert.equal(bytesToHex(c25519Agree(hexToBytes(v.priv1), hexToBytes(v.pub2), 64)), v.agreement);
    assert.equal(bytesToHex(c25519Agree(hexToBytes(v.priv2), hexToBytes(v.pub1), 64)), v.agreement);
  }
});

for (const backend of backends) {
  test(`signatures of the agreement are byte-identical and verify (${backend})`, () => {
    withBackend(backend, (ed25519) => {
      for (const v of vectors.c25519) {
        const message = hexToBytes(v.agreement);
        const cases = [
          [v.priv1, v.pub1, v.agreementSignedBy1],
          [v.priv2, v.pub2, v.agreementSignedBy2],
        ] as const;
        for (const [priv, pub, expected] of cases) {
          const signature = c25519Sign(hexToBytes(priv), message, ed25519);
          assert.equal(bytesToHex(signature), expected);
          assert.equal(c25519Verify(hexToBytes(pub), message, signature, ed25519), true);
        }
        // Signed by 1 does not verify as 2.
        assert.equal(c25519Verify(hexToBytes(v.pub2), message, hexToBytes(v.agreementSignedBy1), ed25519), false);
      }
    });
  });

  test(`a flipped bit in signature or message fails verification (${backend})`, () => {
    withBackend(backend, (ed25519) => {
      for (const [index, v] of vectors.c25519.entries()) {
        const pub = hexToBytes(v.pub1);
        const message = hexToBytes(v.agreement);
        const signature = hexToBytes(v.agreementSignedBy1);
        const bit = (index * 53) % (96 * 8); // a different bit for each case, across all 96 bytes
        const badSignature = signature.slice();
        badSignature[bit >> 3]! ^= 1 << (bit & 7);
        assert.equal(c25519Verify(pub, message, badSignature, ed25519), false, `signature bit ${bit}`);
        const badMessage = message.slice();
        badMessage[index % badMessage.length]! ^= 1 << (index % 8);
        assert.equal(c25519Verify(pub, badMessage, signature, ed25519), false);
      }
    });
  });
}

test('verify answers false, never throws, on malformed arguments', () => {
  const v = vectors.c25519[0];
  const pub = hexToBytes(v.pub1);
  const message = hexToBytes(v.agreement);
  const signature = hexToBytes(v.agreementSignedBy1);
  assert.equal(c25519Verify(pub, message, signature.subarray(0, 95)), false);
  assert.equal(c25519Verify(pub, message, new Uint8Array(97)), false);
  assert.equal(c25519Verify(pub.subarray(0, 63), message, signature), false);
  assert.equal(c25519Verify(pub, 'text' as never, signature), false);
  assert.equal(c25519Verify(new Uint8Array(64).fill(0xff), message, signature), false);
});

test('agreement output is the SHA-512 chain for any length', () => {
  const v = vectors.c25519[3];
  const priv = hexToBytes(v.priv1);
  const pub = hexToBytes(v.pub2);
  const long = c25519Agree(priv, pub, 300);
  assert.equal(bytesToHex(long.subarray(0, 64)), v.agreement);
  for (const n of [0, 1, 32, 63, 64, 65, 128, 129, 299]) {
    assert.deepEqual(c25519Agree(priv, pub, n), long.subarray(0, n));
  }
});

test('agreement refuses low-order peer keys and bad lengths', () => {
  const priv = hexToBytes(vectors.c25519[0].priv1);
  const lowOrder = new Uint8Array(64); // u = 0
  assert.throws(() => c25519Agree(priv, lowOrder, 32), InvalidArgumentError);
  assert.throws(() => c25519Agree(priv, hexToBytes(vectors.c25519[0].pub2), -1), InvalidArgumentError);
  assert.throws(() => c25519Agree(priv, hexToBytes(vectors.c25519[0].pub2), 1.5), InvalidArgumentError);
  assert.throws(() => c25519Agree(priv.subarray(1), hexToBytes(vectors.c25519[0].pub2), 8), InvalidArgumentError);
});

test('sign rejects a key of the wrong size', () => {
  assert.throws(() => c25519Sign(new Uint8Array(32), new Uint8Array(1)), InvalidArgumentError);
});

test('constantTimeEqual compares content and length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
      assert.equal(constantTimeEqual(a, b), bytesToHex(a) === bytesToHex(b));
      assert.equal(constantTimeEqual(a, a.slice()), true);
    }),
  );
});
