import { test } from 'node:test';
import { access } from './support/sql-access.js';
import { backToVersion4 } from './support/schema-versions.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import initSqlJs from 'sql.js';
import type { Database } from 'sql.js';
import { netconfSchema } from '../src/storage/index.js';

const SEED = new URL('./fixtures/netconf-2015-original.db', import.meta.url);
const SQL = await initSqlJs();


const PRIVATE = '8056c2e21c000001';
const PUBLIC = '8056c2e21c000002';

function withMembers(db: Database): void {
  db.run(`INSERT INTO Network (id, name, private) VALUES ('${PRIVATE}', 'p', 1), ('${PUBLIC}', 'q', 0)`);
  db.run(`INSERT INTO Member (networkId, nodeId, authorized) VALUES
    ('${PRIVATE}', '1111111111', 1), ('${PRIVATE}', '2222222222', 0), ('${PUBLIC}', '3333333333', 1)`);
}

function credentials(db: Database): unknown[] {
  return access(db).all(`SELECT nodeId, lastAuthorizedCredentialType AS type, lastAuthorizedCredential AS id FROM Member ORDER BY nodeId`)
    .map((row) => [row.nodeId, row.type, row.id]);
}

const EXPECTED = [
  ['1111111111', 'api', null],
  ['2222222222', null, null],
  ['3333333333', 'public', null],
];

test('the 2015 file with members migrates to version 5: members already authorized count as api, or public on a public network', () => {
  const db = new SQL.Database(readFileSync(SEED));
  withMembers(db);
  netconfSchema.migrate(access(db), 0);
  assert.deepEqual(credentials(db), EXPECTED);
  db.close();
});

test('a version 4 database migrates to version 5 with the same tables, indexes and triggers as a new one', () => {
  const fresh = new SQL.Database();
  netconfSchema.migrate(access(fresh), 0);

  // Version 4: the current schema without what versions 5 and 6 added.
  const old = new SQL.Database();
  netconfSchema.migrate(access(old), 0);
  backToVersion4((sql) => old.run(sql));
  assert.deepEqual(netconfSchema.check(access(old)), { needsMigration: true, fromVersion: 4 });
  withMembers(old);
  netconfSchema.migrate(access(old), 0);
  assert.deepEqual(credentials(old), EXPECTED);
  const schema = (db: Database) =>
    access(db).all(`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`).map((row) => [row.type, row.name]);
  assert.deepEqual(schema(old), schema(fresh));
  const columns = (db: Database) => access(db).all(`SELECT name FROM pragma_table_info('Member') ORDER BY name`).map((row) => row.name);
  assert.deepEqual(columns(old), columns(fresh));
  fresh.close();
  old.close();
});

test('deleting a network in the database deletes its join tokens and expiry policy, whoever deletes it; its audit entries stay', () => {
  const db = new SQL.Database();
  netconfSchema.migrate(access(db), 0);
  db.run(`INSERT INTO Network (id, name) VALUES ('${PRIVATE}', 'p')`);
  db.run(`INSERT INTO JoinToken (id, networkId, secretHash, createdAt) VALUES ('0123456789abcdef', '${PRIVATE}', zeroblob(32), 1)`);
  db.run(`INSERT INTO MemberExpiry (networkId, notSeenFor, "action") VALUES ('${PRIVATE}', 1000, 'delete')`);
  db.run(`INSERT INTO AuditEntry (time, actor, "action", networkId) VALUES (1, 'cli', 'networkCreated', '${PRIVATE}')`);
  db.run(`DELETE FROM Network`);
  const count = (table: string) => access(db).get(`SELECT count(*) AS n FROM ${table}`)!.n;
  assert.deepEqual([count('JoinToken'), count('MemberExpiry'), count('AuditEntry')], [0, 0, 1]);
  db.close();
});
