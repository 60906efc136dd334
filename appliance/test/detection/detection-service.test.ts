// The detection component: events go out on the bus and into the log, the health section lists active attacks,
// baselines are saved under the data directory at stop and loaded at the next start; and inside the running
// appliance, sFlow received over UDP reaches detection and an attack shows in /health.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Appliance } from '../../src/appliance.js';
import { EventBus } from '../../src/bus/event-bus.js';
import { validateConfig } from '../../src/config/load.js';
import type { AttackEvent } from '../../src/detection/attack.js';
import { DetectionService } from '../../src/detection/detection-service.js';
import { sendSynFloodUntilStarted } from '../support/live-syn-flood.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { attackTraffic, rate, ScenarioRunner, webServerTraffic, type Scenario } from '../../src/synthetic/traffic-scenarios.js';
import { T0 } from './helpers.js';
import { freeUdpPort } from '../support/free-port.js';

function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream) as unknown as Logger, lines };
}

const scenario: Scenario = {
  name: 'service',
  durationMs: 20_000,
  seed: 5,
  shapes: [
    webServerTraffic({ to: '198.51.100.10', rate: rate.constant(30_000), samplingRate: 1000 }),
    attackTraffic('dns_amplification', { to: '198.51.100.10', rate: rate.constant(200_000), samplingRate: 1000, startMs: 10_000, endMs: 14_000 }),
  ],
  attacks: [],
};

test('the service publishes attack events on the bus, logs them, reports them, and keeps baselines across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-'));
  try {
    const r = validateConfig({ dataDir: dir, networks: ['198.51.100.0/24'], detection: { maxDestinations: 4096, maxBlocks: 256, maxPromoted: 64, quietSeconds: 2, baseline: { subWindowSeconds: 5, windowMinutes: 1, warmupMinutes: 60 } } });
    assert.ok(r.ok);
    let now = T0;
    const bus = new EventBus<AttackEvent>();
    const seen: AttackEvent[] = [];
    bus.onAny((e) => seen.push(e));
    let throwing = 0;
    bus.on('attack.started', () => {
      throwing++;
      throw new Error('a broken subscriber');
    });
    const { log, lines } = capturingLogger();
    const service = new DetectionService({ config: r.config, bus, log, clock: () => now, timer: false });
    await service.start();
    let activeSeen = 0;
    new ScenarioRunner(scenario).run({
      startAtMs: T0,
      sink: (b) => service.consume(b),
      onTick: (t) => {
        now = t;
        service.tick(t);
        const report = service.report() as { activeAttacks: { target: string }[] };
        if (report.activeAttacks.some((a) => a.target === '198.51.100.10')) activeSeen++;
      },
    });
    assert.deepEqual(seen.filter((e) => e.type !== 'attack.updated').map((e) => `${e.type} ${e.attack.vector}`), ['attack.started dns_amplification', 'attack.ended dns_amplification']);
    assert.equal(throwing, 1, 'a throwing subscriber did not stop the others or detection');
    assert.equal(bus.handlerErrors, 1);
    assert.ok(activeSeen > 30, 'the health section listed the attack while it lasted');
    const started = lines.find((l) => l.event === 'attack.started')!;
    assert.equal(started.level, 40, 'attack.started is logged at warn');
    assert.equal(started.target, '198.51.100.10');
    assert.ok(typeof started.detectionLatencyMs === 'number');
    assert.ok(lines.some((l) => l.event === 'attack.ended' && l.reason === 'quiet'));
    const entries = service.detector.baselines.entries.size;
    assert.ok(entries > 0);
    await service.stop();
    assert.ok(existsSync(join(dir, 'baselines.bin')));

    const again = new DetectionService({ config: r.config, bus, log: silentLogger(), clock: () => now, timer: false });
    await again.start();
    assert.equal(again.detector.baselines.entries.size, entries);
    assert.equal(again.detector.baselines.learningSinceMs, service.detector.baselines.learningSinceMs);
    await again.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});


test('breakwater start: sFlow over UDP reaches detection; the attack is on the bus and in /health "detection"', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-appliance-detection-'));
  const port = await freeUdpPort();
  const r = validateConfig({
    dataDir: join(dir, 'data'),
    health: { port: 0 },
    sflow: { listen: [`127.0.0.1:${port}`], receiveBufferBytes: 1 << 20 },
    networks: ['198.51.100.0/24'],
    // Detection on the main thread (the default, auto, runs it in a thread: detection-thread.test.ts).
    detection: { thread: false, maxDestinations: 4096, maxBlocks: 256, maxPromoted: 64, baseline: { enabled: false } },
  });
  assert.ok(r.ok);
  const appliance = new Appliance({ config: r.config, log: silentLogger() });
  assert.ok(appliance.detection instanceof DetectionService);
  const started = new Promise<AttackEvent>((resolve) => appliance.bus.on('attack.started', resolve));
  await appliance.start();
  const socket = createSocket('udp4');
  try {
    const event = await sendSynFloodUntilStarted(socket, port, started);
    assert.equal(event.attack.vector, 'syn_flood');
    assert.equal(event.attack.target, '198.51.100.99');
    const res = await fetch(`http://127.0.0.1:${appliance.health.port}/health`);
    const health = (await res.json()) as { detection: { activeAttacks: { target: string; vector: string }[]; samples: { counted: number } } };
    assert.ok(health.detection.samples.counted > 0);
    assert.deepEqual(health.detection.activeAttacks.map((a) => `${a.vector} ${a.target}`), ['syn_flood 198.51.100.99']);
  } finally {
    socket.close();
    await appliance.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
