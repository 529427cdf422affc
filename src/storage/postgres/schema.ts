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

export const POSTGRES_SCHEMA_VERSION = 4;
/** The channel the revision triggers notify on (schema version 2); the payload is the network ID. */
export const CHANGE_CHANNEL = 'zt_netconf_change';
export const APPLICATION_MARK = 'zt-netconf-master';

/** Serializes schema creation across processes opening one empty database at once. */
const SCHEMA_LOCK_KEY = 0x7a74_6e63; // "ztnc"

/** The network columns whose change alters what members receive, as version 1 made them. */
const NETWORK_SETTINGS_V1 = [
  'name', 'description', 'private', 'enablebroadcast', 'allowpassivebridging', 'v4assignmode', 'v6assignmode',
  'multicastlimit', 'comrevisionmaxdelta',
];

/**
 * The network row trigger's function: a change of any of `settings` raises the revision by 1 (or
 * is held with the rest of its transaction, see revisionhold); any revision move takes the next
 * change sequence and is notified to the other processes.
 */
function networkRevisionFunction(create: 'CREATE' | 'CREATE OR REPLACE', settings: readonly string[]): string {
  const row = (name: string) => settings.map((column) => `${name}.${column}`).join(', ');
  return `${create} FUNCTION network_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (${row('OLD')}) IS DISTINCT FROM (${row('NEW')}) THEN
    UPDATE revisionhold SET pendingraise = greatest(pendingraise, 1) WHERE networkid = NEW.id;
    IF NOT FOUND THEN NEW.revision := uint64_stored(uint64_value(NEW.revision) + 1); END IF;
  END IF;
  IF NEW.revision IS DISTINCT FROM OLD.revision THEN
    NEW.changesequence := revision_change_sequence();
    PERFORM pg_notify('${CHANGE_CHANNEL}', NEW.id);
  END IF;
  RETURN NEW;
END $$;`;
}

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

/**
 * Version 2: the revision rule of master.md section 4 in the schema, as in the SQLite schema's
 * version 4, so that every writer obeys it alike (this library, the CLI, an operator's psql). A
 * change to what members receive raises its network's revision in the same transaction: by the
 * network's COM revision max delta + 1 when an authorized member is de-authorized or deleted, by 1
 * otherwise. Names, notes, statistics, cached netconfs, a new member that is not an authorized
 * active bridge, and an address the master chose from a pool for that member (`automatic`) raise
 * nothing.
 *
 * `revisionhold` merges a transaction's raises into one: while a network has a row there, raises
 * only record the largest asked for, and deleting the row applies it.
 *
 * Each revision move gives the network the next change sequence (counted in the config row
 * `changeSequence`, which a network's deletion moves too) and notifies CHANGE_CHANNEL with the
 * network ID at commit, so that every master process on the database learns of it.
 *
 * Revisions and deltas are uint64s stored as the signed bigint with the same bits: the arithmetic
 * is done on their unsigned values (numeric), modulo 2^64.
 */
