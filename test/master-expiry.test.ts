import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { createNetconfMaster, ResultCode, type NetconfMasterOptions, type NetworkChangeEvent } from '../src/master/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { forEachEngine, type Engine } from './support/engines.js';
import { readWith } from './support/store-calls.js';
import { InvalidArgumentError } from '../src/errors.js';

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob, carol] = [ids[1]!.publicOnly(), ids[2]!.publicOnly(), ids[3]!.publicOnly()];
const START = 1_800_000_000_000;
const DAY = 86_400_000;

async function setupOn<S extends NetconfStore>(engine: Engine<S>, options: NetconfMasterOptions = {}) {
  const storage = await engine.open();
  let clock = START;
  const master = createNetconfMaster(storage, masterIdentity, {
    now: () => clock,
    random: deterministicRandom('expiry'),
    memberExpiryInterval: 0,
    ...options,
  });
  return { storage, master, tick: (ms: number) => (clock += ms) };
}

async function joined(master: Awaited<ReturnType<typeof setupOn>>['master'], nwid: string, identity: Identity) {
  await master.authorizeMember(nwid, identity.address);
  assert.equal((await master.doNetworkConfigRequest({ identity, nwid })).code, ResultCode.OK);
}

forEachEngine((engine) => {
  const setup = (options?: NetconfMasterOptions) => setupOn(engine, options);

  test('a network\'s policy de-authorizes the members not seen for its time, on the master\'s clock, as an ordinary change', async () => {
    const { master, tick } = await setup();
    const nwid = await master.createNetwork({ ipPools: ['10.0.0.0/24'], v4AssignMode: 'zt' });
    await master.setMemberExpiry(nwid, { notSeenFor: 30 * DAY, action: 'deauthorize' });
    assert.deepEqual(await master.getMemberExpiry(nwid), { notSeenFor: 30 * DAY, action: 'deauthorize' });
    await joined(master, nwid, alice);
    tick(20 * DAY);
    await joined(master, nwid, bob);
    await master.authorizeMember(nwid, carol.address); // never asked: never expires
    tick(10 * DAY - 1);
    assert.deepEqual(await master.expireMembers(), [
      { nwid, action: 'deauthorize', addresses: [], forgottenNodes: [], dryRun: false },
    ]);

    tick(1);
    const events: NetworkChangeEvent[] = [];
    master.subscribe((event) => events.push(event));
    const before = (await master.getNetwork(nwid))!.revision;
    const [result] = await master.expireMembers();
    assert.deepEqual(result!.addresses, [alice.address]);
    const after = (await master.getNetwork(nwid))!;
    assert.equal(after.revision, before + after.comRevisionMaxDelta + 1n, 'the revision jumps as for any de-authorization');
    assert.deepEqual(events.map((e) => [e.type, e.addresses, e.revision]), [['membersDeauthorized', [alice.address], after.revision]]);
    assert.deepEqual(await events[0]!.refresh(), [bob.address, carol.address].sort());
    assert.equal((await master.getMember(nwid, alice.address))?.authorized, false);
    assert.equal((await master.getMember(nwid, bob.address))?.authorized, true);
    assert.equal((await master.getMember(nwid, carol.address))?.authorized, true);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.ACCESS_DENIED);

    const audit = (await master.listAuditEntries({ nwid, address: alice.address })).at(-1)!;
    assert.equal(audit.actor, 'expiry');
    assert.equal(audit.action, 'memberDeauthorized');
    assert.deepEqual([audit.before, audit.after], [{ authorized: true }, { authorized: false }]);
  });

  test('a request seen moments ago counts, even before its sighting is written', async () => {
    const { master, tick } = await setup();
    const nwid = await master.createNetwork();
    await joined(master, nwid, alice);
    tick(2 * DAY);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.OK);
    const result = await master.pruneMembers(nwid, { notSeenFor: DAY });
    assert.deepEqual(result.addresses, []);
  });

  test('expiry runs by itself every memberExpiryInterval, and close() stops it', async () => {
    const { master, tick } = await setup({ memberExpiryInterval: 5 });
    const nwid = await master.createNetwork();
    await joined(master, nwid, alice);
    await master.setMemberExpiry(nwid, { notSeenFor: DAY });
    tick(DAY);
    const deadline = Date.now() + 5000;
    while ((await master.getMember(nwid, alice.address))!.authorized && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await master.getMember(nwid, alice.address))!.authorized, false);
    await master.close();
  });

  test('bad expiry policies and prune options are refused, nothing changed', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    for (const policy of [{ notSeenFor: 0 }, { notSeenFor: -5 }, { notSeenFor: 1.5 }, { notSeenFor: DAY, action: 'ban' }] as never[]) {
      await assert.rejects(master.setMemberExpiry(nwid, policy), InvalidArgumentError);
      await assert.rejects(master.pruneMembers(nwid, policy), InvalidArgumentError);
    }
    await assert.rejects(master.pruneMembers(nwid, { notSeenFor: DAY, dryRun: 'yes' as never }), InvalidArgumentError);
    assert.equal(await master.getMemberExpiry(nwid), null);
    await master.setMemberExpiry(nwid, { notSeenFor: DAY });
    await master.setMemberExpiry(nwid, null);
    assert.equal(await master.getMemberExpiry(nwid), null);
  });

  test('the delete action deletes members, releases their addresses and forgets nodes known to no network', async () => {
    const { master, tick, storage } = await setup();
    const nwid = await master.createNetwork({ ipPools: ['10.0.0.0/24'], v4AssignMode: 'zt' });
    const other = await master.createNetwork();
    await joined(master, nwid, alice);
    await joined(master, nwid, bob);
    await joined(master, other, bob);
    const aliceAddress = (await master.getMember(nwid, alice.address))!.ipAssignments;
    assert.equal(aliceAddress.length, 1);
    tick(8 * DAY);
    const dry = await master.pruneMembers(nwid, { notSeenFor: 7 * DAY, action: 'delete', dryRun: true });
    assert.deepEqual(dry, { nwid, action: 'delete', addresses: [alice.address, bob.address].sort(), forgottenNodes: [], dryRun: true });
    assert.equal((await master.listMembers(nwid)).length, 2, 'a dry run changes nothing');

    const result = await master.pruneMembers(nwid, { notSeenFor: 7 * DAY, action: 'delete' });
    assert.deepEqual(result.addresses, [alice.address, bob.address].sort());
    assert.deepEqual(result.forgottenNodes, [alice.address], 'bob is still a member of the other network');
    assert.deepEqual(await master.listMembers(nwid), []);
    assert.equal(await readWith(storage, (reader) => reader.getNode(alice.address)), undefined);
    assert.equal((await readWith(storage, (reader) => reader.getNode(bob.address)))?.address, bob.address);
    // alice's address is free again: carol may hold it.
    await joined(master, nwid, carol);
    await master.setIpAssignments(nwid, carol.address, aliceAddress);
    assert.deepEqual((await master.getMember(nwid, carol.address))!.ipAssignments, aliceAddress);
  });
});
