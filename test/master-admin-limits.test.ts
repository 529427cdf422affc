/**
 * What a 2015 node refuses, the master never sends (at most 16 ZT-assigned addresses, no /0), what
 * it misreads is warned of (per-group multicast rates), and admin calls on a member the network has
 * never seen throw NotFoundError instead of creating it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode, type MasterEvents } from '../src/master/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { forEachEngine, SQLJS, type Engine } from './support/engines.js';
import { InvalidArgumentError, LimitExceededError, NotFoundError } from '../src/errors.js';

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob] = [ids[1]!.publicOnly(), ids[2]!.publicOnly()];
const v4 = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i}.1/16`);

async function setup<S extends NetconfStore>(engine: Engine<S>) {
  const storage = await engine.open();
  const master = createNetconfMaster(storage, masterIdentity);
  const warnings: MasterEvents['warning'][] = [];
  master.on('warning', (event) => warnings.push(event));
  return { storage, master, warnings };
}
test('automatic assignment never makes a netconf carry more than 16 addresses', async () => {
  const { storage, master, warnings } = await setup(SQLJS);
  const nwid = await master.createNetwork({
    private: false, v4AssignMode: 'zt', v6AssignMode: 'zt', ipPools: ['10.0.0.0/16', 'fd00::/64'],
  });
  await master.authorizeMember(nwid, alice.address);
  await master.setIpAssignments(nwid, alice.address, v4(16));
  const reply = await master.doNetworkConfigRequest({ identity: alice, nwid });
  assert.equal(reply.code, ResultCode.OK);
  assert.equal(NetworkConfig.fromDictionary(reply.netconf!).staticIps.length, 16);
  assert.deepEqual((await master.getMember(nwid, alice.address))!.ipAssignments.length, 16, 'no IPv6 address was taken');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /more than 16/);

  // Switching the network to rfc4193 afterwards: the computed address does not push it over.
  await master.updateNetwork(nwid, { v6AssignMode: 'rfc4193' });
  const after = await master.doNetworkConfigRequest({ identity: alice, nwid });
  assert.equal(NetworkConfig.fromDictionary(after.netconf!).staticIps.length, 16);

  // Rows another program wrote beyond the limit are not all sent either.
  await storage.engine.write((w) => {
    for (let i = 0; i < 4; i++) {
      w.run(`INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits, ipVersion, ipInt) VALUES (?, ?, ?, 16, 4, ?)`, [
        nwid, alice.address, `10.0.200.${i + 1}`, (10 << 24) + (200 << 8) + i + 1,
      ]);
    }
  });
  const over = await master.doNetworkConfigRequest({ identity: alice, nwid });
  assert.equal(NetworkConfig.fromDictionary(over.netconf!).staticIps.length, 16);
  await storage.close();
});

forEachEngine((engine) => {
  test('setIpAssignments refuses more than 16 addresses, counting the rfc4193 one, and /0, changing nothing', async () => {
    const { storage, master } = await setup(engine);
    const zt = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.0.0.0/16'] });
    const rfc = await master.createNetwork({ private: false, v4AssignMode: 'zt', v6AssignMode: 'rfc4193' });
    await master.authorizeMember(zt, alice.address);
    await master.authorizeMember(rfc, alice.address);
    const image = await storage.backup();
    await assert.rejects(master.setIpAssignments(zt, alice.address, v4(17)), LimitExceededError);
    await assert.rejects(master.setIpAssignments(zt, alice.address, [...v4(9), ...Array.from({ length: 8 }, (_, i) => `fd00::${i + 1}/64`)]), LimitExceededError);
    await assert.rejects(master.setIpAssignments(rfc, alice.address, v4(16)), LimitExceededError);
    await assert.rejects(master.setIpAssignments(zt, alice.address, ['10.0.0.1/0']), InvalidArgumentError);
    await assert.rejects(master.setIpAssignments(zt, alice.address, ['fd00::1/0']), InvalidArgumentError);
    await assert.rejects(master.addIpPool(zt, '0.0.0.0/0'), InvalidArgumentError);
    await assert.rejects(master.updateNetwork(zt, { ipPools: ['::/0'] }), InvalidArgumentError);
    await assert.rejects(master.createNetwork({ ipPools: ['0.0.0.0/0'] }), InvalidArgumentError);
    assert.deepEqual(await storage.backup(), image);

    await master.setIpAssignments(zt, alice.address, v4(16));
    await master.setIpAssignments(rfc, alice.address, v4(15));
    const reply = await master.doNetworkConfigRequest({ identity: alice, nwid: rfc });
    assert.equal(NetworkConfig.fromDictionary(reply.netconf!).staticIps.length, 16);
    await storage.close();
  });

  test('per-group multicast rates bring a warning that 2015 nodes misread them; the default rate alone does not', async () => {
    const { storage, master, warnings } = await setup(engine);
    const defaultRate = { mac: '000000000000', adi: 0, preload: 1, maxBalance: 2, accrual: 3 };
    const nwid = await master.createNetwork({ multicastRates: [defaultRate] });
    await master.updateNetwork(nwid, { name: 'renamed' });
    assert.equal(warnings.length, 0);
    await master.updateNetwork(nwid, { multicastRates: [defaultRate, { ...defaultRate, mac: 'ffffffffffff', adi: 0x0a000001 }] });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.type, 'perGroupMulticastRates');
    assert.equal(warnings[0]!.nwid, nwid);
    assert.match(warnings[0]!.message, /2015 nodes misread/);
    await master.createNetwork({ multicastRates: [{ ...defaultRate, mac: '01005e000001' }] });
    assert.equal(warnings.length, 2);
    await storage.close();
  });

  test('admin calls on a member the network has never seen throw NotFoundError and create nothing', async () => {
    const { storage, master } = await setup(engine);
    const nwid = await master.createNetwork({ private: true });
    const image = await storage.backup();
    for (const [name, run] of [
      ['setMemberName', () => master.setMemberName(nwid, alice.address, 'a')],
      ['setMemberNotes', () => master.setMemberNotes(nwid, alice.address, 'a')],
      ['updateMember', () => master.updateMember(nwid, alice.address, { name: 'a' })],
      ['setActiveBridge', () => master.setActiveBridge(nwid, alice.address, true)],
      ['setIpAssignments', () => master.setIpAssignments(nwid, alice.address, ['10.0.0.1/24'])],
    ] as const) {
      await assert.rejects(run(), NotFoundError, name);
    }
    assert.deepEqual(await storage.backup(), image);
    assert.equal(await master.getMember(nwid, alice.address), null);

    // Pre-authorization and pre-banning stay: they create the member on purpose.
    await master.authorizeMember(nwid, alice.address);
    await master.deauthorizeMember(nwid, bob.address);
    assert.equal((await master.getMember(nwid, alice.address))!.authorized, true);
    assert.equal((await master.getMember(nwid, bob.address))!.authorized, false);
    await master.setMemberName(nwid, bob.address, 'banned');
    assert.equal((await master.getMember(nwid, bob.address))!.name, 'banned');
    await storage.close();
  });
});
