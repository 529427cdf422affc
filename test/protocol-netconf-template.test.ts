import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceMemberFields, referenceNetworkFields } from './fixtures/reference-netconf.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { CertificateOfMembership } from '../src/protocol/certificate.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { NetworkConfig, buildNetconfDictionary, type MulticastRate, type NetconfFields } from '../src/protocol/network-config.js';
import { NetconfTemplate, type NetconfMemberFields, type NetconfNetworkFields } from '../src/protocol/netconf-template.js';
import { InvalidArgumentError } from '../src/errors.js';

const reference = JSON.parse(readFileSync(new URL('./vectors/reference.json', import.meta.url), 'utf8'));
const latin1Bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const bytesLatin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const hex = (value: bigint | number, digits: number): string => BigInt(value).toString(16).padStart(digits, '0');

const signer = Identity.fromString(TEST_IDENTITIES[1]!);
const signerPublic = Identity.fromString(signer.toString());

/** A static IP as given to the builder (`input`) and as §6 writes it (`netconf`). */
interface StaticIp {
  input: string;
  netconf: string;
  family: 4 | 6;
}

/** The test's own reading of §6 with plain Dictionary.set calls: what every builder must give. */
function oracle(network: NetconfNetworkFields, member: NetconfMemberFields, ips: readonly StaticIp[]): Dictionary {
  const dict = new Dictionary();
  dict.set('nwid', hex(BigInt(typeof network.networkId === 'string' ? '0x' + network.networkId : network.networkId), 16));
  dict.set('ts', hex(member.timestamp, 16));
  dict.set('r', hex(network.revision, 16));
  dict.set('id', hex(BigInt(typeof member.issuedTo === 'string' ? '0x' + member.issuedTo : member.issuedTo), 10));
  dict.set('p', network.isPrivate ? '1' : '0');
  dict.set('n', network.name);
  if (network.description) dict.set('d', network.description);
  dict.set('eb', network.enableBroadcast ? '1' : '0');
  dict.set('pb', network.allowPassiveBridging ? '1' : '0');
  const types = network.allowedEtherTypes;
  dict.set('et', types.includes(0) ? '0' : [...new Set(types)].sort((a, b) => a - b).map((t) => hex(t, 4)).join(','));
  if ((network.multicastLimit ?? 0) > 0) dict.set('ml', network.multicastLimit!.toString(16));
  const rates = network.multicastRates ?? [];
  if (rates.length > 0) {
    const inner = new Dictionary();
    for (const rate of rates) {
      inner.set(`${rate.mac.toLowerCase()}/${hex(rate.adi, 4)}`, [rate.preload, rate.maxBalance, rate.accrual].map((n) => n.toString(16)).join(','));
    }
    dict.set('mr', inner.toBytes());
  }
  const bridges = (network.activeBridges ?? []).map((b) => hex(BigInt(typeof b === 'string' ? '0x' + b : b), 10));
  if (bridges.length > 0) dict.set('ab', [...new Set(bridges)].sort().join(','));
  const v4 = ips.filter((ip) => ip.family === 4).map((ip) => ip.netconf);
  const v6 = ips.filter((ip) => ip.family === 6).map((ip) => ip.netconf);
  if (v4.length > 0) dict.set('v4s', v4.join(','));
  if (v6.length > 0) dict.set('v6s', v6.join(','));
  if (member.com) dict.set('com', member.com.toString());
  return dict;
}

/** §4's signing message written out: every entry but ~!ed25519 as key=value NUL, 0xff, BE32(count). */
function expectedMessage(dict: Dictionary): Uint8Array {
  const out: number[] = [];
  let count = 0;
  for (const [key, value] of dict.entryBytes()) {
    if (bytesLatin1(key) === '~!ed25519') continue;
    out.push(...key, 0x3d, ...value, 0);
    count++;
  }
  out.push(0xff, count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff);
  return Uint8Array.from(out);
}

// Text with every byte §4 escapes, and UTF-8 of 2, 3 and 4 bytes.
const awkwardText = fc
  .array(fc.oneof(fc.constantFrom('\0', '\r', '\n', '=', '\\', 'é', '€', '😀', ' ', '~!', 'a'), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 8 })
  .map((parts) => parts.join(''));

