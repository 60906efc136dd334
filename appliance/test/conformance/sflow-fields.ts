// One flat, decoder-neutral record per sFlow sample, so two decoders' views of the same datagrams can be
// compared field by field: from tshark's JSON (`-T json --no-duplicate-keys` with the sflow dissector) and
// from `breakwater sflow decode`'s JSON lines. Owns the mapping of each decoder's names and conventions onto
// one vocabulary; what must match is the test's business.
//
// Conventions: absent fields are null; numbers are numbers; MACs are lower-case colon text; IP addresses
// are compared as 32 hex digits of their bytes (so text formatting choices cannot hide or fake a match);
// fragment offsets are in 8-byte units as on the wire; the IPv4 TTL and IPv6 hop limit are both `ttl`.
import { ipv4Bytes, ipv6Bytes } from '../../src/synthetic/address-bytes.js';
import { get, type TsharkLayers } from './tshark.js';

export type FieldValue = string | number | boolean | null;
export type SampleFields = Record<string, FieldValue>;

/** The fields compared for each flow sample, in report order. */
export const FLOW_FIELDS = [
  'agent', 'subAgentId', 'datagramSequence', 'uptimeMs',
  'sampleSequence', 'sourceIdType', 'sourceIdIndex', 'samplingRate', 'samplePool', 'drops',
  'inputFormat', 'inputIfIndex', 'outputFormat', 'outputIfIndex',
  'srcVlan', 'srcPriority', 'dstVlan', 'dstPriority',
  'headerProtocol', 'frameLength', 'stripped', 'headerLength',
  'srcMac', 'dstMac', 'vlans',
  'ipVersion', 'src', 'dst', 'protocol', 'ipLength', 'ttl', 'dscp', 'ecn', 'flowLabel',
  'isFragment', 'fragmentOffset', 'moreFragments', 'dontFragment',
  'srcPort', 'dstPort', 'tcpFlags', 'icmpType', 'icmpCode',
] as const;

/** The fields compared for each counter sample (generic interface counters, record 0:1). */
export const COUNTER_FIELDS = [
  'agent', 'subAgentId', 'datagramSequence', 'uptimeMs',
  'sampleSequence', 'sourceIdType', 'sourceIdIndex',
  'ifIndex', 'ifType', 'ifSpeed', 'ifDirection', 'ifStatus',
  'inOctets', 'inUcastPkts', 'inMulticastPkts', 'inBroadcastPkts', 'inDiscards', 'inErrors', 'inUnknownProtos',
  'outOctets', 'outUcastPkts', 'outMulticastPkts', 'outBroadcastPkts', 'outDiscards', 'outErrors', 'promiscuousMode',
] as const;

export interface NormalizedSample {
  kind: 'flow' | 'counter';
  fields: SampleFields;
}

/** Where a sample sits, for pairing the two decoders' lists and for messages. */
export function sampleKey(s: NormalizedSample): string {
  return `${s.kind} datagram ${String(s.fields.datagramSequence)} sample ${String(s.fields.sampleSequence)}`;
}

export function addressKey(text: unknown): string | null {
  if (typeof text !== 'string' || text === '') return null;
  return Buffer.from(text.includes(':') ? ipv6Bytes(text) : ipv4Bytes(text)).toString('hex');
}

const num = (v: unknown): number | null => {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return v;
  const s = String(v);
  return s.startsWith('0x') ? parseInt(s, 16) : Number(s);
};
const bool = (v: unknown): boolean | null => (v === undefined || v === null ? null : v === '1' || v === true);
/** tshark turns a key that repeats at one level into an array; the first is the outermost layer. */
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// ---------------------------------------------------------------------------------------------------------
// tshark

/** Every sample of every sFlow datagram tshark dissected, in capture order. */
export function samplesFromTshark(frames: readonly TsharkLayers[]): NormalizedSample[] {
  const out: NormalizedSample[] = [];
  for (const frame of frames) {
    const sflow = frame.sflow as Record<string, unknown> | undefined;
    if (!sflow) continue;
    const datagram: SampleFields = {
      agent: addressKey(sflow['sflow_245.agent'] ?? sflow['sflow_245.agentv6']),
      subAgentId: num(sflow['sflow_245.sub_agent_id']),
      datagramSequence: num(sflow['sflow_245.sequence_number']),
      uptimeMs: num(sflow['sflow_245.sysuptime']),
    };
    for (const value of Object.values(sflow)) {
      for (const sample of list(value)) {
        if (sample === null || typeof sample !== 'object' || !('sflow_245.sampletype' in sample)) continue;
        const s = sample as Record<string, unknown>;
        const type = num(s['sflow_245.sampletype']);
        if (type === 1 || type === 3) out.push({ kind: 'flow', fields: { ...datagram, ...tsharkFlow(s) } });
        else if (type === 2 || type === 4) out.push({ kind: 'counter', fields: { ...datagram, ...tsharkCounter(s) } });
      }
    }
  }
  return out;
}

