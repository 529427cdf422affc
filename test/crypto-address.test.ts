import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addressFromBytes,
  addressToBytes,
  addressToHex,
  isReservedAddress,
  parseAddress,
} from '../src/crypto/address.js';
import { ParseError } from '../src/errors.js';

test('reserved addresses: zero and top byte 0xff', () => {
  assert.equal(isReservedAddress(0n), true);
  assert.equal(isReservedAddress(0xff00000000n), true);
  assert.equal(isReservedAddress(0xffffffffffn), true);
  assert.equal(isReservedAddress(1n), false);
  assert.equal(isReservedAddress(0xfeffffffffn), false);
});

test('hex10 printing, parsing and bytes round-trip over the 40-bit range', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }), (address) => {
      const hex = addressToHex(address);
      assert.match(hex, /^[0-9a-f]{10}$/);
      assert.equal(parseAddress(hex), address);
      assert.equal(parseAddress(hex.toUpperCase()), address);
      assert.equal(parseAddress(address), address);
      assert.equal(addressFromBytes(addressToBytes(address)), address);
    }),
  );
  assert.equal(addressToHex(0x3f5bca409bn), '3f5bca409b');
  assert.equal(addressToHex(1n), '0000000001');
});

test('bad addresses are ParseError', () => {
  for (const bad of ['', '123', '12345678901', '0x12345678', 'g123456789', ' 123456789', '123456789\n']) {
    assert.throws(() => parseAddress(bad), ParseError, JSON.stringify(bad));
  }
  for (const bad of [-1n, 1n << 40n]) {
    assert.throws(() => parseAddress(bad), ParseError);
    assert.throws(() => addressToHex(bad), ParseError);
  }
  assert.throws(() => parseAddress(12 as never), ParseError);
  assert.throws(() => addressFromBytes(new Uint8Array(4)), ParseError);
});
