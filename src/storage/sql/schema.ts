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
import { formatIp, parseIp } from '../../protocol/ip.js';

export const CURRENT_SCHEMA_VERSION = 3;
export const SCHEMA_VERSION_KEY = 'schemaVersion';

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

const COLUMNS_BY_VERSION: ReadonlyArray<Readonly<Record<string, readonly string[]>> | undefined> = [
  undefined,
  VERSION_1_COLUMNS,
  VERSION_2_COLUMNS,
  VERSION_3_COLUMNS,
];

/** Version n-1 → n, for n = 2..CURRENT. Each runs inside the migration's write transaction. */
const MIGRATIONS: ReadonlyArray<(writer: SqlWriter) => void> = [migrateVersion1To2, migrateVersion2To3];

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
    let parsed;
    try {
      parsed = parseIp(String(row.ip));
    } catch {
      continue;
    }
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
