/**
 * Network settings as administrators give them (api.md "Settings"), their defaults, and the
 * validation every administrative input goes through before anything is written.
 *
 * Text limits (UTF-8 bytes), chosen to match the reference schema's column sizes:
 * network name 128, description 4096, member name 128, member notes 4096.
 */
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_MULTICAST_LIMIT, type MulticastRate } from '../protocol/network-config.js';

export { DEFAULT_MULTICAST_LIMIT } from '../protocol/network-config.js';
import { assignableRange, formatCidr, formatIp, networkOf, parseCidr, parseIp } from '../protocol/ip.js';
import { DEFAULT_MTU, MAX_MTU, MIN_MTU } from '../protocol/netconf-extensions.js';
import type { IpPool, ManagedRoute, NetworkRowSettings, V4AssignMode, V6AssignMode } from './store.js';

export const MAX_NETWORK_NAME_BYTES = 128;
export const MAX_DESCRIPTION_BYTES = 4096;
export const MAX_MEMBER_NAME_BYTES = 128;
export const MAX_MEMBER_NOTES_BYTES = 4096;
export const DEFAULT_ETHER_TYPES: readonly number[] = Object.freeze([0x0800, 0x0806, 0x86dd]);
export const DEFAULT_COM_REVISION_MAX_DELTA = 16n;
/** Keeps `revision + maxDelta + 1` far inside the database's integer range. */
export const MAX_COM_REVISION_MAX_DELTA = 0xffffffffn;
export { DEFAULT_MTU, MAX_MTU, MIN_MTU };
/** ZeroTier's limits: routes per network, DNS servers, and the length of a DNS name. */
export const MAX_ROUTES = 32;
export const MAX_DNS_SERVERS = 4;
export const MAX_DNS_DOMAIN_BYTES = 255;

import { V4_ASSIGN_MODES, V6_ASSIGN_MODES } from './store.js';
export { V4_ASSIGN_MODES, V6_ASSIGN_MODES };

/** A managed route as text: `target` a CIDR (network address/bits), `via` an address or null for on-link. */
export interface RouteSettings {
  target: string;
  via: string | null;
}

export interface DnsSettings {
  /** The search domain, '' for none. */
  domain: string;
  /** Server addresses, in order. */
  servers: string[];
}

/** A network's settings as read back (`getNetwork`): the network row's, and its lists. */
export interface NetworkSettings extends Omit<NetworkRowSettings, 'dnsDomain' | 'dnsServers'> {
  /**
   * Pools in the order they were added: a CIDR (`10.144.0.0/16`: its addresses but the network and
   * broadcast ones; an address from it gets its prefix length unless a route says otherwise) or a
   * range `first-last` (`10.144.0.10-10.144.0.99`).
   */
  ipPools: string[];
  /** Managed routes, in order; an assigned address gets the prefix of the smallest one containing it. */
  routes: RouteSettings[];
  dns: DnsSettings;
  /** Accepted Ethernet types, ascending; `[0]` accepts every type. */
  etherTypes: number[];
  multicastRates: MulticastRate[];
}

/** What `createNetwork` and `updateNetwork` accept: any subset of the settings. */
export interface NetworkSettingsInput {
  name?: string;
  description?: string;
  private?: boolean;
  enableBroadcast?: boolean;
  allowPassiveBridging?: boolean;
  v4AssignMode?: V4AssignMode;
  v6AssignMode?: V6AssignMode;
  /**
   * CIDR strings such as `10.144.0.0/16` or `fd00:1234::/64` (host bits are cleared), or ranges
   * `10.144.0.10-10.144.0.99`.
   */
  ipPools?: readonly string[];
  /** MTU members use, 1280..10000 (default 2800). */
  mtu?: number;
  /** Managed routes: `{ target: 'cidr', via?: 'address' | null }`. */
  routes?: readonly { target: string; via?: string | null }[];
  dns?: { domain?: string; servers?: readonly string[] };
  etherTypes?: readonly number[];
  multicastLimit?: number;
  /** MAC as 12 hex digits (or with `:`/`-` separators); ADI and the three numbers uint32. */
  multicastRates?: readonly MulticastRate[];
  comRevisionMaxDelta?: bigint | number;
}

export const DEFAULT_SETTINGS: Readonly<NetworkSettings> = Object.freeze({
  name: '',
  description: '',
  private: true,
  enableBroadcast: true,
  allowPassiveBridging: false,
  v4AssignMode: 'none',
  v6AssignMode: 'none',
  ipPools: [],
  routes: [],
  dns: { domain: '', servers: [] },
  mtu: DEFAULT_MTU,
  etherTypes: [...DEFAULT_ETHER_TYPES],
  multicastLimit: DEFAULT_MULTICAST_LIMIT,
  multicastRates: [],
  comRevisionMaxDelta: DEFAULT_COM_REVISION_MAX_DELTA,
});

type Validators = { [K in keyof NetworkSettings]-?: (value: unknown) => NetworkSettings[K] };

