// Builds sFlow v5 datagrams, samples and records for tests, field by field on the XdrWriter, following
// sflow_version_5.txt. Every builder returns the encoded bytes (records and samples include their
// data_format and length words) so tests can also splice, truncate or corrupt them.
import { isIPv4 } from 'node:net';
import { ipBytes, ipv4Bytes, ipv6Bytes, macBytes } from './addresses.js';
import { XdrWriter } from './xdr-writer.js';

/** A data_format word: enterprise << 12 | format. */
export const dataFormat = (format: number, enterprise = 0): number => ((enterprise << 12) | format) >>> 0;

/** format + length + body; `length` overrides the true body length (to build overruns). */
export function record(format: number, body: Uint8Array, o: { enterprise?: number; length?: number } = {}): Uint8Array {
  return new XdrWriter().u32(dataFormat(format, o.enterprise)).u32(o.length ?? body.length).raw(body).bytes();
}

export function sampledHeaderRecord(o: { protocol?: number; frameLength?: number; stripped?: number; header: Uint8Array; headerLength?: number }): Uint8Array {
  const w = new XdrWriter()
    .u32(o.protocol ?? 1)
    .u32(o.frameLength ?? o.header.length + 4)
    .u32(o.stripped ?? 4)
    .u32(o.headerLength ?? o.header.length)
    .fixedOpaque(o.header);
  return record(1, w.bytes());
}

export function ethernetRecord(o: { length: number; src: string; dst: string; type: number }): Uint8Array {
  return record(2, new XdrWriter().u32(o.length).fixedOpaque(macBytes(o.src)).fixedOpaque(macBytes(o.dst)).u32(o.type).bytes());
}

export interface IpRecordOptions {
  length: number;
  protocol: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  tcpFlags?: number;
  /** IPv4 tos, or the IPv6 priority word. */
  tos?: number;
}

export function ipv4Record(o: IpRecordOptions): Uint8Array {
  const w = new XdrWriter().u32(o.length).u32(o.protocol).fixedOpaque(ipv4Bytes(o.src)).fixedOpaque(ipv4Bytes(o.dst));
  return record(3, w.u32(o.srcPort).u32(o.dstPort).u32(o.tcpFlags ?? 0).u32(o.tos ?? 0).bytes());
}

export function ipv6Record(o: IpRecordOptions): Uint8Array {
  const w = new XdrWriter().u32(o.length).u32(o.protocol).fixedOpaque(ipv6Bytes(o.src)).fixedOpaque(ipv6Bytes(o.dst));
  return record(4, w.u32(o.srcPort).u32(o.dstPort).u32(o.tcpFlags ?? 0).u32(o.tos ?? 0).bytes());
}

export function extendedSwitchRecord(o: { srcVlan: number; srcPriority: number; dstVlan: number; dstPriority: number }): Uint8Array {
  return record(1001, new XdrWriter().u32(o.srcVlan).u32(o.srcPriority).u32(o.dstVlan).u32(o.dstPriority).bytes());
}

/** Address union: 0 unknown (no bytes), 1 IPv4, 2 IPv6. */
function address(w: XdrWriter, text: string | undefined): XdrWriter {
  if (text === undefined) return w.u32(0);
  return isIPv4(text) ? w.u32(1).fixedOpaque(ipBytes(text)) : w.u32(2).fixedOpaque(ipBytes(text));
}

export function extendedRouterRecord(o: { nextHop?: string; srcMaskLen: number; dstMaskLen: number }): Uint8Array {
  return record(1002, address(new XdrWriter(), o.nextHop).u32(o.srcMaskLen).u32(o.dstMaskLen).bytes());
}

export interface AsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE. */
  type: number;
  asns: number[];
}

export function extendedGatewayRecord(o: {
  nextHop?: string;
  as: number;
  srcAs: number;
  srcPeerAs: number;
  segments: AsPathSegment[];
  communities: number[];
  localPref: number;
}): Uint8Array {
  const w = address(new XdrWriter(), o.nextHop).u32(o.as).u32(o.srcAs).u32(o.srcPeerAs).u32(o.segments.length);
  for (const s of o.segments) {
    w.u32(s.type).u32(s.asns.length);
    for (const a of s.asns) w.u32(a);
  }
  w.u32(o.communities.length);
  for (const c of o.communities) w.u32(c);
  return record(1003, w.u32(o.localPref).bytes());
}

export interface GenericInterfaceCounters {
  ifIndex: number;
  ifType?: number;
  ifSpeed?: number | bigint;
  ifDirection?: number;
  ifStatus?: number;
  inOctets?: number | bigint;
  inUcastPkts?: number;
  inMulticastPkts?: number;
  inBroadcastPkts?: number;
  inDiscards?: number;
  inErrors?: number;
  inUnknownProtos?: number;
  outOctets?: number | bigint;
  outUcastPkts?: number;
  outMulticastPkts?: number;
  outBroadcastPkts?: number;
  outDiscards?: number;
  outErrors?: number;
  promiscuousMode?: number;
}

