/**
 * ZeroTier's POST semantics over the master's administrative calls: load the record (or
 * defaults), change only the keys present, answer the full record. Every field is checked before
 * the first call, so a body with one bad field changes nothing.
 */
import { ConflictError, NotFoundError } from '../errors.js';
import type { MemberInfo, NetworkInfo } from '../master/admin.js';
import { parseCidr } from '../protocol/ip.js';
import type { NetconfMaster } from '../master/master.js';
import { MAX_MEMBER_NAME_BYTES, MAX_MEMBER_NOTES_BYTES } from '../master/settings.js';
import { FieldError, memberBodySchema, type MemberChanges, memberChangesFromBody, networkBodySchema, networkSettingsFromBody, readBody } from './zerotier-model.js';

/** Creates a network from a POST body; answers it. */
export async function createNetworkFromBody(master: NetconfMaster, body: unknown): Promise<NetworkInfo> {
  const settings = networkSettingsFromBody(readBody(networkBodySchema, body), null);
  const nwid = await master.createNetwork(settings);
  return (await master.getNetwork(nwid))!;
}

/** Changes the keys a POST body holds on an existing network (one transaction); answers it. */
export async function updateNetworkFromBody(master: NetconfMaster, nwid: string, body: unknown): Promise<NetworkInfo> {
  const parsed = readBody(networkBodySchema, body);
  const current = await master.getNetwork(nwid);
  if (current === null) throw new NotFoundError(`no network ${nwid}`);
  await master.updateNetwork(nwid, networkSettingsFromBody(parsed, current));
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
  if (changes.ipAssignments !== undefined) await checkAssignments(master, nwid, address, changes.ipAssignments);

  try {
    await applyMemberChanges(master, nwid, address, network, existing, changes);
  } catch (error) {
    // Deleted by a concurrent DELETE between our read and our write (zero-ui sends DELETE and
    // POST together): the POST is an upsert, so it starts again from an absent member, once.
    if (!(error instanceof NotFoundError) || existing === null || (await master.getNetwork(nwid)) === null) throw error;
    if ((await master.getMember(nwid, address)) !== null) throw error;
    await applyMemberChanges(master, nwid, address, network, null, changes);
  }
  const after = await master.getMember(nwid, address);
  if (after === null) throw new NotFoundError(`network ${nwid} has no member ${address}`);
  return { member: after, network: (await master.getNetwork(nwid)) ?? network };
}

async function applyMemberChanges(
  master: NetconfMaster,
  nwid: string,
  address: string,
  network: NetworkInfo,
  existing: MemberInfo | null,
  changes: MemberChanges,
): Promise<void> {
  let member = existing;
  if (member === null) {
    const authorize = changes.authorized ?? !network.private;
    await (authorize ? master.authorizeMember(nwid, address) : master.deauthorizeMember(nwid, address));
    member = await master.getMember(nwid, address);
    if (member === null) throw new NotFoundError(`network ${nwid} has no member ${address}`);
  }
  if (changes.ipAssignments !== undefined) await master.setIpAssignments(nwid, address, changes.ipAssignments);
  if (changes.activeBridge !== undefined && changes.activeBridge !== member.activeBridge) {
    await master.setActiveBridge(nwid, address, changes.activeBridge);
  }
  const text = {
    ...(changes.name !== undefined && changes.name !== member.name ? { name: changes.name } : {}),
    ...(changes.notes !== undefined && changes.notes !== member.notes ? { notes: changes.notes } : {}),
  };
  if (Object.keys(text).length > 0) await master.updateMember(nwid, address, text);
  if (changes.authorized !== undefined && changes.authorized !== member.authorized) {
    await (changes.authorized ? master.authorizeMember(nwid, address) : master.deauthorizeMember(nwid, address));
  }
}

/** A 2015 node refuses a netconf with more ZeroTier-assigned addresses than this. */
const MAX_ASSIGNED_ADDRESSES = 16;

function checkText(field: string, value: string | undefined, maxBytes: number): void {
  if (value === undefined) return;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > maxBytes) throw new FieldError(field, `${bytes} bytes long; at most ${maxBytes} allowed`);
}

/** Every address well formed, given once, and held by no other member (checked before any write). */
async function checkAssignments(master: NetconfMaster, nwid: string, address: string, cidrs: readonly string[]): Promise<void> {
  if (cidrs.length > MAX_ASSIGNED_ADDRESSES) {
    throw new FieldError('ipAssignments', `at most ${MAX_ASSIGNED_ADDRESSES} addresses per member (a 2015 node refuses more), got ${cidrs.length}`);
  }
  const seen = new Set<string>();
  const wanted = cidrs.map((text, index) => {
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
    return key;
  });
  if (wanted.length === 0) return;
  for (const other of await master.listMembers(nwid)) {
    if (other.address === address) continue;
    for (const text of other.ipAssignments) {
      const cidr = parseCidr(text);
      if (seen.has(`${cidr.family}/${cidr.address}`)) {
        throw new ConflictError(`ipAssignments: ${text.split('/')[0]} is already assigned to ${other.address} in network ${nwid}`);
      }
    }
  }
}
