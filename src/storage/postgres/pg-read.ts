/**
 * The master's storage reads (src/master/store.ts NetconfStoreReader) as PostgreSQL statements,
 * on one connection: the statements of one transaction, or of one read.
 */
import type { NodeSighting } from '../node-sightings.js';
import { readableRows } from '../readable-rows.js';
import { CorruptDatabaseError } from '../../errors.js';
import { assignableRange, parseCidr, parseIp, type Cidr, type IpFamily } from '../../protocol/ip.js';
import {
  CREDENTIAL_TYPES, MEMBER_EXPIRY_ACTIONS, V4_ASSIGN_MODES, V6_ASSIGN_MODES,
  type AuditEntryRow, type AuditQuery, type CachedNetconf, type IpPool, type JoinTokenRow, type ManagedRoute,
  type MemberCounts, type MemberKey, type MembersSeenPage, type MemberExpiryRow, type MemberPageQuery, type MemberRow, type MulticastRateRow, type NetconfStoreReader, type NetworkRevisionChange,
  type NetworkRow, type NodeRecord, type RequestState,
} from '../../master/store.js';
import type { PgQueryable } from './pg-types.js';
import { booleanFromPg, numberFromPg, textFromPg, uint64FromPg, uint64ToPg } from './values.js';

type Row = Record<string, unknown>;

const ASCII_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const MEMBER_COLUMNS =
  'networkid, nodeid, authorized, activebridge, name, notes, authorizedat, deauthorizedat, noautoassignips, ' +
  'clientreportedrevision, lastauthorizedcredentialtype, lastauthorizedcredential';

export const NETWORK_COLUMNS =
  'id, name, description, private, enablebroadcast, allowpassivebridging, v4assignmode, v6assignmode, ' +
  'multicastlimit, comrevisionmaxdelta, mtu, dnsdomain, dnsservers, revision, creationtime';

export const JOIN_TOKEN_COLUMNS = 'id, networkid, name, secrethash, createdat, expiresat, maxuses, uses, revoked';

/** What reads tell the store they ran into (see PostgresNetconfStore.generation). */
export interface ReadObserver {
  /** Sightings committed and not yet written: reads of a node see them. */
  readonly pendingSightings: ReadonlyMap<string, NodeSighting>;
  /** The database's change sequence, read with a request's state. */
  changeSequenceSeen(sequence: number): void;
}

export class PgRead implements NetconfStoreReader {
  constructor(
    protected readonly db: PgQueryable,
    protected readonly observer: ReadObserver,
  ) {}

  protected async rows(sql: string, values?: readonly unknown[]): Promise<Row[]> {
    return (await this.db.query<Row>(sql, values)).rows;
  }

  protected async row(sql: string, values?: readonly unknown[]): Promise<Row | undefined> {
    return (await this.db.query<Row>(sql, values)).rows[0];
  }

  async getNode(address: string): Promise<NodeRecord | undefined> {
    const row = await this.row(
      `SELECT id, identity, lastat, firstseen, lastseen, vmajor, vminor, vrev, vproto FROM node WHERE id = $1`,
      [address],
    );
    if (row === undefined) return undefined;
    const pending = this.observer.pendingSightings.get(address);
    return {
      address: textFromPg(row.id, 'node.id'),
      identity: textFromPg(row.identity, 'node.identity'),
      lastAt: pending?.lastAt ?? (row.lastat === null ? null : textFromPg(row.lastat, 'node.lastat')),
      firstSeen: numberFromPg(row.firstseen, 'node.firstseen'),
      lastSeen: pending?.lastSeen ?? numberFromPg(row.lastseen, 'node.lastseen'),
      version: pending?.version ?? {
        major: numberFromPg(row.vmajor, 'node.vmajor'),
        minor: numberFromPg(row.vminor, 'node.vminor'),
        revision: numberFromPg(row.vrev, 'node.vrev'),
        protocol: numberFromPg(row.vproto, 'node.vproto'),
      },
    };
  }

