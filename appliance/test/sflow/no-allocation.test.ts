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
import { realisticDatagrams } from '../support/sflow-corpus.js';

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

test('decoding ~200k samples allocates nothing per sample (no scavenge, flat young generation)', async (t) => {
  const datagrams = realisticDatagrams();
  const decoder = new SflowDecoder();
  const visitor = new SummingVisitor();
  // Warm up both the decoder and this exact loop shape, so no compilation happens while measuring.
  run(decoder, datagrams, visitor, 300_000, 1);
  run(decoder, datagrams, visitor, 200_000, 1000);

  await cleanStart();
  const scavenges = countScavenges();
  const samplesBefore = visitor.flows + visitor.counters;
  const before = youngGenerationUsed();
  run(decoder, datagrams, visitor, 200_000, 1000);
  const grown = youngGenerationUsed() - before;
  const decoded = visitor.flows + visitor.counters - samplesBefore;
  await scavenges.stop();

  t.diagnostic(`no-allocation: ${decoded} samples, young generation +${grown} bytes (${(grown / decoded).toFixed(4)} B/sample), ${scavenges.count} scavenges`);
  assert.ok(decoded >= 200_000);
  assert.equal(scavenges.count, 0, 'a scavenge ran while decoding: something allocates per sample');
  assert.ok(grown < 64 * 1024, `young generation grew by ${grown} bytes over ${decoded} samples`);
});

test('a new buffer per datagram costs at most one small object (the DataView), whatever its sample count', async (t) => {
  const datagrams = realisticDatagrams();
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

  t.diagnostic(`per-datagram: ${calls} decodes of alternating buffers, young generation +${grown} bytes (${(grown / calls).toFixed(1)} B/datagram)`);
  assert.equal(scavenges.count, 0);
  assert.ok(grown / calls < 128, `${(grown / calls).toFixed(1)} bytes per datagram`);
});
