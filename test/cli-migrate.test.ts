/**
 * `zt-netconf-master migrate`, run in-process through `main(args, io)` between a durable SQLite
 * file and a real PostgreSQL database, both ways: every row of every moved table compared, a
 * non-empty target refused unchanged unless --replace, a locked source refused with the lock message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { main } from '../src/cli/main.js';
import { ExitCode } from '../src/cli/exit-codes.js';
import { redactConnectionString } from '../src/cli/commands/migrate.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster } from '../src/master/index.js';
import { parseIp } from '../src/protocol/ip.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { freshPostgresDatabase, postgresAvailable } from './support/postgres.js';

const skip = !postgresAvailable();

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (text) => (out += text), err: (text) => (err += text), errIsTty: false });
  return { code, out, err };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-migrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A database file holding every kind of row: networks with pools, rules and rates, members with netconfs and addresses, nodes. */
async function populatedDatabase(path: string): Promise<void> {
  const storage = await openSqlJsStorage({ path });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  const first = await master.createNetwork({ name: 'first', v4AssignMode: 'zt', v6AssignMode: 'rfc4193', ipPools: ['10.1.0.0/24', '10.2.0.0/24'] });
  await master.updateNetwork(first, {
    multicastRates: [{ mac: '000000000000', adi: 0, preload: 1, maxBalance: 2, accrual: 3 }, { mac: 'ffffffffffff', adi: 4294967295, preload: 5, maxBalance: 6, accrual: 7 }],
    etherTypes: [0x0800, 0x86dd, 0x0806],
  });
  const second = await master.createNetwork({ name: 'second', private: false, v4AssignMode: 'zt', ipPools: ['10.9.0.0/24', 'fd00::/120'] });
  for (const [index, secret] of TEST_IDENTITIES.slice(1, 5).entries()) {
    const member = Identity.fromString(secret);
    await master.authorizeMember(first, member.address);
    await master.doNetworkConfigRequest({ identity: member, nwid: first, fromAddr: `192.0.2.${index + 1}/9993`, haveRevision: 0n });
    await master.doNetworkConfigRequest({ identity: member, nwid: second, fromAddr: null, haveRevision: 0n });
  }
  const named = Identity.fromString(TEST_IDENTITIES[1]!).address;
  await master.setMemberName(first, named, 'named – ünïcode');
  await master.deauthorizeMember(first, Identity.fromString(TEST_IDENTITIES[2]!).address);
  // Addresses an administrator set (not automatic), IPv6 included, beside those the requests claimed.
  await master.createJoinToken(first, { name: 'ci runners', maxUses: 3 });
  await master.setIpAssignments(second, Identity.fromString(TEST_IDENTITIES[3]!).address, ['10.9.0.200/24', 'fd00::c8/120']);
  await master.close();
  await storage.close();
}

/**
 * The moved tables (PostgreSQL's names; SQLite's differ in case only), compared on every column the
 * two schemas share, ip addresses apart. Each side's change counter and PostgreSQL's pool order key
 * are its own.
 */
const TABLES = ['network', 'node', 'member', 'ipassignmentpool', 'route', 'rule', 'multicastrate', 'jointoken', 'memberexpiry', 'auditentry'];
const OWN_COLUMNS = new Set(['changesequence', 'position']);

/** Every shared column of every moved table, read from both schemas. */
async function sharedColumns(url: string, sqlitePath: string): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const pgColumns = (await client.query<{ t: string; c: string }>(
    `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' ORDER BY ordinal_position`,
  )).rows;
  await client.end();
  const storage = await openSqlJsStorage({ path: sqlitePath });
  try {
    return storage.engine.read((reader) => Object.fromEntries(TABLES.map((table) => {
      const sqlite = new Set(reader.all(`PRAGMA table_info(${table})`).map((row) => String(row.name).toLowerCase()));
      return [table, pgColumns.filter((row) => row.t === table && sqlite.has(row.c) && !OWN_COLUMNS.has(row.c)).map((row) => row.c)];
    })));
  } finally {
    await storage.close();
  }
}

type Rows = Record<string, string[]>;

function normal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return String(value);
}

/** Every row of every moved table of a SQLite database file, as sorted text. */
async function sqliteRows(path: string, columnsOf: Record<string, string[]>): Promise<Rows> {
  const storage = await openSqlJsStorage({ path });
  try {
    return storage.engine.read((reader) => {
      const rows: Rows = {};
      for (const [table, columns] of Object.entries(columnsOf)) {
        // Integers as text, so 64-bit values compare exactly; blobs as hex.
        const select = columns.map((c) => `CASE typeof(${c}) WHEN 'integer' THEN CAST(${c} AS TEXT) WHEN 'blob' THEN lower(hex(${c})) ELSE ${c} END AS ${c}`);
        rows[table] = reader.all(`SELECT ${select.join(', ')} FROM ${table}`).map((row) => JSON.stringify(columns.map((c) => normal(row[c])))).sort();
      }
      rows.ipassignment = reader.all(`SELECT networkId, nodeId, ip, ipNetmaskBits, automatic FROM IpAssignment`).map((row) => {
        const ip = parseIp(String(row.ip));
        return JSON.stringify([row.networkId, row.nodeId, String(ip.family), String(ip.address), String(row.ipNetmaskBits), String(row.automatic)]);
      }).sort();
      return rows;
    });
  } finally {
    await storage.close();
  }
}

