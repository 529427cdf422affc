/**
 * The master's storage interface (src/master/store.ts) over a SQL engine (src/storage/engine.ts),
 * on the schema of src/storage/schema.ts. All SQL of the master lives here.
 */
import { ConflictError, StorageError } from '../errors.js';
import { firstFreeInRange } from '../master/free-range.js';
import { formatIp, parseCidr } from '../master/ip.js';
import type { Cidr, IpFamily } from '../master/ip.js';
import type {
  CachedNetconf, MemberRow, MulticastRateRow, NetconfStore, NetconfStoreReader, NetconfStoreTx,
  NetworkRevisionChange, NetworkRow, NetworkRowSettings, NodeRecord, RequestState, TransactionOptions, V4AssignMode, V6AssignMode,
} from '../master/store.js';
import type { SqlEngine, SqlReader, SqlRow, SqlValue, SqlWriter } from './engine.js';
import { scheduleSoon } from '../schedule-soon.js';

/** A node seen by a request: its new lastSeen, and lastAt when the request came directly. */
interface NodeSighting {
  lastSeen: number;
  lastAt: string | null;
}

/** Sightings of nodes not yet written, by address. */
type PendingSightings = Map<string, NodeSighting>;

/** Signed netconfs not yet written, by `nwid/address`. */
type PendingNetconfs = Map<string, { nwid: string; address: string; netconf: CachedNetconf }>;


/**
 * Statistics are batched (issue: "statistics may be flushed in batches"): a request's `touchNode`
 * is kept in memory once its transaction commits and written, for every node seen meanwhile, in one
 * deferred transaction at the next turn of the event loop, or before anything reads a backup,
 * flushes or closes. Reads of a node see its pending sighting. So a repeated request (cached or
 * not newer) writes nothing at all. A crash may lose the last moments of lastSeen / lastAt, never
 * a claim. Netconfs signed after their request committed (`cacheNetconf`) ride in the same batch.
 */
export class SqlNetconfStore implements NetconfStore {
  readonly #engine: SqlEngine;
  readonly #sightings: PendingSightings = new Map();
  readonly #netconfs: PendingNetconfs = new Map();
  #writeScheduled = false;

  constructor(engine: SqlEngine) {
    this.#engine = engine;
  }

  get generation(): number {
    return this.#engine.generation;
  }

  /** The engine underneath, for storage-level tools (restore, integrity checks). */
  get engine(): SqlEngine {
    return this.#engine;
  }

