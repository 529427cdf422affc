import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Identity } from '../src/crypto/identity.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { InvalidArgumentError, ParseError } from '../src/errors.js';

const reference = JSON.parse(readFileSync(new URL('./vectors/reference.json', import.meta.url), 'utf8'));
const latin1Bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const bytesLatin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The reference identity (with private key) whose public form is `publicText`. */
function privateSigner(publicText: string): Identity {
  const entry = reference.identities.find((i: { public: string }) => i.public === publicText);
  assert.ok(entry, 'signer of the vector is among the reference identities');
  return Identity.fromString(entry.withPrivate);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

test('signedDictionaries vectors: signing the input gives the signed bytes exactly', () => {
  assert.ok(reference.signedDictionaries.length > 0);
  for (const vector of reference.signedDictionaries) {
    assert.equal(vector.encoding, 'latin1-of-bytes');
    const signer = privateSigner(vector.signer);
    const timestamp = Dictionary.parse(latin1Bytes(vector.signed)).get('~!sigts')!;
    const dict = Dictionary.parse(latin1Bytes(vector.input));
    dict.sign(signer, BigInt('0x' + timestamp));
    assert.equal(bytesLatin1(dict.toBytes()), vector.signed);
    // a number timestamp gives the same bytes
    const again = Dictionary.parse(latin1Bytes(vector.input)).sign(signer, Number.parseInt(timestamp, 16));
    assert.equal(bytesLatin1(again.toBytes()), vector.signed);
  }
});

test('signedDictionaries vectors: the given signed form verifies and re-serializes byte for byte', () => {
  for (const vector of reference.signedDictionaries) {
    const signed = Dictionary.parse(latin1Bytes(vector.signed));
    assert.equal(vector.oracleVerify, 'signature ok');
    assert.equal(signed.verify(Identity.fromString(vector.signer)), true);
    assert.equal(bytesLatin1(signed.toBytes()), vector.signed);
    assert.equal(signed.get('~!sigid'), vector.signer);
    assert.equal(signed.get('d'), 'desc = with \\ escapes\nand newline');
    const stranger = reference.identities.find((i: { public: string }) => i.public !== vector.signer);
    assert.equal(signed.verify(Identity.fromString(stranger.public)), false);
  }
});

test('serialization escapes NUL, CR, LF, backslash and = and nothing else', () => {
  const dict = new Dictionary();
  dict.set(Uint8Array.of(0x61, 0x00, 0x3d), Uint8Array.of(0x0d, 0x0a, 0x5c, 0x3d, 0x7e, 0xff));
  assert.deepEqual([...dict.toBytes()], [
    0x61, 0x5c, 0x30, 0x5c, 0x3d, 0x3d, 0x5c, 0x72, 0x5c, 0x6e, 0x5c, 0x5c, 0x5c, 0x3d, 0x7e, 0xff, 0x0a,
  ]);
  assert.equal(dict.byteLength, dict.toBytes().length);
});

test('parse is lenient exactly as §4 says', () => {
  assert.deepEqual(Dictionary.parse('a=1\nb=2\0c=3\n').toObject(), { a: '1', b: '2' }, 'stops at NUL');
  assert.deepEqual(Dictionary.parse('k=a=b=c\n').toObject(), { k: 'abc' }, 'later = dropped');
  assert.deepEqual(Dictionary.parse('k=\\0\\r\\n\\\\\\=\\x\n').getBytes('k'), Uint8Array.of(0, 13, 10, 92, 61, 120));
  assert.deepEqual(Dictionary.parse('a=1\r\nb=2\rc=3').toObject(), { a: '1', b: '2', c: '3' }, 'CR or LF end entries');
  assert.deepEqual(Dictionary.parse('lonely\nx=\n').toObject(), { lonely: '', x: '' }, 'key without = is empty');
  assert.deepEqual(Dictionary.parse('\n\n\r\na=1\n\n').toObject(), { a: '1' }, 'empty lines skipped');
  assert.deepEqual(Dictionary.parse('=v\n').toObject(), { '': 'v' }, 'an empty key before = is a key');
  assert.deepEqual(Dictionary.parse('k=v\\').toObject(), { k: 'v' }, 'a trailing backslash is dropped');
  assert.deepEqual(Dictionary.parse('k\\=x=v\n').toObject(), { 'k=x': 'v' }, 'escaped = stays in the key');
  assert.deepEqual(Dictionary.parse('k=a\\\nb\n').getBytes('k'), utf8('a\nb'), 'escaped LF does not end the line');
  assert.equal(Dictionary.parse('').size, 0);
  assert.equal(Dictionary.parse(new Uint8Array(0)).size, 0);
});

test('a key given twice is a ParseError (the reference concatenated)', () => {
  assert.throws(() => Dictionary.parse('a=1\nb=2\na=3\n'), ParseError);
  assert.throws(() => Dictionary.parse('a\na=1\n'), ParseError);
  assert.throws(() => Dictionary.parse('=1\n=2\n'), ParseError);
  assert.throws(() => Dictionary.parse(42 as unknown as string), ParseError);
});

test('keys are ordered by UTF-8 bytes, not UTF-16 code units', () => {
  // U+FFFF is EF BF BF in UTF-8; U+10000 is F0 90 80 80 but D800 DC00 in UTF-16.
  const dict = new Dictionary([
    ['\u{10000}', 'astral'],
    ['\uffff', 'bmp'],
    ['~', 'tilde'],
    ['Z', 'upper'],
    ['a', 'lower'],
  ]);
  assert.deepEqual(dict.keys(), ['Z', 'a', '~', '\uffff', '\u{10000}']);
  assert.deepEqual(dict.toString(), 'Z=upper\na=lower\n~=tilde\n\uffff=bmp\n\u{10000}=astral\n');
});

test('get, getBytes, has, delete, size, entries, set chaining', () => {
  const dict = new Dictionary({ b: '2', a: '1' });
  assert.equal(dict.size, 2);
  assert.equal(dict.get('a'), '1');
  assert.equal(dict.get('missing'), undefined);
  assert.equal(dict.getBytes('missing'), undefined);
  assert.deepEqual(dict.entries(), [['a', '1'], ['b', '2']]);
  assert.equal(dict.set('c', 'x').set('c', 'y').get('c'), 'y');
  assert.equal(dict.has(utf8('c')), true);
  assert.equal(dict.delete('c'), true);
  assert.equal(dict.delete('c'), false);
  assert.equal(dict.has('c'), false);
  assert.equal(dict.toString(), 'a=1\nb=2\n');
  const bytes = dict.getBytes('a')!;
  bytes[0] = 0x7a;
  assert.equal(dict.get('a'), '1', 'getBytes returns a copy');
  assert.deepEqual([...dict], [['a', '1'], ['b', '2']]);
  assert.equal(dict.setHex('h', 255n, 4).get('h'), '00ff');
  assert.equal(dict.setHex('h', 10).get('h'), 'a');
});

test('set refuses numbers and other non-byte values with InvalidArgumentError', () => {
  const dict = new Dictionary();
  assert.throws(() => dict.set('k', 5 as unknown as string), InvalidArgumentError);
  assert.throws(() => dict.set('k', 5n as unknown as string), InvalidArgumentError);
  assert.throws(() => dict.set(null as unknown as string, 'v'), InvalidArgumentError);
  assert.throws(() => dict.setHex('k', -1), InvalidArgumentError);
  assert.throws(() => dict.setHex('k', 1.5), InvalidArgumentError);
  assert.equal(dict.size, 0);
});

test('non-UTF-8 bytes survive; toBytes is exact where toString is lossy', () => {
  const dict = new Dictionary([[Uint8Array.of(0xff, 0xfe), Uint8Array.of(0x80, 0x00, 0xc3)]]);
  const again = Dictionary.parse(dict.toBytes());
  assert.deepEqual(again.entryBytes(), [[Uint8Array.of(0xff, 0xfe), Uint8Array.of(0x80, 0x00, 0xc3)]]);
  assert.ok(again.equals(dict));
  assert.ok(dict.toString().includes('\ufffd'));
});

test('sign without a private key throws and changes nothing; sign rejects bad times', () => {
  const signer = privateSigner(reference.identities[0].public);
  const dict = new Dictionary({ a: '1' });
  assert.throws(() => dict.sign(signer.publicOnly(), 1n));
  assert.equal(dict.toString(), 'a=1\n');
  assert.throws(() => dict.sign(signer, -1), InvalidArgumentError);
  assert.throws(() => dict.sign(signer, 1.5), InvalidArgumentError);
  assert.equal(dict.toString(), 'a=1\n');
});

test('sign defaults to the current time and re-signing replaces the signature', () => {
  const signer = privateSigner(reference.identities[0].public);
  const before = Date.now();
  const dict = new Dictionary({ a: '1' }).sign(signer);
  const after = Date.now();
  const ts = Number.parseInt(dict.get('~!sigts')!, 16);
  assert.ok(ts >= before && ts <= after);
  assert.equal(dict.verify(signer), true);
  dict.set('a', '2');
  assert.equal(dict.verify(signer), false, 'a changed entry breaks the signature');
  dict.sign(signer, 0);
  assert.equal(dict.get('~!sigts'), '0');
  assert.equal(dict.verify(signer), true);
  assert.equal(dict.isSigned, true);
  dict.removeSignature();
  assert.equal(dict.isSigned, false);
  assert.equal(dict.toString(), 'a=2\n');
});

test('verify never throws on garbage signatures or odd verifiers', () => {
  const signer = privateSigner(reference.identities[0].public);
  const cases = ['', 'zz', 'x'.repeat(192), '0'.repeat(192), '0'.repeat(190)];
  for (const signature of cases) {
    const dict = new Dictionary({ a: '1', '~!ed25519': signature });
    assert.equal(dict.verify(signer), false);
  }
  const signed = new Dictionary({ a: '1' }).sign(signer, 5n);
  const throwing = { verify(): boolean { throw new Error('boom'); } };
  assert.equal(signed.verify(throwing), false);
  assert.equal(signed.verify(null as unknown as Identity), false);
  assert.equal(new Dictionary().verify(signer), false);
  const upper = signed.clone().set('~!ed25519', signed.get('~!ed25519')!.toUpperCase());
  assert.equal(upper.verify(signer), false, 'only the lower-case signature text is accepted');
});

const byteEntries = fc.uniqueArray(
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.uint8Array({ maxLength: 24 })),
  { selector: ([key]) => bytesLatin1(key), maxLength: 12 },
);

