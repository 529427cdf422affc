import { test } from 'node:test';
import { access } from './support/sql-access.js';
import { backToVersion5 } from './support/schema-versions.js';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import type { Database } from 'sql.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { CURRENT_SCHEMA_VERSION, netconfSchema, openSqlJsStorage, type SqlNetconfStore } from '../src/storage/index.js';
import type { SqlReader } from '../src/storage/sqljs/engine.js';
import { NotANetconfDatabaseError, SchemaTooNewError } from '../src/errors.js';

const SEED = new URL('./fixtures/netconf-2015-original.db', import.meta.url);
const SQL = await initSqlJs();
const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'schema-migration-'));
}


function columnsOf(reader: SqlReader): Record<string, string[]> {
  const tables = reader
    .all(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .map((row) => String(row.name));
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    out[table] = reader.all(`SELECT name FROM pragma_table_info(?)`, [table]).map((row) => String(row.name)).sort();
  }
  return out;
}

function indexesOf(reader: SqlReader): string[] {
  return reader
    .all(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`)
    .map((row) => String(row.name));
}

function engineOf(storage: SqlNetconfStore) {
  return storage.engine;
}

test('check(): empty database → create; current → ok; 2015 file → version 1', () => {
  const empty = new SQL.Database();
  assert.deepEqual(netconfSchema.check(access(empty)), { needsMigration: true, fromVersion: null });
  netconfSchema.migrate(access(empty), 0);
  assert.deepEqual(netconfSchema.check(access(empty)), { needsMigration: false, fromVersion: CURRENT_SCHEMA_VERSION });
  assert.equal(access(empty).get(`SELECT v FROM Config WHERE k = 'schemaVersion'`)?.v, String(CURRENT_SCHEMA_VERSION));

  const seed = new SQL.Database(readFileSync(SEED));
  assert.deepEqual(netconfSchema.check(access(seed)), { needsMigration: true, fromVersion: 1 });
  empty.close();
  seed.close();
});

test('the 2015 schema migrated forward equals a database created new', () => {
  const fresh = new SQL.Database();
  netconfSchema.migrate(access(fresh), 0);
  const seed = new SQL.Database(readFileSync(SEED));
  netconfSchema.migrate(access(seed), 0);
  assert.deepEqual(columnsOf(access(seed)), columnsOf(access(fresh)));
  assert.deepEqual(indexesOf(access(seed)), indexesOf(access(fresh)));
  assert.ok(columnsOf(access(fresh)).MulticastRate?.includes('mgMac'));
  fresh.close();
  seed.close();
});

test('check() refuses foreign, damaged-schema and newer databases', () => {
  const foreign = new SQL.Database();
  foreign.run('CREATE TABLE Customer (id integer primary key, name text)');
  assert.throws(() => netconfSchema.check(access(foreign)), NotANetconfDatabaseError);

  const partial = new SQL.Database(readFileSync(SEED));
  partial.run('DROP TABLE Rule');
  assert.throws(() => netconfSchema.check(access(partial)), NotANetconfDatabaseError);

  const newer = new SQL.Database();
  netconfSchema.migrate(access(newer), 0);
  newer.run(`UPDATE Config SET v = ? WHERE k = 'schemaVersion'`, [String(CURRENT_SCHEMA_VERSION + 1)]);
  assert.throws(() => netconfSchema.check(access(newer)), SchemaTooNewError);

  const garbage = new SQL.Database();
  netconfSchema.migrate(access(garbage), 0);
  garbage.run(`UPDATE Config SET v = 'two' WHERE k = 'schemaVersion'`);
  assert.throws(() => netconfSchema.check(access(garbage)), NotANetconfDatabaseError);
  for (const db of [foreign, partial, newer, garbage]) db.close();
});

test('opening the 2015 file migrates it and keeps its data; the master then serves from it', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'netconf.db');
    copyFileSync(SEED, path);
    // Data in the reference's shape: a network at revision 0, a member with a cached config, an address, a pool.
    const nwid = masterIdentity.address + '000002';
    const member = ids[1]!;
    const legacy = new SQL.Database(readFileSync(path));
    legacy.run(`INSERT INTO Network (id, name, private, v4AssignMode, creationTime, revision) VALUES (?, 'old', 0, 'zt', 5, 0)`, [nwid]);
    legacy.run(`INSERT INTO Node (id, identity, lastSeen, firstSeen) VALUES (?, ?, 7, 7)`, [member.address, member.toString()]);
    legacy.run(`INSERT INTO Member (networkId, nodeId, authorized, cachedNetconf, cachedNetconfRevision) VALUES (?, ?, 1, x'00', 0)`, [nwid, member.address]);
    legacy.run(`INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits) VALUES (?, ?, '10.8.0.5', 24)`, [nwid, member.address]);
    legacy.run(`INSERT INTO IpAssignmentPool (networkId, ipNetwork, ipNetmaskBits) VALUES (?, '10.8.0.0', 24)`, [nwid]);
    legacy.run(`INSERT INTO Rule (networkId, etherType, "action") VALUES (?, 2048, 'accept')`, [nwid]);
    writeFileSync(path, legacy.export());
    legacy.close();

    const storage = await openSqlJsStorage({ path });
    const engine = engineOf(storage);
    assert.equal(engine.read((r) => r.get(`SELECT v FROM Config WHERE k = 'schemaVersion'`))?.v, String(CURRENT_SCHEMA_VERSION));
    const master = createNetconfMaster(storage, masterIdentity, { now: () => 1_800_000_000_000 });
    const network = await master.getNetwork(nwid);
    assert.equal(network?.revision, 1n);
    assert.equal(network?.comRevisionMaxDelta, 16n);
    assert.deepEqual(network?.ipPools, ['10.8.0.0/24']);
    assert.deepEqual(network?.etherTypes, [0x0800]);
    const before = await master.getMember(nwid, member.address);
    assert.deepEqual(before?.ipAssignments, ['10.8.0.5/24']);
    assert.equal(before?.name, '');

    const reply = await master.doNetworkConfigRequest({ identity: member, nwid });
    assert.equal(reply.code, ResultCode.OK);
    const config = NetworkConfig.fromDictionary(reply.netconf!);
    assert.deepEqual(config.staticIps, ['10.8.0.5/24']);
    assert.equal(config.name, 'old');
    await storage.close();

    // Reopened: already current, nothing to migrate, data still there.
    const again = await openSqlJsStorage({ path });
    assert.equal((await createNetconfMaster(again, masterIdentity).getMember(nwid, member.address))?.clientReportedRevision, 0n);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('opening a newer or a foreign database fails clearly and leaves the file unchanged', async () => {
  const dir = tempDir();
  try {
    const newerPath = join(dir, 'newer.db');
    const newer = new SQL.Database();
    netconfSchema.migrate(access(newer), 0);
    newer.run(`UPDATE Config SET v = '99' WHERE k = 'schemaVersion'`);
    writeFileSync(newerPath, newer.export());
    newer.close();
    const newerBytes = readFileSync(newerPath);
    await assert.rejects(openSqlJsStorage({ path: newerPath }), SchemaTooNewError);
    assert.deepEqual(readFileSync(newerPath), newerBytes);

    const foreignPath = join(dir, 'foreign.db');
    const foreign = new SQL.Database();
    foreign.run('CREATE TABLE Customer (id integer primary key, name text)');
    writeFileSync(foreignPath, foreign.export());
    foreign.close();
    const foreignBytes = readFileSync(foreignPath);
    await assert.rejects(openSqlJsStorage({ path: foreignPath }), NotANetconfDatabaseError);
    assert.deepEqual(readFileSync(foreignPath), foreignBytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the 2015 file migrated forward gets the revision triggers: a raw de-authorization raises by max delta + 1', () => {
  const fresh = new SQL.Database();
  netconfSchema.migrate(access(fresh), 0);
  const seed = new SQL.Database(readFileSync(SEED));
  netconfSchema.migrate(access(seed), 0);
  const triggers = (db: Database) =>
    access(db).all(`SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).map((row) => String(row.name));
  assert.deepEqual(triggers(seed), triggers(fresh));
  assert.ok(triggers(seed).includes('Member_authorized'));

  const db = access(seed);
  db.run(`INSERT INTO Network (id, name, revision, comRevisionMaxDelta) VALUES ('8056c2e21c000001', 'n', 5, 16)`);
  db.run(`INSERT INTO Member (networkId, nodeId, authorized) VALUES ('8056c2e21c000001', '1cf1e07ca5', 1)`);
  assert.equal(db.get(`SELECT revision FROM Network`)?.revision, 5);
  db.run(`UPDATE Member SET authorized = 0`);
  assert.equal(db.get(`SELECT revision FROM Network`)?.revision, 22);
  // Held: many changes in one transaction raise once, by the largest raise asked for.
  db.run(`BEGIN`);
  db.run(`INSERT INTO RevisionHold (networkId) VALUES ('8056c2e21c000001')`);
  db.run(`UPDATE Member SET authorized = 1`);
  db.run(`UPDATE Network SET name = 'm'`);
  db.run(`UPDATE Member SET authorized = 0`);
  db.run(`DELETE FROM RevisionHold`);
  db.run(`COMMIT`);
  assert.equal(db.get(`SELECT revision FROM Network`)?.revision, 22 + 17);
  fresh.close();
  seed.close();
});

