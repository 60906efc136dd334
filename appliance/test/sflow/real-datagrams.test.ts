// Datagrams captured from real agents (see support/goflow2-datagrams.ts for their origin). The expected values
// were read from the bytes by hand, field by field, not taken from goflow2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramStatus } from '../../src/sflow/datagram-decoder.js';
import { compactIcmp, expandedTcp } from '../support/goflow2-datagrams.js';
import { decodeAll } from '../support/sflow-capture.js';

test('goflow2 compact vector: Ethernet + 802.1Q + IPv4 ICMP echo', () => {
  const r = decodeAll(compactIcmp);
  assert.equal(r.status, DatagramStatus.ok);
  assert.equal(r.agent, '172.16.0.17');
  assert.equal(r.decoder.header.subAgentId, 1);
  assert.equal(r.decoder.header.sequence, 426);
  const s = r.flows[0]!;
  assert.deepEqual(
    [s.sequence, s.sourceIdIndex, s.samplingRate, s.samplePool, s.inputIfIndex, s.outputIfIndex, s.frameLength, s.stripped, s.headerLength],
    [6, 0x413, 2048, 0x3000, 0x4aa, 0x413, 82, 4, 78],
  );
  assert.deepEqual([s.dstMacText, s.srcMacText, s.vlanOuter, s.etherType], ['00:ff:12:34:35:1b', 'ff:ab:cd:ef:ab:64', 32, 0x0800]);
  assert.deepEqual([s.src, s.dst, s.protocol, s.ttl, s.ipLength, s.icmpType, s.icmpCode], ['172.16.32.254', '172.16.32.241', 1, 124, 60, 8, 0]);
});

test('goflow2 expanded vector: five expanded samples with extended switch, trailing bytes ignored', () => {
  const r = decodeAll(expandedTcp);
  assert.equal(r.status, DatagramStatus.ok);
  assert.equal(r.agent, '1.2.3.4');
  assert.equal(r.flows.length, 5);
  assert.equal(r.decoder.lastMalformedSamples, 0);
  const rows = r.flows.map((s) => [s.expanded, s.srcVlan, s.vlanOuter, s.src, s.dst, s.srcPort, s.dstPort, s.tcpFlags, s.dontFragment, s.frameLength]);
  assert.deepEqual(rows, [
    [true, 30, 30, '185.59.220.147', '88.238.78.19', 443, 53206, 0x10, true, 1514],
    [true, 23, 23, '195.181.175.38', '5.146.198.158', 80, 4019, 0x10, true, 1482],
    [true, 1337, 1337, '137.74.204.213', '89.187.169.85', 1935, 44508, 0x10, true, 1522],
    [true, 23, 23, '185.102.219.67', '103.194.169.32', 25461, 22446, 0x10, true, 1522],
    [true, 957, 957, '51.91.116.108', '195.181.174.135', 8000, 32872, 0x10, true, 1522],
  ]);
  const first = r.flows[0]!;
  assert.deepEqual([first.samplingRate, first.inputIfIndex, first.outputIfIndex, first.sourceIdType, first.sourceIdIndex], [16383, 1000100, 1000018, 0, 1000100]);
});
