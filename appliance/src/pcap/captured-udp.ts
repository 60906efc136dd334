// Finds the UDP datagram inside a captured frame: the link layer (Ethernet with VLAN tags, Linux cooked SLL
// and SLL2, raw IP, BSD loopback), IPv4 or IPv6 with extension headers, then UDP. Writes the addresses,
// ports and where the payload lies into a reused CapturedUdp and returns a FrameStatus; never throws, since
// a capture holds whatever was on the wire. Fragmented datagrams are reported, not reassembled.
import { EtherType, ethernetHeaderLength, isVlanTpid, vlanTagLength } from '../net/ethernet.js';
import { IpProtocol, ipv4MinHeaderLength, ipv6HeaderLength } from '../net/ip-protocol.js';
import { Ipv6HeaderChain, walkIpv6HeaderChain } from '../net/ipv6-header-chain.js';

/** LINKTYPE_* values (tcpdump.org/linktypes.html) this module reads. */
export const FrameLinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  null: 0,
  ethernet: 1,
  raw: 101,
  /** OpenBSD loopback: like null, but the family is in network byte order. */
  loop: 108,
  linuxSll: 113,
  ipv4: 228,
  ipv6: 229,
  linuxSll2: 276,
} as const;

export const FrameStatus = {
  ok: 0,
  unsupportedLinkType: 1,
  /** Not IPv4/IPv6 (ARP, LLDP, ...). */
  notIp: 2,
  /** IP, but not UDP. */
  notUdp: 3,
  /** Cut by the capture's snap length before the end of the UDP datagram. */
  truncated: 4,
  /** An IP fragment: the UDP datagram is incomplete in this frame. */
  fragment: 5,
  /** Headers that contradict themselves (bad IP version, lengths shorter than the header, ...). */
  malformed: 6,
} as const;

export const frameStatusNames: readonly string[] = Object.freeze(['ok', 'unsupported_link_type', 'not_ip', 'not_udp', 'truncated', 'fragment', 'malformed']);

/** Where the UDP payload of a frame is. Reuse one instance. */
export class CapturedUdp {
  ipVersion: 0 | 4 | 6 = 0;
  readonly srcAddress = new Uint8Array(16);
  readonly dstAddress = new Uint8Array(16);
  srcPort = 0;
  dstPort = 0;
  /** The payload is frame.subarray(payloadOffset, payloadOffset + payloadLength). */
  payloadOffset = 0;
  payloadLength = 0;
}

const sllHeaderLength = 16;
const sll2HeaderLength = 20;
const loopbackHeaderLength = 4;
const udpHeaderLength = 8;
// AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30. AF_INET is 2 everywhere.
const afInet = 2;
const afInet6 = new Set([10, 24, 28, 30]);

export function extractUdp(frame: Uint8Array, linkType: number, out: CapturedUdp, chain = new Ipv6HeaderChain()): number {
  out.ipVersion = 0;
  out.srcAddress.fill(0);
  out.dstAddress.fill(0);
  out.srcPort = 0;
  out.dstPort = 0;
  out.payloadOffset = 0;
  out.payloadLength = 0;
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const end = frame.length;
  let p: number;
  let etherType: number;
  switch (linkType) {
    case FrameLinkType.ethernet: {
      if (end < ethernetHeaderLength) return FrameStatus.truncated;
      etherType = v.getUint16(12);
      p = ethernetHeaderLength;
      while (isVlanTpid(etherType)) {
        if (end - p < vlanTagLength) return FrameStatus.truncated;
        etherType = v.getUint16(p + 2);
        p += vlanTagLength;
      }
      break;
    }
    case FrameLinkType.linuxSll:
      if (end < sllHeaderLength) return FrameStatus.truncated;
      etherType = v.getUint16(14);
      p = sllHeaderLength;
      break;
    case FrameLinkType.linuxSll2:
      if (end < sll2HeaderLength) return FrameStatus.truncated;
      etherType = v.getUint16(0);
      p = sll2HeaderLength;
      break;
    case FrameLinkType.null:
    case FrameLinkType.loop: {
      if (end < loopbackHeaderLength) return FrameStatus.truncated;
      // LINKTYPE_NULL is in the writer's byte order, which the file does not record: accept either.
      const family = linkType === FrameLinkType.loop ? v.getUint32(0) : Math.min(v.getUint32(0, true), v.getUint32(0));
      etherType = family === afInet ? EtherType.ipv4 : afInet6.has(family) ? EtherType.ipv6 : 0;
      p = loopbackHeaderLength;
      break;
    }
    case FrameLinkType.raw:
    case FrameLinkType.ipv4:
    case FrameLinkType.ipv6: {
      if (end < 1) return FrameStatus.truncated;
      const version = v.getUint8(0) >>> 4;
      etherType = version === 4 ? EtherType.ipv4 : version === 6 ? EtherType.ipv6 : 0;
      p = 0;
      break;
    }
    default:
      return FrameStatus.unsupportedLinkType;
  }
  if (etherType === EtherType.ipv4) return ipv4Udp(frame, v, p, out);
  if (etherType === EtherType.ipv6) return ipv6Udp(frame, v, p, out, chain);
  return FrameStatus.notIp;
}

