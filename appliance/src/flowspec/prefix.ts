// Prefix text for FlowSpec rules: strict parsing ("203.0.113.0/24", "2001:db8::/32"; no bare addresses, no
// leading zeros, no embedded IPv4 in IPv6, no zone), host-bit detection with the corrected prefix to suggest,
// the canonical text every renderer prints (lower-case, RFC 5952 compressed IPv6), and containment in the
// protected networks. Parsing and containment go through ip-num; the canonical IPv6 text is computed here
// because ip-num prints IPv6 uncompressed.
import { IPv4CidrRange, IPv6CidrRange, Validator } from 'ip-num';
import type { FlowFamily } from './rule.js';

export interface ParsedPrefix {
  family: FlowFamily;
  /** Network address as an unsigned integer (32 or 128 bits). */
  value: bigint;
  length: number;
  /** "203.0.113.0/24", "2001:db8::/32". */
  canonical: string;
}

export type PrefixParse =
  | { ok: true; prefix: ParsedPrefix }
  | { ok: false; reason: 'syntax'; message: string }
  | { ok: false; reason: 'host-bits'; message: string; suggestion: string };

const IPV4_PREFIX = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}\/(?:0|[1-9][0-9]{0,2})$/;
const IPV6_PREFIX = /^[0-9A-Fa-f:]+\/(?:0|[1-9][0-9]{0,2})$/;

/** The address family a prefix or address text claims to be, by its separators. */
function familyOfText(text: string): FlowFamily {
  return text.includes(':') ? 'ipv6' : 'ipv4';
}

export function parsePrefix(text: string): PrefixParse {
  const family = familyOfText(text);
  const pattern = family === 'ipv4' ? IPV4_PREFIX : IPV6_PREFIX;
  if (!pattern.test(text)) {
    return { ok: false, reason: 'syntax', message: `"${text}" is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix in address/length form` };
  }
  const [valid, messages] = family === 'ipv4' ? Validator.isValidIPv4CidrNotation(text) : Validator.isValidIPv6CidrNotation(text);
  if (!valid) return { ok: false, reason: 'syntax', message: `"${text}": ${messages.join('; ')}` };

  // ip-num's range starts at the network address whatever the text says, so host bits are detected with
  // its range validator and the range itself gives the corrected prefix to suggest.
  const range = family === 'ipv4' ? IPv4CidrRange.fromCidr(text) : IPv6CidrRange.fromCidr(text);
  const length = Number(range.cidrPrefix.getValue());
  const network = range.getFirst().getValue();
  const canonical = `${formatAddress(family, network)}/${length}`;
  const [isNetwork] = family === 'ipv4' ? Validator.isValidIPv4CidrRange(text) : Validator.isValidIPv6CidrRange(text);
  if (!isNetwork) {
    return { ok: false, reason: 'host-bits', message: `"${text}" has host bits set`, suggestion: canonical };
  }
  return { ok: true, prefix: { family, value: network, length, canonical } };
}

/** Whether `inner` lies entirely inside `outer` (equal counts as inside). */
export function prefixInside(inner: ParsedPrefix, outer: ParsedPrefix): boolean {
  if (inner.family !== outer.family) return false;
  if (inner.family === 'ipv4') return IPv4CidrRange.fromCidr(inner.canonical).inside(IPv4CidrRange.fromCidr(outer.canonical));
  return IPv6CidrRange.fromCidr(inner.canonical).inside(IPv6CidrRange.fromCidr(outer.canonical));
}

/** Canonical text of a prefix that is already known to be valid (renderers call this on validated rules). */
export function canonicalPrefix(text: string): string {
  const parsed = parsePrefix(text);
  return parsed.ok ? parsed.prefix.canonical : text;
}

/** An IPv4 address (redirect and route-target values) as an unsigned 32-bit number, or undefined. */
export function parseIPv4Address(text: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/.test(text)) return undefined;
  const octets = text.split('.').map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatAddress(family: FlowFamily, value: bigint): string {
  if (family === 'ipv4') {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return compressIPv6(groups);
}

/** RFC 5952 §4: lower-case hex, no leading zeros, the longest run (>= 2) of zero groups becomes "::". */
function compressIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
