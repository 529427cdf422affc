/**
 * The database schema and its versioned migrations (master.md §5).
 *
 * Version 1 is the reference's first schema (the one in test/fixtures/netconf-2015-original.db):
 * tables Config, Network, Node, Member, IpAssignment, IpAssignmentPool and Rule, and an empty
 * Config table. Such a file carries no version number, so it is recognized by its tables and
 * columns. From version 2 on, `Config` holds the row `schemaVersion`.
 *
 * A new database is made by creating version 1 and running every migration, so there is one path
 * to the current schema and the migrations are exercised on every new database.
 */
import { NotANetconfDatabaseError, SchemaTooNewError } from '../../errors.js';
import type { SchemaManager, SqlReader, SqlWriter } from '../sqljs/engine.js';
import { formatIp, parseIpOrNull } from '../../protocol/ip.js';

export const CURRENT_SCHEMA_VERSION = 6;
export const SCHEMA_VERSION_KEY = 'schemaVersion';
/** The Config row counting revision moves (schema version 4; see Network.changeSequence). */
export const CHANGE_SEQUENCE_KEY = 'changeSequence';

const VERSION_1_DDL = [
  `CREATE TABLE Config (
    k varchar(16) PRIMARY KEY NOT NULL,
    v varchar(1024) NOT NULL
  ) WITHOUT ROWID`,
  `CREATE TABLE Network (
    id char(16) PRIMARY KEY NOT NULL,
    name varchar(128) NOT NULL,
    description text(4096) NOT NULL DEFAULT(''),
    private integer(1) NOT NULL DEFAULT(1),
    enableBroadcast integer(1) NOT NULL DEFAULT(1),
    allowPassiveBridging integer(1) NOT NULL DEFAULT(0),
    v4AssignMode varchar(8) NOT NULL DEFAULT('none'),
    v6AssignMode varchar(8) NOT NULL DEFAULT('none'),
    multicastLimit integer(8) NOT NULL DEFAULT(32),
    creationTime integer(32) NOT NULL DEFAULT(0),
    revision integer(32) NOT NULL DEFAULT(0)
  ) WITHOUT ROWID`,
  `CREATE TABLE Node (
    id char(10) PRIMARY KEY NOT NULL,
    identity varchar(4096) NOT NULL,
    lastAt varchar(64),
    lastSeen integer(32) NOT NULL DEFAULT(0),
    firstSeen integer(32) NOT NULL DEFAULT(0)
  ) WITHOUT ROWID`,
  `CREATE TABLE Member (
    networkId char(16) NOT NULL,
    nodeId char(10) NOT NULL,
    cachedNetconf blob(4096),
    cachedNetconfRevision integer(32),
    cachedNetconfTimestamp integer(32),
    clientReportedTimestamp integer(32),
    authorized integer(1) NOT NULL DEFAULT(0),
    activeBridge integer(1) NOT NULL DEFAULT(0)
  )`,
  `CREATE TABLE IpAssignment (
    networkId char(16) NOT NULL,
    nodeId char(10) NOT NULL,
    ip varchar(64) NOT NULL,
    ipNetmaskBits integer(4) NOT NULL DEFAULT(0)
  )`,
  `CREATE TABLE IpAssignmentPool (
    networkId char(16) NOT NULL,
    ipNetwork varchar(64) NOT NULL,
    ipNetmaskBits integer(4) NOT NULL
  )`,
  `CREATE TABLE Rule (
    networkId char(16) NOT NULL,
    nodeId char(10),
    vlanId integer(4),
    vlanPcp integer(4),
    etherType integer(8),
    macSource char(12),
    macDest char(12),
    ipSource varchar(64),
    ipDest varchar(64),
    ipTos integer(4),
    ipProtocol integer(4),
    ipSourcePort integer(8),
    ipDestPort integer(8),
    "action" varchar(4096) NOT NULL DEFAULT('accept')
  )`,
  `CREATE INDEX IpAssignment_networkId_nodeId ON IpAssignment (networkId, nodeId)`,
  `CREATE UNIQUE INDEX IpAssignment_networkId_ip ON IpAssignment (networkId, ip)`,
  `CREATE INDEX IpAssignmentPool_networkId ON IpAssignmentPool (networkId)`,
  `CREATE INDEX Rule_networkId ON Rule (networkId)`,
  `CREATE UNIQUE INDEX Member_networkId_nodeId ON Member (networkId, nodeId)`,
  `CREATE INDEX Member_networkId ON Member (networkId ASC)`,
];

