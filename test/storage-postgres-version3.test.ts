/**
 * PostgreSQL schema version 3 (join tokens, member expiry, the audit trail, the controller model)
 * behaves as SQLite's versions 5 and 6: the same revision raises for any writer, deletion with the
 * network, audit entries kept, and a join token's uses never exceeding maxUses under concurrency.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { openPostgresStorage } from '../src/storage/postgres/open.js';
import { ensurePostgresSchema } from '../src/storage/postgres/schema.js';
import { freshPostgresDatabase, postgresAvailable, readPg, transactPg } from './support/postgres.js';

const skip = !postgresAvailable();
const NWID = 'deadbeef00000003';

function networkRow(id: string) {
  return {
    id, name: 'lab', description: '', private: true, enableBroadcast: true, allowPassiveBridging: false,
    v4AssignMode: 'zt' as const, v6AssignMode: 'none' as const, multicastLimit: 32, comRevisionMaxDelta: 16n,
    mtu: 2800, dnsDomain: '', dnsServers: [], revision: 1n, creationTime: 1000,
  };
}

function member(address: string) {
  return {
    networkId: NWID, address, authorized: true, activeBridge: false, name: '', notes: '', authorizedAt: 1,
    deauthorizedAt: null, noAutoAssignIps: false, clientReportedRevision: null,
    lastAuthorizedCredentialType: 'api' as const, lastAuthorizedCredential: null,
  };
}

test('a version-2 database migrates to 3: members authorized before are recorded as admitted by api, or public on a public network', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.end());
  await ensurePostgresSchema(client, 2);
  await client.query(`INSERT INTO network (id, name, private) VALUES ($1, 'private', true), ('deadbeef00000004', 'public', false)`, [NWID]);
  await client.query(
    `INSERT INTO member (networkid, nodeid, authorized) VALUES ($1, '0102030405', true), ($1, '0102030406', false),
     ('deadbeef00000004', '0102030405', true)`,
    [NWID],
  );
  const store = await openPostgresStorage({ connectionString: url });
  t.after(() => store.close());
  const credential = async (nwid: string, address: string) =>
    (await readPg(store, (reader) => reader.getMember(nwid, address)))!.lastAuthorizedCredentialType;
  assert.equal(await credential(NWID, '0102030405'), 'api');
  assert.equal(await credential(NWID, '0102030406'), null);
  assert.equal(await credential('deadbeef00000004', '0102030405'), 'public');
  assert.equal((await readPg(store, (reader) => reader.getNetwork(NWID)))!.mtu, 2800);
});

test('routes, mtu, DNS and noAutoAssignIps raise the revision by 1 whoever writes them; a node version raises nothing', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const store = await openPostgresStorage({ connectionString: url });
  t.after(() => store.close());
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.end());
  await transactPg(store, async (tx) => {
    await tx.insertNetwork(networkRow(NWID));
    await tx.insertMember(member('0102030405'));
    await tx.insertNode({
      address: '0102030405', identity: 'x', lastAt: null, firstSeen: 1, lastSeen: 1,
      version: { major: -1, minor: -1, revision: -1, protocol: -1 },
    });
  });
  const revision = async () => (await readPg(store, (reader) => reader.getNetwork(NWID)))!.revision;
  const start = await revision();
  await transactPg(store, async (tx) => tx.setRoutes(NWID, [{ target: { family: 4, address: 0x0a000000n, bits: 8 }, via: null }]));
  assert.equal(await revision(), start + 1n);
  await client.query(`UPDATE network SET mtu = 1400 WHERE id = $1`, [NWID]);
  assert.equal(await revision(), start + 2n);
  await client.query(`UPDATE network SET dnsservers = '10.0.0.53', dnsdomain = 'lab.' WHERE id = $1`, [NWID]);
  assert.equal(await revision(), start + 3n);
  await client.query(`UPDATE member SET noautoassignips = true WHERE networkid = $1`, [NWID]);
  assert.equal(await revision(), start + 4n);
  await client.query(`UPDATE member SET lastauthorizedcredential = 'x' WHERE networkid = $1`, [NWID]);
  await client.query(`UPDATE node SET vmajor = 1 WHERE id = '0102030405'`);
  assert.equal(await revision(), start + 4n);
  const network = (await readPg(store, (reader) => reader.getNetwork(NWID)))!;
  assert.equal(network.mtu, 1400);
  assert.equal(network.dnsDomain, 'lab.');
  assert.deepEqual(network.dnsServers, [{ family: 4, address: 0x0a000035n }]);
  assert.deepEqual(await readPg(store, (reader) => reader.getRoutes(NWID)), [{ target: { family: 4, address: 0x0a000000n, bits: 8 }, via: null }]);
  // Held, several changes are one raise.
  await transactPg(store, async (tx) => {
    await tx.holdRevision(NWID);
    await tx.setRoutes(NWID, []);
    await tx.setPools(NWID, [{ family: 4, first: 0x0a000005n, last: 0x0a000009n, bits: null }]);
    await tx.releaseRevision(NWID);
  });
  assert.equal(await revision(), start + 5n);
  assert.deepEqual(await readPg(store, (reader) => reader.getPools(NWID)), [{ family: 4, first: 0x0a000005n, last: 0x0a000009n, bits: null }]);
});

test('deleting a network deletes its join tokens, expiry policy and routes, and keeps its audit entries', { skip }, async (t) => {
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  await transactPg(store, async (tx) => {
    await tx.insertNetwork(networkRow(NWID));
    await tx.setRoutes(NWID, [{ target: { family: 4, address: 0x0a000000n, bits: 8 }, via: null }]);
    await tx.insertJoinToken({
      id: '00000000000000aa', networkId: NWID, name: '', secretHash: new Uint8Array(32), createdAt: 1, expiresAt: null,
      maxUses: null, uses: 0, revoked: false,
    });
    await tx.setMemberExpiry(NWID, { notSeenFor: 1000, action: 'deauthorize' });
    await tx.insertAuditEntry({ time: 1, actor: 'cli', action: 'networkCreated', networkId: NWID, address: null, before: null, after: '{}' });
  });
  await transactPg(store, async (tx) => tx.deleteNetwork(NWID));
  // Made again under its ID: nothing of the old network comes back.
  await transactPg(store, async (tx) => tx.insertNetwork(networkRow(NWID)));
  assert.equal(await readPg(store, (reader) => reader.getJoinToken('00000000000000aa')), undefined);
  assert.deepEqual(await readPg(store, (reader) => reader.listMemberExpiries()), []);
  assert.deepEqual(await readPg(store, (reader) => reader.getRoutes(NWID)), []);
  assert.equal((await readPg(store, (reader) => reader.listAuditEntries({ nwid: NWID }))).length, 1);
});

test('concurrent spends of one join token never exceed maxUses', { skip }, async (t) => {
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t), maxConnections: 8 });
  t.after(() => store.close());
  await transactPg(store, async (tx) => {
    await tx.insertNetwork(networkRow(NWID));
    await tx.insertJoinToken({
      id: '00000000000000bb', networkId: NWID, name: '', secretHash: new Uint8Array(32), createdAt: 1, expiresAt: 100,
      maxUses: 5, uses: 0, revoked: false,
    });
  });
  const spent = await Promise.all(Array.from({ length: 24 }, () => transactPg(store, async (tx) => tx.spendJoinToken('00000000000000bb', 50))));
  assert.equal(spent.filter(Boolean).length, 5);
  assert.equal((await readPg(store, (reader) => reader.getJoinToken('00000000000000bb')))!.uses, 5);
  // Expired or revoked: nothing spent.
  await transactPg(store, async (tx) => tx.insertJoinToken({
    id: '00000000000000cc', networkId: NWID, name: '', secretHash: new Uint8Array(32), createdAt: 1, expiresAt: 100,
    maxUses: null, uses: 0, revoked: false,
  }));
  assert.equal(await transactPg(store, async (tx) => tx.spendJoinToken('00000000000000cc', 100)), false);
  assert.equal(await transactPg(store, async (tx) => tx.revokeJoinToken('00000000000000cc')), true);
  assert.equal(await transactPg(store, async (tx) => tx.revokeJoinToken('00000000000000cc')), false);
  assert.equal(await transactPg(store, async (tx) => tx.spendJoinToken('00000000000000cc', 50)), false);
});

test('audit pruning keeps the newest entries by count and drops those older than a time', { skip }, async (t) => {
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  await transactPg(store, async (tx) => {
    for (let time = 1; time <= 6; time++) {
      await tx.insertAuditEntry({ time, actor: 'cli', action: 'x', networkId: null, address: null, before: null, after: null });
    }
  });
  const times = async () => (await readPg(store, (reader) => reader.listAuditEntries({}))).map((entry) => entry.time);
  await transactPg(store, async (tx) => tx.pruneAuditEntries(null, 4));
  assert.deepEqual(await times(), [3, 4, 5, 6]);
  await transactPg(store, async (tx) => tx.pruneAuditEntries(5, null));
  assert.deepEqual(await times(), [5, 6]);
  assert.deepEqual((await readPg(store, (reader) => reader.listAuditEntries({ limit: 1 }))).map((entry) => entry.time), [6]);
  await transactPg(store, async (tx) => tx.pruneAuditEntries(null, 0));
  assert.deepEqual(await times(), []);
});
