import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { NotANetconfDatabaseError, SchemaTooNewError } from '../src/errors.js';
import { openPostgresStorage } from '../src/storage/postgres/open.js';
import { StorageContentionError, StorageUnavailableError } from '../src/storage/postgres/pg-errors.js';
import { startPostgres } from './support/postgres-server.js';
import { readWith } from './support/store-calls.js';
import { uint64ToPg } from '../src/storage/postgres/values.js';
import { ensurePostgresSchema } from '../src/storage/postgres/schema.js';
import { freshPostgresDatabase, postgresAvailable, readPg, transactPg } from './support/postgres.js';

const skip = !postgresAvailable();

const NWID = 'deadbeef00000001';

function networkRow(id: string) {
  return {
    id, name: 'lab', description: '', private: true, enableBroadcast: true, allowPassiveBridging: false,
    v4AssignMode: 'zt' as const, v6AssignMode: 'none' as const, multicastLimit: 32, comRevisionMaxDelta: 16n,
    mtu: 2800, dnsDomain: '', dnsServers: [], revision: 1n, creationTime: 1000,
  };
}

test('two processes opening one empty database at the same moment both succeed, and the schema is made once', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStorage({ connectionString: url })));
  for (const store of stores) await store.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = (await client.query(`SELECT v FROM config WHERE k = 'schemaVersion'`)).rows;
  await client.end();
  assert.deepEqual(rows, [{ v: '4' }]);
});

