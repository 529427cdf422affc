/**
 * The admin service on the Fetch standard: `createAdminApi(master, options).handle(request)`
 * answers ZeroTier's controller API (version 1.14, apiVersion 4) over this master, in Node.js,
 * browsers, or any framework that speaks `Request`/`Response`. Routing is router.ts's.
 */
import { addressToHex, isReservedAddress, parseAddress } from '../crypto/address.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { MemberInfo, MemberPageInput } from '../master/admin.js';
import type { NetconfMaster } from '../master/master.js';
import { readJsonBody } from './body.js';
import { presentedToken, tokenMatcher, type AdminToken } from './auth.js';
import { HttpErrorCode, errorResponse, jsonResponse, responseForError, unauthorizedResponse } from './http-errors.js';
import { createMetricsState, type AdminMetrics } from './metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.js';
import { createNetworkFromBody, upsertMemberFromBody, upsertNetworkFromBody } from './upsert.js';
import { memberJson, networkJson, peerJson } from './zerotier-model.js';
import { registerAccessRoutes } from './access-routes.js';
import { RouteTable, type RouteContext } from './router.js';

export interface AdminApiOptions {
  /** Who may call: each token with a name and a scope. With none, every route but /health answers 401. */
  tokens: readonly AdminToken[];
  /** The master's public identity, answered by /status (default: empty). */
  publicIdentity?: string;
  /** The version /status answers (default: empty). */
  version?: string;
  /** A member seen within this many ms counts as online (default 3 minutes). */
  onlineWindowMs?: number;
  /** Request bodies larger than this get 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number;
  /** Whether the storage answers (default: listing the networks succeeds). /health answers 503 when false. */
  health?: () => Promise<boolean>;
}