/** The columns each version must have, table by table (extra columns are tolerated). */
const VERSION_1_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  Config: ['k', 'v'],
  Network: [
    'id', 'name', 'description', 'private', 'enableBroadcast', 'allowPassiveBridging',
    'v4AssignMode', 'v6AssignMode', 'multicastLimit', 'creationTime', 'revision',
  ],
  Node: ['id', 'identity', 'lastAt', 'lastSeen', 'firstSeen'],
  Member: [
    'networkId', 'nodeId', 'cachedNetconf', 'cachedNetconfRevision', 'cachedNetconfTimestamp',
    'clientReportedTimestamp', 'authorized', 'activeBridge',
  ],
  IpAssignment: ['networkId', 'nodeId', 'ip', 'ipNetmaskBits'],
  IpAssignmentPool: ['networkId', 'ipNetwork', 'ipNetmaskBits'],
  Rule: ['networkId', 'nodeId', 'etherType', 'action'],
};

const VERSION_2_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  ...VERSION_1_COLUMNS,
  Network: [...VERSION_1_COLUMNS.Network!, 'comRevisionMaxDelta'],
  Member: [
    ...VERSION_1_COLUMNS.Member!, 'name', 'notes', 'authorizedAt', 'deauthorizedAt', 'clientReportedRevision',
  ],
  IpAssignment: [...VERSION_1_COLUMNS.IpAssignment!, 'ipVersion', 'ipInt'],
  MulticastRate: ['networkId', 'mgMac', 'mgAdi', 'preload', 'maxBalance', 'accrual'],
};

const VERSION_3_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  ...VERSION_2_COLUMNS,
  IpRun: ['networkId', 'first', 'last'],
};

const VERSION_4_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  ...VERSION_3_COLUMNS,
  Network: [...VERSION_3_COLUMNS.Network!, 'changeSequence'],
  IpAssignment: [...VERSION_3_COLUMNS.IpAssignment!, 'automatic'],
  RevisionHold: ['networkId', 'pendingRaise'],
};

const VERSION_5_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  ...VERSION_4_COLUMNS,
  Member: [...VERSION_4_COLUMNS.Member!, 'lastAuthorizedCredentialType', 'lastAuthorizedCredential'],
  JoinToken: ['id', 'networkId', 'name', 'secretHash', 'createdAt', 'expiresAt', 'maxUses', 'uses', 'revoked'],
  MemberExpiry: ['networkId', 'notSeenFor', 'action'],
  AuditEntry: ['id', 'time', 'actor', 'action', 'networkId', 'nodeId', 'before', 'after'],
};

const VERSION_6_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  ...VERSION_5_COLUMNS,
  Network: [...VERSION_5_COLUMNS.Network!, 'mtu', 'dnsDomain', 'dnsServers'],
  Node: [...VERSION_5_COLUMNS.Node!, 'vMajor', 'vMinor', 'vRev', 'vProto'],
  Member: [...VERSION_5_COLUMNS.Member!, 'noAutoAssignIps'],
  IpAssignmentPool: [...VERSION_5_COLUMNS.IpAssignmentPool!, 'ipRangeStart', 'ipRangeEnd'],
  Route: ['networkId', 'target', 'targetBits', 'via'],
};

const COLUMNS_BY_VERSION: ReadonlyArray<Readonly<Record<string, readonly string[]>> | undefined> = [
  undefined,
  VERSION_1_COLUMNS,
  VERSION_2_COLUMNS,
  VERSION_3_COLUMNS,
  VERSION_4_COLUMNS,
  VERSION_5_COLUMNS,
  VERSION_6_COLUMNS,
];

/** Version n-1 → n, for n = 2..CURRENT. Each runs inside the migration's write transaction. */
const MIGRATIONS: ReadonlyArray<(writer: SqlWriter) => void> = [
  migrateVersion1To2, migrateVersion2To3, migrateVersion3To4, migrateVersion4To5, migrateVersion5To6,
];

