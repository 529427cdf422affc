/**
 * The master's storage interface (src/master/store.ts) over a SQL engine (src/storage/engine.ts),
 * on the schema of src/storage/sql/schema.ts. All SQL of the master lives here.
 */
import { ConflictError, CorruptDatabaseError } from '../../errors.js';
import { firstFreeInRange } from '../../protocol/free-range.js';
import { assignableRange, formatIp, parseCidr, parseIp } from '../../protocol/ip.js';
import type { Cidr, IpFamily } from '../../protocol/ip.js';
import type {
  CachedNetconf, IpPool, ManagedRoute, MemberCounts, MemberKey, MemberPageQuery, MembersSeenPage, StorageStats, MemberRow, NodeVersion, MulticastRateRow, NetconfStore, NetconfStoreReader, NetconfStoreTx,
  NetworkRevisionChange, NetworkRow, NetworkRowSettings, NodeRecord, RequestState, StorageWork, Synchronous, TransactionOptions,
} from '../../master/store.js';
import { runSync } from '../../master/store.js';
import { CREDENTIAL_TYPES, MEMBER_EXPIRY_ACTIONS, V4_ASSIGN_MODES, V6_ASSIGN_MODES } from '../../master/store.js';
import type { AuditEntryRow, AuditQuery, JoinTokenRow, MemberExpiryRow } from '../../master/store.js';
import type { SqlEngine, SqlReader, SqlRow, SqlValue, SqlWriter } from '../sqljs/engine.js';
import { coalescedSoon } from '../../schedule-soon.js';
import {
  readFlag, readInteger, readOneOf, readOptionalInteger, readOptionalText, readOptionalUint64, readText, readUint64,
  rowPlace, uint64Below, uint64Select, uint64ToSql, type Place, type RowPlace,
} from './column-values.js';
import { addSighting, addSightings, type NodeSighting } from '../node-sightings.js';
import { readableRows } from '../readable-rows.js';

/** Sightings of nodes not yet written, by address. */
type PendingSightings = Map<string, NodeSighting>;

/** Signed netconfs not yet written, by `nwid/address`, with the store generation they were cached in. */
type PendingNetconfs = Map<string, { nwid: string; address: string; netconf: CachedNetconf; generation: number }>;

/** What a transaction that deletes rows tells the store (see SqlNetconfStore.generation). */
interface RowDeletion {
  /** Writes the pending netconfs in the deleting transaction, before its deletions. */
  writePendingNetconfs(writer: SqlWriter): void;
  /** Moves the generation: a deleted network or member may come back at a revision already used. */
  rowsDeleted(): void;
}

/**
 * Statistics are batched: a request's `touchNode` is kept in memory once its transaction commits
 * and written, for every node seen meanwhile, in one deferred transaction at the next turn of the
 * event loop, or before anything reads a backup, flushes or closes. Reads of a node see its pending
 * sighting. So a repeated request (cached or not newer) writes nothing at all. A crash may lose the
 * last moments of lastSeen / lastAt, never a claim. Netconfs signed after their request committed
 * (`cacheNetconf`) ride in the same batch.
 */
export class SqlNetconfStore implements NetconfStore {
  readonly #engine: SqlEngine;
  readonly #sightings: PendingSightings = new Map();
  readonly #netconfs: PendingNetconfs = new Map();
  /** Writes what waits (sightings, reported revisions) on the next turn, once however often asked. */
  readonly #scheduleWrite = coalescedSoon(() => this.#writePending());
  /** Transactions that deleted a network or a member. */
  #deletions = 0;
  readonly #rowDeletion: RowDeletion = {
    writePendingNetconfs: (writer) => this.#writePendingNetconfs(writer),
    rowsDeleted: () => void this.#deletions++,
  };

  constructor(engine: SqlEngine) {
    this.#engine = engine;
  }

  /**
   * Moves when the engine's state is replaced (reloaded after another program's edit, rolled back
   * after a failed write) and when a transaction deletes a network or a member.
   */
  get generation(): number {
    return this.#engine.generation + this.#deletions;
  }

  /** The engine underneath, for storage-level tools (restore, integrity checks). */
  get engine(): SqlEngine {
    return this.#engine;
  }

  /** Runs the whole work at once inside one engine transaction: every call answers a value. */
  transaction<T>(work: (tx: Synchronous<NetconfStoreTx>) => StorageWork<T>, options?: TransactionOptions): Promise<T> {
    return this.#engine.write((writer) => {
      const tx = new SqlTx(writer, this.#sightings, this.#rowDeletion);
      const value = runSync(work(tx));
      // Reached only when the work did not throw: a rolled-back request records no sighting.
      if (tx.sightings.size > 0) this.#addSightings(tx.sightings);
      return value;
    }, options);
  }

  async read<T>(work: (reader: Synchronous<NetconfStoreReader>) => StorageWork<T>): Promise<T> {
    return this.#engine.read((reader) => runSync(work(new SqlRead(reader, this.#sightings))));
  }

  async backup(): Promise<Uint8Array> {
    this.#writePending();
    return this.#engine.exportImage();
  }

  flush(): Promise<void> {
    this.#writePending();
    return this.#engine.flush();
  }

  close(): Promise<void> {
    this.#writePending();
    return this.#engine.close();
  }

  stats(): StorageStats {
    return this.#engine.stats();
  }

  #addSightings(seen: PendingSightings): void {
    addSightings(this.#sightings, seen);
    this.#scheduleWrite();
  }

  cacheNetconf(nwid: string, address: string, netconf: CachedNetconf): void {
    this.#netconfs.set(`${nwid}/${address}`, { nwid, address, netconf, generation: this.generation });
    this.#scheduleWrite();
  }

  /** Writes the pending netconfs cached in the current generation; those of an earlier one go. */
  #writePendingNetconfs(writer: SqlWriter): void {
    const generation = this.generation;
    for (const pending of this.#netconfs.values()) {
      if (pending.generation === generation) writeCachedNetconf(writer, pending.nwid, pending.address, pending.netconf);
    }
    this.#netconfs.clear();
  }


  /** Writes pending sightings and netconfs in one deferred transaction (applied in memory at once). */
  #writePending(): void {
    if (this.#sightings.size === 0 && this.#netconfs.size === 0) return;
    const batch = [...this.#sightings];
    this.#sightings.clear();
    this.#engine
      .write(
        (writer) => {
          for (const [address, { lastSeen, lastAt, version }] of batch) {
            if (version !== null) {
              // One statement per node, as without a version.
              writer.run(
                `UPDATE Node SET lastSeen = ?, lastAt = coalesce(?, lastAt), vMajor = ?, vMinor = ?, vRev = ?, vProto = ? WHERE id = ?`,
                [lastSeen, lastAt, version.major, version.minor, version.revision, version.protocol, address],
              );
            } else if (lastAt === null) writer.run(`UPDATE Node SET lastSeen = ? WHERE id = ?`, [lastSeen, address]);
            else writer.run(`UPDATE Node SET lastSeen = ?, lastAt = ? WHERE id = ?`, [lastSeen, lastAt, address]);
          }
          this.#writePendingNetconfs(writer);
        },
        { durability: 'deferred' },
      )
      // A failed statistics or cache write is reported by the engine to its own waiters; nothing here waits.
      .catch(() => {});
  }
}

