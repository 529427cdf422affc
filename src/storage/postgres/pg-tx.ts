/**
 * The master's storage writes (src/master/store.ts NetconfStoreTx) as PostgreSQL statements inside
 * one READ COMMITTED transaction, with the locks that make it behave as if transactions ran one at
 * a time where that matters:
 * - the network and member rows a transaction reads are locked (`FOR UPDATE`), so two changes of
 *   one record never lose each other's fields and a revision never goes backwards;
 * - address claims in a network take that network's claim lock first, so the first free address
 *   found is still free when it is inserted;
 * - a node or member that another writer created meanwhile (`INSERT ... ON CONFLICT DO NOTHING`
 *   inserted nothing) makes the whole transaction run again, and then it reads the winner's row:
 *   the first identity that claims an address keeps it.
 */
import { ConflictError } from '../../errors.js';
import { formatIp, type Cidr } from '../../protocol/ip.js';
import type { IpFamily } from '../../protocol/ip.js';
import type {
  MemberRow, MulticastRateRow, NetconfStoreTx, NetworkRow, NetworkRowSettings, NodeRecord,
} from '../../master/store.js';
import { MEMBER_COLUMNS, NETWORK_COLUMNS, PgRead, memberFromRow, networkFromRow, type NodeSighting, type ReadObserver } from './pg-read.js';
import type { PgQueryable } from './pg-types.js';
import { uint64ToPg } from './values.js';

/** What a transaction that deletes a network or a member tells the store first (see PostgresNetconfStore). */
export interface DeletionObserver extends ReadObserver {
  /** Writes the pending signed netconfs inside the deleting transaction, before its deletions. */
  writePendingNetconfs(db: PgQueryable): Promise<void>;
}

/** Thrown inside a transaction to have it run again from the start (another writer won a race). */
export class RunAgain extends Error {
  constructor(reason: string) {
    super(reason);
  }
}

/** The advisory lock class of per-network address claims. */
const CLAIM_LOCK_CLASS = 0x7a74;

export class PgTx extends PgRead implements NetconfStoreTx {
  /** Nodes seen in this transaction; the store writes them in a batch once it commits. */
  readonly sightings = new Map<string, NodeSighting>();
  /** Whether this transaction deleted a network or a member (the store's generation moves at its commit). */
  deletedRows = false;

  constructor(
    db: PgQueryable,
    private readonly deletions: DeletionObserver,
  ) {
    super(db, deletions);
  }

