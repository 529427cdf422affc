/**
 * Moving a whole netconf database between PostgreSQL and the SQLite file format, both ways, row by
 * row: `master.backup()` on PostgreSQL (the same consistent SQLite file sql.js gives, so restore,
 * migration and the CLI work alike) and `zt-netconf-master migrate` in either direction.
 *
 * One table of column pairs drives both directions. Integers travel as decimal text, so 64-bit
 * values (stored as the signed integer with the same bits on both sides) are copied exactly.
 * Config keeps each side's own schema version, and the change sequence counter is set to the
 * highest network's. The revision triggers of either side must not raise the revisions copied.
 * - Into SQLite: every network is held (RevisionHold) while its rows arrive, and the holds are
 *   dropped with nothing to apply; the address runs are kept by SQLite's triggers.
 * - Into PostgreSQL: the copied tables' row triggers are off for the copy's own transaction (no
 *   other session ever sees them off), and the address runs are written once at the end from the
 *   copied addresses. Row by row, each address would extend one run, updating the same row again
 *   within one transaction: time quadratic in the addresses of a network.
 */
import { formatIp, parseIpOrNull } from '../../protocol/ip.js';
import { InvalidArgumentError, NotANetconfDatabaseError } from '../../errors.js';
import { openSqlJsStorage } from '../index.js';
import { createMemoryPersistence } from '../sqljs/persistence/memory.js';
import type { SqlReader, SqlValue, SqlWriter } from '../sqljs/engine.js';
import type { PoolClient } from 'pg';