  /**
   * The request's node, network and member in one statement, with the database's change sequence:
   * a change made by another process (a network deleted and made again under its ID) is noticed
   * by the very next request, before anything kept in memory is used.
   */
  async getRequestState(nwid: string, address: string): Promise<RequestState> {
    const row = (await this.row(
      `SELECT node.identity, network.private, network.revision,
              member.authorized, member.clientreportedrevision, member.cachednetconfrevision,
              (SELECT v FROM config WHERE k = 'changeSequence') AS changesequence
       FROM (SELECT $1::char(10) AS nodeid, $2::char(16) AS networkid) AS request
       LEFT JOIN node ON node.id = request.nodeid
       LEFT JOIN network ON network.id = request.networkid
       LEFT JOIN member ON member.networkid = request.networkid AND member.nodeid = request.nodeid`,
      [address, nwid],
    ))!;
    this.observer.changeSequenceSeen(numberFromPg(row.changesequence, 'config.changeSequence'));
    return {
      nodeIdentity: row.identity === null ? undefined : textFromPg(row.identity, 'node.identity'),
      network:
        row.revision === null
          ? undefined
          : { private: booleanFromPg(row.private, 'network.private'), revision: uint64FromPg(row.revision, 'network.revision') },
      member:
        row.authorized === null
          ? undefined
          : {
              authorized: booleanFromPg(row.authorized, 'member.authorized'),
              clientReportedRevision: nullable(row.clientreportedrevision, (v) => uint64FromPg(v, 'member.clientreportedrevision')),
              cachedNetconfRevision: nullable(row.cachednetconfrevision, (v) => uint64FromPg(v, 'member.cachednetconfrevision')),
            },
    };
  }

  async getNetwork(nwid: string): Promise<NetworkRow | undefined> {
    const row = await this.row(`SELECT ${NETWORK_COLUMNS} FROM network WHERE id = $1`, [nwid]);
    return row === undefined ? undefined : networkFromRow(row);
  }

  async listNetworkIds(): Promise<string[]> {
    return (await this.rows(`SELECT id FROM network ORDER BY id`)).map((row) => textFromPg(row.id, 'network.id'));
  }

  async networkIdsInRange(from: string, to: string, limit: number): Promise<string[]> {
    const rows = await this.rows(`SELECT id FROM network WHERE id BETWEEN $1 AND $2 ORDER BY id LIMIT $3`, [from, to, limit]);
    return rows.map((row) => textFromPg(row.id, 'network.id'));
  }

  async getMember(nwid: string, address: string): Promise<MemberRow | undefined> {
    const row = await this.row(`SELECT ${MEMBER_COLUMNS} FROM member WHERE networkid = $1 AND nodeid = $2`, [nwid, address]);
    return row === undefined ? undefined : memberFromRow(row);
  }

  async listMembers(nwid: string): Promise<MemberRow[]> {
    return (await this.rows(`SELECT ${MEMBER_COLUMNS} FROM member WHERE networkid = $1 ORDER BY nodeid`, [nwid])).map(memberFromRow);
  }

  async pageMembers(nwid: string, query: MemberPageQuery): Promise<MemberRow[]> {
    const values: unknown[] = [nwid];
    let where = 'networkid = $1';
    if (query.authorized !== undefined) {
      values.push(query.authorized);
      where += ` AND authorized = $${values.length}`;
    }
    if (query.search !== undefined) {
      values.push(query.search);
      // ASCII case only, as SQLite's lower(): both engines find the same members.
      where += ` AND (strpos(nodeid, $${values.length}) > 0 OR strpos(translate(name, '${ASCII_UPPER}', '${ASCII_UPPER.toLowerCase()}'), $${values.length}) > 0)`;
    }
    values.push(query.limit, query.offset);
    const sql = `SELECT ${MEMBER_COLUMNS} FROM member WHERE ${where} ORDER BY nodeid LIMIT $${values.length - 1} OFFSET $${values.length}`;
    return (await this.rows(sql, values)).map(memberFromRow);
  }

  async countMembers(nwid: string): Promise<MemberCounts> {
    const row = (await this.row(
      `SELECT count(*) AS total, count(*) FILTER (WHERE authorized) AS authorized FROM member WHERE networkid = $1`,
      [nwid],
    ))!;
    return { total: numberFromPg(row.total, 'count(member)'), authorized: numberFromPg(row.authorized, 'count(member)') };
  }

