/**
 * What the master keeps in memory (signed netconfs and per-network parts, by revision) never
 * outlives the state it was read from: a caller cannot change it, and a rollback drops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { createFaultFs, tempDatabase } from './fixtures/durability-helpers.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);

/** A member with an arbitrary key at a chosen address (the master runs with validateIdentities: false). */
const memberAt = (address: string) => Identity.fromString(`${address}:0:${'5a'.repeat(64)}`);

test('changing a returned netconf changes nothing the master serves next', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity);
  const nwid = await master.createNetwork({ name: 'kept', private: false });
  const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();
  const first = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  const firstBytes = first.netconf!.toBytes();
  first.netconf!.set('n', 'changed by the caller');
  const second = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.deepEqual(second.netconf!.toBytes(), firstBytes);
  assert.ok(second.netconf!.verify(masterIdentity));
  second.netconf!.delete('com');
  const third = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.deepEqual(third.netconf!.toBytes(), firstBytes);
  await storage.close();
});

test('after a failed write is rolled back, no member is served an address the disk does not hold', async (t) => {
  const { dbPath } = tempDatabase(t);
  const faults = createFaultFs();
  const storage = await openSqlJsStorage({ path: dbPath, fs: faults.fs });
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false });
  // A /30 holds two addresses; both members' first candidate is .1 (address low bits 01).
  const nwid = await master.createNetwork({ name: 'tight', private: false, v4AssignMode: 'zt', ipPools: ['10.7.0.0/30'] });
  const a = memberAt('1111111101');
  const b = memberAt('2222222201');

  faults.fail('fdatasync', 'EIO', { pathIncludes: '-log' });
  const failed = await master.doNetworkConfigRequest({ fromAddr: null, identity: a, nwid });
  assert.equal(failed.code, ResultCode.INTERNAL_SERVER_ERROR, 'the claim could not be made durable');
  faults.clearFaults();

  const forB = await master.doNetworkConfigRequest({ fromAddr: null, identity: b, nwid });
  const forA = await master.doNetworkConfigRequest({ fromAddr: null, identity: a, nwid });
  assert.equal(forB.code, ResultCode.OK);
  assert.equal(forA.code, ResultCode.OK);
  const ipB = NetworkConfig.fromDictionary(forB.netconf!).staticIps;
  const ipA = NetworkConfig.fromDictionary(forA.netconf!).staticIps;
  assert.deepEqual(ipB, ['10.7.0.1/30']);
  assert.deepEqual(ipA, ['10.7.0.2/30']);
  const held = (await master.listMembers(nwid)).flatMap((member) => member.ipAssignments).sort();
  assert.deepEqual(held, ['10.7.0.1/30', '10.7.0.2/30']);
  await storage.close();
});

test('after a restart the stored netconf is served byte for byte; after a change, a new one', async (t) => {
  const { dbPath } = tempDatabase(t);
  const member = Identity.fromString(TEST_IDENTITIES[2]!).publicOnly();
  const first = await openSqlJsStorage({ path: dbPath });
  const master = createNetconfMaster(first, masterIdentity, { now: () => 1_800_000_000_000 });
  const nwid = await master.createNetwork({ name: 'restart', private: true });
  await master.authorizeMember(nwid, member.address);
  const before = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  await first.close();

  const second = await openSqlJsStorage({ path: dbPath });
  const restarted = createNetconfMaster(second, masterIdentity, { now: () => 1_900_000_000_000 });
  const again = await restarted.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.deepEqual(again.netconf!.toBytes(), before.netconf!.toBytes(), 'no new signature after a restart');
  await restarted.updateNetwork(nwid, { description: 'changed' });
  const changed = await restarted.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.equal(NetworkConfig.fromDictionary(changed.netconf!).timestamp, 1_900_000_000_000n);
  assert.equal(NetworkConfig.fromDictionary(changed.netconf!).description, 'changed');
  await second.close();
});
