import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWith } from './support/store-calls.js';
import { readFileSync } from 'node:fs';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode, type NetconfMasterOptions } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { forEachEngine, SQLJS, type Engine } from './support/engines.js';
import { InvalidArgumentError } from '../src/errors.js';

const reference = JSON.parse(readFileSync(new URL('./vectors/reference.json', import.meta.url), 'utf8'));
const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob, carol] = [ids[1]!.publicOnly(), ids[2]!.publicOnly(), ids[3]!.publicOnly()];
const START = 1_800_000_000_000;

async function setupOn<S extends NetconfStore>(engine: Engine<S>, options: NetconfMasterOptions = {}) {
  const storage = await engine.open();
  let clock = START;
  const master = createNetconfMaster(storage, masterIdentity, {
    now: () => clock,
    random: deterministicRandom('master-request'),
    ...options,
  });
  return { storage, master, tick: (ms = 1000) => (clock += ms) };
}

/** An identity with any key: passes parsing, not the proof of work. */
function fabricatedIdentity(address: string, seed: string): Identity {
  const key = bytesToHex(deterministicRandom(seed)(64));
  return Identity.fromString(`${address}:0:${key}`);
}

function read(netconf: Dictionary | undefined): NetworkConfig {
  assert.ok(netconf, 'netconf expected');
  assert.equal(netconf.verify(masterIdentity), true, 'netconf must verify with the master identity');
  return NetworkConfig.fromDictionary(netconf);
}

test('the master identity must hold its private key', async () => {
  const storage = await openSqlJsStorage();
  assert.throws(() => createNetconfMaster(storage, masterIdentity.publicOnly()), InvalidArgumentError);
  await storage.close();
});

test('netconf contents: ether types, multicast, active bridges, description, and the reference layout', async () => {
  const { storage, master } = await setupOn(SQLJS);
  const nwid = await master.createNetwork({
    name: 'private-net',
    etherTypes: [],
    multicastLimit: 32,
  });
  // The reference vector is a private network at revision 5.
  for (const name of ['a', 'b', 'c', 'private-net']) await master.updateNetwork(nwid, { name });
  await master.authorizeMember(nwid, alice.address);
  await storage.engine.write((w) => w.run(`UPDATE Network SET revision = 5 WHERE id = ?`, [nwid]));
  const ours = (await master.doNetworkConfigRequest({ identity: alice, nwid })).netconf!;
  const theirs = Dictionary.parse(
    Uint8Array.from(reference.referenceMasterNetconf.netconf as string, (c) => c.charCodeAt(0)),
  );
  assert.deepEqual(ours.keys(), theirs.keys());
  for (const key of ['eb', 'et', 'ml', 'n', 'p', 'pb', 'r']) assert.equal(ours.get(key), theirs.get(key), key);

  await master.updateNetwork(nwid, {
    description: 'the lab\nsecond line',
    etherTypes: [0x86dd, 0x0800],
    multicastLimit: 0,
    multicastRates: [
      { mac: 'ff:ff:ff:ff:ff:ff', adi: 0, preload: 100, maxBalance: 1000, accrual: 10 },
      { mac: '000000000000', adi: 0, preload: 1, maxBalance: 2, accrual: 3 },
    ],
    enableBroadcast: false,
    allowPassiveBridging: true,
  });
  await master.authorizeMember(nwid, carol.address);
  await master.setActiveBridge(nwid, carol.address, true);
  await master.deauthorizeMember(nwid, bob.address); // known to the network, not authorized
  await master.setActiveBridge(nwid, bob.address, true); // not authorized: not listed
  const config = read((await master.doNetworkConfigRequest({ identity: alice, nwid })).netconf);
  assert.equal(config.description, 'the lab\nsecond line');
  assert.deepEqual(config.allowedEtherTypes, [0x0800, 0x86dd]);
  assert.equal(config.multicastLimit, 32); // ml absent → the member's default
  assert.deepEqual(config.multicastRates, [
    { mac: '000000000000', adi: 0, preload: 1, maxBalance: 2, accrual: 3 },
    { mac: 'ffffffffffff', adi: 0, preload: 100, maxBalance: 1000, accrual: 10 },
  ]);
  assert.deepEqual(config.activeBridges, [carol.address]);
  assert.equal(config.enableBroadcast, false);
  assert.equal(config.allowPassiveBridging, true);
  await storage.close();
});

