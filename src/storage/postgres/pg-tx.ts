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
 *   the first identity that claims an address keeps it;
 * - a member insert key-share-locks its node row, and forgetting nodes locks them for update before
 *   it looks for their members (in a statement of its own, which sees every member committed by
 *   then): a node is never forgotten while a member that relies on it is being made, and a member
 *   whose node this transaction read and another one forgot meanwhile makes it run again.
 */
import { ConflictError } from '../../errors.js';
import { formatIp, type Cidr } from '../../protocol/ip.js';
import type { IpFamily } from '../../protocol/ip.js';
import type {
  AuditEntryRow, IpPool, JoinTokenRow, ManagedRoute, MemberExpiryRow, MemberRow, MulticastRateRow, NetconfStoreTx, NetworkRow,
  NetworkRowSettings, NodeRecord, NodeVersion, RequestState,
} from '../../master/store.js';
import { JOIN_TOKEN_COLUMNS, MEMBER_COLUMNS, NETWORK_COLUMNS, PgRead, memberFromRow, networkFromRow, type ReadObserver } from './pg-read.js';
import { addSighting, type NodeSighting } from '../node-sightings.js';
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
  /** Nodes this transaction read as present: a member made for one of them needs it to stay. */
  readonly #nodesSeen = new Set<string>();
  /** Networks whose row this transaction share-locked (see getRequestState). */
  readonly #shared = new Set<string>();

  async #run(sql: string, values?: readonly unknown[]): Promise<number> {
    return (await this.db.query(sql, values)).rowCount ?? 0;
  }

  /** Serializes address claims in `nwid` until this transaction ends. */
  async #lockClaims(nwid: string): Promise<void> {
    if (this.#claimLocks.has(nwid)) return;
    await this.db.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CLAIM_LOCK_CLASS, nwid]);
    this.#claimLocks.add(nwid);
  }

  /**
   * A request's first read share-locks its network row first: no change that raises the revision
   * (each one updates that row) commits until this transaction ends, so everything it reads next
   * agrees with the revision read here. The state is read by a second statement, which sees what
   * committed while this one waited for the lock.
   */
  override async getRequestState(nwid: string, address: string): Promise<RequestState> {
    await this.db.query(`SELECT 1 FROM network WHERE id = $1 FOR SHARE`, [nwid]);
    this.#shared.add(nwid);
    const state = await super.getRequestState(nwid, address);
    if (state.nodeIdentity !== undefined) this.#nodesSeen.add(address);
    return state;
  }

  override async getNode(address: string): Promise<NodeRecord | undefined> {
    const node = await super.getNode(address);
    if (node !== undefined) this.#nodesSeen.add(address);
    return node;
  }

  /** Locked for update, or shared where the request's read shared it (a request changes no network row). */
  override async getNetwork(nwid: string): Promise<NetworkRow | undefined> {
    const lock = this.#shared.has(nwid) ? 'FOR SHARE' : 'FOR UPDATE';
    const row = await this.row(`SELECT ${NETWORK_COLUMNS} FROM network WHERE id = $1 ${lock}`, [nwid]);
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
      `INSERT INTO node (id, identity, lastat, lastseen, firstseen, vmajor, vminor, vrev, vproto)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
      [
        node.address, node.identity, node.lastAt, node.lastSeen, node.firstSeen,
        node.version.major, node.version.minor, node.version.revision, node.version.protocol,
      ],
    );
    if (inserted === 0) throw new RunAgain(`node ${node.address} was created by another writer`);
  }

  touchNode(address: string, lastSeen: number, lastAt: string | null, version: NodeVersion | null = null): void {
    addSighting(this.sightings, address, { lastSeen, lastAt, version });
  }

  async insertNetwork(network: NetworkRow): Promise<void> {
    const inserted = await this.#run(
      `INSERT INTO network (${NETWORK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (id) DO NOTHING`,
      [network.id, ...networkSettingsToPg(network), uint64ToPg(network.revision), network.creationTime],
    );
    if (inserted === 0) throw new ConflictError(`network ${network.id} exists already`);
  }

  async updateNetworkRow(nwid: string, settings: NetworkRowSettings): Promise<void> {
    await this.#run(
      `UPDATE network SET name = $1, description = $2, private = $3, enablebroadcast = $4, allowpassivebridging = $5,
       v4assignmode = $6, v6assignmode = $7, multicastlimit = $8, comrevisionmaxdelta = $9, mtu = $10, dnsdomain = $11,
       dnsservers = $12 WHERE id = $13`,
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
    // Members, assignments, pools, routes, rules, rates, join tokens and the expiry policy go with it
    // (ON DELETE CASCADE); audit entries stay.
    await this.#run(`DELETE FROM network WHERE id = $1`, [nwid]);
  }

  async insertMember(member: MemberRow): Promise<void> {
    // Held until this transaction ends: the node cannot be forgotten under the member made here.
    // A member may be made for a node not (yet) known (pre-authorization); one this transaction
    // read that is gone now was forgotten by another writer since.
    const node = await this.row(`SELECT 1 FROM node WHERE id = $1 FOR KEY SHARE`, [member.address]);
    if (node === undefined && this.#nodesSeen.has(member.address)) {
      throw new RunAgain(`node ${member.address} was forgotten by another writer`);
    }
    const inserted = await this.#run(
      `INSERT INTO member (${MEMBER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (networkid, nodeid) DO NOTHING`,
      [member.networkId, member.address, ...memberFieldsToPg(member)],
    );
    if (inserted === 0) throw new RunAgain(`member ${member.address} of ${member.networkId} was created by another writer`);
  }

  async updateMember(member: MemberRow): Promise<void> {
    await this.#run(
      `UPDATE member SET authorized = $1, activebridge = $2, name = $3, notes = $4, authorizedat = $5, deauthorizedat = $6,
       noautoassignips = $7, clientreportedrevision = $8, lastauthorizedcredentialtype = $9, lastauthorizedcredential = $10
       WHERE networkid = $11 AND nodeid = $12`,
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

  async setPools(nwid: string, pools: IpPool[]): Promise<void> {
    await this.#run(`DELETE FROM ipassignmentpool WHERE networkid = $1`, [nwid]);
    for (const pool of pools) {
      // A CIDR pool is stored as the reference stored it; a range keeps its ends (ipnetwork = start, bits 0).
      const start = formatIp(pool.family, pool.first);
      await this.#run(
        `INSERT INTO ipassignmentpool (networkid, ipnetwork, ipnetmaskbits, iprangestart, iprangeend) VALUES ($1, $2, $3, $4, $5)`,
        pool.bits === null
          ? [nwid, start, 0, start, formatIp(pool.family, pool.last)]
          : [nwid, formatIp(pool.family, pool.first - 1n), pool.bits, null, null],
      );
    }
  }

  async setRoutes(nwid: string, routes: ManagedRoute[]): Promise<void> {
    await this.#run(`DELETE FROM route WHERE networkid = $1`, [nwid]);
    for (const route of routes) {
      await this.#run(`INSERT INTO route (networkid, target, targetbits, via) VALUES ($1, $2, $3, $4)`, [
        nwid, formatIp(route.target.family, route.target.address), route.target.bits,
        route.via === null ? null : formatIp(route.via.family, route.via.address),
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

  async insertJoinToken(token: JoinTokenRow): Promise<void> {
    const inserted = await this.#run(
      `INSERT INTO jointoken (${JOIN_TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
      [
        token.id, token.networkId, token.name, Buffer.from(token.secretHash), token.createdAt, token.expiresAt, token.maxUses,
        token.uses, token.revoked,
      ],
    );
    if (inserted === 0) throw new ConflictError(`join token ${token.id} exists already`);
  }

  /** One conditional UPDATE: a concurrent spender waits for the row and checks the condition again on its new uses. */
  async spendJoinToken(id: string, now: number): Promise<boolean> {
    return (await this.#run(
      `UPDATE jointoken SET uses = uses + 1
       WHERE id = $1 AND NOT revoked AND (expiresat IS NULL OR expiresat > $2) AND (maxuses IS NULL OR uses < maxuses)`,
      [id, now],
    )) === 1;
  }

  async revokeJoinToken(id: string): Promise<boolean> {
    return (await this.#run(`UPDATE jointoken SET revoked = true WHERE id = $1 AND NOT revoked`, [id])) === 1;
  }

  async setMemberExpiry(nwid: string, policy: Omit<MemberExpiryRow, 'networkId'> | null): Promise<void> {
    if (policy === null) {
      await this.#run(`DELETE FROM memberexpiry WHERE networkid = $1`, [nwid]);
      return;
    }
    await this.#run(
      `INSERT INTO memberexpiry (networkid, notseenfor, action) VALUES ($1, $2, $3)
       ON CONFLICT (networkid) DO UPDATE SET notseenfor = excluded.notseenfor, action = excluded.action`,
      [nwid, policy.notSeenFor, policy.action],
    );
  }

  async forgetNodesWithoutMembers(addresses: readonly string[]): Promise<string[]> {
    if (addresses.length === 0) return [];
    const ids = [...new Set(addresses)].sort();
    // First the locks (waiting for every transaction making a member of these nodes to end), then,
    // in a new statement that sees what those committed, the nodes left without members. In one
    // statement, a member committed while the delete waited would not be seen and its node would go.
    await this.db.query(`SELECT 1 FROM node WHERE id = ANY($1::char(10)[]) ORDER BY id FOR UPDATE`, [ids]);
    // A pending sighting of a forgotten node later updates no row: harmless.
    const rows = await this.rows(
      `DELETE FROM node WHERE id = ANY($1::char(10)[]) AND NOT EXISTS (SELECT 1 FROM member WHERE member.nodeid = node.id)
       RETURNING id`,
      [ids],
    );
    return rows.map((row) => String(row.id)).sort();
  }

  async insertAuditEntry(entry: Omit<AuditEntryRow, 'id'>): Promise<void> {
    await this.#run(
      `INSERT INTO auditentry (time, actor, action, networkid, nodeid, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.time, entry.actor, entry.action, entry.networkId, entry.address, entry.before, entry.after],
    );
  }

  async pruneAuditEntries(before: number | null, keep: number | null): Promise<void> {
    if (before !== null) await this.#run(`DELETE FROM auditentry WHERE time < $1`, [before]);
    if (keep !== null) {
      // The newest `keep` entries by id (ids grow in recording order).
      await this.#run(
        `DELETE FROM auditentry WHERE id < (SELECT min(id) FROM (SELECT id FROM auditentry ORDER BY id DESC LIMIT $1) AS kept)
         OR $1 = 0`,
        [keep],
      );
    }
  }
}

function networkSettingsToPg(settings: NetworkRowSettings): unknown[] {
  return [
    settings.name, settings.description, settings.private, settings.enableBroadcast, settings.allowPassiveBridging,
    settings.v4AssignMode, settings.v6AssignMode, settings.multicastLimit, uint64ToPg(settings.comRevisionMaxDelta),
    settings.mtu, settings.dnsDomain, settings.dnsServers.map((server) => formatIp(server.family, server.address)).join(','),
  ];
}

function memberFieldsToPg(member: MemberRow): unknown[] {
  return [
    member.authorized, member.activeBridge, member.name, member.notes, member.authorizedAt, member.deauthorizedAt,
    member.noAutoAssignIps, member.clientReportedRevision === null ? null : uint64ToPg(member.clientReportedRevision),
    member.lastAuthorizedCredentialType, member.lastAuthorizedCredential,
  ];
}
