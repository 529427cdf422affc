import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Identity } from '../src/crypto/identity.js';
import { CertificateOfMembership, type Qualifier } from '../src/protocol/certificate.js';
import { InvalidArgumentError, ParseError } from '../src/errors.js';

const reference = JSON.parse(readFileSync(new URL('./vectors/reference.json', import.meta.url), 'utf8'));
const MAX64 = (1n << 64n) - 1n;
const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');
const signer = Identity.fromString(reference.identities[0].withPrivate);
const other = Identity.fromString(reference.identities[1].withPrivate);

/** A COM string with the given qualifiers (ids must be sorted and unique), unsigned. */
function comString(qualifiers: readonly Qualifier[]): string {
  return '1:' + qualifiers.map((q) => hex16(q.id) + hex16(q.value) + hex16(q.maxDelta)).join('') + ':0000000000';
}

function withQualifiers(qualifiers: readonly Qualifier[]): CertificateOfMembership {
  return CertificateOfMembership.parse(comString([...qualifiers].sort((a, b) => (a.id < b.id ? -1 : 1))));
}

test('coms vectors: create + sign gives the string exactly; the string parses, verifies, re-serializes', () => {
  assert.ok(reference.coms.length > 0);
  for (const vector of reference.coms) {
    const privateSigner = Identity.fromString(
      reference.identities.find((i: { public: string }) => i.public === vector.signer).withPrivate,
    );
    const created = CertificateOfMembership.create({
      revision: BigInt(vector.revision),
      revisionMaxDelta: BigInt(vector.maxDelta),
      nwid: vector.nwid,
      issuedTo: vector.issuedTo,
    }).sign(privateSigner);
    assert.equal(created.toString(), vector.com);
    const bigintForm = CertificateOfMembership.create({
      revision: BigInt(vector.revision),
      revisionMaxDelta: BigInt(vector.maxDelta),
      nwid: BigInt('0x' + vector.nwid),
      issuedTo: BigInt('0x' + vector.issuedTo),
    }).sign(privateSigner);
    assert.equal(bigintForm.toString(), vector.com);

    const parsed = CertificateOfMembership.parse(vector.com);
    assert.equal(vector.oracleVerify, 'com ok');
    assert.equal(parsed.verify(Identity.fromString(vector.signer)), true);
    assert.equal(parsed.toString(), vector.com);
    assert.equal(parsed.revision, BigInt(vector.revision));
    assert.equal(parsed.revisionMaxDelta, BigInt(vector.maxDelta));
    assert.equal(parsed.networkId, BigInt('0x' + vector.nwid));
    assert.equal(parsed.issuedTo, vector.issuedTo);
    assert.equal(parsed.signedBy, vector.signer.slice(0, 10));
    assert.equal(parsed.hasRequiredFields, true);
    assert.equal(parsed.verify(other.publicOnly()), false);
  }
});

test('an unsigned COM prints signer 0000000000 and no signature part', () => {
  const com = CertificateOfMembership.create({ revision: 1n, revisionMaxDelta: 16n, nwid: 0x3f5bca409b000001n, issuedTo: 'b8466363f4' });
  const text = com.toString();
  assert.equal(text.split(':').length, 3);
  assert.ok(text.endsWith(':0000000000'));
  assert.equal(com.signedBy, '0000000000');
  assert.equal(com.isSigned, false);
  assert.equal(com.signature, null);
  assert.equal(com.verify(signer), false);
  assert.equal(CertificateOfMembership.parse(text).toString(), text);
  assert.deepEqual(com.qualifiers, [
    { id: 0n, value: 1n, maxDelta: 16n },
    { id: 1n, value: 0x3f5bca409b000001n, maxDelta: 0n },
    { id: 2n, value: 0xb8466363f4n, maxDelta: MAX64 },
  ]);
});

test('sign without a private key throws and leaves the COM unsigned', () => {
  const com = CertificateOfMembership.create({ revision: 1n, revisionMaxDelta: 16n, nwid: 1n, issuedTo: 1n });
  assert.throws(() => com.sign(signer.publicOnly()));
  assert.equal(com.isSigned, false);
  assert.equal(com.signedBy, '0000000000');
});

