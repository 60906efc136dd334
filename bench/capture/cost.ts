// bench/capture/cost.ts: what the capture adds to the intake, in CPU per flow sample, on bench/ingest's own
// traffic (sflow-generator: 4 agents, 100,000 destinations in 198.18.0.0/15, 6.94 samples per datagram, 128-byte
// sampled headers), one core, best of --runs, all variants in the same run and taking turns within each run: decode + FlowBatch write + apply with
// capture off (no header section), with the header section (snap 128), and with the capture's rings taking every
// batch as well (the capture defaults; no attack active, so no file).
// CPU time (process.cpuUsage), not wall time, so other work on a shared machine inflates it less.
// Usage: node --conditions=source --import tsx bench/capture/cost.ts [--runs 7] [--passes 4]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventBus } from '../../appliance/src/bus/event-bus.js';
import { AttackCapture } from '../../appliance/src/capture/attack-capture.js';
import { validateConfig } from '../../appliance/src/config/load.js';
import type { AttackEvent } from '../../appliance/src/detection/attack.js';
import { AgentTable } from '../../appliance/src/intake/agent-table.js';
import { BatchConsumer } from '../../appliance/src/intake/batch-consumer.js';
import { FlowBatchWriter } from '../../appliance/src/intake/flow-batch-writer.js';
import { silentLogger } from '../../appliance/src/log.js';
import { SflowDecoder } from '../../appliance/src/sflow/datagram-decoder.js';
import { SflowStream } from '../../appliance/src/synthetic/sflow-generator.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, passes: { type: 'string', default: '4' } } });
const runs = Number(values.runs);
const passes = Number(values.passes);

const stream = new SflowStream({ agents: 4, destinations: 100_000, seed: 7 });
const datagrams: Uint8Array[] = [];
for (let i = 0; i < 30_000; i++) datagrams.push(stream.next().slice());
const samples = stream.flowSamples;

// Batch time advances 1 ms every 86 datagrams (~600,000 samples per second of it) and goes on across runs, as
// the capture's clock-driven parts (decay, the global ring's stride) would see a live feed at that rate.
let time = 1_700_000_000_000;
function pipeline(snap: number, sink: (b: Uint8Array) => void): () => void {
  return () => {
    const decoder = new SflowDecoder();
    const writer = new FlowBatchWriter({ sink, headerSnapLength: snap });
    for (let p = 0; p < passes; p++) {
      for (let i = 0; i < datagrams.length; i++) {
        const d = datagrams[i]!;
        writer.beginDatagram(time);
        const status = decoder.decode(d, writer);
        writer.endDatagram(decoder.header, status, d.length, decoder.lastFlowSamples, decoder.lastCounterSamples, decoder.lastSkippedSamples, decoder.lastMalformedSamples);
        if (i % 86 === 85) time++;
      }
    }
    writer.flush();
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'bw-capture-cost-'));
const config = validateConfig({ dataDir });
if (!config.ok) throw new Error('defaults do not validate');
const capture = new AttackCapture({ config: config.config.capture, dataDir, bus: new EventBus<AttackEvent>(), log: silentLogger() });
await capture.start();

// The three variants take turns within each run, so that other work on the machine weighs on all of them alike.
const off = new BatchConsumer(new AgentTable(100));
const headers = new BatchConsumer(new AgentTable(100));
const rings = new BatchConsumer(new AgentTable(100));
rings.addListener((b) => capture.consume(b));
const variants = [pipeline(0, (b) => off.consume(b)), pipeline(128, (b) => headers.consume(b)), pipeline(128, (b) => rings.consume(b))];
const bestNs = [Infinity, Infinity, Infinity];
for (let r = 0; r < runs; r++) {
  for (let v = 0; v < variants.length; v++) {
    const t = process.cpuUsage();
    variants[v]!();
    const d = process.cpuUsage(t);
    bestNs[v] = Math.min(bestNs[v]!, ((d.user + d.system) * 1000) / (passes * samples));
  }
}
const [offNs, headersNs, ringsNs] = bestNs as [number, number, number];
const report = capture.report() as { samples: number; ringEntries: number; globalRingEntries: number; globalRingStride: number; memoryBytes: number };
await capture.stop();
rmSync(dataDir, { recursive: true, force: true });

const row = (name: string, ns: number, prev?: number) =>
  console.log(`${name.padEnd(62)} ${ns.toFixed(0).padStart(5)} ns CPU/sample${prev !== undefined ? `  (+${(ns - prev).toFixed(0)})` : ''}  → ${Math.round(1e9 / ns).toLocaleString('en')} samples/s on one core`);
console.log(`bench/ingest traffic: ${datagrams.length} datagrams, ${samples} flow samples (${(samples / datagrams.length).toFixed(2)} per datagram), best of ${runs} × ${passes} passes`);
row('decode + write + apply, capture off (no header section)', offNs);
row('  + header section (snap 128)', headersNs, offNs);
row('  + capture rings (default shape)', ringsNs, headersNs);
console.log(`capture: ${report.samples} samples filed, ${report.ringEntries} + ${report.globalRingEntries} ring entries (global ring stride at the end: ${report.globalRingStride}), ${(report.memoryBytes / 1048576).toFixed(2)} MiB of rings and table`);
console.log(JSON.stringify({ offNs, headersNs, ringsNs, captureMemoryBytes: report.memoryBytes }));
