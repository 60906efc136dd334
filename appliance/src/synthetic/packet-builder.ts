// Builds raw packets byte by byte for tests, labs and the demo: Ethernet (optional 802.1Q / QinQ tags),
// IPv4 or IPv6 (with extension headers), then UDP, TCP, ICMP, ICMPv6 or GRE, then a payload. Every length
// and checksum is computed the way a real stack does, so what comes out is accepted by tshark, pmacct and
// the kernel alike. Described with plain option objects so a test reads like the packet it wants.
//
// Owns packet bytes only. It does not write files (pcap/pcap-writer.ts does), encode sFlow (synthetic/sflow-*
// does) or send anything. It is not on a hot path: clarity wins over allocation here.
import { ipv4Bytes, ipv6Bytes, macBytes } from './address-bytes.js';
import { internetChecksum, pseudoHeaderSum } from './internet-checksum.js';

export const EtherType = { IPV4: 0x0800, IPV6: 0x86dd, VLAN: 0x8100, QINQ: 0x88a8 } as const;

export const IpProtocol = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ICMPV6: 58,
  NO_NEXT_HEADER: 59,
  DESTINATION_OPTIONS: 60,
} as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;
export type TcpFlagName = keyof typeof TcpFlag;

/** Ethernet's minimum frame without the 4-byte FCS; a NIC pads shorter frames with zeros up to it. */
export const ETHERNET_MIN_FRAME = 60;

export interface VlanTag {
  /** VLAN id, 0..4095. */
  id: number;
  /** 802.1p priority (PCP), 0..7. */
  priority?: number;
  dropEligible?: boolean;
  /** Tag protocol id. Default 0x8100; with several tags all but the innermost default to 0x88a8 (802.1ad). */
  tpid?: number;
}

export interface EthernetOptions {
  /** Default 02:00:00:00:00:01 (locally administered, never a real vendor). */
  src?: string;
  /** Default 02:00:00:00:00:02. */
  dst?: string;
  /** 802.1Q tags, outermost first. Two tags make a QinQ frame. */
  vlans?: readonly VlanTag[];
  /** EtherType after the tags. Default: from the IP version. */
  etherType?: number;
  /** Pad to the 60-byte minimum as a NIC would on the wire. Default true. */
  padToMinimum?: boolean;
}

export interface Ipv4Options {
  version: 4;
  src: string;
  dst: string;
  /** Default 64. */
  ttl?: number;
  /** 0..63. */
  dscp?: number;
  /** 0..3. */
  ecn?: number;
  /** Identification field. Default 0. */
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in 8-byte units, as carried on the wire. */
  fragmentOffset?: number;
  /** Protocol field. Default: the transport's; required when there is no transport. */
  protocol?: number;
  /** Raw IPv4 options, padded with zeros (End of Option List) to a multiple of 4 bytes. */
  options?: Uint8Array;
}

export type Ipv6ExtensionHeader =
  | { kind: 'hop-by-hop'; /** Option TLVs; padded with Pad1/PadN to a multiple of 8. */ options?: Uint8Array }
  | { kind: 'destination-options'; options?: Uint8Array }
  | {
      kind: 'routing';
      /** 0 (deprecated source route), 2 (mobility) or 4 (segment routing). Default 4. */
      routingType?: 0 | 2 | 4;
      /** Default: addresses.length. */
      segmentsLeft?: number;
      /** The route in travel order; the last one is the final destination. */
      addresses: readonly string[];
    }
  | {
      kind: 'fragment';
      /** In 8-byte units. */
      offset?: number;
      moreFragments?: boolean;
      identification?: number;
    };