/** Every row of every moved table of a PostgreSQL netconf database, in the same form. */
async function postgresRows(url: string, columnsOf: Record<string, string[]>): Promise<Rows> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows: Rows = {};
    for (const [table, columns] of Object.entries(columnsOf)) {
      const result = await client.query(`SELECT ${columns.map((c) => `${c}::text AS ${c}`).join(', ')}, ${columns.map((c, i) => `pg_typeof(${c})::text AS t${i}`).join(', ')} FROM ${table}`);
      rows[table] = result.rows.map((row: Record<string, string | null>) => JSON.stringify(columns.map((c, i) => {
        const value = row[c] ?? null;
        if (value === null) return 'null';
        if (row[`t${i}`] === 'boolean') return value === 'true' ? '1' : '0';
        if (row[`t${i}`] === 'bytea') return value.replace(/^\\x/, '');
        return value;
      }))).sort();
    }
    rows.ipassignment = (await client.query(`SELECT networkid, nodeid, ipversion::text AS v, ipint::text AS a, ipnetmaskbits::text AS b, automatic::int::text AS m FROM ipassignment`))
      .rows.map((row: Record<string, string>) => JSON.stringify([row.networkid, row.nodeid, row.v, row.a, row.b, row.m])).sort();
    return rows;
  } finally {
    await client.end();
  }
}

function count(rows: Rows): Record<string, number> {
  return Object.fromEntries(Object.entries(rows).map(([table, list]) => [table, list.length]));
}

test('a database file moves into PostgreSQL and back into a new file through the CLI with every row of every table equal', { skip }, async (t) => {
  const dir = tempDir(t);
  const source = join(dir, 'netconf.db');
  await populatedDatabase(source);
  const url = await freshPostgresDatabase(t);
  const there = await cli('--json', 'migrate', '--from', source, '--to', url);
  assert.equal(there.code, ExitCode.OK, there.err);
  assert.equal(there.err, '', '--json keeps stderr quiet');
  const columns = await sharedColumns(url, source);
  assert.ok(columns.member!.length >= 12 && columns.network!.length >= 11, 'the columns of both schemas are compared');
  const expected = await sqliteRows(source, columns);
  assert.ok(expected.member!.length >= 8 && expected.ipassignment!.length >= 8 && expected.rule!.length >= 4, 'the source holds rows of every kind');
  assert.ok(expected.ipassignment!.some((row) => row.endsWith(',"0"]')) && expected.ipassignment!.some((row) => row.endsWith(',"1"]')), 'automatic and set addresses');
  assert.ok(expected.ipassignment!.some((row) => row.includes('"6"')), 'an IPv6 address');
  const report = JSON.parse(there.out) as { rows: Record<string, number>; skipped: Record<string, number>; replaced: boolean };
  assert.deepEqual(report.skipped, {});
  assert.equal(report.replaced, false);
  const inPostgres = await postgresRows(url, columns);
  assert.deepEqual(inPostgres, expected);
  assert.deepEqual(report.rows, count(expected));

  const back = join(dir, 'back.db');
  const home = await cli('--json', 'migrate', '--from', url, '--to', back);
  assert.equal(home.code, ExitCode.OK, home.err);
  assert.deepEqual(JSON.parse(home.out).rows, count(expected));
  assert.deepEqual(await sqliteRows(back, columns), expected);
  // The file written is a master's database: it opens and serves the moved network.
  const storage = await openSqlJsStorage({ path: back });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  assert.equal((await master.listNetworks()).length, 2);
  await master.close();
  await storage.close();
});

test('a PostgreSQL database that holds networks is refused unchanged without --replace, and replaced with it', { skip }, async (t) => {
  const dir = tempDir(t);
  const source = join(dir, 'netconf.db');
  await populatedDatabase(source);
  const url = await freshPostgresDatabase(t);
  assert.equal((await cli('migrate', '--from', source, '--to', url)).code, ExitCode.OK);
  const columns = await sharedColumns(url, source);
  const before = await postgresRows(url, columns);

  // A different source: one network only.
  const other = join(dir, 'other.db');
  const storage = await openSqlJsStorage({ path: other });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  await master.createNetwork({ name: 'only' });
  await master.close();
  await storage.close();

  const refused = await cli('--json', 'migrate', '--from', other, '--to', url);
  assert.equal(refused.code, ExitCode.BAD_INPUT);
  assert.equal(JSON.parse(refused.err).error.code, 'ERR_TARGET_NOT_EMPTY');
  assert.match(JSON.parse(refused.err).error.message, /--replace/);
  assert.equal(refused.out, '');
  assert.deepEqual(await postgresRows(url, columns), before);

  const replaced = await cli('--json', 'migrate', '--from', other, '--to', url, '--replace');
  assert.equal(replaced.code, ExitCode.OK, replaced.err);
  assert.equal(JSON.parse(replaced.out).replaced, true);
  assert.deepEqual(await postgresRows(url, columns), await sqliteRows(other, columns));
});

