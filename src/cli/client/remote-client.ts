/**
 * The admin client over a running master's HTTP admin API (ZeroTier's controller API, see
 * docs/admin-api.md): the same operations as the local client, answered with the same records
 * and typed errors. The token travels in the X-ZT1-Auth header.
 */
import { NotFoundError } from '../../errors.js';
import { DEFAULT_ETHER_TYPES, MAX_MEMBER_NAME_BYTES, MAX_MEMBER_NOTES_BYTES, boundedText, poolText, readPools } from '../../master/settings.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { AdminClient, MemberRecord, NetworkRecord } from './admin-client.js';
import type { AuditEntry, CreatedJoinToken, JoinTokenInfo, PruneResult } from '../../master/index.js';
import { errorFromAnswer } from './remote-errors.js';
import { memberFromJson, networkBody, networkFromJson, rangeOfPool, type Json } from './remote-records.js';

export interface RemoteClientOptions {
  /** The admin API's base URL, such as http://127.0.0.1:9993. */
  url: string;
  /** The admin token (the contents of authtoken.secret). */
  token: string;
  /** Members fetched per page when listing (the API pages its member list). */
  pageSize?: number;
}

type Method = 'GET' | 'POST' | 'DELETE';

const DEFAULT_PAGE_SIZE = 1000;

function idText(value: string | bigint, digits: number): string {
  return typeof value === 'bigint' ? value.toString(16).padStart(digits, '0') : value.trim().toLowerCase();
}

