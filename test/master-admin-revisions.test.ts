/**
 * The revision rule (master.md §4) holds whoever writes: the store's triggers raise the revision
 * for this library's calls and for an operator's `sqlite3` session on the live file alike, and the
 * master reports both as 'change' events. One admin call raises the revision once.
 */
import { test } from 'node:test';
import { readWith } from './support/store-calls.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import type { CertificateOfMembership } from '../src/protocol/certificate.js';
import { createNetconfMaster, ResultCode, type NetworkChangeEvent } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { forEachEngine } from './support/engines.js';
import { tempDatabase } from './fixtures/durability-helpers.js';

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob, carol] = [ids[1]!.publicOnly(), ids[2]!.publicOnly(), ids[3]!.publicOnly()];

function sqlite3(path: string, sql: string): string {
  return execFileSync('sqlite3', [path, sql], { encoding: 'utf8' }).trim();
}

function comOf(reply: { code: number; netconf?: unknown }): CertificateOfMembership {
  assert.equal(reply.code, ResultCode.OK);
  const com = NetworkConfig.fromDictionary(reply.netconf as never).com;
  assert.ok(com !== null);
  return com;
}
test('sqlite3 de-authorizing a member in the live file revokes it: the old COM disagrees with the next one issued', async (t) => {
  const { dbPath } = tempDatabase(t);
  let storage = await openSqlJsStorage({ path: dbPath });
  let master = createNetconfMaster(storage, masterIdentity);
  const nwid = await master.createNetwork({ name: 'lab', private: true });
  await master.authorizeMembers(nwid, [alice.address, bob.address]);
  const aliceCom = comOf(await master.doNetworkConfigRequest({ identity: alice, nwid }));
  const before = (await master.getNetwork(nwid))!.revision;
  await master.close();
  await storage.close(); // the main file now holds everything an operator's sqlite3 sees

  storage = await openSqlJsStorage({ path: dbPath });
  master = createNetconfMaster(storage, masterIdentity);
  const events: NetworkChangeEvent[] = [];
  master.subscribe((event) => events.push(event));
  const bobReply = await master.doNetworkConfigRequest({ identity: bob, nwid });
  assert.ok(comOf(bobReply).agreesWith(aliceCom), 'before the edit, the certificates agree');
  await master.doNetworkConfigRequest({ identity: bob, nwid, haveRevision: before });

  sqlite3(dbPath, `UPDATE Member SET authorized = 0 WHERE networkId = '${nwid}' AND nodeId = '${alice.address}'`);
  // The edit itself raised the revision in the file, by the max delta + 1.
  assert.equal(sqlite3(dbPath, `SELECT revision FROM Network WHERE id = '${nwid}'`), String(before + 17n));

  // The master notices the edit at its next write (here, the statistics of a request).
  await master.doNetworkConfigRequest({ identity: bob, nwid, haveRevision: before });
  await storage.flush();
  assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.ACCESS_DENIED);
  const external = events.filter((event) => event.type === 'externalChange');
  assert.equal(external.length, 1);
  assert.equal(external[0]!.nwid, nwid);
  assert.equal(external[0]!.revision, before + 17n);
  assert.deepEqual(await external[0]!.refresh(), [bob.address]);

  const next = comOf(await master.doNetworkConfigRequest({ identity: bob, nwid, haveRevision: before }));
  assert.equal(next.revision, before + 17n);
  assert.equal(next.agreesWith(aliceCom), false);
  assert.equal(aliceCom.agreesWith(next), false);
  await master.close();
  await storage.close();
});

test('raw SQL edits raise the revision as the API does; names, notes and statistics do not', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity);
  const nwid = await master.createNetwork({ private: true, v4AssignMode: 'zt', ipPools: ['10.1.0.0/16'] });
  await master.authorizeMembers(nwid, [alice.address, bob.address]);
  const revision = async () => (await master.getNetwork(nwid))!.revision;
  const edit = (sql: string) => storage.engine.write((w) => w.run(sql, [nwid]));
  const steps: Array<[string, string, bigint]> = [
    ['member name', `UPDATE Member SET name = 'x', notes = 'y' WHERE networkId = ?1`, 0n],
    ['reported revision', `UPDATE Member SET clientReportedRevision = 3 WHERE networkId = ?1`, 0n],
    ['active bridge', `UPDATE Member SET activeBridge = 1 WHERE networkId = ?1 AND nodeId = '${alice.address}'`, 1n],
    ['network setting', `UPDATE Network SET multicastLimit = 8 WHERE id = ?1`, 1n],
    ['same value', `UPDATE Network SET multicastLimit = 8 WHERE id = ?1`, 0n],
    ['pool', `INSERT INTO IpAssignmentPool (networkId, ipNetwork, ipNetmaskBits) VALUES (?1, '10.2.0.0', 16)`, 1n],
    ['rule', `DELETE FROM Rule WHERE networkId = ?1 AND etherType = 2054`, 1n],
    ['multicast rate', `INSERT INTO MulticastRate (networkId, mgMac, mgAdi, preload, maxBalance, accrual) VALUES (?1, '000000000000', 0, 1, 2, 3)`, 1n],
    ['address', `INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits, ipVersion, ipInt) VALUES (?1, '${bob.address}', '10.1.0.9', 16, 4, 167837705)`, 1n],
    ['de-authorization', `UPDATE Member SET authorized = 0 WHERE networkId = ?1 AND nodeId = '${bob.address}'`, 17n],
    ['re-authorization', `UPDATE Member SET authorized = 1 WHERE networkId = ?1 AND nodeId = '${bob.address}'`, 1n],
    ['deleting an authorized member', `DELETE FROM Member WHERE networkId = ?1 AND nodeId = '${bob.address}'`, 17n],
  ];
  for (const [name, sql, raise] of steps) {
    const was = await revision();
    await edit(sql);
    assert.equal(await revision(), was + raise, name);
  }
  await storage.close();
});