  /** Before a network or member goes, what is pending is written (it can never land on a row made afterwards). */
  async #beforeDeletion(): Promise<void> {
    if (this.deletedRows) return;
    this.deletedRows = true;
    await this.deletions.writePendingNetconfs(this.db);
  }

  readonly #claimLocks = new Set<string>();

  async #run(sql: string, values?: readonly unknown[]): Promise<number> {
    return (await this.db.query(sql, values)).rowCount ?? 0;
  }

  /** Serializes address claims in `nwid` until this transaction ends. */
  async #lockClaims(nwid: string): Promise<void> {
    if (this.#claimLocks.has(nwid)) return;
    await this.db.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CLAIM_LOCK_CLASS, nwid]);
    this.#claimLocks.add(nwid);
  }

  override async getNetwork(nwid: string): Promise<NetworkRow | undefined> {
    const row = await this.row(`SELECT ${NETWORK_COLUMNS} FROM network WHERE id = $1 FOR UPDATE`, [nwid]);
    return row === undefined ? undefined : networkFromRow(row);
  }

  override async getMember(nwid: string, address: string): Promise<MemberRow | undefined> {
    const row = await this.row(`SELECT ${MEMBER_COLUMNS} FROM member WHERE networkid = $1 AND nodeid = $2 FOR UPDATE`, [nwid, address]);
    return row === undefined ? undefined : memberFromRow(row);
  }

  override async firstFreeAddress(nwid: string, family: IpFamily, from: bigint, to: bigint): Promise<bigint | null> {
    await this.#lockClaims(nwid);
    return super.firstFreeAddress(nwid, family, from, to);
  }

  override async assignmentHolder(nwid: string, family: IpFamily, value: bigint): Promise<string | undefined> {
    await this.#lockClaims(nwid);
    return super.assignmentHolder(nwid, family, value);
  }

  requireDurable(): void {
    // Every PostgreSQL transaction is acknowledged only after its commit.
  }

  async insertNode(node: NodeRecord): Promise<void> {
    const inserted = await this.#run(
      `INSERT INTO node (id, identity, lastat, lastseen, firstseen) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
      [node.address, node.identity, node.lastAt, node.lastSeen, node.firstSeen],
    );
    if (inserted === 0) throw new RunAgain(`node ${node.address} was created by another writer`);
  }

  touchNode(address: string, lastSeen: number, lastAt: string | null): void {
    this.sightings.set(address, { lastSeen, lastAt: lastAt ?? this.sightings.get(address)?.lastAt ?? null });
  }

  async insertNetwork(network: NetworkRow): Promise<void> {
    const inserted = await this.#run(
      `INSERT INTO network (${NETWORK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (id) DO NOTHING`,
      [network.id, ...networkSettingsToPg(network), uint64ToPg(network.revision), network.creationTime],
    );
    if (inserted === 0) throw new ConflictError(`network ${network.id} exists already`);
  }

  async updateNetworkRow(nwid: string, settings: NetworkRowSettings): Promise<void> {
    await this.#run(
      `UPDATE network SET name = $1, description = $2, private = $3, enablebroadcast = $4, allowpassivebridging = $5,
       v4assignmode = $6, v6assignmode = $7, multicastlimit = $8, comrevisionmaxdelta = $9 WHERE id = $10`,
      [...networkSettingsToPg(settings), nwid],
    );
  }

  async holdRevision(nwid: string): Promise<void> {
    // A hold left behind by another program would otherwise block this one: releasing it applies its raise.
    await this.releaseRevision(nwid);
    await this.#run(`INSERT INTO revisionhold (networkid) VALUES ($1)`, [nwid]);
  }

  async releaseRevision(nwid: string): Promise<void> {
    await this.#run(`DELETE FROM revisionhold WHERE networkid = $1`, [nwid]);
  }

  async deleteNetwork(nwid: string): Promise<void> {
    await this.#beforeDeletion();
    // Members, assignments, pools, rules and rates go with it (ON DELETE CASCADE).
    await this.#run(`DELETE FROM network WHERE id = $1`, [nwid]);
  }

  async insertMember(member: MemberRow): Promise<void> {
    const inserted = await this.#run(
      `INSERT INTO member (${MEMBER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (networkid, nodeid) DO NOTHING`,
      [member.networkId, member.address, ...memberFieldsToPg(member)],
    );
    if (inserted === 0) throw new RunAgain(`member ${member.address} of ${member.networkId} was created by another writer`);
  }

  async updateMember(member: MemberRow): Promise<void> {
    await this.#run(
      `UPDATE member SET authorized = $1, activebridge = $2, name = $3, notes = $4, authorizedat = $5, deauthorizedat = $6,
       clientreportedrevision = $7 WHERE networkid = $8 AND nodeid = $9`,
      [...memberFieldsToPg(member), member.networkId, member.address],
    );
  }

  async updateMemberReportedRevision(nwid: string, address: string, revision: bigint): Promise<void> {
    await this.#run(`UPDATE member SET clientreportedrevision = $1 WHERE networkid = $2 AND nodeid = $3`, [
      uint64ToPg(revision), nwid, address,
    ]);
  }

  async deleteMember(nwid: string, address: string): Promise<void> {
    await this.#beforeDeletion();
    await this.deleteAssignments(nwid, address);
    await this.#run(`DELETE FROM member WHERE networkid = $1 AND nodeid = $2`, [nwid, address]);
  }

  async insertAssignment(nwid: string, address: string, assignment: Cidr, automatic = false): Promise<void> {
    await this.#lockClaims(nwid);
    const inserted = await this.#run(
      `INSERT INTO ipassignment (networkid, nodeid, ipversion, ipint, ipnetmaskbits, automatic) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [nwid, address, assignment.family, String(assignment.address), assignment.bits, automatic],
    );
    if (inserted === 0) {
      throw new ConflictError(`${formatIp(assignment.family, assignment.address)} is already held in network ${nwid}`);
    }
  }

  async deleteAssignments(nwid: string, address: string): Promise<void> {
    await this.#run(`DELETE FROM ipassignment WHERE networkid = $1 AND nodeid = $2`, [nwid, address]);
  }

  async setPools(nwid: string, pools: Cidr[]): Promise<void> {
    await this.#run(`DELETE FROM ipassignmentpool WHERE networkid = $1`, [nwid]);
    for (const pool of pools) {
      await this.#run(`INSERT INTO ipassignmentpool (networkid, ipnetwork, ipnetmaskbits) VALUES ($1, $2, $3)`, [
        nwid, formatIp(pool.family, pool.address), pool.bits,
      ]);
    }
  }

  async setAcceptedEtherTypes(nwid: string, etherTypes: number[]): Promise<void> {
    await this.#run(`DELETE FROM rule WHERE networkid = $1 AND action = 'accept'`, [nwid]);
    if (etherTypes.length === 0) return;
    await this.#run(
      `INSERT INTO rule (networkid, ethertype, action) SELECT $1, t, 'accept' FROM unnest($2::integer[]) AS t ON CONFLICT DO NOTHING`,
      [nwid, etherTypes],
    );
  }

  async setMulticastRates(nwid: string, rates: MulticastRateRow[]): Promise<void> {
    await this.#run(`DELETE FROM multicastrate WHERE networkid = $1`, [nwid]);
    for (const rate of rates) {
      await this.#run(
        `INSERT INTO multicastrate (networkid, mgmac, mgadi, preload, maxbalance, accrual) VALUES ($1, $2, $3, $4, $5, $6)`,
        [nwid, rate.mac, rate.adi, rate.preload, rate.maxBalance, rate.accrual],
      );
    }
  }
}

function networkSettingsToPg(settings: NetworkRowSettings): unknown[] {
  return [
    settings.name, settings.description, settings.private, settings.enableBroadcast, settings.allowPassiveBridging,
    settings.v4AssignMode, settings.v6AssignMode, settings.multicastLimit, uint64ToPg(settings.comRevisionMaxDelta),
  ];
}

function memberFieldsToPg(member: MemberRow): unknown[] {
  return [
    member.authorized, member.activeBridge, member.name, member.notes, member.authorizedAt, member.deauthorizedAt,
    member.clientReportedRevision === null ? null : uint64ToPg(member.clientReportedRevision),
  ];
}
