// Builds packet bytes (Ethernet with VLAN tags, IPv4, IPv6 with extension headers, UDP, TCP, ICMP) for
// sampled headers and pcap frames in tests. Checksums are left 0: nothing in Breakwater verifies them.
import { ipv4Bytes, ipv6Bytes, macBytes } from './addresses.js';

function concat(...parts: (Uint8Array | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) for (const b of p) out.push(b);
  return Uint8Array.from(out);
}

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export interface VlanTag {
  tpid?: number;
  id: number;
  priority?: number;
}

export function ethernet(o: { dst?: string; src?: string; vlans?: VlanTag[]; etherType: number; payload: Uint8Array }): Uint8Array {
  const tags = (o.vlans ?? []).map((t) => [...u16(t.tpid ?? 0x8100), ...u16(((t.priority ?? 0) << 13) | t.id)]);
  return concat(macBytes(o.dst ?? '02:00:00:00:00:02'), macBytes(o.src ?? '02:00:00:00:00:01'), ...tags, u16(o.etherType), o.payload);
}

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  payload?: Uint8Array;
  ttl?: number;
  tos?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
  /** IP options bytes (padded by the caller to a multiple of 4). */
  options?: Uint8Array;
  /** Overrides the computed total length. */
  totalLength?: number;
}

export function ipv4(o: Ipv4Options): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const options = o.options ?? new Uint8Array(0);
  const headerLength = 20 + options.length;
  const flags = (o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | (o.fragmentOffset ?? 0);
  return concat(
    [0x40 | (headerLength / 4), o.tos ?? 0],
    u16(o.totalLength ?? headerLength + payload.length),
    u16(o.id ?? 1),
    u16(flags),
    [o.ttl ?? 64, o.protocol],
    u16(0),
    ipv4Bytes(o.src),
    ipv4Bytes(o.dst),
    options,
    payload,
  );
}

export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  payload?: Uint8Array;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  payloadLength?: number;
}

export function ipv6(o: Ipv6Options): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const first = ((6 << 28) | ((o.trafficClass ?? 0) << 20) | (o.flowLabel ?? 0)) >>> 0;
  return concat(u32(first), u16(o.payloadLength ?? payload.length), [o.nextHeader, o.hopLimit ?? 64], ipv6Bytes(o.src), ipv6Bytes(o.dst), payload);
}

/** Hop-by-hop (0), routing (43), destination options (60): next header, length in 8-byte units minus one. */
export function ipv6OptionsHeader(nextHeader: number, payload: Uint8Array, extraUnits = 0): Uint8Array {
  const body = new Uint8Array(6 + extraUnits * 8);
  return concat([nextHeader, extraUnits], body, payload);
}

export function ipv6Fragment(nextHeader: number, o: { offset: number; more: boolean; id?: number }, payload: Uint8Array): Uint8Array {
  return concat([nextHeader, 0], u16((o.offset << 3) | (o.more ? 1 : 0)), u32(o.id ?? 0x1234), payload);
}

/** Authentication header (RFC 4302): length in 4-byte units minus two; 12 fixed bytes plus a 12-byte ICV. */
export function ipv6Authentication(nextHeader: number, payload: Uint8Array): Uint8Array {
  return concat([nextHeader, 4], u16(0), u32(0x100), u32(1), new Uint8Array(12), payload);
}

export function udp(o: { srcPort: number; dstPort: number; payload?: Uint8Array; length?: number }): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  return concat(u16(o.srcPort), u16(o.dstPort), u16(o.length ?? 8 + payload.length), u16(0), payload);
}

export function tcp(o: { srcPort: number; dstPort: number; flags: number; payload?: Uint8Array }): Uint8Array {
  return concat(u16(o.srcPort), u16(o.dstPort), u32(1000), u32(0), [0x50, o.flags], u16(65535), u16(0), u16(0), o.payload ?? []);
}

export function icmp(type: number, code: number): Uint8Array {
  return concat([type, code], u16(0), u32(0));
}

export { concat };
