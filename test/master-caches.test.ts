/**
 * What the master keeps in memory (signed netconfs and per-network parts, by revision) never
 * outlives the state it was read from: a caller cannot change it, and a rollback drops it.
 */
import { test } from 'node:test';
import { readWith, transactWith } from './support/store-calls.js';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { createFaultFs, tempDatabase } from './fixtures/durability-helpers.js';
import type { SqlNetconfStore } from '../src/storage/sql/sql-store.js';

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

/** Runs `after` once the next transaction has committed, before its caller goes on. */
function afterNextTransaction(storage: SqlNetconfStore, after: () => Promise<unknown>): void {
  const transaction = storage.transaction.bind(storage);
  storage.transaction = ((fn, options) => {
    storage.transaction = transaction;
    return transaction(fn, options).then(async (value) => {
      await after();
      return value;
    });
  }) as typeof storage.transaction;
}

test('a netconf signed while its network is deleted and made again under the same ID and revision is never served', async (t) => {
  const storage = await openSqlJsStorage();
  t.after(() => storage.close());
  // Constant randomness: the second network gets the first one's number back.
  const master = createNetconfMaster(storage, masterIdentity, { random: (n) => new Uint8Array(n).fill(3), signingWorkers: 0, validateIdentities: false });
  t.after(() => master.close());
  const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();
  const nwid = await master.createNetwork({ name: 'one', private: false });

  // The request's transaction commits; before its netconf is signed, the network is replaced.
  const generations: number[] = [];
  afterNextTransaction(storage, async () => {
    generations.push(storage.generation);
    await master.deleteNetwork(nwid);
    generations.push(storage.generation);
    assert.equal(await master.createNetwork({ name: 'two', private: false }), nwid);
  });
  const first = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.equal(first.code, ResultCode.OK, 'the request was answered from the first network');
  assert.equal(NetworkConfig.fromDictionary(first.netconf!).name, 'one');
  assert.notEqual(generations[0], generations[1], 'deleting a network moves the generation');
  await storage.flush();
  assert.equal((await readWith(storage, (reader) => reader.getCachedNetconf(nwid, member.address, 1n))), undefined, 'not stored');

  const again = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.equal(NetworkConfig.fromDictionary(again.netconf!).name, 'two', 'not kept in memory');
  await storage.flush();
  assert.deepEqual((await readWith(storage, (reader) => reader.getCachedNetconf(nwid, member.address, 1n)))?.bytes, again.netconf!.toBytes());
});

test('a repeated request is answered from memory, reading no stored netconf', async (t) => {
  const storage = await openSqlJsStorage();
  t.after(() => storage.close());
  const master = createNetconfMaster(storage, masterIdentity, { signingWorkers: 0 });
  t.after(() => master.close());
  const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();
  const nwid = await master.createNetwork({ name: 'memory', private: false });
  const first = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  await storage.flush();

  let storedReads = 0;
  const transaction = storage.transaction.bind(storage);
  storage.transaction = ((fn, options) =>
    transaction((tx) => {
      const getCachedNetconf = tx.getCachedNetconf.bind(tx);
      tx.getCachedNetconf = (...args) => (storedReads++, getCachedNetconf(...args));
      return fn(tx);
    }, options)) as typeof storage.transaction;
  const second = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.deepEqual(second.netconf!.toBytes(), first.netconf!.toBytes());
  assert.equal(storedReads, 0, 'served from memory');
});

test('a netconf handed to the store before another program\'s edit is reloaded is not written after it', async (t) => {
  const { dbPath } = tempDatabase(t);
  const storage = await openSqlJsStorage({ path: dbPath });
  t.after(() => storage.close());
  const master = createNetconfMaster(storage, masterIdentity, { signingWorkers: 0 });
  t.after(() => master.close());
  const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();
  const nwid = await master.createNetwork({ name: 'edited', private: false });
  assert.equal((await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid })).code, ResultCode.OK);
  await storage.flush();
  const generation = storage.generation;

  storage.cacheNetconf(nwid, member.address, { bytes: new Uint8Array([1, 2, 3]), revision: 1n, timestamp: 1 });
  // Any edit will do (the network and member are still in the log, not in the main file).
  execFileSync('sqlite3', [dbPath, `INSERT INTO Config (k, v) VALUES ('editedBy', 'sqlite3')`]);
  await transactWith(storage, (tx) => tx.updateMemberReportedRevision(nwid, member.address, 1n));
  await storage.flush();
  assert.notEqual(storage.generation, generation, 'the edit was reloaded');
  assert.notDeepEqual((await readWith(storage, (reader) => reader.getCachedNetconf(nwid, member.address, 1n)))?.bytes, new Uint8Array([1, 2, 3]));
});
