/**
 * The one place where ZeroTier's controller JSON (version 1.14, apiVersion 4) meets this
 * master's model: the body schemas of POST, the JSON answered for networks, members and peers,
 * and the translation of a POST body into the master's administrative calls.
 *
 * Fields the model does not have yet are answered with ZeroTier's defaults, and a POST asking for
 * anything but that default is refused with an error naming the field, so nothing is silently
 * dropped. Those fields are marked NOT IN THE MODEL YET below: growing the model is a change here.
 */
import * as v from 'valibot';
import { InvalidArgumentError } from '../errors.js';
import { assignableRange, networkOf } from '../protocol/ip.js';
import type { MemberInfo, NetworkInfo } from '../master/admin.js';
import type { NetworkSettingsInput } from '../master/settings.js';
import type { MulticastRate } from '../protocol/network-config.js';
import { parseCidr, parseIpv4, parseIpv6, type Cidr, type IpFamily } from '../protocol/ip.js';
import type { V4AssignMode, V6AssignMode } from '../master/store.js';
import { formatCidrText, formatIpText } from './ip-text.js';
import { cappedArray, lenientBoolean, lenientInteger, maybe } from './lenient.js';

/** A POST field this master cannot take: answered 400, the field named, nothing changed. */
export class FieldError extends InvalidArgumentError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

// ---------------------------------------------------------------------------------------------
// Defaults of the fields the model does not have yet (ZeroTier's values)

/** NOT IN THE MODEL YET: every network has ZeroTier's default MTU. */
export const DEFAULT_MTU = 2800;

/** NOT IN THE MODEL YET: the member's software version (read from request metadata later). */
const UNKNOWN_VERSION = -1;

// ---------------------------------------------------------------------------------------------
// Body schemas (unknown keys are dropped at every depth: valibot's `object` strips them)

const multicastRateSchema = v.object({
  mac: v.string(),
  adi: maybe(lenientInteger),
  preload: lenientInteger,
  maxBalance: lenientInteger,
  accrual: lenientInteger,
});

const ruleSchema = v.object({
  type: v.string(),
  not: maybe(lenientBoolean),
  or: maybe(lenientBoolean),
  etherType: maybe(lenientInteger),
});

export const networkBodySchema = v.object({
  name: maybe(v.string()),
  description: maybe(v.string()),
  private: maybe(lenientBoolean),
  enableBroadcast: maybe(lenientBoolean),
  allowPassiveBridging: maybe(lenientBoolean),
  multicastLimit: maybe(lenientInteger),
  comRevisionMaxDelta: maybe(lenientInteger),
  multicastRates: maybe(cappedArray(multicastRateSchema)),
  mtu: maybe(lenientInteger),
  v4AssignMode: maybe(v.union([v.string(), v.object({ zt: maybe(lenientBoolean) })], 'must be { zt } or a mode name')),
  v6AssignMode: maybe(
    v.union(
      [v.string(), v.object({ zt: maybe(lenientBoolean), rfc4193: maybe(lenientBoolean), '6plane': maybe(lenientBoolean) })],
      'must be { zt, rfc4193, 6plane } or a mode name',
    ),
  ),
  routes: maybe(cappedArray(v.object({ target: v.string(), via: maybe(v.string()) }))),
  ipAssignmentPools: maybe(
    cappedArray(v.union([v.string(), v.object({ ipRangeStart: v.string(), ipRangeEnd: v.string() })], 'must be { ipRangeStart, ipRangeEnd }')),
  ),
  rules: maybe(cappedArray(ruleSchema)),
  capabilities: maybe(cappedArray(v.unknown())),
  tags: maybe(cappedArray(v.unknown())),
  dns: maybe(
    v.union([cappedArray(v.unknown()), v.object({ domain: maybe(v.string()), servers: maybe(cappedArray(v.string())) })], 'must be { domain, servers }'),
  ),
});
export type NetworkBody = v.InferOutput<typeof networkBodySchema>;