/**
 * Version 2: a schema version row; multicast rates; member name, notes, authorization times and
 * reported revision; the network's COM revision max delta; IPv4 assignments also as integers with
 * a unique index (address probing by index range); indexes for every request-path lookup.
 */
function migrateVersion1To2(writer: SqlWriter): void {
  const statements = [
    `ALTER TABLE Network ADD COLUMN comRevisionMaxDelta integer NOT NULL DEFAULT(16)`,
    // master.md §4: a network's revision starts at 1.
    `UPDATE Network SET revision = 1 WHERE revision < 1`,
    `ALTER TABLE Member ADD COLUMN name varchar(128) NOT NULL DEFAULT('')`,
    `ALTER TABLE Member ADD COLUMN notes text NOT NULL DEFAULT('')`,
    `ALTER TABLE Member ADD COLUMN authorizedAt integer`,
    `ALTER TABLE Member ADD COLUMN deauthorizedAt integer`,
    `ALTER TABLE Member ADD COLUMN clientReportedRevision integer`,
    // Configs cached by older code are rebuilt by this version's writer.
    `UPDATE Member SET cachedNetconf = NULL, cachedNetconfRevision = NULL, cachedNetconfTimestamp = NULL`,
    `ALTER TABLE IpAssignment ADD COLUMN ipVersion integer`,
    `ALTER TABLE IpAssignment ADD COLUMN ipInt integer`,
    `CREATE TABLE MulticastRate (
      networkId char(16) NOT NULL,
      mgMac char(12) NOT NULL,
      mgAdi integer(8) NOT NULL DEFAULT(0),
      preload integer(16) NOT NULL,
      maxBalance integer(16) NOT NULL,
      accrual integer(16) NOT NULL
    )`,
    `CREATE UNIQUE INDEX MulticastRate_networkId_mgMac_mgAdi ON MulticastRate (networkId, mgMac, mgAdi)`,
    `CREATE INDEX Member_networkId_activeBridge ON Member (networkId, activeBridge, authorized, nodeId)`,
    `CREATE INDEX Member_networkId_authorized_revision ON Member (networkId, authorized, clientReportedRevision, nodeId)`,
  ];
  for (const sql of statements) writer.run(sql);

  // Existing assignments get the family and, for IPv4, the integer form; the address text is
  // rewritten in the canonical form this version reads and writes. A row whose text is not an
  // address is kept as it is (ipVersion NULL), and the master ignores it.
  const rows = writer.all<{ rowid: number; ip: string }>(`SELECT rowid, ip FROM IpAssignment`);
  for (const row of rows) {
    const parsed = parseIpOrNull(String(row.ip));
    if (parsed === null) continue;
    const text = formatIp(parsed.family, parsed.address);
    writer.run(`UPDATE IpAssignment SET ip = ?, ipVersion = ?, ipInt = ? WHERE rowid = ?`, [
      text, parsed.family, parsed.family === 4 ? Number(parsed.address) : null, row.rowid,
    ]);
  }
  writer.run(`CREATE UNIQUE INDEX IpAssignment_networkId_ipInt ON IpAssignment (networkId, ipInt)`);
  writer.run(`CREATE INDEX IpAssignment_networkId_ipVersion_ip ON IpAssignment (networkId, ipVersion, ip)`);
  setSchemaVersion(writer, 2);
}

/**
 * Version 3: the held IPv4 addresses of each network also as maximal runs of consecutive
 * addresses (IpRun), kept by triggers on IpAssignment, so that "the first free address at or after
 * a candidate" is one index lookup however long the run of held addresses behind it (master.md §3:
 * fast with a /8 pool and a million members). Triggers keep the runs right for every writer,
 * an operator's `sqlite3` session included.
 */