export function genericInterfaceRecord(c: GenericInterfaceCounters): Uint8Array {
  const w = new XdrWriter()
    .u32(c.ifIndex)
    .u32(c.ifType ?? 6)
    .u64(c.ifSpeed ?? 10_000_000_000)
    .u32(c.ifDirection ?? 1)
    .u32(c.ifStatus ?? 3)
    .u64(c.inOctets ?? 0)
    .u32(c.inUcastPkts ?? 0)
    .u32(c.inMulticastPkts ?? 0)
    .u32(c.inBroadcastPkts ?? 0)
    .u32(c.inDiscards ?? 0)
    .u32(c.inErrors ?? 0)
    .u32(c.inUnknownProtos ?? 0)
    .u64(c.outOctets ?? 0)
    .u32(c.outUcastPkts ?? 0)
    .u32(c.outMulticastPkts ?? 0)
    .u32(c.outBroadcastPkts ?? 0)
    .u32(c.outDiscards ?? 0)
    .u32(c.outErrors ?? 0)
    .u32(c.promiscuousMode ?? 0);
  return record(1, w.bytes());
}

export interface FlowSampleOptions {
  expanded?: boolean;
  sequence?: number;
  sourceIdType?: number;
  sourceIdIndex?: number;
  samplingRate?: number;
  samplePool?: number;
  drops?: number;
  inputFormat?: number;
  input?: number;
  outputFormat?: number;
  output?: number;
  records: Uint8Array[];
  /** Overrides the number of records announced. */
  recordCount?: number;
  /** Overrides the sample's length word. */
  length?: number;
}

export function flowSample(o: FlowSampleOptions): Uint8Array {
  const w = new XdrWriter().u32(o.sequence ?? 1);
  if (o.expanded) {
    w.u32(o.sourceIdType ?? 0).u32(o.sourceIdIndex ?? 1);
  } else {
    w.u32((((o.sourceIdType ?? 0) << 24) | (o.sourceIdIndex ?? 1)) >>> 0);
  }
  w.u32(o.samplingRate ?? 1000).u32(o.samplePool ?? 1000).u32(o.drops ?? 0);
  if (o.expanded) {
    w.u32(o.inputFormat ?? 0).u32(o.input ?? 1).u32(o.outputFormat ?? 0).u32(o.output ?? 2);
  } else {
    w.u32((((o.inputFormat ?? 0) << 30) | (o.input ?? 1)) >>> 0).u32((((o.outputFormat ?? 0) << 30) | (o.output ?? 2)) >>> 0);
  }
  w.u32(o.recordCount ?? o.records.length);
  for (const r of o.records) w.raw(r);
  const format = o.expanded ? 3 : 1;
  return record(format, w.bytes(), o.length === undefined ? {} : { length: o.length });
}

export interface CounterSampleOptions {
  expanded?: boolean;
  sequence?: number;
  sourceIdType?: number;
  sourceIdIndex?: number;
  records: Uint8Array[];
  recordCount?: number;
}

export function counterSample(o: CounterSampleOptions): Uint8Array {
  const w = new XdrWriter().u32(o.sequence ?? 1);
  if (o.expanded) w.u32(o.sourceIdType ?? 0).u32(o.sourceIdIndex ?? 1);
  else w.u32((((o.sourceIdType ?? 0) << 24) | (o.sourceIdIndex ?? 1)) >>> 0);
  w.u32(o.recordCount ?? o.records.length);
  for (const r of o.records) w.raw(r);
  return record(o.expanded ? 4 : 2, w.bytes());
}

export interface DatagramOptions {
  /** IPv4 or IPv6 text. */
  agent?: string;
  /** Overrides the agent address type word (the address bytes still follow the text's family). */
  agentAddressType?: number;
  version?: number;
  subAgentId?: number;
  sequence?: number;
  uptimeMs?: number;
  samples: Uint8Array[];
  /** Overrides the number of samples announced. */
  sampleCount?: number;
}

export function datagram(o: DatagramOptions): Uint8Array {
  const agent = o.agent ?? '192.0.2.1';
  const v4 = isIPv4(agent);
  const w = new XdrWriter()
    .u32(o.version ?? 5)
    .u32(o.agentAddressType ?? (v4 ? 1 : 2))
    .fixedOpaque(ipBytes(agent))
    .u32(o.subAgentId ?? 0)
    .u32(o.sequence ?? 1)
    .u32(o.uptimeMs ?? 1000)
    .u32(o.sampleCount ?? o.samples.length);
  for (const s of o.samples) w.raw(s);
  return w.bytes();
}