test('a database of another program, or of a newer version, is refused and left unchanged', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE accounts (id int)`);
  await assert.rejects(openPostgresStorage({ connectionString: url }), NotANetconfDatabaseError);
  await client.query(`DROP TABLE accounts`);
  const store = await openPostgresStorage({ connectionString: url });
  await store.close();
  await client.query(`UPDATE config SET v = '99' WHERE k = 'schemaVersion'`);
  await assert.rejects(openPostgresStorage({ connectionString: url }), SchemaTooNewError);
  assert.deepEqual((await client.query(`SELECT v FROM config WHERE k = 'schemaVersion'`)).rows, [{ v: '99' }]);
  await client.end();
});

test('uint64 revisions round-trip exactly, 2^63 and 2^64 - 1 included', { skip }, async (t) => {
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  await transactPg(store, async (tx) => tx.insertNetwork(networkRow(NWID)));
  await transactPg(store, async (tx) => tx.insertMember({
    networkId: NWID, address: '0102030405', authorized: true, activeBridge: false, name: '', notes: '',
    authorizedAt: 1, deauthorizedAt: null, noAutoAssignIps: false, clientReportedRevision: null,
    lastAuthorizedCredentialType: 'api', lastAuthorizedCredential: null,
  }));
  for (const value of [0n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n]) {
    await transactPg(store, async (tx) => tx.updateMemberReportedRevision(NWID, '0102030405', value));
    const member = await readPg(store, (reader) => reader.getMember(NWID, '0102030405'));
    assert.equal(member?.clientReportedRevision, value);
    await store.withClient((client) => client.query(`UPDATE network SET revision = $1 WHERE id = $2`, [uint64ToPg(value), NWID]));
    assert.equal((await readPg(store, (reader) => reader.getNetwork(NWID)))?.revision, value);
  }
});

test('the first free address skips runs of held addresses in one lookup, for IPv4 and IPv6, and released addresses are free again', { skip }, async (t) => {
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  await transactPg(store, async (tx) => tx.insertNetwork(networkRow(NWID)));
  // An oracle: the set of held addresses.
  const held = new Map<number, Set<bigint>>([[4, new Set()], [6, new Set()]]);
  const base = { 4: 0x0a000000n, 6: 0xfd00n << 112n } as const;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 40;
  for (let i = 0; i < 120; i++) {
    const family = (i % 2 === 0 ? 4 : 6) as 4 | 6;
    const address = base[family] + BigInt(random());
    const set = held.get(family)!;
    // One member per address, so releasing a member's addresses releases that address alone.
    const member = `${family}${String(address - base[family]).padStart(9, '0')}`;
    if (set.has(address)) {
      await transactPg(store, async (tx) => tx.deleteAssignments(NWID, member));
      set.delete(address);
    } else {
      await transactPg(store, async (tx) => tx.insertAssignment(NWID, member, { family, address, bits: family === 4 ? 24 : 88 }));
      set.add(address);
    }
    for (const from of [0n, 5n, 17n, 39n]) {
      let expected = base[family] + from;
      while (set.has(expected)) expected++;
      const found = await readPg(store, (reader) => reader.firstFreeAddress(NWID, family, base[family] + from, base[family] + 1000n));
      assert.equal(found, expected, `family ${family} from ${from}`);
    }
  }
});

test('concurrent claims from two pools never hold an address twice, and every claim lands after retries', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const stores = [await openPostgresStorage({ connectionString: url }), await openPostgresStorage({ connectionString: url })];
  t.after(() => Promise.all(stores.map((store) => store.close())));
  await transactPg(stores[0]!, async (tx) => tx.insertNetwork(networkRow(NWID)));
  const base = 0x0a000000n;
  const claims = Array.from({ length: 120 }, (_, i) => {
    const store = stores[i % 2]!;
    const member = `c${String(i).padStart(9, '0')}`;
    return transactPg(store, async (tx) => {
      const free = await tx.firstFreeAddress(NWID, 4, base, base + 255n);
      assert.notEqual(free, null);
      await tx.insertAssignment(NWID, member, { family: 4, address: free!, bits: 24 });
      return free!;
    });
  });
  const addresses = await Promise.all(claims);
  assert.equal(new Set(addresses).size, 120);
  const held = await readPg(stores[1]!, (reader) => reader.listAssignments(NWID));
  assert.equal(held.size, 120);
  assert.deepEqual([...addresses].sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: 120 }, (_, i) => base + BigInt(i)));
});

test('while the server is down a transaction rejects with a typed error, and the same storage works again once it is back', { skip }, async (t) => {
  // A server of this test's own, since it is shut down.
  const server = startPostgres({ port: 55_000 + (process.pid % 500) });
  t.after(() => server.stop());
  const store = await openPostgresStorage({ connectionString: server.url });
  t.after(() => store.close());
  await transactPg(store, async (tx) => tx.insertNetwork(networkRow(NWID)));
  server.down();
  await assert.rejects(
    transactPg(store, async (tx) => tx.updateNetworkRow(NWID, { ...networkRow(NWID), name: 'renamed' })),
    (error: unknown) => error instanceof StorageUnavailableError && error.code === 'ERR_STORAGE_UNAVAILABLE',
  );
  await assert.rejects(readPg(store, (reader) => reader.getNetwork(NWID)), StorageUnavailableError);
  server.up();
  // The listening connection comes back too: a change notified by another connection moves the generation.
  await transactPg(store, async (tx) => tx.updateNetworkRow(NWID, { ...networkRow(NWID), name: 'renamed' }));
  assert.equal((await readPg(store, (reader) => reader.getNetwork(NWID)))?.revision, 2n);
});

/** Every row of every netconf table of a SQLite image, as text, for exact comparison. */
async function imageRows(image: Uint8Array): Promise<Record<string, string[]>> {
  const { default: initSqlJs } = await import('sql.js');
  const SQL = await initSqlJs();
  const db = new SQL.Database(image);
  const rows: Record<string, string[]> = {};
  for (const table of ['Network', 'Node', 'Member', 'IpAssignment', 'IpAssignmentPool', 'Rule', 'MulticastRate', 'IpRun']) {
    const result = db.exec(`SELECT * FROM ${table}`);
    rows[table] = (result[0]?.values ?? []).map((row) => JSON.stringify(row.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))).sort();
  }
  db.close();
  return rows;
}

test('a database that began as the 2015 file moves into PostgreSQL and back into a SQLite image with every row equal', { skip }, async (t) => {
  const { readFileSync } = await import('node:fs');
  const { openSqlJsStorage } = await import('../src/storage/index.js');
  const { copySqliteImageToPostgres, sqliteImageFromPostgres } = await import('../src/storage/postgres/sqlite-image.js');
  // The 2015 file migrated to the current schema by sql.js: the reference for "every row".
  const original = readFileSync(new URL('./fixtures/netconf-2015-original.db', import.meta.url));
  const { createMemoryPersistence } = await import('../src/storage/sqljs/persistence/memory.js');
  const persistence = createMemoryPersistence();
  persistence.load = async () => ({ snapshot: new Uint8Array(original), records: [], logMatchesSnapshot: true });
  const local = await openSqlJsStorage({ persistence });
  // Rows of every table, through the sql.js store.
  const { createNetconfMaster } = await import('../src/master/index.js');
  const { Identity } = await import('../src/crypto/identity.js');
  const { TEST_IDENTITIES } = await import('../src/crypto/test-identities.js');
  const master = createNetconfMaster(local, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  const nwid = await master.createNetwork({ name: 'moved', v4AssignMode: 'zt', v6AssignMode: 'rfc4193', ipPools: ['10.1.0.0/24', '10.2.0.0/24'] });
  await master.updateNetwork(nwid, { multicastRates: [{ mac: '000000000000', adi: 0, preload: 1, maxBalance: 2, accrual: 3 }], etherTypes: [0x0800, 0x86dd] });
  for (const secret of TEST_IDENTITIES.slice(1, 4)) {
    const member = Identity.fromString(secret);
    await master.authorizeMember(nwid, member.address);
    await master.doNetworkConfigRequest({ identity: member, nwid, fromAddr: '192.0.2.1/9993', haveRevision: 0n });
  }
  await master.setMemberName(nwid, Identity.fromString(TEST_IDENTITIES[1]!).address, 'named');
  await master.close();
  await local.flush();
  const source = await local.backup();
  const expected = source;
  await local.close();

  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  const report = await copySqliteImageToPostgres(source, store);
  assert.equal(report.rows.network, 1);
  assert.equal(report.rows.member, 3);
  assert.deepEqual(report.skipped, {});
  const back = await sqliteImageFromPostgres(store);
  assert.deepEqual(await imageRows(back), await imageRows(expected));
  // A second copy into a database that is no longer empty is refused unless told.
  await assert.rejects(copySqliteImageToPostgres(source, store), /already holds/);
  await copySqliteImageToPostgres(back, store, { replace: true });
  assert.deepEqual(await imageRows(await sqliteImageFromPostgres(store)), await imageRows(expected));
});

test('an image of PostgreSQL keeps 64-bit values, flags, blobs and address runs exactly', { skip }, async (t) => {
  const { sqliteImageFromPostgres, copySqliteImageToPostgres } = await import('../src/storage/postgres/sqlite-image.js');
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  await transactPg(store, async (tx) => {
    await tx.insertNetwork({ ...networkRow(NWID), revision: (1n << 64n) - 2n });
    await tx.holdRevision(NWID);
    await tx.insertNode({
      address: '0102030405', identity: 'x', lastAt: '10.0.0.1/9993', firstSeen: 5, lastSeen: 6,
      version: { major: 1, minor: 2, revision: 3, protocol: 4 },
    });
    await tx.insertMember({
      networkId: NWID, address: '0102030405', authorized: true, activeBridge: true, name: 'n', notes: 'x',
      authorizedAt: 1, deauthorizedAt: null, noAutoAssignIps: true, clientReportedRevision: 1n << 63n,
      lastAuthorizedCredentialType: 'token', lastAuthorizedCredential: '00112233445566ff',
    });
    for (let i = 1; i <= 3; i++) await tx.insertAssignment(NWID, '0102030405', { family: 4, address: 0x0a000000n + BigInt(i), bits: 24 });
    await tx.insertAssignment(NWID, '0102030405', { family: 6, address: (0xfd00n << 112n) + 1n, bits: 88 });
    await tx.setPools(NWID, [
      { family: 4, first: 0x0a000001n, last: 0x0a0000fen, bits: 24 },
      { family: 4, first: 0x0b000005n, last: 0x0b000009n, bits: null },
    ]);
    await tx.setRoutes(NWID, [
      { target: { family: 4, address: 0x0a000000n, bits: 24 }, via: null },
      { target: { family: 4, address: 0n, bits: 0 }, via: { family: 4, address: 0x0a000001n } },
    ]);
    await tx.setAcceptedEtherTypes(NWID, [0x0800, 0x0806]);
    await tx.insertJoinToken({
      id: '00112233445566ff', networkId: NWID, name: 't', secretHash: new Uint8Array(32).fill(7), createdAt: 3,
      expiresAt: null, maxUses: 5, uses: 1, revoked: false,
    });
    await tx.setMemberExpiry(NWID, { notSeenFor: 60_000, action: 'delete' });
    await tx.insertAuditEntry({
      time: 9, actor: 'cli', action: 'memberAuthorized', networkId: NWID, address: '0102030405', before: '{}', after: null,
    });
    await tx.releaseRevision(NWID);
  });
  // The held changes raised the revision once, on its unsigned value: to 2^64 - 1.
  assert.equal((await readPg(store, (reader) => reader.getNetwork(NWID)))?.revision, (1n << 64n) - 1n);
  store.cacheNetconf(NWID, '0102030405', { bytes: new Uint8Array([0, 1, 255]), revision: (1n << 64n) - 1n, timestamp: 7 });
  await store.flush();
  const image = await sqliteImageFromPostgres(store);
  const rows = await imageRows(image);
  assert.equal(rows.IpRun!.length, 1, 'the three consecutive IPv4 addresses are one run in SQLite');
  const { openSqlJsStorage } = await import('../src/storage/index.js');
  const { createMemoryPersistence } = await import('../src/storage/sqljs/persistence/memory.js');
  const persistence = createMemoryPersistence();
  persistence.load = async () => ({ snapshot: image, records: [], logMatchesSnapshot: true });
  const local = await openSqlJsStorage({ persistence });
  t.after(() => local.close());
  const network = await readWith(local, (reader) => reader.getNetwork(NWID));
  assert.equal(network?.revision, (1n << 64n) - 1n);
  const member = await readWith(local, (reader) => reader.getMember(NWID, '0102030405'));
  assert.equal(member?.clientReportedRevision, 1n << 63n);
  assert.equal(member?.activeBridge, true);
  assert.equal(member?.noAutoAssignIps, true);
  assert.equal(member?.lastAuthorizedCredential, '00112233445566ff');
  assert.deepEqual((await readWith(local, (reader) => reader.getNode('0102030405')))?.version, { major: 1, minor: 2, revision: 3, protocol: 4 });
  assert.deepEqual(await readWith(local, (reader) => reader.getPools(NWID)), await readPg(store, (reader) => reader.getPools(NWID)));
  assert.deepEqual(await readWith(local, (reader) => reader.getRoutes(NWID)), await readPg(store, (reader) => reader.getRoutes(NWID)));
  assert.deepEqual(await readWith(local, (reader) => reader.listJoinTokens(NWID)), await readPg(store, (reader) => reader.listJoinTokens(NWID)));
  assert.equal((await readWith(local, (reader) => reader.listJoinTokens(NWID))).length, 1);
  assert.deepEqual(await readWith(local, (reader) => reader.getMemberExpiry(NWID)), { networkId: NWID, notSeenFor: 60_000, action: 'delete' });
  assert.deepEqual(
    await readWith(local, (reader) => reader.listAuditEntries({})),
    await readPg(store, (reader) => reader.listAuditEntries({})),
  );
  const cached = await readWith(local, (reader) => reader.getCachedNetconf(NWID, '0102030405', (1n << 64n) - 1n));
  assert.deepEqual([...cached!.bytes], [0, 1, 255]);
  // And back into an empty PostgreSQL database, unchanged.
  const again = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => again.close());
  await copySqliteImageToPostgres(image, again);
  assert.deepEqual(await imageRows(await sqliteImageFromPostgres(again)), rows);
});

test('a version-1 database migrates on open: its rows kept, and from then on the schema raises revisions', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // the database is dropped with its connections when the test ends
  await client.connect();
  t.after(() => client.end());
  await ensurePostgresSchema(client, 1);
  await client.query(`INSERT INTO network (id, name, revision, comrevisionmaxdelta) VALUES ($1, 'old', 7, 16)`, [NWID]);
  await client.query(`INSERT INTO member (networkid, nodeid, authorized) VALUES ($1, '0102030405', true)`, [NWID]);
  const store = await openPostgresStorage({ connectionString: url });
  t.after(() => store.close());
  assert.deepEqual((await client.query(`SELECT v FROM config WHERE k = 'schemaVersion'`)).rows, [{ v: '4' }]);
  assert.equal((await readPg(store, (reader) => reader.getNetwork(NWID)))?.revision, 7n);
  const revision = async () => (await readPg(store, (reader) => reader.getNetwork(NWID)))!.revision;
  // psql edits obey the rule too: a name raises nothing, a setting 1, a de-authorization the max delta + 1.
  await client.query(`UPDATE member SET name = 'x' WHERE nodeid = '0102030405'`);
  assert.equal(await revision(), 7n);
  await client.query(`UPDATE network SET multicastlimit = 5 WHERE id = $1`, [NWID]);
  assert.equal(await revision(), 8n);
  const sequence = await readPg(store, (reader) => reader.lastChangeSequence());
  await client.query(`UPDATE member SET authorized = false WHERE nodeid = '0102030405'`);
  assert.equal(await revision(), 25n);
  assert.deepEqual(await readPg(store, (reader) => reader.networksChangedSince(sequence)), [{ nwid: NWID, revision: 25n, changeSequence: sequence + 1 }]);
  // An automatic address raises nothing, one set by hand 1; deleting the network still moves the change sequence.
  await transactPg(store, async (tx) => tx.insertAssignment(NWID, '0102030405', { family: 4, address: 0x0a000001n, bits: 24 }, true));
  assert.equal(await revision(), 25n);
  await transactPg(store, async (tx) => tx.insertAssignment(NWID, '0102030405', { family: 4, address: 0x0a000002n, bits: 24 }));
  assert.equal(await revision(), 26n);
  const before = await readPg(store, (reader) => reader.lastChangeSequence());
  await transactPg(store, async (tx) => tx.deleteNetwork(NWID));
  assert.equal(await readPg(store, (reader) => reader.lastChangeSequence()), before + 1);
});

test('a network deleted by another process moves the generation at the very next request state read, and by notification', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const [writer, other] = [await openPostgresStorage({ connectionString: url }), await openPostgresStorage({ connectionString: url })];
  t.after(() => Promise.all([writer.close(), other.close()]));
  await transactPg(writer, async (tx) => tx.insertNetwork(networkRow(NWID)));
  await readPg(other, (reader) => reader.getRequestState(NWID, '0102030405'));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const start = other.generation;
  await transactPg(writer, async (tx) => tx.deleteNetwork(NWID));
  await transactPg(writer, async (tx) => tx.insertNetwork(networkRow(NWID)));
  // Same ID, same revision 1: only the generation tells the other store's caches they are stale.
  await readPg(other, (reader) => reader.getRequestState(NWID, '0102030405'));
  assert.notEqual(other.generation, start);
  const afterRead = other.generation;
  const deadline = Date.now() + 3000;
  await transactPg(writer, async (tx) => tx.deleteNetwork(NWID));
  while (other.generation === afterRead && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.notEqual(other.generation, afterRead, 'the notification moved it without any read');
});

test('a transaction cancelled by PostgreSQL runs again; one that keeps losing ends in StorageContentionError with nothing committed', { skip }, async (t) => {
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  let runs = 0;
  await transactPg(store, async (tx) => {
    runs++;
    await tx.insertNetwork(networkRow(NWID));
    if (runs === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
  });
  assert.equal(runs, 2);
  let attempts = 0;
  await assert.rejects(
    transactPg(store, async (tx) => {
      attempts++;
      await tx.updateNetworkRow(NWID, { ...networkRow(NWID), name: 'never' });
      throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
    }),
    (error: unknown) => error instanceof StorageContentionError && error.code === 'ERR_STORAGE_CONTENTION',
  );
  assert.equal(attempts, 12);
  assert.equal((await readPg(store, (reader) => reader.getNetwork(NWID)))?.name, 'lab');
});