function migrateVersion2To3(writer: SqlWriter): void {
  writer.run(`CREATE TABLE IpRun (
    networkId char(16) NOT NULL,
    first integer NOT NULL,
    last integer NOT NULL,
    PRIMARY KEY (networkId, first)
  ) WITHOUT ROWID`);
  writer.run(`INSERT INTO IpRun (networkId, first, last) ${IPV4_RUNS_OF('1')}`);
  // Every lookup below is by primary key, or the last run starting before an address (one descent
  // of the primary key): no statement here scans the runs of a network.
  const before = (column: string, nwid: string, address: string, inclusive: boolean) =>
    `SELECT ${column} FROM IpRun WHERE networkId = ${nwid} AND first ${inclusive ? '<=' : '<'} ${address} ORDER BY first DESC LIMIT 1`;
  // A new address: a run of its own, merged with the run right after it and the run right before it.
  writer.run(`CREATE TRIGGER IpAssignment_IpRun_insert AFTER INSERT ON IpAssignment
    WHEN NEW.ipVersion = 4 AND NEW.ipInt IS NOT NULL
    BEGIN
      INSERT INTO IpRun (networkId, first, last) VALUES (NEW.networkId, NEW.ipInt,
        coalesce((SELECT last FROM IpRun WHERE networkId = NEW.networkId AND first = NEW.ipInt + 1), NEW.ipInt));
      DELETE FROM IpRun WHERE networkId = NEW.networkId AND first = NEW.ipInt + 1;
      UPDATE IpRun SET last = (SELECT last FROM IpRun WHERE networkId = NEW.networkId AND first = NEW.ipInt)
        WHERE networkId = NEW.networkId AND last = NEW.ipInt - 1
          AND first = (${before('first', 'NEW.networkId', 'NEW.ipInt', false)});
      DELETE FROM IpRun WHERE networkId = NEW.networkId AND first = NEW.ipInt
        AND (${before('last', 'NEW.networkId', 'NEW.ipInt', false)}) >= NEW.ipInt;
    END`);
  // A released address splits its run: the part after it becomes a run, the part before it shrinks.
  writer.run(`CREATE TRIGGER IpAssignment_IpRun_delete AFTER DELETE ON IpAssignment
    WHEN OLD.ipVersion = 4 AND OLD.ipInt IS NOT NULL
    BEGIN
      INSERT INTO IpRun (networkId, first, last)
        SELECT networkId, OLD.ipInt + 1, last FROM IpRun
        WHERE networkId = OLD.networkId AND last > OLD.ipInt
          AND first = (${before('first', 'OLD.networkId', 'OLD.ipInt', true)});
      UPDATE IpRun SET last = OLD.ipInt - 1
        WHERE networkId = OLD.networkId AND first < OLD.ipInt
          AND first = (${before('first', 'OLD.networkId', 'OLD.ipInt', true)});
      DELETE FROM IpRun WHERE networkId = OLD.networkId AND first = OLD.ipInt;
    END`);
  // Rewriting an address in place is rare (hand edits): rebuild the runs of the networks involved.
  writer.run(`CREATE TRIGGER IpAssignment_IpRun_update AFTER UPDATE OF networkId, ipVersion, ipInt ON IpAssignment
    BEGIN
      DELETE FROM IpRun WHERE networkId IN (OLD.networkId, NEW.networkId);
      INSERT INTO IpRun (networkId, first, last) ${IPV4_RUNS_OF('networkId IN (OLD.networkId, NEW.networkId)')};
    END`);
  setSchemaVersion(writer, 3);
}

/**
 * Version 4: the revision rule of master.md §4 lives in the schema, as triggers, so that every
 * writer obeys it alike: this library, the CLI, and an operator's `sqlite3` session on the live file.
 * A change to what members receive raises its network's revision in the same transaction: by the
 * network's COM revision max delta + 1 when an authorized member is de-authorized or deleted (its
 * last certificate then stops agreeing with those issued afterwards), by 1 otherwise. Changes that
 * alter no member's config (names, notes, statistics, cached netconfs, a new member row that is
 * not an active bridge, an address the master assigned from a pool while building that member's
 * config: `automatic` = 1) raise nothing.
 *
 * `RevisionHold` makes a transaction's changes raise the revision once: while a network has a
 * row there, its triggers only record the largest raise asked for, and deleting the row applies
 * it. The master holds each network it changes for the length of one transaction, so the table is
 * empty outside its transactions; a writer that does not hold (sqlite3) raises per row changed.
 *
 * `changeSequence` tells which networks' revisions moved: each raise gives the network the next
 * number (counted in Config row `changeSequence`), so a master that notices another program's edit
 * reports exactly the networks it changed.
 */
