/**
 * Fresh netconfs are built inside the request's transaction and signed after it commits, on a
 * worker thread when many are asked for at once (src/master/request.ts, src/crypto/signing-pool.ts).
 */
import { test } from 'node:test';
import { readWith, transactWith } from './support/store-calls.js';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { CertificateOfMembership } from '../src/protocol/certificate.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const memberAt = (i: number) => Identity.fromString(`${(0x2000000000 + i * 7919).toString(16)}:0:${'5a'.repeat(64)}`);

test('a burst of fresh requests, signed by a worker, gives every member a valid, distinct config', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false, signingWorkers: 1 });
  try {
    const nwid = await master.createNetwork({ name: 'burst', private: true, v4AssignMode: 'zt', ipPools: ['10.1.0.0/16'] });
    const members = Array.from({ length: 300 }, (_, i) => memberAt(i));
    await Promise.all(members.map((identity) => master.doNetworkConfigRequest({ identity, nwid })));
    for (const member of members) await master.authorizeMember(nwid, member.address);
    for (let round = 0; round < 3; round++) {
      await master.updateNetwork(nwid, { description: `round ${round}` });
      const replies = await Promise.all(members.map((identity) => master.doNetworkConfigRequest({ identity, nwid })));
      const addresses = new Set<string>();
      replies.forEach((reply, i) => {
        assert.equal(reply.code, ResultCode.OK);
        assert.ok(reply.netconf!.verify(masterIdentity), 'the dictionary signature verifies');
        const config = NetworkConfig.fromDictionary(reply.netconf!);
        assert.equal(config.issuedTo, members[i]!.address);
        assert.equal(config.description, `round ${round}`);
        const com = CertificateOfMembership.parse(reply.netconf!.get('com')!);
        assert.ok(com.verify(masterIdentity), 'the COM signature verifies');
        addresses.add(config.staticIps.join());
      });
      assert.equal(addresses.size, members.length);
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the worker start after the first burst
    }
    // Asked again, each gets the very bytes it got, from the cache.
    const again = await Promise.all(members.slice(0, 20).map((identity) => master.doNetworkConfigRequest({ identity, nwid })));
    const { revision } = (await master.getNetwork(nwid))!;
    const stored = (await readWith(storage, (reader) => members.slice(0, 20).map((m) => reader.getCachedNetconf(nwid, m.address, revision))));
    again.forEach((reply, i) => assert.deepEqual(stored[i]?.bytes, reply.netconf!.toBytes()));
  } finally {
    await master.close();
    await storage.close();
  }
});

test('after close the master still answers, signing on the calling thread', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false });
  const nwid = await master.createNetwork({ name: 'closed', private: false });
  await master.close();
  const replies = await Promise.all([1, 2, 3].map((i) => master.doNetworkConfigRequest({ identity: memberAt(i), nwid })));
  for (const reply of replies) assert.ok(reply.netconf!.verify(masterIdentity));
  await storage.close();
});

test('a signed netconf of exactly 65,535 bytes is served; one byte more is an internal error that records nothing', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false, now: () => 1_800_000_000_000 });
  try {
    const nwid = await master.createNetwork({ name: 'size', private: true, v4AssignMode: 'zt', ipPools: ['10.0.0.0/8'] });
    const member = memberAt(1);
    await master.doNetworkConfigRequest({ identity: member, nwid });
    await master.authorizeMember(nwid, member.address);
    // Bulk from many multicast rates (a member holds at most 16 addresses), the last bytes from the description.
    const multicastRates = Array.from({ length: 2420 }, (_, i) => ({ mac: (i + 1).toString(16).padStart(12, '0'), adi: 0, preload: 1, maxBalance: 1, accrual: 1 }));
    await master.updateNetwork(nwid, { multicastRates, description: 'x' });
    const small = await master.doNetworkConfigRequest({ identity: member, nwid, haveRevision: 1n });
    assert.equal(small.code, ResultCode.OK, small.error);
    const room = 65_535 - small.netconf!.byteLength;
    assert.ok(room > 0 && room < 4000, `room ${room}`);

    await master.updateNetwork(nwid, { description: 'x'.repeat(1 + room) });
    const exact = await master.doNetworkConfigRequest({ identity: member, nwid, haveRevision: 2n });
    assert.equal(exact.code, ResultCode.OK, exact.error);
    assert.equal(exact.netconf!.byteLength, 65_535);
    assert.ok(exact.netconf!.verify(masterIdentity));

    await master.updateNetwork(nwid, { description: 'x'.repeat(2 + room) });
    const over = await master.doNetworkConfigRequest({ identity: member, nwid, haveRevision: 3n });
    assert.equal(over.code, ResultCode.INTERNAL_SERVER_ERROR);
    assert.match(over.error ?? '', /65536 bytes/);
    // Rolled back: the revision the member reported in that request was not recorded.
    assert.equal((await master.getMember(nwid, member.address))?.clientReportedRevision, 2n);
  } finally {
    await master.close();
    await storage.close();
  }
});

test('a netconf cached after its request is stored with the next batch, unless its network or member went first', async () => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false });
  const nwid = await master.createNetwork({ name: 'pending', private: false });
  const [kept, deleted] = [memberAt(1), memberAt(2)];
  for (const identity of [kept, deleted]) await master.doNetworkConfigRequest({ identity, nwid });
  const { revision } = (await master.getNetwork(nwid))!;
  const record = { bytes: new Uint8Array([1, 2, 3]), revision, timestamp: 5 };

  storage.cacheNetconf(nwid, kept.address, record);
  storage.cacheNetconf(nwid, deleted.address, record);
  await transactWith(storage, (tx) => tx.deleteMember(nwid, deleted.address));
  await transactWith(storage, (tx) => tx.insertMember({ ...tx.getMember(nwid, kept.address)!, address: deleted.address }));
  await storage.flush();
  assert.deepEqual((await readWith(storage, (r) => r.getCachedNetconf(nwid, kept.address, revision)))?.bytes, record.bytes);
  assert.equal((await readWith(storage, (r) => r.getCachedNetconf(nwid, deleted.address, revision))), undefined);

  // The network deleted and made again under its ID and revision: the pending netconf is not for it.
  storage.cacheNetconf(nwid, kept.address, { ...record, bytes: new Uint8Array([9]) });
  await transactWith(storage, (tx) => {
    const network = tx.getNetwork(nwid)!;
    const member = tx.getMember(nwid, kept.address)!;
    tx.deleteNetwork(nwid);
    tx.insertNetwork(network);
    tx.insertMember(member);
  });
  await storage.flush();
  assert.equal((await readWith(storage, (r) => r.getCachedNetconf(nwid, kept.address, revision))), undefined);
  await master.close();
  await storage.close();
});
