import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { memoryHardHash } from '../src/crypto/memory-hard-hash.js';
import { InvalidArgumentError, ParseError } from '../src/errors.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8'));
const reference = JSON.parse(readFileSync(new URL('./vectors/reference.json', import.meta.url), 'utf8'));
const signerText: string = reference.identities[0].withPrivate;
const otherText: string = reference.identities[1].withPrivate;

test('known_good validates; known_bad parses but does not validate', () => {
  const good = Identity.fromString(vectors.identities.known_good);
  const bad = Identity.fromString(vectors.identities.known_bad);
  assert.equal(good.locallyValidate(), true);
  assert.equal(bad.locallyValidate(), false);
  assert.equal(good.toString(true), vectors.identities.known_good);
  assert.equal(bad.address, '9e4df28b72');
});

test('reference identities: validity, public and private forms round-trip', () => {
  for (const entry of reference.identities) {
    const identity = Identity.fromString(entry.withPrivate);
    assert.equal(identity.locallyValidate(), entry.valid);
    assert.equal(identity.hasPrivate, true);
    assert.equal(identity.toString(), entry.public);
    assert.equal(identity.toString(true), entry.withPrivate);
    const publicIdentity = Identity.fromString(entry.public);
    assert.equal(publicIdentity.hasPrivate, false);
    assert.equal(publicIdentity.toString(true), entry.public);
    assert.ok(publicIdentity.equals(identity) && identity.equals(publicIdentity));
  }
});

test('reference identity mutations have the recorded validity', () => {
  for (const entry of reference.identityMutations) {
    assert.equal(Identity.fromString(entry.identity).locallyValidate(), entry.valid, entry.identity);
  }
});

test('reference signatures are byte-identical and verify', () => {
  for (const entry of reference.signatures) {
    const signer = Identity.fromString(entry.signer);
    const message = hexToBytes(entry.message);
    const signature = signer.sign(message);
    assert.equal(bytesToHex(signature), entry.signature);
    assert.equal(signer.publicOnly().verify(message, signature), true);
    assert.equal(Identity.fromString(otherText).verify(message, signature), false);
  }
});

test('reference agreements (n = 64 and n = 100), in both directions', () => {
  for (const entry of reference.agreements) {
    const mine = Identity.fromString(entry.mine);
    const theirs = Identity.fromString(entry.theirs);
    assert.equal(bytesToHex(mine.agree(theirs, entry.n)), entry.key);
    assert.equal(bytesToHex(Identity.fromString(otherText).agree(mine.publicOnly(), entry.n)), entry.key);
  }
});

test('accessors, equality and the private key requirement', () => {
  const signer = Identity.fromString(signerText);
  const [addressText, , publicHex] = signerText.split(':');
  assert.equal(signer.address, addressText);
  assert.equal(signer.addressValue, BigInt('0x' + addressText));
  assert.equal(bytesToHex(signer.publicKey), publicHex);
  signer.publicKey.fill(0); // a copy: the identity is unchanged
  assert.equal(bytesToHex(signer.publicKey), publicHex);

  const publicOnly = signer.publicOnly();
  assert.equal(publicOnly.hasPrivate, false);
  assert.ok(publicOnly.equals(signer));
  assert.equal(signer.equals(Identity.fromString(otherText)), false);
  assert.equal(signer.equals(signerText), false);
  const sameAddressOtherKey = Identity.fromString(`${addressText}:0:${otherText.split(':')[2]}`);
  assert.equal(signer.equals(sameAddressOtherKey), false);

  assert.throws(() => publicOnly.sign(new Uint8Array(3)), InvalidArgumentError);
  assert.throws(() => publicOnly.agree(signer, 32), InvalidArgumentError);
  assert.throws(() => signer.agree(signerText as never, 32), InvalidArgumentError);
  assert.equal(signer.verify(new Uint8Array(3), new Uint8Array(10)), false);
});

test('the private key does not show in dumps, JSON or default strings', () => {
  const signer = Identity.fromString(signerText);
  const privateHex = signerText.split(':')[3]!;
  for (const text of [inspect(signer, { showHidden: true, depth: 5 }), JSON.stringify({ signer }), String(signer), `${signer}`]) {
    assert.ok(!text.includes(privateHex), text);
    assert.ok(text.includes(signer.address));
  }
  assert.deepEqual(Object.keys(signer), []);
  assert.deepEqual(Object.getOwnPropertyNames(signer), []);
});

test('hex is read in either case and printed in lower case', () => {
  const upper = Identity.fromString(signerText.toUpperCase());
  assert.equal(upper.toString(true), signerText);
  assert.equal(upper.locallyValidate(), true);
});