const VERSION_2_DDL = `
-- The master writes a new network's lists before its row (the triggers then have nothing to raise):
-- the references to the network are checked at commit.
${['member', 'ipassignment', 'ipassignmentpool', 'rule', 'multicastrate']
  .map((table) => `ALTER TABLE ${table} ALTER CONSTRAINT ${table}_networkid_fkey DEFERRABLE INITIALLY DEFERRED;`)
  .join('\n')}
ALTER TABLE network ADD COLUMN changesequence bigint NOT NULL DEFAULT 0;
CREATE INDEX network_changesequence ON network (changesequence);
ALTER TABLE ipassignment ADD COLUMN automatic boolean NOT NULL DEFAULT false;
CREATE TABLE revisionhold (
  networkid char(16) PRIMARY KEY,
  pendingraise numeric(20, 0) NOT NULL DEFAULT 0
);
INSERT INTO config (k, v) VALUES ('changeSequence', '0');

CREATE FUNCTION uint64_value(stored bigint) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN stored < 0 THEN stored::numeric + 18446744073709551616 ELSE stored::numeric END
$$;
CREATE FUNCTION uint64_stored(value numeric) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN mod(value, 18446744073709551616) >= 9223372036854775808
    THEN (mod(value, 18446744073709551616) - 18446744073709551616)::bigint
    ELSE mod(value, 18446744073709551616)::bigint END
$$;
-- The raise that revokes a member's certificates: the network's COM revision max delta + 1.
CREATE FUNCTION revision_revoke_amount(nwid char(16)) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT uint64_value(comrevisionmaxdelta) FROM network WHERE id = nwid), 0) + 1
$$;
CREATE FUNCTION revision_raise(nwid char(16), amount numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE revisionhold SET pendingraise = greatest(pendingraise, amount) WHERE networkid = nwid;
  IF NOT FOUND THEN
    UPDATE network SET revision = uint64_stored(uint64_value(revision) + amount) WHERE id = nwid;
  END IF;
END $$;
CREATE FUNCTION revision_change_sequence() RETURNS bigint LANGUAGE sql AS $$
  UPDATE config SET v = (v::bigint + 1)::text WHERE k = 'changeSequence' RETURNING v::bigint
$$;

CREATE FUNCTION revisionhold_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.pendingraise > 0 THEN
    UPDATE network SET revision = uint64_stored(uint64_value(revision) + OLD.pendingraise) WHERE id = OLD.networkid;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER revisionhold_release AFTER DELETE ON revisionhold FOR EACH ROW EXECUTE FUNCTION revisionhold_release();

-- Settings that members receive raise by 1; any revision move takes the next change sequence.
${networkRevisionFunction('CREATE', NETWORK_SETTINGS_V1)}
CREATE TRIGGER network_revision BEFORE UPDATE ON network FOR EACH ROW EXECUTE FUNCTION network_revision();

-- A deleted network may come back under its ID at a revision already used: the change sequence
-- moves and every process hears of it.
CREATE FUNCTION network_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM revision_change_sequence();
  PERFORM pg_notify('${CHANGE_CHANNEL}', OLD.id);
  RETURN NULL;
END $$;
CREATE TRIGGER network_deleted AFTER DELETE ON network FOR EACH ROW EXECUTE FUNCTION network_deleted();

CREATE FUNCTION member_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.authorized AND NEW.activebridge THEN PERFORM revision_raise(NEW.networkid, 1); END IF;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM revision_raise(OLD.networkid, CASE WHEN OLD.authorized THEN revision_revoke_amount(OLD.networkid) ELSE 1 END);
  ELSIF OLD.networkid IS DISTINCT FROM NEW.networkid OR OLD.nodeid IS DISTINCT FROM NEW.nodeid THEN
    PERFORM revision_raise(OLD.networkid, CASE WHEN OLD.authorized THEN revision_revoke_amount(OLD.networkid) ELSE 1 END);
    PERFORM revision_raise(NEW.networkid, 1);
  ELSE
    IF OLD.authorized IS DISTINCT FROM NEW.authorized THEN
      PERFORM revision_raise(NEW.networkid, CASE WHEN OLD.authorized THEN revision_revoke_amount(NEW.networkid) ELSE 1 END);
    END IF;
    IF OLD.activebridge IS DISTINCT FROM NEW.activebridge THEN PERFORM revision_raise(NEW.networkid, 1); END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER member_revision AFTER INSERT OR DELETE OR UPDATE OF networkid, nodeid, authorized, activebridge ON member
  FOR EACH ROW EXECUTE FUNCTION member_revision();

CREATE FUNCTION ipassignment_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT NEW.automatic THEN PERFORM revision_raise(NEW.networkid, 1); END IF;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM revision_raise(OLD.networkid, 1);
  ELSE
    PERFORM revision_raise(OLD.networkid, 1);
    PERFORM revision_raise(NEW.networkid, 1);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ipassignment_revision AFTER INSERT OR DELETE OR UPDATE OF networkid, nodeid, ipversion, ipint, ipnetmaskbits
  ON ipassignment FOR EACH ROW EXECUTE FUNCTION ipassignment_revision();

-- Pools, rules and multicast rates: every row is part of each member's config.
CREATE FUNCTION network_list_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN PERFORM revision_raise(OLD.networkid, 1); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM revision_raise(NEW.networkid, 1); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ipassignmentpool_revision AFTER INSERT OR DELETE OR UPDATE ON ipassignmentpool
  FOR EACH ROW EXECUTE FUNCTION network_list_revision();
CREATE TRIGGER rule_revision AFTER INSERT OR DELETE OR UPDATE ON rule FOR EACH ROW EXECUTE FUNCTION network_list_revision();
CREATE TRIGGER multicastrate_revision AFTER INSERT OR DELETE OR UPDATE ON multicastrate
  FOR EACH ROW EXECUTE FUNCTION network_list_revision();
`;

/**
 * Version 3: join tokens, member expiry, the audit trail and the controller model, as in the SQLite
 * schema's versions 5 and 6.
 * - jointoken (the secret only as its SHA-256), memberexpiry (one policy per network): deleted with
 *   their network (ON DELETE CASCADE).
 * - auditentry: kept when its network goes (no reference), ids ascending in recording order.
 * - member: `lastauthorizedcredentialtype`/`lastauthorizedcredential` (filled for members authorized
 *   before, as 'public' in a public network, else 'api'), `noautoassignips` (its change raises by 1).
 * - network: `mtu`, `dnsdomain`, `dnsservers` (comma list of addresses), which members receive: the
 *   network_revision trigger function is made again with them.
 * - route: managed routes in `position` order; every change raises by 1, like pools.
 * - ipassignmentpool: `iprangestart`/`iprangeend` for a pool given as a range (`ipnetwork` then holds
 *   the start and `ipnetmaskbits` 0).
 * - node: the software version (`vmajor`, `vminor`, `vrev`, `vproto`, -1 unknown); raises nothing.
 */
