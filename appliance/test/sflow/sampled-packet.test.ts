// The sampled-header parser through the decoder: Ethernet with 802.1Q / QinQ tags, raw IPv4 and IPv6 header
// protocols, IPv6 extension-header chains, IPv4 and IPv6 fragments, and headers cut short by the agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, ethernet, icmp, ipv4, ipv6, ipv6Authentication, ipv6Fragment, ipv6OptionsHeader, tcp, udp } from '../support/packet-builder.js';
import { datagram, flowSample, sampledHeaderRecord } from '../support/sflow-builder.js';
import { decodeOneFlow, type FlowCopy } from '../support/sflow-capture.js';

const parse = (header: Uint8Array, protocol = 1): FlowCopy =>
  decodeOneFlow(datagram({ samples: [flowSample({ records: [sampledHeaderRecord({ protocol, header, frameLength: 1000 })] })] }));

const v4udp = (o: Partial<Parameters<typeof ipv4>[0]> = {}): Uint8Array =>
  ipv4({ src: '192.0.2.1', dst: '203.0.113.5', protocol: 17, payload: udp({ srcPort: 53, dstPort: 40000, payload: new Uint8Array(20) }), ...o });
const v6 = (nextHeader: number, payload: Uint8Array, o: Partial<Parameters<typeof ipv6>[0]> = {}): Uint8Array =>
  ipv6({ src: '2001:db8::1', dst: '2001:db8:ffff::2', nextHeader, payload, ...o });
const udpPayload = udp({ srcPort: 123, dstPort: 9999, payload: new Uint8Array(8) });

interface Case {
  name: string;
  header: Uint8Array;
  protocol?: number;
  expect: Partial<Record<keyof FlowCopy, unknown>>;
}

