// Byte-exact checks of the packet builder. The expected frames were produced once by scapy 2.5
// (python3-scapy, a builder we did not write) from the same field values and pinned here as hex; the IPv4
// header checksum vectors are the RFC 1071 / textbook examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFrame, buildIpPacket, buildSegment, type FrameSpec } from '../../src/synthetic/packet-builder.js';
import { internetChecksum } from '../../src/synthetic/internet-checksum.js';
import { ipv4Bytes, ipv6Bytes, macBytes } from '../../src/synthetic/address-bytes.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const noPad = { padToMinimum: false };

const greInner = buildIpPacket({
  ip: { version: 4, src: '198.51.100.9', dst: '203.0.113.9', id: 1 },
  transport: { protocol: 'udp', srcPort: 11211, dstPort: 80 },
});

const scapyVectors: Array<{ name: string; spec: FrameSpec; scapy: string }> = [
  {
    // Ether()/IP(ttl=57, tos=46<<2|1, id=0x1234, flags='DF')/UDP(sport=53, dport=40000)/Raw(bytes(range(10)))
    name: 'IPv4 UDP with DSCP EF, ECN 1, DF',
    spec: {
      ethernet: noPad,
      ip: { version: 4, src: '198.51.100.1', dst: '203.0.113.7', ttl: 57, dscp: 46, ecn: 1, id: 0x1234, dontFragment: true },
      transport: { protocol: 'udp', srcPort: 53, dstPort: 40000 },
      payloadSize: 10,
    },
    scapy: '020000000002020000000001080045b90026123440003911c89dc6336401cb00710700359c400012e8fe00010203040506070809',
  },
  {
    // Ether()/Dot1Q(vlan=100, prio=5)/IPv6(hlim=33, tc=10<<2, fl=0x12345)/TCP(443, 51000, flags='SA', seq=1, ack=2, window=1024)
    name: 'IPv6 TCP SYN-ACK in VLAN 100',
    spec: {
      ethernet: { vlans: [{ id: 100, priority: 5 }] },
      ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2', hopLimit: 33, dscp: 10, flowLabel: 0x12345 },
      transport: { protocol: 'tcp', srcPort: 443, dstPort: 51000, flags: ['SYN', 'ACK'], seq: 1, ack: 2, window: 1024 },
    },
    scapy:
      '0200000000020200000000018100a06486dd628123450014062120010db800000000000000000000000120010db80000000000000000000000' +
      '0201bbc73800000001000000025012040087670000',
  },
  {
    // Ether()/Dot1AD(vlan=10)/Dot1Q(vlan=20)/IP(ttl=1)/ICMP(type=8, id=1, seq=2)/Raw(bytes(range(4)))
    name: 'QinQ ICMP echo',
    spec: {
      ethernet: { vlans: [{ id: 10 }, { id: 20 }], padToMinimum: false },
      ip: { version: 4, src: '198.18.0.1', dst: '198.18.0.2', ttl: 1, id: 1 },
      transport: { protocol: 'icmp', type: 8, code: 0, restOfHeader: 0x00010002 },
      payloadSize: 4,
    },
    scapy: '02000000000202000000000188a8000a810000140800450000200001000001012db5c6120001c61200020800f5f80001000200010203',
  },
  {
    // IPv6()/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/IPv6ExtHdrRouting(type=0, addresses=[b], segleft=1)
    //   /IPv6ExtHdrFragment(m=1, id=7)/UDP(123, 123)/Raw(bytes(range(16)))  -- checksum over the final hop ::b
    name: 'IPv6 hop-by-hop, destination options, type 0 routing, fragment, UDP',
    spec: {
      ip: {
        version: 6,
        src: '2001:db8::1',
        dst: '2001:db8::a',
        extensionHeaders: [
          { kind: 'hop-by-hop' },
          { kind: 'destination-options' },
          { kind: 'routing', routingType: 0, addresses: ['2001:db8::b'] },
          { kind: 'fragment', moreFragments: true, identification: 7 },
        ],
      },
      transport: { protocol: 'udp', srcPort: 123, dstPort: 123 },
      payloadSize: 16,
    },
    scapy:
      '02000000000202000000000186dd600000000048004020010db800000000000000000000000120010db800000000000000000000000a3c00' +
      '0104000000002b000104000000002c0200010000000020010db800000000000000000000000b1100000100000007007b007b00186b0a0001' +
      '02030405060708090a0b0c0d0e0f',
  },
  {
    // IPv6()/IPv6ExtHdrSegmentRouting(addresses=[c, b], segleft=1, lastentry=1)/UDP(1, 2)
    name: 'IPv6 segment routing header (segment list stored final-first)',
    spec: {
      ip: {
        version: 6,
        src: '2001:db8::1',
        dst: '2001:db8::a',
        extensionHeaders: [{ kind: 'routing', addresses: ['2001:db8::b', '2001:db8::c'], segmentsLeft: 1 }],
      },
      transport: { protocol: 'udp', srcPort: 1, dstPort: 2 },
    },
    scapy:
      '02000000000202000000000186dd6000000000302b4020010db800000000000000000000000120010db800000000000000000000000a1104' +
      '04010100000020010db800000000000000000000000c20010db800000000000000000000000b000100020008a45c',
  },
  {
    // IPv6()/ICMPv6EchoRequest(id=0x100, seq=3)/Raw(bytes(range(8)))
    name: 'ICMPv6 echo request',
    spec: {
      ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2' },
      transport: { protocol: 'icmpv6', type: 128, code: 0, restOfHeader: 0x01000003 },
      payloadSize: 8,
    },
    scapy:
      '02000000000202000000000186dd6000000000103a4020010db800000000000000000000000120010db8000000000000000000000002800017' +
      '2d010000030001020304050607',
  },
  {
    // IP()/GRE(key_present=1, key=0xdeadbeef)/IP()/UDP(11211, 80)
    name: 'GRE with key carrying IPv4 UDP',
    spec: {
      ip: { version: 4, src: '100.64.0.1', dst: '100.64.0.2', id: 1 },
      transport: { protocol: 'gre', key: 0xdeadbeef },
      payload: greInner,
    },
    scapy:
      '02000000000202000000000108004500003800010000402fb213644000016440000220000800deadbeef4500001c000100004011148ac6336409' +
      'cb0071092bcb005000086d7c',
  },
];

