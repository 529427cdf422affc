/**
 * The network configuration dictionary, master → member (protocol.md §6): the member-side reading
 * (`NetworkConfig.fromDictionary`) and the master-side writing (`buildNetconfDictionary`).
 */
import { InvalidArgumentError, NetconfError, ParseError } from '../errors.js';
import { addressToHex } from '../crypto/address.js';
import { CertificateOfMembership } from './certificate.js';
import { Dictionary } from './dictionary.js';
import { describeInput, hex16, parseHexDigits } from './ids.js';
import { MAX_ZT_ASSIGNED_ADDRESSES, requireAssignableCidr } from './assigned-addresses.js';
import { formatCidr, parseNetconfCidr } from './ip.js';
import { ALL_ETHER_TYPES, MAX_NETCONF_NAME_BYTES, NetconfKey, type MulticastRate, type NetconfFields } from './netconf-fields.js';
import { NetconfTemplate } from './netconf-template.js';
import { DEFAULT_MTU, ExtensionKey, parseDns, parseMtu, parseRoutes } from './netconf-extensions.js';

export { DEFAULT_MTU, ExtensionKey, MAX_MTU, MIN_MTU } from './netconf-extensions.js';
export type { NetconfDns, NetconfRoute } from './netconf-extensions.js';

/** What a member uses when `ml` is absent or 0 (the reference's default). */
export const DEFAULT_MULTICAST_LIMIT = 32;

export { ALL_ETHER_TYPES, MAX_NETCONF_NAME_BYTES, NetconfKey } from './netconf-fields.js';
export { MAX_ZT_ASSIGNED_ADDRESSES } from './assigned-addresses.js';
export type { MulticastRate, NetconfFields } from './netconf-fields.js';

const MAC_ADI_KEY = /^([0-9a-fA-F]{12})\/([0-9a-fA-F]{1,8})$/;

/** A netconf as a member reads it. Construct with `NetworkConfig.fromDictionary`. */
export class NetworkConfig {
  readonly networkId: bigint;
  readonly timestamp: bigint;
  readonly revision: bigint;
  readonly issuedTo: string;
  readonly isPrivate: boolean;
  readonly name: string;
  readonly description: string;
  readonly enableBroadcast: boolean;
  readonly allowPassiveBridging: boolean;
  /** Sorted, unique. `[0]` when every type is allowed (see `allowsAllEtherTypes`); `[]` for none. */
  readonly allowedEtherTypes: readonly number[];
  readonly allowsAllEtherTypes: boolean;
  readonly multicastLimit: number;
  readonly multicastRates: readonly MulticastRate[];
  readonly activeBridges: readonly string[];
  /** `v4s` entries then `v6s` entries, as CIDR strings in the netconf form. */
  readonly staticIps: readonly string[];
  readonly com: CertificateOfMembership | null;
  /** Extension key `mtu`; 2800 when absent. */
  readonly mtu: number;
  /** Extension key `rt`: managed routes, addresses in the netconf form, `via` null for on-link. */
  readonly routes: readonly { readonly target: string; readonly via: string | null }[];
  /** Extension key `dns`; `{ domain: '', servers: [] }` when absent. */
  readonly dns: { readonly domain: string; readonly servers: readonly string[] };

  private constructor(fields: Omit<NetworkConfig, 'networkIdHex' | 'permitsEtherType'>) {
    this.networkId = fields.networkId;
    this.timestamp = fields.timestamp;
    this.revision = fields.revision;
    this.issuedTo = fields.issuedTo;
    this.isPrivate = fields.isPrivate;
    this.name = fields.name;
    this.description = fields.description;
    this.enableBroadcast = fields.enableBroadcast;
    this.allowPassiveBridging = fields.allowPassiveBridging;
    this.allowedEtherTypes = Object.freeze([...fields.allowedEtherTypes]);
    this.allowsAllEtherTypes = fields.allowsAllEtherTypes;
    this.multicastLimit = fields.multicastLimit;
    this.multicastRates = Object.freeze([...fields.multicastRates]);
    this.activeBridges = Object.freeze([...fields.activeBridges]);
    this.staticIps = Object.freeze([...fields.staticIps]);
    this.com = fields.com;
    this.mtu = fields.mtu;
    this.routes = Object.freeze(fields.routes.map((route) => Object.freeze({ ...route })));
    this.dns = Object.freeze({ domain: fields.dns.domain, servers: Object.freeze([...fields.dns.servers]) });
  }

