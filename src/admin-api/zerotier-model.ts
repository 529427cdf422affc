/**
 * The one place where ZeroTier's controller JSON (version 1.14, apiVersion 4) meets this
 * master's model: the body schemas of POST, the JSON answered for networks, members and peers,
 * and the translation of a POST body into the master's administrative calls.
 *
 * Fields outside this protocol (`capabilities`, `tags`, `6plane`, rules other than an Ethernet-type
 * whitelist) are answered with ZeroTier's defaults, and a POST asking for anything else is refused
 * with an error naming the field, so nothing is silently dropped.
 */
import { networkOf } from '../protocol/ip.js';
import type { MemberInfo, NetworkInfo } from '../master/admin.js';
import type { NetworkSettingsInput } from '../master/settings.js';
import type { MulticastRate } from '../protocol/network-config.js';
import { parseCidr, parseIpv4, parseIpv6, type Cidr, type IpFamily } from '../protocol/ip.js';
import type { V4AssignMode, V6AssignMode } from '../master/store.js';
import { formatCidrText, formatIpText } from './ip-text.js';
import {
  cappedArray, FieldError, lenientBoolean, lenientInteger, maybe, object, string, union, unknown, type ReaderOutput,
} from './lenient.js';
import { MAX_DNS_SERVERS, MAX_MTU, MIN_MTU } from '../master/settings.js';

// ---------------------------------------------------------------------------------------------
// Body readers (unknown keys are dropped at every depth: `object` keeps only the keys it knows)

const multicastRateSchema = object({
  mac: string,
  adi: maybe(lenientInteger),
  preload: lenientInteger,
  maxBalance: lenientInteger,
  accrual: lenientInteger,
});

const ruleSchema = object({
  type: string,
  not: maybe(lenientBoolean),
  or: maybe(lenientBoolean),
  etherType: maybe(lenientInteger),
});

export const networkBodySchema = object({
  name: maybe(string),
  description: maybe(string),
  private: maybe(lenientBoolean),
  enableBroadcast: maybe(lenientBoolean),
  allowPassiveBridging: maybe(lenientBoolean),
  multicastLimit: maybe(lenientInteger),
  comRevisionMaxDelta: maybe(lenientInteger),
  multicastRates: maybe(cappedArray(multicastRateSchema)),
  mtu: maybe(lenientInteger),
  v4AssignMode: maybe(union([string, object({ zt: maybe(lenientBoolean) })], 'must be { zt } or a mode name')),
  v6AssignMode: maybe(
    union(
      [string, object({ zt: maybe(lenientBoolean), rfc4193: maybe(lenientBoolean), '6plane': maybe(lenientBoolean) })],
      'must be { zt, rfc4193, 6plane } or a mode name',
    ),
  ),
  routes: maybe(cappedArray(object({ target: string, via: maybe(string) }))),
  ipAssignmentPools: maybe(
    cappedArray(union([string, object({ ipRangeStart: string, ipRangeEnd: string })], 'must be { ipRangeStart, ipRangeEnd }')),
  ),
  rules: maybe(cappedArray(ruleSchema)),
  capabilities: maybe(cappedArray(unknown)),
  tags: maybe(cappedArray(unknown)),
  dns: maybe(
    union([cappedArray(unknown), object({ domain: maybe(string), servers: maybe(cappedArray(string)) })], 'must be { domain, servers }'),
  ),
});
export type NetworkBody = ReaderOutput<typeof networkBodySchema>;

