import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { NetworkConfig, buildNetconfDictionary, type NetconfFields } from '../src/protocol/network-config.js';
import { InvalidArgumentError, ParseError } from '../src/errors.js';

const signer = Identity.fromString(TEST_IDENTITIES[1]!);
const signerPublic = Identity.fromString(signer.toString());

const base: NetconfFields = {
  networkId: '8056c2e21c000001',
  timestamp: 1_800_000_000_000,
  revision: 7n,
  issuedTo: '1cf1e07ca5',
  isPrivate: false,
  name: 'lab',
  enableBroadcast: true,
  allowPassiveBridging: false,
  allowedEtherTypes: [0x0800, 0x0806],
  multicastLimit: 32,
  staticIps: ['10.1.2.3/16', 'fd00::1/64'],
};

const extended: NetconfFields = {
  ...base,
  mtu: 1500,
  routes: [{ target: '10.1.0.0/16' }, { target: '0.0.0.0/0', via: '10.1.0.1' }, { target: 'fd00::/64', via: null }],
  dns: { domain: 'lab.example', servers: ['10.1.0.53', 'fd00::53'] },
};

test('without MTU, routes or DNS set the netconf has no extension key: the 2015 bytes exactly', () => {
  const plain = buildNetconfDictionary(base);
  const defaults = buildNetconfDictionary({ ...base, mtu: 2800, routes: [], dns: { domain: '', servers: [] } });
  assert.deepEqual(defaults.toBytes(), plain.toBytes());
  assert.equal(plain.has('mtu') || plain.has('rt') || plain.has('dns'), false);
  const read = NetworkConfig.fromDictionary(plain);
  assert.equal(read.mtu, 2800);
  assert.deepEqual(read.routes, []);
  assert.deepEqual(read.dns, { domain: '', servers: [] });
});

test('the extension keys carry MTU, routes and DNS in the documented forms and are read back', () => {
  const dict = buildNetconfDictionary(extended);
  assert.equal(dict.get('mtu'), '5dc');
  assert.equal(
    dict.get('rt'),
    '10.1.0.0/16,0.0.0.0/0;10.1.0.1,fd00:0000:0000:0000:0000:0000:0000:0000/64',
  );
  assert.equal(dict.get('dns'), 'd=lab.example\ns=10.1.0.53,fd00:0000:0000:0000:0000:0000:0000:0053\n');
  const read = NetworkConfig.fromDictionary(dict);
  assert.equal(read.mtu, 1500);
  assert.deepEqual(read.routes, [
    { target: '10.1.0.0/16', via: null },
    { target: '0.0.0.0/0', via: '10.1.0.1' },
    { target: 'fd00:0000:0000:0000:0000:0000:0000:0000/64', via: null },
  ]);
  assert.deepEqual(read.dns, { domain: 'lab.example', servers: ['10.1.0.53', 'fd00:0000:0000:0000:0000:0000:0000:0053'] });
  // NetworkConfig satisfies NetconfFields: what is read builds the same dictionary again.
  assert.deepEqual(buildNetconfDictionary(read).toBytes(), dict.toBytes());
});

test('a 2015 node reads a signed netconf with extension keys as it reads one without: same entries, signature verifies', () => {
  const plain = buildNetconfDictionary(base);
  const signed = buildNetconfDictionary(extended);
  signed.sign(signer, 1_800_000_000_500);
  const bytes = signed.toBytes();
  // The 2015 parser ends an entry at a raw CR or LF: the embedded DNS dictionary is escaped, so
  // there is exactly one raw LF per entry and no raw CR.
  assert.equal(bytes.filter((byte) => byte === 0x0a).length, signed.entries().length);
  assert.equal(bytes.includes(0x0d), false);
  const keys = signed.entries().map(([key]) => key);
  assert.deepEqual(keys, [...keys].sort(), 'keys in byte order');
  const reparsed = Dictionary.parse(bytes);
  assert.ok(reparsed.verify(signerPublic), 'the signature covers the extension keys and verifies');
  for (const [key, value] of plain.entries()) assert.equal(reparsed.get(key), value, `2015 key ${key} unchanged`);
});

test('routes and DNS do not count toward the 16 addresses; 17 addresses are still refused', () => {
  const sixteen = Array.from({ length: 16 }, (_, i) => `10.1.0.${i + 1}/16`);
  const dict = buildNetconfDictionary({ ...extended, staticIps: sixteen });
  assert.equal(NetworkConfig.fromDictionary(dict).staticIps.length, 16);
  assert.throws(() => NetworkConfig.fromDictionary(buildNetconfDictionary({ ...extended, staticIps: [...sixteen, '10.1.0.99/16'] })), ParseError);
});

test('bad extension values are refused when building and when reading, naming the key', () => {
  assert.throws(() => buildNetconfDictionary({ ...base, mtu: 1000 }), InvalidArgumentError);
  assert.throws(() => buildNetconfDictionary({ ...base, mtu: 1500.5 }), InvalidArgumentError);
  assert.throws(() => buildNetconfDictionary({ ...base, routes: [{ target: '10.0.0.0/8', via: 'fd00::1' }] }), InvalidArgumentError);
  assert.throws(() => buildNetconfDictionary({ ...base, routes: [{ target: 'ten' }] }), InvalidArgumentError);
  assert.throws(() => buildNetconfDictionary({ ...base, dns: { domain: '', servers: ['nope'] } }), InvalidArgumentError);
  const withKey = (key: string, value: string) => {
    const dict = buildNetconfDictionary(base);
    dict.set(key, value);
    return dict;
  };
  assert.throws(() => NetworkConfig.fromDictionary(withKey('mtu', 'zz')), /"mtu"/);
  assert.throws(() => NetworkConfig.fromDictionary(withKey('mtu', '10')), /"mtu"/);
  assert.throws(() => NetworkConfig.fromDictionary(withKey('rt', '10.0.0.0/8;fd00::1')), /"rt"/);
  assert.throws(() => NetworkConfig.fromDictionary(withKey('rt', '10.0.0.0')), /"rt"/);
  assert.throws(() => NetworkConfig.fromDictionary(withKey('dns', 's=ten\n')), /"dns"/);
});