export interface Ipv6Options {
  version: 6;
  src: string;
  dst: string;
  /** Default 64. */
  hopLimit?: number;
  /** Traffic class = dscp << 2 | ecn. */
  dscp?: number;
  ecn?: number;
  /** 20 bits. */
  flowLabel?: number;
  /** In the order they appear on the wire, each chained to the next by its next-header field. */
  extensionHeaders?: readonly Ipv6ExtensionHeader[];
  /** Upper-layer protocol after the extension headers. Default: the transport's, else 59 (no next header). */
  protocol?: number;
}

export type IpOptions = Ipv4Options | Ipv6Options;

export interface UdpOptions {
  protocol: 'udp';
  srcPort: number;
  dstPort: number;
}

export interface TcpOptions {
  protocol: 'tcp';
  srcPort: number;
  dstPort: number;
  /** A byte of TcpFlag bits, or their names. Default none. */
  flags?: number | readonly TcpFlagName[];
  seq?: number;
  ack?: number;
  /** Default 65535. */
  window?: number;
  urgentPointer?: number;
  /** Raw TCP options, padded with zeros (End of Option List) to a multiple of 4 bytes. */
  options?: Uint8Array;
}

export interface IcmpOptions {
  /** 'icmp' for ICMP over IPv4, 'icmpv6' for ICMPv6 (whose checksum covers the IPv6 pseudo-header). */
  protocol: 'icmp' | 'icmpv6';
  type: number;
  code: number;
  /** The 4 bytes after the checksum (identifier and sequence for echo), as an unsigned 32-bit number. */
  restOfHeader?: number;
}

export interface GreOptions {
  protocol: 'gre';
  /** EtherType of what GRE carries. Default: from the payload's IP version nibble. */
  protocolType?: number;
  key?: number;
  sequence?: number;
  /** Include (and compute) the optional GRE checksum. */
  checksum?: boolean;
}

export type TransportOptions = UdpOptions | TcpOptions | IcmpOptions | GreOptions;

export interface PacketSpec {
  ip: IpOptions;
  /** Omit for a packet with only a raw payload (for example a non-first fragment); then give ip.protocol. */
  transport?: TransportOptions;
  /** Exact payload bytes (for GRE: the inner packet, e.g. from buildIpPacket). */
  payload?: Uint8Array;
  /** Payload of this many bytes of a repeating pattern. */
  payloadSize?: number;
  /** Grow the payload so the IP packet has exactly this many bytes (buildIpPacket). */
  packetSize?: number;
}

export interface FrameSpec extends PacketSpec {
  ethernet?: EthernetOptions;
  /** Grow the payload so the frame (without FCS) has exactly this many bytes, at least 60 unless padding is off. */
  frameSize?: number;
}

/** A transport header plus its payload, with its checksum filled in, and the protocol number it goes under. */
export interface Segment {
  protocol: number;
  bytes: Uint8Array;
}

// ---------------------------------------------------------------------------------------------------------
// Field checks: a value that does not fit its field would silently wrap, which makes a test lie.