test('a SQLite file that holds networks is refused unchanged as a target without --replace, and replaced with it', { skip }, async (t) => {
  const dir = tempDir(t);
  const source = join(dir, 'netconf.db');
  await populatedDatabase(source);
  const url = await freshPostgresDatabase(t);
  assert.equal((await cli('migrate', '--from', source, '--to', url)).code, ExitCode.OK);
  const columns = await sharedColumns(url, source);

  const target = join(dir, 'target.db');
  const storage = await openSqlJsStorage({ path: target });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  await master.createNetwork({ name: 'keep me' });
  await master.close();
  await storage.close();
  const before = await sqliteRows(target, columns);

  const refused = await cli('migrate', '--from', url, '--to', target);
  assert.equal(refused.code, ExitCode.BAD_INPUT);
  assert.match(refused.err, /already holds networks or nodes.*--replace/);
  assert.deepEqual(await sqliteRows(target, columns), before);

  // A file that is not a netconf database is not overwritten either.
  const stranger = join(dir, 'notes.txt');
  writeFileSync(stranger, 'my notes\n');
  assert.equal((await cli('migrate', '--from', url, '--to', stranger)).code, ExitCode.BAD_INPUT);
  assert.equal(readFileSync(stranger, 'utf8'), 'my notes\n');

  const replaced = await cli('migrate', '--from', url, '--to', target, '--replace');
  assert.equal(replaced.code, ExitCode.OK, replaced.err);
  assert.match(replaced.out, /replacing what it held\); rows: network 2, node 4, member 8, ipassignment \d+, ipassignmentpool 4, rule \d+, multicastrate 2, route \d+, jointoken \d+, memberexpiry \d+, auditentry \d+\n$/);
  assert.deepEqual(await sqliteRows(target, columns), await sqliteRows(source, columns));
});

test('a database file held by a running master is refused with the lock message, and PostgreSQL is left empty', { skip }, async (t) => {
  const dir = tempDir(t);
  const source = join(dir, 'netconf.db');
  await populatedDatabase(source);
  const url = await freshPostgresDatabase(t);
  const running = await openSqlJsStorage({ path: source });
  t.after(() => running.close());

  const refused = await cli('--json', 'migrate', '--from', source, '--to', url);
  assert.equal(refused.code, ExitCode.STORAGE);
  const error = JSON.parse(refused.err).error;
  assert.equal(error.code, 'ERR_DB_LOCKED');
  assert.match(error.message, /in use by process/);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Nothing was created there, not even the schema.
  const tables = (await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).rows[0].n;
  await client.end();
  assert.equal(tables, 0);
});

test('migrate needs exactly one PostgreSQL side, refuses --url, and a missing source file is a storage error', async (t) => {
  const dir = tempDir(t);
  const bothFiles = await cli('migrate', '--from', join(dir, 'a.db'), '--to', join(dir, 'b.db'));
  assert.equal(bothFiles.code, ExitCode.BAD_INPUT);
  assert.match(bothFiles.err, /backup and restore/);
  const bothServers = await cli('migrate', '--from', 'postgres://a/x', '--to', 'postgresql://b/y');
  assert.equal(bothServers.code, ExitCode.BAD_INPUT);
  assert.equal((await cli('--url', 'http://127.0.0.1:1', 'migrate', '--from', 'x.db', '--to', 'postgres://a/x')).code, ExitCode.BAD_INPUT);
  assert.equal((await cli('migrate', '--to', 'postgres://a/x')).code, ExitCode.BAD_INPUT);
  const missing = await cli('migrate', '--from', join(dir, 'absent.db'), '--to', 'postgres://127.0.0.1:1/x');
  assert.equal(missing.code, ExitCode.STORAGE);
  assert.match(missing.err, /does not exist/);
});

test('a connection string is printed without its password', () => {
  assert.equal(redactConnectionString('postgres://netconf:s3cret@db.example:5432/netconf'), 'postgres://netconf:***@db.example:5432/netconf');
  assert.equal(redactConnectionString('postgresql://netconf@db.example/netconf'), 'postgresql://netconf@db.example/netconf');
  assert.equal(redactConnectionString('postgresql:///netconf?host=/run/postgresql'), 'postgresql:///netconf?host=/run/postgresql');
});