function writeCachedNetconf(writer: SqlWriter, nwid: string, address: string, netconf: CachedNetconf): void {
  writer.run(
    `UPDATE Member SET cachedNetconf = ?, cachedNetconfRevision = ?, cachedNetconfTimestamp = ?
     WHERE networkId = ? AND nodeId = ?`,
    [netconf.bytes, uint64ToSql(netconf.revision), netconf.timestamp, nwid, address],
  );
}

const CONFIG_CHANGE_SEQUENCE: RowPlace = { table: 'Config', row: 'changeSequence' };

const MEMBER_COLUMNS =
  'networkId, nodeId, authorized, activeBridge, name, notes, authorizedAt, deauthorizedAt, noAutoAssignIps, ' +
  'clientReportedRevision, lastAuthorizedCredentialType, lastAuthorizedCredential';
const MEMBER_SELECT = MEMBER_COLUMNS.replace('clientReportedRevision', uint64Select('clientReportedRevision', 'clientReportedRevision'));

const NETWORK_COLUMNS =
  'id, name, description, private, enableBroadcast, allowPassiveBridging, v4AssignMode, v6AssignMode, ' +
  'multicastLimit, comRevisionMaxDelta, mtu, dnsDomain, dnsServers, revision, creationTime';
const NETWORK_SELECT = NETWORK_COLUMNS
  .replace('comRevisionMaxDelta', uint64Select('comRevisionMaxDelta', 'comRevisionMaxDelta'))
  .replace(' revision,', ` ${uint64Select('revision', 'revision')},`);

/**
 * A request's node, network and member in one statement instead of three: a request's fixed cost
 * is mostly statements run. The columns tested for NULL are NOT NULL in their tables, so NULL means
 * "no such row". The revisions come as stored: a number when a double holds them exactly, which is
 * every revision below 2^53; for any other, the same read again through `uint64Select`
 * (REQUEST_STATE_EXACT_SQL) gives them exactly.
 */
const requestStateSql = (revisions: (column: string, alias: string) => string) =>
  `SELECT Node.identity AS identity, Network.private AS private, ${revisions('Network.revision', 'revision')},
          Member.authorized AS authorized,
          ${revisions('Member.clientReportedRevision', 'clientReportedRevision')},
          ${revisions('Member.cachedNetconfRevision', 'cachedNetconfRevision')}
   FROM (SELECT ?1 AS nodeId, ?2 AS networkId) AS request
   LEFT JOIN Node ON Node.id = request.nodeId
   LEFT JOIN Network ON Network.id = request.networkId
   LEFT JOIN Member ON Member.networkId = request.networkId AND Member.nodeId = request.nodeId`;
const REQUEST_STATE_SQL = requestStateSql((column, alias) => `${column} AS ${alias}`);
const REQUEST_STATE_EXACT_SQL = requestStateSql(uint64Select);

/** Whether a column read as stored holds an exact integer (or NULL). */
function exact(value: SqlValue | undefined): boolean {
  return value === null || (typeof value === 'number' && Number.isSafeInteger(value));
}

const NETWORK_TABLE: RowPlace = { table: 'Network', row: 'a network' };
const MEMBER_TABLE: RowPlace = { table: 'Member', row: 'a member' };
// A network's or a member's row, named only when an error needs it (the request path reads both every time).
const networkPlace = (nwid: string): Place => () => ({ table: 'Network', row: `network ${nwid}` });
const memberPlace = (nwid: string, address: string): Place => () => ({ table: 'Member', row: `member ${address} of network ${nwid}` });

class SqlRead implements NetconfStoreReader {
  constructor(
    protected readonly sql: SqlReader,
    protected readonly pendingSightings: PendingSightings,
  ) {}