const staticIp: fc.Arbitrary<StaticIp> = fc.oneof(
  fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 32 })).map(([octets, bits]) => {
    const text = `${octets.join('.')}/${bits}`;
    return { input: text, netconf: text, family: 4 as const };
  }),
  fc
    .tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 1, max: 128 }), fc.constantFrom('full', 'short', 'upper', 'compressed'))
    .map(([groups, bits, form]) => {
      const netconf = `${groups.map((g) => hex(g, 4)).join(':')}/${bits}`;
      let address = groups.map((g) => hex(g, 4)).join(':');
      if (form === 'short') address = groups.map((g) => g.toString(16)).join(':');
      if (form === 'upper') address = address.toUpperCase();
      if (form === 'compressed') {
        // '::' for the first run of zero groups, if any
        const start = groups.indexOf(0);
        if (start >= 0) {
          let end = start;
          while (end < 8 && groups[end] === 0) end++;
          address = `${groups.slice(0, start).map((g) => g.toString(16)).join(':')}::${groups.slice(end).map((g) => g.toString(16)).join(':')}`;
        }
      }
      return { input: `${address}/${bits}`, netconf, family: 6 as const };
    }),
);

const rate: fc.Arbitrary<MulticastRate> = fc.record({
  mac: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).chain((m) => fc.constantFrom(hex(m, 12), hex(m, 12).toUpperCase())),
  adi: fc.integer({ min: 0, max: 0xffffffff }),
  preload: fc.integer({ min: 0, max: 0xffffffff }),
  maxBalance: fc.integer({ min: 0, max: 0xffffffff }),
  accrual: fc.integer({ min: 0, max: 0xffffffff }),
});

const address = fc.bigInt({ min: 0n, max: (1n << 40n) - 1n });

const networkArbitrary = fc.record({
  networkId: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }).chain((id) => fc.constantFrom<bigint | string>(id, hex(id, 16))),
  revision: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  isPrivate: fc.boolean(),
  name: awkwardText,
  description: fc.option(awkwardText, { nil: undefined }),
  enableBroadcast: fc.boolean(),
  allowPassiveBridging: fc.boolean(),
  allowedEtherTypes: fc.oneof(
    fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 5 }),
    fc.constant([0x0800, 0x0806, 0x86dd]),
    fc.constant([]),
  ),
  multicastLimit: fc.option(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })), { nil: undefined }),
  multicastRates: fc.uniqueArray(rate, { selector: (r) => `${r.mac.toLowerCase()}/${r.adi}`, maxLength: 3 }),
  activeBridges: fc.array(address.chain((a) => fc.constantFrom<bigint | string>(a, hex(a, 10))), { maxLength: 3 }),
});

const memberArbitrary = fc.record({
  timestamp: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  issuedTo: address.chain((a) => fc.constantFrom<bigint | string>(a, hex(a, 10), hex(a, 10).toUpperCase())),
  staticIps: fc.array(staticIp, { maxLength: 4 }),
  com: fc.record({
    revision: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    maxDelta: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    asText: fc.boolean(),
  }),
  signatureTime: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
});

