// The intake inside the appliance: `Appliance` (what `breakwater start` runs) on free ports receives sFlow
// and reports it in the /health section "intake", totals included; stop releases the sFlow port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Appliance } from '../../src/appliance.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { SflowStream, sendSflow } from '../../src/synthetic/sflow-generator.js';
import { waitFor } from './helpers.js';
import { freeUdpPort } from '../support/free-port.js';


interface IntakeHealth {
  datagrams: number;
  flowSamples: number;
  agentCount: number;
  drops: Record<string, number>;
  packets: number;
  bytes: number;
  destinations?: unknown;
  agents: { agent: string; datagrams: number; datagramSequence: { lost: number } }[];
}

test('breakwater start: sFlow sent to the appliance is counted and shown in /health "intake"', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-appliance-'));
  const sflowPort = await freeUdpPort();
  const result = validateConfig({ dataDir: join(dir, 'data'), health: { port: 0 }, sflow: { listen: [`127.0.0.1:${sflowPort}`], receiveBufferBytes: 1 << 20 } });
  assert.ok(result.ok);
  const appliance = new Appliance({ config: result.config, log: silentLogger() });
  await appliance.start();
  try {
    const stream = new SflowStream({ agents: 2, destinations: 50, ipv6Share: 0.25 });
    const sent = await sendSflow(stream, { host: '127.0.0.1', port: sflowPort, samplesPerSecond: 20_000, maxDatagrams: 200, maxSeconds: 10 });
    let intake: IntakeHealth | undefined;
    await waitFor(() => appliance.intake.consumer.datagrams === sent.datagrams, 10_000, 'datagrams applied');
    const res = await fetch(`http://127.0.0.1:${appliance.health.port}/health`);
    intake = ((await res.json()) as { intake: IntakeHealth }).intake;
    assert.equal(intake.datagrams, sent.datagrams);
    assert.equal(intake.flowSamples, stream.flowSamples);
    assert.equal(intake.agentCount, 2);
    assert.equal(intake.packets, stream.packets);
    assert.equal(intake.bytes, stream.bytes);
    // Destinations are counted once, by detection: the intake keeps no table of its own in the appliance.
    assert.equal(intake.destinations, undefined);
    const counted = ((await appliance.detection.reportNow()) as { samples: { counted: number; unprotected: number; nonIp: number } }).samples;
    assert.equal(counted.counted + counted.unprotected + counted.nonIp, stream.flowSamples);
    assert.deepEqual(intake.agents.map((a) => a.agent).sort(), ['100.64.0.1', '100.64.0.2']);
    assert.ok(intake.agents.every((a) => a.datagramSequence.lost === 0));
    assert.equal(intake.drops.truncated, 0);
  } finally {
    await appliance.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  // The sFlow port is free again after stop.
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(sflowPort, '127.0.0.1', () => resolve());
  });
  s.close();
});