function migrateVersion3To4(writer: SqlWriter): void {
  writer.run(`ALTER TABLE Network ADD COLUMN changeSequence integer NOT NULL DEFAULT(0)`);
  writer.run(`CREATE INDEX Network_changeSequence ON Network (changeSequence)`);
  writer.run(`ALTER TABLE IpAssignment ADD COLUMN automatic integer NOT NULL DEFAULT(0)`);
  writer.run(`CREATE TABLE RevisionHold (
    networkId char(16) PRIMARY KEY NOT NULL,
    pendingRaise integer NOT NULL DEFAULT(0)
  ) WITHOUT ROWID`);
  writer.run(`INSERT OR REPLACE INTO Config (k, v) VALUES (?, '0')`, [CHANGE_SEQUENCE_KEY]);
  for (const sql of REVISION_TRIGGERS) writer.run(sql);
  setSchemaVersion(writer, 4);
}

/**
 * Version 5: join tokens, member expiry and the audit trail.
 * - `JoinToken`: a network's pre-authorization keys. The secret is never stored: `secretHash` is
 *   its SHA-256. `uses` counts the members it admitted; `maxUses` / `expiresAt` NULL mean no limit.
 * - `Member.lastAuthorizedCredentialType` ('api', 'token', 'public') and
 *   `Member.lastAuthorizedCredential` (the token's id): how the member was last authorized. Members
 *   authorized before this version count as 'public' on a public network and 'api' otherwise.
 * - `MemberExpiry`: a network's expiry policy: members not seen for `notSeenFor` ms are
 *   'deauthorize'd or 'delete'd.
 * - `AuditEntry`: every administrative change (who, when, what, the fields before and after as JSON).
 * Deleting a network deletes its tokens and expiry policy (trigger `Network_delete_access`); its
 * audit entries stay. None of these columns is part of a member's config: no revision trigger.
 */
function migrateVersion4To5(writer: SqlWriter): void {
  const statements = [
    `CREATE TABLE JoinToken (
      id char(16) PRIMARY KEY NOT NULL,
      networkId char(16) NOT NULL,
      name varchar(128) NOT NULL DEFAULT(''),
      secretHash blob NOT NULL,
      createdAt integer NOT NULL,
      expiresAt integer,
      maxUses integer,
      uses integer NOT NULL DEFAULT(0),
      revoked integer(1) NOT NULL DEFAULT(0)
    ) WITHOUT ROWID`,
    `CREATE INDEX JoinToken_networkId ON JoinToken (networkId, createdAt)`,
    `ALTER TABLE Member ADD COLUMN lastAuthorizedCredentialType varchar(8)`,
    `ALTER TABLE Member ADD COLUMN lastAuthorizedCredential varchar(32)`,
    `UPDATE Member SET lastAuthorizedCredentialType =
       CASE WHEN (SELECT private FROM Network WHERE Network.id = Member.networkId) = 0 THEN 'public' ELSE 'api' END
     WHERE authorized = 1 OR authorizedAt IS NOT NULL`,
    `CREATE TABLE MemberExpiry (
      networkId char(16) PRIMARY KEY NOT NULL,
      notSeenFor integer NOT NULL,
      "action" varchar(16) NOT NULL
    ) WITHOUT ROWID`,
    `CREATE TABLE AuditEntry (
      id integer PRIMARY KEY AUTOINCREMENT,
      time integer NOT NULL,
      actor varchar(128) NOT NULL,
      "action" varchar(64) NOT NULL,
      networkId char(16),
      nodeId char(10),
      before text,
      after text
    )`,
    `CREATE INDEX AuditEntry_time ON AuditEntry (time)`,
    `CREATE INDEX AuditEntry_networkId_time ON AuditEntry (networkId, time)`,
    `CREATE INDEX AuditEntry_networkId_nodeId_time ON AuditEntry (networkId, nodeId, time)`,
    `CREATE TRIGGER Network_delete_access AFTER DELETE ON Network
      BEGIN
        DELETE FROM JoinToken WHERE networkId = OLD.id;
        DELETE FROM MemberExpiry WHERE networkId = OLD.id;
      END`,
  ];
  for (const sql of statements) writer.run(sql);
  setSchemaVersion(writer, 5);
}

/** SQL raising network `nwid`'s revision by `amount` (both SQL expressions), or recording it in a hold. */
function raise(nwid: string, amount: string): string {
  return `UPDATE Network SET revision = revision + (${amount})
      WHERE id = ${nwid} AND NOT EXISTS (SELECT 1 FROM RevisionHold WHERE networkId = ${nwid});
    UPDATE RevisionHold SET pendingRaise = max(pendingRaise, ${amount}) WHERE networkId = ${nwid};`;
}