const VALIDATORS: Validators = {
  name: (value) => boundedText(value, 'name', MAX_NETWORK_NAME_BYTES),
  description: (value) => boundedText(value, 'description', MAX_DESCRIPTION_BYTES),
  private: (value) => bool(value, 'private'),
  enableBroadcast: (value) => bool(value, 'enableBroadcast'),
  allowPassiveBridging: (value) => bool(value, 'allowPassiveBridging'),
  v4AssignMode: (value) => oneOf(value, 'v4AssignMode', V4_ASSIGN_MODES),
  v6AssignMode: (value) => oneOf(value, 'v6AssignMode', V6_ASSIGN_MODES),
  ipPools: (value) => readPools(value).map(poolText),
  routes: (value) => readRoutes(value).map(routeSettings),
  dns: readDns,
  mtu: (value) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_MTU || value > MAX_MTU) {
      throw new InvalidArgumentError(`mtu must be an integer in ${MIN_MTU}..${MAX_MTU}`);
    }
    return value;
  },
  etherTypes: readEtherTypes,
  multicastLimit: (value) => uint32(value, 'multicastLimit'),
  multicastRates: readMulticastRates,
  comRevisionMaxDelta: readMaxDelta,
};

/**
 * Checks a settings object: every key known, every value valid. Returns the normalized values
 * of the keys given (keys whose value is `undefined` count as not given).
 */
export function validateSettings(input: unknown): Partial<NetworkSettings> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidArgumentError('network settings must be an object');
  }
  const out: Partial<Record<keyof NetworkSettings, unknown>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!Object.prototype.hasOwnProperty.call(VALIDATORS, key)) {
      throw new InvalidArgumentError(
        `unknown network setting ${JSON.stringify(key)} (known: ${Object.keys(VALIDATORS).join(', ')})`,
      );
    }
    if (value === undefined) continue;
    out[key as keyof NetworkSettings] = VALIDATORS[key as keyof NetworkSettings](value);
  }
  return out as Partial<NetworkSettings>;
}

/** Reads pools (CIDR or range text): CIDR host bits cleared, duplicates dropped, each with at least one address. */
export function readPools(value: unknown): IpPool[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('ipPools must be an array of CIDR or range strings');
  const pools: IpPool[] = [];
  const seen = new Set<string>();
  for (const entry of value) {
    const pool = readPool(entry);
    const key = poolText(pool);
    if (!seen.has(key)) {
      seen.add(key);
      pools.push(pool);
    }
  }
  return pools;
}

/** A pool from its text: a CIDR (`10.1.0.0/16`) or a range (`10.1.0.10-10.1.0.99`). */
export function readPool(value: unknown): IpPool {
  if (typeof value !== 'string') throw new InvalidArgumentError('an IP pool must be a CIDR or range string');
  const dash = value.indexOf('-');
  if (dash >= 0) {
    const first = parseIp(value.slice(0, dash).trim());
    const last = parseIp(value.slice(dash + 1).trim());
    if (first.family !== last.family) throw new InvalidArgumentError(`IP pool ${value} mixes IPv4 and IPv6`);
    if (first.address > last.address) throw new InvalidArgumentError(`IP pool ${value} ends before it starts`);
    if (first.address === 0n) throw new InvalidArgumentError(`IP pool ${value} starts at the unspecified address`);
    return { family: first.family, first: first.address, last: last.address, bits: null };
  }
  const pool = networkOf(parseCidr(value, { requirePrefix: true }));
  if (pool.bits === 0) throw new InvalidArgumentError(`IP pool ${value} has prefix length 0, which a 2015 node reads as none`);
  const range = assignableRange(pool);
  if (range === null) {
    throw new InvalidArgumentError(
      `IP pool ${value} has no assignable address (at most /${pool.family === 4 ? 30 : 126})`,
    );
  }
  return { family: pool.family, first: range.first, last: range.last, bits: pool.bits };
}

/** A pool's text: the CIDR of a CIDR pool, `first-last` for a range. */
export function poolText(pool: IpPool): string {
  if (pool.bits !== null) return formatCidr({ family: pool.family, address: pool.first - 1n, bits: pool.bits });
  return `${formatIp(pool.family, pool.first)}-${formatIp(pool.family, pool.last)}`;
}

/** Reads managed routes: targets as network CIDRs, `via` an address of the same family or null; duplicates dropped. */
export function readRoutes(value: unknown): ManagedRoute[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('routes must be an array of { target, via }');
  const routes: ManagedRoute[] = [];
  const seen = new Set<string>();
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object') throw new InvalidArgumentError('a route must be { target, via }');
    const { target, via, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new InvalidArgumentError(`unknown route field ${JSON.stringify(extra[0])}`);
    if (typeof target !== 'string') throw new InvalidArgumentError('a route target must be a CIDR string');
    const cidr = networkOf(parseCidr(target, { requirePrefix: true }));
    let gateway: ManagedRoute['via'] = null;
    if (via !== undefined && via !== null && via !== '') {
      if (typeof via !== 'string') throw new InvalidArgumentError('a route via must be an address or null');
      gateway = parseIp(via);
      if (gateway.family !== cidr.family) throw new InvalidArgumentError(`route ${target} via ${via}: the families differ`);
    }
    const route: ManagedRoute = { target: cidr, via: gateway };
    const key = JSON.stringify(routeSettings(route));
    if (seen.has(key)) continue;
    seen.add(key);
    routes.push(route);
  }
  if (routes.length > MAX_ROUTES) throw new InvalidArgumentError(`at most ${MAX_ROUTES} routes per network, got ${routes.length}`);
  return routes;
}

