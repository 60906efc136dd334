// BGP wire encoding of Breakwater's routes, for gobgpd's API (`Path.nlri_binary` / `Path.pattrs_binary`):
// the FlowSpec NLRI (RFC 8955 §4, RFC 8956 §3 for IPv6 prefixes with offsets), unicast prefixes, and the
// path attributes ORIGIN, NEXT_HOP, MP_REACH_NLRI, COMMUNITIES, EXTENDED_COMMUNITIES (every FlowSpec action,
// from flowspec/action-communities.ts) and LARGE_COMMUNITY (RFC 4271, 4760, 1997, 4360, 8092), for FlowSpec,
// RTBH and diversion routes.
// Binary rather than GoBGP's per-type protobuf messages: one encoder for what the RFCs fix, instead of a
// mirror of GoBGP's attribute schema — and every action can be expressed, which the gobgp CLI cannot.
import { actionExtendedCommunity } from '../../flowspec/action-communities.js';
import { FLOW_COMPONENTS, FRAGMENT_FLAG_BITS, TCP_FLAG_BITS } from '../../flowspec/components.js';
import { parsePrefix } from '../../flowspec/prefix.js';
import type { BitmaskMatch, FlowFamily, FlowPrefix, FlowSpecRule, NumericMatch, NumericOperator } from '../../flowspec/rule.js';
import { splitCommunities } from '../diversion-route.js';
import type { DesiredBgpRoute } from '../speaker.js';

const OP_EOL = 0x80;
const OP_AND = 0x40;
const NUMERIC_BITS: Record<NumericOperator, number> = { '=': 0x01, '>': 0x02, '>=': 0x03, '<': 0x04, '<=': 0x05, '!=': 0x06 };
const BITMASK_BITS = { any: 0x00, all: 0x01, none: 0x02, 'not-all': 0x03 } as const;

export const AFI = { ipv4: 1, ipv6: 2 } as const;
export const SAFI = { unicast: 1, flowspec: 133 } as const;

/** Address bits of a prefix as bytes: the first ceil(bits/8) bytes of the address. */
function prefixBytes(text: string): { length: number; bytes: number[]; value: bigint; width: number } {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(`bad prefix ${text}: ${parsed.message}`);
  const width = parsed.prefix.family === 'ipv4' ? 32 : 128;
  const bytes: number[] = [];
  for (let i = 0; i < Math.ceil(parsed.prefix.length / 8); i++) bytes.push(Number((parsed.prefix.value >> BigInt(width - 8 - 8 * i)) & 0xffn));
  return { length: parsed.prefix.length, bytes, value: parsed.prefix.value, width };
}

/** RFC 4271 §4.3 prefix: length byte then the significant bytes. */
export function encodeUnicastPrefix(text: string): Uint8Array {
  const p = prefixBytes(text);
  return Uint8Array.from([p.length, ...p.bytes]);
}

function encodeFlowPrefix(family: FlowFamily, p: FlowPrefix): number[] {
  const bits = prefixBytes(p.prefix);
  if (family === 'ipv4') return [bits.length, ...bits.bytes];
  // RFC 8956 §3.1: length, offset, then only bits offset..length of the address, left-aligned.
  const offset = p.offset ?? 0;
  const patternBits = bits.length - offset;
  const pattern = patternBits === 0 ? 0n : (bits.value >> BigInt(128 - bits.length)) & ((1n << BigInt(patternBits)) - 1n);
  const byteCount = Math.ceil(patternBits / 8);
  const aligned = pattern << BigInt(byteCount * 8 - patternBits);
  const out: number[] = [];
  for (let i = byteCount - 1; i >= 0; i--) out.push(Number((aligned >> BigInt(8 * i)) & 0xffn));
  return [bits.length, offset, ...out];
}

function valueBytes(value: number): { lengthBits: number; bytes: number[] } {
  if (value <= 0xff) return { lengthBits: 0x00, bytes: [value] };
  if (value <= 0xffff) return { lengthBits: 0x10, bytes: [value >>> 8, value & 0xff] };
  return { lengthBits: 0x20, bytes: [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff] };
}

/** Operator/value pairs: terms are OR-ed, conditions inside a term carry the AND bit; EOL on the last. */
function encodeOperators(items: { first: boolean; bits: number; value: number }[]): number[] {
  const out: number[] = [];
  items.forEach((item, i) => {
    const v = valueBytes(item.value);
    out.push((i === items.length - 1 ? OP_EOL : 0) | (item.first ? 0 : OP_AND) | v.lengthBits | item.bits, ...v.bytes);
  });
  return out;
}