function tsharkFlow(s: Record<string, unknown>): SampleFields {
  const input = num(s['sflow.flow_sample.input_interface']);
  const f: SampleFields = {
    sampleSequence: num(s['sflow.flow_sample.sequence_number']),
    sourceIdType: num(s['sflow.flow_sample.source_id_class']),
    sourceIdIndex: num(s['sflow.flow_sample.index']),
    samplingRate: num(s['sflow.flow_sample.sampling_rate']),
    samplePool: num(s['sflow.flow_sample.sample_pool']),
    drops: num(s['sflow.flow_sample.dropped_packets']),
    // tshark shows the compact sample's input as one number; its top two bits are the format.
    inputFormat: input === null ? null : input >>> 30,
    inputIfIndex: input === null ? null : input & 0x3fffffff,
    outputFormat: num(get(s, 'sflow.flow_sample.output_interface_tree', 'sflow.flow_sample.output_interface_format')),
    outputIfIndex: num(get(s, 'sflow.flow_sample.output_interface_tree', 'sflow.flow_sample.output_interface_value')),
  };
  const sw = first(s['Extended switch data']) as Record<string, unknown> | undefined;
  Object.assign(f, {
    srcVlan: num(sw?.['sflow_245.vlan.in']),
    srcPriority: num(sw?.['sflow_245.pri.in']),
    dstVlan: num(sw?.['sflow_245.vlan.out']),
    dstPriority: num(sw?.['sflow_245.pri.out']),
  });
  const header = first(s['Raw packet header']) as Record<string, unknown> | undefined;
  Object.assign(f, {
    headerProtocol: num(header?.['sflow_245.header_protocol']),
    frameLength: num(header?.['sflow_245.header.frame_length']),
    stripped: num(header?.['sflow_245.header.payload_stripped']),
    headerLength: num(header?.['sflow_245.header.sampled_header_length']),
    // Not in FLOW_FIELDS (breakwater does not print the bytes): for checking against the original frames.
    headerHex: typeof header?.['sflow_245.header'] === 'string' ? (header['sflow_245.header'] as string).replaceAll(':', '') : null,
  });
  Object.assign(f, tsharkPacket((header?.['sflow_245.header_tree'] ?? {}) as Record<string, unknown>));
  return f;
}

