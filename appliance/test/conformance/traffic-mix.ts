// The varied traffic the sFlow conformance test feeds to pmacctd: IPv4 and IPv6; TCP with many flag sets,
// UDP from amplification ports (53, 123, 11211, ...), ICMP and ICMPv6 types; 802.1Q and double tags; IPv4
// and IPv6 fragments (first and non-first); IPv6 extension headers; GRE; a spread of TTLs, DSCPs and
// frame sizes. Deterministic: the same list every run, so a failure names the same packet every time.
//
// Every frame's source MAC ends in its index (02:42:00:00:HI:LO), so any decoder's output can be tied back
// to the packet it came from, and "each packet exactly once" is a set check.
//
// Only 198.18.0.0/15, 100.64.0.0/10, the IPv4 documentation ranges and 2001:db8::/32 appear.
import { buildFrame, buildIpPacket, TcpFlag, type FrameSpec, type IpOptions, type TransportOptions } from '../../src/synthetic/packet-builder.js';
import { fragmentDatagram } from '../../src/synthetic/ip-fragments.js';

export interface MixPacket {
  index: number;
  /** Short human label used in failure messages. */
  label: string;
  spec: FrameSpec;
  frame: Uint8Array;
  /** For a fragment: the whole datagram's transport, whose header travels in the first fragment's payload. */
  datagramTransport?: TransportOptions;
}

/** The MAC that names packet `index`. */
export function indexMac(index: number): string {
  const hi = (index >>> 8) & 0xff;
  const lo = index & 0xff;
  return `02:42:00:00:${hi.toString(16).padStart(2, '0')}:${lo.toString(16).padStart(2, '0')}`;
}

/** Reads the index back from a source MAC written by indexMac, or -1. */
export function macIndex(mac: string): number {
  const m = /^02:42:00:00:([0-9a-f]{2}):([0-9a-f]{2})$/.exec(mac.toLowerCase());
  return m ? parseInt(m[1]!, 16) * 256 + parseInt(m[2]!, 16) : -1;
}

const TTLS = [1, 2, 30, 64, 128, 200, 255] as const;
const DSCPS = [0, 8, 10, 26, 34, 46, 48] as const;
const SIZES = [60, 64, 90, 128, 200, 512, 1000, 1514] as const;
const TCP_FLAG_SETS: ReadonlyArray<number> = [
  TcpFlag.SYN,
  TcpFlag.SYN | TcpFlag.ACK,
  TcpFlag.ACK,
  TcpFlag.RST,
  TcpFlag.RST | TcpFlag.ACK,
  TcpFlag.FIN | TcpFlag.ACK,
  TcpFlag.PSH | TcpFlag.ACK,
  TcpFlag.URG | TcpFlag.ACK | TcpFlag.PSH,
  TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR,
  0,
  0xff,
  TcpFlag.FIN | TcpFlag.SYN | TcpFlag.RST | TcpFlag.PSH,
];
const UDP_SOURCE_PORTS = [53, 123, 11211, 19, 1900, 389, 161, 40000] as const;

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

type Draft = Omit<FrameSpec, 'ethernet'> & {
  vlans?: Array<{ id: number; priority?: number; tpid?: number }>;
  label: string;
  datagramTransport?: TransportOptions;
};

