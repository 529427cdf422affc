/**
 * The admin service's routes for join tokens, member expiry and the audit trail (not part of
 * ZeroTier's API, hence under /unstable). The token's secret appears in exactly one answer: the one
 * to the POST that creates it.
 */
import { InvalidArgumentError } from '../errors.js';
import type { AuditQueryInput } from '../master/audit.js';
import type { NetconfMaster } from '../master/master.js';
import { readJsonBody } from './body.js';
import { jsonResponse } from './http-errors.js';
import { lenientBoolean, lenientInteger, maybe, object, picklist, readBody, string } from './lenient.js';
import type { RouteContext, RouteTable } from './router.js';

export interface AccessRouteDeps {
  /** The master, recording changes as made by the caller's token. */
  master: (c: RouteContext) => NetconfMaster;
  networkId: (c: RouteContext) => string;
  maxBodyBytes: number;
}

const tokenBodySchema = object({
  name: maybe(string),
  expiresAt: maybe(lenientInteger),
  maxUses: maybe(lenientInteger),
});

const expiryBodySchema = object({
  notSeenFor: lenientInteger,
  action: maybe(picklist(['deauthorize', 'delete'], 'must be deauthorize or delete')),
});

const pruneBodySchema = object({
  notSeenFor: lenientInteger,
  action: maybe(picklist(['deauthorize', 'delete'], 'must be deauthorize or delete')),
  dryRun: maybe(lenientBoolean),
});

const NETWORK = '/unstable/controller/network/:nwid';

export function registerAccessRoutes(app: RouteTable, deps: AccessRouteDeps): void {
  const body = async (c: RouteContext) => readJsonBody(c.request, deps.maxBodyBytes);

  app.add('GET', `${NETWORK}/token`, async (c) => jsonResponse({ data: await deps.master(c).listJoinTokens(deps.networkId(c)) }));
  app.add('POST', `${NETWORK}/token`, async (c) => {
    const options = readBody(tokenBodySchema, await body(c));
    const created = await deps.master(c).createJoinToken(deps.networkId(c), {
      name: options.name ?? '',
      expiresAt: options.expiresAt ?? null,
      maxUses: options.maxUses ?? null,
    });
    return jsonResponse(created);
  });
  app.add('DELETE', `${NETWORK}/token/:id`, async (c) => {
    const nwid = deps.networkId(c);
    const master = deps.master(c);
    const id = c.params.id ?? '';
    await master.revokeJoinToken(nwid, id);
    return jsonResponse((await master.listJoinTokens(nwid)).find((token) => token.id === id.toLowerCase()));
  });

  app.add('GET', `${NETWORK}/expiry`, async (c) => jsonResponse({ policy: await deps.master(c).getMemberExpiry(deps.networkId(c)) }));
  app.add('POST', `${NETWORK}/expiry`, async (c) => {
    const policy = readBody(expiryBodySchema, await body(c));
    const nwid = deps.networkId(c);
    const master = deps.master(c);
    await master.setMemberExpiry(nwid, { notSeenFor: policy.notSeenFor, action: policy.action ?? 'deauthorize' });
    return jsonResponse({ policy: await master.getMemberExpiry(nwid) });
  });
  app.add('DELETE', `${NETWORK}/expiry`, async (c) => {
    await deps.master(c).setMemberExpiry(deps.networkId(c), null);
    return jsonResponse({ policy: null });
  });
  app.add('POST', `${NETWORK}/prune`, async (c) => {
    const options = readBody(pruneBodySchema, await body(c));
    return jsonResponse(await deps.master(c).pruneMembers(deps.networkId(c), {
      notSeenFor: options.notSeenFor,
      action: options.action ?? 'deauthorize',
      dryRun: options.dryRun ?? false,
    }));
  });

  app.add('GET', `${NETWORK}/audit`, async (c) =>
    jsonResponse({ data: await deps.master(c).listAuditEntries({ ...auditQuery(c), nwid: deps.networkId(c) }) }),
  );
  app.add('GET', '/unstable/controller/audit', async (c) => jsonResponse({ data: await deps.master(c).listAuditEntries(auditQuery(c)) }));
}

/** `member`, `since`, `until`, `limit` from the query string. */
function auditQuery(c: RouteContext): AuditQueryInput {
  const params = c.url.searchParams;
  const query: AuditQueryInput = {};
  const member = params.get('member');
  if (member !== null && member !== '') {
    if (!/^[0-9a-fA-F]{10}$/.test(member)) throw new InvalidArgumentError('member must be 10 hex digits');
    query.address = member.toLowerCase();
  }
  for (const key of ['since', 'until', 'limit'] as const) {
    const text = params.get(key);
    if (text === null || text === '') continue;
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`${key} must be a non-negative integer`);
    query[key] = Number(text);
  }
  return query;
}