test('version 5 on the 2015 file: MTU, DNS and routes raise the revision like other settings; node versions and names do not', () => {
  const seed = new SQL.Database(readFileSync(SEED));
  netconfSchema.migrate(access(seed), 0);
  const db = access(seed);
  assert.equal(db.get(`SELECT v FROM Config WHERE k = 'schemaVersion'`)?.v, String(CURRENT_SCHEMA_VERSION));
  db.run(`INSERT INTO Network (id, name, revision) VALUES ('8056c2e21c000001', 'n', 5)`);
  db.run(`INSERT INTO Node (id, identity) VALUES ('1cf1e07ca5', 'x')`);
  db.run(`INSERT INTO Member (networkId, nodeId, authorized) VALUES ('8056c2e21c000001', '1cf1e07ca5', 1)`);
  const revision = () => db.get(`SELECT revision FROM Network`)?.revision;
  assert.deepEqual(
    db.get(`SELECT mtu, dnsDomain, dnsServers FROM Network`),
    { mtu: 2800, dnsDomain: '', dnsServers: '' },
    'a network gets the defaults',
  );
  assert.deepEqual(db.get(`SELECT vMajor, vMinor, vRev, vProto FROM Node`), { vMajor: -1, vMinor: -1, vRev: -1, vProto: -1 });
  assert.equal(db.get(`SELECT noAutoAssignIps FROM Member`)?.noAutoAssignIps, 0);

  const steps: [string, number][] = [
    [`UPDATE Network SET mtu = 1500`, 1],
    [`UPDATE Network SET mtu = 1500`, 0],
    [`UPDATE Network SET dnsDomain = 'lab'`, 1],
    [`UPDATE Network SET dnsServers = '10.0.0.53'`, 1],
    [`INSERT INTO Route (networkId, target, targetBits, via) VALUES ('8056c2e21c000001', '10.0.0.0', 8, NULL)`, 1],
    [`UPDATE Route SET via = '10.0.0.1'`, 2], // without a hold, the old and the new row each raise (as for pools)
    [`DELETE FROM Route`, 1],
    [`INSERT INTO IpAssignmentPool (networkId, ipNetwork, ipNetmaskBits, ipRangeStart, ipRangeEnd) VALUES ('8056c2e21c000001', '10.0.0.5', 0, '10.0.0.5', '10.0.0.9')`, 1],
    [`UPDATE Member SET noAutoAssignIps = 1`, 1],
    [`UPDATE Node SET vMajor = 1, vMinor = 0, vRev = 3`, 0],
    [`UPDATE Member SET name = 'laptop'`, 0],
  ];
  for (const [sql, raise] of steps) {
    const before = revision() as number;
    db.run(sql);
    assert.equal(revision(), before + raise, sql);
  }
  seed.close();
});