test('malformed identity strings are ParseError', () => {
  const [address, , pub, priv] = signerText.split(':') as [string, string, string, string];
  const cases = [
    '',
    address,
    `${address}:0`,
    `${address}:0:${pub}:${priv}:`,
    `${address}:0:${pub}:${priv}:${priv}`,
    `${address}:1:${pub}`,
    `${address}:00:${pub}`,
    `${address}: 0:${pub}`,
    `0000000000:0:${pub}`,
    `ff00000001:0:${pub}`,
    `ffffffffff:0:${pub}`,
    `FF12345678:0:${pub}`,
    `${address.slice(1)}:0:${pub}`,
    `0${address}:0:${pub}`,
    `${address}:0:${pub.slice(2)}`,
    `${address}:0:${pub}00`,
    `${address}:0:${pub.slice(0, 127)}g`,
    `${address}:0:${pub}:${priv.slice(1)}`,
    `${address}:0:${pub}:`,
    `${address}:0:${pub}:${priv.slice(0, 126)}zz`,
    ` ${address}:0:${pub}`,
    `${address}:0:${pub}\n`,
    `0x${address.slice(2)}:0:${pub}`,
    `${address}:0:${pub}:${otherText.split(':')[3]}`, // private key of another identity
    'x'.repeat(5_000_000),
  ];
  for (const text of cases) {
    assert.throws(() => Identity.fromString(text), ParseError, JSON.stringify(text.slice(0, 60)));
  }
  for (const notText of [undefined, null, 42, {}, new Uint8Array(3)]) {
    assert.throws(() => Identity.fromString(notText as never), ParseError);
  }
});

test('every truncation of a valid identity string is a ParseError (or the public form)', () => {
  for (let length = 0; length < signerText.length; length++) {
    const text = signerText.slice(0, length);
    if (text === reference.identities[0].public) {
      assert.equal(Identity.fromString(text).toString(), text);
      continue;
    }
    assert.throws(() => Identity.fromString(text), ParseError, `length ${length}`);
  }
});

test('arbitrary strings and single-character edits give an Identity or a ParseError, nothing else', () => {
  const parseOrParseError = (text: string): void => {
    try {
      const identity = Identity.fromString(text);
      assert.equal(identity.toString(identity.hasPrivate), text.toLowerCase());
    } catch (error) {
      assert.ok(error instanceof ParseError, String(error));
    }
  };
  fc.assert(fc.property(fc.string({ maxLength: 300 }), parseOrParseError), { numRuns: 300 });
  fc.assert(
    fc.property(fc.nat(signerText.length - 1), fc.string({ minLength: 0, maxLength: 2 }), (at, insert) => {
      parseOrParseError(signerText.slice(0, at) + insert + signerText.slice(at + 1));
    }),
    { numRuns: 300 },
  );
  const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF:'.split(''));
  fc.assert(
    fc.property(fc.array(hexDigit, { maxLength: 145 }), (chars) => parseOrParseError(chars.join(''))),
    { numRuns: 300 },
  );
});

test('generate with a deterministic random source repeats, validates, signs and reports progress', async () => {
  // This seed needs two proof-of-work attempts, so the search loop runs more than once.
  const progress: number[] = [];
  const first = await Identity.generate({ random: deterministicRandom('seed-5'), onProgress: (n) => progress.push(n) });
  const second = await Identity.generate({ random: deterministicRandom('seed-5') });
  assert.deepEqual(progress, [1, 2]);
  assert.equal(first.toString(true), second.toString(true));
  assert.ok(first.hasPrivate);
  const reparsed = Identity.fromString(first.toString(true));
  assert.equal(reparsed.locallyValidate(), true);
  const message = new Uint8Array([1, 2, 3]);
  assert.equal(reparsed.publicOnly().verify(message, first.sign(message)), true);
});

test('generate restarts on reserved addresses and honours an abort signal', async () => {
  const checkPub = hexToBytes(vectors.identities.known_good.split(':')[2]);
  const digests = [
    [200, 0x12, 0x34, 0x56, 0x78, 0x9a], // fails the work test
    [0, 0xff, 0x01, 0x02, 0x03, 0x04], // reserved (top byte ff): start again
    [16, 0, 0, 0, 0, 0], // reserved (zero): start again
    [3, 0x01, 0x02, 0x03, 0x04, 0x05],
  ];
  let call = 0;
  const scripted = (pub: Uint8Array): Uint8Array => {
    if (bytesToHex(pub) === bytesToHex(checkPub)) return memoryHardHash(pub);
    const [first, ...address] = digests[call++]!;
    const digest = new Uint8Array(64);
    digest[0] = first!;
    digest.set(address, 59);
    return digest;
  };
  let randomCalls = 0;
  const seeded = deterministicRandom('restart');
  const identity = await Identity.generate({ random: (n) => (randomCalls++, seeded(n)), memoryHardHash: scripted });
  assert.equal(identity.address, '0102030405');
  assert.equal(call, 4);
  assert.equal(randomCalls, 3);

  const controller = new AbortController();
  controller.abort();
  await assert.rejects(Identity.generate({ signal: controller.signal }), { name: 'AbortError' });

  const later = new AbortController();
  let attempts = 0;
  await assert.rejects(
    Identity.generate({
      random: deterministicRandom('seed-0'), // needs 21 attempts; aborted after the first
      signal: later.signal,
      onProgress: (n) => {
        attempts = n;
        later.abort();
      },
    }),
    { name: 'AbortError' },
  );
  assert.equal(attempts, 1);

  await assert.rejects(Identity.generate({ random: () => new Uint8Array(3) }), InvalidArgumentError);
});
