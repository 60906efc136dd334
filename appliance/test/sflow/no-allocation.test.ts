// Proves the decode hot path allocates nothing per sample. After warm-up (so the code runs optimized, as it
// does in the collector), ~200k samples are decoded from a set of realistic datagrams with a visitor that
// only sums numbers. Two independent checks must hold over that loop:
//   1. no scavenge (minor GC) ran, seen through PerformanceObserver 'gc' entries;
//   2. the young generation grew by less than 64 KiB (≈0.3 byte per sample), from v8 heap-space statistics.
// One 12-byte heap number per sample would be ~2.4 MiB: it trips check 2 even when the new space is large
// enough to absorb it without a scavenge. A full GC runs first (gc exposed at runtime) so the start is clean.
// Each buffer is decoded many times in a row there, as the decoder's one per-datagram object (a DataView,
// made when the buffer object changes) is not what that test is about; the second test bounds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import type { CounterSample, FlowSample, SflowVisitor } from '../../src/sflow/flow-sample.js';
import { ethernet, icmp, ipv4, ipv6, ipv6Fragment, ipv6OptionsHeader, tcp, udp } from '../support/packet-builder.js';
import {
  counterSample,
  datagram,
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

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Touches the fields a real consumer reads, keeping only small integers so the visitor itself is free. */
class SummingVisitor implements SflowVisitor {
  flows = 0;
  counters = 0;
  checksum = 0;

  onFlowSample(s: FlowSample, datagram: Uint8Array): void {
    this.flows++;
    const headerByte = s.headerLength > 0 ? datagram[s.headerOffset]! : 0;
    this.checksum = (this.checksum + s.srcPort + s.dstPort + s.protocol + s.frameLength + s.vlanOuter + s.asPathLength + s.srcAddress[3]! + headerByte + (s.samplingRate & 0xff)) | 0;
  }

  onCounterSample(c: CounterSample): void {
    this.counters++;
    this.checksum = (this.checksum + c.interface.ifIndex + (c.interface.inOctets % 1000)) | 0;
  }
}

function corpus(): Uint8Array[] {
  const tcpV4 = ethernet({ vlans: [{ id: 100 }], etherType: 0x0800, payload: ipv4({ src: '198.51.100.7', dst: '203.0.113.200', protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 443, flags: 0x18, payload: new Uint8Array(60) }) }) });
  const udpV6 = ethernet({
    vlans: [{ tpid: 0x88a8, id: 300 }, { id: 42 }],
    etherType: 0x86dd,
    payload: ipv6({ src: '2001:db8::1', dst: '2001:db8:ffff::2', nextHeader: 0, flowLabel: 0xfffff, payload: ipv6OptionsHeader(44, ipv6Fragment(17, { offset: 0, more: true }, udp({ srcPort: 53, dstPort: 33333, payload: new Uint8Array(40) }))) }),
  });
  const icmpV4 = ipv4({ src: '255.255.255.254', dst: '10.0.0.1', protocol: 1, payload: icmp(3, 4) });
  const fragV4 = ethernet({ etherType: 0x0800, payload: ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, fragmentOffset: 100, payload: new Uint8Array(64) }) });
  const gateway = extendedGatewayRecord({ nextHop: '2001:db8::fe', as: 4200000000, srcAs: 13335, srcPeerAs: 6939, segments: [{ type: 2, asns: [6939, 4200000001, 65000] }], communities: [0xffff029a, 0xfde8000a], localPref: 100 });
  const big = { samplingRate: 0xfffffff0, samplePool: 0xfffffffe, drops: 0x80000001 };
  const counters = genericInterfaceRecord({ ifIndex: 0x80000000, ifSpeed: 400_000_000_000, inOctets: 2n ** 50n + 12345n, outOctets: 2n ** 45n, inUcastPkts: 0xffffffff });
  const d1 = datagram({
    agent: '203.0.113.250',
    sequence: 0xfffffff0,
    samples: [
      flowSample({ ...big, records: [sampledHeaderRecord({ header: tcpV4 }), extendedSwitchRecord({ srcVlan: 100, srcPriority: 0, dstVlan: 200, dstPriority: 0 })] }),
      flowSample({ expanded: true, ...big, input: 0xfffffff0, records: [sampledHeaderRecord({ header: udpV6 }), extendedRouterRecord({ nextHop: '192.0.2.1', srcMaskLen: 24, dstMaskLen: 16 }), gateway] }),
      flowSample({ records: [sampledHeaderRecord({ protocol: 11, header: icmpV4 })] }),
      flowSample({ records: [sampledHeaderRecord({ header: fragV4 })] }),
      counterSample({ records: [counters] }),
      counterSample({ expanded: true, records: [record(2, new Uint8Array(40)), counters] }),
    ],
  });
  const d2 = datagram({
    agent: '2001:db8::ff',
    samples: [
      flowSample({ records: [ipv4Record({ length: 1500, protocol: 17, src: '250.1.2.3', dst: '10.0.0.9', srcPort: 123, dstPort: 123, tos: 0xb8 })] }),
      flowSample({ expanded: true, records: [ipv6Record({ length: 1280, protocol: 6, src: '2001:db8::5', dst: 'ff02::1', srcPort: 80, dstPort: 8080, tcpFlags: 0x12 }), gateway] }),
      record(5, new Uint8Array(24)),
      flowSample({ records: [record(1003, new Uint8Array(4))] }),
      flowSample({ records: [sampledHeaderRecord({ header: udpV6 }), record(1036, new Uint8Array(12))] }),
      flowSample({ records: [sampledHeaderRecord({ header: tcpV4 })] }),
    ],
  });
  const d3 = datagram({ agent: '192.0.2.99', samples: Array.from({ length: 8 }, (_, i) => flowSample({ sequence: i, records: [sampledHeaderRecord({ header: i % 2 ? tcpV4 : udpV6 })] })) });
  // Half as Buffers (what dgram hands the collector), half as plain Uint8Arrays.
  return [d1, d2, d3, Buffer.from(d1), Buffer.from(d2), Buffer.from(d3)];
}