/** What a copy needs of the PostgreSQL store (PostgresNetconfStore): one connection outside its transactions. */
export interface PgConnectionSource {
  withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

type Kind = 'text' | 'flag' | 'integer' | 'blob';

interface Column {
  readonly sqlite: string;
  readonly pg: string;
  readonly kind: Kind;
  /** The PostgreSQL type an array of this column's values is sent as. */
  readonly pgType: string;
}

interface Table {
  readonly sqlite: string;
  readonly pg: string;
  readonly columns: readonly Column[];
  /** Key columns on the PostgreSQL side, for reading in pages. */
  readonly pgKey: readonly string[];
  /** SQLite ordering that keeps the order rows were added where that order means something. */
  readonly sqliteOrder: string;
  /** Rows of the SQLite table that PostgreSQL's schema can hold. */
  readonly sqliteWhere?: string;
}

const text = (name: string, pgType = 'text'): Column => ({ sqlite: name, pg: name.toLowerCase(), kind: 'text', pgType });
const flag = (name: string): Column => ({ sqlite: name, pg: name.toLowerCase(), kind: 'flag', pgType: 'boolean' });
const integer = (name: string, pgType = 'bigint'): Column => ({ sqlite: name, pg: name.toLowerCase(), kind: 'integer', pgType });

/** In the order rows must be inserted (networks before what refers to them). */
const TABLES: readonly Table[] = [
  {
    sqlite: 'Network', pg: 'network', pgKey: ['id'], sqliteOrder: 'id',
    columns: [
      text('id'), text('name'), text('description'), flag('private'), flag('enableBroadcast'), flag('allowPassiveBridging'),
      text('v4AssignMode'), text('v6AssignMode'), integer('multicastLimit', 'integer'), integer('comRevisionMaxDelta'),
      integer('mtu', 'integer'), text('dnsDomain'), text('dnsServers'),
      integer('revision'), integer('creationTime'), integer('changeSequence'),
    ],
  },
  {
    sqlite: 'Node', pg: 'node', pgKey: ['id'], sqliteOrder: 'id',
    columns: [
      text('id'), text('identity'), text('lastAt'), integer('lastSeen'), integer('firstSeen'),
      integer('vMajor', 'integer'), integer('vMinor', 'integer'), integer('vRev', 'integer'), integer('vProto', 'integer'),
    ],
  },
  {
    sqlite: 'Member', pg: 'member', pgKey: ['networkid', 'nodeid'], sqliteOrder: 'networkId, nodeId',
    sqliteWhere: 'networkId IN (SELECT id FROM Network)',
    columns: [
      text('networkId'), text('nodeId'), flag('authorized'), flag('activeBridge'), text('name'), text('notes'),
      integer('authorizedAt'), integer('deauthorizedAt'), flag('noAutoAssignIps'), integer('clientReportedRevision'),
      text('lastAuthorizedCredentialType'), text('lastAuthorizedCredential'),
      { sqlite: 'cachedNetconf', pg: 'cachednetconf', kind: 'blob', pgType: 'bytea' },
      integer('cachedNetconfRevision'), integer('cachedNetconfTimestamp'),
    ],
  },
  {
    sqlite: 'IpAssignmentPool', pg: 'ipassignmentpool', pgKey: ['networkid', 'position'], sqliteOrder: 'rowid',
    sqliteWhere: 'networkId IN (SELECT id FROM Network)',
    columns: [
      text('networkId'), text('ipNetwork'), integer('ipNetmaskBits', 'smallint'), text('ipRangeStart'), text('ipRangeEnd'),
    ],
  },
  {
    sqlite: 'Route', pg: 'route', pgKey: ['networkid', 'position'], sqliteOrder: 'rowid',
    sqliteWhere: 'networkId IN (SELECT id FROM Network)',
    columns: [text('networkId'), text('target'), integer('targetBits', 'smallint'), text('via')],
  },
  {
    sqlite: 'Rule', pg: 'rule', pgKey: ['networkid', 'ethertype', 'action'], sqliteOrder: 'rowid',
    sqliteWhere: `networkId IN (SELECT id FROM Network) AND etherType IS NOT NULL AND "action" = 'accept'`,
    columns: [text('networkId'), integer('etherType', 'integer'), { sqlite: '"action"', pg: 'action', kind: 'text', pgType: 'text' }],
  },
  {
    sqlite: 'MulticastRate', pg: 'multicastrate', pgKey: ['networkid', 'mgmac', 'mgadi'], sqliteOrder: 'networkId, mgMac, mgAdi',
    sqliteWhere: 'networkId IN (SELECT id FROM Network)',
    columns: [
      text('networkId'), text('mgMac'), integer('mgAdi'), integer('preload'), integer('maxBalance'), integer('accrual'),
    ],
  },
  {
    sqlite: 'JoinToken', pg: 'jointoken', pgKey: ['id'], sqliteOrder: 'id',
    sqliteWhere: 'networkId IN (SELECT id FROM Network)',
    columns: [
      text('id'), text('networkId'), text('name'), { sqlite: 'secretHash', pg: 'secrethash', kind: 'blob', pgType: 'bytea' },
      integer('createdAt'), integer('expiresAt'), integer('maxUses'), integer('uses'), flag('revoked'),
    ],
  },
  {
    sqlite: 'MemberExpiry', pg: 'memberexpiry', pgKey: ['networkid'], sqliteOrder: 'networkId',
    sqliteWhere: 'networkId IN (SELECT id FROM Network)',
    columns: [text('networkId'), integer('notSeenFor'), { sqlite: '"action"', pg: 'action', kind: 'text', pgType: 'text' }],
  },
  {
    // Kept whatever became of their network; ids copied as they are.
    sqlite: 'AuditEntry', pg: 'auditentry', pgKey: ['id'], sqliteOrder: 'id',
    columns: [
      integer('id'), integer('time'), text('actor'), { sqlite: '"action"', pg: 'action', kind: 'text', pgType: 'text' },
      text('networkId'), text('nodeId'), text('before'), text('after'),
    ],
  },
];

/** IpAssignment differs in shape: SQLite keeps the text form and the IPv4 integer, PostgreSQL one number. */
const ASSIGNMENT_COLUMNS = ['networkId', 'nodeId', 'ip', 'ipNetmaskBits', 'ipVersion', 'ipInt', 'automatic'] as const;

const PAGE_ROWS = 5000;

/** Tables with row triggers that an insert fires (revision raises, address runs): off during a copy into PostgreSQL. */
const TRIGGERED_TABLES = ['member', 'ipassignment', 'ipassignmentpool', 'route', 'rule', 'multicastrate'] as const;

/** Told how far a copy has come: `detail` names the table and the rows done (for a progress line). */
export type CopyProgress = (detail: string) => void;

/** What a copy moved, and what the target's schema could not hold. */
export interface CopyReport {
  rows: Record<string, number>;
  /** Rows left behind: orphans (no network), rules other than "accept this Ethernet type", unreadable addresses. */
  skipped: Record<string, number>;
}

/** A netconf SQLite image (a backup, a database file's bytes) opened in memory; the bytes are not changed. */
async function openImage(image?: Uint8Array) {
  const persistence = createMemoryPersistence();
  if (image !== undefined) {
    const snapshot = new Uint8Array(image);
    persistence.load = async () => ({ snapshot, records: [], logMatchesSnapshot: true });
  }
  return openSqlJsStorage({ persistence });
}

function sqliteSelect(column: Column): string {
  return column.kind === 'integer' ? `CAST(${column.sqlite} AS TEXT)` : column.sqlite;
}

function toPg(column: Column, value: SqlValue): unknown {
  if (value === null) return null;
  if (column.kind === 'flag') return Number(value) !== 0;
  if (column.kind === 'blob') return value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value));
  return value;
}