function drafts(): Draft[] {
  const out: Draft[] = [];
  const v4 = (i: number, extra: Partial<Extract<IpOptions, { version: 4 }>> = {}): IpOptions => ({
    version: 4,
    src: `198.18.${(i >> 8) & 0xff}.${i & 0xff}`,
    dst: pick(['192.0.2.10', '198.51.100.20', '203.0.113.30', '100.64.1.1'], i),
    ttl: pick(TTLS, i),
    dscp: pick(DSCPS, i),
    ecn: i % 4,
    id: 0x1000 + i,
    dontFragment: i % 3 === 0,
    ...extra,
  });
  const v6 = (i: number, extra: Partial<Extract<IpOptions, { version: 6 }>> = {}): IpOptions => ({
    version: 6,
    src: `2001:db8:${(i % 7) + 1}::${(i + 1).toString(16)}`,
    dst: pick(['2001:db8:ffff::10', '2001:db8:eeee::20', '2001:db8:dddd::30'], i),
    hopLimit: pick(TTLS, i + 3),
    dscp: pick(DSCPS, i + 2),
    ecn: (i + 1) % 4,
    flowLabel: (0x10000 + i * 7919) & 0xfffff,
    ...extra,
  });
  let n = 0;
  const add = (label: string, spec: Omit<Draft, 'label'>): void => {
    out.push({ label, ...spec });
    n++;
  };

  // IPv4 UDP from amplification-prone source ports, every size, some VLAN tagged.
  for (let i = 0; i < 24; i++) {
    const sport = pick(UDP_SOURCE_PORTS, i);
    add(`v4 udp sport ${sport}`, {
      ip: v4(n),
      transport: { protocol: 'udp', srcPort: sport, dstPort: 30000 + i },
      frameSize: pick(SIZES, i) + (i % 3 === 1 ? 4 : 0),
      vlans: i % 3 === 1 ? [{ id: 100 + i, priority: i % 8 }] : undefined,
    });
  }
  // IPv4 TCP, every flag set, ports both ways round.
  for (let i = 0; i < TCP_FLAG_SETS.length * 2; i++) {
    const flags = pick(TCP_FLAG_SETS, i);
    add(`v4 tcp flags 0x${flags.toString(16)}`, {
      ip: v4(n),
      transport: { protocol: 'tcp', srcPort: i % 2 ? 443 : 50000 + i, dstPort: i % 2 ? 51000 + i : 80, flags, seq: 1000 * i, ack: i },
      frameSize: pick(SIZES, i + 2) + (i % 4 === 0 ? 8 : 0),
      // Double 802.1Q (0x8100 outside too): pmacctd 1.7.7 drops 802.1ad (0x88a8) frames before its plugins,
      // so those are covered by the decoder's own tests, not by this one.
      vlans: i % 4 === 0 ? [{ id: 300 + i, tpid: 0x8100 }, { id: 3000 + i }] : undefined,
    });
  }
  // ICMP.
  const icmpTypes: Array<[number, number]> = [[8, 0], [0, 0], [3, 1], [3, 3], [3, 4], [11, 0], [5, 1], [13, 0]];
  for (const [i, [type, code]] of icmpTypes.entries()) {
    add(`v4 icmp ${type}/${code}`, { ip: v4(n), transport: { protocol: 'icmp', type, code, restOfHeader: i }, frameSize: pick(SIZES, i + 1) });
  }
  // IPv6 UDP and TCP.
  for (let i = 0; i < 12; i++) {
    const transport: TransportOptions =
      i % 2 === 0
        ? { protocol: 'udp', srcPort: pick(UDP_SOURCE_PORTS, i), dstPort: 20000 + i }
        : { protocol: 'tcp', srcPort: 60000 + i, dstPort: 443, flags: pick(TCP_FLAG_SETS, i) };
    add(`v6 ${transport.protocol}`, {
      ip: v6(n),
      transport,
      frameSize: Math.max(pick(SIZES, i + 3), 86),
      vlans: i % 3 === 2 ? [{ id: 600 + i, priority: 3 }] : undefined,
    });
  }
  // ICMPv6.
  const icmp6Types: Array<[number, number]> = [[128, 0], [129, 0], [1, 4], [1, 0], [2, 0], [3, 0], [135, 0], [136, 0]];
  for (const [i, [type, code]] of icmp6Types.entries()) {
    add(`v6 icmpv6 ${type}/${code}`, { ip: v6(n), transport: { protocol: 'icmpv6', type, code }, payloadSize: 16 + 40 * i });
  }
  // IPv6 extension headers in front of UDP / TCP / ICMPv6.
  add('v6 hop-by-hop udp', { ip: v6(n, { extensionHeaders: [{ kind: 'hop-by-hop', options: Uint8Array.from([5, 2, 0, 0]) }] }), transport: { protocol: 'udp', srcPort: 53, dstPort: 33333 }, payloadSize: 100 });
  add('v6 dest-options tcp', { ip: v6(n, { extensionHeaders: [{ kind: 'destination-options' }] }), transport: { protocol: 'tcp', srcPort: 1234, dstPort: 22, flags: TcpFlag.SYN } });
  add('v6 hbh+routing(srh) udp', {
    ip: v6(n, { extensionHeaders: [{ kind: 'hop-by-hop' }, { kind: 'routing', addresses: ['2001:db8:aaaa::1'] }] }),
    transport: { protocol: 'udp', srcPort: 123, dstPort: 123 },
    payloadSize: 48,
  });
  add('v6 hbh+dst+routing(type 0) icmpv6', {
    ip: v6(n, { extensionHeaders: [{ kind: 'hop-by-hop' }, { kind: 'destination-options' }, { kind: 'routing', routingType: 0, addresses: ['2001:db8:bbbb::2'] }] }),
    transport: { protocol: 'icmpv6', type: 128, code: 0 },
    payloadSize: 200,
  });
  // GRE carrying IPv4 UDP, and IPv6 over GRE.
  add('v4 gre(v4 udp)', {
    ip: v4(n),
    transport: { protocol: 'gre', key: 0x1234 },
    payload: buildIpPacket({ ip: { version: 4, src: '100.64.9.9', dst: '203.0.113.99' }, transport: { protocol: 'udp', srcPort: 11211, dstPort: 4444 }, payloadSize: 64 }),
  });
  add('v4 gre(v6 icmpv6)', {
    ip: v4(n),
    transport: { protocol: 'gre' },
    payload: buildIpPacket({ ip: { version: 6, src: '2001:db8::99', dst: '2001:db8::98' }, transport: { protocol: 'icmpv6', type: 128, code: 0 } }),
  });
  return out;
}

