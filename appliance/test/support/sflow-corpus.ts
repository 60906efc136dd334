// Realistic sFlow datagrams for the allocation and fuzz tests: every sample and record type the decoder
// reads, 802.1Q/QinQ, IPv6 extension headers and fragments, 32-bit values above 2^31 and 64-bit counters,
// plus samples the decoder must skip or reject. Half come as Buffers, which is what dgram hands a collector.
import { ethernet, icmp, ipv4, ipv6, ipv6Fragment, ipv6OptionsHeader, tcp, udp } from './packet-builder.js';
import {
  counterSample,
  datagram,
  extendedGatewayRecord,
  extendedRouterRecord,
  extendedSwitchRecord,
  flowSample,
  genericInterfaceRecord,
  ipv4Record,
  ipv6Record,
  record,
  sampledHeaderRecord,
} from './sflow-builder.js';

export function realisticDatagrams(): Uint8Array[] {
  const tcpV4 = ethernet({ vlans: [{ id: 100 }], etherType: 0x0800, payload: ipv4({ src: '198.51.100.7', dst: '203.0.113.200', protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 443, flags: 0x18, payload: new Uint8Array(60) }) }) });
  const udpV6 = ethernet({
    vlans: [{ tpid: 0x88a8, id: 300 }, { id: 42 }],
    etherType: 0x86dd,
    payload: ipv6({ src: '2001:db8::1', dst: '2001:db8:ffff::2', nextHeader: 0, flowLabel: 0xfffff, payload: ipv6OptionsHeader(44, ipv6Fragment(17, { offset: 0, more: true }, udp({ srcPort: 53, dstPort: 33333, payload: new Uint8Array(40) }))) }),
  });
  const icmpV4 = ipv4({ src: '255.255.255.254', dst: '10.0.0.1', protocol: 1, payload: icmp(3, 4) });
  const fragV4 = ethernet({ etherType: 0x0800, payload: ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, fragmentOffset: 100, payload: new Uint8Array(64) }) });
  const gateway = extendedGatewayRecord({ nextHop: '2001:db8::fe', as: 4200000000, srcAs: 13335, srcPeerAs: 6939, segments: [{ type: 2, asns: [6939, 4200000001, 65000] }], communities: [0xffff029a, 0xfde8000a], localPref: 100 });
  const big = { samplingRate: 0xfffffff0, samplePool: 0xfffffffe, drops: 0x80000001 };
  const counters = genericInterfaceRecord({ ifIndex: 0x80000000, ifSpeed: 400_000_000_000, inOctets: 2n ** 50n + 12345n, outOctets: 2n ** 45n, inUcastPkts: 0xffffffff });
  const d1 = datagram({
    agent: '203.0.113.250',
    sequence: 0xfffffff0,
    samples: [
      flowSample({ ...big, records: [sampledHeaderRecord({ header: tcpV4 }), extendedSwitchRecord({ srcVlan: 100, srcPriority: 0, dstVlan: 200, dstPriority: 0 })] }),
      flowSample({ expanded: true, ...big, input: 0xfffffff0, records: [sampledHeaderRecord({ header: udpV6 }), extendedRouterRecord({ nextHop: '192.0.2.1', srcMaskLen: 24, dstMaskLen: 16 }), gateway] }),
      flowSample({ records: [sampledHeaderRecord({ protocol: 11, header: icmpV4 })] }),
      flowSample({ records: [sampledHeaderRecord({ header: fragV4 })] }),
      counterSample({ records: [counters] }),
      counterSample({ expanded: true, records: [record(2, new Uint8Array(40)), counters] }),
    ],
  });
  const d2 = datagram({
    agent: '2001:db8::ff',
    samples: [
      flowSample({ records: [ipv4Record({ length: 1500, protocol: 17, src: '250.1.2.3', dst: '10.0.0.9', srcPort: 123, dstPort: 123, tos: 0xb8 })] }),
      flowSample({ expanded: true, records: [ipv6Record({ length: 1280, protocol: 6, src: '2001:db8::5', dst: 'ff02::1', srcPort: 80, dstPort: 8080, tcpFlags: 0x12 }), gateway] }),
      record(5, new Uint8Array(24)),
      flowSample({ records: [record(1003, new Uint8Array(4))] }),
      flowSample({ records: [sampledHeaderRecord({ header: udpV6 }), record(1036, new Uint8Array(12))] }),
      flowSample({ records: [sampledHeaderRecord({ header: tcpV4 })] }),
    ],
  });
  const d3 = datagram({ agent: '192.0.2.99', samples: Array.from({ length: 8 }, (_, i) => flowSample({ sequence: i, records: [sampledHeaderRecord({ header: i % 2 ? tcpV4 : udpV6 })] })) });
  // Half as Buffers (what dgram hands the collector), half as plain Uint8Arrays.
  return [d1, d2, d3, Buffer.from(d1), Buffer.from(d2), Buffer.from(d3)];
}
