import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { salsa20 } from '@noble/ciphers/salsa.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Salsa20Keystream } from '../src/crypto/salsa20.js';
import { InvalidArgumentError } from '../src/errors.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8'));

test('Salsa20/20 keystream matches the crypto.json vector', () => {
  const v = vectors.salsa20_20;
  const stream = new Salsa20Keystream(hexToBytes(v.key), hexToBytes(v.iv), 20);
  assert.equal(bytesToHex(stream.nextBytes(64)), v.keystream64);
});

test('Salsa20/12 keystream matches the crypto.json vector', () => {
  const v = vectors.salsa20_12;
  const stream = new Salsa20Keystream(hexToBytes(v.key), hexToBytes(v.iv), 12);
  assert.equal(bytesToHex(stream.nextBytes(64)), v.keystream64);
});

test('Salsa20/20 stream equals @noble/ciphers over several consecutive blocks', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.integer({ min: 1, max: 6 }),
      (key, nonce, blocks) => {
        const ours = new Salsa20Keystream(key, nonce, 20);
        const pieces: string[] = [];
        for (let i = 0; i < blocks; i++) pieces.push(bytesToHex(ours.nextBytes(64)));
        const reference = salsa20(key, nonce, new Uint8Array(64 * blocks));
        assert.equal(pieces.join(''), bytesToHex(reference));
      },
    ),
    { numRuns: 50 },
  );
});

test('block APIs write and XOR whole blocks in byte order at the given offset', () => {
  const key = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(8).fill(3);
  const expected = salsa20(key, nonce, new Uint8Array(128));

  const words = new Uint32Array(48);
  const stream = new Salsa20Keystream(key, nonce, 20);
  stream.nextBlockInto(words, 16);
  const bytes = new Uint8Array(words.buffer);
  assert.deepEqual(bytes.subarray(64, 128), expected.subarray(0, 64));
  assert.ok(bytes.subarray(0, 64).every((b) => b === 0), 'bytes before the offset untouched');
  assert.ok(bytes.subarray(128).every((b) => b === 0), 'bytes after the block untouched');

  const target = new Uint32Array(16).fill(0x01020304);
  stream.xorNextBlockInto(target, 0);
  const fill = new Uint8Array(new Uint32Array(16).fill(0x01020304).buffer);
  const xored = new Uint8Array(target.buffer);
  for (let i = 0; i < 64; i++) assert.equal(xored[i], fill[i]! ^ expected[64 + i]!);
});

test('rejects bad key, nonce, rounds and lengths', () => {
  assert.throws(() => new Salsa20Keystream(new Uint8Array(16), new Uint8Array(8)), InvalidArgumentError);
  assert.throws(() => new Salsa20Keystream(new Uint8Array(32), new Uint8Array(12)), InvalidArgumentError);
  assert.throws(() => new Salsa20Keystream(new Uint8Array(32), new Uint8Array(8), 8 as 20), InvalidArgumentError);
  assert.throws(() => new Salsa20Keystream(new Uint8Array(32), new Uint8Array(8)).nextBytes(63), InvalidArgumentError);
});
