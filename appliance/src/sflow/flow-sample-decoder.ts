// Decodes one flow sample (compact 0:1 or expanded 0:3) and its flow records into the reused FlowSample.
// The datagram decoder has already checked that the sample lies inside the datagram; here every record must
// lie inside the sample and be long enough for its fixed fields, else the sample is malformed (false) and
// the caller drops it. Loops are bounded by the bytes left, never by a count read from the wire alone.
// Reads use the datagram's DataView directly (see datagram-decoder.ts for why there are no read helpers).
import type { Ipv6HeaderChain } from '../net/ipv6-header-chain.js';
import { Written, type FlowSample } from './flow-sample.js';
import { parseSampledPacket } from './sampled-packet.js';
import { AddressType, FlowRecordFormat, StructSize } from './sflow-formats.js';

/** Decodes the sample body in b[start, end). Returns false when the sample is malformed. */
export function decodeFlowSample(v: DataView, start: number, end: number, expanded: boolean, sample: FlowSample, chain: Ipv6HeaderChain): boolean {
  sample.reset();
  sample.expanded = expanded;
  let p = start;
  let recordCount: number;
  if (expanded) {
    if (end - p < StructSize.expandedFlowSample) return false;
    sample.sequence = v.getUint32(p);
    sample.sourceIdType = v.getUint32(p + 4);
    sample.sourceIdIndex = v.getUint32(p + 8);
    sample.samplingRate = v.getUint32(p + 12);
    sample.samplePool = v.getUint32(p + 16);
    sample.drops = v.getUint32(p + 20);
    sample.inputFormat = v.getUint32(p + 24);
    sample.inputIfIndex = v.getUint32(p + 28);
    sample.outputFormat = v.getUint32(p + 32);
    sample.outputIfIndex = v.getUint32(p + 36);
    recordCount = v.getUint32(p + 40);
    p += StructSize.expandedFlowSample;
  } else {
    if (end - p < StructSize.flowSample) return false;
    sample.sequence = v.getUint32(p);
    // Compact source id: type in the top 8 bits, index in the low 24.
    const sourceId = v.getUint32(p + 4);
    sample.sourceIdType = sourceId >>> 24;
    sample.sourceIdIndex = sourceId & 0xffffff;
    sample.samplingRate = v.getUint32(p + 8);
    sample.samplePool = v.getUint32(p + 12);
    sample.drops = v.getUint32(p + 16);
    // Compact interface: format in the top 2 bits (0 ifIndex, 1 discard reason, 2 interface count), value in 30.
    const input = v.getUint32(p + 20);
    const output = v.getUint32(p + 24);
    sample.inputFormat = input >>> 30;
    sample.inputIfIndex = input & 0x3fffffff;
    sample.outputFormat = output >>> 30;
    sample.outputIfIndex = output & 0x3fffffff;
    recordCount = v.getUint32(p + 28);
    p += StructSize.flowSample;
  }
  for (let i = 0; i < recordCount; i++) {
    if (end - p < StructSize.recordHeader) return false;
    const format = v.getUint32(p);
    const length = v.getUint32(p + 4);
    p += StructSize.recordHeader;
    if (length > end - p) return false;
    // Other enterprises' records (format word >= 4096) are skipped by their length, like unknown standard ones.
    if (!decodeFlowRecord(v, p, p + length, format, sample, chain)) return false;
    p += length;
  }
  return true;
}

function decodeFlowRecord(v: DataView, start: number, end: number, format: number, sample: FlowSample, chain: Ipv6HeaderChain): boolean {
  switch (format) {
    case FlowRecordFormat.sampledHeader:
      return decodeSampledHeader(v, start, end, sample, chain);
    case FlowRecordFormat.ethernet:
      return decodeEthernet(v, start, end, sample);
    case FlowRecordFormat.ipv4:
      return decodeIpv4Record(v, start, end, sample);
    case FlowRecordFormat.ipv6:
      return decodeIpv6Record(v, start, end, sample);
    case FlowRecordFormat.extendedSwitch:
      return decodeExtendedSwitch(v, start, end, sample);
    case FlowRecordFormat.extendedRouter:
      return decodeExtendedRouter(v, start, end, sample);
    case FlowRecordFormat.extendedGateway:
      return decodeExtendedGateway(v, start, end, sample);
    default:
      return true;
  }
}

