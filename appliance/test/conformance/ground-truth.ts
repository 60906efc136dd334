// What a correct decoder must report for each generated packet, worked out from the packet's own spec (the
// options it was built from), not from its bytes: the independent side of the conformance comparison.
// Fields follow sflow-fields.ts; only what the packet itself determines is here.
import { buildIpPacket, TcpFlag, type TcpOptions } from '../../src/synthetic/packet-builder.js';
import type { MixPacket } from './traffic-mix.js';
import { addressKey, type SampleFields } from './sflow-fields.js';

const protocolNumbers = { udp: 17, tcp: 6, icmp: 1, icmpv6: 58, gre: 47 } as const;

function tcpFlagsByte(flags: TcpOptions['flags']): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return flags;
  return flags.reduce((byte, name) => byte | TcpFlag[name], 0);
}

/** The packet fields of the sampled header, as the packet was specified. */
export function expectedPacketFields(packet: MixPacket, snaplen = 128): SampleFields {
  const { spec, frame } = packet;
  const ip = spec.ip;
  const t = spec.transport;
  const protocol = ip.protocol ?? (t ? protocolNumbers[t.protocol] : null);
  const v6Fragment = ip.version === 6 ? ip.extensionHeaders?.find((h) => h.kind === 'fragment') : undefined;
  const offset = ip.version === 4 ? ip.fragmentOffset ?? 0 : v6Fragment?.kind === 'fragment' ? v6Fragment.offset ?? 0 : 0;
  const moreFragments = ip.version === 4 ? ip.moreFragments ?? false : v6Fragment?.kind === 'fragment' ? v6Fragment.moreFragments ?? false : false;
  // A non-first fragment carries no transport header; a first fragment does (its spec has it as payload).
  const firstPiece = offset === 0;
  // A frameSize sizes the whole frame; the IP packet is that less the Ethernet header and its tags.
  const ethernetLength = 14 + 4 * (spec.ethernet?.vlans?.length ?? 0);
  const packetSize = spec.frameSize === undefined ? undefined : spec.frameSize - ethernetLength;
  const fields: SampleFields = {
    headerProtocol: 1,
    // sfprobe adds the 4-byte FCS that libpcap does not hand over, and says so in `stripped`.
    frameLength: frame.length + 4,
    stripped: 4,
    headerLength: Math.min(snaplen, frame.length),
    srcMac: spec.ethernet?.src ?? null,
    dstMac: spec.ethernet?.dst ?? null,
    vlans: (spec.ethernet?.vlans ?? []).map((v) => v.id).join(','),
    ipVersion: ip.version,
    src: addressKey(ip.src),
    dst: addressKey(ip.dst),
    protocol,
    ipLength: buildIpPacket({ ip, transport: t, payload: spec.payload, payloadSize: spec.payloadSize, packetSize }).length,
    ttl: ip.version === 4 ? ip.ttl ?? 64 : ip.hopLimit ?? 64,
    dscp: ip.dscp ?? 0,
    ecn: ip.ecn ?? 0,
    flowLabel: ip.version === 6 ? ip.flowLabel ?? 0 : null,
    isFragment: ip.version === 4 ? offset > 0 || moreFragments : v6Fragment !== undefined,
    fragmentOffset: offset,
    moreFragments,
    dontFragment: ip.version === 4 ? ip.dontFragment ?? false : null,
    srcPort: null,
    dstPort: null,
    tcpFlags: null,
    icmpType: null,
    icmpCode: null,
  };
  if (!firstPiece) return fields;
  // Fragments built by fragmentDatagram keep no transport; their first piece's header is in the payload.
  const transport = t ?? packet.datagramTransport;
  if (!transport) return fields;
  switch (transport.protocol) {
    case 'udp':
      return { ...fields, srcPort: transport.srcPort, dstPort: transport.dstPort };
    case 'tcp':
      return { ...fields, srcPort: transport.srcPort, dstPort: transport.dstPort, tcpFlags: tcpFlagsByte(transport.flags) };
    case 'icmp':
    case 'icmpv6':
      return { ...fields, icmpType: transport.type, icmpCode: transport.code };
    case 'gre':
      return fields;
  }
}