test('property: arbitrary byte keys and values round-trip through serialize → parse', () => {
  fc.assert(
    fc.property(byteEntries, (entries) => {
      const dict = new Dictionary(entries);
      const parsed = Dictionary.parse(dict.toBytes());
      const expected = [...entries].sort((a, b) => compareBytes(a[0], b[0]));
      assert.deepEqual(parsed.entryBytes(), expected);
      assert.deepEqual(parsed.toBytes(), dict.toBytes());
    }),
    { numRuns: 300 },
  );
});

const textEntries = fc.uniqueArray(
  fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 16 })),
  { selector: ([key]) => key, maxLength: 10 },
);

test('property: text keys round-trip and keys() is in UTF-8 byte order', () => {
  fc.assert(
    fc.property(textEntries, (entries) => {
      const dict = new Dictionary(entries);
      const parsed = Dictionary.parse(dict.toString());
      assert.deepEqual(new Map(parsed.entries()), new Map(entries));
      const keys = parsed.keys();
      for (let i = 1; i < keys.length; i++) assert.ok(compareBytes(utf8(keys[i - 1]!), utf8(keys[i]!)) < 0);
    }),
    { numRuns: 200 },
  );
});

test('property: random bytes parse to a dictionary or a ParseError, and parsing is idempotent', () => {
  const alphabet = fc.constantFrom(0x00, 0x0a, 0x0d, 0x3d, 0x5c, 0x30, 0x6e, 0x72, 0x61, 0x62, 0xff);
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(alphabet, { maxLength: 64 }).map((a) => Uint8Array.from(a))), (bytes) => {
      let dict: Dictionary;
      try {
        dict = Dictionary.parse(bytes);
      } catch (error) {
        assert.ok(error instanceof ParseError, String(error));
        return;
      }
      const again = Dictionary.parse(dict.toBytes());
      assert.ok(again.equals(dict));
    }),
    { numRuns: 500 },
  );
});