  /** All the members after `after` in one statement: the server counts, this thread only waits (no page limit needed). */
  async countMembersSeen(since: number, after: MemberKey | null): Promise<MembersSeenPage> {
    const row = (await this.row(
      `SELECT count(*) AS members, count(*) FILTER (WHERE node.lastseen >= $1) AS seen
       FROM member LEFT JOIN node ON node.id = member.nodeid
       WHERE $2::text IS NULL OR (member.networkid, member.nodeid) > ($2, $3)`,
      [since, after?.networkId ?? null, after?.address ?? null],
    ))!;
    return { members: numberFromPg(row.members, 'count(member)'), seen: numberFromPg(row.seen, 'count(member)'), next: null };
  }

  async getCachedNetconf(nwid: string, address: string, revision: bigint): Promise<CachedNetconf | undefined> {
    const row = await this.row(
      `SELECT cachednetconf, cachednetconfrevision, cachednetconftimestamp FROM member
       WHERE networkid = $1 AND nodeid = $2 AND cachednetconf IS NOT NULL AND cachednetconfrevision = $3`,
      [nwid, address, uint64ToPg(revision)],
    );
    if (row === undefined) return undefined;
    const bytes = row.cachednetconf;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('member.cachednetconf is not bytes');
    return {
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      revision: uint64FromPg(row.cachednetconfrevision, 'member.cachednetconfrevision'),
      timestamp: row.cachednetconftimestamp === null ? 0 : numberFromPg(row.cachednetconftimestamp, 'member.cachednetconftimestamp'),
    };
  }

  async activeBridges(nwid: string): Promise<string[]> {
    const rows = await this.rows(
      `SELECT nodeid FROM member WHERE networkid = $1 AND activebridge AND authorized ORDER BY nodeid`,
      [nwid],
    );
    return rows.map((row) => textFromPg(row.nodeid, 'member.nodeid'));
  }

  async membersBehind(nwid: string, revision: bigint): Promise<string[]> {
    // Stored uint64s above 2^63 read as negative: compare on the unsigned value.
    const rows = await this.rows(
      `SELECT nodeid FROM member WHERE networkid = $1 AND authorized
       AND (clientreportedrevision IS NULL
            OR (clientreportedrevision >= 0 AND ($2::bigint < 0 OR clientreportedrevision < $2::bigint))
            OR (clientreportedrevision < 0 AND $2::bigint < 0 AND clientreportedrevision < $2::bigint))
       ORDER BY nodeid`,
      [nwid, uint64ToPg(revision)],
    );
    return rows.map((row) => textFromPg(row.nodeid, 'member.nodeid'));
  }

  async lastChangeSequence(): Promise<number> {
    const row = await this.row(`SELECT v FROM config WHERE k = 'changeSequence'`);
    return row === undefined ? 0 : numberFromPg(row.v, 'config.changeSequence');
  }

  /** Reads the change sequence and tells the observer (only outside this process's own writes). */
  *observeChangeSequence(): Generator<Promise<number>, void, unknown> {
    const sequence = (yield this.lastChangeSequence()) as number;
    this.observer.changeSequenceSeen(sequence);
  }

  async networksChangedSince(sequence: number): Promise<NetworkRevisionChange[]> {
    const rows = await this.rows(
      `SELECT id, revision, changesequence FROM network WHERE changesequence > $1 ORDER BY changesequence`,
      [sequence],
    );
    return rows.map((row) => ({
      nwid: textFromPg(row.id, 'network.id'),
      revision: uint64FromPg(row.revision, 'network.revision'),
      changeSequence: numberFromPg(row.changesequence, 'network.changesequence'),
    }));
  }

  async getAssignments(nwid: string, address: string): Promise<Cidr[]> {
    const rows = await this.rows(
      `SELECT ipversion, ipint, ipnetmaskbits FROM ipassignment WHERE networkid = $1 AND nodeid = $2
       ORDER BY ipversion, ipint`,
      [nwid, address],
    );
    return rows.map(assignmentFromRow);
  }

  async listAssignments(nwid: string): Promise<Map<string, Cidr[]>> {
    const rows = await this.rows(
      `SELECT nodeid, ipversion, ipint, ipnetmaskbits FROM ipassignment WHERE networkid = $1
       ORDER BY nodeid, ipversion, ipint`,
      [nwid],
    );
    const byMember = new Map<string, Cidr[]>();
    for (const row of rows) {
      const node = textFromPg(row.nodeid, 'ipassignment.nodeid');
      let list = byMember.get(node);
      if (list === undefined) byMember.set(node, (list = []));
      list.push(assignmentFromRow(row));
    }
    return byMember;
  }