const cases: Case[] = [
  {
    name: 'Ethernet, no tag, IPv4 UDP',
    header: ethernet({ etherType: 0x0800, payload: v4udp({ ttl: 57, tos: 0x2e << 2 }) }),
    expect: { vlanOuter: -1, vlanInner: -1, etherType: 0x0800, ipVersion: 4, src: '192.0.2.1', dst: '203.0.113.5', protocol: 17, srcPort: 53, dstPort: 40000, ttl: 57, dscp: 0x2e, ipLength: 48, hasL4: true, isFragment: false },
  },
  {
    name: '802.1Q tag',
    header: ethernet({ vlans: [{ id: 100, priority: 5 }], etherType: 0x0800, payload: v4udp() }),
    expect: { vlanOuter: 100, vlanInner: -1, etherType: 0x0800, dstPort: 40000 },
  },
  {
    name: 'QinQ 0x88a8 + 0x8100',
    header: ethernet({ vlans: [{ tpid: 0x88a8, id: 300 }, { id: 42 }], etherType: 0x0800, payload: v4udp() }),
    expect: { vlanOuter: 300, vlanInner: 42, srcPort: 53 },
  },
  {
    name: 'legacy QinQ 0x9100 + 0x8100',
    header: ethernet({ vlans: [{ tpid: 0x9100, id: 4094 }, { id: 1 }], etherType: 0x86dd, payload: v6(17, udpPayload) }),
    expect: { vlanOuter: 4094, vlanInner: 1, ipVersion: 6, dstPort: 9999 },
  },
  {
    name: 'three tags: outer and inner kept, third skipped',
    header: ethernet({ vlans: [{ tpid: 0x88a8, id: 10 }, { tpid: 0x8100, id: 20 }, { tpid: 0x8100, id: 30 }], etherType: 0x0800, payload: v4udp() }),
    expect: { vlanOuter: 10, vlanInner: 20, etherType: 0x0800, dstPort: 40000 },
  },
  {
    name: 'non-IP EtherType (ARP): MACs only',
    header: ethernet({ src: '00:11:22:33:44:55', dst: 'ff:ff:ff:ff:ff:ff', etherType: 0x0806, payload: new Uint8Array(28) }),
    expect: { etherType: 0x0806, ipVersion: 0, srcMacText: '00:11:22:33:44:55', dstMacText: 'ff:ff:ff:ff:ff:ff', hasL4: false },
  },
  {
    name: 'Ethernet frame cut inside a VLAN tag',
    header: ethernet({ vlans: [{ id: 7 }], etherType: 0x0800, payload: new Uint8Array(0) }).subarray(0, 16),
    expect: { etherType: 0, vlanOuter: -1, ipVersion: 0 },
  },
  {
    name: 'raw IPv4 (header_protocol 11), TCP flags',
    protocol: 11,
    header: ipv4({ src: '198.51.100.1', dst: '198.51.100.2', protocol: 6, payload: tcp({ srcPort: 1234, dstPort: 80, flags: 0x18 }) }),
    expect: { headerProtocol: 11, ipVersion: 4, etherType: 0, srcMac: 0, protocol: 6, srcPort: 1234, dstPort: 80, tcpFlags: 0x18 },
  },
  {
    name: 'raw IPv6 (header_protocol 12), flow label, traffic class, hop limit',
    protocol: 12,
    header: v6(6, tcp({ srcPort: 443, dstPort: 51000, flags: 0x11 }), { trafficClass: 0xb8 | 2, flowLabel: 0xabcde, hopLimit: 250 }),
    expect: { ipVersion: 6, src: '2001:db8::1', dst: '2001:db8:ffff::2', protocol: 6, srcPort: 443, tcpFlags: 0x11, dscp: 46, ecn: 2, flowLabel: 0xabcde, ttl: 250, ipLength: 60 },
  },
  {
    name: 'IPv4 with options (IHL 6)',
    header: ethernet({ etherType: 0x0800, payload: v4udp({ options: Uint8Array.from([0x94, 0x04, 0, 0]) }) }),
    expect: { srcPort: 53, dstPort: 40000, hasL4: true },
  },
  {
    name: 'IPv4 ICMP echo',
    header: ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1, payload: icmp(8, 0) }) }),
    expect: { protocol: 1, icmpType: 8, icmpCode: 0, srcPort: 0, hasL4: true },
  },
  {
    name: 'ICMPv6 packet too big',
    header: ethernet({ etherType: 0x86dd, payload: v6(58, icmp(2, 0)) }),
    expect: { protocol: 58, icmpType: 2, icmpCode: 0, hasL4: true },
  },
  {
    name: 'IPv4 don\'t-fragment bit',
    header: ethernet({ etherType: 0x0800, payload: v4udp({ dontFragment: true }) }),
    expect: { dontFragment: true, moreFragments: false, isFragment: false, fragmentOffset: 0, hasL4: true },
  },
  {
    name: 'IPv4 first fragment: more-fragments, offset 0, ports read',
    header: ethernet({ etherType: 0x0800, payload: v4udp({ moreFragments: true, totalLength: 1500 }) }),
    expect: { isFragment: true, moreFragments: true, fragmentOffset: 0, hasL4: true, srcPort: 53, ipLength: 1500 },
  },
  {
    name: 'IPv4 non-first fragment: offset, no L4 (payload bytes are not a header)',
    header: ethernet({ etherType: 0x0800, payload: ipv4({ src: '192.0.2.1', dst: '203.0.113.5', protocol: 17, fragmentOffset: 185, payload: udp({ srcPort: 1, dstPort: 2 }) }) }),
    expect: { isFragment: true, moreFragments: false, fragmentOffset: 185, hasL4: false, srcPort: 0, dstPort: 0, protocol: 17 },
  },
  {
    name: 'IPv6 hop-by-hop, routing, destination options, then UDP',
    header: ethernet({ etherType: 0x86dd, payload: v6(0, ipv6OptionsHeader(43, ipv6OptionsHeader(60, ipv6OptionsHeader(17, udpPayload), 1))) }),
    expect: { protocol: 17, srcPort: 123, dstPort: 9999, hasL4: true, isFragment: false },
  },
  {
    name: 'IPv6 authentication header, then TCP',
    header: ethernet({ etherType: 0x86dd, payload: v6(51, ipv6Authentication(6, tcp({ srcPort: 179, dstPort: 50000, flags: 0x10 }))) }),
    expect: { protocol: 6, srcPort: 179, dstPort: 50000, tcpFlags: 0x10, hasL4: true },
  },
  {
    name: 'IPv6 first fragment (offset 0, M=1): UDP ports read',
    header: ethernet({ etherType: 0x86dd, payload: v6(44, ipv6Fragment(17, { offset: 0, more: true }, udpPayload)) }),
    expect: { protocol: 17, isFragment: true, moreFragments: true, fragmentOffset: 0, srcPort: 123, hasL4: true },
  },
  {
    name: 'IPv6 non-first fragment behind hop-by-hop: protocol from the fragment header, no L4',
    header: ethernet({ etherType: 0x86dd, payload: v6(0, ipv6OptionsHeader(44, ipv6Fragment(17, { offset: 181, more: false }, udpPayload))) }),
    expect: { protocol: 17, isFragment: true, moreFragments: false, fragmentOffset: 181, hasL4: false, srcPort: 0 },
  },
  {
    name: 'IPv6 last fragment (M=0, offset>0)',
    header: ethernet({ etherType: 0x86dd, payload: v6(44, ipv6Fragment(6, { offset: 8, more: false }, new Uint8Array(32))) }),
    expect: { protocol: 6, isFragment: true, fragmentOffset: 8, hasL4: false },
  },
  {
    name: 'IPv6 no next header (59)',
    header: ethernet({ etherType: 0x86dd, payload: v6(59, new Uint8Array(0)) }),
    expect: { protocol: 59, hasL4: false },
  },
  {
    name: 'IPv6 extension header cut by the snap length: its next header is known, no L4',
    header: ethernet({ etherType: 0x86dd, payload: v6(0, ipv6OptionsHeader(6, tcp({ srcPort: 1, dstPort: 2, flags: 2 }), 4)) }).subarray(0, 14 + 40 + 10),
    expect: { ipVersion: 6, protocol: 6, hasL4: false, srcPort: 0 },
  },
  {
    name: 'TCP header cut before the flags byte: no L4',
    header: ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcPort: 5, dstPort: 6, flags: 2 }) }) }).subarray(0, 14 + 20 + 10),
    expect: { protocol: 6, hasL4: false, srcPort: 0 },
  },
  {
    name: 'IPv4 header cut at 19 bytes: no IP fields',
    header: ethernet({ etherType: 0x0800, payload: v4udp() }).subarray(0, 14 + 19),
    expect: { etherType: 0x0800, ipVersion: 0, src: undefined, protocol: 0 },
  },
  {
    name: 'EtherType says IPv4 but the version nibble is 6: not parsed as IPv4',
    header: ethernet({ etherType: 0x0800, payload: v6(17, udpPayload) }),
    expect: { etherType: 0x0800, ipVersion: 0 },
  },
  {
    name: 'IPv4 header length below 20 (IHL 4): not parsed',
    header: ethernet({ etherType: 0x0800, payload: Uint8Array.from([0x44, ...v4udp().subarray(1)]) }),
    expect: { ipVersion: 0 },
  },
  {
    name: 'unparsed header protocol (e.g. 802.11 = 6): bytes kept, nothing parsed',
    protocol: 6,
    header: new Uint8Array(64).fill(0x45),
    expect: { headerProtocol: 6, packetSource: 1, ipVersion: 0, headerLength: 64 },
  },
  {
    name: 'SCTP ports',
    header: ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 132, payload: concat([0x0b, 0x59, 0x0b, 0x5a], new Uint8Array(8)) }) }),
    expect: { protocol: 132, srcPort: 2905, dstPort: 2906, hasL4: true },
  },
];

test('sampled headers are parsed down to L4', async (t) => {
  for (const c of cases) {
    await t.test(c.name, () => {
      const s = parse(c.header, c.protocol) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(s[k], v, k);
      assert.equal(s.frameLength, 1000);
      assert.equal(s.headerLength, c.header.length);
    });
  }
});

test('every prefix of a sampled header parses without error and never claims L4 it did not read', () => {
  const header = ethernet({ vlans: [{ tpid: 0x88a8, id: 5 }, { id: 6 }], etherType: 0x86dd, payload: v6(0, ipv6OptionsHeader(44, ipv6Fragment(6, { offset: 0, more: true }, tcp({ srcPort: 7, dstPort: 8, flags: 0x02 })))) });
  const full = parse(header);
  assert.equal(full.dstPort, 8);
  // The TCP header is the last 20 bytes; its flags byte is the 14th.
  const needed = header.length - 20 + 14;
  for (let cut = 0; cut <= header.length; cut++) {
    const s = parse(header.subarray(0, cut));
    assert.equal(s.hasL4, cut >= needed, `cut at ${cut}`);
    if (!s.hasL4) assert.equal(s.srcPort + s.dstPort + s.tcpFlags, 0);
  }
});