test('on sql.js in memory, a fresh netconf for the one request in progress is signed at once, answered before the event loop turns', async () => {
const { storage, master } = await setupOn(SQLJS);
  const nwid = await master.createNetwork({ private: true });
  await master.authorizeMember(nwid, alice.address);
  assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.OK);
  for (let i = 0; i < 3; i++) {
    await master.updateNetwork(nwid, { name: `n${i}` });
    let turned = false;
    setImmediate(() => (turned = true));
    const reply = await master.doNetworkConfigRequest({ identity: alice, nwid });
    assert.equal(reply.code, ResultCode.OK);
    assert.equal(turned, false, `round ${i}: answered within the turn`);
    read(reply.netconf);
  }
  await master.close();
  await storage.close();
});

test('an identity whose proof of work fails is hashed once, then denied at once on every retry', async () => {
  const { memoryHardHash } = await import('../src/crypto/memory-hard-hash.js');
  let hashes = 0;
  const counting = (key: Uint8Array): Uint8Array => {
    hashes++;
    return memoryHardHash(key);
  };
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { memoryHardHash: counting });
  const nwid = await master.createNetwork({ name: 'guarded', private: false });
  const forged = `9e4df28b72:0:${'ac3d46abe0c21f3cfe7a6c8d6a85cfcffcb82fbd55af6a4d6350657c68200843fa2e16f9418bbd9702cae365f2af5fb4c420908b803a681d4daef6114d78a2d7'}`;
  hashes = 0;
  for (let i = 0; i < 3; i++) {
    const reply = await master.doNetworkConfigRequest({ fromAddr: null, identity: forged, nwid });
    assert.equal(reply.code, ResultCode.ACCESS_DENIED);
  }
  assert.equal(hashes, 1);
  assert.equal(await master.getMember(nwid, '9e4df28b72'), null, 'nothing stored');
  await storage.close();
});

