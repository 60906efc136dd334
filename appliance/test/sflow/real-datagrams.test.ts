// Datagrams captured from real agents, as published in goflow2's decoder tests
// (github.com/netsampler/goflow2, decoders/sflow/sflow_test.go, BSD-3-Clause): the bytes are embedded as
// test data; the expected values were read from the bytes by hand (Wireshark-style), not taken from goflow2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramStatus } from '../../src/sflow/datagram-decoder.js';
import { decodeAll } from '../support/sflow-capture.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// goflow2 TestSFlowDecode: one compact flow sample, Ethernet + 802.1Q + IPv4 ICMP echo request.
const compactIcmp = hex(`
  00000005 00000001 ac100011 00000001 000001aa 67eeaa01 00000001 00000001 00000088 00000006 00000413 00000800
  00003000 00000000 000004aa 00000413 00000001 00000001 00000060 00000001 00000052 00000004 0000004e 00ff1234
  351bffab cdefab64 81000020 08004500 003c5c07 00007c01 48a0ac10 20feac10 20f10800 9761a948 0cb26162 63646566
  6768696a 6b6c6d6e 6f707172 73747576 77616263 64656667 68690000`);

// goflow2 TestExpandedSFlowDecode: five expanded flow samples (extended switch + 128-byte sampled header).
// The test's buffer runs on past the fifth sample (the rest of a receive buffer); its first 1392 bytes are
// kept here, trailing bytes included, since collectors must ignore them.
const expandedTcp = hex(`
  00000005 00000001 01020304 00000000 0fa772c2 0f767348 00000005 00000003 000000dc 20909326 00000000 000f42a4
  00003fff 0438ecda 00000000 00000000 000f42a4 00000000 000f4252 00000002 000003e9 00000010 0000001e 00000000
  0000001e 00000000 00000001 00000090 00000001 000005ea 00000004 00000080 08ecf52a 8fbe7483 ef3065b7 8100001e
  08004500 05d43bba 40003f06 bd99b93b dc9358ee 4e1301bb cfd645b7 1bc0d5b8 ff248010 00040155 00000101 080ac8c8
  56950034 f60fe81d bd414592 4cc271e0 eb2e3517 7c2fb9a8 05920e03 1b50530c e57d8675 328acce2 26a89021 78bfce7a
  f8b58d48 e4aafe26 34e0adb9 ec7974d8 00000003 000000dc 20909327 00000000 000f42a4 00003fff 04392cd9 00000000
  00000000 000f42a4 00000000 000f424b 00000002 000003e9 00000010 00000017 00000000 00000017 00000000 00000001
  00000090 00000001 000005ca 00000004 00000080 dab122fb d9cf7483 ef3065b7 81000017 08004500 05b4e228 40003f06
  150fc3b5 af260592 c69e0050 0fb3358e 3602a101 edb08010 003bf7d4 00000101 080ad2e8 acbe0036 bc3c3736 c4803f66
  33c550a6 63b292c3 6a7a8065 0b2262fe 169cab55 0347a654 63a5bc17 8e5af6bc 2452e9d2 7b08e8c2 6b051cc0 61b4e043
  5962bf0a 00000003 000000dc 0412a065 00000000 000f42a8 00003fff a4069f9b 00000000 00000000 000f42a8 00000000
  000f42a4 00000002 000003e9 00000010 00000539 00000000 00000539 00000000 00000001 00000090 00000001 000005f2
  00000004 00000080 7483ef30 65b72899 3a4e8927 81000539 08004518 05dc8e5c 40003a06 5377894a ccd559bb a955078f
  addcf29b 09b4ce1d bcee8010 75405802 00000101 080ab018 5b6fd7d6 8b47ee6a 030b9b52 b1ca614b 845775c4 b2181139
  ce5d2a38 91297611 7dc1cc5c 4b0adebb a8ad9d88 368bc002 87a7a51c d9857185 682b59c6 2c3c840c 00000003 000000dc
  20909328 00000000 000f42a4 00003fff 04396cd8 00000000 00000000 000f42a4 00000000 000f424b 00000002 000003e9
  00000010 00000017 00000000 00000017 00000000 00000001 00000090 00000001 000005f2 00000004 00000080 dab122fb
  d9cf7483 ef3065b7 81000017 08004500 05dc7e42 40003f06 124db966 db4367c2 a9206375 57ae6dbf 597c9371 09678010
  00ebfc16 00000101 080a4096 883836e1 64c71b43 bc0e1f81 6d39f612 0ceac0ea 7bc177e2 926abfbe 84d90018 57499272
  8fa37845 6fc6988f 71b0c552 7d8a82ef 52dbe9dc 0a52db06 518080a9 00000003 000000dc 20909329 00000000 000f42a4
  00003fff 0439acd7 00000000 00000000 000f42a4 00000000 000f42a5 00000002 000003e9 00000010 000003bd 00000000
  000003bd 00000000 00000001 00000090 00000001 000005f2 00000004 00000080 90e2ba89 21ad7483 ef3065b7 810003bd
  08004500 05dc76a2 40003806 ac75335b 746cc3b5 ae871f40 8068abbb 2f9001ee 3aaf8010 00eb8ef4 00000101 080a34c0
  ff26ac90 d5c4ccd7 a4a55ba3 7933c125 cd84dcaa 37c9e3ab c6b4ebe3 8d7206d1 5a1f9a8b e99af733 35e5ca67 ba04f93c
  27ffa3ca 5e90f9c7 d1e4f8f5 7a14dc1c b1de6375 b26527f0 0d29c556 604a5010 0077c0ef 000074cf 8a798777 756475eb
  a456b4d8 70cae611 bb9fa163 95a1b481 8d50e0d5 a92cd78f fe78ceff 5aa6b6b9 f1e95fda cbf36261 5f2b3295 5d962eef
  3204ffcc 76ba49ab 92a7f1cc 5268de94 90db1ba0 288af864 559c9bf6 9c44d968 c0e52ce1 3d2919ef 8b0c9d0a 7ecdc2e9
  856b85b3 97bec626 d2e52e90 a9ace3d8 efbd7b40 f8b7e3c3 8da7380f 877a5062 c8b8a452 6edc927f e68d4539 fd066ed9
  b565acae 2b8deacf a2980bc6 432ea771 992beac3 9c27749e d511607a 00000000 00000000 7bd62a39 00000000 00000000`);

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