test('property: the template gives the bytes, message and signature of plain Dictionary.set and sign', () => {
  fc.assert(
    fc.property(networkArbitrary, memberArbitrary, (network, drawn) => {
      const template = new NetconfTemplate(network);
      let com: CertificateOfMembership | string | null = null;
      if (network.isPrivate) {
        const certificate = CertificateOfMembership.create({
          revision: drawn.com.revision,
          revisionMaxDelta: drawn.com.maxDelta,
          nwid: typeof network.networkId === 'string' ? BigInt('0x' + network.networkId) : network.networkId,
          issuedTo: typeof drawn.issuedTo === 'string' ? BigInt('0x' + drawn.issuedTo) : drawn.issuedTo,
        });
        com = drawn.com.asText ? certificate.toString() : certificate;
      }
      const member: NetconfMemberFields = {
        timestamp: drawn.timestamp,
        issuedTo: drawn.issuedTo,
        staticIps: drawn.staticIps.map((ip) => ip.input),
        com,
      };
      const expected = oracle(network, member, drawn.staticIps);

      // unsigned: the template and the builder both give the oracle's bytes
      const built = template.build(member);
      assert.equal(bytesLatin1(built.toBytes()), bytesLatin1(expected.toBytes()));
      assert.equal(bytesLatin1(buildNetconfDictionary({ ...network, ...member } as NetconfFields).toBytes()), bytesLatin1(expected.toBytes()));
      assert.deepEqual(built.entries(), expected.entries());
      assert.equal(template.byteLength(member), expected.byteLength);

      // the message to sign is the one sign uses
      const signerText = signer.toString();
      const prepared = template.prepare(member, signerText, drawn.signatureTime);
      const viaDictionary = expected.clone();
      const dictionaryMessage = viaDictionary.beginSignature(signerText, drawn.signatureTime);
      assert.deepEqual(prepared.message, dictionaryMessage);
      assert.deepEqual(prepared.message, expectedMessage(viaDictionary));

      // signed: byte for byte what Dictionary.sign gives, and it verifies
      const signed = prepared.complete(signer.sign(prepared.message));
      const signedByDictionary = expected.clone().sign(signer, drawn.signatureTime);
      assert.equal(bytesLatin1(signed.toBytes()), bytesLatin1(signedByDictionary.toBytes()));
      assert.equal(prepared.byteLength, signed.byteLength);
      assert.equal(signed.verify(signerPublic), true);
      assert.equal(Dictionary.parse(signed.toBytes()).verify(signerPublic), true);
      assert.equal(signed.get('~!sigts'), BigInt(drawn.signatureTime).toString(16));

      // a member reads it back
      for (const dict of [signed, Dictionary.parse(signed.toBytes())]) {
        const config = NetworkConfig.fromDictionary(dict);
        assert.equal(config.networkIdHex, expected.get('nwid'));
        assert.equal(config.timestamp, BigInt(drawn.timestamp));
        assert.equal(config.revision, network.revision);
        assert.equal(config.issuedTo, expected.get('id'));
        assert.equal(config.isPrivate, network.isPrivate);
        assert.equal(config.name, new TextDecoder().decode(new TextEncoder().encode(network.name)));
        assert.deepEqual(config.staticIps, [
          ...drawn.staticIps.filter((ip) => ip.family === 4).map((ip) => ip.netconf),
          ...drawn.staticIps.filter((ip) => ip.family === 6).map((ip) => ip.netconf),
        ]);
        assert.equal(config.com?.toString() ?? null, com === null ? null : com.toString());
        assert.deepEqual(config.activeBridges, expected.get('ab')?.split(',') ?? []);
      }
    }),
    { numRuns: 150 },
  );
});

test('the reference master netconf comes out of the template byte for byte', () => {
  const vector = reference.referenceMasterNetconf;
  const signed = Dictionary.parse(latin1Bytes(vector.netconf));
  const template = new NetconfTemplate(referenceNetworkFields);

  const member: NetconfMemberFields = { ...referenceMemberFields, staticIps: [], com: signed.get('com')! };
  const prepared = template.prepare(member, vector.signer, BigInt('0x' + signed.get('~!sigts')!));
  const signature = Uint8Array.from(Buffer.from(signed.get('~!ed25519')!, 'hex'));
  assert.equal(Identity.fromString(vector.signer).verify(prepared.message, signature), true);
  assert.equal(bytesLatin1(prepared.complete(signature).toBytes()), vector.netconf);
  assert.equal(prepared.byteLength, vector.netconf.length);
  assert.ok(template.build(member).equals(signed.clone().removeSignature()));
});

const network: NetconfNetworkFields = {
  networkId: 0x3f5bca409b00000an,
  revision: 42n,
  isPrivate: false,
  name: 'lab = "net"\nline two',
  description: 'a\\b',
  enableBroadcast: false,
  allowPassiveBridging: true,
  allowedEtherTypes: [0x86dd, 0x0800, 0x0806],
  multicastLimit: 100,
  multicastRates: [{ mac: '000000000000', adi: 0, preload: 0, maxBalance: 0x7fff, accrual: 1 }],
  activeBridges: ['b8466363f4'],
};
const member: NetconfMemberFields = { timestamp: 1_700_000_000_123, issuedTo: 0xb8466363f4n, staticIps: ['10.1.2.3/8', 'fd00::1/88'] };

/** The error a call throws, to compare messages. */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a throw');
}

