/**
 * Checks for command-line arguments, so a typo gets a one-line explanation before anything is
 * opened or changed. The library checks everything again; these exist for the message.
 */
import { parseCidr as parseIpCidr } from '../protocol/ip.js';
import { CliError, ExitCode } from './exit-codes.js';

export function parseNetworkId(text: string): string {
  const value = text.trim().toLowerCase();
  if (!/^[0-9a-f]{16}$/.test(value)) {
    throw new CliError(ExitCode.BAD_INPUT, `malformed network ID "${text}": expected 16 hex digits`);
  }
  return value;
}

export function parseAddress(text: string): string {
  const value = text.trim().toLowerCase();
  if (!/^[0-9a-f]{10}$/.test(value)) {
    throw new CliError(ExitCode.BAD_INPUT, `malformed member address "${text}": expected 10 hex digits`);
  }
  return value;
}

/** "a.b.c.d/bits" or "ipv6/bits", checked with the library's own parser; returned trimmed. */
export function parseCidr(text: string): string {
  const value = text.trim();
  try {
    parseIpCidr(value, { requirePrefix: true });
  } catch {
    throw new CliError(
      ExitCode.BAD_INPUT,
      `malformed CIDR "${text}": expected an address and prefix length such as 10.1.0.0/16 or fd00::/64`,
    );
  }
  return value;
}

export function parseOnOff(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['on', 'yes', 'true', '1'].includes(value)) return true;
  if (['off', 'no', 'false', '0'].includes(value)) return false;
  throw new CliError(ExitCode.BAD_INPUT, `expected "on" or "off", got "${text}"`);
}

export function parseNonNegativeInteger(text: string, what: string): number {
  const value = text.trim();
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CliError(ExitCode.BAD_INPUT, `${what} must be a non-negative integer, got "${text}"`);
  }
  return Number(value);
}

/**
 * Ethernet types as a comma list of hex numbers ("0800,0806,86dd", "0x0800"), or "all" for every
 * type. Type 0 is the netconf's "all", so a list holding it is "all" ([0]) whatever else it holds:
 * the same setting however it is written, and the same through the admin API (whose rules say
 * "accept all" or a whitelist, never both).
 */
export function parseEtherTypes(text: string): number[] {
  if (text.trim().toLowerCase() === 'all') return [0];
  if (text.trim() === '') return [];
  const types = text.split(',').map((part) => {
    const value = part.trim().toLowerCase().replace(/^0x/, '');
    if (!/^[0-9a-f]{1,4}$/.test(value)) {
      throw new CliError(ExitCode.BAD_INPUT, `malformed Ethernet type "${part}": expected hex such as 0800`);
    }
    return parseInt(value, 16);
  });
  return types.includes(0) ? [0] : types;
}

const V4_MODES = ['none', 'zt', 'dhcp'] as const;
const V6_MODES = ['none', 'zt', 'rfc4193', 'dhcp6'] as const;
export type V4AssignMode = (typeof V4_MODES)[number];
export type V6AssignMode = (typeof V6_MODES)[number];

export function parseV4AssignMode(text: string): V4AssignMode {
  const found = V4_MODES.find((mode) => mode === text.trim().toLowerCase());
  if (!found) throw new CliError(ExitCode.BAD_INPUT, `IPv4 assign mode must be one of ${V4_MODES.join(', ')}`);
  return found;
}

export function parseV6AssignMode(text: string): V6AssignMode {
  const found = V6_MODES.find((mode) => mode === text.trim().toLowerCase());
  if (!found) throw new CliError(ExitCode.BAD_INPUT, `IPv6 assign mode must be one of ${V6_MODES.join(', ')}`);
  return found;
}