  async assignmentHolder(nwid: string, family: IpFamily, value: bigint): Promise<string | undefined> {
    const row = await this.row(
      `SELECT nodeid FROM ipassignment WHERE networkid = $1 AND ipversion = $2 AND ipint = $3`,
      [nwid, family, String(value)],
    );
    return row === undefined ? undefined : textFromPg(row.nodeid, 'ipassignment.nodeid');
  }

  async firstFreeAddress(nwid: string, family: IpFamily, from: bigint, to: bigint): Promise<bigint | null> {
    if (from > to) return null;
    // Runs are maximal, so the address after the run holding `from` is free.
    const run = await this.row(
      `SELECT last FROM iprun WHERE networkid = $1 AND ipversion = $2 AND first <= $3 ORDER BY first DESC LIMIT 1`,
      [nwid, family, String(from)],
    );
    const last = run === undefined ? null : addressFromPg(run.last, 'iprun.last');
    const free = last !== null && last >= from ? last + 1n : from;
    return free <= to ? free : null;
  }

  async getPools(nwid: string): Promise<IpPool[]> {
    const rows = await this.rows(
      `SELECT ipnetwork, ipnetmaskbits, iprangestart, iprangeend FROM ipassignmentpool WHERE networkid = $1 ORDER BY position`,
      [nwid],
    );
    return readableRows(rows, poolFromRow);
  }

  async getRoutes(nwid: string): Promise<ManagedRoute[]> {
    const rows = await this.rows(`SELECT target, targetbits, via FROM route WHERE networkid = $1 ORDER BY position`, [nwid]);
    return rows.map((row) => ({
      target: { ...ipFromPg(row.target, 'route.target'), bits: numberFromPg(row.targetbits, 'route.targetbits') },
      via: row.via === null ? null : ipFromPg(row.via, 'route.via'),
    }));
  }

  async getAcceptedEtherTypes(nwid: string): Promise<number[]> {
    const rows = await this.rows(
      `SELECT ethertype FROM rule WHERE networkid = $1 AND action = 'accept' ORDER BY ethertype`,
      [nwid],
    );
    return rows.map((row) => numberFromPg(row.ethertype, 'rule.ethertype'));
  }

  async getMulticastRates(nwid: string): Promise<MulticastRateRow[]> {
    const rows = await this.rows(
      `SELECT mgmac, mgadi, preload, maxbalance, accrual FROM multicastrate WHERE networkid = $1 ORDER BY mgmac, mgadi`,
      [nwid],
    );
    return rows.map((row) => ({
      mac: textFromPg(row.mgmac, 'multicastrate.mgmac'),
      adi: numberFromPg(row.mgadi, 'multicastrate.mgadi'),
      preload: numberFromPg(row.preload, 'multicastrate.preload'),
      maxBalance: numberFromPg(row.maxbalance, 'multicastrate.maxbalance'),
      accrual: numberFromPg(row.accrual, 'multicastrate.accrual'),
    }));
  }

  async getJoinToken(id: string): Promise<JoinTokenRow | undefined> {
    const row = await this.row(`SELECT ${JOIN_TOKEN_COLUMNS} FROM jointoken WHERE id = $1`, [id]);
    return row === undefined ? undefined : joinTokenFromRow(row);
  }

  async listJoinTokens(nwid: string): Promise<JoinTokenRow[]> {
    const rows = await this.rows(`SELECT ${JOIN_TOKEN_COLUMNS} FROM jointoken WHERE networkid = $1 ORDER BY createdat, id`, [nwid]);
    return rows.map(joinTokenFromRow);
  }

  async getMemberExpiry(nwid: string): Promise<MemberExpiryRow | undefined> {
    const row = await this.row(`SELECT networkid, notseenfor, action FROM memberexpiry WHERE networkid = $1`, [nwid]);
    return row === undefined ? undefined : memberExpiryFromRow(row);
  }

  async listMemberExpiries(): Promise<MemberExpiryRow[]> {
    return (await this.rows(`SELECT networkid, notseenfor, action FROM memberexpiry ORDER BY networkid`)).map(memberExpiryFromRow);
  }