export const memberBodySchema = v.object({
  authorized: maybe(lenientBoolean),
  activeBridge: maybe(lenientBoolean),
  noAutoAssignIps: maybe(lenientBoolean),
  ipAssignments: maybe(cappedArray(v.string())),
  name: maybe(v.string()),
  notes: maybe(v.string()),
  capabilities: maybe(cappedArray(v.unknown())),
  tags: maybe(cappedArray(v.unknown())),
});
export type MemberBody = v.InferOutput<typeof memberBodySchema>;

/** Reads a body with a schema; the first problem becomes a FieldError naming its path. */
export function readBody<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError('the body must be a JSON object');
  }
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw new FieldError(v.getDotPath(issue) ?? 'body', issue.message);
}

// ---------------------------------------------------------------------------------------------
// Networks

export interface NetworkJson {
  [key: string]: unknown;
}

export function networkJson(network: NetworkInfo): NetworkJson {
  return {
    id: network.id,
    nwid: network.id,
    objtype: 'network',
    name: network.name,
    description: network.description,
    private: network.private,
    enableBroadcast: network.enableBroadcast,
    allowPassiveBridging: network.allowPassiveBridging,
    multicastLimit: network.multicastLimit,
    multicastRates: network.multicastRates.map((rate) => ({ ...rate })),
    comRevisionMaxDelta: Number(network.comRevisionMaxDelta),
    mtu: DEFAULT_MTU,
    v4AssignMode: { zt: network.v4AssignMode === 'zt' },
    v6AssignMode: { zt: network.v6AssignMode === 'zt', rfc4193: network.v6AssignMode === 'rfc4193', '6plane': false },
    routes: poolRoutes(network.ipPools),
    ipAssignmentPools: network.ipPools.map((text) => poolRange(parseCidr(text))),
    rules: rulesFromEtherTypes(network.etherTypes),
    capabilities: [],
    tags: [],
    dns: [], // NOT IN THE MODEL YET
    creationTime: network.creationTime,
    revision: Number(network.revision),
  };
}

/**
 * The settings a POST body asks for, over the network as it is (`current`, or null for a new
 * network): only the keys present, each checked. Throws FieldError before anything is written.
 */
export function networkSettingsFromBody(body: NetworkBody, current: NetworkInfo | null): NetworkSettingsInput {
  const out: NetworkSettingsInput = {};
  if (body.name != null) out.name = body.name;
  if (body.description != null) out.description = body.description;
  if (body.private != null) out.private = body.private;
  if (body.enableBroadcast != null) out.enableBroadcast = body.enableBroadcast;
  if (body.allowPassiveBridging != null) out.allowPassiveBridging = body.allowPassiveBridging;
  if (body.multicastLimit != null) out.multicastLimit = body.multicastLimit;
  if (body.comRevisionMaxDelta != null) out.comRevisionMaxDelta = body.comRevisionMaxDelta;
  if (body.multicastRates != null) {
    out.multicastRates = body.multicastRates.map((rate): MulticastRate => ({ ...rate, adi: rate.adi ?? 0 }));
  }
  if (body.mtu != null && body.mtu !== DEFAULT_MTU) {
    throw new FieldError('mtu', `this master delivers MTU ${DEFAULT_MTU} only for now, got ${body.mtu}`);
  }
  if (body.v4AssignMode != null) out.v4AssignMode = v4Mode(body.v4AssignMode, current?.v4AssignMode ?? 'none');
  if (body.v6AssignMode != null) out.v6AssignMode = v6Mode(body.v6AssignMode, current?.v6AssignMode ?? 'none');
  if (body.ipAssignmentPools != null) out.ipPools = body.ipAssignmentPools.map((pool, i) => poolCidr(pool, i));
  if (body.routes != null) checkRoutes(body.routes, out.ipPools ?? current?.ipPools ?? []);
  if (body.rules != null) out.etherTypes = etherTypesFromRules(body.rules);
  emptyOnly('capabilities', body.capabilities);
  emptyOnly('tags', body.tags);
  if (body.dns != null) {
    const dns = body.dns;
    const empty = Array.isArray(dns) ? dns.length === 0 : !dns.domain && (dns.servers ?? []).length === 0;
    if (!empty) throw new FieldError('dns', 'DNS settings are not supported by this master yet (only [] is accepted)');
  }
  return out;
}

