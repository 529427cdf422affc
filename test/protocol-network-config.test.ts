import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceMemberFields, referenceNetworkFields } from './fixtures/reference-netconf.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Identity } from '../src/crypto/identity.js';
import { CertificateOfMembership } from '../src/protocol/certificate.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import {
  MAX_NETCONF_NAME_BYTES, MAX_ZT_ASSIGNED_ADDRESSES, NetworkConfig, buildNetconfDictionary, type NetconfFields,
} from '../src/protocol/network-config.js';
import { NetconfTemplate } from '../src/protocol/netconf-template.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { requireAssignableCidr, requireAssignedAddressCount } from '../src/protocol/assigned-addresses.js';
import { parseCidr } from '../src/protocol/ip.js';
import { InvalidArgumentError, LimitExceededError, ParseError } from '../src/errors.js';

const reference = JSON.parse(readFileSync(new URL('./vectors/reference.json', import.meta.url), 'utf8'));
const latin1Bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const bytesLatin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const master = reference.referenceMasterNetconf;

/** The lines the reference's reading oracle prints for a netconf. */
function oracleLines(dict: Dictionary, signer: Identity): string[] {
  const config = NetworkConfig.fromDictionary(dict);
  const com = config.com;
  const lines = [
    dict.verify(signer) ? 'signature ok' : 'signature bad',
    `nwid: ${config.networkIdHex}`,
    `timestamp: ${config.timestamp}`,
    `revision: ${config.revision}`,
    `issuedTo: ${config.issuedTo}`,
    `private: ${config.isPrivate}`,
    `name: ${config.name}`,
    `description: ${config.description}`,
    `enableBroadcast: ${config.enableBroadcast}`,
    `allowPassiveBridging: ${config.allowPassiveBridging}`,
    `multicastLimit: ${config.multicastLimit}`,
    `allowedEtherTypes: ${config.allowedEtherTypes.join(',')}`,
    `staticIps: ${config.staticIps.join(',')}`,
    `activeBridges: ${config.activeBridges.join(',')}`,
    `multicastRates: ${config.multicastRates.map((r) => `${r.mac}/${r.adi}`).join(',')}`,
    `com present: ${com ? 'yes' : 'no'}`,
  ];
  if (com) {
    lines.push(
      `com verify: ${com.verify(signer) ? 'ok' : 'bad'}`,
      `com hasRequiredFields: ${com.hasRequiredFields}`,
      `com revision: ${com.revision}`,
      `com revisionMaxDelta: ${com.revisionMaxDelta}`,
      `com networkId: ${com.networkId.toString(16).padStart(16, '0')}`,
      `com issuedTo: ${com.issuedTo}`,
      `com signedBy: ${com.signedBy}`,
    );
  }
  return lines;
}

test('referenceMasterNetconf: verifies, reads as the oracle, re-serializes byte for byte', () => {
  const dict = Dictionary.parse(latin1Bytes(master.netconf));
  const signer = Identity.fromString(master.signer);
  assert.equal(dict.verify(signer), true);
  assert.deepEqual(oracleLines(dict, signer), master.oracleReading);
  assert.equal(bytesLatin1(dict.toBytes()), master.netconf);
  const config = NetworkConfig.fromDictionary(dict);
  assert.deepEqual(config.allowedEtherTypes, []);
  assert.equal(config.allowsAllEtherTypes, false);
  assert.equal(config.permitsEtherType(0x0800), false);
  assert.equal(config.networkId, 0x504eb3a903000002n);
});

test('referenceMasterNetconf: the builder fed the same fields gives the unsigned content exactly', () => {
  const signed = Dictionary.parse(latin1Bytes(master.netconf));
  const com = signed.get('com')!;
  const built = buildNetconfDictionary({
    ...referenceNetworkFields,
    ...referenceMemberFields,
    staticIps: [...referenceMemberFields.staticIps],
    com: CertificateOfMembership.parse(com),
  });

  const unsigned = signed.clone().removeSignature();
  assert.equal(bytesLatin1(built.toBytes()), bytesLatin1(unsigned.toBytes()));
  // the reading fed back to the builder gives the same again
  assert.ok(buildNetconfDictionary(NetworkConfig.fromDictionary(signed)).equals(unsigned));
});