function field(name: string, value: number, bits: number): number {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer 0..${max}, got ${value}`);
  }
  return value;
}

function padTo(bytes: Uint8Array, multiple: number): Uint8Array {
  const length = Math.ceil(bytes.length / multiple) * multiple;
  if (length === bytes.length) return bytes;
  const out = new Uint8Array(length);
  out.set(bytes);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A payload whose bytes count up from 0 and wrap: recognisable in a hex dump, and never all zero. */
export function patternPayload(size: number): Uint8Array {
  field('payloadSize', size, 31);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = i & 0xff;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Transport

function tcpFlagsByte(flags: TcpOptions['flags']): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return field('tcp flags', flags, 8);
  let byte = 0;
  for (const name of flags) {
    const bit = TcpFlag[name];
    if (bit === undefined) throw new TypeError(`unknown TCP flag ${JSON.stringify(name)}`);
    byte |= bit;
  }
  return byte;
}

function transportHeaderLength(transport: TransportOptions | undefined): number {
  switch (transport?.protocol) {
    case undefined:
      return 0;
    case 'udp':
      return 8;
    case 'tcp':
      return 20 + (transport.options ? padTo(transport.options, 4).length : 0);
    case 'icmp':
    case 'icmpv6':
      return 8;
    case 'gre':
      return 4 + (transport.checksum ? 4 : 0) + (transport.key !== undefined ? 4 : 0) + (transport.sequence !== undefined ? 4 : 0);
  }
}

function transportProtocolNumber(transport: TransportOptions): number {
  switch (transport.protocol) {
    case 'udp':
      return IpProtocol.UDP;
    case 'tcp':
      return IpProtocol.TCP;
    case 'icmp':
      return IpProtocol.ICMP;
    case 'icmpv6':
      return IpProtocol.ICMPV6;
    case 'gre':
      return IpProtocol.GRE;
  }
}

interface AddressPair {
  src: Uint8Array;
  /** The destination the upper-layer checksum covers: the final one when a routing header is present. */
  checksumDst: Uint8Array;
}

function addressPair(ip: IpOptions): AddressPair {
  if (ip.version === 4) return { src: ipv4Bytes(ip.src), checksumDst: ipv4Bytes(ip.dst) };
  let checksumDst = ipv6Bytes(ip.dst);
  for (const header of ip.extensionHeaders ?? []) {
    const segmentsLeft = header.kind === 'routing' ? header.segmentsLeft ?? header.addresses.length : 0;
    // RFC 8200 §8.1: with a routing header still to be followed, the pseudo-header names the final hop.
    if (header.kind === 'routing' && segmentsLeft > 0 && header.addresses.length > 0) {
      checksumDst = ipv6Bytes(header.addresses[header.addresses.length - 1]!);
    }
  }
  return { src: ipv6Bytes(ip.src), checksumDst };
}

function writeU16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 8;
  out[at + 1] = value & 0xff;
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(at, value >>> 0);
}

/** Builds the transport header + payload and fills in its checksum (with the pseudo-header where due). */
function encodeTransport(transport: TransportOptions, ip: IpOptions, payload: Uint8Array): Uint8Array {
  const headerLength = transportHeaderLength(transport);
  const segment = new Uint8Array(headerLength + payload.length);
  segment.set(payload, headerLength);
  const protocol = transportProtocolNumber(transport);
  const withPseudoHeader = (): number => {
    const { src, checksumDst } = addressPair(ip);
    return pseudoHeaderSum(src, checksumDst, protocol, segment.length);
  };
  switch (transport.protocol) {
    case 'udp': {
      writeU16(segment, 0, field('udp srcPort', transport.srcPort, 16));
      writeU16(segment, 2, field('udp dstPort', transport.dstPort, 16));
      writeU16(segment, 4, field('udp length', segment.length, 16));
      const sum = internetChecksum(segment, withPseudoHeader());
      // A computed 0 is sent as 0xffff: 0 means "no checksum" in UDP.
      writeU16(segment, 6, sum === 0 ? 0xffff : sum);
      break;
    }
    case 'tcp': {
      writeU16(segment, 0, field('tcp srcPort', transport.srcPort, 16));
      writeU16(segment, 2, field('tcp dstPort', transport.dstPort, 16));
      writeU32(segment, 4, field('tcp seq', transport.seq ?? 0, 32));
      writeU32(segment, 8, field('tcp ack', transport.ack ?? 0, 32));
      segment[12] = (headerLength / 4) << 4;
      segment[13] = tcpFlagsByte(transport.flags);
      writeU16(segment, 14, field('tcp window', transport.window ?? 65535, 16));
      writeU16(segment, 18, field('tcp urgentPointer', transport.urgentPointer ?? 0, 16));
      if (transport.options) segment.set(padTo(transport.options, 4), 20);
      writeU16(segment, 16, internetChecksum(segment, withPseudoHeader()));
      break;
    }
    case 'icmp':
    case 'icmpv6': {
      segment[0] = field('icmp type', transport.type, 8);
      segment[1] = field('icmp code', transport.code, 8);
      writeU32(segment, 4, field('icmp restOfHeader', transport.restOfHeader ?? 0, 32));
      // ICMPv4's checksum covers only the message; ICMPv6's also the pseudo-header (RFC 4443 §2.3).
      writeU16(segment, 2, internetChecksum(segment, transport.protocol === 'icmpv6' ? withPseudoHeader() : 0));
      break;
    }
    case 'gre': {
      const defaultType = payload.length > 0 && payload[0]! >>> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
      let flags = 0;
      if (transport.checksum) flags |= 0x8000;
      if (transport.key !== undefined) flags |= 0x2000;
      if (transport.sequence !== undefined) flags |= 0x1000;
      writeU16(segment, 0, flags);
      writeU16(segment, 2, field('gre protocolType', transport.protocolType ?? defaultType, 16));
      let at = 4;
      const checksumAt = transport.checksum ? at : -1;
      if (transport.checksum) at += 4;
      if (transport.key !== undefined) {
        writeU32(segment, at, field('gre key', transport.key, 32));
        at += 4;
      }
      if (transport.sequence !== undefined) writeU32(segment, at, field('gre sequence', transport.sequence, 32));
      if (checksumAt >= 0) writeU16(segment, checksumAt, internetChecksum(segment));
      break;
    }
  }
  return segment;
}

// ---------------------------------------------------------------------------------------------------------
// IP

function ipv6ExtensionLength(header: Ipv6ExtensionHeader): number {
  switch (header.kind) {
    case 'hop-by-hop':
    case 'destination-options':
      return Math.ceil((2 + (header.options?.length ?? 0)) / 8) * 8;
    case 'routing':
      return 8 + 16 * header.addresses.length;
    case 'fragment':
      return 8;
  }
}

function ipv6ExtensionNumber(header: Ipv6ExtensionHeader): number {
  switch (header.kind) {
    case 'hop-by-hop':
      return IpProtocol.HOP_BY_HOP;
    case 'destination-options':
      return IpProtocol.DESTINATION_OPTIONS;
    case 'routing':
      return IpProtocol.ROUTING;
    case 'fragment':
      return IpProtocol.FRAGMENT;
  }
}

function ipHeaderLength(ip: IpOptions): number {
  if (ip.version === 4) return 20 + (ip.options ? padTo(ip.options, 4).length : 0);
  return 40 + (ip.extensionHeaders ?? []).reduce((n, h) => n + ipv6ExtensionLength(h), 0);
}

function encodeIpv6Extension(header: Ipv6ExtensionHeader, nextHeader: number): Uint8Array {
  const out = new Uint8Array(ipv6ExtensionLength(header));
  out[0] = nextHeader;
  switch (header.kind) {
    case 'hop-by-hop':
    case 'destination-options': {
      const options = header.options ?? new Uint8Array(0);
      out.set(options, 2);
      const padding = out.length - 2 - options.length;
      // RFC 8200 §4.2: Pad1 is a single zero byte; PadN is type 1, length, then zeros.
      if (padding === 1) out[2 + options.length] = 0;
      else if (padding >= 2) {
        out[2 + options.length] = 1;
        out[3 + options.length] = padding - 2;
      }
      break;
    }
    case 'routing': {
      const routingType = header.routingType ?? 4;
      if (routingType !== 0 && routingType !== 2 && routingType !== 4) {
        throw new RangeError(`routing header type must be 0, 2 or 4, got ${String(routingType)}`);
      }
      out[2] = routingType;
      out[3] = field('routing segmentsLeft', header.segmentsLeft ?? header.addresses.length, 8);
      const addresses = header.addresses.map(ipv6Bytes);
      if (routingType === 4) {
        // RFC 8754: Last Entry, flags, tag; the segment list is stored final destination first.
        out[4] = field('routing last entry', addresses.length - 1, 8);
        addresses.reverse();
      }
      addresses.forEach((a, i) => out.set(a, 8 + 16 * i));
      break;
    }
    case 'fragment': {
      writeU16(out, 2, (field('fragment offset', header.offset ?? 0, 13) << 3) | (header.moreFragments ? 1 : 0));
      writeU32(out, 4, field('fragment identification', header.identification ?? 0, 32));
      break;
    }
  }
  // Header length in 8-byte units after the first 8; the fragment header has a reserved byte there instead.
  out[1] = header.kind === 'fragment' ? 0 : out.length / 8 - 1;
  return out;
}

function upperProtocol(spec: PacketSpec): number {
  if (spec.ip.protocol !== undefined) return field('ip protocol', spec.ip.protocol, 8);
  if (spec.transport) return transportProtocolNumber(spec.transport);
  if (spec.ip.version === 6) return IpProtocol.NO_NEXT_HEADER;
  throw new TypeError('an IPv4 packet without a transport needs ip.protocol');
}

function encodeIpHeader(ip: IpOptions, protocol: number, upperLength: number): Uint8Array {
  if (ip.version === 4) {
    const options = ip.options ? padTo(ip.options, 4) : new Uint8Array(0);
    const header = new Uint8Array(20 + options.length);
    header[0] = 0x40 | (header.length / 4);
    header[1] = (field('dscp', ip.dscp ?? 0, 6) << 2) | field('ecn', ip.ecn ?? 0, 2);
    writeU16(header, 2, field('ipv4 total length', header.length + upperLength, 16));
    writeU16(header, 4, field('ipv4 id', ip.id ?? 0, 16));
    const flags = (ip.dontFragment ? 0x4000 : 0) | (ip.moreFragments ? 0x2000 : 0);
    writeU16(header, 6, flags | field('fragmentOffset', ip.fragmentOffset ?? 0, 13));
    header[8] = field('ttl', ip.ttl ?? 64, 8);
    header[9] = protocol;
    header.set(ipv4Bytes(ip.src), 12);
    header.set(ipv4Bytes(ip.dst), 16);
    header.set(options, 20);
    writeU16(header, 10, internetChecksum(header));
    return header;
  }
  const extensions = ip.extensionHeaders ?? [];
  const fixed = new Uint8Array(40);
  const trafficClass = (field('dscp', ip.dscp ?? 0, 6) << 2) | field('ecn', ip.ecn ?? 0, 2);
  writeU32(fixed, 0, ((6 << 28) | (trafficClass << 20) | field('flowLabel', ip.flowLabel ?? 0, 20)) >>> 0);
  const extensionBytes = extensions.map((h, i) =>
    encodeIpv6Extension(h, i + 1 < extensions.length ? ipv6ExtensionNumber(extensions[i + 1]!) : protocol),
  );
  const extensionLength = extensionBytes.reduce((n, b) => n + b.length, 0);
  writeU16(fixed, 4, field('ipv6 payload length', extensionLength + upperLength, 16));
  fixed[6] = extensions.length > 0 ? ipv6ExtensionNumber(extensions[0]!) : protocol;
  fixed[7] = field('hopLimit', ip.hopLimit ?? 64, 8);
  fixed.set(ipv6Bytes(ip.src), 8);
  fixed.set(ipv6Bytes(ip.dst), 24);
  return concat([fixed, ...extensionBytes]);
}

// ---------------------------------------------------------------------------------------------------------
// Putting it together

function payloadOf(spec: PacketSpec, overhead: number, targetSize: number | undefined, targetName: string): Uint8Array {
  const given = [spec.payload !== undefined, spec.payloadSize !== undefined, targetSize !== undefined].filter(Boolean);
  if (given.length > 1) throw new TypeError(`give at most one of payload, payloadSize, ${targetName}`);
  if (spec.payload) return spec.payload;
  if (spec.payloadSize !== undefined) return patternPayload(spec.payloadSize);
  if (targetSize !== undefined) {
    if (targetSize < overhead) throw new RangeError(`${targetName} ${targetSize} is smaller than the ${overhead} bytes of headers`);
    return patternPayload(targetSize - overhead);
  }
  return new Uint8Array(0);
}

/** The transport header and payload with its checksum, ready to go under an IP header (or be fragmented). */
export function buildSegment(spec: PacketSpec): Segment {
  const payload = payloadOf(spec, 0, undefined, 'packetSize');
  return buildSegmentWithPayload(spec, payload);
}

function buildSegmentWithPayload(spec: PacketSpec, payload: Uint8Array): Segment {
  const protocol = upperProtocol(spec);
  const bytes = spec.transport ? encodeTransport(spec.transport, spec.ip, payload) : payload;
  return { protocol, bytes };
}

function buildIpWithOverhead(spec: PacketSpec, extraOverhead: number, targetSize: number | undefined, targetName: string): Uint8Array {
  const overhead = extraOverhead + ipHeaderLength(spec.ip) + transportHeaderLength(spec.transport);
  const payload = payloadOf(spec, overhead, targetSize, targetName);
  const segment = buildSegmentWithPayload(spec, payload);
  return concat([encodeIpHeader(spec.ip, segment.protocol, segment.bytes.length), segment.bytes]);
}

/** An IP packet (no link layer), e.g. for a raw-IP pcap (LinkType.RAW) or as a GRE payload. */
export function buildIpPacket(spec: PacketSpec): Uint8Array {
  return buildIpWithOverhead(spec, 0, spec.packetSize, 'packetSize');
}

/** The Ethernet header with its VLAN tags for a frame whose payload is `etherType`. */
export function encodeEthernetHeader(options: EthernetOptions, etherType: number): Uint8Array {
  const vlans = options.vlans ?? [];
  const header = new Uint8Array(14 + 4 * vlans.length);
  header.set(macBytes(options.dst ?? '02:00:00:00:00:02'), 0);
  header.set(macBytes(options.src ?? '02:00:00:00:00:01'), 6);
  vlans.forEach((tag, i) => {
    const innermost = i === vlans.length - 1;
    const tpid = tag.tpid ?? (innermost ? EtherType.VLAN : EtherType.QINQ);
    const tci = (field('vlan priority', tag.priority ?? 0, 3) << 13) | (tag.dropEligible ? 0x1000 : 0) | field('vlan id', tag.id, 12);
    writeU16(header, 12 + 4 * i, field('vlan tpid', tpid, 16));
    writeU16(header, 14 + 4 * i, tci);
  });
  writeU16(header, 12 + 4 * vlans.length, field('etherType', etherType, 16));
  return header;
}

/** A whole Ethernet frame without FCS, as a capture on a NIC shows it. */
export function buildFrame(spec: FrameSpec): Uint8Array {
  const ethernet = spec.ethernet ?? {};
  const etherType = ethernet.etherType ?? (spec.ip.version === 4 ? EtherType.IPV4 : EtherType.IPV6);
  const ethernetHeader = encodeEthernetHeader(ethernet, etherType);
  const pad = ethernet.padToMinimum ?? true;
  if (pad && spec.frameSize !== undefined && spec.frameSize < ETHERNET_MIN_FRAME) {
    throw new RangeError(`frameSize ${spec.frameSize} is below Ethernet's ${ETHERNET_MIN_FRAME}: set ethernet.padToMinimum false for a runt`);
  }
  const packet = buildIpWithOverhead(spec, ethernetHeader.length, spec.frameSize, 'frameSize');
  const padding = pad ? Math.max(0, ETHERNET_MIN_FRAME - ethernetHeader.length - packet.length) : 0;
  return concat([ethernetHeader, packet, new Uint8Array(padding)]);
}