function toSqlite(column: Column, value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  if (column.kind === 'flag') return value === true ? 1 : 0;
  if (column.kind === 'blob') return new Uint8Array(value as Uint8Array);
  // Integer text binds into an INTEGER column as the exact integer.
  return String(value);
}

/** Reads a PostgreSQL table in key order, a page at a time. */
async function* pgPages(client: PoolClient, table: Table): AsyncGenerator<Record<string, unknown>[]> {
  const columns = table.columns.map((column) => column.pg);
  let after: unknown[] | null = null;
  for (;;) {
    const key = table.pgKey.join(', ');
    const where: string = after === null ? '' : `WHERE (${key}) > (${table.pgKey.map((_, i) => `$${i + 1}`).join(', ')})`;
    const sql: string = `SELECT ${[...new Set([...columns, ...table.pgKey])].join(', ')} FROM ${table.pg} ${where} ORDER BY ${key} LIMIT ${PAGE_ROWS}`;
    const rows: Record<string, unknown>[] = (await client.query<Record<string, unknown>>(sql, after ?? [])).rows;
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE_ROWS) return;
    const last: Record<string, unknown> = rows[rows.length - 1]!;
    after = table.pgKey.map((column) => last[column]);
  }
}

const ASSIGNMENT_TABLE: Table = {
  sqlite: 'IpAssignment', pg: 'ipassignment', pgKey: ['networkid', 'ipversion', 'ipint', 'nodeid', 'ipnetmaskbits'],
  sqliteOrder: 'rowid', columns: [{ sqlite: 'automatic', pg: 'automatic', kind: 'flag', pgType: 'boolean' }],
};

/**
 * A consistent SQLite image of the whole PostgreSQL database (one REPEATABLE READ snapshot), in
 * the current SQLite schema. Requests and admin changes go on meanwhile.
 */
