// The sFlow v5 decoder against hand-built datagrams: header and agents, every sample and record type,
// skipping by length, every DatagramStatus, malformed samples, and zero-copy header bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramStatus, datagramStatusNames, SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import { ethernet, ipv4, tcp, udp } from '../support/packet-builder.js';
import {
  counterSample,
  datagram,
  ethernetRecord,
  extendedGatewayRecord,
  extendedRouterRecord,
  extendedSwitchRecord,
  flowSample,
  genericInterfaceRecord,
  ipv4Record,
  ipv6Record,
  record,
  sampledHeaderRecord,
} from '../support/sflow-builder.js';
import { decodeAll, decodeOneFlow } from '../support/sflow-capture.js';
import { XdrWriter } from '../support/xdr-writer.js';

const tcpHeader = (): Uint8Array =>
  ethernet({ etherType: 0x0800, payload: ipv4({ src: '198.51.100.7', dst: '203.0.113.10', protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 443, flags: 0x02 }) }) });

const oneFlow = (records: Uint8Array[]): Uint8Array => datagram({ samples: [flowSample({ records })] });

test('datagram header: IPv4 and IPv6 agents, sub-agent, sequence, uptime', async (t) => {
  const cases = [
    { agent: '192.0.2.1', family: 4, v4: 0xc0000201 },
    { agent: '2001:db8::53', family: 6, v4: 0 },
  ];
  for (const c of cases) {
    await t.test(c.agent, () => {
      const r = decodeAll(datagram({ agent: c.agent, subAgentId: 7, sequence: 0xfffffff0, uptimeMs: 123456, samples: [flowSample({ records: [] })] }));
      assert.equal(r.status, DatagramStatus.ok);
      const h = r.decoder.header;
      assert.equal(r.agent, c.agent);
      assert.equal(h.version, 5);
      assert.equal(h.agentFamily, c.family);
      assert.equal(h.agentV4, c.v4);
      assert.equal(h.subAgentId, 7);
      assert.equal(h.sequence, 0xfffffff0);
      assert.equal(h.uptimeMs, 123456);
      assert.equal(h.sampleCount, 1);
      assert.equal(r.flows.length, 1);
    });
  }
});

