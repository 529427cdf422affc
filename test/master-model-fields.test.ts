import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode, type NetworkChangeEvent } from '../src/master/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { forEachEngine, type Engine } from './support/engines.js';
import { ConflictError, InvalidArgumentError, LimitExceededError, NotFoundError } from '../src/errors.js';

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob] = [ids[1]!.publicOnly(), ids[2]!.publicOnly()];
const START = 1_800_000_000_000;

async function setupOn<S extends NetconfStore>(engine: Engine<S>) {
  const storage = await engine.open();
  const master = createNetconfMaster(storage, masterIdentity, { now: () => START, random: deterministicRandom('model-fields') });
  const events: NetworkChangeEvent[] = [];
  master.subscribe((event) => events.push(event));
  return { storage, master, events };
}

async function configOf(master: Awaited<ReturnType<typeof setupOn>>['master'], nwid: string, identity: Identity, metaData?: Dictionary) {
  const reply = await master.doNetworkConfigRequest({ identity, nwid, metaData });
  assert.equal(reply.code, ResultCode.OK, reply.error);
  return NetworkConfig.fromDictionary(reply.netconf!);
}

forEachEngine((engine) => {
  const setup = () => setupOn(engine);

  test('MTU, routes and DNS are read back by getNetwork and reach members under the extension keys', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({
      private: false,
      mtu: 1400,
      routes: [{ target: '10.7.0.0/16' }, { target: '0.0.0.0/0', via: '10.7.0.1' }],
      dns: { domain: 'lab.example', servers: ['10.7.0.53'] },
    });
    const network = (await master.getNetwork(nwid))!;
    assert.equal(network.mtu, 1400);
    assert.deepEqual(network.routes, [{ target: '10.7.0.0/16', via: null }, { target: '0.0.0.0/0', via: '10.7.0.1' }]);
    assert.deepEqual(network.dns, { domain: 'lab.example', servers: ['10.7.0.53'] });
    const config = await configOf(master, nwid, alice);
    assert.equal(config.mtu, 1400);
    assert.deepEqual(config.routes, [{ target: '10.7.0.0/16', via: null }, { target: '0.0.0.0/0', via: '10.7.0.1' }]);
    assert.deepEqual(config.dns, { domain: 'lab.example', servers: ['10.7.0.53'] });

    // Each is a setting members receive: changing it raises the revision; setting it again raises nothing.
    for (const patch of [{ mtu: 1500 }, { routes: [] }, { dns: { domain: '', servers: [] } }]) {
      const before = (await master.getNetwork(nwid))!.revision;
      await master.updateNetwork(nwid, patch);
      assert.equal((await master.getNetwork(nwid))!.revision, before + 1n, JSON.stringify(patch));
      await master.updateNetwork(nwid, patch);
      assert.equal((await master.getNetwork(nwid))!.revision, before + 1n, `${JSON.stringify(patch)} again`);
    }
    for (const bad of [{ mtu: 1279 }, { mtu: 10001 }, { routes: [{ target: '10.0.0.1' }] }, { routes: [{ target: '10.0.0.0/8', via: 'fd00::1' }] },
      { dns: { domain: 'a b', servers: [] } }, { dns: { servers: ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4', '9.9.9.9'] } }]) {
      await assert.rejects(master.updateNetwork(nwid, bad as never), InvalidArgumentError, JSON.stringify(bad));
    }
    await storage.close();
  });

  test('an assigned address gets the prefix of the smallest managed route holding it, else its CIDR pool\'s, else /32', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.9.0.0/24'] });
    assert.deepEqual((await configOf(master, nwid, alice)).staticIps.map((ip) => ip.split('/')[1]), ['24'], 'the CIDR pool\'s');
    await master.updateNetwork(nwid, { routes: [{ target: '10.0.0.0/8' }, { target: '10.9.0.0/20' }, { target: '10.9.0.0/16' }] });
    const [address] = (await configOf(master, nwid, alice)).staticIps;
    assert.match(address!, /^10\.9\.0\.\d+\/20$/, 'the smallest route containing it');
    assert.deepEqual((await master.getMember(nwid, alice.address))!.ipAssignments, [address], 'the library record says the same');

    const ranged = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['192.168.50.10-192.168.50.20'] });
    const [fromRange] = (await configOf(master, ranged, alice)).staticIps;
    assert.match(fromRange!, /^192\.168\.50\.(1\d|20)\/32$/, 'a range pool gives the full width');
    await storage.close();
  });

  test('range pools: addresses stay inside the range and every one of them is given before the pool is full', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.5.0.250-10.5.1.2'] });
    const network = (await master.getNetwork(nwid))!;
    assert.deepEqual(network.ipPools, ['10.5.0.250-10.5.1.2']);
    assert.deepEqual(network.ipAssignmentPools, [{ ipRangeStart: '10.5.0.250', ipRangeEnd: '10.5.1.2' }]);
    const given = new Set<string>();
    for (const identity of ids.slice(1, 6)) {
      const [ip] = (await configOf(master, nwid, identity.publicOnly())).staticIps;
      given.add(ip!.split('/')[0]!);
    }
    assert.equal(given.size, 5, 'five members, five addresses');
    for (const ip of given) {
      const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
      const value = ((a * 256 + b) * 256 + c) * 256 + d;
      assert.ok(value >= (((10 * 256 + 5) * 256 + 0) * 256 + 250) && value <= (((10 * 256 + 5) * 256 + 1) * 256 + 2), ip);
    }
    // A range of two: both are given, then the pool is full.
    const small = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.4.0.7-10.4.0.8'] });
    const got = [];
    for (const identity of ids.slice(1, 4)) {
      const reply = await master.doNetworkConfigRequest({ identity: identity.publicOnly(), nwid: small });
      got.push(NetworkConfig.fromDictionary(reply.netconf!).staticIps[0]);
    }
    assert.deepEqual(got.slice(0, 2).sort(), ['10.4.0.7/32', '10.4.0.8/32']);
    assert.equal(got[2], undefined);
    await assert.rejects(master.updateNetwork(nwid, { ipPools: ['10.5.1.2-10.5.0.250'] }), InvalidArgumentError);
    await assert.rejects(master.updateNetwork(nwid, { ipPools: ['10.5.0.1-fd00::1'] }), InvalidArgumentError);
    await storage.close();
  });

  test('noAutoAssignIps: the member gets no address from pools, keeps those given by hand, and the change reaches it', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.6.0.0/24'] });
    await master.updateMember(nwid, alice.address, { authorized: true, noAutoAssignIps: true });
    assert.equal((await master.getMember(nwid, alice.address))!.noAutoAssignIps, true);
    const reply = await master.doNetworkConfigRequest({ identity: alice, nwid });
    assert.equal(reply.code, ResultCode.OK);
    assert.deepEqual(NetworkConfig.fromDictionary(reply.netconf!).staticIps, []);
    assert.equal(reply.warnings, undefined, 'no shortage is reported for a member that asked for none');
    await master.setIpAssignments(nwid, alice.address, ['10.6.0.77/24']);
    assert.deepEqual((await configOf(master, nwid, alice)).staticIps, ['10.6.0.77/24']);

    const before = (await master.getNetwork(nwid))!.revision;
    await master.updateMember(nwid, bob.address, { authorized: true });
    await master.updateMember(nwid, bob.address, { noAutoAssignIps: true });
    assert.equal((await master.getNetwork(nwid))!.revision, before + 1n, 'noAutoAssignIps raises the revision: the member\'s config changes');
    await storage.close();
  });

  test('IPv6 zt and rfc4193 together: a pool address and the computed one', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false, v6AssignMode: 'zt+rfc4193', ipPools: ['fd00:9::/64'] });
    const ips = (await configOf(master, nwid, alice)).staticIps;
    assert.equal(ips.length, 2);
    assert.ok(ips.some((ip) => ip.startsWith('fd00:0009:') && ip.endsWith('/64')), ips.join());
    assert.ok(ips.some((ip) => ip.endsWith('/88')), ips.join());
    // The computed address counts toward the 16: 16 given by hand are refused.
    await assert.rejects(
      master.setIpAssignments(nwid, alice.address, Array.from({ length: 16 }, (_, i) => `fd00:9::${i + 1}/64`)),
      LimitExceededError,
    );
    await storage.close();
  });

  test('a member\'s version is recorded from the request metadata (majv, minv, revv, pv), -1 when unknown', async () => {
    const { storage, master } = await setup();
    const nwid = await master.createNetwork({ private: false });
    await configOf(master, nwid, bob);
    const unknown = (await master.getMember(nwid, bob.address))!;
    assert.deepEqual([unknown.vMajor, unknown.vMinor, unknown.vRev, unknown.vProto], [-1, -1, -1, -1]);
    await configOf(master, nwid, alice, new Dictionary([['majv', '1'], ['minv', '0'], ['revv', 'a']]));
    let member = (await master.getMember(nwid, alice.address))!;
    assert.deepEqual([member.vMajor, member.vMinor, member.vRev, member.vProto], [1, 0, 10, -1]);
    const revision = (await master.getNetwork(nwid))!.revision;
    await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: new Dictionary([['majv', '1'], ['minv', '1'], ['revv', '0'], ['pv', '5']]) });
    await storage.flush();
    member = (await master.getMember(nwid, alice.address))!;
    assert.deepEqual([member.vMajor, member.vMinor, member.vRev, member.vProto], [1, 1, 0, 5]);
    assert.equal((await master.getNetwork(nwid))!.revision, revision, 'a version raises no revision');
    await storage.close();
  });

  test('updateMember applies every field in one transaction: one raise, and a refused address changes nothing', async () => {
    const { storage, master, events } = await setup();
    const nwid = await master.createNetwork({ private: true });
    await master.updateMember(nwid, bob.address, { authorized: true, ipAssignments: ['10.8.0.2/24'] });
    const revision = (await master.getNetwork(nwid))!.revision;
    events.length = 0;
    await master.updateMember(nwid, alice.address, {
      authorized: true, activeBridge: true, name: 'gw', notes: 'rack 2', noAutoAssignIps: true, ipAssignments: ['10.8.0.1/24'],
    });
    const member = (await master.getMember(nwid, alice.address))!;
    assert.deepEqual(
      [member.authorized, member.activeBridge, member.name, member.notes, member.noAutoAssignIps, member.ipAssignments, member.authorizedAt],
      [true, true, 'gw', 'rack 2', true, ['10.8.0.1/24'], START],
    );
    assert.equal((await master.getNetwork(nwid))!.revision, revision + 1n, 'one raise for the whole change');
    assert.deepEqual(events.map((event) => event.type), ['memberAuthorized']);

    const image = await storage.backup();
    await assert.rejects(
      master.updateMember(nwid, alice.address, { name: 'renamed', authorized: false, ipAssignments: ['10.8.0.2/24'] }),
      ConflictError,
    );
    assert.deepEqual(await storage.backup(), image, 'nothing changed');
    await assert.rejects(master.updateMember(nwid, ids[3]!.address, { name: 'x' }), NotFoundError, 'a name alone creates nobody');
    await assert.rejects(master.updateMember(nwid, alice.address, { authorized: 'yes' } as never), InvalidArgumentError);
    await master.updateMember(nwid, alice.address, { authorized: false });
    assert.equal((await master.getNetwork(nwid))!.revision, revision + 1n + 17n, 'de-authorization: max delta + 1');
    assert.equal((await master.getMember(nwid, alice.address))!.deauthorizedAt, START);
    await storage.close();
  });

  test('createNetwork with an ID: on this master\'s prefix and free, else refused', async () => {
    const { storage, master } = await setup();
    const id = `${masterIdentity.address}00abcd`;
    assert.equal(await master.createNetwork({ id, name: 'chosen' }), id);
    assert.equal((await master.getNetwork(id))!.name, 'chosen');
    await assert.rejects(master.createNetwork({ id }), ConflictError);
    await assert.rejects(master.createNetwork({ id: '0123456789000001' }), InvalidArgumentError);
    await assert.rejects(master.createNetwork({ id: 'nope' }), InvalidArgumentError);
    await storage.close();
  });
});