export interface AdminApi {
  handle(request: Request): Promise<Response>;
  /** For the host: counts answered config requests in /metrics. */
  readonly metrics: AdminMetrics;
  /** Every route served (method and path pattern, `:name` for a path parameter), for documentation checks. */
  readonly routes: readonly { method: string; path: string }[];
  /** Stops listening to the master's change events (the master stays open). */
  close(): void;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_ONLINE_WINDOW_MS = 3 * 60_000;
const API_VERSION = 4;

export function createAdminApi(master: NetconfMaster, options: AdminApiOptions): AdminApi {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.tokens)) {
    throw new InvalidArgumentError('createAdminApi needs options.tokens (an array of { name, token, scope })');
  }
  for (const token of options.tokens) {
    if (typeof token?.token !== 'string' || token.token.length === 0 || (token.scope !== 'admin' && token.scope !== 'read')) {
      throw new InvalidArgumentError(`token ${JSON.stringify(token?.name)} needs a non-empty secret and the scope admin or read`);
    }
  }
  const now = options.now ?? Date.now;
  const onlineWindowMs = options.onlineWindowMs ?? DEFAULT_ONLINE_WINDOW_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw new InvalidArgumentError('maxBodyBytes must be a non-negative integer');
  const findToken = tokenMatcher(options.tokens);
  const metrics = createMetricsState();
  const unsubscribe = master.subscribe((event) => metrics.countChange(event));
  const health = options.health ?? (() => master.listNetworks().then(() => true, () => false));
  const view = () => ({ now: now(), onlineWindowMs });
  /** The master, with changes recorded as made by the caller's token. */
  const as = (c: RouteContext): NetconfMaster => master.as(c.actor);

  const app = new RouteTable();

  app.add('GET', '/health', async () =>
    (await health().catch(() => false))
      ? jsonResponse({ ok: true })
      : errorResponse(503, HttpErrorCode.UNAVAILABLE, 'the storage does not answer'),
  );

  app.add('GET', '/status', () =>
    jsonResponse({
      address: master.address,
      publicIdentity: options.publicIdentity ?? '',
      online: true,
      version: options.version ?? '',
      clock: now(),
    }),
  );
  app.add('GET', '/controller', async () =>
    jsonResponse({ controller: true, apiVersion: API_VERSION, clock: now(), databaseReady: await health().catch(() => false) }),
  );
  // The document is loaded when first asked for: a bundler puts it in a chunk of its own, so a page
  // that never serves /openapi.json never downloads it.
  app.add('GET', '/openapi.json', async () => jsonResponse((await import('./openapi.js')).openApiDocument(options.version ?? '')));
  // The page is loaded on the first scrape, as the document is (a browser page never scraped never downloads it).
  app.add('GET', '/metrics', async () => {
    const text = await (await import('./metrics-page.js')).metricsPage(master, metrics.counts, { now: now(), windowMs: onlineWindowMs });
    return new Response(text, { headers: { 'content-type': PROMETHEUS_CONTENT_TYPE } });
  });

  // Networks
  app.add('GET', '/controller/network', async () =>
    jsonResponse((await master.listNetworks()).map((network) => network.id).sort()),
  );
  app.add('POST', '/controller/network', async (c) => jsonResponse(networkJson(await createNetworkFromBody(as(c), await readJsonBody(c.request, maxBodyBytes)))));
  app.add('GET', '/controller/network/:nwid', async (c) => {
    const network = await master.getNetwork(networkIdParam(c));
    if (network === null) throw new NotFoundError(`no network ${networkIdParam(c)}`);
    return jsonResponse(networkJson(network));
  });
  const postNetwork = async (c: RouteContext) => {
    const raw = c.params.nwid!;
    const body = await readJsonBody(c.request, maxBodyBytes);
    if (/^[0-9a-fA-F]{10}______$/.test(raw)) {
      if (raw.slice(0, 10).toLowerCase() !== master.address) {
        throw new InvalidArgumentError(`${raw.slice(0, 10)} is not this master's address (${master.address})`);
      }
      return jsonResponse(networkJson(await createNetworkFromBody(as(c), body)));
    }
    const nwid = networkIdParam(c);
    if (!nwid.startsWith(master.address)) {
      throw new InvalidArgumentError(`network ${nwid} belongs to another master (this one is ${master.address})`);
    }
    return jsonResponse(networkJson(await upsertNetworkFromBody(as(c), nwid, body)));
  };
  app.add('POST', '/controller/network/:nwid', postNetwork);
  app.add('PUT', '/controller/network/:nwid', postNetwork);
  app.add('DELETE', '/controller/network/:nwid', async (c) => {
    const nwid = networkIdParam(c);
    const network = await master.getNetwork(nwid);
    if (network === null) throw new NotFoundError(`no network ${nwid}`);
    await as(c).deleteNetwork(nwid);
    return jsonResponse(networkJson(network));
  });

  // Members
  app.add('GET', '/controller/network/:nwid/member', async (c) => {
    const nwid = networkIdParam(c);
    const network = await master.getNetwork(nwid);
    if (network === null) throw new NotFoundError(`no network ${nwid}`);
    const members = await master.listMembers(nwid);
    const revision = Number(network.revision);
    return jsonResponse(Object.fromEntries(members.map((member) => [member.address, revision])));
  });
  /** The route's network and member, both present (NotFoundError naming the one that is not). */
  const existingMember = async (c: RouteContext) => {
    const nwid = networkIdParam(c);
    const address = addressParam(c);
    const network = await master.getNetwork(nwid);
    if (network === null) throw new NotFoundError(`no network ${nwid}`);
    const member = await master.getMember(nwid, address);
    if (member === null) throw new NotFoundError(`network ${nwid} has no member ${address}`);
    return { nwid, address, network, member };
  };
  app.add('GET', '/controller/network/:nwid/member/:address', async (c) => {
    const { network, member } = await existingMember(c);
    return jsonResponse(memberJson(member, { ...view(), networkRevision: network.revision }));
  });
  const postMember = async (c: RouteContext) => {
    const nwid = networkIdParam(c);
    const address = addressParam(c);
    const { member, network } = await upsertMemberFromBody(as(c), nwid, address, await readJsonBody(c.request, maxBodyBytes));
    return jsonResponse(memberJson(member, { ...view(), networkRevision: network.revision }));
  };
  app.add('POST', '/controller/network/:nwid/member/:address', postMember);
  app.add('PUT', '/controller/network/:nwid/member/:address', postMember);
  app.add('DELETE', '/controller/network/:nwid/member/:address', async (c) => {
    const { nwid, address, network, member } = await existingMember(c);
    await as(c).deleteMember(nwid, address);
    return jsonResponse(memberJson(member, { ...view(), networkRevision: network.revision }));
  });

  // ZeroTier's "unstable" listings, with paging and filters on members
  app.add('GET', '/unstable/controller/network', async () => {
    const networks = (await master.listNetworks()).sort((a, b) => (a.id < b.id ? -1 : 1));
    const data = [];
    for (const network of networks) {
      const counts = await master.pageMembers(network.id, { limit: 0 });
      data.push({ ...networkJson(network), meta: { totalMemberCount: counts.total, authorizedMemberCount: counts.authorized } });
    }
    return jsonResponse({ data, meta: { networkCount: networks.length } });
  });
  app.add('GET', '/unstable/controller/network/:nwid/member', async (c) => {
    const nwid = networkIdParam(c);
    const network = await master.getNetwork(nwid);
    if (network === null) throw new NotFoundError(`no network ${nwid}`);
    const page = await master.pageMembers(nwid, memberPageQuery(c.url.searchParams));
    const memberView = { ...view(), networkRevision: network.revision };
    return jsonResponse({
      data: page.members.map((member) => memberJson(member, memberView)),
      meta: { totalCount: page.total, authorizedCount: page.authorized },
    });
  });

  // Join tokens, member expiry, the audit trail
  registerAccessRoutes(app, { master: as, networkId: networkIdParam, maxBodyBytes });

  // Peers: what the master knows of each node that asked
  app.add('GET', '/peer', async () => jsonResponse([...(await knownNodes(master)).values()].map((node) => peerJson(node, view()))));
  app.add('GET', '/peer/:address', async (c) => {
    const address = addressParam(c);
    const node = (await knownNodes(master)).get(address);
    if (node === undefined) throw new NotFoundError(`no peer ${address}`);
    return jsonResponse(peerJson(node, view()));
  });

  /** Every route but /health needs a token; a read token may only look. */
  const answer = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const found = app.match(request.method, url.pathname);
    if (found?.route.path === '/health') return found.route.handler({ request, url, params: found.params, actor: '' });
    const holder = findToken(presentedToken(request, url));
    if (holder === null) return unauthorizedResponse();
    if (holder.scope !== 'admin' && request.method !== 'GET' && request.method !== 'HEAD') {
      return errorResponse(403, HttpErrorCode.FORBIDDEN, `token "${holder.name}" has the read scope and cannot change anything`);
    }
    if (found === null) return errorResponse(404, 'ERR_NOT_FOUND', 'no such route');
    return found.route.handler({ request, url, params: found.params, actor: holder.name });
  };

  return {
    async handle(request) {
      let response = await answer(request).catch(responseForError);
      if (request.method === 'HEAD') response = new Response(null, response);
      metrics.countHttp(request.method, response.status);
      return response;
    },
    metrics,
    routes: app.routes.map((route) => ({ method: route.method, path: route.path })),
    close: unsubscribe,
  };
}