test('an IPv4 agent after an IPv6 one leaves no IPv6 bytes behind', () => {
  const decoder = new SflowDecoder();
  decodeAll(datagram({ agent: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', samples: [] }), decoder);
  const r = decodeAll(datagram({ agent: '10.0.0.1', samples: [] }), decoder);
  assert.deepEqual(Array.from(r.decoder.header.agentAddress), [10, 0, 0, 1, ...new Array<number>(12).fill(0)]);
});

test('compact flow sample (0:1): source id and interface words are split into their parts', () => {
  const s = decodeOneFlow(
    datagram({
      samples: [
        flowSample({
          sequence: 99,
          sourceIdType: 2,
          sourceIdIndex: 0xabcdef,
          samplingRate: 4096,
          samplePool: 0xfffffffe,
          drops: 5,
          inputFormat: 0,
          input: 17,
          outputFormat: 2,
          output: 0x3fffffff,
          records: [],
        }),
      ],
    }),
  );
  assert.equal(s.expanded, false);
  assert.equal(s.sequence, 99);
  assert.equal(s.sourceIdType, 2);
  assert.equal(s.sourceIdIndex, 0xabcdef);
  assert.equal(s.samplingRate, 4096);
  assert.equal(s.samplePool, 0xfffffffe);
  assert.equal(s.drops, 5);
  assert.equal(s.inputFormat, 0);
  assert.equal(s.inputIfIndex, 17);
  assert.equal(s.outputFormat, 2);
  assert.equal(s.outputIfIndex, 0x3fffffff);
  assert.equal(s.packetSource, 0);
});

test('expanded flow sample (0:3): full 32-bit source id and interfaces', () => {
  const s = decodeOneFlow(
    datagram({
      samples: [
        flowSample({
          expanded: true,
          sequence: 1,
          sourceIdType: 3,
          sourceIdIndex: 0x12345678,
          samplingRate: 1,
          samplePool: 2,
          drops: 3,
          inputFormat: 1,
          input: 0x80000001,
          outputFormat: 0,
          output: 0xfffffffe,
          records: [sampledHeaderRecord({ header: tcpHeader() })],
        }),
      ],
    }),
  );
  assert.equal(s.expanded, true);
  assert.equal(s.sourceIdType, 3);
  assert.equal(s.sourceIdIndex, 0x12345678);
  assert.equal(s.inputFormat, 1);
  assert.equal(s.inputIfIndex, 0x80000001);
  assert.equal(s.outputIfIndex, 0xfffffffe);
  assert.equal(s.dstPort, 443);
});

test('counter samples (0:2 compact, 0:4 expanded) with generic interface counters', async (t) => {
  const counters = {
    ifIndex: 12,
    ifType: 6,
    ifSpeed: 100_000_000_000,
    ifDirection: 1,
    ifStatus: 3,
    inOctets: 2n ** 40n + 5n,
    inUcastPkts: 0xffffffff,
    inMulticastPkts: 2,
    inBroadcastPkts: 3,
    inDiscards: 4,
    inErrors: 5,
    inUnknownProtos: 6,
    outOctets: 2n ** 52n,
    outUcastPkts: 7,
    outMulticastPkts: 8,
    outBroadcastPkts: 9,
    outDiscards: 10,
    outErrors: 11,
    promiscuousMode: 1,
  };
  for (const expanded of [false, true]) {
    await t.test(expanded ? 'expanded' : 'compact', () => {
      const r = decodeAll(datagram({ samples: [counterSample({ expanded, sequence: 42, sourceIdType: 0, sourceIdIndex: 12, records: [genericInterfaceRecord(counters)] })] }));
      assert.equal(r.status, DatagramStatus.ok);
      assert.equal(r.decoder.lastCounterSamples, 1);
      const c = r.counters[0]!;
      assert.equal(c.expanded, expanded);
      assert.equal(c.sequence, 42);
      assert.equal(c.sourceIdIndex, 12);
      assert.equal(c.hasInterface, true);
      assert.deepEqual(c.interface, { ...counters, inOctets: 2 ** 40 + 5, outOctets: 2 ** 52 });
    });
  }
});

test('counter sample: unknown counter records are skipped by length, generic record still read', () => {
  const r = decodeAll(
    datagram({
      samples: [counterSample({ records: [record(2, new Uint8Array(40)), record(7, new Uint8Array(4), { enterprise: 4413 }), genericInterfaceRecord({ ifIndex: 3 })] })],
    }),
  );
  assert.equal(r.counters[0]!.hasInterface, true);
  assert.equal(r.counters[0]!.interface.ifIndex, 3);
});

test('flow records: each record type fills its fields', async (t) => {
  const cases: { name: string; records: Uint8Array[]; expect: Record<string, unknown> }[] = [
    {
      name: 'sampled header (1), Ethernet + IPv4 + TCP',
      records: [sampledHeaderRecord({ frameLength: 1518, stripped: 4, header: tcpHeader() })],
      expect: { packetSource: 1, headerProtocol: 1, frameLength: 1518, stripped: 4, src: '198.51.100.7', dst: '203.0.113.10', protocol: 6, srcPort: 40000, dstPort: 443, tcpFlags: 2, srcMacText: '02:00:00:00:00:01', dstMacText: '02:00:00:00:00:02' },
    },
    {
      name: 'Ethernet (2): MACs padded to 8 bytes, type',
      records: [ethernetRecord({ length: 1514, src: 'aa:bb:cc:dd:ee:ff', dst: '11:22:33:44:55:66', type: 0x86dd })],
      expect: { packetSource: 0, frameLength: 1514, srcMacText: 'aa:bb:cc:dd:ee:ff', dstMacText: '11:22:33:44:55:66', etherType: 0x86dd },
    },
    {
      name: 'IPv4 (3)',
      records: [ipv4Record({ length: 1400, protocol: 17, src: '192.0.2.5', dst: '198.51.100.9', srcPort: 53, dstPort: 33000, tcpFlags: 0, tos: 0xb9 })],
      expect: { packetSource: 3, ipVersion: 4, ipLength: 1400, frameLength: 1400, protocol: 17, src: '192.0.2.5', dst: '198.51.100.9', srcV4: 0xc0000205, srcPort: 53, dstPort: 33000, dscp: 46, ecn: 1, hasL4: true },
    },
    {
      name: 'IPv6 (4)',
      records: [ipv6Record({ length: 80, protocol: 6, src: '2001:db8::1', dst: '2001:db8:0:1::2', srcPort: 443, dstPort: 50000, tcpFlags: 0x12, tos: 0x20 })],
      expect: { packetSource: 4, ipVersion: 6, ipLength: 80, protocol: 6, src: '2001:db8::1', dst: '2001:db8:0:1::2', srcPort: 443, dstPort: 50000, tcpFlags: 0x12, dscp: 8, srcV4: 0 },
    },
    {
      name: 'Ethernet (2) then IPv4 (3): frame length from Ethernet, IP length from IPv4',
      records: [ethernetRecord({ length: 1518, src: 'aa:bb:cc:dd:ee:ff', dst: '11:22:33:44:55:66', type: 0x0800 }), ipv4Record({ length: 1500, protocol: 6, src: '192.0.2.5', dst: '192.0.2.6', srcPort: 1, dstPort: 2 })],
      expect: { frameLength: 1518, ipLength: 1500, srcMacText: 'aa:bb:cc:dd:ee:ff', packetSource: 3 },
    },
    {
      name: 'extended switch (1001)',
      records: [extendedSwitchRecord({ srcVlan: 100, srcPriority: 3, dstVlan: 200, dstPriority: 5 })],
      expect: { hasSwitch: true, srcVlan: 100, srcPriority: 3, dstVlan: 200, dstPriority: 5 },
    },
    {
      name: 'extended router (1002), IPv4 next hop',
      records: [extendedRouterRecord({ nextHop: '192.0.2.254', srcMaskLen: 24, dstMaskLen: 16 })],
      expect: { hasRouter: true, routerNextHopFamily: 4, srcMaskLen: 24, dstMaskLen: 16 },
    },
    {
      name: 'extended router (1002), IPv6 next hop',
      records: [extendedRouterRecord({ nextHop: 'fe80::1', srcMaskLen: 48, dstMaskLen: 64 })],
      expect: { hasRouter: true, routerNextHopFamily: 6, srcMaskLen: 48, dstMaskLen: 64 },
    },
    {
      name: 'extended router (1002), unknown next hop type carries no bytes',
      records: [extendedRouterRecord({ srcMaskLen: 8, dstMaskLen: 9 })],
      expect: { hasRouter: true, routerNextHopFamily: 0, srcMaskLen: 8, dstMaskLen: 9 },
    },
    {
      name: 'extended gateway (1003): AS path segments flattened, communities, localpref',
      records: [
        extendedGatewayRecord({
          nextHop: '2001:db8::fe',
          as: 65010,
          srcAs: 13335,
          srcPeerAs: 6939,
          segments: [
            { type: 2, asns: [65010, 6939] },
            { type: 1, asns: [64512, 4200000000] },
          ],
          communities: [(65535 << 16) | 666, 0xfde8000a],
          localPref: 200,
        }),
      ],
      expect: { hasGateway: true, gatewayNextHopFamily: 6, gatewayAs: 65010, srcAs: 13335, srcPeerAs: 6939, asPathList: [65010, 6939, 64512, 4200000000], asPathLength: 4, communityList: [0xffff029a, 0xfde8000a], communityCount: 2, localPref: 200 },
    },
    {
      name: 'extended gateway (1003): empty path and no communities',
      records: [extendedGatewayRecord({ nextHop: '192.0.2.1', as: 1, srcAs: 2, srcPeerAs: 3, segments: [], communities: [], localPref: 100 })],
      expect: { hasGateway: true, gatewayNextHopFamily: 4, asPathLength: 0, communityCount: 0, localPref: 100 },
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const s = decodeOneFlow(oneFlow(c.records)) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(s[k], v, k);
    });
  }
});

test('next hops are written as bytes', () => {
  const s = decodeOneFlow(oneFlow([extendedRouterRecord({ nextHop: '192.0.2.254', srcMaskLen: 0, dstMaskLen: 0 }), extendedGatewayRecord({ nextHop: '2001:db8::fe', as: 0, srcAs: 0, srcPeerAs: 0, segments: [], communities: [], localPref: 0 })]));
  assert.deepEqual(Array.from(s.routerNextHop.subarray(0, 5)), [192, 0, 2, 254, 0]);
  assert.equal(s.gatewayNextHop[15], 0xfe);
  assert.equal(s.gatewayNextHop[0], 0x20);
});

test('an AS path or community list longer than the arrays keeps the first 64 and the sample', () => {
  const asns = Array.from({ length: 70 }, (_, i) => 64512 + i);
  const s = decodeOneFlow(oneFlow([extendedGatewayRecord({ as: 1, srcAs: 2, srcPeerAs: 3, segments: [{ type: 2, asns: asns.slice(0, 40) }, { type: 2, asns: asns.slice(40) }], communities: asns, localPref: 7 })]));
  assert.equal(s.asPathLength, 64);
  assert.deepEqual(s.asPathList, asns.slice(0, 64));
  assert.equal(s.communityCount, 64);
  assert.equal(s.localPref, 7);
});

test('a sampled header wins over IPv4/IPv6 records, whatever their order', async (t) => {
  const header = sampledHeaderRecord({ header: tcpHeader() });
  const v4 = ipv4Record({ length: 99, protocol: 17, src: '10.9.9.9', dst: '10.8.8.8', srcPort: 1, dstPort: 2 });
  const v6 = ipv6Record({ length: 99, protocol: 17, src: '2001:db8::9', dst: '2001:db8::8', srcPort: 1, dstPort: 2 });
  for (const [name, records] of [
    ['header first', [header, v4, v6]],
    ['header last', [v6, v4, header]],
  ] as const) {
    await t.test(name, () => {
      const s = decodeOneFlow(oneFlow([...records]));
      assert.equal(s.packetSource, 1);
      assert.equal(s.src, '198.51.100.7');
      assert.equal(s.protocol, 6);
      assert.deepEqual(Array.from(s.srcAddress.subarray(4)), new Array<number>(12).fill(0));
    });
  }
});

test('sampled header bytes stay in the datagram buffer (headerOffset/headerLength, zero copy)', () => {
  const header = tcpHeader();
  const bytes = oneFlow([sampledHeaderRecord({ header })]);
  const decoder = new SflowDecoder();
  let seen: { offset: number; length: number; buffer: Uint8Array } | undefined;
  decoder.decode(bytes, { onFlowSample: (s, d) => (seen = { offset: s.headerOffset, length: s.headerLength, buffer: d }), onCounterSample: () => {} });
  assert.ok(seen);
  assert.equal(seen.buffer, bytes);
  assert.equal(seen.length, header.length);
  assert.deepEqual(bytes.subarray(seen.offset, seen.offset + seen.length), header);
});

test('unknown records and samples are skipped by their length', () => {
  const r = decodeAll(
    datagram({
      samples: [
        // 0:5 discarded-packet sample and an enterprise sample are not read, but do not stop the datagram.
        record(5, new XdrWriter().u32(1).u32(2).u32(3).u32(4).u32(5).u32(0).bytes()),
        flowSample({
          records: [
            record(1005, new Uint8Array(12)),
            record(1, new Uint8Array(20), { enterprise: 8800 }),
            record(2100, new Uint8Array(0)),
            sampledHeaderRecord({ header: tcpHeader() }),
            record(1036, new Uint8Array(8)),
          ],
        }),
        record(2, new Uint8Array(16), { enterprise: 4300 }),
        counterSample({ records: [genericInterfaceRecord({ ifIndex: 9 })] }),
      ],
    }),
  );
  assert.equal(r.status, DatagramStatus.ok);
  assert.equal(r.decoder.lastSkippedSamples, 2);
  assert.equal(r.decoder.lastFlowSamples, 1);
  assert.equal(r.decoder.lastCounterSamples, 1);
  assert.equal(r.flows[0]!.dstPort, 443);
  assert.equal(r.counters[0]!.interface.ifIndex, 9);
});

test('bytes after the last announced sample are ignored', () => {
  const bytes = datagram({ samples: [flowSample({ records: [] })] });
  const withTrailer = new Uint8Array(bytes.length + 37);
  withTrailer.set(bytes);
  withTrailer.fill(0xee, bytes.length);
  const r = decodeAll(withTrailer);
  assert.equal(r.status, DatagramStatus.ok);
  assert.equal(r.flows.length, 1);
});

test('every DatagramStatus, and its name', async (t) => {
  const good = datagram({ samples: [flowSample({ records: [] })] });
  const overrun = flowSample({ records: [], length: 10_000 });
  const cases: { name: string; bytes: Uint8Array; status: number; options?: { maxSamplesPerDatagram: number } }[] = [
    { name: 'ok', bytes: good, status: DatagramStatus.ok },
    { name: 'ok with no samples', bytes: datagram({ samples: [] }), status: DatagramStatus.ok },
    { name: 'truncated: empty', bytes: new Uint8Array(0), status: DatagramStatus.truncated },
    { name: 'truncated: 3 bytes', bytes: good.subarray(0, 3), status: DatagramStatus.truncated },
    { name: 'truncated: version only', bytes: good.subarray(0, 4), status: DatagramStatus.truncated },
    { name: 'truncated: inside the agent address', bytes: good.subarray(0, 10), status: DatagramStatus.truncated },
    { name: 'truncated: before num_samples', bytes: good.subarray(0, 27), status: DatagramStatus.truncated },
    { name: 'truncated: IPv6 agent cut', bytes: datagram({ agent: '2001:db8::1', samples: [] }).subarray(0, 30), status: DatagramStatus.truncated },
    { name: 'bad version 4', bytes: datagram({ version: 4, samples: [] }), status: DatagramStatus.badVersion },
    { name: 'bad version 0xffffffff', bytes: datagram({ version: 0xffffffff, samples: [] }), status: DatagramStatus.badVersion },
    { name: 'bad agent address type 0', bytes: datagram({ agentAddressType: 0, samples: [] }), status: DatagramStatus.badAgentAddressType },
    { name: 'bad agent address type 3', bytes: datagram({ agentAddressType: 3, samples: [] }), status: DatagramStatus.badAgentAddressType },
    { name: 'too many samples: 2^32-1', bytes: datagram({ sampleCount: 0xffffffff, samples: [] }), status: DatagramStatus.tooManySamples },
    { name: 'too many samples: above the option', bytes: datagram({ samples: [flowSample({ records: [] }), flowSample({ records: [] })] }), status: DatagramStatus.tooManySamples, options: { maxSamplesPerDatagram: 1 } },
    { name: 'sample overrun: count says 3, 1 present', bytes: datagram({ sampleCount: 3, samples: [flowSample({ records: [] })] }), status: DatagramStatus.sampleOverrun },
    { name: 'sample overrun: length past the end', bytes: datagram({ samples: [overrun] }), status: DatagramStatus.sampleOverrun },
    { name: 'sample overrun: length 0xffffffff', bytes: datagram({ samples: [flowSample({ records: [], length: 0xffffffff })] }), status: DatagramStatus.sampleOverrun },
    { name: 'sample overrun: datagram cut inside the last sample', bytes: good.subarray(0, good.length - 4), status: DatagramStatus.sampleOverrun },
    { name: 'sample overrun: cut inside a sample header', bytes: good.subarray(0, 32), status: DatagramStatus.sampleOverrun },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = decodeAll(c.bytes, new SflowDecoder(c.options));
      assert.equal(r.status, c.status);
      if (c.status !== DatagramStatus.ok) {
        assert.equal(r.flows.length + r.counters.length, 0, 'a rejected datagram delivers no sample');
        assert.equal(r.decoder.lastFlowSamples + r.decoder.lastCounterSamples + r.decoder.lastMalformedSamples + r.decoder.lastSkippedSamples, 0);
      }
    });
  }
  // Every status is covered above, and each has a snake_case name at its index.
  const covered = new Set(cases.map((c) => c.status));
  for (const [key, code] of Object.entries(DatagramStatus)) {
    assert.ok(covered.has(code), `status ${key} has a case`);
    assert.equal(datagramStatusNames[code], key.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`));
  }
  assert.equal(datagramStatusNames.length, Object.keys(DatagramStatus).length);
});

test('a sample whose records do not fit is malformed, dropped and counted; the next sample still decodes', async (t) => {
  const next = flowSample({ sequence: 2, records: [sampledHeaderRecord({ header: tcpHeader() })] });
  const w = (f: (x: XdrWriter) => XdrWriter): Uint8Array => f(new XdrWriter()).bytes();
  const cases: { name: string; bad: Uint8Array }[] = [
    { name: 'record length past the sample', bad: flowSample({ records: [record(1001, new Uint8Array(16), { length: 400 })] }) },
    { name: 'record length 0xffffffff', bad: flowSample({ records: [record(1001, new Uint8Array(16), { length: 0xffffffff })] }) },
    { name: 'record count 0xffffffff with one record', bad: flowSample({ recordCount: 0xffffffff, records: [extendedSwitchRecord({ srcVlan: 1, srcPriority: 0, dstVlan: 1, dstPriority: 0 })] }) },
    { name: 'record count 2 with one record', bad: flowSample({ recordCount: 2, records: [extendedSwitchRecord({ srcVlan: 1, srcPriority: 0, dstVlan: 1, dstPriority: 0 })] }) },
    { name: 'flow sample shorter than its fixed fields', bad: record(1, new Uint8Array(28)) },
    { name: 'expanded flow sample shorter than its fixed fields', bad: record(3, new Uint8Array(40)) },
    { name: 'counter sample shorter than its fixed fields', bad: record(2, new Uint8Array(8)) },
    { name: 'expanded counter sample shorter than its fixed fields', bad: record(4, new Uint8Array(12)) },
    { name: 'sampled header length past its record', bad: flowSample({ records: [record(1, w((x) => x.u32(1).u32(100).u32(0).u32(200).raw(new Uint8Array(64))))] }) },
    { name: 'sampled header record shorter than 16', bad: flowSample({ records: [record(1, new Uint8Array(12))] }) },
    { name: 'Ethernet record shorter than 24', bad: flowSample({ records: [record(2, new Uint8Array(20))] }) },
    { name: 'IPv4 record shorter than 32', bad: flowSample({ records: [record(3, new Uint8Array(8))] }) },
    { name: 'IPv6 record shorter than 56', bad: flowSample({ records: [record(4, new Uint8Array(52))] }) },
    { name: 'extended switch shorter than 16', bad: flowSample({ records: [record(1001, new Uint8Array(12))] }) },
    { name: 'extended router with address type 7', bad: flowSample({ records: [record(1002, w((x) => x.u32(7).u32(0).u32(0).u32(0)))] }) },
    { name: 'extended router IPv6 next hop cut', bad: flowSample({ records: [record(1002, w((x) => x.u32(2).u32(0).u32(0)))] }) },
    { name: 'extended gateway segment count 0xffffffff', bad: flowSample({ records: [record(1003, w((x) => x.u32(1).u32(0x0a000001).u32(1).u32(2).u32(3).u32(0xffffffff).u32(2).u32(1).u32(65000)))] }) },
    { name: 'extended gateway ASN count past the record', bad: flowSample({ records: [record(1003, w((x) => x.u32(0).u32(1).u32(2).u32(3).u32(1).u32(2).u32(0x40000000).u32(65000)))] }) },
    { name: 'extended gateway community count 0xffffffff', bad: flowSample({ records: [record(1003, w((x) => x.u32(0).u32(1).u32(2).u32(3).u32(0).u32(0xffffffff).u32(1)))] }) },
    { name: 'extended gateway without localpref', bad: flowSample({ records: [record(1003, w((x) => x.u32(0).u32(1).u32(2).u32(3).u32(0).u32(0)))] }) },
    { name: 'generic interface counters shorter than 88', bad: counterSample({ records: [record(1, new Uint8Array(80))] }) },
    { name: 'counter record past the sample', bad: counterSample({ records: [record(1, new Uint8Array(88), { length: 92 })] }) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = decodeAll(datagram({ samples: [c.bad, next] }));
      assert.equal(r.status, DatagramStatus.ok);
      assert.equal(r.decoder.lastMalformedSamples, 1);
      assert.equal(r.decoder.lastFlowSamples, 1);
      assert.equal(r.flows.length, 1);
      assert.equal(r.flows[0]!.sequence, 2);
      assert.equal(r.flows[0]!.dstPort, 443);
    });
  }
});

test('counts are per datagram: the next decode starts from 0', () => {
  const decoder = new SflowDecoder();
  decodeAll(datagram({ samples: [flowSample({ records: [] }), counterSample({ records: [] }), record(5, new Uint8Array(0)), record(1, new Uint8Array(0))] }), decoder);
  assert.deepEqual([decoder.lastFlowSamples, decoder.lastCounterSamples, decoder.lastSkippedSamples, decoder.lastMalformedSamples], [1, 1, 1, 1]);
  decodeAll(datagram({ samples: [] }), decoder);
  assert.deepEqual([decoder.lastFlowSamples, decoder.lastCounterSamples, decoder.lastSkippedSamples, decoder.lastMalformedSamples], [0, 0, 0, 0]);
});

test('maxSamplesPerDatagram must be a positive integer', () => {
  assert.throws(() => new SflowDecoder({ maxSamplesPerDatagram: 0 }), RangeError);
  assert.throws(() => new SflowDecoder({ maxSamplesPerDatagram: 1.5 }), RangeError);
});

test('UDP sampled header (sanity for the builder): ports read', () => {
  const header = ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: udp({ srcPort: 123, dstPort: 5353 }) }) });
  const s = decodeOneFlow(oneFlow([sampledHeaderRecord({ header })]));
  assert.deepEqual([s.protocol, s.srcPort, s.dstPort, s.hasL4], [17, 123, 5353, true]);
});

test('a detached buffer, and a reused buffer object whose length changed, are handled', () => {
  const decoder = new SflowDecoder();
  const visitor = { onFlowSample: () => {}, onCounterSample: () => {} };
  const detached = new Uint8Array(new ArrayBuffer(64));
  // Transferring the buffer detaches it (the typed lib here predates ArrayBuffer.prototype.transfer).
  (structuredClone as (value: unknown, options: { transfer: ArrayBuffer[] }) => unknown)(detached.buffer, { transfer: [detached.buffer] });
  assert.equal(decoder.decode(detached, visitor), DatagramStatus.truncated);

  const bytes = datagram({ samples: [flowSample({ records: [] })] });
  // Resizable ArrayBuffers (ES2024) are in Node 20's V8 but not in the ES2023 typings this project uses.
  type Resizable = ArrayBuffer & { resize(length: number): void };
  const resizable = new (ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => Resizable)(bytes.length, { maxByteLength: bytes.length * 2 });
  const tracking = new Uint8Array(resizable);
  tracking.set(bytes);
  assert.equal(decoder.decode(tracking, visitor), DatagramStatus.ok);
  resizable.resize(bytes.length * 2);
  assert.equal(decoder.decode(tracking, visitor), DatagramStatus.ok, 'trailing bytes after growth are ignored');
  resizable.resize(bytes.length - 4);
  assert.equal(decoder.decode(tracking, visitor), DatagramStatus.sampleOverrun);
});