function fragmentDrafts(startIndex: number): Draft[] {
  const out: Draft[] = [];
  let n = startIndex;
  const v4frags = [
    { label: 'v4 udp sport 53', transport: { protocol: 'udp', srcPort: 53, dstPort: 41000 } as TransportOptions, payloadSize: 3000, max: 1480, vlans: undefined },
    { label: 'v4 udp sport 11211', transport: { protocol: 'udp', srcPort: 11211, dstPort: 41001 } as TransportOptions, payloadSize: 2000, max: 1480, vlans: [{ id: 42 }] },
    { label: 'v4 icmp echo', transport: { protocol: 'icmp', type: 8, code: 0 } as TransportOptions, payloadSize: 1200, max: 512, vlans: undefined },
    { label: 'v4 tcp', transport: { protocol: 'tcp', srcPort: 80, dstPort: 41002, flags: TcpFlag.ACK | TcpFlag.PSH } as TransportOptions, payloadSize: 1600, max: 1000, vlans: undefined },
  ];
  for (const [i, f] of v4frags.entries()) {
    const spec: FrameSpec = {
      ip: { version: 4, src: `100.64.${i}.${n & 0xff}`, dst: '203.0.113.77', id: 0x7000 + i, ttl: pick(TTLS, i + 4), dscp: pick(DSCPS, i + 1) },
      transport: f.transport,
      payloadSize: f.payloadSize,
    };
    const pieces = fragmentDatagram(spec, { maxFragmentPayload: f.max });
    for (const [k, piece] of pieces.entries()) {
      out.push({ ...piece, vlans: f.vlans, label: `${f.label} fragment ${k + 1}/${pieces.length}`, datagramTransport: f.transport });
      n++;
    }
  }
  const v6frags = [
    { label: 'v6 udp sport 53', transport: { protocol: 'udp', srcPort: 53, dstPort: 42000 } as TransportOptions, payloadSize: 2500, ext: [] },
    { label: 'v6 hbh icmpv6', transport: { protocol: 'icmpv6', type: 128, code: 0 } as TransportOptions, payloadSize: 1800, ext: [{ kind: 'hop-by-hop' as const }] },
    { label: 'v6 tcp', transport: { protocol: 'tcp', srcPort: 8080, dstPort: 42001, flags: TcpFlag.ACK } as TransportOptions, payloadSize: 1500, ext: [] },
  ];
  for (const [i, f] of v6frags.entries()) {
    const spec: FrameSpec = {
      ip: { version: 6, src: `2001:db8:f${i}::1`, dst: '2001:db8:ffff::77', hopLimit: pick(TTLS, i + 1), dscp: pick(DSCPS, i + 3), flowLabel: 0xabc00 + i, extensionHeaders: f.ext },
      transport: f.transport,
      payloadSize: f.payloadSize,
    };
    const pieces = fragmentDatagram(spec, { maxFragmentPayload: 1232, identification: 0x60000000 + i });
    for (const [k, piece] of pieces.entries()) {
      out.push({ ...piece, label: `${f.label} fragment ${k + 1}/${pieces.length}`, datagramTransport: f.transport });
      n++;
    }
  }
  return out;
}

/** The whole mix, in the order it goes into the pcap. */
export function trafficMix(): MixPacket[] {
  const whole = drafts();
  const all = [...whole, ...fragmentDrafts(whole.length)];
  return all.map(({ label, vlans, datagramTransport, ...spec }, index) => {
    const frameSpec: FrameSpec = {
      ...spec,
      ethernet: { src: indexMac(index), dst: pick(['02:00:5e:00:53:01', '02:00:5e:00:53:02', '02:00:5e:00:53:03'], index), vlans },
    };
    return { index, label, spec: frameSpec, frame: buildFrame(frameSpec), datagramTransport };
  });
}