test('the change sequence only grows, even when the network holding the highest one is deleted', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity);
  const [first, second] = [await master.createNetwork({ name: 'a' }), await master.createNetwork({ name: 'b' })];
  await master.updateNetwork(first, { name: 'a2' });
  await master.updateNetwork(second, { name: 'b2' });
  const highest = (await readWith(storage, (r) => r.lastChangeSequence()));
  await master.deleteNetwork(second);
  await storage.engine.write((w) => w.run(`UPDATE Network SET name = 'edited' WHERE id = ?`, [first]));
  const changed = (await readWith(storage, (r) => r.networksChangedSince(highest)));
  assert.deepEqual(changed.map((c) => [c.nwid, c.revision]), [[first, 3n]]);
  assert.equal((await readWith(storage, (r) => r.lastChangeSequence())), highest + 1);
  await storage.close();
});

test('a hold another program left behind neither blocks admin calls nor loses its raise', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity);
  const nwid = await master.createNetwork({ private: true });
  await storage.engine.write((w) => w.run(`INSERT INTO RevisionHold (networkId, pendingRaise) VALUES (?, 5)`, [nwid]));
  await master.authorizeMember(nwid, alice.address);
  await master.deauthorizeMember(nwid, alice.address);
  assert.equal((await master.getNetwork(nwid))!.revision, 1n + 5n + 17n);
  await storage.close();
});

forEachEngine((engine) => {
  test('a request that assigns an address from a pool raises no revision', async () => {
    const storage = await engine.open();
    const master = createNetconfMaster(storage, masterIdentity);
    const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.1.0.0/16'] });
    const reply = await master.doNetworkConfigRequest({ identity: alice, nwid });
    assert.equal(NetworkConfig.fromDictionary(reply.netconf!).staticIps.length, 1);
    assert.equal((await master.getNetwork(nwid))!.revision, 1n);
    await storage.close();
  });

  test('bulk calls: one transaction, one revision raise, one event naming the members that changed', async () => {
    const storage = await engine.open();
    const master = createNetconfMaster(storage, masterIdentity);
    const events: NetworkChangeEvent[] = [];
    master.subscribe((event) => events.push(event));
    const nwid = await master.createNetwork({ private: true });
    for (const member of [alice, bob, carol]) await master.doNetworkConfigRequest({ identity: member, nwid });
    await master.authorizeMember(nwid, carol.address);
    events.length = 0;

    await master.authorizeMembers(nwid, [alice.address, bob.address, carol.address, alice.address]);
    assert.equal((await master.getNetwork(nwid))!.revision, 3n);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'membersAuthorized');
    assert.deepEqual(events[0]!.addresses, [alice.address, bob.address]);
    assert.equal(events[0]!.revision, 3n);

    await master.deauthorizeMembers(nwid, [alice.address, bob.address]);
    assert.equal((await master.getNetwork(nwid))!.revision, 3n + 17n);
    assert.equal(events.length, 2);
    assert.deepEqual(events[1]!.addresses, [alice.address, bob.address]);
    assert.deepEqual(await events[1]!.refresh(), [carol.address]);
    for (const member of [alice, bob]) assert.equal((await master.getMember(nwid, member.address))!.authorized, false);

    // Nothing to change: nothing written, no event.
    const image = await storage.backup();
    await master.deauthorizeMembers(nwid, [alice.address]);
    assert.deepEqual(await storage.backup(), image);
    assert.equal(events.length, 2);
    await storage.close();
  });

  test('a rename raises no revision and computes no refresh list until a listener reads it', async () => {
    const storage = await engine.open();
    const master = createNetconfMaster(storage, masterIdentity);
    const nwid = await master.createNetwork({ private: false });
    await master.doNetworkConfigRequest({ identity: alice, nwid });
    const events: NetworkChangeEvent[] = [];
    master.subscribe((event) => events.push(event));
    let reads = 0;
    const read = storage.read.bind(storage);
    storage.read = (fn) => {
      reads++;
      return read(fn);
    };
    await master.setMemberName(nwid, alice.address, 'laptop');
    assert.equal(reads, 0, 'the change read nothing outside its transaction');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.revision, 1n);
    assert.deepEqual(await events[0]!.refresh(), [alice.address]);
    assert.equal(reads, 1);
    assert.deepEqual(await events[0]!.refresh(), [alice.address]);
    assert.equal(reads, 1, 'computed once');
    await storage.close();
  });
});