function decodeSampledHeader(v: DataView, start: number, end: number, sample: FlowSample, chain: Ipv6HeaderChain): boolean {
  if (end - start < StructSize.sampledHeaderFixed) return false;
  const headerLength = v.getUint32(start + 12);
  const headerStart = start + StructSize.sampledHeaderFixed;
  if (headerLength > end - headerStart) return false;
  // The packet itself is the best source: it replaces what an IPv4/IPv6/Ethernet record already filled in
  // (reset() cleared the packet fields before this sample, so only such a record makes a second reset needed).
  if (sample.written & Written.packetRecord) sample.resetPacket();
  sample.packetSource = FlowRecordFormat.sampledHeader;
  sample.headerProtocol = v.getUint32(start);
  sample.frameLength = v.getUint32(start + 4);
  sample.stripped = v.getUint32(start + 8);
  sample.headerLength = headerLength;
  sample.headerOffset = headerStart;
  parseSampledPacket(v, headerStart, headerStart + headerLength, sample.headerProtocol, sample, chain);
  return true;
}

function decodeEthernet(v: DataView, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.ethernet) return false;
  if (sample.packetSource === FlowRecordFormat.sampledHeader) return true;
  sample.written |= Written.packetRecord;
  // Each 6-byte MAC is XDR opaque[6], padded to 8.
  sample.frameLength = v.getUint32(start);
  sample.srcMac = v.getUint16(start + 4) * 4294967296 + v.getUint32(start + 6);
  sample.dstMac = v.getUint16(start + 12) * 4294967296 + v.getUint32(start + 14);
  sample.etherType = v.getUint32(start + 20);
  return true;
}

function decodeIpv4Record(v: DataView, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.ipv4) return false;
  if (sample.packetSource === FlowRecordFormat.sampledHeader) return true;
  const length = v.getUint32(start);
  sample.written |= Written.packetRecord | Written.addresses4;
  sample.packetSource = FlowRecordFormat.ipv4;
  sample.ipVersion = 4;
  sample.ipLength = length;
  // An Ethernet record's length counts the whole frame; keep it when one came first.
  if (sample.frameLength === 0) sample.frameLength = length;
  sample.protocol = v.getUint32(start + 4);
  // An IPv6 record earlier in the same sample may have filled all 16 bytes.
  if (sample.written & Written.addresses16) {
    sample.srcAddress.fill(0);
    sample.dstAddress.fill(0);
  }
  for (let i = 0; i < 4; i++) {
    sample.srcAddress[i] = v.getUint8(start + 8 + i);
    sample.dstAddress[i] = v.getUint8(start + 12 + i);
  }
  sample.srcV4 = v.getUint32(start + 8);
  sample.dstV4 = v.getUint32(start + 12);
  sample.srcPort = v.getUint32(start + 16);
  sample.dstPort = v.getUint32(start + 20);
  sample.tcpFlags = v.getUint32(start + 24);
  const tos = v.getUint32(start + 28) & 0xff;
  sample.dscp = tos >>> 2;
  sample.ecn = tos & 3;
  sample.hasL4 = true;
  return true;
}

function decodeIpv6Record(v: DataView, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.ipv6) return false;
  if (sample.packetSource === FlowRecordFormat.sampledHeader) return true;
  const length = v.getUint32(start);
  sample.written |= Written.packetRecord | Written.addresses16;
  sample.packetSource = FlowRecordFormat.ipv6;
  sample.ipVersion = 6;
  sample.ipLength = length;
  if (sample.frameLength === 0) sample.frameLength = length;
  sample.protocol = v.getUint32(start + 4);
  for (let i = 0; i < 16; i++) {
    sample.srcAddress[i] = v.getUint8(start + 8 + i);
    sample.dstAddress[i] = v.getUint8(start + 24 + i);
  }
  sample.srcV4 = 0;
  sample.dstV4 = 0;
  sample.srcPort = v.getUint32(start + 40);
  sample.dstPort = v.getUint32(start + 44);
  sample.tcpFlags = v.getUint32(start + 48);
  // "IP priority": read as the traffic class, the IPv6 counterpart of the IPv4 TOS byte.
  const trafficClass = v.getUint32(start + 52) & 0xff;
  sample.dscp = trafficClass >>> 2;
  sample.ecn = trafficClass & 3;
  sample.hasL4 = true;
  return true;
}

