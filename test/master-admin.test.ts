import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWith } from './support/store-calls.js';
import { settled, settledAll } from './support/events.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { createNetconfMaster, ResultCode, type NetworkChangeEvent } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { forEachEngine, SQLJS, type Engine } from './support/engines.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../src/errors.js';

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob, carol] = [ids[1]!.publicOnly(), ids[2]!.publicOnly(), ids[3]!.publicOnly()];
const START = 1_800_000_000_000;

async function setupOn<S extends NetconfStore>(engine: Engine<S>, random = deterministicRandom('master-admin')) {
  const storage = await engine.open();
  let clock = START;
  const master = createNetconfMaster(storage, masterIdentity, { now: () => clock, random });
  const events: NetworkChangeEvent[] = [];
  const unsubscribe = master.subscribe((event) => events.push(event));
  return { storage, master, events, unsubscribe, tick: (ms = 1000) => (clock += ms) };
}

test('backup() is an SQLite image that opens as storage with the same state', async () => {
  const { storage, master } = await setupOn(SQLJS);
  const nwid = await master.createNetwork({ name: 'lab' });
  await master.authorizeMember(nwid, alice.address);
  const image = await master.backup();
  assert.equal(new TextDecoder().decode(image.subarray(0, 15)), 'SQLite format 3');
  await storage.close();
  const dir = mkdtempSync(join(tmpdir(), 'master-backup-'));
  try {
    writeFileSync(join(dir, 'restored.db'), image);
    const restored = await openSqlJsStorage({ path: join(dir, 'restored.db') });
    const again = createNetconfMaster(restored, masterIdentity);
    assert.equal((await again.getNetwork(nwid))?.name, 'lab');
    assert.equal((await again.getMember(nwid, alice.address))?.authorized, true);
    await restored.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

forEachEngine((engine) => {
  const setup = (random?: Parameters<typeof setupOn>[1]) => setupOn(engine, random);

  test('createNetwork: ID under the master address, defaults, settings read back', async () => {
    const { storage, master, events } = await setup();
    const nwid = await master.createNetwork();
    assert.match(nwid, /^[0-9a-f]{16}$/);
    assert.equal(nwid.slice(0, 10), masterIdentity.address);
    assert.deepEqual(await master.getNetwork(nwid), {
      id: nwid,
      name: '',
      description: '',
      private: true,
      enableBroadcast: true,
      allowPassiveBridging: false,
      v4AssignMode: 'none',
      v6AssignMode: 'none',
      ipPools: [],
      ipAssignmentPools: [],
      routes: [],
      dns: { domain: '', servers: [] },
      mtu: 2800,
      etherTypes: [0x0800, 0x0806, 0x86dd],
      multicastLimit: 32,
      multicastRates: [],
      comRevisionMaxDelta: 16n,
      revision: 1n,
      creationTime: START,
    });
    assert.deepEqual(await settledAll(events), [{ type: 'networkCreated', nwid, revision: 1n, refresh: [] }]);

    const lab = await master.createNetwork({
      name: 'lab',
      description: 'd',
      private: false,
      v4AssignMode: 'zt',
      v6AssignMode: 'rfc4193',
      ipPools: ['10.1.2.3/24', 'fd00::/64', '10.1.2.0/24'],
      etherTypes: [0],
      comRevisionMaxDelta: 4,
    });
    const info = await master.getNetwork(BigInt('0x' + lab));
    assert.deepEqual(info?.ipPools, ['10.1.2.0/24', 'fd00:0000:0000:0000:0000:0000:0000:0000/64']);
    assert.deepEqual(info?.etherTypes, [0]);
    assert.equal(info?.comRevisionMaxDelta, 4n);
    assert.deepEqual((await master.listNetworks()).map((n) => n.id).sort(), [nwid, lab].sort());
    assert.equal(await master.getNetwork(masterIdentity.address + '000000' === nwid ? masterIdentity.address + '000001' : masterIdentity.address + '000000'), null);
    await storage.close();
  });

  test('createNetwork: a random number that is taken falls back to the next free one', async () => {
    const { storage, master } = await setup(() => new Uint8Array([0xab, 0xcd, 0xef]));
    const first = await master.createNetwork();
    const second = await master.createNetwork();
    const third = await master.createNetwork();
    assert.equal(first, masterIdentity.address + 'abcdef');
    assert.equal(second, masterIdentity.address + 'abcdf0');
    assert.equal(third, masterIdentity.address + 'abcdf1');
    await storage.close();
  });

  test('every change to a config raises the revision and lists the members to refresh', async () => {
    const { storage, master, events, tick } = await setup();
    const nwid = await master.createNetwork({ name: 'lab', private: false, v4AssignMode: 'zt', ipPools: ['10.9.0.0/16'] });
    for (const member of [alice, bob]) {
      assert.equal((await master.doNetworkConfigRequest({ identity: member, nwid })).code, ResultCode.OK);
      await master.doNetworkConfigRequest({ identity: member, nwid, haveRevision: 1n }); // reports revision 1
    }
    assert.deepEqual(await master.membersToRefresh(nwid), []);
    events.length = 0;

    const steps: Array<[string, () => Promise<void>, bigint]> = [
      ['updateNetwork', () => master.updateNetwork(nwid, { multicastLimit: 64 }), 1n],
      ['addIpPool', () => master.addIpPool(nwid, '10.10.0.0/16'), 1n],
      ['removeIpPool', () => master.removeIpPool(nwid, '10.10.0.0/16'), 1n],
      ['setActiveBridge', () => master.setActiveBridge(nwid, bob.address, true), 1n],
      ['setIpAssignments', () => master.setIpAssignments(nwid, bob.address, ['10.9.9.9/16']), 1n],
      // A pre-authorized member that never reported a revision is a refresh target too. Creating it
      // changes no one's config (it has none yet, and is no active bridge): no raise.
      ['authorizeMember (pre-authorization)', () => master.authorizeMember(nwid, carol.address), 0n],
      ['deauthorizeMember', () => master.deauthorizeMember(nwid, carol.address), 17n],
      ['deleteMember', () => master.deleteMember(nwid, carol.address), 1n],
    ];
    let revision = 1n;
    for (const [name, run, raise] of steps) {
      tick();
      await run();
      revision += raise;
      assert.equal((await master.getNetwork(nwid))?.revision, revision, name);
      const event = events.at(-1)!;
      assert.equal(event.revision, revision, name);
      assert.equal(event.nwid, nwid);
      const expected = [alice.address, bob.address, ...(name.startsWith('authorize') ? [carol.address] : [])].sort();
      assert.deepEqual(await event.refresh(), expected, name);
      assert.deepEqual(await master.membersToRefresh(nwid), expected, name);
    }
    assert.deepEqual(
      events.map((e) => e.type),
      ['networkUpdated', 'networkUpdated', 'networkUpdated', 'activeBridgeChanged', 'ipAssignmentsChanged',
        'memberAuthorized', 'memberDeauthorized', 'memberDeleted'],
    );

    // Once a member reports the current revision it drops off the list.
    await master.doNetworkConfigRequest({ identity: alice, nwid, haveRevision: revision });
    assert.deepEqual(await master.membersToRefresh(nwid), [bob.address]);
    await storage.close();
  });

  test('changes that alter nothing leave the revision alone; names and notes do not raise it', async () => {
    const { storage, master, events } = await setup();
    const nwid = await master.createNetwork({ name: 'lab' });
    await master.authorizeMember(nwid, alice.address);
    const revision = (await master.getNetwork(nwid))!.revision;
    events.length = 0;
    await master.updateNetwork(nwid, { name: 'lab', etherTypes: [0x86dd, 0x0800, 0x0806] });
    await master.authorizeMember(nwid, alice.address);
    await master.setActiveBridge(nwid, alice.address, false);
    await master.setIpAssignments(nwid, alice.address, []);
    assert.equal((await master.getNetwork(nwid))!.revision, revision);
    assert.equal(events.length, 0);

    await master.setMemberName(nwid, alice.address, 'Alice’s laptop');
    await master.setMemberNotes(nwid, alice.address, 'desk 4');
    await master.updateMember(nwid, alice.address, { name: 'laptop' });
    assert.equal((await master.getNetwork(nwid))!.revision, revision);
    const member = await master.getMember(nwid, alice.address);
    assert.equal(member?.name, 'laptop');
    assert.equal(member?.notes, 'desk 4');
    assert.deepEqual(events.map((e) => e.type), ['memberUpdated', 'memberUpdated', 'memberUpdated']);
    await storage.close();
  });

  test('member records: authorization times, node tracking, addresses; delete releases addresses', async () => {
    const { storage, master, tick } = await setup();
    const nwid = await master.createNetwork({ private: true, v4AssignMode: 'zt', ipPools: ['10.0.0.0/24'] });
    tick();
    await master.authorizeMember(nwid, alice.address);
    const preauthorized = await master.getMember(nwid, alice.address);
    assert.equal(preauthorized?.authorizedAt, START + 1000);
    assert.equal(preauthorized?.identity, null, 'not seen yet');
    tick();
    await master.doNetworkConfigRequest({ identity: alice, nwid, fromAddr: '192.0.2.1/9993' });
    const seen = await master.getMember(nwid, alice.address);
    assert.equal(seen?.identity, alice.toString());
    assert.equal(seen?.firstSeen, START + 2000);
    assert.equal(seen?.lastAt, '192.0.2.1/9993');
    assert.equal(seen?.ipAssignments.length, 1);
    const address = seen!.ipAssignments[0]!;

    tick();
    await master.deauthorizeMember(nwid, alice.address);
    assert.equal((await master.getMember(nwid, alice.address))?.deauthorizedAt, START + 3000);
    await master.authorizeMember(nwid, bob.address); // admin calls other than (de)authorization need a known member
    await master.setIpAssignments(nwid, bob.address, []);
    await assert.rejects(master.setIpAssignments(nwid, bob.address, [address]), ConflictError);
    await master.deleteMember(nwid, alice.address);
    assert.equal(await master.getMember(nwid, alice.address), null);
    await master.setIpAssignments(nwid, bob.address, [address]);
    assert.deepEqual((await master.getMember(nwid, bob.address))?.ipAssignments, [address]);
    assert.deepEqual((await master.listMembers(nwid)).map((m) => m.address), [bob.address]);
    await storage.close();
  });

  test('deleteNetwork removes the network with its members, pools, rules and rates', async () => {
    const { storage, master, events } = await setup();
    const nwid = await master.createNetwork({
      private: false,
      v4AssignMode: 'zt',
      ipPools: ['10.0.0.0/24'],
      multicastRates: [{ mac: '000000000000', adi: 0, preload: 1, maxBalance: 2, accrual: 3 }],
    });
    await master.doNetworkConfigRequest({ identity: alice, nwid });
    await master.deleteNetwork(nwid);
    assert.equal(await master.getNetwork(nwid), null);
    assert.deepEqual(await settled(events.at(-1)!), { type: 'networkDeleted', nwid, revision: 1n, refresh: [alice.address] });
    const leftovers = [
      (await readWith(storage, (r) => r.listMembers(nwid))).length, (await readWith(storage, (r) => r.getPools(nwid))).length,
      (await readWith(storage, (r) => r.getAcceptedEtherTypes(nwid))).length,
      (await readWith(storage, (r) => r.getMulticastRates(nwid))).length, (await readWith(storage, (r) => r.listAssignments(nwid))).size,
    ];
    assert.deepEqual(leftovers, [0, 0, 0, 0, 0]);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.OBJECT_NOT_FOUND);
    await assert.rejects(master.deleteNetwork(nwid), NotFoundError);
    await storage.close();
  });

  test('bad input: a typed error and nothing changed', async () => {
    const { storage, master, events } = await setup();
    const nwid = await master.createNetwork({ name: 'lab', v4AssignMode: 'zt', ipPools: ['10.0.0.0/24'] });
    await master.authorizeMembers(nwid, [alice.address, bob.address]);
    await master.setIpAssignments(nwid, alice.address, ['10.0.0.5/24']);
    const missing = nwid.slice(0, 10) + (nwid.slice(10) === '000001' ? '000002' : '000001');
    const before = await storage.backup();
    events.length = 0;

    const invalid: Array<[string, () => Promise<unknown>]> = [
      ['unknown setting', () => master.updateNetwork(nwid, { colour: 'red' } as never)],
      ['name too long', () => master.updateNetwork(nwid, { name: 'x'.repeat(129) })],
      ['name not text', () => master.updateNetwork(nwid, { name: 5 as never })],
      ['bad assign mode', () => master.updateNetwork(nwid, { v4AssignMode: 'static' as never })],
      ['pool not CIDR', () => master.updateNetwork(nwid, { ipPools: ['10.0.0.0'] })],
      ['pool malformed', () => master.updateNetwork(nwid, { ipPools: ['10.0.0.300/24'] })],
      ['pool too small', () => master.addIpPool(nwid, '10.0.0.0/31')],
      ['ether type range', () => master.updateNetwork(nwid, { etherTypes: [0x10000] })],
      ['multicast mac', () => master.updateNetwork(nwid, { multicastRates: [{ mac: 'zz', adi: 0, preload: 1, maxBalance: 1, accrual: 1 }] })],
      ['max delta', () => master.updateNetwork(nwid, { comRevisionMaxDelta: -1 })],
      ['bad nwid', () => master.updateNetwork('xyz', { name: 'a' })],
      ['bad address', () => master.authorizeMember(nwid, 'abc')],
      ['reserved address', () => master.authorizeMember(nwid, 'ff00000001')],
      ['bad CIDR', () => master.setIpAssignments(nwid, bob.address, ['10.0.0.1/33'])],
      ['not an address', () => master.setIpAssignments(nwid, bob.address, ['banana'])],
      ['address twice', () => master.setIpAssignments(nwid, bob.address, ['10.0.0.7/24', '10.0.0.7/32'])],
      ['member name too long', () => master.setMemberName(nwid, alice.address, 'é'.repeat(65))],
      ['unknown member field', () => master.updateMember(nwid, alice.address, { colour: 'red' } as never)],
      ['active bridge flag', () => master.setActiveBridge(nwid, alice.address, 'yes' as never)],
    ];
    for (const [name, run] of invalid) await assert.rejects(run(), InvalidArgumentError, name);

    await assert.rejects(master.setIpAssignments(nwid, bob.address, ['10.0.0.9/24', '10.0.0.5/24']), ConflictError);
    for (const run of [
      () => master.updateNetwork(missing, { name: 'a' }),
      () => master.authorizeMember(missing, alice.address),
      () => master.listMembers(missing),
      () => master.membersToRefresh(missing),
      () => master.deleteMember(nwid, carol.address),
      () => master.removeIpPool(nwid, '10.1.0.0/24'),
    ]) {
      await assert.rejects(run(), NotFoundError);
    }
    assert.deepEqual(await storage.backup(), before);
    assert.deepEqual(events, []);
    await storage.close();
  });
});
