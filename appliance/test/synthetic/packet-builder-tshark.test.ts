// Builds one frame per case, writes them all with the pcap writer to a real file, and has tshark (a decoder
// we did not write) dissect it with checksum validation on. Each case states the tshark fields it expects,
// so this proves the builder's fields and checksums and the writer's file format in one pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFrame, buildIpPacket, type FrameSpec } from '../../src/synthetic/packet-builder.js';
import { fragmentDatagram } from '../../src/synthetic/ip-fragments.js';
import { LinkType, openPcapFile } from '../../src/pcap/pcap-writer.js';
import { CHECK_CHECKSUMS_AND_KEEP_FRAGMENTS, findAll, tsharkJson, type TsharkLayers } from '../conformance/tshark.js';

/** tshark field name -> expected value(s), in the order the field appears in the frame. */
type Expect = Record<string, string | readonly string[]>;

interface Case {
  name: string;
  spec: FrameSpec;
  expect: Expect;
}

const v4 = { version: 4 as const, src: '198.51.100.10', dst: '203.0.113.20' };
const v6 = { version: 6 as const, src: '2001:db8:1::10', dst: '2001:db8:2::20' };

const cases: Case[] = [
  {
    name: 'IPv4 UDP, full-size frame, DSCP AF41 + ECN CE, DF, TTL 7',
    spec: { ip: { ...v4, ttl: 7, dscp: 34, ecn: 3, id: 0xbeef, dontFragment: true }, transport: { protocol: 'udp', srcPort: 40001, dstPort: 40002 }, frameSize: 1514 },
    expect: {
      'frame.len': '1514', 'eth.type': '0x0800', 'ip.src': v4.src, 'ip.dst': v4.dst, 'ip.ttl': '7', 'ip.dsfield.dscp': '34',
      'ip.dsfield.ecn': '3', 'ip.id': '0xbeef', 'ip.flags.df': '1', 'ip.flags.mf': '0', 'ip.len': '1500', 'ip.proto': '17',
      'ip.checksum.status': '1', 'udp.srcport': '40001', 'udp.dstport': '40002', 'udp.length': '1480', 'udp.checksum.status': '1',
    },
  },
  {
    name: 'IPv4 TCP FIN+PSH+URG with an MSS option, seq/ack/window/urgent',
    spec: {
      ethernet: { src: '02:00:5e:00:53:01', dst: '02:00:5e:00:53:02' },
      ip: { ...v4, id: 2 },
      transport: {
        protocol: 'tcp', srcPort: 45000, dstPort: 80, flags: ['FIN', 'PSH', 'URG'], seq: 0xfffffff0, ack: 12345, window: 512,
        urgentPointer: 3, options: Uint8Array.from([2, 4, 0x05, 0xb4]),
      },
      payloadSize: 40,
    },
    expect: {
      'eth.src': '02:00:5e:00:53:01', 'eth.dst': '02:00:5e:00:53:02', 'tcp.srcport': '45000', 'tcp.dstport': '80', 'tcp.flags': '0x0029',
      'tcp.seq_raw': '4294967280', 'tcp.ack_raw': '12345', 'tcp.window_size_value': '512', 'tcp.urgent_pointer': '3',
      'tcp.hdr_len': '24', 'tcp.options.mss_val': '1460', 'tcp.len': '40', 'tcp.checksum.status': '1', 'ip.checksum.status': '1',
    },
  },
  {
    name: 'IPv4 TCP with every flag from a number',
    spec: { ip: { ...v4, id: 3 }, transport: { protocol: 'tcp', srcPort: 1, dstPort: 2, flags: 0xff } },
    expect: { 'tcp.flags': '0x00ff', 'tcp.flags.cwr': '1', 'tcp.flags.ece': '1', 'tcp.flags.syn': '1', 'tcp.checksum.status': '1' },
  },
  {
    name: 'IPv4 ICMP port unreachable',
    spec: { ip: { ...v4, id: 4, ttl: 255 }, transport: { protocol: 'icmp', type: 3, code: 3 }, payloadSize: 28 },
    expect: { 'ip.proto': '1', 'ip.ttl': '255', 'icmp.type': '3', 'icmp.code': '3', 'icmp.checksum.status': '1' },
  },
  {
    name: '802.1Q VLAN 100 priority 5, IPv6 TCP SYN-ACK, traffic class and flow label',
    spec: {
      ethernet: { vlans: [{ id: 100, priority: 5 }] },
      ip: { ...v6, hopLimit: 33, dscp: 10, ecn: 2, flowLabel: 0xabcde },
      transport: { protocol: 'tcp', srcPort: 443, dstPort: 51000, flags: ['SYN', 'ACK'] },
    },
    expect: {
      'eth.type': '0x8100', 'vlan.id': '100', 'vlan.priority': '5', 'vlan.etype': '0x86dd', 'ipv6.src': v6.src, 'ipv6.dst': v6.dst,
      'ipv6.hlim': '33', 'ipv6.tclass.dscp': '10', 'ipv6.tclass.ecn': '2', 'ipv6.flow': '0x0abcde', 'ipv6.nxt': '6',
      'tcp.flags': '0x0012', 'tcp.checksum.status': '1',
    },
  },
  {
    name: 'QinQ (802.1ad 10 outside 802.1Q 20), IPv4 ICMP echo',
    spec: {
      ethernet: { vlans: [{ id: 10, priority: 1, dropEligible: true }, { id: 20 }] },
      ip: { ...v4, id: 6 },
      transport: { protocol: 'icmp', type: 8, code: 0, restOfHeader: 0x12340001 },
      payloadSize: 56,
    },
    expect: {
      'eth.type': '0x88a8', 'ieee8021ad.id': '10', 'ieee8021ad.priority': '1', 'ieee8021ad.dei': '1', 'vlan.id': '20',
      'icmp.type': '8', 'icmp.ident': '4660', 'icmp.seq': '1', 'icmp.checksum.status': '1', 'ip.checksum.status': '1',
    },
  },
  {
    name: 'IPv6 hop-by-hop (router alert), destination options, type 0 routing, fragment header, UDP',
    spec: {
      ip: {
        ...v6,
        extensionHeaders: [
          { kind: 'hop-by-hop', options: Uint8Array.from([5, 2, 0, 0]) },
          { kind: 'destination-options' },
          { kind: 'routing', routingType: 0, addresses: ['2001:db8:3::30'] },
          { kind: 'fragment', offset: 0, moreFragments: true, identification: 0x01020304 },
        ],
      },
      transport: { protocol: 'udp', srcPort: 50000, dstPort: 50001 },
      payloadSize: 16,
    },
    expect: {
      'ipv6.nxt': '0', 'ipv6.hopopts.nxt': '60', 'ipv6.opt.router_alert': '0', 'ipv6.dstopts.nxt': '43', 'ipv6.routing.type': '0',
      'ipv6.routing.segleft': '1', 'ipv6.routing.nxt': '44', 'ipv6.fraghdr.nxt': '17', 'ipv6.fraghdr.offset': '0',
      'ipv6.fraghdr.more': '1', 'ipv6.fraghdr.ident': '0x01020304', 'udp.srcport': '50000', 'udp.length': '24',
    },
  },
  {
    name: 'IPv6 segment routing header: TCP checksum over the final segment',
    spec: {
      ip: { ...v6, extensionHeaders: [{ kind: 'routing', addresses: ['2001:db8:3::30', '2001:db8:4::40'] }] },
      transport: { protocol: 'tcp', srcPort: 179, dstPort: 60000, flags: ['RST'] },
    },
    expect: {
      'ipv6.routing.type': '4', 'ipv6.routing.segleft': '2', 'ipv6.routing.srh.last_entry': '1',
      'ipv6.routing.srh.addr': ['2001:db8:4::40', '2001:db8:3::30'], 'tcp.flags': '0x0004', 'tcp.checksum.status': '1',
    },
  },
  {
    name: 'ICMPv6 echo request',
    spec: { ip: { ...v6, hopLimit: 255 }, transport: { protocol: 'icmpv6', type: 128, code: 0, restOfHeader: 0x00070009 }, payloadSize: 32 },
    expect: { 'ipv6.nxt': '58', 'icmpv6.type': '128', 'icmpv6.code': '0', 'icmpv6.echo.identifier': '0x0007', 'icmpv6.echo.sequence_number': '9', 'icmpv6.checksum.status': '1' },
  },
  {
    name: 'GRE with checksum, key and sequence carrying IPv6 UDP',
    spec: {
      ip: { version: 4, src: '100.64.0.1', dst: '100.64.0.2', id: 10 },
      transport: { protocol: 'gre', checksum: true, key: 0xdeadbeef, sequence: 42 },
      payload: buildIpPacket({ ip: v6, transport: { protocol: 'udp', srcPort: 40010, dstPort: 40011 }, payloadSize: 8 }),
    },
    expect: {
      'ip.proto': '47', 'gre.proto': '0x86dd', 'gre.key': '0xdeadbeef', 'gre.sequence_number': '42', 'gre.checksum.status': '1',
      'ipv6.src': v6.src, 'udp.srcport': '40010', 'udp.checksum.status': '1',
    },
  },
  {
    // tshark 4.0 shows ip.frag_offset and ipv6.fraghdr.offset in 8-byte units, as on the wire.
    name: 'IPv4 non-first fragment built by hand (offset 185 units = 1480 bytes, last)',
    spec: { ip: { ...v4, id: 11, fragmentOffset: 185, protocol: 17 }, payloadSize: 100 },
    expect: { 'ip.flags.mf': '0', 'ip.frag_offset': '185', 'ip.proto': '17', 'ip.len': '120', 'ip.checksum.status': '1' },
  },
];

