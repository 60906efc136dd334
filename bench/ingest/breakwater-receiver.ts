// Runs Breakwater's sFlow intake for bench/ingest (and bench/detect's ingest part), nothing else of the appliance.
// Usage: breakwater-receiver.ts HOST:PORT WORKERS [auto|dgram|recvmmsg] [RECEIVE_THREADS] [detection|detection-thread] [capture]
//   RECEIVE_THREADS: sflow.receiveThreads (default 0: receive and decode on the main thread).
//   detection: attach the detection service as the intake's batch listener, as the appliance does (default
//     thresholds, no block thresholds, baselines off, 198.18.0.0/15 and 2001:db8:b0e::/48 protected), and keep no
//     per-destination table in the intake (the appliance keeps none); without it, a DestinationTable counts every
//     destination and must agree with the samples applied.
//   detection-thread: the same detection in a thread of its own (detection.thread: DetectionThread, as the appliance
//     makes it), each batch moved to it (receive threads) or copied (decoding on the main thread); what it counted is
//     asked of the thread, behind every batch handed to it, and batches it dropped (in-flight bound) are not counted.
//   capture: FlowBatches carry sampled headers (capture.snapLength 128) and the attack capture's rings take every
//     batch (capture defaults), as in the appliance with capture on; no attack starts, so no file is written.
// Each line "stats" on stdin is answered with one JSON line on stdout; "stop" (or end of stdin) stops it cleanly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EventBus } from '../../appliance/src/bus/event-bus.js';
import { AttackCapture } from '../../appliance/src/capture/attack-capture.js';
import { validateConfig } from '../../appliance/src/config/load.js';
import { DestinationTable } from '../../appliance/src/counting/destination-table.js';
import type { AttackEvent } from '../../appliance/src/detection/attack.js';
import type { DetectionComponent } from '../../appliance/src/detection/detection-component.js';
import { DetectionService } from '../../appliance/src/detection/detection-service.js';
import { DetectionThread } from '../../appliance/src/detection/detection-thread.js';
import { SflowIntake } from '../../appliance/src/intake/sflow-intake.js';
import { createLogger } from '../../appliance/src/log.js';

const [listen = '127.0.0.1:6343', workersArg = '0', receiveWith = 'auto', threadsArg = '0', detectionArg = '', captureArg = ''] = process.argv.slice(2);
const withDetection = detectionArg === 'detection' || detectionArg === 'detection-thread';
const withCapture = captureArg === 'capture';
const log = createLogger({ level: 'warn', fd: 2 });
const dataDir = mkdtempSync(join(tmpdir(), 'bw-ingest-receiver-'));
let detection: DetectionComponent | undefined;
if (withDetection) {
  const defaults = validateConfig({});
  if (!defaults.ok) throw new Error('defaults do not validate');
  const off = Object.fromEntries(Object.keys(defaults.config.detection.blockThresholds).map((k) => [k, { pps: 0, bps: 0 }]));
  const cfg = validateConfig({ dataDir, networks: ['198.18.0.0/15', '2001:db8:b0e::/48'], detection: { baseline: { enabled: false }, blockThresholds: off } });
  if (!cfg.ok) throw new Error(JSON.stringify(cfg.problems));
  const detectionOptions = { config: cfg.config, bus: new EventBus<AttackEvent>(), log: createLogger({ level: 'error', fd: 2 }) };
  detection =
    detectionArg === 'detection-thread'
      ? new DetectionThread({ ...detectionOptions, batchBuffersTransferable: () => intake.batchBuffersTransferable })
      : new DetectionService(detectionOptions);
}
const destinations = withDetection ? undefined : new DestinationTable(262_144);
const intake = new SflowIntake({
  config: { listen: [listen], receiveBufferBytes: 32 << 20, workers: Number(workersArg), maxAgents: 10_000, receiveThreads: threadsArg === 'auto' ? 'auto' : Number(threadsArg) },
  ...(destinations ? { destinations } : {}),
  log,
  receiveWith: receiveWith as 'auto' | 'dgram' | 'recvmmsg',
  headerSnapLength: withCapture ? 128 : 0,
});
const captureConfig = validateConfig({ dataDir });
if (!captureConfig.ok) throw new Error('defaults do not validate');
const capture = withCapture ? new AttackCapture({ config: captureConfig.config.capture, dataDir, bus: new EventBus<AttackEvent>(), log }) : undefined;
if (capture) {
  const c = capture;
  intake.addBatchListener((b) => c.consume(b));
  await c.start();
}
if (detection) {
  const d = detection;
  intake.addBatchListener((b) => d.consume(b));
  await d.start();
}
await intake.start();
const report = intake.report() as { receiveWith: string; receiveThreads: number };
process.stdout.write(`${JSON.stringify({ ready: true, sockets: intake.boundSockets, receiveWith: report.receiveWith, receiveThreads: report.receiveThreads, detection: detectionArg || false, capture: withCapture })}\n`);

async function stats(): Promise<void> {
  const c = intake.consumer;
  const flowSamples = c.flowSamples;
  const datagrams = c.datagrams;
  const r = intake.report() as { drops: Record<string, number>; datagramsReceived: number; receiveThreadExits: number; receiveThreadTids: number[] };
  // counted: samples counted per destination (the table) or by detection (protected, unprotected or not IP); in
  // thread mode asked of the thread, which answers after every batch handed to it before the question.
  let detected: number | undefined;
  let detectionThread: Record<string, unknown> | undefined;
  if (detection) {
    const report = (await detection.reportNow()) as { samples: { counted: number; unprotected: number; nonIp: number }; thread?: Record<string, unknown> };
    detected = report.samples.counted + report.samples.unprotected + report.samples.nonIp;
    detectionThread = report.thread;
  }
  const counted = destinations ? destinations.totalSamples + c.nonIpSamples : detected!;
  process.stdout.write(
    `${JSON.stringify({ flowSamples, datagrams, counted, detected, detectionThread, destinations: destinations?.size, drops: r.drops, datagramsReceived: r.datagramsReceived, receiveThreadExits: r.receiveThreadExits, receiveThreadTids: r.receiveThreadTids })}\n`,
  );
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await intake.stop();
  await detection?.stop();
  await capture?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') void stats();
  else if (line.trim() === 'stop') void stop();
});
lines.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