test('a version 5 database migrates to version 6 keeping its pools, members and nodes', () => {
  const old = new SQL.Database();
  const oldWriter = access(old);
  netconfSchema.migrate(oldWriter, 0);
  backToVersion5((sql) => oldWriter.run(sql));
  oldWriter.run(`INSERT INTO Network (id, name, revision) VALUES ('8056c2e21c000001', 'n', 3)`);
  oldWriter.run(`INSERT INTO IpAssignmentPool (networkId, ipNetwork, ipNetmaskBits) VALUES ('8056c2e21c000001', '10.1.0.0', 16)`);
  oldWriter.run(`INSERT INTO Member (networkId, nodeId, authorized) VALUES ('8056c2e21c000001', '1cf1e07ca5', 1)`);
  assert.equal(netconfSchema.check(oldWriter).fromVersion, 5);
  netconfSchema.migrate(oldWriter, 0);
  assert.equal(netconfSchema.check(oldWriter).needsMigration, false);
  assert.deepEqual(oldWriter.get(`SELECT ipNetwork, ipNetmaskBits, ipRangeStart FROM IpAssignmentPool`), {
    ipNetwork: '10.1.0.0', ipNetmaskBits: 16, ipRangeStart: null,
  });
  assert.deepEqual(oldWriter.get(`SELECT revision, mtu FROM Network`), { revision: 4, mtu: 2800 }, 'revision 3 + the pool');
  assert.equal(oldWriter.get(`SELECT noAutoAssignIps FROM Member`)?.noAutoAssignIps, 0);
  oldWriter.run(`UPDATE Network SET mtu = 1400`);
  assert.equal(oldWriter.get(`SELECT revision FROM Network`)?.revision, 5, 'the trigger made again covers the new columns');
  old.close();
});