function emptyOnly(field: string, value: readonly unknown[] | null | undefined): void {
  if (value != null && value.length > 0) {
    throw new FieldError(field, `${field} are not part of the 2015 protocol: only [] is accepted`);
  }
}

function v4Mode(value: string | { zt?: boolean | null }, current: V4AssignMode): V4AssignMode {
  if (typeof value === 'string') {
    if (value === 'zt' || value === 'none' || value === 'dhcp') return value;
    throw new FieldError('v4AssignMode', `unknown mode ${JSON.stringify(value)} (zt, none or dhcp)`);
  }
  if (value.zt == null) return current;
  if (value.zt) return 'zt';
  return current === 'zt' ? 'none' : current;
}

function v6Mode(
  value: string | { zt?: boolean | null; rfc4193?: boolean | null; '6plane'?: boolean | null },
  current: V6AssignMode,
): V6AssignMode {
  if (typeof value === 'string') {
    if (value === 'zt' || value === 'rfc4193' || value === 'none' || value === 'dhcp6') return value;
    throw new FieldError('v6AssignMode', `unknown mode ${JSON.stringify(value)} (zt, rfc4193, none or dhcp6)`);
  }
  if (value['6plane']) throw new FieldError('v6AssignMode.6plane', '6plane is not part of the 2015 protocol');
  const zt = value.zt ?? current === 'zt';
  const rfc4193 = value.rfc4193 ?? current === 'rfc4193';
  if (zt && rfc4193) {
    throw new FieldError('v6AssignMode', 'zt and rfc4193 together are not supported by this master yet (choose one)');
  }
  if (zt) return 'zt';
  if (rfc4193) return 'rfc4193';
  return current === 'dhcp6' ? 'dhcp6' : 'none';
}

/**
 * NOT IN THE MODEL YET: managed routes. What members already get is an on-link route for each
 * pool (an address assigned from a pool carries the pool's prefix), so those routes are answered,
 * and a POST may list exactly such routes (ztncui's and zero-ui's easy setup send them with the
 * pool); any other route is refused.
 */
function poolRoutes(pools: readonly string[]): { target: string; via: null }[] {
  return pools.map((text) => ({ target: formatCidrText(parseCidr(text)), via: null }));
}

function checkRoutes(routes: readonly { target: string; via?: string | null }[], pools: readonly string[]): void {
  const onLink = new Set(pools.map((text) => cidrKey(networkOf(cidrOf(text, 'ipAssignmentPools')))));
  routes.forEach((route, index) => {
    const target = networkOf(cidrOf(route.target, `routes.${index}.target`));
    if ((route.via != null && route.via !== '') || !onLink.has(cidrKey(target))) {
      throw new FieldError(
        `routes.${index}`,
        `only the on-link route of a pool (target = the pool's CIDR, via null) is supported by this master yet, got ${route.target}` +
          (route.via ? ` via ${route.via}` : ''),
      );
    }
  });
}

function cidrOf(text: string, field: string): Cidr {
  try {
    return parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  } catch (error) {
    throw new FieldError(field, (error as Error).message);
  }
}

function cidrKey(cidr: Cidr): string {
  return `${cidr.family}/${cidr.address}/${cidr.bits}`;
}

/** A pool as ZeroTier shows it: the assignable range of the CIDR (network and broadcast excluded). */
function poolRange(pool: Cidr): { ipRangeStart: string; ipRangeEnd: string } {
  const range = assignableRange(pool)!;
  return { ipRangeStart: formatIpText(pool.family, range.first), ipRangeEnd: formatIpText(pool.family, range.last) };
}

