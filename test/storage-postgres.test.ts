import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { NotANetconfDatabaseError, SchemaTooNewError } from '../src/errors.js';
import { openPostgresStorage } from '../src/storage/postgres/open.js';
import { StorageUnavailableError } from '../src/storage/postgres/pg-store.js';
import { startPostgres } from './support/postgres-server.js';
import { freshPostgresDatabase, postgresAvailable } from './support/postgres.js';

const skip = !postgresAvailable();

const NWID = 'deadbeef00000001';

function networkRow(id: string) {
  return {
    id, name: 'lab', description: '', private: true, enableBroadcast: true, allowPassiveBridging: false,
    v4AssignMode: 'zt' as const, v6AssignMode: 'none' as const, multicastLimit: 32, comRevisionMaxDelta: 16n,
    revision: 1n, creationTime: 1000,
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
  assert.deepEqual(rows, [{ v: '1' }]);
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
  await store.transaction((tx) => tx.insertNetwork(networkRow(NWID)));
  await store.transaction((tx) => tx.insertMember({
    networkId: NWID, address: '0102030405', authorized: true, activeBridge: false, name: '', notes: '',
    authorizedAt: 1, deauthorizedAt: null, clientReportedRevision: null,
  }));
  for (const value of [0n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n]) {
    await store.transaction((tx) => tx.updateMemberReportedRevision(NWID, '0102030405', value));
    const member = await store.read((reader) => reader.getMember(NWID, '0102030405'));
    assert.equal(member?.clientReportedRevision, value);
    await store.transaction((tx) => tx.setNetworkRevision(NWID, value));
    assert.equal((await store.read((reader) => reader.getNetwork(NWID)))?.revision, value);
  }
});

test('the first free address skips runs of held addresses in one lookup, for IPv4 and IPv6, and released addresses are free again', { skip }, async (t) => {
  const store = await openPostgresStorage({ connectionString: await freshPostgresDatabase(t) });
  t.after(() => store.close());
  await store.transaction((tx) => tx.insertNetwork(networkRow(NWID)));
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
      await store.transaction((tx) => tx.deleteAssignments(NWID, member));
      set.delete(address);
    } else {
      await store.transaction((tx) => tx.insertAssignment(NWID, member, { family, address, bits: family === 4 ? 24 : 88 }));
      set.add(address);
    }
    for (const from of [0n, 5n, 17n, 39n]) {
      let expected = base[family] + from;
      while (set.has(expected)) expected++;
      const found = await store.read((reader) => reader.firstFreeAddress(NWID, family, base[family] + from, base[family] + 1000n));
      assert.equal(found, expected, `family ${family} from ${from}`);
    }
  }
});

test('concurrent claims from two pools never hold an address twice, and every claim lands after retries', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const stores = [await openPostgresStorage({ connectionString: url }), await openPostgresStorage({ connectionString: url })];
  t.after(() => Promise.all(stores.map((store) => store.close())));
  await stores[0]!.transaction((tx) => tx.insertNetwork(networkRow(NWID)));
  const base = 0x0a000000n;
  const claims = Array.from({ length: 120 }, (_, i) => {
    const store = stores[i % 2]!;
    const member = `c${String(i).padStart(9, '0')}`;
    return store.transaction(async (tx) => {
      const free = await tx.firstFreeAddress(NWID, 4, base, base + 255n);
      assert.notEqual(free, null);
      await tx.insertAssignment(NWID, member, { family: 4, address: free!, bits: 24 });
      return free!;
    });
  });
  const addresses = await Promise.all(claims);
  assert.equal(new Set(addresses).size, 120);
  const held = await stores[1]!.read((reader) => reader.listAssignments(NWID));
  assert.equal(held.size, 120);
  assert.deepEqual([...addresses].sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: 120 }, (_, i) => base + BigInt(i)));
});

test('while the server is down a transaction rejects with a typed error, and the same storage works again once it is back', { skip }, async (t) => {
  // A server of this test's own, since it is shut down.
  const server = startPostgres({ port: 55_000 + (process.pid % 500) });
  t.after(() => server.stop());
  const store = await openPostgresStorage({ connectionString: server.url });
  t.after(() => store.close());
  await store.transaction((tx) => tx.insertNetwork(networkRow(NWID)));
  server.down();
  await assert.rejects(
    store.transaction((tx) => tx.setNetworkRevision(NWID, 5n)),
    (error: unknown) => error instanceof StorageUnavailableError && error.code === 'ERR_STORAGE_UNAVAILABLE',
  );
  await assert.rejects(store.read((reader) => reader.getNetwork(NWID)), StorageUnavailableError);
  server.up();
  await store.transaction((tx) => tx.setNetworkRevision(NWID, 5n));
  assert.equal((await store.read((reader) => reader.getNetwork(NWID)))?.revision, 5n);
});
