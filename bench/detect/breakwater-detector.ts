// Runs Breakwater's sFlow intake with the detection service (no health endpoint, no BGP) for bench/detect's live
// comparison with FastNetMon and its lossless-rate check. Usage: breakwater-detector.ts HOST:PORT CONFIG_JSON.
// Writes one JSON line per attack.started to stdout with the wall-clock time it was published ({"type":"ready"}
// first); "stats" on stdin answers with the intake's and detection's sample counts; "stop" (or the end of stdin)
// stops it.
import { createInterface } from 'node:readline';
import { EventBus } from '../../appliance/src/bus/event-bus.js';
import { validateConfig } from '../../appliance/src/config/load.js';
import { DestinationTable } from '../../appliance/src/counting/destination-table.js';
import type { AttackEvent } from '../../appliance/src/detection/attack.js';
import { DetectionService } from '../../appliance/src/detection/detection-service.js';
import { SflowIntake } from '../../appliance/src/intake/sflow-intake.js';
import { createLogger } from '../../appliance/src/log.js';

const [listen = '127.0.0.1:6343', configJson = '{}'] = process.argv.slice(2);
const result = validateConfig(JSON.parse(configJson));
if (!result.ok) throw new Error(JSON.stringify(result.problems));
// Errors only: attack events go to stdout as JSON lines, and warn-level logs of each one would flood the bench's output.
const log = createLogger({ level: 'error', fd: 2 });
const bus = new EventBus<AttackEvent>();
bus.on('attack.started', (e) => {
  process.stdout.write(`${JSON.stringify({ type: 'started', at: Date.now(), target: e.attack.target, vector: e.attack.vector, detectionLatencyMs: e.attack.detectionLatencyMs, firstSampleAt: e.attack.firstSampleAt, windowMs: e.attack.threshold.windowMs, rule: e.attack.threshold.rule })}\n`);
});
const detection = new DetectionService({ config: result.config, bus, log });
const intake = new SflowIntake({
  config: { listen: [listen], receiveBufferBytes: 32 << 20, workers: 0, maxAgents: 1000 },
  destinations: new DestinationTable(1 << 18),
  log,
});
intake.addBatchListener((b) => detection.consume(b));
await detection.start();
await intake.start();
process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await intake.stop();
  await detection.stop();
  process.stdout.write(`${JSON.stringify({ type: 'stopped', report: detection.report() })}\n`);
  process.exit(0);
}
const lines = createInterface({ input: process.stdin });
lines.on('line', (l) => {
  if (l.trim() === 'stop') void stop();
  else if (l.trim() === 'stats') {
    // What the intake applied and what detection counted of it (protected, unprotected or not IP): equal when
    // detection kept up with every batch.
    const c = detection.detector.counter;
    process.stdout.write(`${JSON.stringify({ type: 'stats', flowSamples: intake.consumer.flowSamples, detected: c.samples + c.unprotectedSamples + c.nonIpSamples })}\n`);
  }
});
lines.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