test('create rejects bad arguments with typed errors', () => {
  const good = { revision: 1n, revisionMaxDelta: 16n, nwid: 1n, issuedTo: 1n };
  assert.throws(() => CertificateOfMembership.create({ ...good, revision: 1 as unknown as bigint }), InvalidArgumentError);
  assert.throws(() => CertificateOfMembership.create({ ...good, revision: -1n }), InvalidArgumentError);
  assert.throws(() => CertificateOfMembership.create({ ...good, revisionMaxDelta: 1n << 64n }), InvalidArgumentError);
  assert.throws(() => CertificateOfMembership.create({ ...good, nwid: 'xyz' }), ParseError);
  assert.throws(() => CertificateOfMembership.create({ ...good, nwid: 1n << 64n }), ParseError);
  assert.throws(() => CertificateOfMembership.create({ ...good, issuedTo: '123' }), ParseError);
  assert.throws(() => CertificateOfMembership.create({ ...good, issuedTo: 1n << 40n }), ParseError);
  assert.throws(() => CertificateOfMembership.create(null as never), InvalidArgumentError);
});

test('malformed strings are ParseErrors', () => {
  const valid = reference.coms[0].com as string;
  const [, q, by, sig] = valid.split(':') as [string, string, string, string];
  const bad = [
    '',
    '1',
    '1:',
    `2:${q}:${by}`,
    `1:${q}`,
    `1:${q}:${by}:${sig}:00`,
    `1:${q.slice(1)}:${by}`,
    `1:${q}x:${by}`,
    `1:${'z'.repeat(48)}:${by}`,
    `1:${q}:${by}`, // signer without signature
    `1:${q}:0000000000:${sig}`, // signature without signer
    `1:${q}:${by.slice(1)}:${sig}`,
    `1:${q}:${by}:${sig.slice(2)}`,
    `1:${q}:${by}:${sig.slice(0, -1)}g`,
    `1:${q.slice(48)}${q.slice(0, 48)}:0000000000`, // ids not ascending
    `1:${q.slice(0, 48)}${q.slice(0, 48)}:0000000000`, // id twice
    `1:-${q.slice(1)}:0000000000`,
  ];
  for (const text of bad) assert.throws(() => CertificateOfMembership.parse(text), ParseError, text);
  assert.throws(() => CertificateOfMembership.parse(5 as unknown as string), ParseError);
  assert.equal(CertificateOfMembership.tryParse('nonsense'), null);
  assert.ok(CertificateOfMembership.tryParse(valid));
  const empty = CertificateOfMembership.parse('1::0000000000');
  assert.equal(empty.hasRequiredFields, false);
  assert.equal(empty.revision, 0n);
  assert.equal(empty.issuedTo, '0000000000');
});

test('upper-case hex parses and prints lower case; the signature still verifies', () => {
  const valid = reference.coms[0].com as string;
  const parsed = CertificateOfMembership.parse(valid.toUpperCase());
  assert.equal(parsed.toString(), valid);
  assert.equal(parsed.verify(signer), true);
});

test('addQualifier: reserved ids refused, replaces by id, keeps order, drops the signature', () => {
  const com = CertificateOfMembership.create({ revision: 3n, revisionMaxDelta: 16n, nwid: 5n, issuedTo: 'b8466363f4' }).sign(signer);
  assert.throws(() => com.addQualifier(3n, 1n, 1n), InvalidArgumentError);
  assert.throws(() => com.addQualifier(65535n, 1n, 1n), InvalidArgumentError);
  assert.throws(() => com.addQualifier(70000n, -1n, 1n), InvalidArgumentError);
  assert.equal(com.verify(signer), true, 'refused changes leave it signed');
  com.addQualifier(70000n, 1n, 2n).addQualifier(65536n, MAX64, 0n).addQualifier(70000n, 9n, 9n);
  assert.equal(com.isSigned, false);
  assert.deepEqual(
    com.qualifiers.map((q) => q.id),
    [0n, 1n, 2n, 65536n, 70000n],
  );
  assert.equal(com.qualifiers[4]!.value, 9n);
  com.sign(signer);
  assert.equal(com.verify(signer), true);
  assert.equal(CertificateOfMembership.parse(com.toString()).verify(signer), true);
});