export const memberBodySchema = object({
  authorized: maybe(lenientBoolean),
  activeBridge: maybe(lenientBoolean),
  noAutoAssignIps: maybe(lenientBoolean),
  ipAssignments: maybe(cappedArray(string)),
  name: maybe(string),
  notes: maybe(string),
  capabilities: maybe(cappedArray(unknown)),
  tags: maybe(cappedArray(unknown)),
});
export type MemberBody = ReaderOutput<typeof memberBodySchema>;

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
    mtu: network.mtu,
    v4AssignMode: { zt: network.v4AssignMode === 'zt' },
    v6AssignMode: {
      zt: network.v6AssignMode === 'zt' || network.v6AssignMode === 'zt+rfc4193',
      rfc4193: network.v6AssignMode === 'rfc4193' || network.v6AssignMode === 'zt+rfc4193',
      '6plane': false,
    },
    routes: network.routes.map((route) => ({
      target: formatCidrText(parseCidr(route.target)),
      via: route.via === null ? null : textOfIp(route.via),
    })),
    ipAssignmentPools: network.ipAssignmentPools.map((pool) => ({
      ipRangeStart: textOfIp(pool.ipRangeStart),
      ipRangeEnd: textOfIp(pool.ipRangeEnd),
    })),
    rules: rulesFromEtherTypes(network.etherTypes),
    capabilities: [],
    tags: [],
    // ZeroTier answers [] for a network without DNS settings.
    dns: network.dns.domain === '' && network.dns.servers.length === 0
      ? []
      : { domain: network.dns.domain, servers: network.dns.servers.map(textOfIp) },
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
  if (body.mtu != null) {
    if (body.mtu < MIN_MTU || body.mtu > MAX_MTU) throw new FieldError('mtu', `must be in ${MIN_MTU}..${MAX_MTU}, got ${body.mtu}`);
    out.mtu = body.mtu;
  }
  if (body.v4AssignMode != null) out.v4AssignMode = v4Mode(body.v4AssignMode, current?.v4AssignMode ?? 'none');
  if (body.v6AssignMode != null) out.v6AssignMode = v6Mode(body.v6AssignMode, current?.v6AssignMode ?? 'none');
  if (body.ipAssignmentPools != null) out.ipPools = body.ipAssignmentPools.map((pool, i) => poolText(pool, i));
  if (body.routes != null) out.routes = body.routes.map((route, i) => checkedRoute(route, i));
  if (body.rules != null) out.etherTypes = etherTypesFromRules(body.rules);
  // A network the API creates accepts every Ethernet type unless told otherwise, as ZeroTier's
  // controller does (the contract's default rule list, `[{ type: "ACTION_ACCEPT" }]`).
  else if (current === null) out.etherTypes = [...ACCEPT_ALL_ETHER_TYPES];
  emptyOnly('capabilities', body.capabilities);
  emptyOnly('tags', body.tags);
  if (body.dns != null) out.dns = dnsFromBody(body.dns);
  return out;
}

/** `[]` (ZeroTier's "none") or `{ domain, servers }`, each checked here so that an error names the field. */
function dnsFromBody(dns: readonly unknown[] | { domain?: string | null; servers?: readonly string[] | null }): { domain: string; servers: string[] } {
  if (Array.isArray(dns)) {
    if (dns.length > 0) throw new FieldError('dns', 'must be { domain, servers } (or [] for none)');
    return { domain: '', servers: [] };
  }
  const { domain, servers } = dns as { domain?: string | null; servers?: readonly string[] | null };
  const list = servers ?? [];
  if (list.length > MAX_DNS_SERVERS) throw new FieldError('dns.servers', `at most ${MAX_DNS_SERVERS} servers, got ${list.length}`);
  return {
    domain: domain ?? '',
    servers: list.map((server, index) => {
      const ip = readIp(server, `dns.servers.${index}`);
      return formatIpText(ip.family, ip.address);
    }),
  };
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
    if (value === 'zt' || value === 'rfc4193' || value === 'zt+rfc4193' || value === 'none' || value === 'dhcp6') return value;
    throw new FieldError('v6AssignMode', `unknown mode ${JSON.stringify(value)} (zt, rfc4193, zt+rfc4193, none or dhcp6)`);
  }
  if (value['6plane']) throw new FieldError('v6AssignMode.6plane', '6plane is not part of the 2015 protocol');
  const zt = value.zt ?? (current === 'zt' || current === 'zt+rfc4193');
  const rfc4193 = value.rfc4193 ?? (current === 'rfc4193' || current === 'zt+rfc4193');
  if (zt && rfc4193) return 'zt+rfc4193';
  if (zt) return 'zt';
  if (rfc4193) return 'rfc4193';
  return current === 'dhcp6' ? 'dhcp6' : 'none';
}

/** A posted route, checked: a CIDR target and an address (or nothing) as `via`, of the same family. */
function checkedRoute(route: { target: string; via?: string | null }, index: number): { target: string; via: string | null } {
  const target = networkOf(cidrOf(route.target, `routes.${index}.target`));
  if (!route.target.includes('/')) throw new FieldError(`routes.${index}.target`, `must be a CIDR (address/bits), got ${route.target}`);
  if (route.via == null || route.via === '') return { target: formatCidrText(target), via: null };
  const via = readIp(route.via, `routes.${index}.via`);
  if (via.family !== target.family) throw new FieldError(`routes.${index}.via`, `${route.via} is not of ${route.target}'s family`);
  return { target: formatCidrText(target), via: formatIpText(via.family, via.address) };
}

