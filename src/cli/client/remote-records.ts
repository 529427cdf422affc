/**
 * The admin API's JSON (ZeroTier's controller objects, admin-api contract) to and from the
 * library's records, so a remote command sees exactly what a local one does. Records are built
 * with their keys in the library's order: `--json` output is then the same text in both modes.
 */
import { InvalidArgumentError } from '../../errors.js';
import { assignableRange, familyBits, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '../../protocol/ip.js';
import { validateSettings } from '../../master/settings.js';
import { CREDENTIAL_TYPES, type V4AssignMode, type V6AssignMode } from '../../master/store.js';
import type { MulticastRate } from '../../protocol/network-config.js';
import { rulesFromEtherTypes } from '../../admin-api/zerotier-model.js';
import type { MemberRecord, NetworkRecord, NetworkSettingsPatch } from './admin-client.js';

export type Json = Record<string, unknown>;

const ACCEPT_ALL: readonly number[] = [0];

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function integer(value: unknown, fallback: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : fallback;
}

function bigintOf(value: unknown, fallback: bigint): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return BigInt(value);
  return fallback;
}

/** A time in ms, with ZeroTier's 0 for "never" read as null. */
function timeOrNull(value: unknown): number | null {
  const time = integer(value, 0);
  return time > 0 ? time : null;
}

function v4ModeOf(value: unknown): V4AssignMode {
  if (value === 'zt') return 'zt';
  return typeof value === 'object' && value !== null && (value as Json).zt === true ? 'zt' : 'none';
}

function v6ModeOf(value: unknown): V6AssignMode {
  if (typeof value !== 'object' || value === null) return 'none';
  const modes = value as Json;
  if (modes.rfc4193 === true) return modes.zt === true ? 'zt+rfc4193' : 'rfc4193';
  return modes.zt === true ? 'zt' : 'none';
}

/** The CIDR whose assignable range (network and broadcast excluded) is exactly start..end, if any. */
function cidrOfRange(startText: string, endText: string): string {
  const start = parseIp(startText);
  const end = parseIp(endText);
  if (start.family === end.family) {
    const width = familyBits(start.family);
    for (let bits = width - 2; bits >= 0; bits--) {
      const pool: Cidr = { family: start.family, address: start.address, bits };
      const range = assignableRange(pool);
      if (range && range.first === start.address && range.last === end.address) {
        return formatCidr({ family: start.family, address: start.address - 1n, bits });
      }
    }
  }
  return `${formatIp(start.family, start.address)}-${formatIp(end.family, end.address)}`; // the library's range text
}

function poolsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((pool: Json) => cidrOfRange(text(pool.ipRangeStart), text(pool.ipRangeEnd)));
}

/** ZeroTier rules → the netconf's Ethernet types: "accept all" is [0]; a whitelist lists its types. */
function etherTypesOf(value: unknown): number[] {
  if (!Array.isArray(value)) return [...ACCEPT_ALL];
  const rules = value as Json[];
  if (rules.length === 1 && rules[0]?.type === 'ACTION_ACCEPT') return [...ACCEPT_ALL];
  return rules
    .filter((rule) => rule.type === 'MATCH_ETHERTYPE')
    .map((rule) => integer(rule.etherType, 0))
    .sort((a, b) => a - b);
}

function multicastRatesOf(value: unknown): MulticastRate[] {
  return Array.isArray(value) ? (value as MulticastRate[]) : [];
}

export function networkFromJson(json: Json): NetworkRecord {
  return {
    id: text(json.id ?? json.nwid).toLowerCase(),
    name: text(json.name),
    description: text(json.description),
    private: flag(json.private, true),
    enableBroadcast: flag(json.enableBroadcast, true),
    allowPassiveBridging: flag(json.allowPassiveBridging, false),
    v4AssignMode: v4ModeOf(json.v4AssignMode),
    v6AssignMode: v6ModeOf(json.v6AssignMode),
    ipPools: poolsOf(json.ipAssignmentPools),
    routes: Array.isArray(json.routes)
      ? (json.routes as Json[]).map((route) => ({ target: text(route.target), via: route.via == null ? null : text(route.via) }))
      : [],
    dns: { domain: text((json.dns as Json | undefined)?.domain), servers: ((json.dns as Json | undefined)?.servers as string[] | undefined) ?? [] },
    mtu: integer(json.mtu, 2800),
    etherTypes: etherTypesOf(json.rules),
    multicastLimit: integer(json.multicastLimit, 32),
    multicastRates: multicastRatesOf(json.multicastRates),
    comRevisionMaxDelta: bigintOf(json.comRevisionMaxDelta, 16n),
    // In the library's text form (IPv6 written out in full), as a local record has them.
    ipAssignmentPools: Array.isArray(json.ipAssignmentPools)
      ? (json.ipAssignmentPools as Json[]).map((pool) => ({ ipRangeStart: ipText(text(pool.ipRangeStart)), ipRangeEnd: ipText(text(pool.ipRangeEnd)) }))
      : [],
    revision: bigintOf(json.revision, 0n),
    creationTime: integer(json.creationTime, 0),
  };
}