function youngGenerationUsed(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') used += s.space_used_size;
  return used;
}

/** Decodes until `samples` more samples were delivered, `repeat` times per buffer before the next one. */
function run(decoder: SflowDecoder, datagrams: Uint8Array[], visitor: SummingVisitor, samples: number, repeat: number): number {
  const target = visitor.flows + visitor.counters + samples;
  let calls = 0;
  for (let i = 0; visitor.flows + visitor.counters < target; i++) {
    const buf = datagrams[i % datagrams.length]!;
    for (let r = 0; r < repeat; r++) decoder.decode(buf, visitor);
    calls += repeat;
  }
  return calls;
}

function countScavenges(): { readonly count: number; stop(): Promise<void> } {
  const state = { count: 0, stop: async () => {} };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) state.count++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  state.stop = async () => {
    // GC entries are delivered asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 20));
    observer.disconnect();
  };
  return state;
}

async function cleanStart(): Promise<void> {
  gc();
  // Let the entry for this gc() be delivered before anyone starts counting.
  await new Promise((resolve) => setTimeout(resolve, 20));
}

test('decoding ~200k samples allocates nothing per sample (no scavenge, flat young generation)', async () => {
  const datagrams = corpus();
  const decoder = new SflowDecoder();
  const visitor = new SummingVisitor();
  run(decoder, datagrams, visitor, 300_000, 1);

  await cleanStart();
  const scavenges = countScavenges();
  const samplesBefore = visitor.flows + visitor.counters;
  const before = youngGenerationUsed();
  run(decoder, datagrams, visitor, 200_000, 1000);
  const grown = youngGenerationUsed() - before;
  const decoded = visitor.flows + visitor.counters - samplesBefore;
  await scavenges.stop();

  process.stdout.write(`# no-allocation: ${decoded} samples, young generation +${grown} bytes (${(grown / decoded).toFixed(4)} B/sample), ${scavenges.count} scavenges\n`);
  assert.ok(decoded >= 200_000);
  assert.equal(scavenges.count, 0, 'a scavenge ran while decoding: something allocates per sample');
  assert.ok(grown < 64 * 1024, `young generation grew by ${grown} bytes over ${decoded} samples`);
});

test('a new buffer per datagram costs at most one small object (the DataView), whatever its sample count', async () => {
  const datagrams = corpus();
  const decoder = new SflowDecoder();
  const visitor = new SummingVisitor();
  run(decoder, datagrams, visitor, 300_000, 1);

  await cleanStart();
  const scavenges = countScavenges();
  const before = youngGenerationUsed();
  // Few enough calls that the young generation absorbs them without a scavenge (which would reset the count).
  const calls = run(decoder, datagrams, visitor, 10_000, 1);
  const grown = youngGenerationUsed() - before;
  await scavenges.stop();

  process.stdout.write(`# per-datagram: ${calls} decodes of alternating buffers, young generation +${grown} bytes (${(grown / calls).toFixed(1)} B/datagram)\n`);
  assert.equal(scavenges.count, 0);
  assert.ok(grown / calls < 128, `${(grown / calls).toFixed(1)} bytes per datagram`);
});