const fullFields: NetconfFields = {
  networkId: 0x3f5bca409b00000an,
  timestamp: 1_700_000_000_123,
  revision: 42n,
  issuedTo: 0xb8466363f4n,
  isPrivate: false,
  name: 'lab = "net"\nline two',
  description: 'a\\b',
  enableBroadcast: false,
  allowPassiveBridging: true,
  allowedEtherTypes: [0x86dd, 0x0800, 0x0806, 0x0800],
  multicastLimit: 100,
  multicastRates: [
    { mac: 'FFFFFFFFFFFF', adi: 0x0a000001, preload: 1, maxBalance: 0x100, accrual: 32 },
    { mac: '000000000000', adi: 0, preload: 0, maxBalance: 0x7fff, accrual: 0xffffffff },
  ],
  activeBridges: ['b8466363f4', 0x3f5bca409bn, 'b8466363f4'],
  staticIps: ['10.1.2.3/8', 'fd00::1/88', '2001:db8:0:0:0:0:0:ff/64', '192.168.1.200/24'],
  com: null,
};

test('the builder writes the exact §6 formats', () => {
  const dict = buildNetconfDictionary(fullFields);
  assert.deepEqual(dict.toObject(), {
    ab: '3f5bca409b,b8466363f4',
    d: 'a\\b',
    eb: '0',
    et: '0800,0806,86dd',
    id: 'b8466363f4',
    ml: '64',
    mr: '000000000000/0000=0,7fff,ffffffff\nffffffffffff/a000001=1,100,20\n',
    n: 'lab = "net"\nline two',
    nwid: '3f5bca409b00000a',
    p: '0',
    pb: '1',
    r: '000000000000002a',
    ts: '0000018bcfe5687b',
    v4s: '10.1.2.3/8,192.168.1.200/24',
    v6s: 'fd00:0000:0000:0000:0000:0000:0000:0001/88,2001:0db8:0000:0000:0000:0000:0000:00ff/64',
  });
  assert.ok(bytesLatin1(dict.toBytes()).includes('mr=000000000000/0000\\=0,7fff,ffffffff\\nffffffffffff/a000001\\=1,100,20\\n\n'));
});

test('builder → reader gives the fields back, in normalized form', () => {
  const config = NetworkConfig.fromDictionary(buildNetconfDictionary(fullFields));
  assert.equal(config.networkId, 0x3f5bca409b00000an);
  assert.equal(config.timestamp, 1_700_000_000_123n);
  assert.equal(config.revision, 42n);
  assert.equal(config.issuedTo, 'b8466363f4');
  assert.equal(config.isPrivate, false);
  assert.equal(config.name, fullFields.name);
  assert.equal(config.description, 'a\\b');
  assert.equal(config.enableBroadcast, false);
  assert.equal(config.allowPassiveBridging, true);
  assert.deepEqual(config.allowedEtherTypes, [0x0800, 0x0806, 0x86dd]);
  assert.equal(config.permitsEtherType(0x0806), true);
  assert.equal(config.permitsEtherType(0x88cc), false);
  assert.equal(config.multicastLimit, 100);
  assert.deepEqual(config.multicastRates, [
    { mac: '000000000000', adi: 0, preload: 0, maxBalance: 0x7fff, accrual: 0xffffffff },
    { mac: 'ffffffffffff', adi: 0x0a000001, preload: 1, maxBalance: 0x100, accrual: 32 },
  ]);
  assert.deepEqual(config.activeBridges, ['3f5bca409b', 'b8466363f4']);
  assert.deepEqual(config.staticIps, [
    '10.1.2.3/8',
    '192.168.1.200/24',
    'fd00:0000:0000:0000:0000:0000:0000:0001/88',
    '2001:0db8:0000:0000:0000:0000:0000:00ff/64',
  ]);
  assert.equal(config.com, null);
});

