// Decodes one flow sample (compact 0:1 or expanded 0:3) and its flow records into the reused FlowSample.
// The datagram decoder has already checked that the sample lies inside the datagram; here every record must
// lie inside the sample and be long enough for its fixed fields, else the sample is malformed (false) and
// the caller drops it. Loops are bounded by the bytes left, never by a count read from the wire alone.
import { readMac, readU32 } from '../net/big-endian.js';
import type { Ipv6HeaderChain } from '../net/ipv6-header-chain.js';
import type { FlowSample } from './flow-sample.js';
import { parseSampledPacket } from './sampled-packet.js';
import { AddressType, FlowRecordFormat, StructSize } from './sflow-formats.js';

/** Decodes the sample body in b[start, end). Returns false when the sample is malformed. */
export function decodeFlowSample(b: Uint8Array, start: number, end: number, expanded: boolean, sample: FlowSample, chain: Ipv6HeaderChain): boolean {
  sample.reset();
  sample.expanded = expanded;
  let p = start;
  let recordCount: number;
  if (expanded) {
    if (end - p < StructSize.expandedFlowSample) return false;
    sample.sequence = readU32(b, p);
    sample.sourceIdType = readU32(b, p + 4);
    sample.sourceIdIndex = readU32(b, p + 8);
    sample.samplingRate = readU32(b, p + 12);
    sample.samplePool = readU32(b, p + 16);
    sample.drops = readU32(b, p + 20);
    sample.inputFormat = readU32(b, p + 24);
    sample.inputIfIndex = readU32(b, p + 28);
    sample.outputFormat = readU32(b, p + 32);
    sample.outputIfIndex = readU32(b, p + 36);
    recordCount = readU32(b, p + 40);
    p += StructSize.expandedFlowSample;
  } else {
    if (end - p < StructSize.flowSample) return false;
    sample.sequence = readU32(b, p);
    // Compact source id: type in the top 8 bits, index in the low 24.
    const sourceId = readU32(b, p + 4);
    sample.sourceIdType = sourceId >>> 24;
    sample.sourceIdIndex = sourceId & 0xffffff;
    sample.samplingRate = readU32(b, p + 8);
    sample.samplePool = readU32(b, p + 12);
    sample.drops = readU32(b, p + 16);
    // Compact interface: format in the top 2 bits (0 ifIndex, 1 discard reason, 2 interface count), value in 30.
    const input = readU32(b, p + 20);
    const output = readU32(b, p + 24);
    sample.inputFormat = input >>> 30;
    sample.inputIfIndex = input & 0x3fffffff;
    sample.outputFormat = output >>> 30;
    sample.outputIfIndex = output & 0x3fffffff;
    recordCount = readU32(b, p + 28);
    p += StructSize.flowSample;
  }
  for (let i = 0; i < recordCount; i++) {
    if (end - p < StructSize.recordHeader) return false;
    const format = readU32(b, p);
    const length = readU32(b, p + 4);
    p += StructSize.recordHeader;
    if (length > end - p) return false;
    // Other enterprises' records (format word >= 4096) are skipped by their length, like unknown standard ones.
    if (!decodeFlowRecord(b, p, p + length, format, sample, chain)) return false;
    p += length;
  }
  return true;
}

function decodeFlowRecord(b: Uint8Array, start: number, end: number, format: number, sample: FlowSample, chain: Ipv6HeaderChain): boolean {
  switch (format) {
    case FlowRecordFormat.sampledHeader:
      return decodeSampledHeader(b, start, end, sample, chain);
    case FlowRecordFormat.ethernet:
      return decodeEthernet(b, start, end, sample);
    case FlowRecordFormat.ipv4:
      return decodeIpv4Record(b, start, end, sample);
    case FlowRecordFormat.ipv6:
      return decodeIpv6Record(b, start, end, sample);
    case FlowRecordFormat.extendedSwitch:
      return decodeExtendedSwitch(b, start, end, sample);
    case FlowRecordFormat.extendedRouter:
      return decodeExtendedRouter(b, start, end, sample);
    case FlowRecordFormat.extendedGateway:
      return decodeExtendedGateway(b, start, end, sample);
    default:
      return true;
  }
}

function decodeSampledHeader(b: Uint8Array, start: number, end: number, sample: FlowSample, chain: Ipv6HeaderChain): boolean {
  if (end - start < StructSize.sampledHeaderFixed) return false;
  const headerLength = readU32(b, start + 12);
  const headerStart = start + StructSize.sampledHeaderFixed;
  if (headerLength > end - headerStart) return false;
  // The packet itself is the best source: it replaces what an IPv4/IPv6/Ethernet record already filled in.
  sample.resetPacket();
  sample.packetSource = FlowRecordFormat.sampledHeader;
  sample.headerProtocol = readU32(b, start);
  sample.frameLength = readU32(b, start + 4);
  sample.stripped = readU32(b, start + 8);
  sample.headerLength = headerLength;
  sample.headerOffset = headerStart;
  parseSampledPacket(b, headerStart, headerStart + headerLength, sample.headerProtocol, sample, chain);
  return true;
}

function decodeEthernet(b: Uint8Array, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.ethernet) return false;
  if (sample.packetSource === FlowRecordFormat.sampledHeader) return true;
  // Each 6-byte MAC is XDR opaque[6], padded to 8.
  sample.frameLength = readU32(b, start);
  sample.srcMac = readMac(b, start + 4);
  sample.dstMac = readMac(b, start + 12);
  sample.etherType = readU32(b, start + 20);
  return true;
}