test('agreesWith: revisions within maxDelta agree; nwid and extremes of 64 bits', () => {
  const make = (revision: bigint, maxDelta: bigint, nwid = 0x3f5bca409b000001n, issuedTo = 'b8466363f4') =>
    CertificateOfMembership.create({ revision, revisionMaxDelta: maxDelta, nwid, issuedTo });
  assert.equal(make(10n, 16n).agreesWith(make(26n, 16n)), true);
  assert.equal(make(26n, 16n).agreesWith(make(10n, 16n)), true);
  assert.equal(make(10n, 16n).agreesWith(make(27n, 16n)), false);
  assert.equal(make(27n, 16n).agreesWith(make(10n, 16n)), false);
  assert.equal(make(10n, 16n).agreesWith(make(10n, 16n, 0x3f5bca409b000002n)), false, 'other network');
  assert.equal(make(10n, 16n).agreesWith(make(10n, 16n, undefined, '0000000001')), true, 'any member address');
  assert.equal(make(0n, MAX64).agreesWith(make(MAX64, MAX64)), true);
  assert.equal(make(0n, MAX64 - 1n).agreesWith(make(MAX64, 0n)), false);
  assert.equal(make(MAX64, MAX64 - 1n).agreesWith(make(0n, 0n)), false);
});

test('agreesWith matches qualifiers by id, not by position (the reference bug)', () => {
  const base = [
    { id: 0n, value: 5n, maxDelta: 1n },
    { id: 1n, value: 7n, maxDelta: 0n },
    { id: 2n, value: 9n, maxDelta: MAX64 },
  ];
  // Index matching would compare 70000 with 65536 (values differ): it says no; by id it is yes.
  const a = withQualifiers([...base, { id: 70000n, value: 100n, maxDelta: 0n }]);
  const b = withQualifiers([...base, { id: 65536n, value: 1n, maxDelta: 0n }, { id: 70000n, value: 100n, maxDelta: 0n }]);
  assert.equal(a.agreesWith(b), true);
  assert.equal(b.agreesWith(a), false, 'a lacks qualifier 65536');
  // Index matching would compare 65536 with 70000 (same value): it says yes; by id it is no.
  const c = withQualifiers([...base, { id: 65536n, value: 100n, maxDelta: 0n }]);
  const d = withQualifiers([...base, { id: 70000n, value: 100n, maxDelta: 0n }]);
  assert.equal(c.agreesWith(d), false);
  assert.equal(d.agreesWith(c), false);
});

const qualifierArbitrary = fc.record({
  id: fc.bigInt({ min: 0n, max: MAX64 }),
  value: fc.bigInt({ min: 0n, max: MAX64 }),
  maxDelta: fc.bigInt({ min: 0n, max: MAX64 }),
});
const qualifierList = fc
  .uniqueArray(qualifierArbitrary, { selector: (q) => q.id, maxLength: 6 })
  .map((list) => list.sort((a, b) => (a.id < b.id ? -1 : 1)));

test('property: COM strings with arbitrary 64-bit qualifiers round-trip', () => {
  fc.assert(
    fc.property(qualifierList, fc.bigInt({ min: 1n, max: (1n << 40n) - 1n }), fc.uint8Array({ minLength: 96, maxLength: 96 }), (qualifiers, by, signature) => {
      const unsigned = comString(qualifiers);
      const parsed = CertificateOfMembership.parse(unsigned);
      assert.equal(parsed.toString(), unsigned);
      assert.deepEqual(parsed.qualifiers, qualifiers.map((q) => ({ ...q })));
      const signedText = unsigned.slice(0, -10) + by.toString(16).padStart(10, '0') + ':' + Buffer.from(signature).toString('hex');
      const signed = CertificateOfMembership.parse(signedText);
      assert.equal(signed.toString(), signedText);
      assert.deepEqual(signed.signature, signature);
    }),
    { numRuns: 200 },
  );
});

