// The appliance under test for bench/api: a whole Appliance (intake, detection with thresholds no replayed
// destination reaches, mitigation engine, history) and the REST API served on loopback over plain HTTP, in
// the process bench/api/run.ts starts inside a network namespace. It prints one JSON line when ready (with a
// viewer API token for the load client), and answers each "stats" line on stdin with one JSON line: the
// intake's flow samples and what detection counted, to compare with what the generator sent.
// Usage: api-appliance.ts DATADIR SFLOW_PORT API_PORT [detection|detection-thread] [capture|no-capture]
//   detection-thread: detection.thread: true (detection in its own thread); default on the main thread.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { buildApiApp } from '../../appliance/src/api/api-server.js';
import { trafficHistoryOf } from '../../appliance/src/api/routes/traffic.js';
import { Appliance } from '../../appliance/src/appliance.js';
import { validateConfig } from '../../appliance/src/config/load.js';
import { createLogger } from '../../appliance/src/log.js';
import { databasePath, openDatabase } from '../../appliance/src/storage/sqlite.js';

const [dataDir = '/tmp/bw-api-bench', sflowPort = '6343', apiPort = '18080', detectionMode = 'detection', captureMode = 'capture'] = process.argv.slice(2);
const defaults = validateConfig({});
if (!defaults.ok) throw new Error('the defaults do not validate');
const blocksOff = Object.fromEntries(Object.keys(defaults.config.detection.blockThresholds).map((k) => [k, { pps: 0, bps: 0 }]));
const scaled = (set: Record<string, { pps?: number; bps?: number }>, k: number) =>
  Object.fromEntries(Object.entries(set).map(([key, v]) => [key, { ...(v.pps ? { pps: v.pps * k } : {}), ...(v.bps ? { bps: v.bps * k } : {}) }]));
const result = validateConfig({
  dataDir,
  log: { level: 'warn' },
  health: { port: 0 },
  sflow: { listen: [`127.0.0.1:${sflowPort}`] },
  networks: ['198.18.0.0/15'],
  // As bench/detect's "quiet" ingest run: every destination counted, none near a threshold, so the figures are
  // the API's and the intake's, not an attack's.
  detection: { thread: detectionMode === 'detection-thread', baseline: { enabled: false }, blockThresholds: blocksOff, thresholds: scaled(defaults.config.detection.thresholds, 10) },
  api: { enabled: false, listen: `127.0.0.1:${apiPort}`, tls: { mode: 'off' } },
  // no-capture: the attack capture's rings off, to measure what they cost the whole appliance.
  ...(captureMode === 'no-capture' ? { capture: { enabled: false } } : {}),
});
if (!result.ok) throw new Error(JSON.stringify(result.problems));
const config = result.config;
const log = createLogger({ level: 'warn', fd: 2 });
const appliance = new Appliance({ config, log });
await appliance.start();
// The app the API server serves (api-server.ts), built here so the bench can read the traffic sampler's cost.
const db = openDatabase(databasePath(dataDir));
const api = await buildApiApp({ appliance, config: () => config, configPath: undefined, db: db.db, log });
await api.app.listen({ host: '127.0.0.1', port: Number(apiPort) });
const made = api.core.tokens.create({ name: 'bench', role: 'viewer', createdBy: 'bench' }, Date.now());
if (made === undefined) throw new Error('token not created');
const history = trafficHistoryOf(api.deps);
let maxSampleMs = 0;
setInterval(() => (maxSampleMs = Math.max(maxSampleMs, history.lastSampleMs)), 250).unref();
// How long the main thread (intake hand-over, detection, API) kept callbacks waiting, per phase.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
process.stdout.write(`${JSON.stringify({ ready: true, port: Number(apiPort), token: made.secret })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  api.core.hub.stop();
  await api.app.close();
  db.release();
  await appliance.stop(5_000);
  process.exit(0);
}
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') {
    const c = appliance.intake.consumer;
    const flowSamples = c.flowSamples;
    // What the intake received and dropped, by reason (zero reasons left out): loss inside the appliance, not the kernel's.
    const intake = appliance.intake.report() as { drops?: Record<string, number> };
    const intakeDrops = Object.fromEntries(Object.entries(intake.drops ?? {}).filter(([, n]) => n > 0));
    const delay = { loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6 };
    const maxTrafficSampleMs = maxSampleMs;
    maxSampleMs = 0;
    loopDelay.reset();
    // Asked of detection (in thread mode, of its thread, behind every batch already handed to it).
    void appliance.detection.reportNow().then((report) => {
      const r = report as { samples: { counted: number; unprotected: number; nonIp: number }; destinations: { tracked: number }; thread?: { tid: number; dropped: { batches: number; samples: number }; messagesSent: number; batchesSent: number } };
      const counted = r.samples.counted + r.samples.unprotected + r.samples.nonIp;
      process.stdout.write(`${JSON.stringify({ flowSamples, counted, detectionThread: r.thread !== undefined, detectionDropped: r.thread?.dropped ?? null, detectionTid: r.thread?.tid ?? -1, detectionMessages: r.thread?.messagesSent ?? 0, detectionBatches: r.thread?.batchesSent ?? 0, intakeDrops, trafficSampleMs: history.lastSampleMs, maxTrafficSampleMs, destinations: r.destinations.tracked, ...delay })}\n`);
    });
  } else if (line.trim() === 'stop') void stop();
});
lines.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