let dir: string;
let frames: TsharkLayers[];
let fragmentFrames: TsharkLayers[];
let rawFrames: TsharkLayers[];

const fragmentSets: FrameSpec[][] = [
  fragmentDatagram({ ip: { ...v4, id: 0x4242 }, transport: { protocol: 'udp', srcPort: 53, dstPort: 33000 }, payloadSize: 3000 }, { maxFragmentPayload: 1480 }),
  fragmentDatagram(
    { ethernet: { vlans: [{ id: 7 }] }, ip: { ...v6, extensionHeaders: [{ kind: 'hop-by-hop' }] }, transport: { protocol: 'udp', srcPort: 123, dstPort: 33001 }, payloadSize: 2000 },
    { maxFragmentPayload: 1232, identification: 0xfeedf00d },
  ),
  fragmentDatagram({ ip: { ...v4, id: 0x4343 }, transport: { protocol: 'icmp', type: 8, code: 0 }, payloadSize: 1000 }, { maxFragmentPayload: 300 }),
];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-builder-tshark-'));
  const write = async (name: string, packets: Uint8Array[], linkType: number = LinkType.ETHERNET): Promise<string> => {
    const path = join(dir, name);
    const writer = await openPcapFile(path, { linkType });
    for (const [i, data] of packets.entries()) await writer.writeAndWait(data, { timestampMicros: 1_700_000_000_000_000 + i * 1000 });
    await writer.close();
    return path;
  };
  frames = await tsharkJson(await write('cases.pcap', cases.map((c) => buildFrame(c.spec))), { args: CHECK_CHECKSUMS_AND_KEEP_FRAGMENTS });
  // Reassembly on (tshark's default): the checksum of each whole datagram is verified across its fragments.
  fragmentFrames = await tsharkJson(await write('fragments.pcap', fragmentSets.flat().map(buildFrame)), {
    args: ['-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'],
  });
  rawFrames = await tsharkJson(
    await write('raw.pcap', [buildIpPacket({ ip: v4, transport: { protocol: 'udp', srcPort: 7, dstPort: 8 } }), buildIpPacket({ ip: v6, transport: { protocol: 'icmpv6', type: 129, code: 0 } })], LinkType.RAW),
  );
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function checkFields(layers: TsharkLayers, expect: Expect): void {
  for (const [field, want] of Object.entries(expect)) {
    const wanted = typeof want === 'string' ? [want] : want;
    const got = findAll(layers, field);
    assert.deepEqual(got, wanted, `tshark field ${field}`);
  }
}