  async membersNotSeenSince(nwid: string, time: number): Promise<string[]> {
    const rows = await this.rows(
      `SELECT member.nodeid FROM member JOIN node ON node.id = member.nodeid
       WHERE member.networkid = $1 AND node.lastseen < $2 ORDER BY member.nodeid`,
      [nwid, time],
    );
    return rows
      .map((row) => textFromPg(row.nodeid, 'member.nodeid'))
      // A sighting not yet written is newer than the stored lastSeen.
      .filter((address) => (this.observer.pendingSightings.get(address)?.lastSeen ?? -Infinity) < time);
  }

  async listAuditEntries(query: AuditQuery): Promise<AuditEntryRow[]> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    const where = (sql: string, value: unknown) => {
      values.push(value);
      conditions.push(`${sql} $${values.length}`);
    };
    if (query.nwid !== undefined) where('networkid =', query.nwid);
    if (query.address !== undefined) where('nodeid =', query.address);
    if (query.since !== undefined) where('time >=', query.since);
    if (query.until !== undefined) where('time <', query.until);
    const limit = query.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
    const rows = await this.rows(
      `SELECT id, time, actor, action, networkid, nodeid, before, after FROM auditentry
       ${conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`} ORDER BY id DESC${limit}`,
      values,
    );
    return rows.map(auditEntryFromRow).reverse();
  }
}

function nullable<T>(value: unknown, read: (value: unknown) => T): T | null {
  return value === null ? null : read(value);
}

export function networkFromRow(row: Row): NetworkRow {
  return {
    id: textFromPg(row.id, 'network.id'),
    name: textFromPg(row.name, 'network.name'),
    description: textFromPg(row.description, 'network.description'),
    private: booleanFromPg(row.private, 'network.private'),
    enableBroadcast: booleanFromPg(row.enablebroadcast, 'network.enablebroadcast'),
    allowPassiveBridging: booleanFromPg(row.allowpassivebridging, 'network.allowpassivebridging'),
    v4AssignMode: oneOf(row.v4assignmode, 'network.v4assignmode', V4_ASSIGN_MODES),
    v6AssignMode: oneOf(row.v6assignmode, 'network.v6assignmode', V6_ASSIGN_MODES),
    multicastLimit: numberFromPg(row.multicastlimit, 'network.multicastlimit'),
    comRevisionMaxDelta: uint64FromPg(row.comrevisionmaxdelta, 'network.comrevisionmaxdelta'),
    mtu: numberFromPg(row.mtu, 'network.mtu'),
    dnsDomain: textFromPg(row.dnsdomain, 'network.dnsdomain'),
    dnsServers: textFromPg(row.dnsservers, 'network.dnsservers') === ''
      ? []
      : textFromPg(row.dnsservers, 'network.dnsservers').split(',').map((text) => ipFromPg(text, 'network.dnsservers')),
    revision: uint64FromPg(row.revision, 'network.revision'),
    creationTime: numberFromPg(row.creationtime, 'network.creationtime'),
  };
}

export function memberFromRow(row: Row): MemberRow {
  return {
    networkId: textFromPg(row.networkid, 'member.networkid'),
    address: textFromPg(row.nodeid, 'member.nodeid'),
    authorized: booleanFromPg(row.authorized, 'member.authorized'),
    activeBridge: booleanFromPg(row.activebridge, 'member.activebridge'),
    name: textFromPg(row.name, 'member.name'),
    notes: textFromPg(row.notes, 'member.notes'),
    authorizedAt: nullable(row.authorizedat, (v) => numberFromPg(v, 'member.authorizedat')),
    deauthorizedAt: nullable(row.deauthorizedat, (v) => numberFromPg(v, 'member.deauthorizedat')),
    noAutoAssignIps: booleanFromPg(row.noautoassignips, 'member.noautoassignips'),
    clientReportedRevision: nullable(row.clientreportedrevision, (v) => uint64FromPg(v, 'member.clientreportedrevision')),
    lastAuthorizedCredentialType: nullable(row.lastauthorizedcredentialtype, (v) =>
      oneOf(v, 'member.lastauthorizedcredentialtype', CREDENTIAL_TYPES)),
    lastAuthorizedCredential: nullable(row.lastauthorizedcredential, (v) => textFromPg(v, 'member.lastauthorizedcredential')),
  };
}

function oneOf<T extends string>(value: unknown, column: string, allowed: readonly T[]): T {
  const text = textFromPg(value, column);
  if (!(allowed as readonly string[]).includes(text)) {
    throw new CorruptDatabaseError(`column ${column} holds ${JSON.stringify(text.slice(0, 32))}, not one of ${allowed.join(', ')}`);
  }
  return text as T;
}

/** An address column in formatIp's form. */
function ipFromPg(value: unknown, column: string): { family: IpFamily; address: bigint } {
  const text = textFromPg(value, column);
  try {
    return parseIp(text);
  } catch {
    throw new CorruptDatabaseError(`column ${column} holds ${JSON.stringify(text.slice(0, 64))}, not an address`);
  }
}

/** A pool row: a range (iprangestart/iprangeend set) or a CIDR (its assignable range). Throws on what it cannot read. */
function poolFromRow(row: Row): IpPool {
  if (row.iprangestart !== null) {
    const first = parseIp(String(row.iprangestart));
    const last = parseIp(String(row.iprangeend));
    if (first.family !== last.family || first.address > last.address) throw new Error('not a range');
    return { family: first.family, first: first.address, last: last.address, bits: null };
  }
  const cidr = parseCidr(`${String(row.ipnetwork)}/${String(row.ipnetmaskbits)}`);
  const range = assignableRange(cidr);
  if (range === null) throw new Error('no assignable address');
  return { family: cidr.family, first: range.first, last: range.last, bits: cidr.bits };
}

function joinTokenFromRow(row: Row): JoinTokenRow {
  const hash = row.secrethash;
  if (!(hash instanceof Uint8Array) || hash.length !== 32) {
    throw new CorruptDatabaseError(`column jointoken.secrethash of token ${String(row.id)} is not a 32-byte hash`);
  }
  return {
    id: textFromPg(row.id, 'jointoken.id'),
    networkId: textFromPg(row.networkid, 'jointoken.networkid'),
    name: textFromPg(row.name, 'jointoken.name'),
    secretHash: new Uint8Array(hash),
    createdAt: numberFromPg(row.createdat, 'jointoken.createdat'),
    expiresAt: nullable(row.expiresat, (v) => numberFromPg(v, 'jointoken.expiresat')),
    maxUses: nullable(row.maxuses, (v) => numberFromPg(v, 'jointoken.maxuses')),
    uses: numberFromPg(row.uses, 'jointoken.uses'),
    revoked: booleanFromPg(row.revoked, 'jointoken.revoked'),
  };
}

function memberExpiryFromRow(row: Row): MemberExpiryRow {
  return {
    networkId: textFromPg(row.networkid, 'memberexpiry.networkid'),
    notSeenFor: numberFromPg(row.notseenfor, 'memberexpiry.notseenfor'),
    action: oneOf(row.action, 'memberexpiry.action', MEMBER_EXPIRY_ACTIONS),
  };
}

function auditEntryFromRow(row: Row): AuditEntryRow {
  return {
    id: numberFromPg(row.id, 'auditentry.id'),
    time: numberFromPg(row.time, 'auditentry.time'),
    actor: textFromPg(row.actor, 'auditentry.actor'),
    action: textFromPg(row.action, 'auditentry.action'),
    networkId: nullable(row.networkid, (v) => textFromPg(v, 'auditentry.networkid')),
    address: nullable(row.nodeid, (v) => textFromPg(v, 'auditentry.nodeid')),
    before: nullable(row.before, (v) => textFromPg(v, 'auditentry.before')),
    after: nullable(row.after, (v) => textFromPg(v, 'auditentry.after')),
  };
}

function assignmentFromRow(row: Row): Cidr {
  return {
    family: numberFromPg(row.ipversion, 'ipassignment.ipversion') as IpFamily,
    address: addressFromPg(row.ipint, 'ipassignment.ipint'),
    bits: numberFromPg(row.ipnetmaskbits, 'ipassignment.ipnetmaskbits'),
  };
}

/** An address stored as numeric(39) (decimal text). */
function addressFromPg(value: unknown, column: string): bigint {
  const text = textFromPg(value, column);
  if (!/^[0-9]{1,39}$/.test(text)) throw new CorruptDatabaseError(`column ${column} holds ${JSON.stringify(text.slice(0, 40))}, not an address`);
  return BigInt(text);
}