export function encodeFlowSpecNlri(rule: FlowSpecRule): Uint8Array {
  const body: number[] = [];
  for (const info of FLOW_COMPONENTS) {
    const value = rule.match[info.name];
    if (value === undefined) continue;
    body.push(info.type);
    if (info.kind === 'prefix') {
      body.push(...encodeFlowPrefix(rule.family, value as FlowPrefix));
    } else if (info.kind === 'numeric') {
      const items = (value as NumericMatch).flatMap((term) => term.map((c, j) => ({ first: j === 0, bits: NUMERIC_BITS[c.op], value: c.value })));
      body.push(...encodeOperators(items));
    } else {
      const table = (info.name === 'tcpFlags' ? TCP_FLAG_BITS : FRAGMENT_FLAG_BITS) as Record<string, number>;
      const items = (value as BitmaskMatch<string>).flatMap((term) =>
        term.map((c, j) => ({ first: j === 0, bits: BITMASK_BITS[c.mode], value: c.flags.reduce((sum, f) => sum | (table[f] ?? 0), 0) })),
      );
      body.push(...encodeOperators(items));
    }
  }
  const length = body.length < 240 ? [body.length] : [0xf0 | (body.length >>> 8), body.length & 0xff];
  return Uint8Array.from([...length, ...body]);
}

function attribute(flags: number, type: number, value: number[]): Uint8Array {
  if (value.length > 255) return Uint8Array.from([flags | 0x10, type, value.length >>> 8, value.length & 0xff, ...value]);
  return Uint8Array.from([flags, type, value.length, ...value]);
}

function addressBytes(address: string): number[] {
  const p = prefixBytes(address.includes(':') ? `${address}/128` : `${address}/32`);
  return p.bytes;
}

const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function communityPair(text: string): [number, number] {
  const [asn, value] = text.split(':').map(Number);
  return [asn ?? 0, value ?? 0];
}

export interface WirePath {
  afi: number;
  safi: number;
  nlri: Uint8Array;
  /** Each attribute whole (flags, type, length, value), as Path.pattrs_binary wants them. */
  attributes: Uint8Array[];
}

/** The NLRI and path attributes gobgpd needs to originate the route. */
export function wirePath(route: DesiredBgpRoute): WirePath {
  const origin = attribute(0x40, 1, [0]); // IGP
  if (route.kind === 'rtbh' || route.kind === 'diversion') {
    const nlri = encodeUnicastPrefix(route.prefix);
    const { standard, large } = route.kind === 'rtbh' ? { standard: route.communities.map(communityPair), large: [] } : splitCommunities(route.communities);
    const tail: Uint8Array[] = [];
    if (standard.length > 0) tail.push(attribute(0xc0, 8, standard.flatMap(([asn, value]) => u32(((asn << 16) | value) >>> 0))));
    if (large.length > 0) tail.push(attribute(0xc0, 32, large.flatMap((c) => c.flatMap(u32))));
    // An unspecified next hop (a diversion without bgp.diversion next hop) makes gobgpd send its own address.
    const nextHop = addressBytes(route.nextHop !== '' ? route.nextHop : route.family === 'ipv4' ? '0.0.0.0' : '::');
    if (route.family === 'ipv4') {
      return { afi: AFI.ipv4, safi: SAFI.unicast, nlri, attributes: [origin, attribute(0x40, 3, nextHop), ...tail] };
    }
    const mpReach = attribute(0x80, 14, [0, AFI.ipv6, SAFI.unicast, nextHop.length, ...nextHop, 0, ...nlri]);
    return { afi: AFI.ipv6, safi: SAFI.unicast, nlri, attributes: [origin, mpReach, ...tail] };
  }
  const rule = route.rule;
  const afi = AFI[rule.family];
  const nlri = encodeFlowSpecNlri(rule);
  // RFC 8955 §4: a FlowSpec route has no next hop (length 0).
  const mpReach = attribute(0x80, 14, [0, afi, SAFI.flowspec, 0, 0, ...nlri]);
  const attributes = [origin, mpReach];
  const extended = rule.actions.flatMap((a) => {
    const w = actionExtendedCommunity(a);
    return w === undefined ? [] : [...u32(w.high), ...u32(w.low)];
  });
  const standard = rule.actions.flatMap((a) => (a.type === 'community' ? u32(((a.asn << 16) | a.value) >>> 0) : []));
  const large = rule.actions.flatMap((a) => (a.type === 'large-community' ? [...u32(a.global), ...u32(a.local1), ...u32(a.local2)] : []));
  if (standard.length > 0) attributes.push(attribute(0xc0, 8, standard));
  if (extended.length > 0) attributes.push(attribute(0xc0, 16, extended));
  if (large.length > 0) attributes.push(attribute(0xc0, 32, large));
  return { afi, safi: SAFI.flowspec, nlri, attributes };
}