for (const [index, c] of cases.entries()) {
  test(`tshark decodes what the builder built: ${c.name}`, () => {
    const layers = frames[index];
    assert.ok(layers, `tshark returned frame ${index + 1}`);
    checkFields(layers, c.expect);
    assert.deepEqual(findAll(layers, '_ws.malformed'), [], 'no malformed-packet expert info');
    for (const status of ['ip', 'udp', 'tcp', 'icmp', 'icmpv6', 'gre'].flatMap((p) => findAll(layers, `${p}.checksum.status`))) {
      assert.notEqual(status, '0', 'no checksum tshark calls bad');
    }
  });
}

test('fragmentDatagram: tshark reassembles every datagram and its transport checksum is good', () => {
  assert.equal(fragmentFrames.length, fragmentSets.flat().length);
  assert.deepEqual(fragmentSets.map((s) => s.length), [3, 2, 4]);
  // The last fragment of each set carries the reassembled datagram.
  const lastIndexes = fragmentSets.map((_, i) => fragmentSets.slice(0, i + 1).flat().length - 1);
  const [v4Udp, v6Udp, v4Icmp] = lastIndexes.map((i) => fragmentFrames[i]!);
  checkFields(v4Udp!, { 'ip.reassembled.length': '3008', 'udp.length': '3008', 'udp.srcport': '53', 'udp.checksum.status': '1' });
  checkFields(v6Udp!, { 'ipv6.reassembled.length': '2008', 'udp.length': '2008', 'udp.checksum.status': '1', 'vlan.id': '7' });
  checkFields(v4Icmp!, { 'ip.reassembled.length': '1008', 'icmp.type': '8', 'icmp.checksum.status': '1' });
  const offsets = fragmentFrames.slice(0, 3).map((f) => findAll(f, 'ip.frag_offset')[0]);
  assert.deepEqual(offsets, ['0', '185', '370']);
  const v6Fragments = fragmentFrames.slice(3, 5).map((f) => [findAll(f, 'ipv6.fraghdr.offset')[0], findAll(f, 'ipv6.fraghdr.more')[0], findAll(f, 'ipv6.fraghdr.ident')[0]]);
  assert.deepEqual(v6Fragments, [['0', '1', '0xfeedf00d'], ['154', '0', '0xfeedf00d']]);
});

test('a raw-IP pcap (link type 101) decodes as IPv4 and IPv6 without a link layer', () => {
  assert.equal(rawFrames.length, 2);
  checkFields(rawFrames[0]!, { 'ip.src': v4.src, 'udp.dstport': '8', 'frame.len': '28' });
  checkFields(rawFrames[1]!, { 'ipv6.dst': v6.dst, 'icmpv6.type': '129', 'frame.len': '48' });
  assert.deepEqual(findAll(rawFrames[0]!, 'eth'), []);
});