test('property: a flipped bit in a signed dictionary makes verify fail', () => {
  const signer = privateSigner(reference.identities[0].public);
  const signed = Dictionary.parse(latin1Bytes(reference.signedDictionaries[0].signed));
  const bytes = signed.toBytes();
  const verifier = Identity.fromString(reference.signedDictionaries[0].signer);
  assert.equal(signed.verify(signer), true);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 7 }), (index, bit) => {
      const mutated = bytes.slice();
      mutated[index] ^= 1 << bit;
      let dict: Dictionary;
      try {
        dict = Dictionary.parse(mutated);
      } catch (error) {
        assert.ok(error instanceof ParseError);
        return;
      }
      if (dict.equals(signed)) return;
      assert.equal(dict.verify(verifier), false);
    }),
    { numRuns: 60 },
  );
});

test('beginSignature + completeSignature give exactly the bytes sign gives', () => {
  const signer = privateSigner(reference.identities[0].public);
  for (const vector of reference.signedDictionaries) {
    const signed = Dictionary.parse(latin1Bytes(vector.signed));
    const timestamp = BigInt('0x' + signed.get('~!sigts')!);
    const viaSign = Dictionary.parse(latin1Bytes(vector.input)).sign(privateSigner(vector.signer), timestamp);
    const split = Dictionary.parse(latin1Bytes(vector.input));
    const message = split.beginSignature(vector.signer, timestamp);
    assert.equal(split.get('~!sigid'), vector.signer);
    assert.equal(split.get('~!sigts'), timestamp.toString(16));
    assert.equal(split.has('~!ed25519'), false, 'no signature until completeSignature');
    split.completeSignature(privateSigner(vector.signer).sign(message));
    assert.equal(bytesLatin1(split.toBytes()), vector.signed);
    assert.deepEqual(split.toBytes(), viaSign.toBytes());
  }
  // the message is every entry but ~!ed25519 as key=value NUL, then 0xff and BE32(count)
  const dict = new Dictionary({ b: 'x=\n', a: '1', '~!ed25519': 'old' });
  const message = dict.beginSignature('me', 0x1234);
  assert.equal(bytesLatin1(message), 'a=1\0b=x=\n\0~!sigid=me\0~!sigts=1234\0\xff\0\0\0\x04');
  assert.equal(dict.get('~!ed25519'), 'old', 'an earlier signature stays until completeSignature');
  dict.completeSignature(signer.sign(message));
  assert.equal(dict.verify(signer), true);
  const again = new Dictionary({ a: '1' });
  const before = Date.now();
  again.beginSignature(signer.toString());
  const ts = Number.parseInt(again.get('~!sigts')!, 16);
  assert.ok(ts >= before && ts <= Date.now(), 'the time defaults to now');
});

