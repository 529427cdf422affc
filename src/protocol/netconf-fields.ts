/**
 * Checking and formatting the master's netconf fields into §6 values (protocol.md §6), shared by
 * `buildNetconfDictionary` and `NetconfTemplate`. Internal: not exported from any index.
 */
import { InvalidArgumentError } from '../errors.js';
import { asInvalidArgument } from './as-invalid-argument.js';
import { requireAssignableCidr } from './assigned-addresses.js';
import { addressToHex, parseAddress } from '../crypto/address.js';
import { Dictionary } from './dictionary.js';
import { describeInput } from './ids.js';
import { formatCidr, parseNetconfCidr } from './ip.js';
import type { CertificateOfMembership } from './certificate.js';
import type { NetconfDns, NetconfRoute } from './netconf-extensions.js';

/** The §6 keys. */
export const NetconfKey = {
  NETWORK_ID: 'nwid',
  TIMESTAMP: 'ts',
  REVISION: 'r',
  ISSUED_TO: 'id',
  PRIVATE: 'p',
  NAME: 'n',
  DESCRIPTION: 'd',
  ENABLE_BROADCAST: 'eb',
  ALLOW_PASSIVE_BRIDGING: 'pb',
  ETHER_TYPES: 'et',
  MULTICAST_LIMIT: 'ml',
  MULTICAST_RATES: 'mr',
  ACTIVE_BRIDGES: 'ab',
  STATIC_IPV4: 'v4s',
  STATIC_IPV6: 'v6s',
  CERTIFICATE_OF_MEMBERSHIP: 'com',
} as const;

/** A multicast rate for one group (MAC + ADI). MAC `000000000000` ADI 0 is the network default. */
export interface MulticastRate {
  /** 12 lower-case hex digits, no separators. */
  readonly mac: string;
  /** Additional distinguishing information, uint32. */
  readonly adi: number;
  readonly preload: number;
  readonly maxBalance: number;
  readonly accrual: number;
}

/** What the master puts into a netconf. `NetworkConfig` itself satisfies this shape. */
export interface NetconfFields {
  networkId: bigint | string;
  /** ms since the epoch */
  timestamp: bigint | number;
  revision: bigint;
  issuedTo: string | bigint;
  isPrivate: boolean;
  name: string;
  /** Written only when non-empty. */
  description?: string;
  enableBroadcast: boolean;
  allowPassiveBridging: boolean;
  /** Ethernet types; containing 0 means all types; empty means none. */
  allowedEtherTypes: readonly number[];
  /** Written (hex) only when > 0. */
  multicastLimit?: number;
  multicastRates?: readonly MulticastRate[];
  activeBridges?: readonly (string | bigint)[];
  /** CIDR strings, IPv4 and IPv6 (`::` forms accepted; written in the full form). */
  staticIps?: readonly string[];
  /** Required exactly when `isPrivate`. */
  com?: CertificateOfMembership | string | null;
  /** Extension key `mtu` (docs/protocol.md): written only when not 2800. */
  mtu?: number;
  /** Extension key `rt`: managed routes, written when any. */
  routes?: readonly NetconfRoute[];
  /** Extension key `dns`: written when a domain or a server is set. */
  dns?: NetconfDns | null;
}

/** `et` of `0` alone means every Ethernet type is allowed. */
export const ALL_ETHER_TYPES = 0;

export function formatEtherTypes(types: readonly number[]): string {
  if (!Array.isArray(types)) throw new InvalidArgumentError('netconf allowedEtherTypes must be an array of numbers');
  for (const type of types) {
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) {
      throw new InvalidArgumentError(`Ethernet type must be 0..0xffff, got ${describeInput(type)}`);
    }
  }
  if (types.includes(ALL_ETHER_TYPES)) return '0';
  return [...new Set(types)]
    .sort((a, b) => a - b)
    .map((type) => type.toString(16).padStart(4, '0'))
    .join(',');
}

