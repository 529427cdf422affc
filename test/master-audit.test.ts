import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { createNetconfMaster, ResultCode, type NetconfMasterOptions } from '../src/master/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { forEachEngine, type Engine } from './support/engines.js';
import { InvalidArgumentError } from '../src/errors.js';

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob] = [ids[1]!.publicOnly(), ids[2]!.publicOnly()];
const START = 1_800_000_000_000;

async function setupOn<S extends NetconfStore>(engine: Engine<S>, options: NetconfMasterOptions = {}) {
  const storage = await engine.open();
  let clock = START;
  const master = createNetconfMaster(storage, masterIdentity, {
    now: () => clock,
    random: deterministicRandom('audit'),
    memberExpiryInterval: 0,
    ...options,
  });
  return { storage, master, tick: (ms: number) => (clock += ms) };
}

forEachEngine((engine) => {
  const setup = (options?: NetconfMasterOptions) => setupOn(engine, options);

  test('every administrative change is recorded with when, who and the fields before and after', async () => {
    const { master, tick } = await setup({ actor: 'provisioner' });
    const nwid = await master.createNetwork({ name: 'lab' });
    tick(1000);
    await master.updateNetwork(nwid, { name: 'lab 2', multicastLimit: 64 });
    tick(1000);
    await master.as('alice@ops').authorizeMember(nwid, alice.address);
    tick(1000);
    await master.setMemberName(nwid, alice.address, 'laptop');
    await master.setIpAssignments(nwid, alice.address, ['10.0.0.5/24']);
    await master.setActiveBridge(nwid, alice.address, true);
    await master.deauthorizeMembers(nwid, [alice.address, bob.address]);
    await master.deleteMember(nwid, bob.address);
    await master.updateNetwork(nwid, { name: 'lab 2' }); // changes nothing: recorded as nothing

    const entries = await master.listAuditEntries({ nwid });
    assert.deepEqual(entries.map((e) => [e.time, e.actor, e.action, e.address]), [
      [START, 'provisioner', 'networkCreated', null],
      [START + 1000, 'provisioner', 'networkUpdated', null],
      [START + 2000, 'alice@ops', 'memberAuthorized', alice.address],
      [START + 3000, 'provisioner', 'memberUpdated', alice.address],
      [START + 3000, 'provisioner', 'ipAssignmentsChanged', alice.address],
      [START + 3000, 'provisioner', 'activeBridgeChanged', alice.address],
      [START + 3000, 'provisioner', 'memberDeauthorized', alice.address],
      [START + 3000, 'provisioner', 'memberDeauthorized', bob.address],
      [START + 3000, 'provisioner', 'memberDeleted', bob.address],
    ]);
    assert.deepEqual([entries[1]!.before, entries[1]!.after], [{ multicastLimit: 32, name: 'lab' }, { multicastLimit: 64, name: 'lab 2' }]);
    assert.equal(entries[2]!.before, null, 'a member that did not exist');
    assert.equal(entries[2]!.after?.lastAuthorizedCredentialType, 'api');
    assert.deepEqual([entries[3]!.before, entries[3]!.after], [{ name: '' }, { name: 'laptop' }]);
    assert.deepEqual([entries[4]!.before, entries[4]!.after], [{ ipAssignments: [] }, { ipAssignments: ['10.0.0.5/24'] }]);
    assert.equal(entries[8]!.after, null, 'a deleted member');
    assert.equal(entries[0]!.after?.name, 'lab');
    assert.equal(entries.every((entry) => entry.networkId === nwid), true);
  });

  test('a join is recorded as made by the token, and token changes by the caller', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    const { id, token } = await master.as('cli').createJoinToken(nwid, { name: 'ci' });
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: new Dictionary({ a: `token:${token}` }) })).code, ResultCode.OK);
    await master.revokeJoinToken(nwid, id);
    const entries = await master.listAuditEntries({ nwid });
    assert.deepEqual(entries.map((e) => [e.actor, e.action, e.address]), [
      ['library', 'networkCreated', null],
      ['cli', 'joinTokenCreated', null],
      [`token:${id}`, 'memberAuthorized', alice.address],
      ['library', 'joinTokenRevoked', null],
    ]);
    assert.equal(entries[1]!.after?.tokenId, id);
    assert.deepEqual(entries[3]!.after, { tokenId: id, revoked: true });
    assert.equal(entries[2]!.after?.lastAuthorizedCredential, id);
  });

  test('the trail is queryable by network, member and time, newest entries within a limit', async () => {
    const { master, tick } = await setup();
    const one = await master.createNetwork();
    tick(10);
    const two = await master.createNetwork();
    tick(10);
    await master.authorizeMember(one, alice.address);
    tick(10);
    await master.authorizeMember(two, alice.address);
    tick(10);
    await master.authorizeMember(two, bob.address);
    assert.equal((await master.listAuditEntries()).length, 5);
    assert.deepEqual((await master.listAuditEntries({ nwid: two })).map((e) => e.action), ['networkCreated', 'memberAuthorized', 'memberAuthorized']);
    assert.deepEqual((await master.listAuditEntries({ address: alice.address })).map((e) => e.networkId), [one, two]);
    assert.deepEqual((await master.listAuditEntries({ nwid: two, address: bob.address })).map((e) => e.time), [START + 40]);
    assert.deepEqual((await master.listAuditEntries({ since: START + 10, until: START + 30 })).map((e) => e.time), [START + 10, START + 20]);
    assert.deepEqual((await master.listAuditEntries({ limit: 2 })).map((e) => e.time), [START + 30, START + 40]);
    for (const query of [{ limit: 0 }, { since: 1.5 }, { nwid: 'zz' }, { address: 'nothex' }] as never[]) {
      await assert.rejects(master.listAuditEntries(query), InvalidArgumentError);
    }
  });

  test('retention keeps the audit trail bounded by count and by age', async () => {
    const byCount = await setup({ auditRetention: { maxEntries: 3 } });
    const nwid = await byCount.master.createNetwork();
    await byCount.master.authorizeMember(nwid, alice.address);
    for (let i = 0; i < 5; i++) await byCount.master.setMemberNotes(nwid, alice.address, String(i));
    const kept = await byCount.master.listAuditEntries();
    assert.equal(kept.length, 3);
    assert.deepEqual(kept.map((e) => e.after?.notes), ['2', '3', '4']);

    const byAge = await setup({ auditRetention: { maxAge: 1000, maxEntries: null } });
    const other = await byAge.master.createNetwork();
    byAge.tick(600);
    await byAge.master.authorizeMember(other, alice.address);
    byAge.tick(600);
    await byAge.master.authorizeMember(other, bob.address);
    assert.deepEqual((await byAge.master.listAuditEntries()).map((e) => e.address), [alice.address, bob.address]);
    assert.throws(() => createNetconfMaster(byAge.storage, masterIdentity, { auditRetention: { maxEntries: 0 } }), InvalidArgumentError);
    assert.throws(() => createNetconfMaster(byAge.storage, masterIdentity, { actor: '' }), InvalidArgumentError);
    assert.throws(() => byAge.master.as(''), InvalidArgumentError);
  });

  test('a change that fails records nothing: the entry shares the change\'s transaction', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    await master.authorizeMember(nwid, alice.address);
    await master.authorizeMember(nwid, bob.address);
    await master.setIpAssignments(nwid, alice.address, ['10.0.0.5/24']);
    const before = (await master.listAuditEntries()).length;
    await assert.rejects(master.setIpAssignments(nwid, bob.address, ['10.0.0.5/24']));
    assert.equal((await master.listAuditEntries()).length, before);
  });
});
