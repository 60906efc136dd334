// Finding the UDP datagram in a captured frame, for every link type the reader supports, and each status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressText } from '../../src/net/address-text.js';
import { CapturedUdp, extractUdp, FrameLinkType, FrameStatus, frameStatusNames } from '../../src/pcap/captured-udp.js';
import { concat, ethernet, ipv4, ipv6, ipv6Fragment, ipv6OptionsHeader, tcp, udp } from '../support/packet-builder.js';

const payload = Uint8Array.from([0, 0, 0, 5, 0xde, 0xad, 0xbe, 0xef]);
const udp4 = ipv4({ src: '192.0.2.10', dst: '198.51.100.1', protocol: 17, payload: udp({ srcPort: 50000, dstPort: 6343, payload }) });
const udp6 = ipv6({ src: '2001:db8::10', dst: '2001:db8::1', nextHeader: 17, payload: udp({ srcPort: 50001, dstPort: 6343, payload }) });
const u32le = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
const u32be = (v: number): number[] => [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
/** Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
const sll = (protocol: number, ip: Uint8Array): Uint8Array => concat([0, 0, 0, 1, 0, 6], new Uint8Array(8), [protocol >> 8, protocol & 0xff], ip);
/** Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes. */
const sll2 = (protocol: number, ip: Uint8Array): Uint8Array => concat([protocol >> 8, protocol & 0xff, 0, 0], u32be(3), [0, 1, 0, 6], new Uint8Array(8), ip);

function extract(frame: Uint8Array, linkType: number): { status: number; out: CapturedUdp } {
  const out = new CapturedUdp();
  return { status: extractUdp(frame, linkType, out), out };
}

test('UDP found under every supported link type', async (t) => {
  const cases: { name: string; linkType: number; frame: Uint8Array; v6?: boolean }[] = [
    { name: 'Ethernet IPv4', linkType: FrameLinkType.ethernet, frame: ethernet({ etherType: 0x0800, payload: udp4 }) },
    { name: 'Ethernet 802.1Q IPv6', linkType: FrameLinkType.ethernet, frame: ethernet({ vlans: [{ id: 10 }], etherType: 0x86dd, payload: udp6 }), v6: true },
    { name: 'Ethernet QinQ IPv4', linkType: FrameLinkType.ethernet, frame: ethernet({ vlans: [{ tpid: 0x88a8, id: 10 }, { id: 20 }], etherType: 0x0800, payload: udp4 }) },
    { name: 'Ethernet padded to 60 bytes', linkType: FrameLinkType.ethernet, frame: concat(ethernet({ etherType: 0x0800, payload: udp4 }), new Uint8Array(10)) },
    { name: 'Linux SLL IPv4', linkType: FrameLinkType.linuxSll, frame: sll(0x0800, udp4) },
    { name: 'Linux SLL2 IPv6', linkType: FrameLinkType.linuxSll2, frame: sll2(0x86dd, udp6), v6: true },
    { name: 'raw IP (101) IPv4', linkType: FrameLinkType.raw, frame: udp4 },
    { name: 'raw IP (101) IPv6', linkType: FrameLinkType.raw, frame: udp6, v6: true },
    { name: 'LINKTYPE_IPV4 (228)', linkType: FrameLinkType.ipv4, frame: udp4 },
    { name: 'LINKTYPE_IPV6 (229)', linkType: FrameLinkType.ipv6, frame: udp6, v6: true },
    { name: 'BSD loopback, little-endian AF_INET', linkType: FrameLinkType.null, frame: concat(u32le(2), udp4) },
    { name: 'BSD loopback, big-endian AF_INET6 (macOS 30)', linkType: FrameLinkType.null, frame: concat(u32be(30), udp6), v6: true },
    { name: 'BSD loopback, little-endian AF_INET6 (FreeBSD 28)', linkType: FrameLinkType.null, frame: concat(u32le(28), udp6), v6: true },
    { name: 'OpenBSD loop (108), AF_INET6 24', linkType: FrameLinkType.loop, frame: concat(u32be(24), udp6), v6: true },
    {
      name: 'IPv6 with hop-by-hop and destination options',
      linkType: FrameLinkType.raw,
      frame: ipv6({ src: '2001:db8::10', dst: '2001:db8::1', nextHeader: 0, payload: ipv6OptionsHeader(60, ipv6OptionsHeader(17, udp({ srcPort: 50001, dstPort: 6343, payload }))) }),
      v6: true,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const { status, out } = extract(c.frame, c.linkType);
      assert.equal(frameStatusNames[status], 'ok');
      assert.equal(out.ipVersion, c.v6 ? 6 : 4);
      assert.equal(addressText(out.ipVersion, out.srcAddress), c.v6 ? '2001:db8::10' : '192.0.2.10');
      assert.equal(addressText(out.ipVersion, out.dstAddress), c.v6 ? '2001:db8::1' : '198.51.100.1');
      assert.equal(out.dstPort, 6343);
      assert.deepEqual(c.frame.subarray(out.payloadOffset, out.payloadOffset + out.payloadLength), payload);
    });
  }
});