export function createRemoteClient(options: RemoteClientOptions): AdminClient {
  const base = options.url.replace(/\/+$/, '');
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;

  /** One request; answers the parsed JSON, or null for 404 when `missingIsNull`. */
  async function call(method: Method, path: string, body?: Json, missingIsNull = false): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers: {
          'X-ZT1-Auth': options.token,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        ExitCode.STORAGE,
        `cannot reach the master at ${base}: ${cause?.code ?? cause?.message ?? (error as Error).message} (is "zt-netconf-master serve" running there?)`,
      );
    }
    const textBody = await response.text();
    let parsed: unknown;
    try {
      parsed = textBody === '' ? undefined : JSON.parse(textBody);
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed;
    if (response.status === 404 && missingIsNull) return null;
    throw errorFromAnswer({ status: response.status, body: parsed, request: `${method} ${path}`, url: base });
  }

  const networkPath = (nwid: string | bigint): string => `/controller/network/${idText(nwid, 16)}`;
  const memberPath = (nwid: string | bigint, address: string | bigint): string =>
    `${networkPath(nwid)}/member/${idText(address, 10)}`;

  async function getNetwork(nwid: string | bigint): Promise<NetworkRecord | null> {
    const json = await call('GET', networkPath(nwid), undefined, true);
    return json === null ? null : networkFromJson(json as Json);
  }

  /** The network, or the library's NotFoundError (POST would create it: the API's POST is an upsert). */
  async function existingNetwork(nwid: string | bigint): Promise<NetworkRecord> {
    const network = await getNetwork(nwid);
    if (!network) throw new NotFoundError(`no network ${idText(nwid, 16)}`);
    return network;
  }

  async function postMember(nwid: string | bigint, address: string | bigint, body: Json): Promise<void> {
    await existingNetwork(nwid);
    await call('POST', memberPath(nwid, address), body);
  }

  async function postPools(nwid: string | bigint, pools: readonly string[]): Promise<void> {
    await call('POST', networkPath(nwid), { ipAssignmentPools: pools.map(rangeOfPool) });
  }

  async function status(): Promise<Json> {
    return (await call('GET', '/status')) as Json;
  }

  return {
    async createNetwork(settings) {
      // The service's own default is ZeroTier's accept-all; the CLI creates what the library does.
      const body = networkBody({ etherTypes: [...DEFAULT_ETHER_TYPES], ...settings });
      const { address } = (await status()) as { address: string };
      const created = (await call('POST', `/controller/network/${address}______`, body)) as Json;
      return networkFromJson(created).id;
    },
    getNetwork,
    async listNetworks() {
      const ids = (await call('GET', '/controller/network')) as string[];
      const networks: NetworkRecord[] = [];
      for (const id of ids) {
        const network = await getNetwork(id);
        if (network) networks.push(network);
      }
      return networks;
    },
    async updateNetwork(nwid, patch) {
      const body = networkBody(patch);
      await existingNetwork(nwid);
      await call('POST', networkPath(nwid), body);
    },
    async deleteNetwork(nwid) {
      await call('DELETE', networkPath(nwid));
    },
    async addIpPool(nwid, cidr) {
      const pool = poolText(readPools([cidr])[0]!);
      const network = await existingNetwork(nwid);
      if (network.ipPools.includes(pool)) return;
      await postPools(nwid, [...network.ipPools, pool]);
    },
    async removeIpPool(nwid, cidr) {
      const pool = poolText(readPools([cidr])[0]!);
      const network = await existingNetwork(nwid);
      if (!network.ipPools.includes(pool)) throw new NotFoundError(`network ${network.id} has no pool ${pool}`);
      await postPools(
        nwid,
        network.ipPools.filter((kept) => kept !== pool),
      );
    },
    async getMember(nwid, address) {
      const json = await call('GET', memberPath(nwid, address), undefined, true);
      return json === null ? null : memberFromJson(json as Json);
    },
    async listMembers(nwid) {
      const members: MemberRecord[] = [];
      for (;;) {
        const page = (await call(
          'GET',
          `/unstable${networkPath(nwid)}/member?offset=${members.length}&limit=${pageSize}`,
        )) as { data?: Json[]; meta?: { totalCount?: number } };
        const data = page.data ?? [];
        members.push(...data.map(memberFromJson));
        if (data.length === 0 || members.length >= (page.meta?.totalCount ?? members.length)) {
          // The library lists members by address; so does this client, whatever order pages come in.
          return members.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
        }
      }
    },
    authorizeMember: (nwid, address) => postMember(nwid, address, { authorized: true }),
    deauthorizeMember: (nwid, address) => postMember(nwid, address, { authorized: false }),
    setActiveBridge: (nwid, address, on) => postMember(nwid, address, { activeBridge: on }),
    // Checked with the library's own rule first, so a refusal reads as it does in local mode.
    setMemberName: (nwid, address, name) =>
      postMember(nwid, address, { name: boundedText(name, 'member name', MAX_MEMBER_NAME_BYTES) }),
    setMemberNotes: (nwid, address, notes) =>
      postMember(nwid, address, { notes: boundedText(notes, 'member notes', MAX_MEMBER_NOTES_BYTES) }),
    setIpAssignments: (nwid, address, cidrs) => postMember(nwid, address, { ipAssignments: [...cidrs] }),
    async deleteMember(nwid, address) {
      await call('DELETE', memberPath(nwid, address));
    },
    async createJoinToken(nwid, options) {
      const created = (await call('POST', `/unstable${networkPath(nwid)}/token`, { ...options })) as CreatedJoinToken;
      return { id: created.id, token: created.token };
    },
    async listJoinTokens(nwid) {
      return ((await call('GET', `/unstable${networkPath(nwid)}/token`)) as { data: JoinTokenInfo[] }).data;
    },
    async revokeJoinToken(nwid, id) {
      await call('DELETE', `/unstable${networkPath(nwid)}/token/${encodeURIComponent(id)}`);
    },
    async pruneMembers(nwid, options) {
      return (await call('POST', `/unstable${networkPath(nwid)}/prune`, { ...options })) as PruneResult;
    },
    async listAuditEntries(query = {}) {
      const params = new URLSearchParams();
      if (query.address !== undefined) params.set('member', idText(query.address, 10));
      for (const key of ['since', 'until', 'limit'] as const) if (query[key] !== undefined) params.set(key, String(query[key]));
      const path = query.nwid === undefined ? '/unstable/controller/audit' : `/unstable${networkPath(query.nwid)}/audit`;
      const search = params.size === 0 ? '' : `?${params}`;
      return ((await call('GET', path + search)) as { data: AuditEntry[] }).data;
    },
    async masterIdentity() {
      const answer = await status();
      return { address: String(answer.address), identity: String(answer.publicIdentity) };
    },
    onWarning: () => undefined,
    close: async () => undefined,
  };
}