  getNode(address: string): NodeRecord | undefined {
    const row = this.sql.get(
      `SELECT id, identity, lastAt, firstSeen, lastSeen, vMajor, vMinor, vRev, vProto FROM Node WHERE id = ?`,
      [address],
    );
    if (row === undefined) return undefined;
    const place: RowPlace = { table: 'Node', row: `node ${address}` };
    const pending = this.pendingSightings.get(address);
    return {
      address: readText(row, 'id', place),
      identity: readText(row, 'identity', place),
      lastAt: pending?.lastAt ?? readOptionalText(row, 'lastAt', place),
      firstSeen: readInteger(row, 'firstSeen', place),
      lastSeen: pending?.lastSeen ?? readInteger(row, 'lastSeen', place),
      version: pending?.version ?? {
        major: readInteger(row, 'vMajor', place),
        minor: readInteger(row, 'vMinor', place),
        revision: readInteger(row, 'vRev', place),
        protocol: readInteger(row, 'vProto', place),
      },
    };
  }

  getNetwork(nwid: string): NetworkRow | undefined {
    const row = this.sql.get(`SELECT ${NETWORK_SELECT} FROM Network WHERE id = ?`, [nwid]);
    return row === undefined ? undefined : networkFromRow(row, networkPlace(nwid));
  }

  getRequestState(nwid: string, address: string): RequestState {
    let row = this.sql.get(REQUEST_STATE_SQL, [address, nwid])!;
    if (!exact(row.revision) || !exact(row.clientReportedRevision) || !exact(row.cachedNetconfRevision)) {
      row = this.sql.get(REQUEST_STATE_EXACT_SQL, [address, nwid])!;
    }
    const network = networkPlace(nwid);
    const member = memberPlace(nwid, address);
    return {
      nodeIdentity: row.identity === null ? undefined : readText(row, 'identity', () => ({ table: 'Node', row: `node ${address}` })),
      network: row.revision === null ? undefined : { private: readFlag(row, 'private', network), revision: readUint64(row, 'revision', network) },
      member:
        row.authorized === null
          ? undefined
          : {
              authorized: readFlag(row, 'authorized', member),
              clientReportedRevision: readOptionalUint64(row, 'clientReportedRevision', member),
              cachedNetconfRevision: readOptionalUint64(row, 'cachedNetconfRevision', member),
            },
    };
  }

  listNetworkIds(): string[] {
    return this.sql.all(`SELECT id FROM Network ORDER BY id`).map((row) => readText(row, 'id', NETWORK_TABLE));
  }

  networkIdsInRange(from: string, to: string, limit: number): string[] {
    return this.sql
      .all(`SELECT id FROM Network WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?`, [from, to, limit])
      .map((row) => readText(row, 'id', NETWORK_TABLE));
  }

  getMember(nwid: string, address: string): MemberRow | undefined {
    const row = this.sql.get(`SELECT ${MEMBER_SELECT} FROM Member WHERE networkId = ? AND nodeId = ?`, [nwid, address]);
    return row === undefined ? undefined : memberFromRow(row, memberPlace(nwid, address));
  }

  listMembers(nwid: string): MemberRow[] {
    return this.sql
      .all(`SELECT ${MEMBER_SELECT} FROM Member WHERE networkId = ? ORDER BY nodeId`, [nwid])
      .map((row) => memberFromRow(row, memberPlace(nwid, String(row.nodeId))));
  }