test('frames that carry no usable UDP datagram get a status', async (t) => {
  const cases: { name: string; linkType: number; frame: Uint8Array; status: number }[] = [
    { name: 'unknown link type (802.11 = 105)', linkType: 105, frame: udp4, status: FrameStatus.unsupportedLinkType },
    { name: 'ARP', linkType: FrameLinkType.ethernet, frame: ethernet({ etherType: 0x0806, payload: new Uint8Array(28) }), status: FrameStatus.notIp },
    { name: 'raw frame with version 5', linkType: FrameLinkType.raw, frame: Uint8Array.from([0x50, ...new Uint8Array(30)]), status: FrameStatus.notIp },
    { name: 'loopback with an unknown family', linkType: FrameLinkType.null, frame: concat(u32le(17), udp4), status: FrameStatus.notIp },
    { name: 'TCP', linkType: FrameLinkType.raw, frame: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcPort: 1, dstPort: 2, flags: 2 }) }), status: FrameStatus.notUdp },
    { name: 'IPv6 ICMPv6', linkType: FrameLinkType.raw, frame: ipv6({ src: '::1', dst: '::1', nextHeader: 58, payload: new Uint8Array(8) }), status: FrameStatus.notUdp },
    { name: 'Ethernet header cut', linkType: FrameLinkType.ethernet, frame: new Uint8Array(10), status: FrameStatus.truncated },
    { name: 'VLAN tag cut', linkType: FrameLinkType.ethernet, frame: ethernet({ vlans: [{ id: 1 }], etherType: 0x0800, payload: new Uint8Array(0) }).subarray(0, 16), status: FrameStatus.truncated },
    { name: 'IPv4 header cut', linkType: FrameLinkType.raw, frame: udp4.subarray(0, 19), status: FrameStatus.truncated },
    { name: 'UDP payload cut by the snap length', linkType: FrameLinkType.raw, frame: udp4.subarray(0, udp4.length - 1), status: FrameStatus.truncated },
    { name: 'IPv6 header cut', linkType: FrameLinkType.raw, frame: udp6.subarray(0, 39), status: FrameStatus.truncated },
    { name: 'IPv4 first fragment', linkType: FrameLinkType.raw, frame: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, moreFragments: true, payload: udp({ srcPort: 1, dstPort: 6343, payload }) }), status: FrameStatus.fragment },
    { name: 'IPv4 later fragment', linkType: FrameLinkType.raw, frame: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, fragmentOffset: 10, payload }), status: FrameStatus.fragment },
    { name: 'IPv6 fragment', linkType: FrameLinkType.raw, frame: ipv6({ src: '::1', dst: '::1', nextHeader: 44, payload: ipv6Fragment(17, { offset: 0, more: true }, udp({ srcPort: 1, dstPort: 6343, payload })) }), status: FrameStatus.fragment },
    { name: 'IPv4 total length below its header', linkType: FrameLinkType.raw, frame: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, totalLength: 10, payload: udp({ srcPort: 1, dstPort: 2 }) }), status: FrameStatus.malformed },
    { name: 'UDP length past the IP packet', linkType: FrameLinkType.raw, frame: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: udp({ srcPort: 1, dstPort: 2, length: 200 }) }), status: FrameStatus.malformed },
    { name: 'UDP length below 8', linkType: FrameLinkType.raw, frame: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: udp({ srcPort: 1, dstPort: 2, length: 4 }) }), status: FrameStatus.malformed },
    { name: 'IPv6 jumbogram (payload length 0)', linkType: FrameLinkType.raw, frame: ipv6({ src: '::1', dst: '::1', nextHeader: 17, payloadLength: 0, payload: udp({ srcPort: 1, dstPort: 2 }) }), status: FrameStatus.malformed },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.equal(frameStatusNames[extract(c.frame, c.linkType).status], frameStatusNames[c.status]));
  }
});

test('a frame cut inside the UDP payload still tells its ports (so a cut sFlow datagram can be reported)', () => {
  const { status, out } = extract(udp4.subarray(0, udp4.length - 3), FrameLinkType.raw);
  assert.equal(status, FrameStatus.truncated);
  assert.equal(out.dstPort, 6343);
});

test('every prefix of a frame is handled without throwing', () => {
  const frame = ethernet({ vlans: [{ tpid: 0x88a8, id: 5 }, { id: 6 }], etherType: 0x86dd, payload: ipv6({ src: '2001:db8::10', dst: '2001:db8::1', nextHeader: 0, payload: ipv6OptionsHeader(17, udp({ srcPort: 1, dstPort: 6343, payload })) }) });
  for (let cut = 0; cut <= frame.length; cut++) {
    const { status } = extract(frame.subarray(0, cut), FrameLinkType.ethernet);
    assert.equal(status === FrameStatus.ok, cut === frame.length, `cut ${cut}: ${frameStatusNames[status]}`);
  }
});