function decodeExtendedSwitch(v: DataView, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.extendedSwitch) return false;
  sample.written |= Written.switch;
  sample.hasSwitch = true;
  sample.srcVlan = v.getUint32(start);
  sample.srcPriority = v.getUint32(start + 4);
  sample.dstVlan = v.getUint32(start + 8);
  sample.dstPriority = v.getUint32(start + 12);
  return true;
}

function decodeExtendedRouter(v: DataView, start: number, end: number, sample: FlowSample): boolean {
  sample.written |= Written.router;
  const p = readNextHop(v, start, end, sample.routerNextHop);
  if (p < 0 || end - p < 8) return false;
  sample.hasRouter = true;
  sample.routerNextHopFamily = familyOfAddressType(v.getUint32(start));
  sample.srcMaskLen = v.getUint32(p);
  sample.dstMaskLen = v.getUint32(p + 4);
  return true;
}

function decodeExtendedGateway(v: DataView, start: number, end: number, sample: FlowSample): boolean {
  sample.written |= Written.gateway;
  let p = readNextHop(v, start, end, sample.gatewayNextHop);
  if (p < 0 || end - p < 16) return false;
  sample.gatewayNextHopFamily = familyOfAddressType(v.getUint32(start));
  sample.gatewayAs = v.getUint32(p);
  sample.srcAs = v.getUint32(p + 4);
  sample.srcPeerAs = v.getUint32(p + 8);
  const segmentCount = v.getUint32(p + 12);
  p += 16;
  const asPath = sample.asPath;
  for (let s = 0; s < segmentCount; s++) {
    // Segment: type (AS_SET 1 / AS_SEQUENCE 2), count, ASNs. Both kinds are flattened in order.
    if (end - p < 8) return false;
    const asnCount = v.getUint32(p + 4);
    p += 8;
    if (asnCount > (end - p) / 4) return false;
    const keep = Math.min(asnCount, asPath.length - sample.asPathLength);
    for (let k = 0; k < keep; k++) asPath[sample.asPathLength++] = v.getUint32(p + 4 * k);
    p += 4 * asnCount;
  }
  if (end - p < 4) return false;
  const communityCount = v.getUint32(p);
  p += 4;
  if (communityCount > (end - p) / 4) return false;
  const communities = sample.communities;
  const keep = Math.min(communityCount, communities.length);
  for (let k = 0; k < keep; k++) communities[k] = v.getUint32(p + 4 * k);
  sample.communityCount = keep;
  p += 4 * communityCount;
  if (end - p < 4) return false;
  sample.localPref = v.getUint32(p);
  sample.hasGateway = true;
  return true;
}

/** Reads an address union into `into` (zeroed first); returns the offset after it, or -1 when malformed. */
function readNextHop(v: DataView, start: number, end: number, into: Uint8Array): number {
  if (end - start < 4) return -1;
  const type = v.getUint32(start);
  const p = start + 4;
  into.fill(0);
  if (type === AddressType.unknown) return p;
  const length = type === AddressType.ipv4 ? 4 : type === AddressType.ipv6 ? 16 : -1;
  if (length < 0 || end - p < length) return -1;
  for (let i = 0; i < length; i++) into[i] = v.getUint8(p + i);
  return p + length;
}

function familyOfAddressType(type: number): 0 | 4 | 6 {
  return type === AddressType.ipv4 ? 4 : type === AddressType.ipv6 ? 6 : 0;
}