  /**
   * Reads a netconf the way a member's node does. Required: `nwid` (non-zero), `ts`, `et`, `id`,
   * `n` (at most 255 bytes); `r` defaults to 1, `p` to private, `eb` to on, `pb` to off, `ml`
   * (absent or 0) to 32. Throws ParseError naming the key for a missing required key or a
   * malformed value, and for what a 2015 node refuses: a /0 address, more than 16 addresses in
   * `v4s` and `v6s` together. This project's extension keys (`mtu`, `rt`, `dns`; docs/protocol.md)
   * are read when present.
   * Does not check the signature: call `dict.verify(masterIdentity)` for that.
   */
  static fromDictionary(dict: Dictionary): NetworkConfig {
    if (!(dict instanceof Dictionary)) throw new ParseError(`netconf must be a Dictionary, got ${describeInput(dict)}`);
    const networkId = read(dict, NetconfKey.NETWORK_ID, true, (v) => {
      const id = parseHexDigits(v, 16, 'network ID');
      if (id === 0n) throw new ParseError('network ID must not be zero');
      return id;
    });
    const timestamp = read(dict, NetconfKey.TIMESTAMP, true, (v) => parseHexDigits(v, 16, 'timestamp'));
    const revision = read(dict, NetconfKey.REVISION, false, (v) => parseHexDigits(v, 16, 'revision')) ?? 1n;
    const issuedTo = read(dict, NetconfKey.ISSUED_TO, true, (v) => addressToHex(parseHexDigits(v, 10, 'address')));
    const isPrivate = read(dict, NetconfKey.PRIVATE, false, parseFlag) ?? true;
    const name = read(dict, NetconfKey.NAME, true, (v) => {
      const bytes = dict.getBytes(NetconfKey.NAME)!.length;
      if (bytes > MAX_NETCONF_NAME_BYTES) throw new ParseError(`network name is ${bytes} bytes; at most ${MAX_NETCONF_NAME_BYTES}`);
      return v;
    });
    const description = dict.get(NetconfKey.DESCRIPTION) ?? '';
    const enableBroadcast = read(dict, NetconfKey.ENABLE_BROADCAST, false, parseFlag) ?? true;
    const allowPassiveBridging = read(dict, NetconfKey.ALLOW_PASSIVE_BRIDGING, false, parseFlag) ?? false;
    const allowedEtherTypes = read(dict, NetconfKey.ETHER_TYPES, true, parseEtherTypes);
    const limit = read(dict, NetconfKey.MULTICAST_LIMIT, false, (v) => Number(parseHexDigits(v, 8, 'multicast limit')));
    const multicastRates = read(dict, NetconfKey.MULTICAST_RATES, false, parseMulticastRates) ?? [];
    const activeBridges = read(dict, NetconfKey.ACTIVE_BRIDGES, false, parseActiveBridges) ?? [];
    const v4 = read(dict, NetconfKey.STATIC_IPV4, false, (v) => parseStaticIps(v, 4)) ?? [];
    const v6 = read(dict, NetconfKey.STATIC_IPV6, false, (v) => parseStaticIps(v, 6)) ?? [];
    if (v4.length + v6.length > MAX_ZT_ASSIGNED_ADDRESSES) {
      throw new ParseError(
        `netconf assigns ${v4.length + v6.length} addresses in "v4s" and "v6s"; a node accepts at most ${MAX_ZT_ASSIGNED_ADDRESSES}`,
      );
    }
    const com = read(dict, NetconfKey.CERTIFICATE_OF_MEMBERSHIP, false, (v) => CertificateOfMembership.parse(v)) ?? null;
    const mtu = read(dict, ExtensionKey.MTU, false, parseMtu) ?? DEFAULT_MTU;
    const routes = read(dict, ExtensionKey.ROUTES, false, parseRoutes) ?? [];
    const dns = read(dict, ExtensionKey.DNS, false, parseDns) ?? { domain: '', servers: [] };
    return new NetworkConfig({
      networkId,
      timestamp,
      revision,
      issuedTo,
      isPrivate,
      name,
      description,
      enableBroadcast,
      allowPassiveBridging,
      allowedEtherTypes,
      allowsAllEtherTypes: allowedEtherTypes.includes(ALL_ETHER_TYPES),
      multicastLimit: limit === undefined || limit === 0 ? DEFAULT_MULTICAST_LIMIT : limit,
      multicastRates,
      activeBridges,
      staticIps: [...v4, ...v6],
      com,
      mtu,
      routes,
      dns,
    });
  }