/** The sampled header as tshark dissected it: Ethernet, VLAN tags, the outer IP header and its own L4. */
function tsharkPacket(tree: Record<string, unknown>): SampleFields {
  const eth = tree.eth as Record<string, unknown> | undefined;
  const vlanIds = [...list(tree.ieee8021ad), ...list(tree.vlan)].map((v) => num((v as Record<string, unknown>)['vlan.id'] ?? (v as Record<string, unknown>)['ieee8021ad.id']));
  const p: SampleFields = {
    srcMac: (eth?.['eth.src'] as string | undefined) ?? null,
    dstMac: (eth?.['eth.dst'] as string | undefined) ?? null,
    vlans: vlanIds.join(','),
    ipVersion: null, src: null, dst: null, protocol: null, ipLength: null, ttl: null, dscp: null, ecn: null, flowLabel: null,
    isFragment: null, fragmentOffset: null, moreFragments: null, dontFragment: null,
    srcPort: null, dstPort: null, tcpFlags: null, icmpType: null, icmpCode: null,
  };
  const ip = first(tree.ip) as Record<string, unknown> | undefined;
  const ip6 = first(tree.ipv6) as Record<string, unknown> | undefined;
  let hasL4 = true;
  if (ip) {
    const offset = num(ip['ip.frag_offset']) ?? 0;
    const more = bool(get(ip, 'ip.flags_tree', 'ip.flags.mf')) ?? false;
    Object.assign(p, {
      ipVersion: 4,
      src: addressKey(ip['ip.src']),
      dst: addressKey(ip['ip.dst']),
      protocol: num(ip['ip.proto']),
      ipLength: num(ip['ip.len']),
      ttl: num(ip['ip.ttl']),
      dscp: num(get(ip, 'ip.dsfield_tree', 'ip.dsfield.dscp')),
      ecn: num(get(ip, 'ip.dsfield_tree', 'ip.dsfield.ecn')),
      isFragment: offset > 0 || more,
      fragmentOffset: offset,
      moreFragments: more,
      dontFragment: bool(get(ip, 'ip.flags_tree', 'ip.flags.df')),
    });
    hasL4 = offset === 0;
  } else if (ip6) {
    // The upper-layer protocol is the next-header value of the last extension header in the chain.
    let protocol = num(ip6['ipv6.nxt']);
    for (const [key, value] of Object.entries(ip6)) {
      const ext = /^ipv6\.(hopopts|dstopts|routing|fraghdr)$/.exec(key);
      if (ext) for (const header of list(value)) protocol = num((header as Record<string, unknown>)[`ipv6.${ext[1]!}.nxt`]);
    }
    const fragment = first(ip6['ipv6.fraghdr']) as Record<string, unknown> | undefined;
    const offset = fragment ? num(fragment['ipv6.fraghdr.offset']) ?? 0 : 0;
    Object.assign(p, {
      ipVersion: 6,
      src: addressKey(ip6['ipv6.src']),
      dst: addressKey(ip6['ipv6.dst']),
      protocol,
      ipLength: (num(ip6['ipv6.plen']) ?? 0) + 40,
      ttl: num(ip6['ipv6.hlim']),
      dscp: num(get(ip6, 'ipv6.tclass_tree', 'ipv6.tclass.dscp')),
      ecn: num(get(ip6, 'ipv6.tclass_tree', 'ipv6.tclass.ecn')),
      flowLabel: num(ip6['ipv6.flow']),
      isFragment: fragment !== undefined,
      fragmentOffset: offset,
      moreFragments: fragment ? bool(fragment['ipv6.fraghdr.more']) : false,
      dontFragment: null,
    });
    hasL4 = offset === 0;
  } else {
    return p;
  }
  if (!hasL4) return p;
  // Only the transport the outer IP header names: in a GRE frame tshark also dissects the inner packet's.
  const l4 = (name: string): Record<string, unknown> | undefined => first(tree[name]) as Record<string, unknown> | undefined;
  if (p.protocol === 6 && l4('tcp')) {
    const tcp = l4('tcp')!;
    Object.assign(p, { srcPort: num(tcp['tcp.srcport']), dstPort: num(tcp['tcp.dstport']), tcpFlags: (num(tcp['tcp.flags']) ?? 0) & 0xff });
  } else if (p.protocol === 17 && l4('udp')) {
    const udp = l4('udp')!;
    Object.assign(p, { srcPort: num(udp['udp.srcport']), dstPort: num(udp['udp.dstport']) });
  } else if (p.protocol === 1 && l4('icmp')) {
    Object.assign(p, { icmpType: num(l4('icmp')!['icmp.type']), icmpCode: num(l4('icmp')!['icmp.code']) });
  } else if (p.protocol === 58 && l4('icmpv6')) {
    Object.assign(p, { icmpType: num(l4('icmpv6')!['icmpv6.type']), icmpCode: num(l4('icmpv6')!['icmpv6.code']) });
  }
  return p;
}

