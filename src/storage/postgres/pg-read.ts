/**
 * The master's storage reads (src/master/store.ts NetconfStoreReader) as PostgreSQL statements,
 * on one connection: the statements of one transaction, or of one read.
 */
import { CorruptDatabaseError } from '../../errors.js';
import { parseCidr, type Cidr, type IpFamily } from '../../protocol/ip.js';
import type {
  CachedNetconf, MemberRow, MulticastRateRow, NetconfStoreReader, NetworkRevisionChange, NetworkRow, NodeRecord, RequestState,
  V4AssignMode, V6AssignMode,
} from '../../master/store.js';
import type { PgQueryable } from './pg-types.js';
import { booleanFromPg, numberFromPg, textFromPg, uint64FromPg, uint64ToPg } from './values.js';

type Row = Record<string, unknown>;

export const MEMBER_COLUMNS =
  'networkid, nodeid, authorized, activebridge, name, notes, authorizedat, deauthorizedat, clientreportedrevision';

export const NETWORK_COLUMNS =
  'id, name, description, private, enablebroadcast, allowpassivebridging, v4assignmode, v6assignmode, ' +
  'multicastlimit, comrevisionmaxdelta, revision, creationtime';

/** A node seen by a request: its new lastSeen, and lastAt when the request came directly. */
export interface NodeSighting {
  lastSeen: number;
  lastAt: string | null;
}

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
    const row = await this.row(`SELECT id, identity, lastat, firstseen, lastseen FROM node WHERE id = $1`, [address]);
    if (row === undefined) return undefined;
    const pending = this.observer.pendingSightings.get(address);
    return {
      address: textFromPg(row.id, 'node.id'),
      identity: textFromPg(row.identity, 'node.identity'),
      lastAt: pending?.lastAt ?? (row.lastat === null ? null : textFromPg(row.lastat, 'node.lastat')),
      firstSeen: numberFromPg(row.firstseen, 'node.firstseen'),
      lastSeen: pending?.lastSeen ?? numberFromPg(row.lastseen, 'node.lastseen'),
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

  async getPools(nwid: string): Promise<Cidr[]> {
    const rows = await this.rows(
      `SELECT ipnetwork, ipnetmaskbits FROM ipassignmentpool WHERE networkid = $1 ORDER BY position`,
      [nwid],
    );
    return rows.map((row) => parseCidr(`${textFromPg(row.ipnetwork, 'ipassignmentpool.ipnetwork')}/${numberFromPg(row.ipnetmaskbits, 'ipassignmentpool.ipnetmaskbits')}`));
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
    v4AssignMode: textFromPg(row.v4assignmode, 'network.v4assignmode') as V4AssignMode,
    v6AssignMode: textFromPg(row.v6assignmode, 'network.v6assignmode') as V6AssignMode,
    multicastLimit: numberFromPg(row.multicastlimit, 'network.multicastlimit'),
    comRevisionMaxDelta: uint64FromPg(row.comrevisionmaxdelta, 'network.comrevisionmaxdelta'),
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
    clientReportedRevision: nullable(row.clientreportedrevision, (v) => uint64FromPg(v, 'member.clientreportedrevision')),
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
