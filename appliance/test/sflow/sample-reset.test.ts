// No field of one sample may leak into the next: the decoder reuses its views, so a sample without some
// record must read exactly like a new, empty view. The test walks every own field of the views, so a field
// added to flow-sample.ts without a reset fails it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import { CounterSample, DatagramHeader, FlowSample } from '../../src/sflow/flow-sample.js';
import { ethernet, icmp, ipv4, ipv6, ipv6Fragment, tcp } from '../support/packet-builder.js';
import {
  counterSample,
  datagram,
  ethernetRecord,
  extendedGatewayRecord,
  extendedRouterRecord,
  extendedSwitchRecord,
  flowSample,
  genericInterfaceRecord,
  sampledHeaderRecord,
} from '../support/sflow-builder.js';
import { copyFields } from '../support/sflow-capture.js';

const extended = [
  extendedSwitchRecord({ srcVlan: 10, srcPriority: 1, dstVlan: 20, dstPriority: 2 }),
  extendedRouterRecord({ nextHop: '192.0.2.254', srcMaskLen: 24, dstMaskLen: 25 }),
  extendedGatewayRecord({ nextHop: '2001:db8::1', as: 65000, srcAs: 65001, srcPeerAs: 65002, segments: [{ type: 2, asns: [1, 2, 3] }], communities: [7, 8], localPref: 100 }),
  ethernetRecord({ length: 1518, src: '00:00:5e:00:53:01', dst: '00:00:5e:00:53:02', type: 0x0800 }),
];

const full = { expanded: true, sequence: 9, sourceIdType: 1, sourceIdIndex: 5, samplingRate: 100, samplePool: 900, drops: 3, inputFormat: 1, input: 4, outputFormat: 2, output: 6 };

/** Between them these samples give every FlowSample field a non-default value. */
const richSamples = [
  flowSample({
    ...full,
    records: [
      ...extended,
      sampledHeaderRecord({
        stripped: 4,
        header: ethernet({
          vlans: [{ tpid: 0x88a8, id: 100 }, { id: 200 }],
          etherType: 0x0800,
          payload: ipv4({ src: '198.51.100.1', dst: '198.51.100.2', protocol: 6, tos: 0xbb, ttl: 9, dontFragment: true, moreFragments: true, payload: tcp({ srcPort: 1, dstPort: 2, flags: 0x3f }) }),
        }),
      }),
    ],
  }),
  flowSample({ records: [sampledHeaderRecord({ header: ethernet({ etherType: 0x86dd, payload: ipv6({ src: '2001:db8::5', dst: '2001:db8::6', nextHeader: 58, flowLabel: 77, trafficClass: 3, payload: icmp(128, 3) }) }) })] }),
  flowSample({ records: [sampledHeaderRecord({ protocol: 12, header: ipv6({ src: '2001:db8::5', dst: '2001:db8::6', nextHeader: 44, payload: ipv6Fragment(17, { offset: 9, more: true }, new Uint8Array(16)) }) })] }),
];

const empty = flowSample({ sequence: 0, sourceIdIndex: 0, samplingRate: 0, samplePool: 0, input: 0, output: 0, records: [] });

test('a flow sample without records reads like a new FlowSample after any rich sample', () => {
  const fresh = copyFields(new FlowSample(new DatagramHeader()));
  const changed = new Set<string>();
  for (const rich of richSamples) {
    const seen: Record<string, unknown>[] = [];
    new SflowDecoder().decode(datagram({ samples: [rich, empty] }), { onFlowSample: (s) => seen.push(copyFields(s)), onCounterSample: () => {} });
    assert.equal(seen.length, 2);
    for (const [k, v] of Object.entries(seen[0]!)) if (JSON.stringify(v) !== JSON.stringify(fresh[k])) changed.add(k);
    assert.deepEqual(seen[1], fresh);
  }
  // Guard the guard: the rich samples must really have set every field, or a leak could hide.
  assert.deepEqual(Object.keys(fresh).filter((k) => !changed.has(k)), []);
});

test('a counter sample without records reads like a new CounterSample after a full one', () => {
  const fresh = copyFields(new CounterSample(new DatagramHeader()));
  const seen: Record<string, unknown>[] = [];
  const counters = { ifIndex: 1, ifType: 2, ifSpeed: 3, ifDirection: 4, ifStatus: 5, inOctets: 6, inUcastPkts: 7, inMulticastPkts: 8, inBroadcastPkts: 9, inDiscards: 10, inErrors: 11, inUnknownProtos: 12, outOctets: 13, outUcastPkts: 14, outMulticastPkts: 15, outBroadcastPkts: 16, outDiscards: 17, outErrors: 18, promiscuousMode: 19 };
  const bytes = datagram({ samples: [counterSample({ expanded: true, sequence: 3, sourceIdType: 2, sourceIdIndex: 4, records: [genericInterfaceRecord(counters)] }), counterSample({ sequence: 0, sourceIdIndex: 0, records: [] })] });
  new SflowDecoder().decode(bytes, { onFlowSample: () => {}, onCounterSample: (c) => seen.push(copyFields(c)) });
  assert.deepEqual(seen[0]!.interface, counters);
  assert.deepEqual(seen[1], fresh);
});

test('the datagram header is cleared by a failed decode', () => {
  const decoder = new SflowDecoder();
  decoder.decode(datagram({ agent: '2001:db8::99', subAgentId: 4, sequence: 8, uptimeMs: 9, samples: [] }), { onFlowSample: () => {}, onCounterSample: () => {} });
  decoder.decode(Uint8Array.from([0, 0, 0, 5, 0, 0, 0, 9]), { onFlowSample: () => {}, onCounterSample: () => {} });
  const h = decoder.header;
  assert.deepEqual([h.version, h.agentFamily, h.subAgentId, h.sequence, h.uptimeMs, h.sampleCount, h.agentV4], [5, 0, 0, 0, 0, 0, 0]);
  assert.ok(h.agentAddress.every((b) => b === 0));
});