test('bad network and member fields: the same InvalidArgumentError as buildNetconfDictionary', () => {
  const com = CertificateOfMembership.create({ revision: 1n, revisionMaxDelta: 16n, nwid: 1n, issuedTo: 1n });
  const badNetwork: Array<Partial<Record<keyof NetconfNetworkFields, unknown>>> = [
    { networkId: 'nope' },
    { revision: 1 },
    { isPrivate: 'yes' },
    { name: 5 },
    { description: 7 },
    { enableBroadcast: 'yes' },
    { allowPassiveBridging: null },
    { allowedEtherTypes: [0x10000] },
    { allowedEtherTypes: 'x' },
    { multicastLimit: -1 },
    { multicastLimit: 2 ** 32 },
    { multicastRates: [{ mac: 'ff', adi: 0, preload: 0, maxBalance: 0, accrual: 0 }] },
    { multicastRates: [{ mac: '000000000000', adi: 0, preload: 0, maxBalance: 0, accrual: 2 ** 32 }] },
    { activeBridges: ['xyz'] },
  ];
  for (const patch of badNetwork) {
    const fields = { ...network, ...patch } as NetconfNetworkFields;
    const error = thrown(() => new NetconfTemplate(fields));
    assert.ok(error instanceof InvalidArgumentError, JSON.stringify(Object.keys(patch)));
    assert.equal(error.message, thrown(() => buildNetconfDictionary({ ...fields, ...member } as NetconfFields)).message);
  }
  const template = new NetconfTemplate(network);
  const badMember: Array<Partial<Record<keyof NetconfMemberFields, unknown>>> = [
    { timestamp: -1 },
    { timestamp: 1.5 },
    { timestamp: 1n << 64n },
    { issuedTo: 'b8466363' },
    { issuedTo: 1n << 40n },
    { staticIps: ['10.0.0.1'] },
    { staticIps: ['fd00::1/129'] },
    { staticIps: ['010.0.0.1/8'] },
    { staticIps: [5] },
    { com },
    { com: 'garbage' },
  ];
  for (const patch of badMember) {
    const fields = { ...member, ...patch } as NetconfMemberFields;
    const runs = [
      () => template.build(fields),
      () => template.byteLength(fields),
      () => template.prepare(fields, 'me', 1n),
      () => template.sign(fields, signer, 1n),
    ];
    for (const run of runs) {
      const error = thrown(run);
      assert.ok(error instanceof InvalidArgumentError, JSON.stringify(Object.keys(patch)));
      assert.equal(error.message, thrown(() => buildNetconfDictionary({ ...network, ...fields } as NetconfFields)).message);
    }
  }
  const privateTemplate = new NetconfTemplate({ ...network, isPrivate: true });
  assert.throws(() => privateTemplate.build(member), /needs a com/);
  assert.throws(() => new NetconfTemplate(null as unknown as NetconfNetworkFields), InvalidArgumentError);
  assert.throws(() => template.build(null as unknown as NetconfMemberFields), InvalidArgumentError);
  assert.throws(() => template.prepare(member, 5 as unknown as string, 1n), InvalidArgumentError);
  assert.throws(() => template.prepare(member, 'me', -1), InvalidArgumentError);
  assert.throws(() => template.sign(member, {} as never, 1n), InvalidArgumentError);
});

test('complete: refuses a signature that is not 96 bytes; each call gives its own dictionary', () => {
  const template = new NetconfTemplate(network);
  const prepared = template.prepare(member, signer.toString(), 77n);
  for (const bad of [new Uint8Array(95), new Uint8Array(97), 'ab'.repeat(96), null]) {
    assert.throws(() => prepared.complete(bad as Uint8Array), InvalidArgumentError);
  }
  const first = prepared.complete(new Uint8Array(96).fill(0x11));
  const firstBytes = first.toBytes();
  const second = prepared.complete(new Uint8Array(96).fill(0xee));
  assert.deepEqual(first.toBytes(), firstBytes, 'a later complete leaves an earlier result alone');
  assert.equal(first.get('~!ed25519'), '11'.repeat(96));
  assert.equal(second.get('~!ed25519'), 'ee'.repeat(96));
  // results are ordinary dictionaries: changing one (or its clone) changes nothing else
  const changed = first.clone().set('n', 'other');
  assert.equal(first.get('n'), network.name);
  assert.equal(changed.get('n'), 'other');
  second.delete('~!ed25519');
  assert.equal(prepared.complete(new Uint8Array(96).fill(0x11)).toString(), first.toString());
});

test('the message may be transferred away (detached) before complete', () => {
  const template = new NetconfTemplate(network);
  const prepared = template.prepare(member, signer.toString(), 5n);
  const signature = signer.sign(prepared.message);
  structuredClone(prepared.message.buffer, { transfer: [prepared.message.buffer] });
  assert.equal(prepared.message.length, 0, 'detached');
  const signed = prepared.complete(signature);
  assert.equal(signed.verify(signerPublic), true);
  assert.deepEqual(signed.toBytes(), template.sign(member, signer, 5n).toBytes());
});

