/**
 * The netconf schema on PostgreSQL: the same tables and meaning as the SQLite schema
 * (src/storage/sql/schema.ts), in PostgreSQL's types. Names are lower case (PostgreSQL folds
 * unquoted names). 64-bit values are `bigint`; a uint64 is stored as the signed integer with the
 * same 64 bits (see `./values.ts`).
 *
 * Versioned by the `config` row `schemaVersion` (this schema's own numbering), and marked by the
 * row `application` so that a database of another program is never touched.
 */
import { NotANetconfDatabaseError, SchemaTooNewError } from '../../errors.js';
import type { PgQueryable } from './pg-types.js';

export const POSTGRES_SCHEMA_VERSION = 1;
export const APPLICATION_MARK = 'zt-netconf-master';

/** Serializes schema creation across processes opening one empty database at once. */
const SCHEMA_LOCK_KEY = 0x7a74_6e63; // "ztnc"

const VERSION_1_DDL = `
CREATE TABLE config (
  k text PRIMARY KEY,
  v text NOT NULL
);
CREATE TABLE network (
  id char(16) PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  private boolean NOT NULL DEFAULT true,
  enablebroadcast boolean NOT NULL DEFAULT true,
  allowpassivebridging boolean NOT NULL DEFAULT false,
  v4assignmode text NOT NULL DEFAULT 'none',
  v6assignmode text NOT NULL DEFAULT 'none',
  multicastlimit integer NOT NULL DEFAULT 32,
  comrevisionmaxdelta bigint NOT NULL DEFAULT 16,
  revision bigint NOT NULL DEFAULT 1,
  creationtime bigint NOT NULL DEFAULT 0
);
CREATE TABLE node (
  id char(10) PRIMARY KEY,
  identity text NOT NULL,
  lastat text,
  lastseen bigint NOT NULL DEFAULT 0,
  firstseen bigint NOT NULL DEFAULT 0
);
CREATE TABLE member (
  networkid char(16) NOT NULL REFERENCES network (id) ON DELETE CASCADE,
  nodeid char(10) NOT NULL,
  authorized boolean NOT NULL DEFAULT false,
  activebridge boolean NOT NULL DEFAULT false,
  name text NOT NULL DEFAULT '',
  notes text NOT NULL DEFAULT '',
  authorizedat bigint,
  deauthorizedat bigint,
  clientreportedrevision bigint,
  cachednetconf bytea,
  cachednetconfrevision bigint,
  cachednetconftimestamp bigint,
  PRIMARY KEY (networkid, nodeid)
);
CREATE INDEX member_behind ON member (networkid, authorized, clientreportedrevision);
CREATE TABLE ipassignment (
  networkid char(16) NOT NULL REFERENCES network (id) ON DELETE CASCADE,
  nodeid char(10) NOT NULL,
  ipversion smallint NOT NULL CHECK (ipversion IN (4, 6)),
  ipint numeric(39, 0) NOT NULL,
  ipnetmaskbits smallint NOT NULL,
  PRIMARY KEY (networkid, ipversion, ipint)
);
CREATE INDEX ipassignment_member ON ipassignment (networkid, nodeid);
CREATE TABLE iprun (
  networkid char(16) NOT NULL,
  ipversion smallint NOT NULL,
  first numeric(39, 0) NOT NULL,
  last numeric(39, 0) NOT NULL,
  PRIMARY KEY (networkid, ipversion, first)
);
CREATE TABLE ipassignmentpool (
  networkid char(16) NOT NULL REFERENCES network (id) ON DELETE CASCADE,
  position bigserial,
  ipnetwork text NOT NULL,
  ipnetmaskbits smallint NOT NULL,
  PRIMARY KEY (networkid, position)
);
CREATE TABLE rule (
  networkid char(16) NOT NULL REFERENCES network (id) ON DELETE CASCADE,
  ethertype integer NOT NULL,
  action text NOT NULL DEFAULT 'accept',
  PRIMARY KEY (networkid, ethertype, action)
);
CREATE TABLE multicastrate (
  networkid char(16) NOT NULL REFERENCES network (id) ON DELETE CASCADE,
  mgmac char(12) NOT NULL,
  mgadi bigint NOT NULL DEFAULT 0,
  preload bigint NOT NULL,
  maxbalance bigint NOT NULL,
  accrual bigint NOT NULL,
  PRIMARY KEY (networkid, mgmac, mgadi)
);

-- The held addresses of each network and family as maximal runs of consecutive addresses, kept
-- by triggers for every writer, so that "the first free address at or after a candidate" is one
-- index descent however many addresses are held (master.md section 3). Addresses are numeric(39),
-- which holds IPv6 addresses exactly.
CREATE FUNCTION iprun_add(nwid char(16), version smallint, address numeric) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  after_last numeric;
  before_run iprun%ROWTYPE;
BEGIN
  DELETE FROM iprun WHERE networkid = nwid AND ipversion = version AND first = address + 1 RETURNING last INTO after_last;
  SELECT * INTO before_run FROM iprun
    WHERE networkid = nwid AND ipversion = version AND first < address ORDER BY first DESC LIMIT 1;
  IF FOUND AND before_run.last = address - 1 THEN
    UPDATE iprun SET last = coalesce(after_last, address)
      WHERE networkid = nwid AND ipversion = version AND first = before_run.first;
  ELSE
    INSERT INTO iprun (networkid, ipversion, first, last) VALUES (nwid, version, address, coalesce(after_last, address));
  END IF;
END $$;
CREATE FUNCTION iprun_remove(nwid char(16), version smallint, address numeric) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  run iprun%ROWTYPE;
BEGIN
  SELECT * INTO run FROM iprun
    WHERE networkid = nwid AND ipversion = version AND first <= address ORDER BY first DESC LIMIT 1;
  IF NOT FOUND OR run.last < address THEN RETURN; END IF;
  IF run.last > address THEN
    INSERT INTO iprun (networkid, ipversion, first, last) VALUES (nwid, version, address + 1, run.last);
  END IF;
  IF run.first < address THEN
    UPDATE iprun SET last = address - 1 WHERE networkid = nwid AND ipversion = version AND first = run.first;
  ELSE
    DELETE FROM iprun WHERE networkid = nwid AND ipversion = version AND first = run.first;
  END IF;
END $$;
CREATE FUNCTION ipassignment_iprun() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN PERFORM iprun_remove(OLD.networkid, OLD.ipversion, OLD.ipint); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM iprun_add(NEW.networkid, NEW.ipversion, NEW.ipint); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ipassignment_iprun AFTER INSERT OR DELETE OR UPDATE OF networkid, ipversion, ipint ON ipassignment
  FOR EACH ROW EXECUTE FUNCTION ipassignment_iprun();
`;