export async function sqliteImageFromPostgres(store: PgConnectionSource, onProgress: CopyProgress = () => {}): Promise<Uint8Array> {
  const target = await openImage();
  try {
    await store.withClient(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        for (const table of TABLES) {
          let done = 0;
          for await (const rows of pgPages(client, table)) {
            await target.engine.write((writer) => insertSqlite(writer, table, rows));
            onProgress(`${table.pg}: ${done += rows.length} rows`);
          }
          if (table.sqlite === 'Network') {
            await target.engine.write((writer) => writer.run(`INSERT INTO RevisionHold (networkId) SELECT id FROM Network`));
          }
        }
        let assignments = 0;
        for await (const rows of pgPages(client, ASSIGNMENT_TABLE)) {
          onProgress(`ipassignment: ${assignments += rows.length} rows`);
          await target.engine.write((writer) => {
            for (const row of rows) {
              const family = Number(row.ipversion) as 4 | 6;
              const address = BigInt(String(row.ipint));
              writer.run(
                `INSERT INTO IpAssignment (${ASSIGNMENT_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
                [String(row.networkid), String(row.nodeid), formatIp(family, address), Number(row.ipnetmaskbits), family,
                  family === 4 ? Number(address) : null, row.automatic === true ? 1 : 0],
              );
            }
          });
        }
        await target.engine.write((writer) => {
          writer.run(`UPDATE RevisionHold SET pendingRaise = 0`);
          writer.run(`DELETE FROM RevisionHold`);
          writer.run(`UPDATE Config SET v = CAST((SELECT coalesce(max(changeSequence), 0) FROM Network) AS TEXT) WHERE k = 'changeSequence'`);
        });
      } finally {
        await client.query('COMMIT');
      }
    });
    return target.engine.exportImage();
  } finally {
    await target.close();
  }
}

function insertSqlite(writer: SqlWriter, table: Table, rows: Record<string, unknown>[]): void {
  const sql = `INSERT INTO ${table.sqlite} (${table.columns.map((column) => column.sqlite).join(', ')})
    VALUES (${table.columns.map(() => '?').join(', ')})`;
  for (const row of rows) writer.run(sql, table.columns.map((column) => toSqlite(column, row[column.pg])));
}

/**
 * Copies a SQLite image (a backup or a database file's bytes, of any schema version this library
 * reads) into the PostgreSQL database, in one transaction, in time linear in its rows. The target
 * must hold no network and no node (nor audit entry) unless `replace` is set, in which case its
 * contents are replaced. The connection's role must own the tables (it does when it made the schema).
 */
export async function copySqliteImageToPostgres(
  image: Uint8Array,
  store: PgConnectionSource,
  options: { replace?: boolean; onProgress?: CopyProgress } = {},
): Promise<CopyReport> {
  const onProgress = options.onProgress ?? (() => {});
  if (!(image instanceof Uint8Array)) throw new InvalidArgumentError('the SQLite image must be a Uint8Array');
  const source = await openImage(image).catch((error: unknown) => {
    throw error instanceof NotANetconfDatabaseError ? error : new NotANetconfDatabaseError(`not a netconf database image: ${(error as Error).message}`, { cause: error });
  });
  const report: CopyReport = { rows: {}, skipped: {} };
  try {
    await store.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const existing = (await client.query<{ count: string }>(
          `SELECT (SELECT count(*) FROM network) + (SELECT count(*) FROM node) + (SELECT count(*) FROM auditentry) AS count`,
        )).rows[0]!;
        if (Number(existing.count) > 0) {
          if (options.replace !== true) {
            throw new InvalidArgumentError('the PostgreSQL database already holds networks, nodes or audit entries; pass replace to overwrite them');
          }
          await client.query(
            `TRUNCATE network, node, member, ipassignment, iprun, ipassignmentpool, route, rule, multicastrate, revisionhold,
             jointoken, memberexpiry, auditentry`,
          );
        }
        for (const table of TRIGGERED_TABLES) await client.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
        for (const table of TABLES) {
          const { kept, total } = source.engine.read((reader) => readSqliteTable(reader, table));
          report.rows[table.pg] = kept.length;
          if (total > kept.length) report.skipped[table.pg] = total - kept.length;
          for (let start = 0; start < kept.length; start += PAGE_ROWS) {
            await insertPg(client, table, kept.slice(start, start + PAGE_ROWS));
            onProgress(`${table.pg}: ${Math.min(kept.length, start + PAGE_ROWS)} of ${kept.length} rows`);
          }
        }
        const assignments = source.engine.read((reader) => readSqliteAssignments(reader));
        report.rows.ipassignment = assignments.kept.length;
        if (assignments.skipped > 0) report.skipped.ipassignment = assignments.skipped;
        for (let start = 0; start < assignments.kept.length; start += PAGE_ROWS) {
          const page = assignments.kept.slice(start, start + PAGE_ROWS);
          await client.query(
            `INSERT INTO ipassignment (networkid, nodeid, ipversion, ipint, ipnetmaskbits, automatic)
             SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::numeric[], $5::smallint[], $6::boolean[])`,
            [page.map((a) => a.networkId), page.map((a) => a.nodeId), page.map((a) => a.family), page.map((a) => a.address),
              page.map((a) => a.bits), page.map((a) => a.automatic)],
          );
          onProgress(`ipassignment: ${Math.min(assignments.kept.length, start + PAGE_ROWS)} of ${assignments.kept.length} rows`);
        }
        // The runs of held addresses, at once: consecutive addresses share ipint - their rank.
        onProgress('address runs');
        await client.query(
          `INSERT INTO iprun (networkid, ipversion, first, last)
           SELECT networkid, ipversion, min(ipint), max(ipint)
           FROM (SELECT networkid, ipversion, ipint,
                        ipint - row_number() OVER (PARTITION BY networkid, ipversion ORDER BY ipint) AS step
                 FROM ipassignment) AS held
           GROUP BY networkid, ipversion, step`,
        );
        // The references checked now (they are deferred), since a table with checks pending cannot be altered.
        await client.query(`SET CONSTRAINTS ALL IMMEDIATE`);
        for (const table of TRIGGERED_TABLES) await client.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
        await client.query(
          `UPDATE config SET v = greatest(v::bigint, (SELECT coalesce(max(changesequence), 0) FROM network))::text WHERE k = 'changeSequence'`,
        );
        // Audit entries recorded after the copy follow the copied ones.
        await client.query(
          `SELECT setval(pg_get_serial_sequence('auditentry', 'id'), greatest((SELECT coalesce(max(id), 0) FROM auditentry), 1),
             (SELECT count(*) > 0 FROM auditentry))`,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  } finally {
    await source.close();
  }
  return report;
}

function readSqliteTable(reader: SqlReader, table: Table): { kept: SqlValue[][]; total: number } {
  const total = Number(reader.get<{ n: number }>(`SELECT count(*) AS n FROM ${table.sqlite}`)!.n);
  const rows = reader.all(
    `SELECT ${table.columns.map((column, i) => `${sqliteSelect(column)} AS c${i}`).join(', ')} FROM ${table.sqlite}
     ${table.sqliteWhere === undefined ? '' : `WHERE ${table.sqliteWhere}`} ORDER BY ${table.sqliteOrder}`,
  );
  return { kept: rows.map((row) => table.columns.map((_, i) => row[`c${i}`] ?? null)), total };
}

async function insertPg(client: PoolClient, table: Table, rows: SqlValue[][]): Promise<void> {
  if (rows.length === 0) return;
  const arrays = table.columns.map((column, i) => rows.map((row) => toPg(column, row[i] ?? null)));
  await client.query(
    `INSERT INTO ${table.pg} (${table.columns.map((column) => column.pg).join(', ')})
     SELECT * FROM unnest(${table.columns.map((column, i) => `$${i + 1}::${column.pgType}[]`).join(', ')})`,
    arrays,
  );
}

interface AssignmentRow {
  networkId: string;
  nodeId: string;
  family: number;
  address: string;
  bits: number;
  automatic: boolean;
}

function readSqliteAssignments(reader: SqlReader): { kept: AssignmentRow[]; skipped: number } {
  const rows = reader.all(
    `SELECT networkId, nodeId, ip, ipNetmaskBits, automatic FROM IpAssignment ORDER BY rowid`,
  );
  const networks = new Set(reader.all(`SELECT id FROM Network`).map((row) => String(row.id)));
  const kept: AssignmentRow[] = [];
  for (const row of rows) {
    const parsed = parseIpOrNull(String(row.ip));
    if (parsed === null) continue;
    if (!networks.has(String(row.networkId))) continue;
    kept.push({
      networkId: String(row.networkId), nodeId: String(row.nodeId), family: parsed.family,
      address: String(parsed.address), bits: Number(row.ipNetmaskBits), automatic: Number(row.automatic) !== 0,
    });
  }
  return { kept, skipped: rows.length - kept.length };
}