for (const vector of scapyVectors) {
  test(`builder matches scapy byte for byte: ${vector.name}`, () => {
    assert.equal(hex(buildFrame(vector.spec)), vector.scapy);
  });
}

test('internet checksum: RFC 1071 §3 example and a textbook IPv4 header', () => {
  // RFC 1071: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded), so the checksum is its complement 220d.
  assert.equal(internetChecksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d);
  const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
  assert.equal(internetChecksum(header), 0xb861);
  // Odd length: the last byte is padded with a zero byte on the right.
  assert.equal(internetChecksum(Uint8Array.from([0x01])), 0xfeff);
});

test('IPv4 header checksum verifies to zero over the finished header', () => {
  const packet = buildIpPacket({
    ip: { version: 4, src: '203.0.113.1', dst: '198.51.100.2', ttl: 3, options: Uint8Array.from([0x94, 0x04, 0, 0]) },
    transport: { protocol: 'udp', srcPort: 1, dstPort: 2 },
  });
  assert.equal(packet[0], 0x46, 'IHL 6 with 4 bytes of options');
  assert.equal(internetChecksum(packet.subarray(0, 24)), 0);
});

test('a computed UDP checksum of zero is sent as 0xffff', () => {
  // With source port 0 the segment sums to S and carries ~S. Moving ~S into the source port makes the sum
  // 0xffff, whose complement is 0: exactly the case RFC 768 says to send as all ones.
  const spec = (srcPort: number) => ({
    ip: { version: 4 as const, src: '192.0.2.1', dst: '192.0.2.2' },
    transport: { protocol: 'udp' as const, srcPort, dstPort: 9 },
  });
  const base = buildSegment(spec(0)).bytes;
  const port = base[6]! * 256 + base[7]!;
  const bytes = buildSegment(spec(port)).bytes;
  assert.equal(hex(bytes.subarray(6, 8)), 'ffff');
});