function tsharkCounter(s: Record<string, unknown>): SampleFields {
  const g = (first(s['Generic interface counters']) ?? {}) as Record<string, unknown>;
  const c = (name: string): number | null => num(g[`sflow_245.${name}`]);
  const admin = c('ifadmin_status');
  const oper = c('ifoper_status');
  return {
    sampleSequence: num(s['sflow.counters_sample.sequence_number']),
    sourceIdType: num(s['sflow.counters_sample.source_id_type']),
    sourceIdIndex: num(s['sflow.counters_sample.source_id_index']),
    ifIndex: c('ifindex'),
    ifType: c('iftype'),
    ifSpeed: c('ifspeed'),
    ifDirection: c('ifdirection'),
    // ifStatus is one word: bit 0 admin up, bit 1 oper up; tshark shows the two bits.
    ifStatus: admin === null || oper === null ? null : admin | (oper << 1),
    inOctets: c('ifinoct'),
    inUcastPkts: c('ifinpkt'),
    inMulticastPkts: c('ifinmcast'),
    inBroadcastPkts: c('ifinbcast'),
    inDiscards: c('ifindisc'),
    inErrors: c('ifinerr'),
    inUnknownProtos: c('ifinunk'),
    outOctets: c('ifoutoct'),
    outUcastPkts: c('ifoutpkt'),
    outMulticastPkts: c('ifoutmcast'),
    outBroadcastPkts: c('ifoutbcast'),
    outDiscards: c('ifoutdisc'),
    outErrors: c('ifouterr'),
    promiscuousMode: c('ifpromisc'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// breakwater sflow decode

/** The samples printed by `breakwater sflow decode`, one JSON object per line. */
export function samplesFromBreakwater(jsonLines: string): NormalizedSample[] {
  const out: NormalizedSample[] = [];
  for (const line of jsonLines.split('\n')) {
    if (line.trim() === '') continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    const datagram: SampleFields = {
      agent: addressKey(o.agent),
      subAgentId: num(o.subAgentId),
      datagramSequence: num(o.datagramSequence),
      uptimeMs: num(o.uptimeMs),
    };
    if (o.type === 'flow') out.push({ kind: 'flow', fields: { ...datagram, ...breakwaterFlow(o) } });
    else if (o.type === 'counter') out.push({ kind: 'counter', fields: { ...datagram, ...breakwaterCounter(o) } });
  }
  return out;
}

function breakwaterFlow(o: Record<string, unknown>): SampleFields {
  const p = (o.packet ?? {}) as Record<string, unknown>;
  const sw = o.switch as Record<string, unknown> | undefined;
  const fragment = p.fragment as Record<string, unknown> | undefined;
  const hasIp = p.ipVersion !== undefined;
  return {
    sampleSequence: num(o.sampleSequence),
    sourceIdType: num(o.sourceIdType),
    sourceIdIndex: num(o.sourceIdIndex),
    samplingRate: num(o.samplingRate),
    samplePool: num(o.samplePool),
    drops: num(o.drops),
    inputFormat: num(o.inputFormat),
    inputIfIndex: num(o.inputIfIndex),
    outputFormat: num(o.outputFormat),
    outputIfIndex: num(o.outputIfIndex),
    srcVlan: num(sw?.srcVlan),
    srcPriority: num(sw?.srcPriority),
    dstVlan: num(sw?.dstVlan),
    dstPriority: num(sw?.dstPriority),
    headerProtocol: num(p.headerProtocol),
    frameLength: num(p.frameLength),
    stripped: num(p.stripped),
    headerLength: num(p.headerLength),
    srcMac: (p.srcMac as string | undefined)?.toLowerCase() ?? null,
    dstMac: (p.dstMac as string | undefined)?.toLowerCase() ?? null,
    vlans: ((p.vlans as number[] | undefined) ?? []).join(','),
    ipVersion: num(p.ipVersion),
    src: addressKey(p.src),
    dst: addressKey(p.dst),
    protocol: num(p.protocol),
    ipLength: num(p.ipLength),
    ttl: num(p.ttl ?? p.hopLimit),
    dscp: num(p.dscp),
    ecn: num(p.ecn),
    flowLabel: num(p.flowLabel),
    isFragment: hasIp ? bool(fragment?.isFragment) : null,
    fragmentOffset: hasIp ? num(fragment?.offset) : null,
    moreFragments: hasIp ? bool(fragment?.moreFragments) : null,
    dontFragment: p.ipVersion === 4 ? bool(fragment?.dontFragment) : null,
    srcPort: num(p.srcPort),
    dstPort: num(p.dstPort),
    tcpFlags: num(p.tcpFlags),
    icmpType: num(p.icmpType),
    icmpCode: num(p.icmpCode),
  };
}

function breakwaterCounter(o: Record<string, unknown>): SampleFields {
  const i = (o.interface ?? {}) as Record<string, unknown>;
  const fields: SampleFields = {
    sampleSequence: num(o.sampleSequence),
    sourceIdType: num(o.sourceIdType),
    sourceIdIndex: num(o.sourceIdIndex),
  };
  for (const name of COUNTER_FIELDS.slice(7)) fields[name] = num(i[name]);
  return fields;
}