export function routeSettings(route: ManagedRoute): RouteSettings {
  return {
    target: formatCidr(route.target),
    via: route.via === null ? null : formatIp(route.via.family, route.via.address),
  };
}

function readDns(value: unknown): DnsSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError('dns must be { domain, servers }');
  }
  const { domain = '', servers = [], ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new InvalidArgumentError(`unknown dns field ${JSON.stringify(extra[0])}`);
  const name = boundedText(domain, 'dns domain', MAX_DNS_DOMAIN_BYTES);
  if (/[\s,;]/.test(name)) throw new InvalidArgumentError(`dns domain ${JSON.stringify(name)} holds a space, a comma or a semicolon`);
  if (!Array.isArray(servers)) throw new InvalidArgumentError('dns servers must be an array of addresses');
  if (servers.length > MAX_DNS_SERVERS) throw new InvalidArgumentError(`at most ${MAX_DNS_SERVERS} DNS servers, got ${servers.length}`);
  return {
    domain: name,
    servers: servers.map((server) => {
      if (typeof server !== 'string') throw new InvalidArgumentError('a DNS server must be an address string');
      const address = parseIp(server);
      return formatIp(address.family, address.address);
    }),
  };
}

export function boundedText(value: unknown, what: string, maxBytes: number): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${what} must be a string`);
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > maxBytes) throw new InvalidArgumentError(`${what} is ${bytes} bytes long; at most ${maxBytes} allowed`);
  return value;
}

function bool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${what} must be true or false`);
  return value;
}

function oneOf<T extends string>(value: unknown, what: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`${what} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function uint32(value: unknown, what: string): number {
  if (typeof value === 'bigint' && value >= 0n && value <= 0xffffffffn) return Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`${what} must be an integer in 0..4294967295`);
  }
  return value;
}

function readEtherTypes(value: unknown): number[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('etherTypes must be an array of numbers');
  const types = new Set<number>();
  for (const type of value) {
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 0xffff) {
      throw new InvalidArgumentError(`an Ethernet type must be an integer in 0..0xffff, got ${String(type)}`);
    }
    types.add(type);
  }
  return [...types].sort((a, b) => a - b);
}

function readMulticastRates(value: unknown): MulticastRate[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('multicastRates must be an array');
  const rates: MulticastRate[] = [];
  const seen = new Set<string>();
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object') {
      throw new InvalidArgumentError('a multicast rate must be { mac, adi, preload, maxBalance, accrual }');
    }
    const { mac, adi, preload, maxBalance, accrual, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new InvalidArgumentError(`unknown multicast rate field ${JSON.stringify(extra[0])}`);
    const macHex = typeof mac === 'string' ? mac.replace(/[:-]/g, '').toLowerCase() : '';
    if (!/^[0-9a-f]{12}$/.test(macHex)) {
      throw new InvalidArgumentError(`a multicast rate's mac must be 12 hex digits, got ${JSON.stringify(mac)}`);
    }
    const rate: MulticastRate = {
      mac: macHex,
      adi: uint32(adi ?? 0, 'multicast rate adi'),
      preload: uint32(preload, 'multicast rate preload'),
      maxBalance: uint32(maxBalance, 'multicast rate maxBalance'),
      accrual: uint32(accrual, 'multicast rate accrual'),
    };
    const key = `${rate.mac}/${rate.adi}`;
    if (seen.has(key)) throw new InvalidArgumentError(`multicast rate for ${key} given twice`);
    seen.add(key);
    rates.push(rate);
  }
  return rates.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : a.adi - b.adi));
}

function readMaxDelta(value: unknown): bigint {
  const delta = typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
  if (typeof delta !== 'bigint' || delta < 0n || delta > MAX_COM_REVISION_MAX_DELTA) {
    throw new InvalidArgumentError(`comRevisionMaxDelta must be an integer in 0..${MAX_COM_REVISION_MAX_DELTA}`);
  }
  return delta;
}

/** The groups (`mac/adi`) of the rates that are not the network's default (MAC 000000000000, ADI 0). */
export function perGroupMulticastRates(rates: readonly MulticastRate[]): string[] {
  return rates.filter((rate) => rate.mac !== DEFAULT_RATE_MAC || rate.adi !== 0).map((rate) => `${rate.mac}/${rate.adi}`);
}

const DEFAULT_RATE_MAC = '000000000000';

/** Whether two settings objects describe the same network configuration. */
export function sameSettings(a: NetworkSettings, b: NetworkSettings): boolean {
  return JSON.stringify(a, bigintReplacer) === JSON.stringify(b, bigintReplacer);
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
