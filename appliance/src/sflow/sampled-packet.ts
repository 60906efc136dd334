// Parses the bytes of a sampled-header record (Ethernet with 802.1Q/QinQ tags, raw IPv4, raw IPv6) down to
// the transport header, into the reused FlowSample. A sampled header is cut at the agent's header size, so
// running out of bytes is normal: fields are filled as far as the bytes go and nothing is an error here.
// Allocates nothing: reads go through the datagram's DataView (getters TurboFan lowers inline), 48-bit MACs
// are composed where they are stored (a helper returning a double would box it whenever V8 declines to
// inline the call), and the IPv6 chain walker writes into a caller-owned object.
import { EtherType, ethernetHeaderLength, isVlanTpid, vlanTagLength } from '../net/ethernet.js';
import { hasPorts, IpProtocol, ipv4MinHeaderLength, ipv6HeaderLength } from '../net/ip-protocol.js';
import { walkIpv6HeaderChain, type Ipv6HeaderChain } from '../net/ipv6-header-chain.js';
import { Written, type FlowSample } from './flow-sample.js';
import { HeaderProtocol } from './sflow-formats.js';

/** Tags beyond the first two are skipped; the cap bounds the walk on a frame made of nothing but tags. */
const maxVlanTags = 8;

export function parseSampledPacket(
  v: DataView,
  start: number,
  end: number,
  headerProtocol: number,
  sample: FlowSample,
  chain: Ipv6HeaderChain,
): void {
  if (headerProtocol === HeaderProtocol.ethernet) parseEthernet(v, start, end, sample, chain);
  else if (headerProtocol === HeaderProtocol.ipv4) parseIpv4(v, start, end, sample);
  else if (headerProtocol === HeaderProtocol.ipv6) parseIpv6(v, start, end, sample, chain);
}

function parseEthernet(v: DataView, start: number, end: number, sample: FlowSample, chain: Ipv6HeaderChain): void {
  if (end - start < ethernetHeaderLength) return;
  sample.dstMac = v.getUint16(start) * 4294967296 + v.getUint32(start + 2);
  sample.srcMac = v.getUint16(start + 6) * 4294967296 + v.getUint32(start + 8);
  let p = start + 12;
  let etherType = v.getUint16(p);
  p += 2;
  for (let tags = 0; isVlanTpid(etherType) && tags < maxVlanTags; tags++) {
    if (end - p < vlanTagLength) return;
    const vlanId = v.getUint16(p) & 0x0fff;
    if (tags === 0) sample.vlanOuter = vlanId;
    else if (tags === 1) sample.vlanInner = vlanId;
    etherType = v.getUint16(p + 2);
    p += vlanTagLength;
  }
  sample.etherType = etherType;
  if (etherType === EtherType.ipv4) parseIpv4(v, p, end, sample);
  else if (etherType === EtherType.ipv6) parseIpv6(v, p, end, sample, chain);
}

function parseIpv4(v: DataView, start: number, end: number, sample: FlowSample): void {
  if (end - start < ipv4MinHeaderLength) return;
  const versionAndLength = v.getUint8(start);
  const headerLength = (versionAndLength & 0x0f) * 4;
  if (versionAndLength >>> 4 !== 4 || headerLength < ipv4MinHeaderLength) return;
  const tos = v.getUint8(start + 1);
  const flagsAndOffset = v.getUint16(start + 6);
  sample.ipVersion = 4;
  sample.dscp = tos >>> 2;
  sample.ecn = tos & 3;
  sample.ipLength = v.getUint16(start + 2);
  sample.dontFragment = (flagsAndOffset & 0x4000) !== 0;
  sample.moreFragments = (flagsAndOffset & 0x2000) !== 0;
  sample.fragmentOffset = flagsAndOffset & 0x1fff;
  sample.isFragment = sample.moreFragments || sample.fragmentOffset !== 0;
  sample.ttl = v.getUint8(start + 8);
  sample.protocol = v.getUint8(start + 9);
  sample.written |= Written.addresses4;
  copyIpv4(v, start + 12, sample.srcAddress);
  copyIpv4(v, start + 16, sample.dstAddress);
  sample.srcV4 = v.getUint32(start + 12);
  sample.dstV4 = v.getUint32(start + 16);
  // A non-first fragment carries payload bytes where the transport header would be.
  if (sample.fragmentOffset === 0 && end - start >= headerLength) parseTransport(v, start + headerLength, end, sample.protocol, false, sample);
}

function parseIpv6(v: DataView, start: number, end: number, sample: FlowSample, chain: Ipv6HeaderChain): void {
  if (end - start < ipv6HeaderLength) return;
  const first = v.getUint32(start);
  if (first >>> 28 !== 6) return;
  const trafficClass = (first >>> 20) & 0xff;
  sample.ipVersion = 6;
  sample.dscp = trafficClass >>> 2;
  sample.ecn = trafficClass & 3;
  sample.flowLabel = first & 0xfffff;
  sample.ipLength = v.getUint16(start + 4) + ipv6HeaderLength;
  sample.ttl = v.getUint8(start + 7);
  sample.written |= Written.addresses16;
  for (let i = 0; i < 16; i++) {
    sample.srcAddress[i] = v.getUint8(start + 8 + i);
    sample.dstAddress[i] = v.getUint8(start + 24 + i);
  }
  walkIpv6HeaderChain(v, start + ipv6HeaderLength, end, v.getUint8(start + 6), chain);
  sample.protocol = chain.protocol;
  sample.isFragment = chain.isFragment;
  sample.fragmentOffset = chain.fragmentOffset;
  sample.moreFragments = chain.moreFragments;
  if (chain.complete && chain.fragmentOffset === 0) parseTransport(v, chain.offset, end, chain.protocol, true, sample);
}

function parseTransport(v: DataView, start: number, end: number, protocol: number, ipv6: boolean, sample: FlowSample): void {
  const available = end - start;
  if (hasPorts(protocol)) {
    // TCP flags sit at byte 13; a TCP header cut before them is reported without L4 rather than with flags 0.
    if (available < (protocol === IpProtocol.tcp ? 14 : 4)) return;
    sample.srcPort = v.getUint16(start);
    sample.dstPort = v.getUint16(start + 2);
    if (protocol === IpProtocol.tcp) sample.tcpFlags = v.getUint8(start + 13);
    sample.hasL4 = true;
  } else if (protocol === (ipv6 ? IpProtocol.icmpv6 : IpProtocol.icmp)) {
    if (available < 2) return;
    sample.icmpType = v.getUint8(start);
    sample.icmpCode = v.getUint8(start + 1);
    sample.hasL4 = true;
  }
}

function copyIpv4(v: DataView, offset: number, into: Uint8Array): void {
  into[0] = v.getUint8(offset);
  into[1] = v.getUint8(offset + 1);
  into[2] = v.getUint8(offset + 2);
  into[3] = v.getUint8(offset + 3);
}