/** Migrations from version n-1 to n, for n = 2..POSTGRES_SCHEMA_VERSION (none yet). */
const MIGRATIONS: readonly string[] = [];

async function userTables(db: PgQueryable): Promise<string[]> {
  const result = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return result.rows.map((row) => row.name);
}

/**
 * The schema version of the connected database: null when it has no tables, else ours. Throws
 * NotANetconfDatabaseError for another program's database, SchemaTooNewError for a newer one.
 */
export async function readPostgresSchemaVersion(db: PgQueryable): Promise<number | null> {
  const tables = await userTables(db);
  if (tables.length === 0) return null;
  if (!tables.includes('config')) {
    throw new NotANetconfDatabaseError(
      `not a netconf database: it has tables (${tables.slice(0, 8).join(', ')}) but no config table`,
    );
  }
  const rows = (await db.query<{ k: string; v: string }>(`SELECT k, v FROM config WHERE k IN ('application', 'schemaVersion')`)).rows;
  const value = (k: string) => rows.find((row) => row.k === k)?.v;
  if (value('application') !== APPLICATION_MARK) {
    throw new NotANetconfDatabaseError('not a netconf database: its config table does not name zt-netconf-master');
  }
  const text = value('schemaVersion') ?? '';
  if (!/^[1-9][0-9]{0,8}$/.test(text)) {
    throw new NotANetconfDatabaseError(`not a netconf database: schemaVersion ${JSON.stringify(text.slice(0, 32))}`);
  }
  const version = Number(text);
  if (version > POSTGRES_SCHEMA_VERSION) {
    throw new SchemaTooNewError(
      `database schema version ${version} is newer than this library understands (${POSTGRES_SCHEMA_VERSION})`,
    );
  }
  return version;
}

/**
 * Creates or migrates the schema, in one transaction holding an advisory lock, so that processes
 * opening one database at the same moment all succeed and only one of them creates it.
 */
export async function ensurePostgresSchema(db: PgQueryable): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    let version = await readPostgresSchemaVersion(db);
    if (version === null) {
      await db.query(VERSION_1_DDL);
      await db.query(`INSERT INTO config (k, v) VALUES ('application', $1), ('schemaVersion', '1')`, [APPLICATION_MARK]);
      version = 1;
    }
    for (; version < POSTGRES_SCHEMA_VERSION; version++) {
      await db.query(MIGRATIONS[version - 1]!);
      await db.query(`UPDATE config SET v = $1 WHERE k = 'schemaVersion'`, [String(version + 1)]);
    }
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