/** An address in the library's text as ZeroTier writes it (IPv6 shortened). */
function textOfIp(text: string): string {
  const ip = readIp(text, 'address');
  return formatIpText(ip.family, ip.address);
}

function cidrOf(text: string, field: string): Cidr {
  try {
    return parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  } catch (error) {
    throw new FieldError(field, (error as Error).message);
  }
}

/**
 * A posted pool as the library's pool text: a CIDR as it is; a range that is exactly a CIDR's
 * assignable range as that CIDR (so its addresses keep the CIDR's prefix length when no route
 * says otherwise, as a 2015 pool's did); any other range as `start-end`.
 */
function poolText(pool: string | { ipRangeStart: string; ipRangeEnd: string }, index: number): string {
  const field = `ipAssignmentPools.${index}`;
  if (typeof pool === 'string') {
    if (!pool.includes('/')) throw new FieldError(field, `a pool given as text must be a CIDR (address/bits), got ${JSON.stringify(pool)}`);
    return pool;
  }
  const start = readIp(pool.ipRangeStart, `${field}.ipRangeStart`);
  const end = readIp(pool.ipRangeEnd, `${field}.ipRangeEnd`);
  if (start.family !== end.family) throw new FieldError(field, 'ipRangeStart and ipRangeEnd are of different families');
  if (start.address > end.address) throw new FieldError(field, `${pool.ipRangeStart}–${pool.ipRangeEnd} ends before it starts`);
  if (start.address === 0n) throw new FieldError(`${field}.ipRangeStart`, 'the unspecified address cannot be assigned');
  const width = start.family === 4 ? 32 : 128;
  const size = end.address - start.address + 3n; // with the network and broadcast addresses
  const bits = width - (size.toString(2).length - 1);
  const isPowerOfTwo = size >= 4n && (size & (size - 1n)) === 0n;
  const network = networkOf({ family: start.family, address: start.address - 1n, bits });
  if (!isPowerOfTwo || network.address !== start.address - 1n) {
    return `${formatIpText(start.family, start.address)}-${formatIpText(end.family, end.address)}`;
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

type Rule = ReaderOutput<typeof ruleSchema>;

/**
 * The rules that say what the netconf's `et` says: accept all (`[0]`), accept a list of Ethernet
 * types ("drop not ethertype A and not ethertype B ...; accept;"), or accept nothing.
 */
/** The stored form of "accept all": Ethernet type 0, which a 2015 node reads as every type allowed. */
const ACCEPT_ALL_ETHER_TYPES: readonly number[] = [0];

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
    if (rules[0]!.type === 'ACTION_ACCEPT' && plain(rules[0]!)) return [...ACCEPT_ALL_ETHER_TYPES];
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
    noAutoAssignIps: member.noAutoAssignIps,
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
    lastAuthorizedCredentialType: member.lastAuthorizedCredentialType,
    lastAuthorizedCredential: member.lastAuthorizedCredential,
    vMajor: member.vMajor,
    vMinor: member.vMinor,
    vRev: member.vRev,
    vProto: member.vProto,
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
  noAutoAssignIps?: boolean;
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
  if (body.noAutoAssignIps != null) out.noAutoAssignIps = body.noAutoAssignIps;
  emptyOnly('capabilities', body.capabilities);
  emptyOnly('tags', body.tags);
  if (body.ipAssignments != null) {
    const held = (member?.ipAssignments ?? []).map((text) => parseCidr(text));
    const pools = network.ipPools.filter((text) => text.includes('/')).map((text) => parseCidr(text));
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
    version: `${member.vMajor}.${member.vMinor}.${member.vRev}`,
    versionMajor: member.vMajor,
    versionMinor: member.vMinor,
    versionRev: member.vRev,
    role: 'LEAF',
    paths:
      member.lastAt === null
        ? []
        : [{ address: member.lastAt, active: online, expired: !online, preferred: true, lastReceive: member.lastSeen ?? 0 }],
  };
}