  pageMembers(nwid: string, query: MemberPageQuery): MemberRow[] {
    const params: (string | number)[] = [nwid];
    let where = 'networkId = ?';
    // Members in address order along the member key, stopping at the page's end; but those waiting
    // (few, as a rule) found through the authorization index and sorted, rather than every member read.
    let order = 'nodeId';
    if (query.authorized !== undefined) {
      where += ' AND authorized = ?';
      params.push(query.authorized ? 1 : 0);
      if (!query.authorized) order = '+nodeId';
    }
    if (query.search !== undefined) {
      // LIKE ignores ASCII case, without making a lower-case copy of every name.
      where += ` AND (instr(nodeId, ?) > 0 OR name LIKE ? ESCAPE '\\')`;
      params.push(query.search, `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    params.push(query.limit, query.offset);
    return this.sql
      .all(`SELECT ${MEMBER_SELECT} FROM Member WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`, params)
      .map((row) => memberFromRow(row, memberPlace(nwid, String(row.nodeId))));
  }

  countMembers(nwid: string): MemberCounts {
    const row = this.sql.get(`SELECT count(*) AS total, coalesce(sum(authorized), 0) AS authorized FROM Member WHERE networkId = ?`, [nwid])!;
    const place: RowPlace = { table: 'Member', row: `the member counts of network ${nwid}` };
    return { total: readInteger(row, 'total', place), authorized: readInteger(row, 'authorized', place) };
  }

  countMembersSeen(since: number, after: MemberKey | null, limit: number): MembersSeenPage {
    const place: RowPlace = { table: 'Member', row: 'the member counts' };
    // The page: members after `after`, up to and including the `limit`-th (absent on the last page).
    const bounds: string[] = [];
    const params: string[] = [];
    const bound = (condition: string, key: MemberKey) => {
      bounds.push(condition);
      params.push(key.networkId, key.address);
    };
    if (after !== null) bound('(networkId, nodeId) > (?, ?)', after);
    const last = this.sql.get(
      `SELECT networkId, nodeId FROM Member WHERE ${bounds.join(' AND ') || 1} ORDER BY networkId, nodeId LIMIT 1 OFFSET ?`,
      [...params, limit - 1],
    );
    const next = last === undefined ? null : { networkId: readText(last, 'networkId', place), address: readText(last, 'nodeId', place) };
    if (next !== null) bound('(networkId, nodeId) <= (?, ?)', next);
    const row = this.sql.get(
      `SELECT count(*) AS members, coalesce(sum(Node.lastSeen >= ?), 0) AS seen
       FROM (SELECT nodeId FROM Member WHERE ${bounds.join(' AND ') || 1}) AS page LEFT JOIN Node ON Node.id = page.nodeId`,
      [since, ...params],
    )!;
    return { members: readInteger(row, 'members', place), seen: readInteger(row, 'seen', place), next };
  }

  getCachedNetconf(nwid: string, address: string, revision: bigint): CachedNetconf | undefined {
    const row = this.sql.get(
      `SELECT cachedNetconf, cachedNetconfTimestamp FROM Member
       WHERE networkId = ? AND nodeId = ? AND cachedNetconf IS NOT NULL AND cachedNetconfRevision = ?`,
      [nwid, address, uint64ToSql(revision)],
    );
    if (row === undefined) return undefined;
    const place = memberPlace(nwid, address);
    const bytes = row.cachedNetconf;
    return {
      bytes: bytes instanceof Uint8Array ? bytes : new TextEncoder().encode(readText(row, 'cachedNetconf', place)),
      revision,
      timestamp: readOptionalInteger(row, 'cachedNetconfTimestamp', place) ?? 0,
    };
  }

  activeBridges(nwid: string): string[] {
    return this.sql
      .all(
        `SELECT nodeId FROM Member WHERE networkId = ? AND activeBridge = 1 AND authorized = 1 ORDER BY nodeId`,
        [nwid],
      )
      .map((row) => readText(row, 'nodeId', MEMBER_TABLE));
  }

  membersBehind(nwid: string, revision: bigint): string[] {
    return this.sql
      .all(
        `SELECT nodeId FROM Member WHERE networkId = ? AND authorized = 1
         AND (clientReportedRevision IS NULL OR ${uint64Below('clientReportedRevision', revision)})`,
        [nwid, uint64ToSql(revision)],
      )
      .map((row) => readText(row, 'nodeId', MEMBER_TABLE))
      .sort(); // sorted here: ORDER BY would make SQLite walk the (networkId, nodeId) index instead

  }

  lastChangeSequence(): number {
    const row = this.sql.get(`SELECT CAST(v AS INTEGER) AS v FROM Config WHERE k = 'changeSequence'`);
    return row === undefined ? 0 : readInteger(row, 'v', CONFIG_CHANGE_SEQUENCE);
  }

  networksChangedSince(sequence: number): NetworkRevisionChange[] {
    return this.sql
      .all(
        `SELECT id, ${uint64Select('revision', 'revision')}, changeSequence FROM Network WHERE changeSequence > ? ORDER BY changeSequence`,
        [sequence],
      )
      .map((row) => {
        const place = { table: 'Network', row: `network ${String(row.id)}` };
        return {
          nwid: readText(row, 'id', place),
          revision: readUint64(row, 'revision', place),
          changeSequence: readInteger(row, 'changeSequence', place),
        };
      });
  }

  getAssignments(nwid: string, address: string): Cidr[] {
    // Filtered and sorted here: any other condition or ORDER BY may lead SQLite (no ANALYZE
    // statistics) to scan a whole network's addresses through another index.
    const rows = this.sql.all(
      `SELECT ip, ipNetmaskBits, ipVersion, ipInt FROM IpAssignment WHERE networkId = ? AND nodeId = ?`,
      [nwid, address],
    );
    const place: RowPlace = { table: 'IpAssignment', row: `an address of member ${address} in network ${nwid}` };
    return rows
      .filter((row) => row.ipVersion === 4 || row.ipVersion === 6)
      .map((row) => assignmentFromRow(row, place))
      .sort(byAddress);
  }

  listAssignments(nwid: string): Map<string, Cidr[]> {
    const rows = this.sql.all(
      `SELECT nodeId, ip, ipNetmaskBits, ipVersion, ipInt FROM IpAssignment
       WHERE networkId = ? AND ipVersion IS NOT NULL ORDER BY nodeId, ipVersion, ipInt, ip`,
      [nwid],
    );
    const byMember = new Map<string, Cidr[]>();
    for (const row of rows) {
      const place: RowPlace = { table: 'IpAssignment', row: `an address in network ${nwid}` };
      const node = readText(row, 'nodeId', place);
      let list = byMember.get(node);
      if (list === undefined) byMember.set(node, (list = []));
      list.push(assignmentFromRow(row, place));
    }
    return byMember;
  }

  assignmentHolder(nwid: string, family: IpFamily, value: bigint): string | undefined {
    const row =
      family === 4
        ? this.sql.get(`SELECT nodeId FROM IpAssignment WHERE networkId = ? AND ipInt = ?`, [nwid, Number(value)])
        : this.sql.get(`SELECT nodeId FROM IpAssignment WHERE networkId = ? AND ip = ?`, [nwid, formatIp(6, value)]);
    return row === undefined ? undefined : readText(row, 'nodeId', { table: 'IpAssignment', row: `an address in network ${nwid}` });
  }

  firstFreeAddress(nwid: string, family: IpFamily, from: bigint, to: bigint): bigint | null {
    if (from > to) return null;
    if (family === 4) {
      // Runs are maximal, so the address after the run holding `from` is free.
      const run = this.sql.get(
        `SELECT last FROM IpRun WHERE networkId = ? AND first <= ? ORDER BY first DESC LIMIT 1`,
        [nwid, Number(from)],
      );
      const last = run === undefined ? undefined : BigInt(readInteger(run, 'last', { table: 'IpRun', row: `a run in network ${nwid}` }));
      const free = last !== undefined && last >= from ? last + 1n : from;
      return free <= to ? free : null;
    }
    return firstFreeInRange(from, to, (low, high, limit) =>
      this.sql
        .all(
          `SELECT ip FROM IpAssignment WHERE networkId = ? AND ipVersion = 6 AND ip BETWEEN ? AND ? ORDER BY ip LIMIT ?`,
          [nwid, formatIp(6, low), formatIp(6, high), limit],
        )
        .map((row) => ipv6FromRow(row, { table: 'IpAssignment', row: `an address in network ${nwid}` })),
    );
  }


  getPools(nwid: string): IpPool[] {
    const rows = this.sql.all(
      `SELECT ipNetwork, ipNetmaskBits, ipRangeStart, ipRangeEnd FROM IpAssignmentPool WHERE networkId = ? ORDER BY rowid`,
      [nwid],
    );
    return readableRows(rows, poolFromRow);
  }

  getRoutes(nwid: string): ManagedRoute[] {
    const place: RowPlace = { table: 'Route', row: `a route of network ${nwid}` };
    return this.sql
      .all(`SELECT target, targetBits, via FROM Route WHERE networkId = ? ORDER BY rowid`, [nwid])
      .map((row) => {
        const target = readAddress(row, 'target', place);
        const via = readOptionalText(row, 'via', place) === null ? null : readAddress(row, 'via', place);
        return { target: { ...target, bits: readInteger(row, 'targetBits', place) }, via };
      });
  }

  getAcceptedEtherTypes(nwid: string): number[] {
    return this.sql
      .all(
        `SELECT DISTINCT etherType FROM Rule WHERE networkId = ? AND "action" = 'accept' AND etherType IS NOT NULL
         ORDER BY etherType`,
        [nwid],
      )
      .map((row) => readInteger(row, 'etherType', { table: 'Rule', row: `a rule of network ${nwid}` }));
  }

  getMulticastRates(nwid: string): MulticastRateRow[] {
    return this.sql
      .all(
        `SELECT mgMac, mgAdi, preload, maxBalance, accrual FROM MulticastRate WHERE networkId = ? ORDER BY mgMac, mgAdi`,
        [nwid],
      )
      .map((row) => {
        const place: RowPlace = { table: 'MulticastRate', row: `a rate of network ${nwid}` };
        return {
          mac: readText(row, 'mgMac', place),
          adi: readInteger(row, 'mgAdi', place),
          preload: readInteger(row, 'preload', place),
          maxBalance: readInteger(row, 'maxBalance', place),
          accrual: readInteger(row, 'accrual', place),
        };
      });
  }

  getJoinToken(id: string): JoinTokenRow | undefined {
    const row = this.sql.get(`SELECT ${JOIN_TOKEN_COLUMNS} FROM JoinToken WHERE id = ?`, [id]);
    return row === undefined ? undefined : joinTokenFromRow(row);
  }

  listJoinTokens(nwid: string): JoinTokenRow[] {
    return this.sql
      .all(`SELECT ${JOIN_TOKEN_COLUMNS} FROM JoinToken WHERE networkId = ? ORDER BY createdAt, id`, [nwid])
      .map(joinTokenFromRow);
  }

  getMemberExpiry(nwid: string): MemberExpiryRow | undefined {
    const row = this.sql.get(`SELECT networkId, notSeenFor, "action" FROM MemberExpiry WHERE networkId = ?`, [nwid]);
    return row === undefined ? undefined : memberExpiryFromRow(row);
  }

  listMemberExpiries(): MemberExpiryRow[] {
    return this.sql.all(`SELECT networkId, notSeenFor, "action" FROM MemberExpiry ORDER BY networkId`).map(memberExpiryFromRow);
  }

  membersNotSeenSince(nwid: string, time: number): string[] {
    return this.sql
      .all(
        `SELECT Member.nodeId AS nodeId FROM Member JOIN Node ON Node.id = Member.nodeId
         WHERE Member.networkId = ? AND Node.lastSeen < ?`,
        [nwid, time],
      )
      .map((row) => readText(row, 'nodeId', MEMBER_TABLE))
      // A sighting not yet written is newer than the stored lastSeen.
      .filter((address) => (this.pendingSightings.get(address)?.lastSeen ?? -Infinity) < time)
      .sort();
  }

  listAuditEntries(query: AuditQuery): AuditEntryRow[] {
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    if (query.nwid !== undefined) (conditions.push('networkId = ?'), params.push(query.nwid));
    if (query.address !== undefined) (conditions.push('nodeId = ?'), params.push(query.address));
    if (query.since !== undefined) (conditions.push('time >= ?'), params.push(query.since));
    if (query.until !== undefined) (conditions.push('time < ?'), params.push(query.until));
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const limit = query.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
    return this.sql
      .all(
        `SELECT id, time, actor, "action", networkId, nodeId, before, after FROM AuditEntry ${where} ORDER BY id DESC${limit}`,
        params,
      )
      .map(auditEntryFromRow)
      .reverse();
  }
}

class SqlTx extends SqlRead implements NetconfStoreTx {
  readonly #writer: SqlWriter;
  /** Nodes seen in this transaction; the store keeps them once it commits. */
  readonly sightings: PendingSightings = new Map();

  constructor(
    writer: SqlWriter,
    pendingSightings: PendingSightings,
    private readonly rowDeletion: RowDeletion,
  ) {
    super(writer, pendingSightings);
    this.#writer = writer;
  }

  /**
   * Before a network or member goes: what is pending is written first (so it can never land on a
   * row made afterwards under the same key), and the generation moves (a revision may come back).
   */
  #beforeDeletion(): void {
    this.rowDeletion.writePendingNetconfs(this.#writer);
    this.rowDeletion.rowsDeleted();
  }

  requireDurable(): void {
    this.#writer.requireDurable();
  }

  #run(sql: string, params?: readonly SqlValue[]): number {
    return this.#writer.run(sql, params).changes;
  }

  insertNode(node: NodeRecord): void {
    this.#run(
      `INSERT INTO Node (id, identity, lastAt, lastSeen, firstSeen, vMajor, vMinor, vRev, vProto) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        node.address, node.identity, node.lastAt, node.lastSeen, node.firstSeen,
        node.version.major, node.version.minor, node.version.revision, node.version.protocol,
      ],
    );
  }