  transaction<T>(fn: (tx: NetconfStoreTx) => T, options?: TransactionOptions): Promise<T> {
    return this.#engine.write((writer) => {
      const tx = new SqlTx(writer, this.#sightings, this.#netconfs);
      const value = fn(tx);
      // Reached only when fn did not throw: a rolled-back request records no sighting.
      if (tx.sightings.size > 0) this.#addSightings(tx.sightings);
      return value;
    }, options);
  }

  read<T>(fn: (reader: NetconfStoreReader) => T): T {
    return this.#engine.read((reader) => fn(new SqlRead(reader, this.#sightings)));
  }

  backup(): Uint8Array {
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

  #addSightings(seen: PendingSightings): void {
    for (const [address, sighting] of seen) {
      const earlier = this.#sightings.get(address);
      this.#sightings.set(address, {
        lastSeen: sighting.lastSeen,
        lastAt: sighting.lastAt ?? earlier?.lastAt ?? null,
      });
    }
    this.#scheduleWrite();
  }

  cacheNetconf(nwid: string, address: string, netconf: CachedNetconf): void {
    this.#netconfs.set(`${nwid}/${address}`, { nwid, address, netconf });
    this.#scheduleWrite();
  }

  #scheduleWrite(): void {
    if (this.#writeScheduled) return;
    this.#writeScheduled = true;
    scheduleSoon(() => {
      this.#writeScheduled = false;
      this.#writePending();
    });
  }

  /** Writes pending sightings and netconfs in one deferred transaction (applied in memory at once). */
  #writePending(): void {
    if (this.#sightings.size === 0 && this.#netconfs.size === 0) return;
    const batch = [...this.#sightings];
    this.#sightings.clear();
    const netconfs = [...this.#netconfs.values()];
    this.#netconfs.clear();
    this.#engine
      .write(
        (writer) => {
          for (const [address, { lastSeen, lastAt }] of batch) {
            if (lastAt === null) writer.run(`UPDATE Node SET lastSeen = ? WHERE id = ?`, [lastSeen, address]);
            else writer.run(`UPDATE Node SET lastSeen = ?, lastAt = ? WHERE id = ?`, [lastSeen, lastAt, address]);
          }
          for (const { nwid, address, netconf } of netconfs) writeCachedNetconf(writer, nwid, address, netconf);
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
    [netconf.bytes, revisionToSql(netconf.revision), netconf.timestamp, nwid, address],
  );
}

const MEMBER_COLUMNS =
  'networkId, nodeId, authorized, activeBridge, name, notes, authorizedAt, deauthorizedAt, clientReportedRevision';

const NETWORK_COLUMNS =
  'id, name, description, private, enableBroadcast, allowPassiveBridging, v4AssignMode, v6AssignMode, ' +
  'multicastLimit, comRevisionMaxDelta, revision, creationTime';

class SqlRead implements NetconfStoreReader {
  constructor(
    protected readonly sql: SqlReader,
    protected readonly pendingSightings: PendingSightings,
  ) {}

  getNode(address: string): NodeRecord | undefined {
    const row = this.sql.get(`SELECT id, identity, lastAt, firstSeen, lastSeen FROM Node WHERE id = ?`, [address]);
    if (row === undefined) return undefined;
    const pending = this.pendingSightings.get(address);
    return {
      address: text(row.id),
      identity: text(row.identity),
      lastAt: pending?.lastAt ?? (row.lastAt === null ? null : text(row.lastAt)),
      firstSeen: int(row.firstSeen),
      lastSeen: pending?.lastSeen ?? int(row.lastSeen),
    };
  }

  getNetwork(nwid: string): NetworkRow | undefined {
    const row = this.sql.get(`SELECT ${NETWORK_COLUMNS} FROM Network WHERE id = ?`, [nwid]);
    return row === undefined ? undefined : networkFromRow(row);
  }

  getRequestState(nwid: string, address: string): RequestState {
    // One statement instead of three: a request's fixed cost is mostly statements run. The
    // columns tested for NULL are NOT NULL in their tables, so NULL means "no such row".
    const row = this.sql.get(
      `SELECT Node.identity AS identity, Network.private AS private, Network.revision AS revision,
              Member.authorized AS authorized, Member.clientReportedRevision AS clientReportedRevision,
              Member.cachedNetconfRevision AS cachedNetconfRevision
       FROM (SELECT ?1 AS nodeId, ?2 AS networkId) AS request
       LEFT JOIN Node ON Node.id = request.nodeId
       LEFT JOIN Network ON Network.id = request.networkId
       LEFT JOIN Member ON Member.networkId = request.networkId AND Member.nodeId = request.nodeId`,
      [address, nwid],
    )!;
    return {
      nodeIdentity: row.identity === null ? undefined : text(row.identity),
      network: row.revision === null ? undefined : { private: int(row.private) !== 0, revision: BigInt(int(row.revision)) },
      member:
        row.authorized === null
          ? undefined
          : {
              authorized: int(row.authorized) !== 0,
              clientReportedRevision: row.clientReportedRevision === null ? null : BigInt(int(row.clientReportedRevision)),
              cachedNetconfRevision: row.cachedNetconfRevision === null ? null : BigInt(int(row.cachedNetconfRevision)),
            },
    };
  }

  listNetworkIds(): string[] {
    return this.sql.all(`SELECT id FROM Network ORDER BY id`).map((row) => text(row.id));
  }

  networkIdsInRange(from: string, to: string, limit: number): string[] {
    return this.sql
      .all(`SELECT id FROM Network WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?`, [from, to, limit])
      .map((row) => text(row.id));
  }

  getMember(nwid: string, address: string): MemberRow | undefined {
    const row = this.sql.get(`SELECT ${MEMBER_COLUMNS} FROM Member WHERE networkId = ? AND nodeId = ?`, [nwid, address]);
    return row === undefined ? undefined : memberFromRow(row);
  }

  listMembers(nwid: string): MemberRow[] {
    return this.sql
      .all(`SELECT ${MEMBER_COLUMNS} FROM Member WHERE networkId = ? ORDER BY nodeId`, [nwid])
      .map(memberFromRow);
  }

  getCachedNetconf(nwid: string, address: string, revision: bigint): CachedNetconf | undefined {
    const row = this.sql.get(
      `SELECT cachedNetconf, cachedNetconfRevision, cachedNetconfTimestamp FROM Member
       WHERE networkId = ? AND nodeId = ? AND cachedNetconf IS NOT NULL AND cachedNetconfRevision = ?`,
      [nwid, address, revisionToSql(revision)],
    );
    if (row === undefined) return undefined;
    const bytes = row.cachedNetconf;
    return {
      bytes: bytes instanceof Uint8Array ? bytes : new TextEncoder().encode(text(bytes)),
      revision: BigInt(int(row.cachedNetconfRevision)),
      timestamp: row.cachedNetconfTimestamp === null ? 0 : int(row.cachedNetconfTimestamp),
    };
  }

  activeBridges(nwid: string): string[] {
    return this.sql
      .all(
        `SELECT nodeId FROM Member WHERE networkId = ? AND activeBridge = 1 AND authorized = 1 ORDER BY nodeId`,
        [nwid],
      )
      .map((row) => text(row.nodeId));
  }

  membersBehind(nwid: string, revision: bigint): string[] {
    return this.sql
      .all(
        `SELECT nodeId FROM Member WHERE networkId = ? AND authorized = 1
         AND (clientReportedRevision IS NULL OR clientReportedRevision < ?)`,
        [nwid, revisionToSql(revision)],
      )
      .map((row) => text(row.nodeId))
      .sort(); // sorted here: ORDER BY would make SQLite walk the (networkId, nodeId) index instead

  }

  lastChangeSequence(): number {
    return int(this.sql.get(`SELECT v FROM Config WHERE k = 'changeSequence'`)?.v ?? 0);
  }

  networksChangedSince(sequence: number): NetworkRevisionChange[] {
    return this.sql
      .all(`SELECT id, revision, changeSequence FROM Network WHERE changeSequence > ? ORDER BY changeSequence`, [sequence])
      .map((row) => ({ nwid: text(row.id), revision: BigInt(int(row.revision)), changeSequence: int(row.changeSequence) }));
  }

  getAssignments(nwid: string, address: string): Cidr[] {
    // Filtered and sorted here: any other condition or ORDER BY may lead SQLite (no ANALYZE
    // statistics) to scan a whole network's addresses through another index.
    const rows = this.sql.all(
      `SELECT ip, ipNetmaskBits, ipVersion, ipInt FROM IpAssignment WHERE networkId = ? AND nodeId = ?`,
      [nwid, address],
    );
    return rows.filter((row) => row.ipVersion === 4 || row.ipVersion === 6).map(assignmentFromRow).sort(byAddress);
  }

  listAssignments(nwid: string): Map<string, Cidr[]> {
    const rows = this.sql.all(
      `SELECT nodeId, ip, ipNetmaskBits, ipVersion, ipInt FROM IpAssignment
       WHERE networkId = ? AND ipVersion IS NOT NULL ORDER BY nodeId, ipVersion, ipInt, ip`,
      [nwid],
    );
    const byMember = new Map<string, Cidr[]>();
    for (const row of rows) {
      const node = text(row.nodeId);
      let list = byMember.get(node);
      if (list === undefined) byMember.set(node, (list = []));
      list.push(assignmentFromRow(row));
    }
    return byMember;
  }

  assignmentHolder(nwid: string, family: IpFamily, value: bigint): string | undefined {
    const row =
      family === 4
        ? this.sql.get(`SELECT nodeId FROM IpAssignment WHERE networkId = ? AND ipInt = ?`, [nwid, Number(value)])
        : this.sql.get(`SELECT nodeId FROM IpAssignment WHERE networkId = ? AND ip = ?`, [nwid, formatIp(6, value)]);
    return row === undefined ? undefined : text(row.nodeId);
  }

  firstFreeAddress(nwid: string, family: IpFamily, from: bigint, to: bigint): bigint | null {
    if (from > to) return null;
    if (family === 4) {
      // Runs are maximal, so the address after the run holding `from` is free.
      const run = this.sql.get(
        `SELECT last FROM IpRun WHERE networkId = ? AND first <= ? ORDER BY first DESC LIMIT 1`,
        [nwid, Number(from)],
      );
      const free = run !== undefined && BigInt(int(run.last)) >= from ? BigInt(int(run.last)) + 1n : from;
      return free <= to ? free : null;
    }
    return firstFreeInRange(from, to, (low, high, limit) =>
      this.sql
        .all(
          `SELECT ip FROM IpAssignment WHERE networkId = ? AND ipVersion = 6 AND ip BETWEEN ? AND ? ORDER BY ip LIMIT ?`,
          [nwid, formatIp(6, low), formatIp(6, high), limit],
        )
        .map((row) => BigInt('0x' + text(row.ip).replaceAll(':', ''))),
    );
  }


  getPools(nwid: string): Cidr[] {
    const rows = this.sql.all(
      `SELECT ipNetwork, ipNetmaskBits FROM IpAssignmentPool WHERE networkId = ? ORDER BY rowid`,
      [nwid],
    );
    const pools: Cidr[] = [];
    for (const row of rows) {
      try {
        pools.push(parseCidr(`${text(row.ipNetwork)}/${int(row.ipNetmaskBits)}`));
      } catch {
        // A pool row this library cannot read (written by other software) is ignored.
      }
    }
    return pools;
  }

  getAcceptedEtherTypes(nwid: string): number[] {
    return this.sql
      .all(
        `SELECT DISTINCT etherType FROM Rule WHERE networkId = ? AND "action" = 'accept' AND etherType IS NOT NULL
         ORDER BY etherType`,
        [nwid],
      )
      .map((row) => int(row.etherType));
  }

  getMulticastRates(nwid: string): MulticastRateRow[] {
    return this.sql
      .all(
        `SELECT mgMac, mgAdi, preload, maxBalance, accrual FROM MulticastRate WHERE networkId = ? ORDER BY mgMac, mgAdi`,
        [nwid],
      )
      .map((row) => ({
        mac: text(row.mgMac),
        adi: int(row.mgAdi),
        preload: int(row.preload),
        maxBalance: int(row.maxBalance),
        accrual: int(row.accrual),
      }));
  }
}

class SqlTx extends SqlRead implements NetconfStoreTx {
  readonly #writer: SqlWriter;
  /** Nodes seen in this transaction; the store keeps them once it commits. */
  readonly sightings: PendingSightings = new Map();

  constructor(
    writer: SqlWriter,
    pendingSightings: PendingSightings,
    private readonly pendingNetconfs: PendingNetconfs,
  ) {
    super(writer, pendingSightings);
    this.#writer = writer;
  }

  /** A network or member that goes away may come back under the same ID at an old revision. */
  #dropPendingNetconfs(nwid: string, address?: string): void {
    for (const [key, pending] of this.pendingNetconfs) {
      if (pending.nwid === nwid && (address === undefined || pending.address === address)) this.pendingNetconfs.delete(key);
    }
  }

  requireDurable(): void {
    this.#writer.requireDurable();
  }

  #run(sql: string, params?: readonly SqlValue[]): number {
    return this.#writer.run(sql, params).changes;
  }

  insertNode(node: NodeRecord): void {
    this.#run(`INSERT INTO Node (id, identity, lastAt, lastSeen, firstSeen) VALUES (?, ?, ?, ?, ?)`, [
      node.address, node.identity, node.lastAt, node.lastSeen, node.firstSeen,
    ]);
  }

  touchNode(address: string, lastSeen: number, lastAt: string | null): void {
    this.sightings.set(address, { lastSeen, lastAt: lastAt ?? this.sightings.get(address)?.lastAt ?? null });
  }

  insertNetwork(network: NetworkRow): void {
    this.#dropPendingNetconfs(network.id);
    this.#run(`INSERT INTO Network (${NETWORK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      network.id, ...networkSettingsToSql(network), revisionToSql(network.revision), network.creationTime,
    ]);
  }

  updateNetworkRow(nwid: string, settings: NetworkRowSettings): void {
    this.#run(
      `UPDATE Network SET name = ?, description = ?, private = ?, enableBroadcast = ?, allowPassiveBridging = ?,
       v4AssignMode = ?, v6AssignMode = ?, multicastLimit = ?, comRevisionMaxDelta = ? WHERE id = ?`,
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
    this.#dropPendingNetconfs(nwid);
    // The network row first: the revision triggers of the rows below then have nothing to raise.
    this.#run(`DELETE FROM Network WHERE id = ?`, [nwid]);
    for (const table of ['IpAssignment', 'IpAssignmentPool', 'Member', 'Rule', 'MulticastRate']) {
      this.#run(`DELETE FROM ${table} WHERE networkId = ?`, [nwid]);
    }
  }

  insertMember(member: MemberRow): void {
    this.#run(`INSERT INTO Member (${MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      member.networkId, member.address, ...memberFieldsToSql(member),
    ]);
  }

  updateMember(member: MemberRow): void {
    this.#run(
      `UPDATE Member SET authorized = ?, activeBridge = ?, name = ?, notes = ?, authorizedAt = ?, deauthorizedAt = ?,
       clientReportedRevision = ? WHERE networkId = ? AND nodeId = ?`,
      [...memberFieldsToSql(member), member.networkId, member.address],
    );
  }

  updateMemberReportedRevision(nwid: string, address: string, revision: bigint): void {
    this.#run(`UPDATE Member SET clientReportedRevision = ? WHERE networkId = ? AND nodeId = ?`, [
      revisionToSql(revision), nwid, address,
    ]);
  }

  deleteMember(nwid: string, address: string): void {
    this.#dropPendingNetconfs(nwid, address);
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

  setPools(nwid: string, pools: Cidr[]): void {
    this.#run(`DELETE FROM IpAssignmentPool WHERE networkId = ?`, [nwid]);
    for (const pool of pools) {
      this.#run(`INSERT INTO IpAssignmentPool (networkId, ipNetwork, ipNetmaskBits) VALUES (?, ?, ?)`, [
        nwid, formatIp(pool.family, pool.address), pool.bits,
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
}

function networkFromRow(row: SqlRow): NetworkRow {
  return {
    id: text(row.id),
    name: text(row.name),
    description: text(row.description),
    private: int(row.private) !== 0,
    enableBroadcast: int(row.enableBroadcast) !== 0,
    allowPassiveBridging: int(row.allowPassiveBridging) !== 0,
    v4AssignMode: text(row.v4AssignMode) as V4AssignMode,
    v6AssignMode: text(row.v6AssignMode) as V6AssignMode,
    multicastLimit: int(row.multicastLimit),
    comRevisionMaxDelta: BigInt(int(row.comRevisionMaxDelta)),
    revision: BigInt(int(row.revision)),
    creationTime: int(row.creationTime),
  };
}

function networkSettingsToSql(settings: NetworkRowSettings): SqlValue[] {
  return [
    settings.name, settings.description, flag(settings.private), flag(settings.enableBroadcast),
    flag(settings.allowPassiveBridging), settings.v4AssignMode, settings.v6AssignMode, settings.multicastLimit,
    revisionToSql(settings.comRevisionMaxDelta),
  ];
}

function memberFromRow(row: SqlRow): MemberRow {
  return {
    networkId: text(row.networkId),
    address: text(row.nodeId),
    authorized: int(row.authorized) !== 0,
    activeBridge: int(row.activeBridge) !== 0,
    name: text(row.name),
    notes: text(row.notes),
    authorizedAt: row.authorizedAt === null ? null : int(row.authorizedAt),
    deauthorizedAt: row.deauthorizedAt === null ? null : int(row.deauthorizedAt),
    clientReportedRevision: row.clientReportedRevision === null ? null : BigInt(int(row.clientReportedRevision)),
  };
}

function memberFieldsToSql(member: MemberRow): SqlValue[] {
  return [
    flag(member.authorized), flag(member.activeBridge), member.name, member.notes, member.authorizedAt,
    member.deauthorizedAt, member.clientReportedRevision === null ? null : revisionToSql(member.clientReportedRevision),
  ];
}

function assignmentFromRow(row: SqlRow): Cidr {
  const family = int(row.ipVersion) as IpFamily;
  const address = family === 4 ? BigInt(int(row.ipInt)) : BigInt('0x' + text(row.ip).replaceAll(':', ''));
  return { family, address, bits: int(row.ipNetmaskBits) };
}

function byAddress(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}

/** SQLite integers are 64-bit signed; sql.js hands them to JS as numbers, so keep them safe. */
function revisionToSql(value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new StorageError('ERR_STORAGE_RANGE', `value ${value} does not fit the database's integer range`);
  }
  return Number(value);
}

function text(value: SqlValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return value === null || value === undefined ? '' : String(value);
}

function int(value: SqlValue | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return Number(value);
  return 0;
}