function ipv4Udp(frame: Uint8Array, v: DataView, start: number, out: CapturedUdp): number {
  const available = frame.length - start;
  if (available < ipv4MinHeaderLength) return FrameStatus.truncated;
  const first = v.getUint8(start);
  const headerLength = (first & 0x0f) * 4;
  const totalLength = v.getUint16(start + 2);
  if (first >>> 4 !== 4 || headerLength < ipv4MinHeaderLength || totalLength < headerLength) return FrameStatus.malformed;
  out.ipVersion = 4;
  out.srcAddress.set(frame.subarray(start + 12, start + 16));
  out.dstAddress.set(frame.subarray(start + 16, start + 20));
  if (v.getUint8(start + 9) !== IpProtocol.udp) return FrameStatus.notUdp;
  const flagsAndOffset = v.getUint16(start + 6);
  if ((flagsAndOffset & 0x3fff) !== 0) return FrameStatus.fragment;
  // Ethernet pads short frames: the IP total length, not the frame, says where the datagram ends.
  return udp(frame, v, start + headerLength, start + totalLength, out);
}

function ipv6Udp(frame: Uint8Array, v: DataView, start: number, out: CapturedUdp, chain: Ipv6HeaderChain): number {
  if (frame.length - start < ipv6HeaderLength) return FrameStatus.truncated;
  if (v.getUint8(start) >>> 4 !== 6) return FrameStatus.malformed;
  const payloadLength = v.getUint16(start + 4);
  // Payload length 0 means a jumbogram (RFC 2675), which no sFlow agent sends.
  if (payloadLength === 0) return FrameStatus.malformed;
  out.ipVersion = 6;
  out.srcAddress.set(frame.subarray(start + 8, start + 24));
  out.dstAddress.set(frame.subarray(start + 24, start + 40));
  const end = start + ipv6HeaderLength + payloadLength;
  walkIpv6HeaderChain(v, start + ipv6HeaderLength, Math.min(end, frame.length), v.getUint8(start + 6), chain);
  if (chain.isFragment) return FrameStatus.fragment;
  if (!chain.complete) return FrameStatus.truncated;
  if (chain.protocol !== IpProtocol.udp) return FrameStatus.notUdp;
  return udp(frame, v, chain.offset, end, out);
}

/** UDP header at `start`; `ipEnd` is where the IP packet says its payload ends. */
function udp(frame: Uint8Array, v: DataView, start: number, ipEnd: number, out: CapturedUdp): number {
  if (ipEnd - start < udpHeaderLength) return FrameStatus.malformed;
  if (frame.length - start < udpHeaderLength) return FrameStatus.truncated;
  out.srcPort = v.getUint16(start);
  out.dstPort = v.getUint16(start + 2);
  const length = v.getUint16(start + 4);
  if (length < udpHeaderLength || start + length > ipEnd) return FrameStatus.malformed;
  if (start + length > frame.length) return FrameStatus.truncated;
  out.payloadOffset = start + udpHeaderLength;
  out.payloadLength = length - udpHeaderLength;
  return FrameStatus.ok;
}