  touchNode(address: string, lastSeen: number, lastAt: string | null, version: NodeVersion | null = null): void {
    addSighting(this.sightings, address, { lastSeen, lastAt, version });
  }

  insertNetwork(network: NetworkRow): void {
    this.#run(`INSERT INTO Network (${NETWORK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      network.id, ...networkSettingsToSql(network), uint64ToSql(network.revision), network.creationTime,
    ]);
  }

  updateNetworkRow(nwid: string, settings: NetworkRowSettings): void {
    this.#run(
      `UPDATE Network SET name = ?, description = ?, private = ?, enableBroadcast = ?, allowPassiveBridging = ?,
       v4AssignMode = ?, v6AssignMode = ?, multicastLimit = ?, comRevisionMaxDelta = ?, mtu = ?, dnsDomain = ?,
       dnsServers = ? WHERE id = ?`,
      [...networkSettingsToSql(settings), nwid],
    );
  }

  holdRevision(nwid: string): void {
    // A hold left behind by another program would otherwise block this one: releasing it applies its raise.
    this.releaseRevision(nwid);
    this.#run(`INSERT INTO RevisionHold (networkId) VALUES (?)`, [nwid]);
  }

  releaseRevision(nwid: string): void {
    this.#run(`DELETE FROM RevisionHold WHERE networkId = ?`, [nwid]);
  }

  deleteNetwork(nwid: string): void {
    this.#beforeDeletion();
    // The network row first: the revision triggers of the rows below then have nothing to raise.
    this.#run(`DELETE FROM Network WHERE id = ?`, [nwid]);
    for (const table of ['IpAssignment', 'IpAssignmentPool', 'Route', 'Member', 'Rule', 'MulticastRate']) {
      this.#run(`DELETE FROM ${table} WHERE networkId = ?`, [nwid]);
    }
  }

  insertMember(member: MemberRow): void {
    this.#run(`INSERT INTO Member (${MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      member.networkId, member.address, ...memberFieldsToSql(member),
    ]);
  }

  updateMember(member: MemberRow): void {
    this.#run(
      `UPDATE Member SET authorized = ?, activeBridge = ?, name = ?, notes = ?, authorizedAt = ?, deauthorizedAt = ?,
       noAutoAssignIps = ?, clientReportedRevision = ?, lastAuthorizedCredentialType = ?, lastAuthorizedCredential = ?
       WHERE networkId = ? AND nodeId = ?`,
      [...memberFieldsToSql(member), member.networkId, member.address],
    );
  }

  updateMemberReportedRevision(nwid: string, address: string, revision: bigint): void {
    this.#run(`UPDATE Member SET clientReportedRevision = ? WHERE networkId = ? AND nodeId = ?`, [
      uint64ToSql(revision), nwid, address,
    ]);
  }

  deleteMember(nwid: string, address: string): void {
    this.#beforeDeletion();
    this.deleteAssignments(nwid, address);
    this.#run(`DELETE FROM Member WHERE networkId = ? AND nodeId = ?`, [nwid, address]);
  }

  insertAssignment(nwid: string, address: string, assignment: Cidr, automatic = false): void {
    try {
      this.#run(
        `INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits, ipVersion, ipInt, automatic) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          nwid, address, formatIp(assignment.family, assignment.address), assignment.bits, assignment.family,
          assignment.family === 4 ? Number(assignment.address) : null, flag(automatic),
        ],
      );
    } catch (error) {
      if (error instanceof Error && /UNIQUE constraint failed/.test(error.message)) {
        throw new ConflictError(`${formatIp(assignment.family, assignment.address)} is already held in network ${nwid}`);
      }
      throw error;
    }
  }

  deleteAssignments(nwid: string, address: string): void {
    this.#run(`DELETE FROM IpAssignment WHERE networkId = ? AND nodeId = ?`, [nwid, address]);
  }

  setPools(nwid: string, pools: IpPool[]): void {
    this.#run(`DELETE FROM IpAssignmentPool WHERE networkId = ?`, [nwid]);
    for (const pool of pools) {
      // A CIDR pool is stored as the reference stored it; a range keeps its ends (ipNetwork = start, bits 0).
      const start = formatIp(pool.family, pool.first);
      const cidrNetwork = pool.bits === null ? null : formatIp(pool.family, pool.first - 1n);
      this.#run(
        `INSERT INTO IpAssignmentPool (networkId, ipNetwork, ipNetmaskBits, ipRangeStart, ipRangeEnd) VALUES (?, ?, ?, ?, ?)`,
        pool.bits === null
          ? [nwid, start, 0, start, formatIp(pool.family, pool.last)]
          : [nwid, cidrNetwork, pool.bits, null, null],
      );
    }
  }

  setRoutes(nwid: string, routes: ManagedRoute[]): void {
    this.#run(`DELETE FROM Route WHERE networkId = ?`, [nwid]);
    for (const route of routes) {
      this.#run(`INSERT INTO Route (networkId, target, targetBits, via) VALUES (?, ?, ?, ?)`, [
        nwid, formatIp(route.target.family, route.target.address), route.target.bits,
        route.via === null ? null : formatIp(route.via.family, route.via.address),
      ]);
    }
  }

  setAcceptedEtherTypes(nwid: string, etherTypes: number[]): void {
    this.#run(`DELETE FROM Rule WHERE networkId = ? AND "action" = 'accept' AND etherType IS NOT NULL`, [nwid]);
    for (const etherType of etherTypes) {
      this.#run(`INSERT INTO Rule (networkId, etherType, "action") VALUES (?, ?, 'accept')`, [nwid, etherType]);
    }
  }

  setMulticastRates(nwid: string, rates: MulticastRateRow[]): void {
    this.#run(`DELETE FROM MulticastRate WHERE networkId = ?`, [nwid]);
    for (const rate of rates) {
      this.#run(
        `INSERT INTO MulticastRate (networkId, mgMac, mgAdi, preload, maxBalance, accrual) VALUES (?, ?, ?, ?, ?, ?)`,
        [nwid, rate.mac, rate.adi, rate.preload, rate.maxBalance, rate.accrual],
      );
    }
  }

  insertJoinToken(token: JoinTokenRow): void {
    this.#run(`INSERT INTO JoinToken (${JOIN_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      token.id, token.networkId, token.name, token.secretHash, token.createdAt, token.expiresAt, token.maxUses,
      token.uses, flag(token.revoked),
    ]);
  }

  spendJoinToken(id: string, now: number): boolean {
    return this.#run(
      `UPDATE JoinToken SET uses = uses + 1
       WHERE id = ? AND revoked = 0 AND (expiresAt IS NULL OR expiresAt > ?) AND (maxUses IS NULL OR uses < maxUses)`,
      [id, now],
    ) === 1;
  }

  revokeJoinToken(id: string): boolean {
    return this.#run(`UPDATE JoinToken SET revoked = 1 WHERE id = ? AND revoked = 0`, [id]) === 1;
  }

  setMemberExpiry(nwid: string, policy: Omit<MemberExpiryRow, 'networkId'> | null): void {
    if (policy === null) this.#run(`DELETE FROM MemberExpiry WHERE networkId = ?`, [nwid]);
    else {
      this.#run(`INSERT OR REPLACE INTO MemberExpiry (networkId, notSeenFor, "action") VALUES (?, ?, ?)`, [
        nwid, policy.notSeenFor, policy.action,
      ]);
    }
  }

  forgetNodesWithoutMembers(addresses: readonly string[]): string[] {
    const forgotten: string[] = [];
    for (const address of [...new Set(addresses)].sort()) {
      // A pending sighting of a forgotten node later updates no row: harmless.
      if (this.#run(`DELETE FROM Node WHERE id = ? AND NOT EXISTS (SELECT 1 FROM Member WHERE nodeId = ?)`, [address, address]) === 1) {
        forgotten.push(address);
      }
    }
    return forgotten;
  }

  insertAuditEntry(entry: Omit<AuditEntryRow, 'id'>): void {
    this.#run(
      `INSERT INTO AuditEntry (time, actor, "action", networkId, nodeId, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [entry.time, entry.actor, entry.action, entry.networkId, entry.address, entry.before, entry.after],
    );
  }

  pruneAuditEntries(before: number | null, keep: number | null): void {
    if (before !== null) this.#run(`DELETE FROM AuditEntry WHERE time < ?`, [before]);
    if (keep !== null) {
      // Ids only grow, so the newest `keep` entries are those above max(id) - keep: one index lookup.
      this.#run(`DELETE FROM AuditEntry WHERE id <= (SELECT max(id) FROM AuditEntry) - ?`, [keep]);
    }
  }
}

const JOIN_TOKEN_COLUMNS = 'id, networkId, name, secretHash, createdAt, expiresAt, maxUses, uses, revoked';

function joinTokenFromRow(row: SqlRow): JoinTokenRow {
  const place: RowPlace = { table: 'JoinToken', row: `token ${String(row.id)}` };
  const hash = row.secretHash;
  if (!(hash instanceof Uint8Array) || hash.length !== 32) {
    throw new CorruptDatabaseError(`JoinToken.secretHash of ${place.row} is not a 32-byte hash`);
  }
  return {
    id: readText(row, 'id', place),
    networkId: readText(row, 'networkId', place),
    name: readText(row, 'name', place),
    secretHash: hash,
    createdAt: readInteger(row, 'createdAt', place),
    expiresAt: readOptionalInteger(row, 'expiresAt', place),
    maxUses: readOptionalInteger(row, 'maxUses', place),
    uses: readInteger(row, 'uses', place),
    revoked: readFlag(row, 'revoked', place),
  };
}

function memberExpiryFromRow(row: SqlRow): MemberExpiryRow {
  const place: RowPlace = { table: 'MemberExpiry', row: `network ${String(row.networkId)}` };
  return {
    networkId: readText(row, 'networkId', place),
    notSeenFor: readInteger(row, 'notSeenFor', place),
    action: readOneOf(row, 'action', place, MEMBER_EXPIRY_ACTIONS),
  };
}

function auditEntryFromRow(row: SqlRow): AuditEntryRow {
  const place: RowPlace = { table: 'AuditEntry', row: `entry ${String(row.id)}` };
  return {
    id: readInteger(row, 'id', place),
    time: readInteger(row, 'time', place),
    actor: readText(row, 'actor', place),
    action: readText(row, 'action', place),
    networkId: readOptionalText(row, 'networkId', place),
    address: readOptionalText(row, 'nodeId', place),
    before: readOptionalText(row, 'before', place),
    after: readOptionalText(row, 'after', place),
  };
}

function networkFromRow(row: SqlRow, place: Place): NetworkRow {
  return {
    id: readText(row, 'id', place),
    name: readText(row, 'name', place),
    description: readText(row, 'description', place),
    private: readFlag(row, 'private', place),
    enableBroadcast: readFlag(row, 'enableBroadcast', place),
    allowPassiveBridging: readFlag(row, 'allowPassiveBridging', place),
    v4AssignMode: readOneOf(row, 'v4AssignMode', place, V4_ASSIGN_MODES),
    v6AssignMode: readOneOf(row, 'v6AssignMode', place, V6_ASSIGN_MODES),
    multicastLimit: readInteger(row, 'multicastLimit', place),
    comRevisionMaxDelta: readUint64(row, 'comRevisionMaxDelta', place),
    mtu: readInteger(row, 'mtu', place),
    dnsDomain: readText(row, 'dnsDomain', place),
    dnsServers: readText(row, 'dnsServers', place) === ''
      ? []
      : readText(row, 'dnsServers', place).split(',').map((text) => {
          try {
            return parseIp(text);
          } catch {
            throw new CorruptDatabaseError(`Network.dnsServers of ${rowPlace(place).row} holds ${JSON.stringify(text)}, not an address`);
          }
        }),
    revision: readUint64(row, 'revision', place),
    creationTime: readInteger(row, 'creationTime', place),
  };
}

function networkSettingsToSql(settings: NetworkRowSettings): SqlValue[] {
  return [
    settings.name, settings.description, flag(settings.private), flag(settings.enableBroadcast),
    flag(settings.allowPassiveBridging), settings.v4AssignMode, settings.v6AssignMode, settings.multicastLimit,
    uint64ToSql(settings.comRevisionMaxDelta), settings.mtu, settings.dnsDomain,
    settings.dnsServers.map((server) => formatIp(server.family, server.address)).join(','),
  ];
}

function memberFromRow(row: SqlRow, place: Place): MemberRow {
  return {
    networkId: readText(row, 'networkId', place),
    address: readText(row, 'nodeId', place),
    authorized: readFlag(row, 'authorized', place),
    activeBridge: readFlag(row, 'activeBridge', place),
    name: readText(row, 'name', place),
    notes: readText(row, 'notes', place),
    authorizedAt: readOptionalInteger(row, 'authorizedAt', place),
    deauthorizedAt: readOptionalInteger(row, 'deauthorizedAt', place),
    noAutoAssignIps: readFlag(row, 'noAutoAssignIps', place),
    clientReportedRevision: readOptionalUint64(row, 'clientReportedRevision', place),
    lastAuthorizedCredentialType:
      row.lastAuthorizedCredentialType === null ? null : readOneOf(row, 'lastAuthorizedCredentialType', place, CREDENTIAL_TYPES),
    lastAuthorizedCredential: readOptionalText(row, 'lastAuthorizedCredential', place),
  };
}

function memberFieldsToSql(member: MemberRow): SqlValue[] {
  return [
    flag(member.authorized), flag(member.activeBridge), member.name, member.notes, member.authorizedAt,
    member.deauthorizedAt, flag(member.noAutoAssignIps),
    member.clientReportedRevision === null ? null : uint64ToSql(member.clientReportedRevision),
    member.lastAuthorizedCredentialType, member.lastAuthorizedCredential,
  ];
}

function assignmentFromRow(row: SqlRow, place: RowPlace): Cidr {
  const bits = readInteger(row, 'ipNetmaskBits', place);
  if (row.ipVersion === 4) return { family: 4, address: BigInt(readInteger(row, 'ipInt', place)), bits };
  return { family: 6, address: ipv6FromRow(row, place), bits };
}

/** An IPv6 address column, stored as 32 hex digits in groups of 4 (formatIp's full form). */
function ipv6FromRow(row: SqlRow, place: RowPlace): bigint {
  const ip = readText(row, 'ip', place);
  if (!/^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/.test(ip)) throw new CorruptDatabaseError(`${place.table}.ip of ${place.row} is ${JSON.stringify(ip)}, not an IPv6 address`);
  return BigInt('0x' + ip.replaceAll(':', ''));
}

/** A pool row: a range (ipRangeStart/ipRangeEnd set) or a CIDR (its assignable range). Throws on what it cannot read. */
function poolFromRow(row: SqlRow): IpPool {
  if (row.ipRangeStart !== null && row.ipRangeStart !== undefined) {
    const first = parseIp(String(row.ipRangeStart));
    const last = parseIp(String(row.ipRangeEnd));
    if (first.family !== last.family || first.address > last.address) throw new Error('not a range');
    return { family: first.family, first: first.address, last: last.address, bits: null };
  }
  const cidr = parseCidr(`${String(row.ipNetwork)}/${String(row.ipNetmaskBits)}`);
  const range = assignableRange(cidr);
  if (range === null) throw new Error('no assignable address');
  return { family: cidr.family, first: range.first, last: range.last, bits: cidr.bits };
}

/** An address column in formatIp's form. */
function readAddress(row: SqlRow, column: string, place: RowPlace): { family: IpFamily; address: bigint } {
  const text = readText(row, column, place);
  try {
    return parseIp(text);
  } catch {
    throw new CorruptDatabaseError(`${place.table}.${column} of ${place.row} is ${JSON.stringify(text)}, not an address`);
  }
}

function byAddress(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}