/** The raise that revokes a member's certificates: the network's COM revision max delta + 1. */
const REVOKE = (nwid: string) => `coalesce((SELECT comRevisionMaxDelta FROM Network WHERE id = ${nwid}), 0) + 1`;

/** The network row's columns that members receive, as of version 4 (version 5 adds NETWORK_CONFIG_COLUMNS_5). */
const NETWORK_CONFIG_COLUMNS = [
  'name', 'description', 'private', 'enableBroadcast', 'allowPassiveBridging', 'v4AssignMode', 'v6AssignMode',
  'multicastLimit', 'comRevisionMaxDelta',
];

/** The trigger raising the revision when a network row column members receive changes. */
function networkSettingsTrigger(columns: readonly string[]): string {
  return `CREATE TRIGGER Network_settings AFTER UPDATE OF ${columns.join(', ')} ON Network
    WHEN ${columns.map((column) => `OLD.${column} IS NOT NEW.${column}`).join(' OR ')}
    BEGIN ${raise('NEW.id', '1')} END`;
}

/** Revision triggers on a table whose every row is part of each member's config: any change raises by 1. */
function listTableTriggers(table: string): string[] {
  return [
    `CREATE TRIGGER ${table}_insert AFTER INSERT ON ${table} BEGIN ${raise('NEW.networkId', '1')} END`,
    `CREATE TRIGGER ${table}_delete AFTER DELETE ON ${table} BEGIN ${raise('OLD.networkId', '1')} END`,
    `CREATE TRIGGER ${table}_update AFTER UPDATE ON ${table} BEGIN ${raise('OLD.networkId', '1')} ${raise('NEW.networkId', '1')} END`,
  ];
}

/** Tables whose every row is part of each member's config: any change raises by 1. */
const NETWORK_LIST_TABLES = ['IpAssignmentPool', 'Rule', 'MulticastRate'];

const REVISION_TRIGGERS: readonly string[] = [
  `CREATE TRIGGER RevisionHold_release AFTER DELETE ON RevisionHold WHEN OLD.pendingRaise > 0
    BEGIN UPDATE Network SET revision = revision + OLD.pendingRaise WHERE id = OLD.networkId; END`,
  // The counter lives in Config, not in max(changeSequence): deleting a network never lowers it.
  `CREATE TRIGGER Network_changeSequence AFTER UPDATE OF revision ON Network WHEN NEW.revision IS NOT OLD.revision
    BEGIN
      UPDATE Config SET v = v + 1 WHERE k = '${CHANGE_SEQUENCE_KEY}';
      UPDATE Network SET changeSequence = (SELECT v FROM Config WHERE k = '${CHANGE_SEQUENCE_KEY}') WHERE id = NEW.id;
    END`,
  networkSettingsTrigger(NETWORK_CONFIG_COLUMNS),
  `CREATE TRIGGER Member_authorized AFTER UPDATE OF authorized ON Member WHEN OLD.authorized IS NOT NEW.authorized
    BEGIN ${raise('NEW.networkId', `CASE WHEN OLD.authorized THEN ${REVOKE('NEW.networkId')} ELSE 1 END`)} END`,
  `CREATE TRIGGER Member_activeBridge AFTER UPDATE OF activeBridge ON Member WHEN OLD.activeBridge IS NOT NEW.activeBridge
    BEGIN ${raise('NEW.networkId', '1')} END`,
  `CREATE TRIGGER Member_moved AFTER UPDATE OF networkId, nodeId ON Member
    WHEN OLD.networkId IS NOT NEW.networkId OR OLD.nodeId IS NOT NEW.nodeId
    BEGIN
      ${raise('OLD.networkId', `CASE WHEN OLD.authorized THEN ${REVOKE('OLD.networkId')} ELSE 1 END`)}
      ${raise('NEW.networkId', '1')}
    END`,
  `CREATE TRIGGER Member_insert AFTER INSERT ON Member WHEN NEW.authorized AND NEW.activeBridge
    BEGIN ${raise('NEW.networkId', '1')} END`,
  `CREATE TRIGGER Member_delete AFTER DELETE ON Member
    BEGIN ${raise('OLD.networkId', `CASE WHEN OLD.authorized THEN ${REVOKE('OLD.networkId')} ELSE 1 END`)} END`,
  `CREATE TRIGGER IpAssignment_insert AFTER INSERT ON IpAssignment WHEN NOT NEW.automatic
    BEGIN ${raise('NEW.networkId', '1')} END`,
  `CREATE TRIGGER IpAssignment_delete AFTER DELETE ON IpAssignment
    BEGIN ${raise('OLD.networkId', '1')} END`,
  `CREATE TRIGGER IpAssignment_change AFTER UPDATE OF networkId, nodeId, ip, ipNetmaskBits, ipVersion, ipInt ON IpAssignment
    BEGIN ${raise('OLD.networkId', '1')} ${raise('NEW.networkId', '1')} END`,
  ...NETWORK_LIST_TABLES.flatMap(listTableTriggers),
];

