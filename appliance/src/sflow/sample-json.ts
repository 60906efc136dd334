// Plain JSON-ready objects from the decoder's reused views, for people and tools (`breakwater sflow decode`,
// debugging endpoints). Built field by field so the output names are stable and independent of the views'
// internals. Not for the hot path: every call allocates.
import { addressText, macText } from '../net/address-text.js';
import type { CounterSample, DatagramHeader, FlowSample } from './flow-sample.js';
import { FlowRecordFormat } from './sflow-formats.js';

export interface DatagramJson {
  agent: string | undefined;
  subAgentId: number;
  datagramSequence: number;
  uptimeMs: number;
}

export function datagramJson(h: DatagramHeader): DatagramJson {
  return { agent: addressText(h.agentFamily, h.agentAddress), subAgentId: h.subAgentId, datagramSequence: h.sequence, uptimeMs: h.uptimeMs };
}

const packetSourceNames: Record<number, string> = {
  [FlowRecordFormat.sampledHeader]: 'header',
  [FlowRecordFormat.ipv4]: 'ipv4',
  [FlowRecordFormat.ipv6]: 'ipv6',
};

export function flowSampleJson(s: FlowSample): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: 'flow',
    sampleSequence: s.sequence,
    expanded: s.expanded,
    sourceIdType: s.sourceIdType,
    sourceIdIndex: s.sourceIdIndex,
    samplingRate: s.samplingRate,
    samplePool: s.samplePool,
    drops: s.drops,
    inputFormat: s.inputFormat,
    inputIfIndex: s.inputIfIndex,
    outputFormat: s.outputFormat,
    outputIfIndex: s.outputIfIndex,
  };
  if (s.packetSource !== 0 || s.srcMac !== 0 || s.dstMac !== 0) out.packet = packetJson(s);
  if (s.hasSwitch) out.switch = { srcVlan: s.srcVlan, srcPriority: s.srcPriority, dstVlan: s.dstVlan, dstPriority: s.dstPriority };
  if (s.hasRouter) out.router = { nextHop: addressText(s.routerNextHopFamily, s.routerNextHop) ?? null, srcMaskLen: s.srcMaskLen, dstMaskLen: s.dstMaskLen };
  if (s.hasGateway) {
    out.gateway = {
      nextHop: addressText(s.gatewayNextHopFamily, s.gatewayNextHop) ?? null,
      as: s.gatewayAs,
      srcAs: s.srcAs,
      srcPeerAs: s.srcPeerAs,
      dstAsPath: Array.from(s.asPath.subarray(0, s.asPathLength)),
      communities: Array.from(s.communities.subarray(0, s.communityCount), (c) => `${c >>> 16}:${c & 0xffff}`),
      localPref: s.localPref,
    };
  }
  return out;
}

function packetJson(s: FlowSample): Record<string, unknown> {
  const p: Record<string, unknown> = { source: packetSourceNames[s.packetSource] ?? 'ethernet' };
  if (s.packetSource === FlowRecordFormat.sampledHeader) {
    p.headerProtocol = s.headerProtocol;
    p.headerLength = s.headerLength;
    p.stripped = s.stripped;
  }
  p.frameLength = s.frameLength;
  if (s.srcMac !== 0 || s.dstMac !== 0) {
    p.srcMac = macText(s.srcMac);
    p.dstMac = macText(s.dstMac);
  }
  const vlans = [s.vlanOuter, s.vlanInner].filter((id) => id >= 0);
  if (vlans.length > 0) p.vlans = vlans;
  if (s.etherType !== 0) p.etherType = s.etherType;
  if (s.ipVersion === 0) return p;
  p.ipVersion = s.ipVersion;
  p.src = addressText(s.ipVersion, s.srcAddress);
  p.dst = addressText(s.ipVersion, s.dstAddress);
  p.protocol = s.protocol;
  p.ipLength = s.ipLength;
  if (s.packetSource === FlowRecordFormat.sampledHeader) {
    if (s.ipVersion === 4) p.ttl = s.ttl;
    else p.hopLimit = s.ttl;
  }
  p.dscp = s.dscp;
  p.ecn = s.ecn;
  if (s.ipVersion === 6 && s.packetSource === FlowRecordFormat.sampledHeader) p.flowLabel = s.flowLabel;
  if (s.packetSource === FlowRecordFormat.sampledHeader) {
    p.fragment = { isFragment: s.isFragment, dontFragment: s.dontFragment, moreFragments: s.moreFragments, offset: s.fragmentOffset };
  }
  if (s.hasL4) {
    if (s.icmpType >= 0) {
      p.icmpType = s.icmpType;
      p.icmpCode = s.icmpCode;
    } else {
      p.srcPort = s.srcPort;
      p.dstPort = s.dstPort;
      if (s.protocol === 6 || s.packetSource !== FlowRecordFormat.sampledHeader) p.tcpFlags = s.tcpFlags;
    }
  }
  return p;
}

export function counterSampleJson(c: CounterSample): Record<string, unknown> {
  const out: Record<string, unknown> = { type: 'counter', sampleSequence: c.sequence, expanded: c.expanded, sourceIdType: c.sourceIdType, sourceIdIndex: c.sourceIdIndex };
  if (c.hasInterface) out.interface = { ...c.interface };
  return out;
}