test('et: 0 means all types; empty means none; ml 0 is not written', () => {
  const all = buildNetconfDictionary({ ...fullFields, allowedEtherTypes: [0x0800, 0], multicastLimit: 0 });
  assert.equal(all.get('et'), '0');
  assert.equal(all.has('ml'), false);
  const config = NetworkConfig.fromDictionary(all);
  assert.equal(config.allowsAllEtherTypes, true);
  assert.deepEqual(config.allowedEtherTypes, [0]);
  assert.equal(config.permitsEtherType(0x1234), true);
  assert.equal(config.multicastLimit, 32, 'absent ml reads as the default 32');
  const none = buildNetconfDictionary({ ...fullFields, allowedEtherTypes: [], multicastRates: [], activeBridges: [], staticIps: [], description: '' });
  assert.equal(none.get('et'), '');
  for (const key of ['mr', 'ab', 'v4s', 'v6s', 'd', 'com']) assert.equal(none.has(key), false, key);
});

test('the reader applies the defaults: r = 1, p = private, eb = on, pb = off', () => {
  const dict = new Dictionary({ nwid: '1', ts: '0', et: '800', id: '1', n: '' });
  const config = NetworkConfig.fromDictionary(dict);
  assert.equal(config.networkId, 1n);
  assert.equal(config.revision, 1n);
  assert.equal(config.issuedTo, '0000000001');
  assert.equal(config.isPrivate, true);
  assert.equal(config.enableBroadcast, true);
  assert.equal(config.allowPassiveBridging, false);
  assert.deepEqual(config.allowedEtherTypes, [0x0800]);
  assert.equal(config.name, '');
  assert.equal(config.description, '');
});

test('the reader rejects what a node must reject, naming the key', () => {
  const good = buildNetconfDictionary(fullFields);
  for (const key of ['nwid', 'ts', 'et', 'id', 'n']) {
    const dict = good.clone();
    dict.delete(key);
    assert.throws(() => NetworkConfig.fromDictionary(dict), (e: unknown) => e instanceof ParseError && e.message.includes(`"${key}"`), key);
  }
  const malformed: Array<[string, string]> = [
    ['nwid', '0000000000000000'],
    ['nwid', 'xyz'],
    ['nwid', '1' + '0'.repeat(16)],
    ['ts', ''],
    ['ts', '-1'],
    ['r', 'g'],
    ['id', '12345678901'],
    ['p', '2'],
    ['eb', 'yes'],
    ['pb', ''],
    ['et', '0800,,0806'],
    ['et', '10000'],
    ['ml', 'zz'],
    ['mr', 'nonsense=1,2,3\n'],
    ['mr', '000000000000/0=1,2\n'],
    ['ab', 'b8466363f4,'],
    ['v4s', '10.0.0.1'],
    ['v4s', '10.0.0.256/8'],
    ['v4s', 'fd00::1/88'],
    ['v6s', '10.0.0.1/8'],
    ['v6s', 'fd00::1::2/88'],
    ['com', '1:zz:0000000000'],
  ];
  for (const [key, value] of malformed) {
    const dict = good.clone().set(key, value);
    assert.throws(() => NetworkConfig.fromDictionary(dict), (e: unknown) => e instanceof ParseError && e.message.includes(`"${key}"`), `${key}=${value}`);
  }
  assert.throws(() => NetworkConfig.fromDictionary('nwid=1' as unknown as Dictionary), ParseError);
});

test('the builder rejects bad fields with InvalidArgumentError', () => {
  const com = CertificateOfMembership.create({ revision: 1n, revisionMaxDelta: 16n, nwid: 1n, issuedTo: 1n });
  const bad: Array<Partial<Record<keyof NetconfFields, unknown>>> = [
    { isPrivate: true },
    { com },
    { com: 'garbage' },
    { networkId: 'nope' },
    { timestamp: -1 as unknown },
    { timestamp: 1.5 },
    { revision: 1 },
    { issuedTo: 'b8466363' },
    { allowedEtherTypes: [0x10000] },
    { allowedEtherTypes: [-1] },
    { multicastLimit: -1 },
    { multicastRates: [{ mac: 'ff', adi: 0, preload: 0, maxBalance: 0, accrual: 0 }] },
    { multicastRates: [{ mac: '000000000000', adi: 0, preload: 0, maxBalance: 0, accrual: 2 ** 32 }] },
    {
      multicastRates: [
        { mac: '000000000000', adi: 0, preload: 0, maxBalance: 0, accrual: 0 },
        { mac: '000000000000', adi: 0, preload: 1, maxBalance: 0, accrual: 0 },
      ],
    },
    { activeBridges: ['xyz'] },
    { staticIps: ['10.0.0.1'] },
    { staticIps: ['fd00::1/129'] },
    { name: 5 },
    { enableBroadcast: 'yes' },
  ];
  for (const patch of bad) {
    assert.throws(() => buildNetconfDictionary({ ...fullFields, ...patch } as NetconfFields), InvalidArgumentError, JSON.stringify(Object.keys(patch)));
  }
  const privateOk = buildNetconfDictionary({ ...fullFields, isPrivate: true, com: com.toString() });
  assert.equal(privateOk.get('com'), com.toString());
  assert.equal(NetworkConfig.fromDictionary(privateOk).com?.networkId, 1n);
});