/**
 * Version 6: the model of ZeroTier's controller API (docs/admin-api.md).
 * - Network: `mtu` (default 2800), `dnsDomain` and `dnsServers` (comma list of addresses), all
 *   delivered to members: the Network_settings trigger is made again with them.
 * - Route: managed routes (`target`/`targetBits`, `via` NULL for on-link), in rowid order; every
 *   change raises the revision by 1, like pools.
 * - IpAssignmentPool: `ipRangeStart`/`ipRangeEnd` for a pool given as a range (`ipNetwork` then holds
 *   the start and `ipNetmaskBits` 0); NULL for a CIDR pool, whose range is derived.
 * - Member: `noAutoAssignIps` (its change raises by 1: the member's own config may change).
 * - Node: the software version from request metadata (`vMajor`, `vMinor`, `vRev`, `vProto`, -1
 *   unknown); statistics only, nothing raised.
 * The v6AssignMode column may now hold `zt+rfc4193`.
 */
function migrateVersion5To6(writer: SqlWriter): void {
  const statements = [
    `ALTER TABLE Network ADD COLUMN mtu integer NOT NULL DEFAULT(2800)`,
    `ALTER TABLE Network ADD COLUMN dnsDomain varchar(255) NOT NULL DEFAULT('')`,
    `ALTER TABLE Network ADD COLUMN dnsServers text NOT NULL DEFAULT('')`,
    `ALTER TABLE Node ADD COLUMN vMajor integer NOT NULL DEFAULT(-1)`,
    `ALTER TABLE Node ADD COLUMN vMinor integer NOT NULL DEFAULT(-1)`,
    `ALTER TABLE Node ADD COLUMN vRev integer NOT NULL DEFAULT(-1)`,
    `ALTER TABLE Node ADD COLUMN vProto integer NOT NULL DEFAULT(-1)`,
    `ALTER TABLE Member ADD COLUMN noAutoAssignIps integer NOT NULL DEFAULT(0)`,
    `ALTER TABLE IpAssignmentPool ADD COLUMN ipRangeStart varchar(64)`,
    `ALTER TABLE IpAssignmentPool ADD COLUMN ipRangeEnd varchar(64)`,
    `CREATE TABLE Route (
      networkId char(16) NOT NULL,
      target varchar(64) NOT NULL,
      targetBits integer(4) NOT NULL,
      via varchar(64)
    )`,
    `CREATE INDEX Route_networkId ON Route (networkId)`,
    `DROP TRIGGER Network_settings`,
    networkSettingsTrigger([...NETWORK_CONFIG_COLUMNS, 'mtu', 'dnsDomain', 'dnsServers']),
    `CREATE TRIGGER Member_noAutoAssignIps AFTER UPDATE OF noAutoAssignIps ON Member
      WHEN OLD.noAutoAssignIps IS NOT NEW.noAutoAssignIps
      BEGIN ${raise('NEW.networkId', '1')} END`,
    ...listTableTriggers('Route'),
  ];
  for (const sql of statements) writer.run(sql);
  setSchemaVersion(writer, 6);
}

/** The maximal runs of consecutive held IPv4 addresses of the networks matching `where`. */
function IPV4_RUNS_OF(where: string): string {
  return `SELECT networkId, min(ipInt), max(ipInt) FROM (
      SELECT networkId, ipInt, ipInt - row_number() OVER (PARTITION BY networkId ORDER BY ipInt) AS runKey
      FROM IpAssignment WHERE ipVersion = 4 AND ipInt IS NOT NULL AND ${where}
    ) GROUP BY networkId, runKey`;
}