  get networkIdHex(): string {
    return hex16(this.networkId);
  }

  /** Whether frames of this Ethernet type may pass. */
  permitsEtherType(etherType: number): boolean {
    return this.allowsAllEtherTypes || this.allowedEtherTypes.includes(etherType);
  }
}

/**
 * Builds the unsigned netconf dictionary with exactly the §6 keys and formats. The caller signs it
 * (`dict.sign(masterIdentity)`) and must keep it within MAX_WIRE_DICTIONARY_BYTES after signing (the wire
 * encoder refuses a larger one). Bad fields → InvalidArgumentError.
 */
export function buildNetconfDictionary(fields: NetconfFields): Dictionary {
  if (fields === null || typeof fields !== 'object') throw new InvalidArgumentError('netconf fields object expected');
  return new NetconfTemplate(fields).build(fields);
}

/** Parses the `et` value: `0` = all, empty = none, else comma list of 1-4 hex digits. */
function parseEtherTypes(value: string): number[] {
  if (value === '') return [];
  const types = value.split(',').map((token) => Number(parseHexDigits(token, 4, 'Ethernet type')));
  if (types.includes(ALL_ETHER_TYPES)) return [ALL_ETHER_TYPES];
  return [...new Set(types)].sort((a, b) => a - b);
}

function parseMulticastRates(value: string): MulticastRate[] {
  const inner = Dictionary.parse(value);
  return inner.entries().map(([key, rate]) => {
    const match = MAC_ADI_KEY.exec(key);
    if (match === null) throw new ParseError(`multicast rate key must be MAC/ADI in hex: ${describeInput(key)}`);
    const numbers = rate.split(',');
    if (numbers.length !== 3) throw new ParseError(`multicast rate must be preload,maxBalance,accrual: ${describeInput(rate)}`);
    const [preload, maxBalance, accrual] = numbers.map((n) => Number(parseHexDigits(n, 8, 'multicast rate number'))) as [
      number,
      number,
      number,
    ];
    return { mac: match[1]!.toLowerCase(), adi: Number(BigInt('0x' + match[2]!)), preload, maxBalance, accrual };
  });
}

function parseActiveBridges(value: string): string[] {
  if (value === '') return [];
  const bridges = value.split(',').map((token) => addressToHex(parseHexDigits(token, 10, 'active bridge address')));
  return [...new Set(bridges)].sort();
}

function parseStaticIps(value: string, family: 4 | 6): string[] {
  if (value === '') return [];
  return value.split(',').map((token) => {
    const cidr = parseNetconfCidr(token);
    if (cidr.family !== family) throw new ParseError(`expected an IPv${family} CIDR, got ${describeInput(token)}`);
    return formatCidr(requireAssignableCidr(cidr));
  });
}

function parseFlag(value: string): boolean {
  if (value === '1') return true;
  if (value === '0') return false;
  throw new ParseError(`flag must be 1 or 0: ${describeInput(value)}`);
}

/** Reads one key; a ParseError from `parse` is re-thrown with the key named. */
function read<T>(dict: Dictionary, key: string, required: true, parse: (value: string) => T): T;
function read<T>(dict: Dictionary, key: string, required: false, parse: (value: string) => T): T | undefined;
function read<T>(dict: Dictionary, key: string, required: boolean, parse: (value: string) => T): T | undefined {
  const value = dict.get(key);
  if (value === undefined) {
    if (required) throw new ParseError(`netconf lacks the required key "${key}"`);
    return undefined;
  }
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof NetconfError) throw new ParseError(`netconf key "${key}": ${error.message}`, { cause: error });
    throw error;
  }
}
