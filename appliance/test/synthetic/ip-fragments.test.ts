// fragmentDatagram: pieces are 8-byte aligned, flagged and ordered, and put back together they are exactly
// the unfragmented transport segment (tshark's reassembly check lives in packet-builder-tshark.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIpPacket, buildSegment, type FrameSpec } from '../../src/synthetic/packet-builder.js';
import { fragmentDatagram } from '../../src/synthetic/ip-fragments.js';

const udp = { protocol: 'udp' as const, srcPort: 53, dstPort: 1053 };

test('IPv4: offsets in 8-byte units, MF on all but the last, payloads concatenate to the segment', () => {
  const spec: FrameSpec = { ip: { version: 4, src: '198.51.100.1', dst: '203.0.113.1', id: 77, ttl: 9 }, transport: udp, payloadSize: 1000 };
  const pieces = fragmentDatagram(spec, { maxFragmentPayload: 405 }); // rounds down to 400
  assert.deepEqual(
    pieces.map((p) => (p.ip.version === 4 ? [p.ip.fragmentOffset, p.ip.moreFragments, p.ip.id, p.ip.protocol, p.payload?.length] : [])),
    [[0, true, 77, 17, 400], [50, true, 77, 17, 400], [100, false, 77, 17, 208]],
  );
  assert.ok(pieces.every((p) => p.transport === undefined && p.ip.version === 4 && p.ip.ttl === 9));
  assert.deepEqual(Buffer.concat(pieces.map((p) => p.payload!)), Buffer.from(buildSegment(spec).bytes));
  const second = buildIpPacket(pieces[1]!);
  assert.equal((second[6]! << 8) | second[7]!, 0x2000 | 50, 'MF bit and offset on the wire');
});

test('IPv6: the fragment header follows the given extension headers and carries id, offset and M', () => {
  const spec: FrameSpec = {
    ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2', extensionHeaders: [{ kind: 'hop-by-hop' }] },
    transport: { protocol: 'icmpv6', type: 128, code: 0 },
    payloadSize: 100,
  };
  const pieces = fragmentDatagram(spec, { maxFragmentPayload: 64, identification: 0x11223344 });
  assert.equal(pieces.length, 2);
  const packet = buildIpPacket(pieces[1]!);
  assert.equal(packet[6], 0, 'next header of the fixed header: hop-by-hop');
  assert.equal(packet[40], 44, 'hop-by-hop chains to the fragment header');
  assert.equal(packet[48], 58, 'fragment header chains to ICMPv6');
  assert.equal(Buffer.from(packet.subarray(50, 56)).toString('hex'), '004011223344', 'offset 8 units (64 bytes) << 3, M clear, identification');
  assert.equal((packet[4]! << 8) | packet[5]!, 8 + 8 + 44, 'payload length: hop-by-hop + fragment header + 44 bytes');
});

test('a datagram that fits is one piece without MF; bad sizes are refused', () => {
  const spec: FrameSpec = { ip: { version: 4, src: '192.0.2.1', dst: '192.0.2.2' }, transport: udp, payloadSize: 10 };
  const pieces = fragmentDatagram(spec, { maxFragmentPayload: 1480 });
  assert.equal(pieces.length, 1);
  assert.equal(pieces[0]!.ip.version === 4 && pieces[0]!.ip.moreFragments, false);
  assert.throws(() => fragmentDatagram(spec, { maxFragmentPayload: 7 }), RangeError);
  assert.throws(() => fragmentDatagram({ ...spec, payloadSize: undefined, frameSize: 100 }, { maxFragmentPayload: 8 }), TypeError);
});