const fieldsArbitrary: fc.Arbitrary<NetconfFields> = fc.record({
  networkId: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  timestamp: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  revision: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  issuedTo: fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }),
  isPrivate: fc.constant(false),
  name: fc.string({ unit: 'grapheme', maxLength: 20 }),
  description: fc.string({ maxLength: 20 }),
  enableBroadcast: fc.boolean(),
  allowPassiveBridging: fc.boolean(),
  allowedEtherTypes: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 5 }),
  multicastLimit: fc.integer({ min: 1, max: 0xffffffff }),
  multicastRates: fc.uniqueArray(
    fc.record({
      mac: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).map((m) => m.toString(16).padStart(12, '0')),
      adi: fc.integer({ min: 0, max: 0xffffffff }),
      preload: fc.integer({ min: 0, max: 0xffffffff }),
      maxBalance: fc.integer({ min: 0, max: 0xffffffff }),
      accrual: fc.integer({ min: 0, max: 0xffffffff }),
    }),
    { selector: (r) => `${r.mac}/${r.adi}`, maxLength: 3 },
  ),
  activeBridges: fc.array(fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }), { maxLength: 3 }),
  staticIps: fc.array(
    fc.oneof(
      fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 32 })).map(([ip, bits]) => `${ip}/${bits}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 128 })).map(([ip, bits]) => `${ip}/${bits}`),
    ),
    { maxLength: 3 },
  ),
});

test('property: build → read → build is stable byte for byte', () => {
  fc.assert(
    fc.property(fieldsArbitrary, (fields) => {
      const dict = buildNetconfDictionary(fields);
      const config = NetworkConfig.fromDictionary(Dictionary.parse(dict.toBytes()));
      assert.equal(config.networkId, fields.networkId);
      assert.equal(config.revision, fields.revision);
      assert.equal(config.name, fields.name);
      assert.equal(config.staticIps.length, fields.staticIps!.length);
      assert.ok(buildNetconfDictionary(config).equals(dict));
    }),
    { numRuns: 150 },
  );
});

test('property: arbitrary dictionaries read as a NetworkConfig or a ParseError, nothing else', () => {
  const keys = fc.constantFrom('nwid', 'ts', 'r', 'id', 'p', 'n', 'd', 'eb', 'pb', 'et', 'ml', 'mr', 'ab', 'v4s', 'v6s', 'com');
  const values = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.stringMatching(/^[0-9a-f,./:=\n]{0,24}$/),
    fc.constantFrom('1', '0', '0800', '', '1:', 'ffffffffffffffff'),
  );
  fc.assert(
    fc.property(fc.dictionary(keys, values), (record) => {
      const dict = new Dictionary(Object.entries(record));
      try {
        NetworkConfig.fromDictionary(dict);
      } catch (error) {
        assert.ok(error instanceof ParseError, String(error));
      }
    }),
    { numRuns: 400 },
  );
});

/** `count` distinct addresses as the builder takes them: IPv4 first, then IPv6, the last an rfc4193 one. */
function assignedAddresses(count: number): string[] {
  const ips = Array.from({ length: count - 1 }, (_, i) => (i % 2 === 0 ? `10.0.${i}.1/16` : `fd00::${i.toString(16)}/64`));
  return [...ips, 'fd3f:5bca:409b:0000:0a99:93b8:4663:63f4/88'];
}

test('a netconf assigns at most 16 addresses in v4s and v6s together, an rfc4193 one included', () => {
  assert.equal(MAX_ZT_ASSIGNED_ADDRESSES, 16);
  const sixteen = buildNetconfDictionary({ ...fullFields, staticIps: assignedAddresses(16) });
  assert.equal(NetworkConfig.fromDictionary(sixteen).staticIps.length, 16);

  // the reader refuses a seventeenth, whichever list holds it
  for (const [key, extra] of [['v4s', '10.9.9.9/8'], ['v6s', 'fd00:0000:0000:0000:0000:0000:0000:0099/64']] as const) {
    const dict = sixteen.clone().set(key, `${sixteen.get(key)},${extra}`);
    assert.throws(
      () => NetworkConfig.fromDictionary(dict),
      (e: unknown) => e instanceof ParseError && /17 addresses/.test(e.message) && e.message.includes('"v4s"'),
      key,
    );
  }
  // the check the master's administration applies before it assigns
  assert.doesNotThrow(() => requireAssignedAddressCount(16));
  assert.throws(() => requireAssignedAddressCount(17), LimitExceededError);
});

test('a /0 assignment is refused by the reader, the builder and the assignment check', () => {
  const good = buildNetconfDictionary(fullFields);
  for (const [key, value] of [['v4s', '10.1.2.3/0'], ['v4s', '10.1.2.3/8,0.0.0.0/0'], ['v6s', 'fd00:0000:0000:0000:0000:0000:0000:0001/0']] as const) {
    const dict = good.clone().set(key, value);
    assert.throws(() => NetworkConfig.fromDictionary(dict), (e: unknown) => e instanceof ParseError && e.message.includes(`"${key}"`), value);
  }
  for (const ip of ['10.1.2.3/0', '0.0.0.0/0', '::/0', 'fd00:0000:0000:0000:0000:0000:0000:0001/0']) {
    assert.throws(() => buildNetconfDictionary({ ...fullFields, staticIps: [ip] }), InvalidArgumentError, ip);
    assert.throws(() => requireAssignableCidr(parseCidr(ip)), InvalidArgumentError, ip);
  }
  assert.deepEqual(requireAssignableCidr(parseCidr('10.1.2.3/1')), { family: 4, address: 0x0a010203n, bits: 1 });
  assert.equal(buildNetconfDictionary({ ...fullFields, staticIps: ['10.1.2.3/1', '::1/1'] }).get('v4s'), '10.1.2.3/1');
});

test('a network name over 255 bytes is refused by the reader and never written', () => {
  const good = buildNetconfDictionary(fullFields);
  const longest = 'é'.repeat(127) + 'x'; // 255 bytes, 128 characters
  assert.equal(NetworkConfig.fromDictionary(good.clone().set('n', longest)).name, longest);
  assert.equal(buildNetconfDictionary({ ...fullFields, name: longest }).get('n'), longest);
  for (const name of ['é'.repeat(128), 'x'.repeat(256)]) {
    assert.throws(
      () => NetworkConfig.fromDictionary(good.clone().set('n', name)),
      (e: unknown) => e instanceof ParseError && e.message.includes('"n"') && e.message.includes('256 bytes'),
    );
    assert.throws(() => buildNetconfDictionary({ ...fullFields, name }), InvalidArgumentError);
  }
  assert.equal(MAX_NETCONF_NAME_BYTES, 255);
});

test('a signed netconf with its multicast rates or description moved into a key does not verify', () => {
  const signer = Identity.fromString(TEST_IDENTITIES[1]!);
  const verifier = Identity.fromString(signer.toString());
  const signed = new NetconfTemplate({ ...fullFields, description: 'rules: a=b' }).sign(fullFields, signer, 0x1234n);
  assert.equal(signed.verify(verifier), true);
  for (const key of ['mr', 'd']) {
    const value = signed.getBytes(key)!;
    const at = value.indexOf(0x3d);
    const forged = signed.clone();
    forged.delete(key);
    forged.set(Uint8Array.from([...new TextEncoder().encode(key), 0x3d, ...value.subarray(0, at)]), value.subarray(at + 1));
    // what a member would read: the network's default rate or description gone
    const read = NetworkConfig.fromDictionary(forged);
    if (key === 'mr') assert.deepEqual(read.multicastRates, []);
    else assert.equal(read.description, '');
    assert.equal(forged.verify(verifier), false, key);
    assert.equal(Dictionary.parse(forged.toBytes()).verify(verifier), false, key);
  }
});
