/**
 * The per-network parts of a netconf are kept in memory by revision; these tests pin down that
 * nothing stale is ever served from there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();
const bridge = Identity.fromString(TEST_IDENTITIES[2]!).publicOnly();

async function configOf(master: ReturnType<typeof createNetconfMaster>, nwid: string, identity = member) {
  const reply = await master.doNetworkConfigRequest({ fromAddr: null, identity, nwid });
  assert.equal(reply.code, ResultCode.OK, reply.error);
  return NetworkConfig.fromDictionary(reply.netconf!);
}

test('a network deleted and created again under the same ID and revision gets its new settings', async () => {
  const storage = await openSqlJsStorage();
  // Constant randomness: the second network gets the first one's number back.
  const master = createNetconfMaster(storage, masterIdentity, { random: (n) => new Uint8Array(n).fill(7) });
  const first = await master.createNetwork({ name: 'one', private: false });
  assert.deepEqual((await configOf(master, first)).allowedEtherTypes, [0x0800, 0x0806, 0x86dd]);
  await master.deleteNetwork(first);
  const second = await master.createNetwork({ name: 'two', private: false, etherTypes: [0x0800] });
  assert.equal(second, first);
  assert.equal((await master.getNetwork(second))!.revision, 1n);
  assert.deepEqual((await configOf(master, second)).allowedEtherTypes, [0x0800]);
  await storage.close();
});

test('active bridges, Ethernet types and multicast rates changed by an administrator show in the next config', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity);
  const nwid = await master.createNetwork({ name: 'bridged', private: false });
  await configOf(master, nwid, bridge);
  assert.deepEqual((await configOf(master, nwid)).activeBridges, []);
  await master.setActiveBridge(nwid, bridge.address, true);
  assert.deepEqual((await configOf(master, nwid)).activeBridges, [bridge.address]);
  await master.updateNetwork(nwid, { etherTypes: [0x86dd] });
  assert.deepEqual((await configOf(master, nwid)).allowedEtherTypes, [0x86dd]);
  await master.deleteMember(nwid, bridge.address);
  assert.deepEqual((await configOf(master, nwid)).activeBridges, []);
  await storage.close();
});
