// Vector classification of one sampled packet, and the vectors each threshold key sums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyVector, KEY_VECTORS, keyIndex, Vector, VECTOR_NAMES } from '../../src/counting/vector.js';
import { FlowFlag } from '../../src/intake/flow-batch.js';

const L4 = FlowFlag.hasL4;
const cases: [string, number, number, number, number, number][] = [
  ['SYN', 6, 0x02, L4, 50000, Vector.tcpSyn],
  ['SYN+ECE+CWR (ECN setup) is still a SYN', 6, 0xc2, L4, 50000, Vector.tcpSyn],
  ['SYN-ACK is not a SYN', 6, 0x12, L4, 443, Vector.tcpOther],
  ['bare ACK', 6, 0x10, L4, 50000, Vector.tcpAck],
  ['PSH-ACK', 6, 0x18, L4, 50000, Vector.tcpAck],
  ['FIN-ACK', 6, 0x11, L4, 50000, Vector.tcpOther],
  ['RST', 6, 0x04, L4, 50000, Vector.tcpRst],
  ['RST-ACK', 6, 0x14, L4, 50000, Vector.tcpRst],
  ['UDP from an ephemeral port', 17, 0, L4, 40000, Vector.udp],
  ['UDP from 53', 17, 0, L4, 53, Vector.dns],
  ['UDP from 123', 17, 0, L4, 123, Vector.ntp],
  ['UDP from 11211', 17, 0, L4, 11211, Vector.memcached],
  ['UDP from 1900', 17, 0, L4, 1900, Vector.ssdp],
  ['UDP from 389', 17, 0, L4, 389, Vector.cldap],
  ['UDP from 161', 17, 0, L4, 161, Vector.snmp],
  ['UDP from 19', 17, 0, L4, 19, Vector.chargen],
  ['UDP from 3702', 17, 0, L4, 3702, Vector.wsd],
  ['UDP from 5353 (mDNS)', 17, 0, L4, 5353, Vector.amplificationOther],
  ['UDP without a read header', 17, 0, 0, 53, Vector.udp],
  ['first fragment of a DNS answer counts as DNS', 17, 0, L4 | FlowFlag.fragment | FlowFlag.moreFragments, 53, Vector.dns],
  ['later fragment', 17, 0, FlowFlag.fragment, 0, Vector.fragments],
  ['ICMP', 1, 0, L4, 0, Vector.icmp],
  ['ICMPv6', 58, 0, L4, 0, Vector.icmp],
  ['GRE', 47, 0, 0, 0, Vector.gre],
  ['ESP', 50, 0, 0, 0, Vector.otherIp],
];

for (const [name, protocol, tcpFlags, flags, srcPort, expected] of cases) {
  test(`vector of ${name}: ${VECTOR_NAMES[expected]}`, () => {
    assert.equal(classifyVector(protocol, tcpFlags, flags, srcPort), expected);
  });
}

test('threshold keys: total is every vector, protocol keys exclude later fragments, amplification is every reflector', () => {
  assert.equal(KEY_VECTORS[keyIndex('total')]!.length, VECTOR_NAMES.length);
  assert.ok(!KEY_VECTORS[keyIndex('udp')]!.includes(Vector.fragments));
  assert.ok(KEY_VECTORS[keyIndex('udp')]!.includes(Vector.dns));
  assert.deepEqual([...KEY_VECTORS[keyIndex('amplification')]!].sort((a, b) => a - b), [5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.deepEqual(KEY_VECTORS[keyIndex('syn')], [Vector.tcpSyn]);
});