test('completeSignature refuses anything but 96 bytes and leaves the dictionary as it was', () => {
  const dict = new Dictionary({ a: '1' });
  dict.beginSignature('me', 5n);
  const before = dict.toBytes();
  for (const bad of [new Uint8Array(95), new Uint8Array(97), new Uint8Array(0), 'ab'.repeat(96), [...new Uint8Array(96)], null]) {
    assert.throws(() => dict.completeSignature(bad as Uint8Array), InvalidArgumentError);
    assert.deepEqual(dict.toBytes(), before);
    assert.equal(dict.isSigned, false);
  }
  assert.throws(() => dict.beginSignature(5 as unknown as string, 1n), InvalidArgumentError);
  assert.throws(() => dict.beginSignature('me', -1), InvalidArgumentError);
  assert.throws(() => dict.beginSignature('me', 1.5), InvalidArgumentError);
  assert.deepEqual(dict.toBytes(), before, 'refused arguments change nothing');
  assert.equal(dict.completeSignature(new Uint8Array(96).fill(0xab)).get('~!ed25519'), 'ab'.repeat(96));
});

test('sign: a signer whose signature is not 96 bytes is refused and the dictionary put back', () => {
  for (const result of [new Uint8Array(64), 'sig', undefined]) {
    const odd = { toString: () => 'odd', sign: () => result as Uint8Array };
    const dict = new Dictionary({ a: '1', '~!sigts': '7' });
    const before = dict.toBytes();
    assert.throws(() => dict.sign(odd, 9n), InvalidArgumentError);
    assert.deepEqual(dict.toBytes(), before);
    assert.equal(dict.has('~!sigid'), false);
  }
});