test('property: agreesWith by id equals a direct model; self-agreement; symmetry with equal deltas', () => {
  const model = (mine: readonly Qualifier[], theirs: readonly Qualifier[]): boolean =>
    mine.every((q) => {
      const match = theirs.find((t) => t.id === q.id);
      if (match === undefined) return false;
      const distance = match.value > q.value ? match.value - q.value : q.value - match.value;
      return distance <= q.maxDelta;
    });
  const smallIds = fc
    .uniqueArray(
      fc.record({ id: fc.bigInt({ min: 0n, max: 5n }), value: fc.bigInt({ min: 0n, max: 40n }), maxDelta: fc.bigInt({ min: 0n, max: 20n }) }),
      { selector: (q) => q.id, maxLength: 5 },
    )
    .map((list) => list.sort((a, b) => (a.id < b.id ? -1 : 1)));
  fc.assert(
    fc.property(smallIds, smallIds, (x, y) => {
      const a = withQualifiers(x);
      const b = withQualifiers(y);
      assert.equal(a.agreesWith(b), model(x, y));
      assert.equal(a.agreesWith(a), true);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: MAX64 }), fc.bigInt({ min: 0n, max: MAX64 }), fc.bigInt({ min: 0n, max: MAX64 }), (r1, r2, delta) => {
      const a = CertificateOfMembership.create({ revision: r1, revisionMaxDelta: delta, nwid: 1n, issuedTo: 1n });
      const b = CertificateOfMembership.create({ revision: r2, revisionMaxDelta: delta, nwid: 1n, issuedTo: 2n });
      const distance = r1 > r2 ? r1 - r2 : r2 - r1;
      assert.equal(a.agreesWith(b), distance <= delta);
      assert.equal(a.agreesWith(b), b.agreesWith(a));
    }),
    { numRuns: 200 },
  );
});

test('property: a changed hex digit in a signed COM makes verify fail (or parse fail)', () => {
  const text = reference.coms[0].com as string;
  const verifier = Identity.fromString(reference.coms[0].signer);
  const positions = [...text].map((c, i) => (c === ':' ? -1 : i)).filter((i) => i > 1);
  fc.assert(
    fc.property(fc.constantFrom(...positions), fc.integer({ min: 1, max: 15 }), (position, step) => {
      const digit = (Number.parseInt(text[position]!, 16) + step) % 16;
      const mutated = text.slice(0, position) + digit.toString(16) + text.slice(position + 1);
      let com: CertificateOfMembership;
      try {
        com = CertificateOfMembership.parse(mutated);
      } catch (error) {
        assert.ok(error instanceof ParseError);
        return;
      }
      assert.equal(com.verify(verifier), false);
    }),
    { numRuns: 60 },
  );
});

test('property: random text and truncations give a COM or a ParseError, nothing else', () => {
  const text = reference.coms[0].com as string;
  for (let length = 0; length < text.length; length++) {
    try {
      const com = CertificateOfMembership.parse(text.slice(0, length));
      assert.equal(com.verify(signer), false);
    } catch (error) {
      assert.ok(error instanceof ParseError);
    }
  }
  const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:1xyz-'.split(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.array(alphabet, { maxLength: 120 }).map((a) => '1:' + a.join(''))), (input) => {
      try {
        CertificateOfMembership.parse(input);
      } catch (error) {
        assert.ok(error instanceof ParseError, String(error));
      }
    }),
    { numRuns: 500 },
  );
});

test('signingMessage + applySignature (signing elsewhere) equals sign; a wrong-sized signature changes nothing', () => {
  const options = { revision: 7n, revisionMaxDelta: 16n, nwid: 0x8056c2e21c000001n, issuedTo: other.address };
  const direct = CertificateOfMembership.create(options).sign(signer);
  const split = CertificateOfMembership.create(options);
  const unsigned = split.toString();
  assert.throws(() => split.applySignature(signer.address, new Uint8Array(64)), InvalidArgumentError);
  assert.throws(() => split.applySignature('not-an-address', signer.sign(split.signingMessage())), InvalidArgumentError);
  assert.equal(split.toString(), unsigned);
  split.applySignature(signer.address, signer.sign(split.signingMessage()));
  assert.equal(split.toString(), direct.toString());
  assert.equal(split.verify(signer), true);
});
