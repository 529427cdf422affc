/**
 * This project's extension keys of the netconf (docs/protocol.md "Extension keys"): the MTU,
 * managed routes and DNS, which the 2015 netconf has no key for. Each is written only when it
 * differs from the default, so a network that uses none of them gets the 2015 bytes exactly; a 2015
 * node looks up the keys it knows and ignores these. Values keep the 2015 dictionary's forms (hex
 * numbers, comma lists, the netconf's address forms, an embedded dictionary like `mr`).
 *
 * - `mtu`: the MTU in hex, present when not 2800.
 * - `rt`: comma list of routes, each `TARGET/BITS` (on-link) or `TARGET/BITS;VIA`, addresses in the
 *   netconf form (IPv4 dotted, IPv6 as 8 groups of 4 hex digits); present when there is a route.
 * - `dns`: an embedded dictionary: `d` the search domain (when set), `s` the servers as a comma
 *   list of addresses (when any); present when either is.
 */
import { InvalidArgumentError, ParseError } from '../errors.js';
import { asInvalidArgument } from './as-invalid-argument.js';
import { Dictionary } from './dictionary.js';
import { describeInput, parseHexDigits } from './ids.js';
import { formatCidr, formatIp, networkOf, parseNetconfCidr, type Cidr, type IpFamily } from './ip.js';

export const DEFAULT_MTU = 2800;
export const MIN_MTU = 1280;
export const MAX_MTU = 10000;

export const ExtensionKey = {
  MTU: 'mtu',
  ROUTES: 'rt',
  DNS: 'dns',
} as const;

/** A managed route: addresses as text in any accepted form; `via` null or absent for on-link. */
export interface NetconfRoute {
  readonly target: string;
  readonly via?: string | null;
}

export interface NetconfDns {
  readonly domain: string;
  /** Addresses as text. */
  readonly servers: readonly string[];
}

/** The MTU's value, or null when it is the default (no key). */
export function formatMtu(mtu: number | undefined): string | null {
  const value = mtu ?? DEFAULT_MTU;
  if (!Number.isInteger(value) || value < MIN_MTU || value > MAX_MTU) {
    throw new InvalidArgumentError(`netconf mtu must be an integer in ${MIN_MTU}..${MAX_MTU}, got ${describeInput(value)}`);
  }
  return value === DEFAULT_MTU ? null : value.toString(16);
}

/** The routes' value, or null when there are none. */
export function formatRoutes(routes: readonly NetconfRoute[] | undefined): string | null {
  if (routes === undefined || routes.length === 0) return null;
  if (!Array.isArray(routes)) throw new InvalidArgumentError('netconf routes must be an array');
  return routes
    .map((route) => {
      if (route === null || typeof route !== 'object') throw new InvalidArgumentError('a netconf route is { target, via }');
      const target = networkOf(readCidr(route.target, 'route target'));
      if (route.via === undefined || route.via === null) return formatCidr(target);
      const via = readAddress(route.via, 'route via');
      if (via.family !== target.family) throw new InvalidArgumentError(`route ${route.target} via ${route.via}: families differ`);
      return `${formatCidr(target)};${formatIp(via.family, via.address)}`;
    })
    .join(',');
}

/** The DNS value (an embedded dictionary's bytes), or null when neither domain nor servers are set. */
export function formatDns(dns: NetconfDns | undefined | null): Uint8Array | null {
  if (dns === undefined || dns === null) return null;
  if (typeof dns !== 'object' || typeof dns.domain !== 'string' || !Array.isArray(dns.servers)) {
    throw new InvalidArgumentError('netconf dns must be { domain, servers }');
  }
  if (dns.domain === '' && dns.servers.length === 0) return null;
  const inner = new Dictionary();
  if (dns.domain !== '') inner.set('d', dns.domain);
  if (dns.servers.length > 0) {
    inner.set('s', dns.servers.map((server) => {
      const address = readAddress(server, 'dns server');
      return formatIp(address.family, address.address);
    }).join(','));
  }
  return inner.toBytes();
}

export function parseMtu(value: string): number {
  const mtu = Number(parseHexDigits(value, 8, 'MTU'));
  if (mtu < MIN_MTU || mtu > MAX_MTU) throw new ParseError(`MTU ${mtu} is outside ${MIN_MTU}..${MAX_MTU}`);
  return mtu;
}

/** Routes as `{ target, via }` in the netconf form (via null for on-link). */
export function parseRoutes(value: string): { target: string; via: string | null }[] {
  if (value === '') return [];
  return value.split(',').map((token) => {
    const [targetText, viaText, ...rest] = token.split(';');
    if (rest.length > 0) throw new ParseError(`a route is TARGET/BITS or TARGET/BITS;VIA: ${describeInput(token)}`);
    const target = parseNetconfCidr(targetText!);
    if (viaText === undefined) return { target: formatCidr(target), via: null };
    const via = parseNetconfCidr(`${viaText}/${viaText.includes(':') ? 128 : 32}`);
    if (via.family !== target.family) throw new ParseError(`route ${describeInput(token)}: families differ`);
    return { target: formatCidr(target), via: formatIp(via.family, via.address) };
  });
}

export function parseDns(value: string): { domain: string; servers: string[] } {
  const inner = Dictionary.parse(value);
  const servers = inner.get('s') ?? '';
  return {
    domain: inner.get('d') ?? '',
    servers: servers === ''
      ? []
      : servers.split(',').map((text) => {
          const address = parseNetconfCidr(`${text}/${text.includes(':') ? 128 : 32}`);
          return formatIp(address.family, address.address);
        }),
  };
}

function readCidr(text: string, what: string): Cidr {
  if (typeof text !== 'string') throw new InvalidArgumentError(`netconf ${what} must be a CIDR string`);
  return asInvalidArgument(() => parseNetconfCidr(text), `netconf ${what}`);
}

function readAddress(text: string, what: string): { family: IpFamily; address: bigint } {
  if (typeof text !== 'string' || text.includes('/')) throw new InvalidArgumentError(`netconf ${what} must be an address`);
  const cidr = asInvalidArgument(() => parseNetconfCidr(`${text}/${text.includes(':') ? 128 : 32}`), `netconf ${what}`);
  return { family: cidr.family, address: cidr.address };
}
