/**
 * ZeroTier's POST semantics over the master's administrative calls: load the record (or
 * defaults), change only the keys present, answer the full record. Every field is checked before
 * the first call, so a body with one bad field changes nothing.
 */
import { ConflictError, LimitExceededError, NotFoundError } from '../errors.js';
import type { MemberInfo, NetworkInfo } from '../master/admin.js';
import { MAX_ZT_ASSIGNED_ADDRESSES } from '../protocol/assigned-addresses.js';
import { parseCidr } from '../protocol/ip.js';
import type { NetconfMaster } from '../master/master.js';
import { MAX_MEMBER_NAME_BYTES, MAX_MEMBER_NOTES_BYTES } from '../master/settings.js';
import { FieldError, readBody } from './lenient.js';
import { memberBodySchema, memberChangesFromBody, networkBodySchema, networkSettingsFromBody } from './zerotier-model.js';

/** Creates a network from a POST body; answers it. */
export async function createNetworkFromBody(master: NetconfMaster, body: unknown): Promise<NetworkInfo> {
  const settings = networkSettingsFromBody(readBody(networkBodySchema, body), null);
  const nwid = await master.createNetwork(settings);
  return (await master.getNetwork(nwid))!;
}

/**
 * Changes the keys a POST body holds on a network (one transaction); a network ID on this
 * master's prefix that does not exist yet is created with that ID. Answers the network.
 */
export async function upsertNetworkFromBody(master: NetconfMaster, nwid: string, body: unknown): Promise<NetworkInfo> {
  const parsed = readBody(networkBodySchema, body);
  const current = await master.getNetwork(nwid);
  if (current === null) {
    try {
      await master.createNetwork({ id: nwid, ...networkSettingsFromBody(parsed, null) });
    } catch (error) {
      // Created by a concurrent POST meanwhile: this one changes it, as an upsert does.
      if (!(error instanceof ConflictError)) throw error;
      return upsertNetworkFromBody(master, nwid, body);
    }
  } else {
    await master.updateNetwork(nwid, networkSettingsFromBody(parsed, current));
  }
  const after = await master.getNetwork(nwid);
  if (after === null) throw new NotFoundError(`no network ${nwid}`);
  return after;
}

/**
 * Creates or changes a member from a POST body. A member that does not exist yet (a node that
 * never asked) is created: authorized when the body says so (or the network is public), else
 * recorded as not authorized.
 */
export async function upsertMemberFromBody(
  master: NetconfMaster,
  nwid: string,
  address: string,
  body: unknown,
): Promise<{ member: MemberInfo; network: NetworkInfo }> {
  const parsed = readBody(memberBodySchema, body);
  const network = await master.getNetwork(nwid);
  if (network === null) throw new NotFoundError(`no network ${nwid}`);
  const existing = await master.getMember(nwid, address);
  const changes = memberChangesFromBody(parsed, existing, network);
  checkText('name', changes.name, MAX_MEMBER_NAME_BYTES);
  checkText('notes', changes.notes, MAX_MEMBER_NOTES_BYTES);
  if (changes.ipAssignments !== undefined) checkAssignments(changes.ipAssignments);

  // One master call, one transaction. A member that does not exist yet (a node that never asked)
  // is created: authorized when the body says so (or the network is public), else not.
  const createAs = changes.authorized ?? !network.private;
  try {
    await master.updateMember(nwid, address, existing === null ? { ...changes, authorized: createAs } : changes);
  } catch (error) {
    // Deleted by a concurrent DELETE between our read and our write (zero-ui sends DELETE and
    // POST together): the POST is an upsert, so it starts again from an absent member, once.
    if (!(error instanceof NotFoundError) || existing === null || (await master.getNetwork(nwid)) === null) throw error;
    await master.updateMember(nwid, address, { ...changes, authorized: createAs });
  }
  const after = await master.getMember(nwid, address);
  if (after === null) throw new NotFoundError(`network ${nwid} has no member ${address}`);
  return { member: after, network: (await master.getNetwork(nwid)) ?? network };
}


function checkText(field: string, value: string | undefined, maxBytes: number): void {
  if (value === undefined) return;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > maxBytes) throw new FieldError(field, `${bytes} bytes long; at most ${maxBytes} allowed`);
}

/** Every address well formed and given once (checked before the write). */
function checkAssignments(cidrs: readonly string[]): void {
  if (cidrs.length > MAX_ZT_ASSIGNED_ADDRESSES) {
    // The library's limit error (ERR_LIMIT), as the master itself would refuse it.
    throw new LimitExceededError(
      `ipAssignments: at most ${MAX_ZT_ASSIGNED_ADDRESSES} addresses per member (a 2015 node refuses more), got ${cidrs.length}`,
    );
  }
  const seen = new Set<string>();
  cidrs.forEach((text, index) => {
    let cidr;
    try {
      cidr = parseCidr(text);
    } catch (error) {
      throw new FieldError(`ipAssignments.${index}`, (error as Error).message);
    }
    if (cidr.bits === 0) throw new FieldError(`ipAssignments.${index}`, `a /0 prefix reads as "none" to a 2015 node: ${text}`);
    const key = `${cidr.family}/${cidr.address}`;
    if (seen.has(key)) throw new FieldError(`ipAssignments.${index}`, `address ${text} given twice`);
    seen.add(key);
  });
  // Held by another member: the master refuses it inside the write's transaction (ConflictError, 409).
}