test('frameSize and packetSize size the payload; Ethernet frames are padded to 60 bytes', () => {
  const ip = { version: 4 as const, src: '198.18.0.1', dst: '198.18.0.2' };
  assert.equal(buildFrame({ ip, transport: { protocol: 'udp', srcPort: 1, dstPort: 2 }, frameSize: 1514 }).length, 1514);
  assert.equal(buildFrame({ ethernet: { vlans: [{ id: 5 }, { id: 6 }] }, ip, transport: { protocol: 'tcp', srcPort: 1, dstPort: 2 }, frameSize: 99 }).length, 99);
  assert.equal(buildIpPacket({ ip, transport: { protocol: 'icmp', type: 0, code: 0 }, packetSize: 84 }).length, 84);
  const small = buildFrame({ ip, transport: { protocol: 'udp', srcPort: 1, dstPort: 2 } });
  assert.equal(small.length, 60);
  assert.equal(small[16]! * 256 + small[17]!, 28, 'IP total length excludes the Ethernet padding');
  assert.equal(buildFrame({ ethernet: noPad, ip, transport: { protocol: 'udp', srcPort: 1, dstPort: 2 } }).length, 42);
  assert.throws(() => buildFrame({ ip, transport: { protocol: 'udp', srcPort: 1, dstPort: 2 }, frameSize: 41 }), RangeError);
  assert.throws(() => buildFrame({ ip, payloadSize: 1, frameSize: 100, transport: { protocol: 'udp', srcPort: 1, dstPort: 2 } }), TypeError);
});

test('out-of-range fields throw instead of wrapping', () => {
  const ip = { version: 4 as const, src: '198.18.0.1', dst: '198.18.0.2' };
  const udp = { protocol: 'udp' as const, srcPort: 1, dstPort: 2 };
  assert.throws(() => buildFrame({ ip: { ...ip, ttl: 256 }, transport: udp }), /ttl/);
  assert.throws(() => buildFrame({ ip: { ...ip, dscp: 64 }, transport: udp }), /dscp/);
  assert.throws(() => buildFrame({ ip: { ...ip, fragmentOffset: 8192 }, transport: udp }), /fragmentOffset/);
  assert.throws(() => buildFrame({ ip, transport: { ...udp, srcPort: 65536 } }), /srcPort/);
  assert.throws(() => buildFrame({ ethernet: { vlans: [{ id: 4096 }] }, ip, transport: udp }), /vlan id/);
  assert.throws(() => buildFrame({ ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2', flowLabel: 1 << 20 }, transport: udp }), /flowLabel/);
  assert.throws(() => buildFrame({ ip }), /ip.protocol/);
});

test('address text: MAC, IPv4 and IPv6 forms', () => {
  assert.deepEqual([...macBytes('02-00-5E-10-00-FF')], [2, 0, 0x5e, 0x10, 0, 0xff]);
  assert.deepEqual([...ipv4Bytes('203.0.113.254')], [203, 0, 113, 254]);
  assert.equal(hex(ipv6Bytes('2001:db8::1')), '20010db8000000000000000000000001');
  assert.equal(hex(ipv6Bytes('::')), '00000000000000000000000000000000');
  assert.equal(hex(ipv6Bytes('::1')), '00000000000000000000000000000001');
  assert.equal(hex(ipv6Bytes('2001:db8::')), '20010db8000000000000000000000000');
  assert.equal(hex(ipv6Bytes('2001:db8:1:2:3:4:5:6')), '20010db8000100020003000400050006');
  assert.equal(hex(ipv6Bytes('::ffff:192.0.2.33')), '00000000000000000000ffffc0000221');
  for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', 'a.b.c.d']) assert.throws(() => ipv4Bytes(bad), TypeError, bad);
  for (const bad of ['1::2::3', '2001:db8:1:2:3:4:5:6:7', '12345::', '2001:db8:1:2:3:4:5', ':::', 'g::1', '1::2:3:4:5:6:7:8']) {
    assert.throws(() => ipv6Bytes(bad), TypeError, bad);
  }
  assert.throws(() => macBytes('02:00:00:00:00'), TypeError);
});