/** A posted pool as a CIDR string: a CIDR, or a range that is exactly a CIDR's assignable range. */
function poolCidr(pool: string | { ipRangeStart: string; ipRangeEnd: string }, index: number): string {
  const field = `ipAssignmentPools.${index}`;
  if (typeof pool === 'string') {
    if (!pool.includes('/')) throw new FieldError(field, `a pool given as text must be a CIDR (address/bits), got ${JSON.stringify(pool)}`);
    return pool;
  }
  const start = readIp(pool.ipRangeStart, `${field}.ipRangeStart`);
  const end = readIp(pool.ipRangeEnd, `${field}.ipRangeEnd`);
  if (start.family !== end.family) throw new FieldError(field, 'ipRangeStart and ipRangeEnd are of different families');
  const width = start.family === 4 ? 32 : 128;
  const size = end.address - start.address + 3n; // with the network and broadcast addresses
  const bits = width - (size.toString(2).length - 1);
  const isPowerOfTwo = size >= 4n && (size & (size - 1n)) === 0n;
  const network = networkOf({ family: start.family, address: start.address - 1n, bits });
  if (!isPowerOfTwo || network.address !== start.address - 1n) {
    // NOT IN THE MODEL YET: arbitrary ranges.
    throw new FieldError(
      field,
      `${pool.ipRangeStart}–${pool.ipRangeEnd} is not a CIDR block without its first and last address; ` +
        'this master stores pools as CIDR blocks for now',
    );
  }
  return `${formatIpText(start.family, network.address)}/${bits}`;
}

function readIp(text: string, field: string): { family: IpFamily; address: bigint } {
  try {
    return text.includes(':') ? { family: 6, address: parseIpv6(text) } : { family: 4, address: parseIpv4(text) };
  } catch (error) {
    throw new FieldError(field, (error as Error).message);
  }
}

type Rule = v.InferOutput<typeof ruleSchema>;

/**
 * The rules that say what the netconf's `et` says: accept all (`[0]`), accept a list of Ethernet
 * types ("drop not ethertype A and not ethertype B ...; accept;"), or accept nothing.
 */
export function rulesFromEtherTypes(etherTypes: readonly number[]): Record<string, unknown>[] {
  if (etherTypes.includes(0)) return [{ type: 'ACTION_ACCEPT' }];
  if (etherTypes.length === 0) return [{ type: 'ACTION_DROP' }];
  return [
    ...etherTypes.map((etherType) => ({ type: 'MATCH_ETHERTYPE', not: true, or: false, etherType })),
    { type: 'ACTION_DROP' },
    { type: 'ACTION_ACCEPT' },
  ];
}

