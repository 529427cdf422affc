/** Programming mistakes with the protocol objects get typed errors and change nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateOfMembership } from '../src/protocol/certificate.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { InvalidArgumentError } from '../src/errors.js';

const notSigners: unknown[] = [undefined, null, 1, 'id', {}, { toString: () => 'x' }];

test('Dictionary.sign with something that cannot sign: InvalidArgumentError, dictionary unchanged', () => {
  const dict = new Dictionary().set('n', 'lab');
  const before = dict.toBytes();
  for (const signer of notSigners) {
    assert.throws(() => dict.sign(signer as never), InvalidArgumentError);
    assert.deepEqual(dict.toBytes(), before);
  }
});

test('CertificateOfMembership.sign and agreesWith with the wrong kind of argument: InvalidArgumentError', () => {
  const com = CertificateOfMembership.create({ revision: 3n, revisionMaxDelta: 16n, nwid: 1n, issuedTo: 2n });
  const text = com.toString();
  for (const value of notSigners) {
    assert.throws(() => com.sign(value as never), InvalidArgumentError);
    assert.throws(() => com.agreesWith(value as never), InvalidArgumentError);
    assert.equal(com.toString(), text);
  }
});

test('a signer that fails leaves the dictionary exactly as it was, signed or not', () => {
  const failing = { toString: () => 'someone', sign: (): Uint8Array => { throw new Error('no key'); } };
  const working = { toString: () => 'signer', sign: () => new Uint8Array(96).fill(7) };
  const unsigned = new Dictionary().set('n', 'lab');
  const signed = new Dictionary().set('n', 'lab').sign(working, 0x1234n);
  for (const dict of [unsigned, signed]) {
    const before = dict.toBytes();
    assert.throws(() => dict.sign(failing, 99n), /no key/);
    assert.deepEqual(dict.toBytes(), before);
  }
});