function decodeIpv4Record(b: Uint8Array, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.ipv4) return false;
  if (sample.packetSource === FlowRecordFormat.sampledHeader) return true;
  const length = readU32(b, start);
  sample.packetSource = FlowRecordFormat.ipv4;
  sample.ipVersion = 4;
  sample.ipLength = length;
  // An Ethernet record's length counts the whole frame; keep it when one came first.
  if (sample.frameLength === 0) sample.frameLength = length;
  sample.protocol = readU32(b, start + 4);
  sample.srcAddress.fill(0);
  sample.dstAddress.fill(0);
  for (let i = 0; i < 4; i++) {
    sample.srcAddress[i] = b[start + 8 + i]!;
    sample.dstAddress[i] = b[start + 12 + i]!;
  }
  sample.srcV4 = readU32(b, start + 8);
  sample.dstV4 = readU32(b, start + 12);
  sample.srcPort = readU32(b, start + 16);
  sample.dstPort = readU32(b, start + 20);
  sample.tcpFlags = readU32(b, start + 24);
  const tos = readU32(b, start + 28) & 0xff;
  sample.dscp = tos >>> 2;
  sample.ecn = tos & 3;
  sample.hasL4 = true;
  return true;
}

function decodeIpv6Record(b: Uint8Array, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.ipv6) return false;
  if (sample.packetSource === FlowRecordFormat.sampledHeader) return true;
  const length = readU32(b, start);
  sample.packetSource = FlowRecordFormat.ipv6;
  sample.ipVersion = 6;
  sample.ipLength = length;
  if (sample.frameLength === 0) sample.frameLength = length;
  sample.protocol = readU32(b, start + 4);
  for (let i = 0; i < 16; i++) {
    sample.srcAddress[i] = b[start + 8 + i]!;
    sample.dstAddress[i] = b[start + 24 + i]!;
  }
  sample.srcV4 = 0;
  sample.dstV4 = 0;
  sample.srcPort = readU32(b, start + 40);
  sample.dstPort = readU32(b, start + 44);
  sample.tcpFlags = readU32(b, start + 48);
  // "IP priority": read as the traffic class, the IPv6 counterpart of the IPv4 TOS byte.
  const trafficClass = readU32(b, start + 52) & 0xff;
  sample.dscp = trafficClass >>> 2;
  sample.ecn = trafficClass & 3;
  sample.hasL4 = true;
  return true;
}

function decodeExtendedSwitch(b: Uint8Array, start: number, end: number, sample: FlowSample): boolean {
  if (end - start < StructSize.extendedSwitch) return false;
  sample.hasSwitch = true;
  sample.srcVlan = readU32(b, start);
  sample.srcPriority = readU32(b, start + 4);
  sample.dstVlan = readU32(b, start + 8);
  sample.dstPriority = readU32(b, start + 12);
  return true;
}

function decodeExtendedRouter(b: Uint8Array, start: number, end: number, sample: FlowSample): boolean {
  const p = readNextHop(b, start, end, sample.routerNextHop);
  if (p < 0 || end - p < 8) return false;
  sample.hasRouter = true;
  sample.routerNextHopFamily = familyOfAddressType(readU32(b, start));
  sample.srcMaskLen = readU32(b, p);
  sample.dstMaskLen = readU32(b, p + 4);
  return true;
}

function decodeExtendedGateway(b: Uint8Array, start: number, end: number, sample: FlowSample): boolean {
  let p = readNextHop(b, start, end, sample.gatewayNextHop);
  if (p < 0 || end - p < 16) return false;
  sample.gatewayNextHopFamily = familyOfAddressType(readU32(b, start));
  sample.gatewayAs = readU32(b, p);
  sample.srcAs = readU32(b, p + 4);
  sample.srcPeerAs = readU32(b, p + 8);
  const segmentCount = readU32(b, p + 12);
  p += 16;
  const asPath = sample.asPath;
  for (let s = 0; s < segmentCount; s++) {
    // Segment: type (AS_SET 1 / AS_SEQUENCE 2), count, ASNs. Both kinds are flattened in order.
    if (end - p < 8) return false;
    const asnCount = readU32(b, p + 4);
    p += 8;
    if (asnCount > (end - p) / 4) return false;
    const keep = Math.min(asnCount, asPath.length - sample.asPathLength);
    for (let k = 0; k < keep; k++) asPath[sample.asPathLength++] = readU32(b, p + 4 * k);
    p += 4 * asnCount;
  }
  if (end - p < 4) return false;
  const communityCount = readU32(b, p);
  p += 4;
  if (communityCount > (end - p) / 4) return false;
  const communities = sample.communities;
  const keep = Math.min(communityCount, communities.length);
  for (let k = 0; k < keep; k++) communities[k] = readU32(b, p + 4 * k);
  sample.communityCount = keep;
  p += 4 * communityCount;
  if (end - p < 4) return false;
  sample.localPref = readU32(b, p);
  sample.hasGateway = true;
  return true;
}

/** Reads an address union into `into` (zeroed first); returns the offset after it, or -1 when malformed. */
function readNextHop(b: Uint8Array, start: number, end: number, into: Uint8Array): number {
  if (end - start < 4) return -1;
  const type = readU32(b, start);
  const p = start + 4;
  into.fill(0);
  if (type === AddressType.unknown) return p;
  const length = type === AddressType.ipv4 ? 4 : type === AddressType.ipv6 ? 16 : -1;
  if (length < 0 || end - p < length) return -1;
  for (let i = 0; i < length; i++) into[i] = b[p + i]!;
  return p + length;
}

function familyOfAddressType(type: number): 0 | 4 | 6 {
  return type === AddressType.ipv4 ? 4 : type === AddressType.ipv6 ? 6 : 0;
}