function etherTypesFromRules(rules: readonly Rule[]): number[] {
  const refuse = (index: number, why: string): never => {
    throw new FieldError(
      `rules.${index}`,
      `${why}; this master enforces only "accept all" or "drop every Ethernet type but these; accept" rules`,
    );
  };
  const plain = (rule: Rule) => !rule.not && !rule.or;
  if (rules.length === 0) return [];
  const last = rules.length - 1;
  if (rules.length === 1) {
    if (rules[0]!.type === 'ACTION_ACCEPT' && plain(rules[0]!)) return [0];
    if (rules[0]!.type === 'ACTION_DROP' && plain(rules[0]!)) return [];
    return refuse(0, `a lone ${rules[0]!.type} rule`);
  }
  const types = new Set<number>();
  rules.forEach((rule, index) => {
    if (index === last) {
      if (rule.type !== 'ACTION_ACCEPT' || !plain(rule)) refuse(index, 'the last rule must be ACTION_ACCEPT');
    } else if (index === last - 1) {
      if (rule.type !== 'ACTION_DROP' || !plain(rule)) refuse(index, 'the rule before the last must be ACTION_DROP');
    } else {
      if (rule.type !== 'MATCH_ETHERTYPE' || !rule.not || rule.or) {
        refuse(index, `${rule.type}${rule.or ? ' with or' : ''}${rule.not ? '' : ' without not'} is not supported`);
      }
      const etherType = rule.etherType;
      if (etherType == null || etherType < 1 || etherType > 0xffff) refuse(index, 'etherType must be 1..65535');
      types.add(etherType!);
    }
  });
  if (types.size === 0) return refuse(0, 'ACTION_DROP then ACTION_ACCEPT without ethertypes');
  return [...types].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Members

export interface MemberView {
  /** The network's current revision (what the member would receive now). */
  networkRevision: bigint;
  now: number;
  /** A member seen within this many ms counts as online. */
  onlineWindowMs: number;
}

export function memberJson(member: MemberInfo, view: MemberView): Record<string, unknown> {
  return {
    id: member.address,
    address: member.address,
    nwid: member.networkId,
    objtype: 'member',
    authorized: member.authorized,
    activeBridge: member.activeBridge,
    noAutoAssignIps: false, // NOT IN THE MODEL YET
    ipAssignments: member.ipAssignments.map((text) => {
      const cidr = parseCidr(text);
      return formatIpText(cidr.family, cidr.address);
    }),
    name: member.name,
    notes: member.notes,
    capabilities: [],
    tags: [],
    identity: member.identity ?? '',
    creationTime: member.firstSeen ?? member.authorizedAt ?? member.deauthorizedAt ?? 0,
    // The model keeps one revision per network: a member holds what the network's revision says.
    revision: Number(view.networkRevision),
    lastAuthorizedTime: member.authorizedAt ?? 0,
    lastDeauthorizedTime: member.deauthorizedAt ?? 0,
    vMajor: UNKNOWN_VERSION,
    vMinor: UNKNOWN_VERSION,
    vRev: UNKNOWN_VERSION,
    vProto: UNKNOWN_VERSION,
    firstSeen: member.firstSeen ?? 0,
    lastSeen: member.lastSeen ?? 0,
    physicalAddress: member.lastAt,
    online: isOnline(member, view),
    clientReportedRevision: member.clientReportedRevision === null ? null : Number(member.clientReportedRevision),
  };
}

function isOnline(member: MemberInfo, view: Pick<MemberView, 'now' | 'onlineWindowMs'>): boolean {
  return member.lastSeen !== null && view.now - member.lastSeen <= view.onlineWindowMs;
}

/** What a member POST asks the master to change (keys present only). */
export interface MemberChanges {
  authorized?: boolean;
  activeBridge?: boolean;
  name?: string;
  notes?: string;
  /** CIDR strings for `setIpAssignments`. */
  ipAssignments?: string[];
}

/**
 * The changes a member POST body asks for. A plain IP keeps the prefix it already has, else takes
 * that of the network's pool holding it, else the full width.
 */
export function memberChangesFromBody(body: MemberBody, member: MemberInfo | null, network: NetworkInfo): MemberChanges {
  const out: MemberChanges = {};
  if (body.authorized != null) out.authorized = body.authorized;
  if (body.activeBridge != null) out.activeBridge = body.activeBridge;
  if (body.name != null) out.name = body.name;
  if (body.notes != null) out.notes = body.notes;
  if (body.noAutoAssignIps) {
    throw new FieldError('noAutoAssignIps', 'not supported by this master yet (only false is accepted)');
  }
  emptyOnly('capabilities', body.capabilities);
  emptyOnly('tags', body.tags);
  if (body.ipAssignments != null) {
    const held = (member?.ipAssignments ?? []).map((text) => parseCidr(text));
    const pools = network.ipPools.map((text) => parseCidr(text));
    out.ipAssignments = body.ipAssignments.map((text, index) => {
      if (text.includes('/')) return text;
      const ip = readIp(text, `ipAssignments.${index}`);
      const bits =
        held.find((cidr) => cidr.family === ip.family && cidr.address === ip.address)?.bits ??
        pools.find((pool) => pool.family === ip.family && networkOf({ ...ip, bits: pool.bits }).address === pool.address)?.bits ??
        (ip.family === 4 ? 32 : 128);
      return `${formatIpText(ip.family, ip.address)}/${bits}`;
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Peers

/** What the master knows of a node, in ZeroTier's peer shape. */
export function peerJson(member: MemberInfo, view: Omit<MemberView, 'networkRevision'>): Record<string, unknown> {
  const online = isOnline(member, view);
  return {
    address: member.address,
    latency: -1,
    version: `${UNKNOWN_VERSION}.${UNKNOWN_VERSION}.${UNKNOWN_VERSION}`,
    versionMajor: UNKNOWN_VERSION,
    versionMinor: UNKNOWN_VERSION,
    versionRev: UNKNOWN_VERSION,
    role: 'LEAF',
    paths:
      member.lastAt === null
        ? []
        : [{ address: member.lastAt, active: online, expired: !online, preferred: true, lastReceive: member.lastSeen ?? 0 }],
  };
}