test('parse keeps canonical input as the serialized form; other input is re-serialized', () => {
  const canonical = 'a=1\nb=x\\=y\\n\nc=\n';
  const dict = Dictionary.parse(canonical);
  assert.equal(dict.toString(), canonical);
  const input = utf8(canonical + '\0junk');
  const fromBytes = Dictionary.parse(input);
  input.fill(0);
  assert.equal(fromBytes.toString(), canonical, 'the caller changing its input changes nothing');
  const lenient: Array<[string, string]> = [
    ['b=2\na=1\n', 'a=1\nb=2\n'],
    ['a=1\r\n', 'a=1\n'],
    ['a=1', 'a=1\n'],
    ['a\n', 'a=\n'],
    ['a=1=2\n', 'a=12\n'],
    ['a=\\x\n', 'a=x\n'],
    ['\na=1\n', 'a=1\n'],
    ['a=1\\', 'a=1\n'],
  ];
  for (const [text, serialized] of lenient) assert.equal(Dictionary.parse(text).toString(), serialized, JSON.stringify(text));
});

/** The §4 serialization written out plainly, for checking the dictionary against. */
function modelBytes(model: Map<string, Uint8Array>): Uint8Array {
  const out: number[] = [];
  const esc = (bytes: Uint8Array): void => {
    for (const b of bytes) {
      if (b === 0) out.push(0x5c, 0x30);
      else if (b === 13) out.push(0x5c, 0x72);
      else if (b === 10) out.push(0x5c, 0x6e);
      else if (b === 0x5c || b === 0x3d) out.push(0x5c, b);
      else out.push(b);
    }
  };
  for (const key of [...model.keys()].sort()) {
    esc(latin1Bytes(key));
    out.push(0x3d);
    esc(model.get(key)!);
    out.push(0x0a);
  }
  return Uint8Array.from(out);
}