/**
 * An assigned address in the library's text form (IPv6 written out in full, as local mode prints
 * it). The API answers plain IPs, as ZeroTier does, so the prefix length a local record carries is
 * not there to print (docs/operations.md).
 */
function ipText(value: string): string {
  try {
    if (value.includes('/')) return formatCidr(parseCidr(value));
    const ip = parseIp(value);
    return formatIp(ip.family, ip.address);
  } catch {
    return value;
  }
}

export function memberFromJson(json: Json): MemberRecord {
  const revision = json.clientReportedRevision;
  return {
    networkId: text(json.nwid).toLowerCase(),
    address: text(json.address ?? json.id).toLowerCase(),
    authorized: flag(json.authorized, false),
    activeBridge: flag(json.activeBridge, false),
    name: text(json.name),
    notes: text(json.notes),
    authorizedAt: timeOrNull(json.lastAuthorizedTime),
    deauthorizedAt: timeOrNull(json.lastDeauthorizedTime),
    noAutoAssignIps: flag(json.noAutoAssignIps, false),
    ipAssignments: Array.isArray(json.ipAssignments) ? json.ipAssignments.map((ip) => ipText(text(ip))) : [],
    clientReportedRevision: revision === null || revision === undefined ? null : bigintOf(revision, 0n),
    lastAuthorizedCredentialType: CREDENTIAL_TYPES.find((type) => type === json.lastAuthorizedCredentialType) ?? null,
    lastAuthorizedCredential: text(json.lastAuthorizedCredential) || null,
    identity: text(json.identity) || null,
    firstSeen: timeOrNull(json.firstSeen),
    lastSeen: timeOrNull(json.lastSeen),
    lastAt: text(json.physicalAddress) || null,
    vMajor: integer(json.vMajor, -1),
    vMinor: integer(json.vMinor, -1),
    vRev: integer(json.vRev, -1),
    vProto: integer(json.vProto, -1),
  };
}

/** A pool CIDR as the API's range: the CIDR without its network and broadcast addresses. */
export function rangeOfPool(cidr: string): Json {
  const dash = cidr.indexOf('-');
  if (dash >= 0) return { ipRangeStart: cidr.slice(0, dash), ipRangeEnd: cidr.slice(dash + 1) };
  const [address = '', bits = ''] = cidr.split('/');
  const { family, address: value } = parseIp(address);
  const range = assignableRange({ family, address: value, bits: Number(bits) });
  if (!range) throw new InvalidArgumentError(`pool ${cidr} has no assignable address`);
  return { ipRangeStart: formatIp(family, range.first), ipRangeEnd: formatIp(family, range.last) };
}

/**
 * Settings as the body of a network POST. They are checked with the library's own validation
 * first, so a bad value is refused with the same error as in local mode, before any request.
 */
export function networkBody(patch: NetworkSettingsPatch): Json {
  const settings = validateSettings(patch);
  const body: Json = {};
  if (settings.name !== undefined) body.name = settings.name;
  if (settings.description !== undefined) body.description = settings.description;
  if (settings.private !== undefined) body.private = settings.private;
  if (settings.enableBroadcast !== undefined) body.enableBroadcast = settings.enableBroadcast;
  if (settings.allowPassiveBridging !== undefined) body.allowPassiveBridging = settings.allowPassiveBridging;
  // "none" goes as the legacy mode name: the objects only turn modes on and off, so { zt: false }
  // would leave a network the file says is dhcp at dhcp, where local mode sets none.
  if (settings.v4AssignMode !== undefined) {
    if (settings.v4AssignMode === 'dhcp') throw unavailable('IPv4 assign mode "dhcp"');
    body.v4AssignMode = settings.v4AssignMode === 'none' ? 'none' : { zt: true };
  }
  if (settings.v6AssignMode !== undefined) {
    if (settings.v6AssignMode === 'dhcp6') throw unavailable('IPv6 assign mode "dhcp6"');
    const both = settings.v6AssignMode === 'zt+rfc4193';
    body.v6AssignMode =
      settings.v6AssignMode === 'none'
        ? 'none'
        : { zt: both || settings.v6AssignMode === 'zt', rfc4193: both || settings.v6AssignMode === 'rfc4193', '6plane': false };
  }
  if (settings.mtu !== undefined) body.mtu = settings.mtu;
  if (settings.routes !== undefined) body.routes = settings.routes;
  if (settings.dns !== undefined) body.dns = settings.dns;
  if (settings.ipPools !== undefined) body.ipAssignmentPools = settings.ipPools.map(rangeOfPool);
  if (settings.etherTypes !== undefined) body.rules = rulesFromEtherTypes(settings.etherTypes);
  if (settings.multicastLimit !== undefined) body.multicastLimit = settings.multicastLimit;
  if (settings.multicastRates !== undefined) body.multicastRates = settings.multicastRates;
  if (settings.comRevisionMaxDelta !== undefined) body.comRevisionMaxDelta = Number(settings.comRevisionMaxDelta);
  return body;
}

function unavailable(what: string): InvalidArgumentError {
  return new InvalidArgumentError(`${what} cannot be set through the admin API (its network object has no such mode)`);
}