test('member values that need escaping or are not ASCII take the general way with the same bytes', () => {
  const privateNetwork = { ...network, isPrivate: true };
  const template = new NetconfTemplate(privateNetwork);
  // buildNetconfDictionary writes whatever a COM-like object's toString gives; so must the template
  for (const text of ['x=y', 'line\nbreak', 'back\\slash', 'nul\0', 'é', 'a'.repeat(40) + '=', 'é'.repeat(40), '😀'.repeat(20)]) {
    const odd = { ...member, com: { toString: () => text } as unknown as CertificateOfMembership };
    const expected = buildNetconfDictionary({ ...privateNetwork, ...odd } as NetconfFields);
    assert.deepEqual(template.build(odd).toBytes(), expected.toBytes(), JSON.stringify(text));
    assert.equal(template.byteLength(odd), expected.byteLength);
    const prepared = template.prepare(odd, signer.toString(), 9n);
    assert.deepEqual(prepared.message, expected.clone().beginSignature(signer.toString(), 9n));
    const signed = prepared.complete(signer.sign(prepared.message));
    assert.deepEqual(signed.toBytes(), expected.clone().sign(signer, 9n).toBytes());
    assert.equal(prepared.byteLength, signed.byteLength);
  }
  // a signer string that needs escaping, too
  const dict = buildNetconfDictionary({ ...network, ...member } as NetconfFields);
  const prepared = new NetconfTemplate(network).prepare(member, 'odd=signer\n', 3n);
  assert.deepEqual(prepared.message, dict.clone().beginSignature('odd=signer\n', 3n));
  assert.equal(prepared.complete(new Uint8Array(96)).get('~!sigid'), 'odd=signer\n');
});

test('sign: prepare + identity.sign + complete, the bytes of buildNetconfDictionary().sign()', () => {
  const template = new NetconfTemplate(network);
  const signed = template.sign(member, signer, 0x1234n);
  assert.deepEqual(signed.toBytes(), buildNetconfDictionary({ ...network, ...member } as NetconfFields).sign(signer, 0x1234n).toBytes());
  assert.equal(signed.get('~!sigid'), signer.toString());
  const before = Date.now();
  const now = Number.parseInt(template.sign(member, signer).get('~!sigts')!, 16);
  assert.ok(now >= before && now <= Date.now(), 'the signature time defaults to now');
  assert.equal(template.isPrivate, false);
});

test('a COM signed together with its netconf: its hex goes at comSignatureAt, the result is that of a COM signed first', () => {
  const timestamp = 1_800_000_000_321n;
  const template = new NetconfTemplate({ ...referenceNetworkFields, isPrivate: true });
  const unsignedCom = (): CertificateOfMembership =>
    CertificateOfMembership.create({ revision: 9n, revisionMaxDelta: 16n, nwid: referenceNetworkFields.networkId, issuedTo: referenceMemberFields.issuedTo });
  const fields = (com: CertificateOfMembership) => ({ ...referenceMemberFields, staticIps: ['10.1.2.3/8'], com });
  // a signer text that needs escaping takes the general way, which must place the COM's digits too
  for (const signerText of [signer.toString(), 'x=y\n']) {
    const signedFirst = unsignedCom().sign(signer);
    const expected = template.prepare(fields(signedFirst), signerText, timestamp);

    const standIn = unsignedCom().applySignature(signer.address, new Uint8Array(96));
    const prepared = template.prepare(fields(standIn), signerText, timestamp);
    assert.equal(prepared.byteLength, expected.byteLength);
    assert.equal(bytesLatin1(prepared.message.subarray(prepared.comSignatureAt, prepared.comSignatureAt + 192)), '0'.repeat(192));
    const comSignature = signer.sign(standIn.signingMessage());
    prepared.message.set(latin1Bytes(Buffer.from(comSignature).toString('hex')), prepared.comSignatureAt);
    assert.deepEqual(prepared.message, expected.message);

    const signature = signer.sign(prepared.message);
    const netconf = prepared.complete(signature, comSignature);
    assert.deepEqual(netconf.toBytes(), expected.complete(signature).toBytes(), signerText);
    assert.equal(netconf.get('com'), signedFirst.toString());
    assert.equal(CertificateOfMembership.parse(netconf.get('com')!).verify(signerPublic), true);
    if (signerText === signer.toString()) assert.equal(netconf.verify(signerPublic), true);
    assert.throws(() => prepared.complete(signature, new Uint8Array(95)), InvalidArgumentError);
  }
  // without a signed COM there is no place for one
  for (const [tpl, com] of [[template, unsignedCom()], [new NetconfTemplate(network), null]] as const) {
    const prepared = tpl.prepare(com === null ? member : fields(com), signer.toString(), timestamp);
    assert.equal(prepared.comSignatureAt, -1);
    assert.throws(() => prepared.complete(new Uint8Array(96), new Uint8Array(96)), InvalidArgumentError);
  }
});
