// bench/ingest/stages.ts: CPU per flow sample of each in-process stage of the intake, on bench/ingest's own traffic
// (sflow-generator: 4 agents, 100,000 destinations in 198.18.0.0/15, 6.94 samples per datagram), one core, best of
// --runs. Stages are cumulative: decode alone (a visitor that does nothing), + FlowBatch write, + apply (agents and
// sums: what the appliance's intake does), + a DestinationTable (what it did before detection became the one
// per-destination count), and the FlowBatch's move to another thread (copy + postMessage transfer + apply there).
// Figures are CPU time (process.cpuUsage: this process's user + system time, GC threads included), not wall time,
// so other work on a shared machine inflates them less. No network, no root. Usage: node --conditions=source --import tsx bench/ingest/stages.ts [--runs 7] [--passes 4]
import { parseArgs } from 'node:util';
import { MessageChannel } from 'node:worker_threads';
import { DestinationTable } from '../../appliance/src/counting/destination-table.js';
import { AgentTable } from '../../appliance/src/intake/agent-table.js';
import { BatchConsumer } from '../../appliance/src/intake/batch-consumer.js';
import { FlowBatchWriter } from '../../appliance/src/intake/flow-batch-writer.js';
import { SflowDecoder } from '../../appliance/src/sflow/datagram-decoder.js';
import type { CounterSample, FlowSample, SflowVisitor } from '../../appliance/src/sflow/flow-sample.js';
import { SflowStream } from '../../appliance/src/synthetic/sflow-generator.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, passes: { type: 'string', default: '4' } } });
const runs = Number(values.runs);
const passes = Number(values.passes);

const stream = new SflowStream({ agents: 4, destinations: 100_000, seed: 7 });
const datagrams: Uint8Array[] = [];
for (let i = 0; i < 30_000; i++) datagrams.push(stream.next().slice());
const samples = stream.flowSamples;

class NullVisitor implements SflowVisitor {
  n = 0;
  onFlowSample(s: FlowSample): void {
    this.n += s.frameLength;
  }
  onCounterSample(_s: CounterSample): void {}
}

/** CPU nanoseconds this process used since `from` (a process.cpuUsage() result). */
function cpuNsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) * 1000;
}

function best(run: () => void): number {
  let ns = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = process.cpuUsage();
    run();
    ns = Math.min(ns, cpuNsSince(t) / (passes * samples));
  }
  return ns;
}

function decodeOnly(): void {
  const decoder = new SflowDecoder();
  const v = new NullVisitor();
  for (let p = 0; p < passes; p++) for (const d of datagrams) decoder.decode(d, v);
}

function pipeline(sink: (b: Uint8Array) => void): () => void {
  return () => {
    const decoder = new SflowDecoder();
    const writer = new FlowBatchWriter({ sink });
    let time = 1_700_000_000_000;
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

// The thread hand-over, measured in one thread: the copy into a fresh buffer and the transfer through a
// MessagePort, then the apply when it arrives (what receive-thread.ts and receive-threads.ts do).
async function handover(): Promise<number> {
  let result = Infinity;
  for (let r = 0; r < runs; r++) {
    const { port1, port2 } = new MessageChannel();
    const consumer = new BatchConsumer(new AgentTable(100));
    let expected = 0;
    let got = 0;
    const done = new Promise<void>((resolve) => {
      port2.on('message', (buffer: ArrayBuffer) => {
        consumer.consume(new Uint8Array(buffer));
        if (++got === expected) resolve();
      });
    });
    const t = process.cpuUsage();
    pipeline((b) => {
      const copy = new ArrayBuffer(b.byteLength);
      new Uint8Array(copy).set(b);
      expected++;
      port1.postMessage(copy, [copy]);
    })();
    await done;
    result = Math.min(result, cpuNsSince(t) / (passes * samples));
    port1.close();
    port2.close();
  }
  return result;
}

const decodeNs = best(decodeOnly);
const writeNs = best(pipeline(() => {}));
const applyConsumer = new BatchConsumer(new AgentTable(100));
const applyNs = best(pipeline((b) => applyConsumer.consume(b)));
const tableConsumer = new BatchConsumer(new AgentTable(100), new DestinationTable(1 << 18));
const tableNs = best(pipeline((b) => tableConsumer.consume(b)));
const handoverNs = await handover();
const row = (name: string, ns: number, prev?: number) =>
  console.log(`${name.padEnd(58)} ${ns.toFixed(0).padStart(5)} ns CPU/sample${prev !== undefined ? `  (+${(ns - prev).toFixed(0)})` : ''}  → ${Math.round(1e9 / ns).toLocaleString('en')} samples/s on one core`);
console.log(`bench/ingest traffic: ${datagrams.length} datagrams, ${samples} flow samples (${(samples / datagrams.length).toFixed(2)} per datagram), best of ${runs} × ${passes} passes`);
row('decode (null visitor)', decodeNs);
row('decode + FlowBatch write', writeNs, decodeNs);
row('decode + write + apply (agents, sums)', applyNs, writeNs);
row('decode + write + apply + DestinationTable (100 k dst)', tableNs, applyNs);
row('decode + write + copy + MessagePort transfer + apply', handoverNs, applyNs);
console.log(JSON.stringify({ decodeNs, writeNs, applyNs, tableNs, handoverNs }));