forEachEngine((engine) => {
  const setup = (options?: NetconfMasterOptions) => setupOn(engine, options);

  test('private network: a new member is recorded, denied, then admitted after authorization', async () => {
    const { storage, master, tick } = await setup();
    const nwid = await master.createNetwork({ name: 'lab' });
    const denied = await master.doNetworkConfigRequest({ fromAddr: '198.51.100.7/9993', identity: alice, nwid });
    assert.equal(denied.code, ResultCode.ACCESS_DENIED);
    assert.equal(denied.netconf, undefined);

    const pending = await master.getMember(nwid, alice.address);
    assert.ok(pending);
    assert.equal(pending.authorized, false);
    assert.equal(pending.identity, alice.toString());
    assert.equal(pending.firstSeen, START);
    assert.equal(pending.lastAt, '198.51.100.7/9993');

    tick();
    await master.authorizeMember(nwid, alice.address);
    const admitted = await master.doNetworkConfigRequest({ fromAddr: null, identity: alice, nwid });
    assert.equal(admitted.code, ResultCode.OK);
    const config = read(admitted.netconf);
    assert.equal(config.networkIdHex, nwid);
    assert.equal(config.issuedTo, alice.address);
    assert.equal(config.isPrivate, true);
    assert.equal(config.name, 'lab');
    assert.equal(config.revision, 2n);
    assert.equal(config.timestamp, BigInt(START + 1000));
    assert.deepEqual(config.allowedEtherTypes, [0x0800, 0x0806, 0x86dd]);
    assert.ok(config.com);
    assert.equal(config.com.verify(masterIdentity), true);
    assert.equal(config.com.revision, 2n);
    assert.equal(config.com.revisionMaxDelta, 16n);
    assert.equal(config.com.issuedTo, alice.address);
    assert.equal(config.com.networkId, BigInt('0x' + nwid));

    // lastAt is kept from the direct request; lastSeen moves.
    const seen = await master.getMember(nwid, alice.address);
    assert.equal(seen?.lastAt, '198.51.100.7/9993');
    assert.equal(seen?.lastSeen, START + 1000);
    await storage.close();
  });

  test('public network: a new member is admitted at once, without a COM; the stored identity is public only', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ name: 'open', private: false });
    const reply = await master.doNetworkConfigRequest({ identity: ids[1]!, nwid }); // holds a private key
    assert.equal(reply.code, ResultCode.OK);
    const config = read(reply.netconf);
    assert.equal(config.isPrivate, false);
    assert.equal(config.com, null);
    assert.equal(reply.netconf?.has('com'), false);
    const member = await master.getMember(nwid, alice.address);
    assert.equal(member?.authorized, true);
    assert.equal(member?.identity, alice.toString(false));
    assert.ok(!(await readWith(storage, (r) => r.getNode(alice.address)))!.identity.includes(ids[1]!.toString(true).split(':')[3]!));
    await storage.close();
  });

  test('OK_BUT_NOT_NEWER when the member has the current revision; the reported revision is recorded', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false });
    const first = await master.doNetworkConfigRequest({ identity: alice, nwid });
    const revision = read(first.netconf).revision;
    const again = await master.doNetworkConfigRequest({ identity: alice, nwid, haveRevision: revision });
    assert.equal(again.code, ResultCode.OK_BUT_NOT_NEWER);
    assert.equal(again.netconf, undefined);
    assert.equal((await master.getMember(nwid, alice.address))?.clientReportedRevision, revision);
    assert.deepEqual(await master.membersToRefresh(nwid), []);
    // An older revision gets the config.
    await master.updateNetwork(nwid, { name: 'renamed' });
    const behind = await master.doNetworkConfigRequest({ identity: alice, nwid, haveRevision: revision });
    assert.equal(behind.code, ResultCode.OK);
    assert.equal(read(behind.netconf).name, 'renamed');
    await storage.close();
  });

  test('a cached netconf is served byte for byte until the revision changes', async () => {
    const { storage, master, tick } = await setup();
    const nwid = await master.createNetwork({ private: true });
    await master.authorizeMember(nwid, alice.address);
    const first = await master.doNetworkConfigRequest({ identity: alice, nwid });
    tick(5000);
    const second = await master.doNetworkConfigRequest({ identity: alice, nwid });
    assert.equal(second.code, ResultCode.OK);
    assert.deepEqual(second.netconf!.toBytes(), first.netconf!.toBytes());
    tick(5000);
    await master.authorizeMember(nwid, bob.address); // admin calls need a member the network knows
    await master.setActiveBridge(nwid, bob.address, true);
    const third = await master.doNetworkConfigRequest({ identity: alice, nwid });
    assert.notDeepEqual(third.netconf!.toBytes(), first.netconf!.toBytes());
    assert.equal(read(third.netconf).timestamp, BigInt(START + 10000));
    await storage.close();
  });

  test('an impostor (same address, another key) is denied and changes nothing', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false });
    const impostor = fabricatedIdentity(alice.address, 'impostor');
    assert.equal(impostor.address, alice.address);

    // Before the real node was seen: its proof of work fails.
    const early = await master.doNetworkConfigRequest({ identity: impostor, nwid });
    assert.equal(early.code, ResultCode.ACCESS_DENIED);
    assert.equal((await readWith(storage, (r) => r.getNode(alice.address))), undefined);
    assert.deepEqual(await master.listMembers(nwid), []);

    // After: the address belongs to the first identity that claimed it.
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.OK);
    const before = await storage.backup();
    const late = await master.doNetworkConfigRequest({ identity: impostor, nwid, fromAddr: '203.0.113.9/1' });
    assert.equal(late.code, ResultCode.ACCESS_DENIED);
    assert.deepEqual(await storage.backup(), before);
    await storage.close();
  });

  test('with validateIdentities: false the proof of work is skipped but the first identity still owns the address', async () => {
    const { storage, master } = await setup({ validateIdentities: false });
    const nwid = await master.createNetwork({ private: false });
    const fabricated = fabricatedIdentity('0123456789', 'fabricated');
    assert.equal((await master.doNetworkConfigRequest({ identity: fabricated, nwid })).code, ResultCode.OK);
    const other = fabricatedIdentity('0123456789', 'other');
    assert.equal((await master.doNetworkConfigRequest({ identity: other, nwid })).code, ResultCode.ACCESS_DENIED);
    await storage.close();
  });

  test('unknown, foreign and malformed network IDs → OBJECT_NOT_FOUND', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork();
    const unknown = masterIdentity.address + 'ffffff' === nwid ? masterIdentity.address + 'fffffe' : masterIdentity.address + 'ffffff';
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid: unknown })).code, ResultCode.OBJECT_NOT_FOUND);
    // Same low 24 bits, another master's address in the top 40.
    const foreign = alice.address + nwid.slice(10);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid: foreign })).code, ResultCode.OBJECT_NOT_FOUND);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid: BigInt('0x' + foreign) })).code, ResultCode.OBJECT_NOT_FOUND);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid: foreign.toUpperCase() })).code, ResultCode.OBJECT_NOT_FOUND);
    // The letter case of an ID changes nothing: ours in upper case is ours (alice waits for authorization).
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid: nwid.toUpperCase() })).code, ResultCode.ACCESS_DENIED);
    assert.ok(await master.getMember(nwid, alice.address), 'the member is created under the lower-case ID');

    const before = await storage.backup();
    for (const bad of ['xyz', '', '12345', '0x' + nwid, -1n, 1n << 64n, 42 as unknown as string]) {
      const reply = await master.doNetworkConfigRequest({ identity: bob, nwid: bad });
      assert.equal(reply.code, ResultCode.OBJECT_NOT_FOUND, `nwid ${String(bad)}`);
      assert.equal(typeof reply.error, 'string');
    }
    assert.deepEqual(await storage.backup(), before, 'malformed requests write nothing');
    await storage.close();
  });

  test('bad identity, fromAddr, metadata or haveRevision → ACCESS_DENIED and nothing written', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false });
    const before = await storage.backup();
    const bad = [
      { identity: 'not an identity', nwid },
      { identity: alice, nwid, metaData: new Dictionary([['x', 'y'.repeat(70_000)]]) },
      { identity: alice, nwid, metaData: 17 as unknown as Dictionary },
      { identity: alice, nwid, fromAddr: 'x'.repeat(65) },
      { identity: alice, nwid, haveRevision: -1n },
      { identity: alice, nwid, haveRevision: 1.5 },
    ];
    for (const request of bad) {
      const reply = await master.doNetworkConfigRequest(request);
      assert.equal(reply.code, ResultCode.ACCESS_DENIED);
      assert.equal(typeof reply.error, 'string');
    }
    assert.deepEqual(await storage.backup(), before);
    // Ordinary metadata and an identity string are fine.
    const ok = await master.doNetworkConfigRequest({
      identity: alice.toString(),
      nwid,
      metaData: new Dictionary([['majv', '1']]),
      haveRevision: 0,
    });
    assert.equal(ok.code, ResultCode.OK);
    await storage.close();
  });

  test('de-authorization: the removed member\'s COM stops agreeing with later ones; current members agree', async () => {
    const { storage, master, tick } = await setup();
    const nwid = await master.createNetwork({ name: 'com' });
    for (const member of [alice, bob, carol]) await master.authorizeMember(nwid, member.address);
    const aliceOld = read((await master.doNetworkConfigRequest({ identity: alice, nwid })).netconf).com!;
    const bobOld = read((await master.doNetworkConfigRequest({ identity: bob, nwid })).netconf).com!;
    assert.equal(aliceOld.agreesWith(bobOld), true);

    tick();
    const revisionBefore = (await master.getNetwork(nwid))!.revision;
    await master.deauthorizeMember(nwid, alice.address);
    assert.equal((await master.getNetwork(nwid))!.revision, revisionBefore + 17n);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.ACCESS_DENIED);

    const bobNew = read((await master.doNetworkConfigRequest({ identity: bob, nwid })).netconf).com!;
    const carolNew = read((await master.doNetworkConfigRequest({ identity: carol, nwid })).netconf).com!;
    assert.equal(bobNew.agreesWith(carolNew), true);
    assert.equal(carolNew.agreesWith(bobNew), true);
    assert.equal(aliceOld.agreesWith(bobNew), false);
    assert.equal(bobNew.agreesWith(aliceOld), false);
    await storage.close();
  });

  test('a netconf over 65,535 bytes is an internal error and rolls back', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.0.0.0/8'] });
    // Many multicast rates make the config too big (a member holds at most 16 addresses).
    const multicastRates = Array.from({ length: 4000 }, (_, i) => ({ mac: (i + 1).toString(16).padStart(12, '0'), adi: 0, preload: 1, maxBalance: 1, accrual: 1 }));
    await master.updateNetwork(nwid, { multicastRates });
    await master.authorizeMember(nwid, alice.address);
    const reply = await master.doNetworkConfigRequest({ identity: alice, nwid });
    assert.equal(reply.code, ResultCode.INTERNAL_SERVER_ERROR);
    assert.match(reply.error ?? '', /65535|bytes/);
    // Rolled back: the node's lastSeen did not move, the reported revision was not recorded.
    assert.equal((await master.getMember(nwid, alice.address))?.clientReportedRevision, null);
    await storage.close();
  });

  test('the store reads a request\'s node, network and member in one read, each absent on its own', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ name: 'state', private: true });
    const otherNwid = await master.createNetwork({ name: 'other', private: false });
    // alice: node and member on nwid; bob: node only (member of the other network)
    await master.doNetworkConfigRequest({ identity: alice, nwid });
    await master.doNetworkConfigRequest({ identity: bob, nwid: otherNwid });
    await master.authorizeMember(nwid, alice.address);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid, haveRevision: 1n })).code, ResultCode.OK);
    await storage.flush(); // the signed netconf is stored in the next batch
    const revision = (await master.getNetwork(nwid))!.revision;
    const missingNwid = (BigInt('0x' + nwid) + 0x100n).toString(16).padStart(16, '0');
    const state = (id: string, address: string) => readWith(storage, (r) => r.getRequestState(id, address));

    assert.deepEqual(await state(nwid, alice.address), {
      nodeIdentity: alice.toString(false),
      network: { private: true, revision },
      member: { authorized: true, clientReportedRevision: 1n, cachedNetconfRevision: revision },
    });
    const bobOnNwid = await state(nwid, bob.address);
    assert.equal(bobOnNwid.nodeIdentity, bob.toString(false));
    assert.ok(bobOnNwid.network !== undefined);
    assert.equal(bobOnNwid.member, undefined);
    assert.deepEqual(await state(missingNwid, alice.address), { nodeIdentity: alice.toString(false), network: undefined, member: undefined });
    assert.deepEqual(await state(otherNwid, carol.address), {
      nodeIdentity: undefined,
      network: { private: false, revision: (await master.getNetwork(otherNwid))!.revision },
      member: undefined,
    });
    assert.deepEqual(await state(missingNwid, carol.address), { nodeIdentity: undefined, network: undefined, member: undefined });
    await master.close();
  });

  test('an object that only pretends to be an Identity is denied, not a TypeError, and nothing is written', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false });
    const before = await storage.backup();
    // A real Identity cannot be given properties of its own (that would shadow its getters).
    assert.throws(() => Object.assign(Identity.fromString(alice.toString()), { address: bob.address }), TypeError);
    assert.throws(() => Object.defineProperty(alice, 'locallyValidate', { value: () => true }), TypeError);
    const pretenders: unknown[] = [
      Object.create(Identity.prototype),
      Object.create(Identity.prototype, {
        address: { value: alice.address },
        addressValue: { value: alice.addressValue },
        toString: { value: () => alice.toString() },
      }),
      new Proxy(alice, {}),
      { address: alice.address, addressValue: alice.addressValue, toString: () => alice.toString() },
      42,
    ];
    for (const identity of pretenders) {
      const reply = await master.doNetworkConfigRequest({ identity: identity as Identity, nwid });
      assert.equal(reply.code, ResultCode.ACCESS_DENIED);
      assert.match(reply.error!, /bad identity/);
    }
    assert.deepEqual(await storage.backup(), before);
    await storage.close();
  });

  test('a uint64 haveRevision of any 64 bits is recorded exactly, the member created', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false });
    for (const [i, haveRevision] of [0n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n].entries()) {
      const identity = ids[i + 1]!.publicOnly();
      const reply = await master.doNetworkConfigRequest({ identity, nwid, haveRevision });
      assert.equal(reply.code, ResultCode.OK, reply.error);
      read(reply.netconf);
      const member = await master.getMember(nwid, identity.address);
      assert.ok(member, 'the member is created');
      assert.equal(member.clientReportedRevision, haveRevision);
    }
    // A member that reports a revision beyond the network's is not "behind" it.
    assert.deepEqual(await master.membersToRefresh(nwid), [ids[1]!.address]);
    await storage.close();
  });
});