function networkIdParam(c: RouteContext): string {
  const raw = c.params.nwid ?? '';
  if (!/^[0-9a-fA-F]{16}$/.test(raw)) throw new InvalidArgumentError(`a network ID is 16 hex digits, got ${JSON.stringify(raw.slice(0, 40))}`);
  return raw.toLowerCase();
}

function addressParam(c: RouteContext): string {
  const raw = c.params.address ?? '';
  if (!/^[0-9a-fA-F]{10}$/.test(raw)) throw new InvalidArgumentError(`an address is 10 hex digits, got ${JSON.stringify(raw.slice(0, 40))}`);
  const value = parseAddress(raw);
  if (isReservedAddress(value)) throw new InvalidArgumentError(`address ${raw.toLowerCase()} is reserved`);
  return addressToHex(value);
}

/**
 * The member list's filters (`authorized`, `q` on address or name) and page (`offset`, `limit`).
 * Without `limit` every matching member is answered, as ZeroTier's listing does.
 */
function memberPageQuery(query: URLSearchParams): MemberPageInput {
  const count = (name: string): number | undefined => {
    const text = query.get(name);
    if (text === null || text === '') return undefined;
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return Math.min(Number(text), Number.MAX_SAFE_INTEGER);
  };
  const page: MemberPageInput = { offset: count('offset') ?? 0, limit: count('limit') ?? Number.MAX_SAFE_INTEGER };
  const authorized = query.get('authorized');
  if (authorized !== null && authorized !== '') page.authorized = /^[tT1]/.test(authorized);
  const q = query.get('q');
  if (q !== null && q !== '') page.search = q;
  return page;
}

/** Each node that ever asked, by address, with its latest sighting across networks. */
async function knownNodes(master: NetconfMaster): Promise<Map<string, MemberInfo>> {
  const nodes = new Map<string, MemberInfo>();
  for (const network of await master.listNetworks()) {
    for (const member of await master.listMembers(network.id)) {
      if (member.identity === null) continue;
      const known = nodes.get(member.address);
      if (known === undefined || (member.lastSeen ?? 0) > (known.lastSeen ?? 0)) nodes.set(member.address, member);
    }
  }
  return new Map([...nodes].sort(([a], [b]) => (a < b ? -1 : 1)));
}