function setSchemaVersion(writer: SqlWriter, version: number): void {
  writer.run(`INSERT OR REPLACE INTO Config (k, v) VALUES (?, ?)`, [SCHEMA_VERSION_KEY, String(version)]);
}

function userTables(reader: SqlReader): Set<string> {
  const rows = reader.all<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`,
  );
  return new Set(rows.map((row) => String(row.name)));
}

function hasColumns(reader: SqlReader, tables: Set<string>, wanted: Readonly<Record<string, readonly string[]>>): boolean {
  for (const [table, columns] of Object.entries(wanted)) {
    if (!tables.has(table)) return false;
    const present = new Set(
      reader.all<{ name: string }>(`SELECT name FROM pragma_table_info(?)`, [table]).map((row) => String(row.name)),
    );
    if (!columns.every((column) => present.has(column))) return false;
  }
  return true;
}

/** Whether any table or column that version 2 added to version 1 is present. */
function hasAddedSinceVersion1(reader: SqlReader, tables: Set<string>): boolean {
  return Object.entries(VERSION_2_COLUMNS).some(([table, columns]) => {
    if (!tables.has(table)) return false;
    const original = VERSION_1_COLUMNS[table];
    if (original === undefined) return true;
    const present = reader.all<{ name: string }>(`SELECT name FROM pragma_table_info(?)`, [table]).map((row) => String(row.name));
    return present.some((column) => columns.includes(column) && !original.includes(column));
  });
}

/**
 * The schema version of an open database: null for an empty database, a number for ours.
 * Throws NotANetconfDatabaseError / SchemaTooNewError for a database this library must not touch.
 */
export function readSchemaVersion(reader: SqlReader): number | null {
  const tables = userTables(reader);
  if (tables.size === 0) return null;
  if (!tables.has('Config')) {
    throw new NotANetconfDatabaseError(
      `not a netconf database: it has tables (${[...tables].slice(0, 8).join(', ')}) but no Config table`,
    );
  }
  const row = reader.get<{ v: string }>(`SELECT v FROM Config WHERE k = ?`, [SCHEMA_VERSION_KEY]);
  let version: number;
  if (row === undefined) {
    // Only the reference's first schema has no version row; a file with what a later version
    // added has lost its row, and migrating it as version 1 would fail half-way.
    if (hasAddedSinceVersion1(reader, tables)) {
      throw new NotANetconfDatabaseError(
        `not a netconf database: Config has no ${SCHEMA_VERSION_KEY} row, but the tables are not those of version 1`,
      );
    }
    version = 1;
  } else {
    const text = String(row.v);
    if (!/^[1-9][0-9]{0,8}$/.test(text)) {
      throw new NotANetconfDatabaseError(`not a netconf database: schemaVersion ${JSON.stringify(text.slice(0, 32))}`);
    }
    version = Number(text);
    if (version > CURRENT_SCHEMA_VERSION) {
      throw new SchemaTooNewError(
        `database schema version ${version} is newer than this library understands (${CURRENT_SCHEMA_VERSION})`,
      );
    }
  }
  const wanted = COLUMNS_BY_VERSION[version];
  if (wanted === undefined || !hasColumns(reader, tables, wanted)) {
    throw new NotANetconfDatabaseError(
      `not a netconf database: tables or columns of schema version ${version} are missing`,
    );
  }
  return version;
}

/** Creates or upgrades a database to CURRENT_SCHEMA_VERSION. */
export function migrateToCurrent(writer: SqlWriter): void {
  let version = readSchemaVersion(writer);
  if (version === null) {
    for (const sql of VERSION_1_DDL) writer.run(sql);
    version = 1;
  }
  for (; version < CURRENT_SCHEMA_VERSION; version++) {
    MIGRATIONS[version - 1]!(writer);
  }
}

export const netconfSchema: SchemaManager = {
  check(reader) {
    const version = readSchemaVersion(reader);
    return { needsMigration: version === null || version < CURRENT_SCHEMA_VERSION, fromVersion: version };
  },
  migrate(writer) {
    migrateToCurrent(writer);
  },
};