test('property: any mix of set, delete, clone, parse and reads agrees with a plain map', () => {
  const key = fc.constantFrom('a', 'b', 'ts', 'z=', '~!sigid', 'k\n', '\u00e9').map(utf8);
  const value = fc.oneof(fc.uint8Array({ maxLength: 6 }), fc.constantFrom('', 'v', 'x\\y').map(utf8));
  const op = fc.oneof(
    fc.record({ op: fc.constant('set' as const), key, value }),
    fc.record({ op: fc.constant('delete' as const), key }),
    fc.record({ op: fc.constantFrom('clone' as const, 'parse' as const, 'bytes' as const, 'keys' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      let dict = new Dictionary();
      let model = new Map<string, Uint8Array>();
      const checkpoints: Array<[Dictionary, Map<string, Uint8Array>]> = [];
      for (const step of ops) {
        if (step.op === 'set') {
          dict.set(step.key, step.value);
          model.set(bytesLatin1(step.key), step.value);
        } else if (step.op === 'delete') {
          assert.equal(dict.delete(step.key), model.delete(bytesLatin1(step.key)));
        } else if (step.op === 'clone') {
          // the original must not change whatever happens to the clone afterwards
          checkpoints.push([dict, new Map(model)]);
          dict = dict.clone();
          model = new Map(model);
        } else if (step.op === 'parse') {
          dict = Dictionary.parse(dict.toBytes());
        } else if (step.op === 'bytes') {
          assert.deepEqual(dict.toBytes(), modelBytes(model));
        } else {
          assert.deepEqual(dict.keys(), [...model.keys()].sort().map((k) => new TextDecoder().decode(latin1Bytes(k))));
        }
        assert.equal(dict.size, model.size);
        for (const [k, v] of model) assert.deepEqual(dict.getBytes(latin1Bytes(k)), v);
      }
      assert.deepEqual(dict.toBytes(), modelBytes(model));
      assert.equal(dict.byteLength, modelBytes(model).length);
      for (const [earlier, earlierModel] of checkpoints) {
        assert.equal(earlier.size, earlierModel.size);
        for (const [k, v] of earlierModel) assert.deepEqual(earlier.getBytes(latin1Bytes(k)), v);
        for (const k of model.keys()) if (!earlierModel.has(k)) assert.equal(earlier.has(latin1Bytes(k)), false);
        assert.deepEqual(earlier.toBytes(), modelBytes(earlierModel));
      }
    }),
    { numRuns: 300 },
  );
});

/** The entries of `dict` with `key`'s entry split again at the `=` after `at` bytes of its value. */
function resplit(dict: Dictionary, key: string, at: number): Dictionary {
  const value = dict.getBytes(key)!;
  assert.equal(value[at], 0x3d, 'the value holds = where the forgery splits it');
  const forged = dict.clone();
  forged.delete(key);
  const newKey = new Uint8Array([...utf8(key), 0x3d, ...value.subarray(0, at)]);
  forged.set(newKey, value.subarray(at + 1));
  return forged;
}

test('a re-split forgery (a value moved into a key across its =) signs the same bytes but does not verify', () => {
  // a dictionary signed by the 2015 reference: its description holds "="
  const vector = reference.signedDictionaries[0];
  const signer = Identity.fromString(vector.signer);
  const signed = Dictionary.parse(latin1Bytes(vector.signed));
  assert.equal(signed.verify(signer), true);
  const description = signed.getBytes('d')!;
  const forged = resplit(signed, 'd', description.indexOf(0x3d));
  assert.equal(forged.has('d'), false, 'the description is gone from where a reader looks for it');
  assert.equal(forged.size, signed.size);
  // the forgery leaves the signed bytes as they were: only the check of its keys can refuse it
  const message = (dict: Dictionary): Uint8Array => {
    const out: number[] = [];
    const entries = dict.entryBytes().filter(([key]) => bytesLatin1(key) !== '~!ed25519');
    for (const [key, value] of entries) out.push(...key, 0x3d, ...value, 0);
    out.push(0xff, 0, 0, 0, entries.length);
    return Uint8Array.from(out);
  };
  assert.deepEqual(message(forged), message(signed));
  assert.equal(signer.verify(message(forged), Buffer.from(forged.get('~!ed25519')!, 'hex')), true);
  assert.equal(forged.verify(signer), false);
  // the same through its serialized form (the = of the key written escaped)
  const wire = forged.toBytes();
  assert.ok(bytesLatin1(wire).startsWith('d\\=desc '));
  assert.equal(Dictionary.parse(wire).verify(signer), false);

  // a key holding = is never signed: the dictionary is left as it was
  const signerWithKey = privateSigner(vector.signer);
  const unsigned = forged.clone().removeSignature();
  const before = unsigned.toBytes();
  assert.throws(() => unsigned.sign(signerWithKey, 1n), InvalidArgumentError);
  assert.throws(() => unsigned.beginSignature(vector.signer, 1n), InvalidArgumentError);
  assert.deepEqual(unsigned.toBytes(), before);
});
