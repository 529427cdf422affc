/**
 * IP text as ZeroTier's JSON writes it: IPv4 dotted, IPv6 shortened (RFC 5952: lower case, the
 * longest run of two or more zero groups as `::`). The netconf keeps its own full form.
 */
import { formatIpv4 } from '../protocol/ip.js';
import type { Cidr, IpFamily } from '../protocol/ip.js';

export function formatIpText(family: IpFamily, address: bigint): string {
  return family === 4 ? formatIpv4(address) : formatIpv6Short(address);
}

export function formatCidrText(cidr: Cidr): string {
  return `${formatIpText(cidr.family, cidr.address)}/${cidr.bits}`;
}

function formatIpv6Short(address: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((address >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