const VERSION_3_DDL = `
CREATE TABLE jointoken (
  id char(16) PRIMARY KEY,
  networkid char(16) NOT NULL REFERENCES network (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  name text NOT NULL DEFAULT '',
  secrethash bytea NOT NULL,
  createdat bigint NOT NULL,
  expiresat bigint,
  maxuses bigint,
  uses bigint NOT NULL DEFAULT 0,
  revoked boolean NOT NULL DEFAULT false
);
CREATE INDEX jointoken_networkid ON jointoken (networkid, createdat);
ALTER TABLE member ADD COLUMN lastauthorizedcredentialtype text;
ALTER TABLE member ADD COLUMN lastauthorizedcredential text;
UPDATE member SET lastauthorizedcredentialtype =
    CASE WHEN (SELECT private FROM network WHERE network.id = member.networkid) = false THEN 'public' ELSE 'api' END
  WHERE authorized OR authorizedat IS NOT NULL;
CREATE TABLE memberexpiry (
  networkid char(16) PRIMARY KEY REFERENCES network (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  notseenfor bigint NOT NULL,
  action text NOT NULL
);
CREATE TABLE auditentry (
  id bigserial PRIMARY KEY,
  time bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  networkid text,
  nodeid text,
  before text,
  after text
);
CREATE INDEX auditentry_time ON auditentry (time);
CREATE INDEX auditentry_networkid_time ON auditentry (networkid, time);
CREATE INDEX auditentry_networkid_nodeid_time ON auditentry (networkid, nodeid, time);

ALTER TABLE network ADD COLUMN mtu integer NOT NULL DEFAULT 2800;
ALTER TABLE network ADD COLUMN dnsdomain text NOT NULL DEFAULT '';
ALTER TABLE network ADD COLUMN dnsservers text NOT NULL DEFAULT '';
ALTER TABLE node ADD COLUMN vmajor integer NOT NULL DEFAULT -1;
ALTER TABLE node ADD COLUMN vminor integer NOT NULL DEFAULT -1;
ALTER TABLE node ADD COLUMN vrev integer NOT NULL DEFAULT -1;
ALTER TABLE node ADD COLUMN vproto integer NOT NULL DEFAULT -1;
ALTER TABLE member ADD COLUMN noautoassignips boolean NOT NULL DEFAULT false;
ALTER TABLE ipassignmentpool ADD COLUMN iprangestart text;
ALTER TABLE ipassignmentpool ADD COLUMN iprangeend text;
CREATE TABLE route (
  networkid char(16) NOT NULL REFERENCES network (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  position bigserial,
  target text NOT NULL,
  targetbits smallint NOT NULL,
  via text,
  PRIMARY KEY (networkid, position)
);
CREATE TRIGGER route_revision AFTER INSERT OR DELETE OR UPDATE ON route FOR EACH ROW EXECUTE FUNCTION network_list_revision();

${networkRevisionFunction('CREATE OR REPLACE', [...NETWORK_SETTINGS_V1, 'mtu', 'dnsdomain', 'dnsservers'])}

CREATE FUNCTION member_noautoassignips_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.noautoassignips IS DISTINCT FROM NEW.noautoassignips THEN PERFORM revision_raise(NEW.networkid, 1); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER member_noautoassignips_revision AFTER UPDATE OF noautoassignips ON member
  FOR EACH ROW EXECUTE FUNCTION member_noautoassignips_revision();
`;

/**
 * Version 4: indexes that keep two reads from visiting every member of a big network. Made in the
 * opening transaction: on a large database the first open of this version waits for them.
 * - `member_nodeid`: members found by node, for forgetting nodes left without members (member
 *   expiry with the delete action), which scanned every member of every network (0.7 s at
 *   1,000,000 members) while holding its locks.
 * - `member_activebridge` (partial: active bridges only, so a few rows): a network's active bridges,
 *   read by the first request after each revision change, which walked every authorized member.
 */
const VERSION_4_DDL = `
CREATE INDEX member_nodeid ON member (nodeid);
CREATE INDEX member_activebridge ON member (networkid, nodeid) WHERE activebridge AND authorized;
`;

/** Migrations from version n-1 to n, for n = 2..POSTGRES_SCHEMA_VERSION. */
const MIGRATIONS: readonly string[] = [VERSION_2_DDL, VERSION_3_DDL, VERSION_4_DDL];

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
 * `targetVersion` (an earlier version) is for tests of the migrations.
 */
export async function ensurePostgresSchema(db: PgQueryable, targetVersion = POSTGRES_SCHEMA_VERSION): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    let version = await readPostgresSchemaVersion(db);
    if (version === null) {
      await db.query(VERSION_1_DDL);
      await db.query(`INSERT INTO config (k, v) VALUES ('application', $1), ('schemaVersion', '1')`, [APPLICATION_MARK]);
      version = 1;
    }
    for (; version < targetVersion; version++) {
      await db.query(MIGRATIONS[version - 1]!);
      await db.query(`UPDATE config SET v = $1 WHERE k = 'schemaVersion'`, [String(version + 1)]);
    }
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
