/**
 * Member expiry: members whose node was not seen for a while are de-authorized (the revision jumps
 * as for any de-authorization) or deleted (their addresses released); a deleted member's node that
 * is then a member of no network is forgotten. A network may keep a policy that `expireMembers`
 * applies (on the master's clock, each network in its own transaction, so never in the middle of a
 * request); `pruneMembers` applies one once. Either makes ordinary changes: 'change' events,
 * refresh lists, audit entries.
 *
 * "Seen" is the node's last request to this master (Node.lastSeen), whichever network it asked for.
 * A member whose node never asked (pre-authorized, pre-banned) never expires.
 */
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { change, requireNetwork, requireNetworkId } from './admin.js';
import { memberAuditFields, recordAudit } from './audit.js';
import type { MasterContext } from './context.js';
import {
  call, MEMBER_EXPIRY_ACTIONS, type MemberExpiryAction, type MemberRow, type NetconfStoreReader, type StorageWork,
} from './store.js';

export type { MemberExpiryAction } from './store.js';

/** A network's expiry policy. */
export interface MemberExpiryPolicy {
  /** Members whose node was not seen for this many ms expire. */
  notSeenFor: number;
  /** 'deauthorize' (default) or 'delete'. */
  action?: MemberExpiryAction;
}

export interface PruneMembersOptions extends MemberExpiryPolicy {
  /** List what would go, change nothing. */
  dryRun?: boolean;
}

export interface PruneResult {
  nwid: string;
  action: MemberExpiryAction;
  /** The members de-authorized or deleted (or, in a dry run, that would be), ascending. */
  addresses: string[];
  /** Nodes forgotten because they are a member of no network any more (none in a dry run). */
  forgottenNodes: string[];
  dryRun: boolean;
}

/** The actor the audit trail names for a policy applied by `expireMembers`. */
export const EXPIRY_ACTOR = 'expiry';

export function checkPolicy(policy: MemberExpiryPolicy): { notSeenFor: number; action: MemberExpiryAction } {
  if (policy === null || typeof policy !== 'object') throw new InvalidArgumentError('a member expiry policy must be an object');
  const { notSeenFor } = policy;
  if (!Number.isSafeInteger(notSeenFor) || notSeenFor <= 0) throw new InvalidArgumentError('notSeenFor must be a positive number of ms');
  const action = policy.action ?? 'deauthorize';
  if (!MEMBER_EXPIRY_ACTIONS.includes(action)) {
    throw new InvalidArgumentError(`action must be one of ${MEMBER_EXPIRY_ACTIONS.join(', ')}`);
  }
  return { notSeenFor, action };
}

/** Sets (or, with null, removes) the network's member expiry policy. */
export async function setMemberExpiry(context: MasterContext, nwid: string | bigint, policy: MemberExpiryPolicy | null): Promise<void> {
  const id = requireNetworkId(nwid);
  const checked = policy === null ? null : checkPolicy(policy);
  await context.store.transaction(function* (tx) {
    yield* requireNetwork(tx, id);
    const before = yield* call(tx.getMemberExpiry(id));
    yield* call(tx.setMemberExpiry(id, checked));
    yield* recordAudit(context, tx, context.actor, {
      action: 'memberExpirySet',
      nwid: id,
      before: { policy: before === undefined ? null : { notSeenFor: before.notSeenFor, action: before.action } },
      after: { policy: checked },
    });
  });
}

export async function getMemberExpiry(context: MasterContext, nwid: string | bigint): Promise<Required<MemberExpiryPolicy> | null> {
  const id = requireNetworkId(nwid);
  return context.store.read(function* (reader) {
    yield* requireNetwork(reader, id);
    const row = yield* call(reader.getMemberExpiry(id));
    return row === undefined ? null : { notSeenFor: row.notSeenFor, action: row.action };
  });
}

/** Applies `options` to one network now (on the master's clock), or with `dryRun` lists what would go. */
export async function pruneMembers(context: MasterContext, nwid: string | bigint, options: PruneMembersOptions): Promise<PruneResult> {
  const id = requireNetworkId(nwid);
  const policy = checkPolicy(options);
  const dryRun = options.dryRun ?? false;
  if (typeof dryRun !== 'boolean') throw new InvalidArgumentError('dryRun must be true or false');
  // Not seen for `notSeenFor` ms: last seen at or before now - notSeenFor.
  const before = context.now() - policy.notSeenFor + 1;
  if (dryRun) {
    const addresses = await context.store.read(function* (reader) {
      yield* requireNetwork(reader, id);
      return yield* expiring(reader, id, before, policy.action);
    });
    return { nwid: id, action: policy.action, addresses, forgottenNodes: [], dryRun };
  }
  const addresses: string[] = [];
  const forgottenNodes: string[] = [];
  const now = context.now();
  await change(context, id, { type: policy.action === 'delete' ? 'membersDeleted' : 'membersDeauthorized' }, function* (tx) {
    addresses.length = 0; // the work may run again (a reload, a lost race)
    forgottenNodes.length = 0;
    addresses.push(...(yield* expiring(tx, id, before, policy.action)));
    for (const address of addresses) {
      const row = (yield* call(tx.getMember(id, address)))!;
      if (policy.action === 'delete') {
        yield* call(tx.deleteMember(id, address));
      } else {
        yield* call(tx.updateMember({ ...row, authorized: false, deauthorizedAt: now }));
      }
      yield* recordAudit(context, tx, context.actor, {
        action: policy.action === 'delete' ? 'memberDeleted' : 'memberDeauthorized',
        nwid: id,
        address,
        before: memberAuditFields(row),
        after: policy.action === 'delete' ? undefined : memberAuditFields({ ...row, authorized: false }),
      });
    }
    if (policy.action === 'delete') forgottenNodes.push(...(yield* call(tx.forgetNodesWithoutMembers(addresses))));
    return addresses.length > 0;
  }, () => ({ addresses: [...addresses] }), 'byApply');
  return { nwid: id, action: policy.action, addresses, forgottenNodes, dryRun };
}

/** Applies every network's expiry policy, one network per transaction; the audit trail names `expiry`. */
export async function expireMembers(context: MasterContext): Promise<PruneResult[]> {
  const policies = await context.store.read(function* (reader) {
    return yield* call(reader.listMemberExpiries());
  });
  const expiry: MasterContext = { ...context, actor: EXPIRY_ACTOR };
  const results: PruneResult[] = [];
  for (const policy of policies) {
    try {
      results.push(await pruneMembers(expiry, policy.networkId, { notSeenFor: policy.notSeenFor, action: policy.action }));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error; // the network was deleted meanwhile
    }
  }
  return results;
}

/** The members that go: not seen since `before`; for a de-authorization, only those authorized. */
function* expiring(tx: NetconfStoreReader, nwid: string, before: number, action: MemberExpiryAction): StorageWork<string[]> {
  const stale = yield* call(tx.membersNotSeenSince(nwid, before));
  if (action === 'delete') return stale;
  const authorized: string[] = [];
  for (const address of stale) {
    const row: MemberRow | undefined = yield* call(tx.getMember(nwid, address));
    if (row?.authorized) authorized.push(address);
  }
  return authorized;
}