export function formatMulticastLimit(value: number | undefined): string | null {
  const limit = value ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > 0xffffffff) {
    throw new InvalidArgumentError(`netconf multicastLimit must be a uint32, got ${describeInput(limit)}`);
  }
  return limit > 0 ? limit.toString(16) : null;
}

export function formatMulticastRates(rates: readonly MulticastRate[]): Uint8Array {
  const inner = new Dictionary();
  for (const rate of rates) {
    if (rate === null || typeof rate !== 'object' || typeof rate.mac !== 'string' || !/^[0-9a-fA-F]{12}$/.test(rate.mac)) {
      throw new InvalidArgumentError(`multicast rate mac must be 12 hex digits, got ${describeInput(rate?.mac)}`);
    }
    for (const field of ['adi', 'preload', 'maxBalance', 'accrual'] as const) {
      const n = rate[field];
      if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
        throw new InvalidArgumentError(`multicast rate ${field} must be a uint32, got ${describeInput(n)}`);
      }
    }
    const key = `${rate.mac.toLowerCase()}/${rate.adi.toString(16).padStart(4, '0')}`;
    if (inner.has(key)) throw new InvalidArgumentError(`multicast rate given twice for ${key}`);
    inner.set(key, [rate.preload, rate.maxBalance, rate.accrual].map((n) => n.toString(16)).join(','));
  }
  return inner.toBytes();
}

export function formatActiveBridges(bridges: readonly (string | bigint)[]): string {
  const hex = bridges.map((bridge) => asInvalidArgument(() => addressToHex(parseAddress(bridge)), 'netconf activeBridges'));
  return [...new Set(hex)].sort().join(',');
}

/**
 * Text already in the netconf form, which formatting would give back unchanged: IPv4 without
 * leading zeros, IPv6 as 8 groups of 4 lower-case hex digits, prefix lengths of at least 1 and in
 * range, without leading zeros. The master's own addresses come this way; anything else is parsed.
 */
const NETCONF_IPV4_CIDR =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\/(?:3[0-2]|[12][0-9]|[1-9])$/;
const NETCONF_IPV6_CIDR = /^(?:[0-9a-f]{4}:){7}[0-9a-f]{4}\/(?:12[0-8]|1[01][0-9]|[1-9][0-9]?)$/;

/** The `v4s` and `v6s` lists, each address in the netconf form, in the order given. A /0 → InvalidArgumentError. */
export function splitStaticIps(ips: readonly string[]): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const ip of ips) {
    if (typeof ip === 'string' && NETCONF_IPV4_CIDR.test(ip)) v4.push(ip);
    else if (typeof ip === 'string' && NETCONF_IPV6_CIDR.test(ip)) v6.push(ip);
    else {
      const cidr = requireAssignableCidr(asInvalidArgument(() => parseNetconfCidr(ip), 'netconf staticIps'));
      (cidr.family === 4 ? v4 : v6).push(formatCidr(cidr));
    }
  }
  return { v4, v6 };
}

export function flag(value: boolean, what: string): string {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`netconf ${what} must be a boolean, got ${describeInput(value)}`);
  return value ? '1' : '0';
}

export function requireString(value: string, what: string): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`netconf ${what} must be a string, got ${describeInput(value)}`);
  return value;
}

/** A 2015 node refuses a netconf whose network name (`n`) is longer, in UTF-8 bytes. */
export const MAX_NETCONF_NAME_BYTES = 255;

/** The network name, at most MAX_NETCONF_NAME_BYTES of UTF-8. */
export function requireName(value: string): string {
  const bytes = utf8Encoder.encode(requireString(value, 'name')).length;
  if (bytes > MAX_NETCONF_NAME_BYTES) {
    throw new InvalidArgumentError(`netconf name is ${bytes} bytes; a node accepts at most ${MAX_NETCONF_NAME_BYTES}`);
  }
  return value;
}

const utf8Encoder = new TextEncoder();

export function requireBigint(value: bigint): bigint {
  if (typeof value !== 'bigint') throw new InvalidArgumentError(`a bigint is needed, got ${describeInput(value)}`);
  return value;
}

export function toBigint(value: bigint | number): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return requireBigint(value as bigint);
}
