// The attack history in the running appliance: sFlow over UDP → detection → the bus → the history table, seen by
// `breakwater attacks` (read-only, while the appliance runs) and /health; a stop ends the active attack as
// "shutdown", and the next appliance on the same data directory still has it.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Appliance } from '../../src/appliance.js';
import { validateConfig } from '../../src/config/load.js';
import type { AttackEvent } from '../../src/detection/attack.js';
import type { AttackDetail } from '../../src/history/attack-detail.js';
import { silentLogger } from '../../src/log.js';
import { PcapReader } from '../../src/pcap/pcap-reader.js';
import { attackTraffic, rate, ScenarioRunner } from '../../src/synthetic/traffic-scenarios.js';
import { runCli } from '../support/run-cli.js';
import { freeUdpPort } from '../support/free-port.js';


async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function health(appliance: Appliance): Promise<{ history: { rows: number; active: number; lastWrite: string | null; writeErrors: number; endedAtStart: number } }> {
  const res = await fetch(`http://127.0.0.1:${appliance.health.port}/health`);
  return (await res.json()) as { history: { rows: number; active: number; lastWrite: string | null; writeErrors: number; endedAtStart: number } };
}

test('an attack detected from live sFlow is in the history, readable while the appliance runs, and still there after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwt-appliance-history-'));
  const dataDir = join(dir, 'data');
  const port = await freeUdpPort();
  const r = validateConfig({
    dataDir,
    health: { port: 0 },
    sflow: { listen: [`127.0.0.1:${port}`], receiveBufferBytes: 1 << 20 },
    networks: ['198.51.100.0/24'],
    detection: { maxDestinations: 4096, maxBlocks: 256, maxPromoted: 64, baseline: { enabled: false } },
  });
  assert.ok(r.ok);
  let appliance = new Appliance({ config: r.config, log: silentLogger() });
  const started = new Promise<AttackEvent>((resolve) => appliance.bus.on('attack.started', resolve));
  await appliance.start();
  const socket = createSocket('udp4');
  try {
    // Two seconds of a SYN flood (100k pps at 1:100), sent paced to its own timeline.
    const datagrams: { bytes: Buffer; at: number }[] = [];
    new ScenarioRunner({ name: 'live', durationMs: 2000, seed: 1, attacks: [], shapes: [attackTraffic('syn_flood', { to: '198.51.100.99', rate: rate.constant(100_000), samplingRate: 100 })] }).run({
      startAtMs: 0,
      onDatagram: (d, t) => datagrams.push({ bytes: Buffer.from(d), at: t }),
    });
    const begin = Date.now();
    for (const d of datagrams) {
      const wait = begin + d.at - Date.now();
      if (wait > 0) await sleep(wait);
      socket.send(d.bytes, port, '127.0.0.1');
    }
    const giveUp = new AbortController();
    const event = await Promise.race([started, sleep(10_000, undefined, { signal: giveUp.signal }).then(() => Promise.reject(new Error('no attack.started within 10 s')))]);
    giveUp.abort();
    const id = event.attack.id;
    await eventually(() => appliance.history.get(id) !== undefined, 'the attack in the history');

    // `breakwater attacks` reads the file read-only while the appliance holds it open for writing.
    const list = await runCli(['attacks', 'list', '--data-dir', dataDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${id}\\s.*198\\.51\\.100\\.99\\s+syn_flood\\s.*active$`, 'm'));
    const show = await runCli(['attacks', 'show', id, '--json', '--data-dir', dataDir]);
    const detail = JSON.parse(show.stdout) as AttackDetail;
    assert.deepEqual([detail.attack.target, detail.attack.vector, detail.endReason], ['198.51.100.99', 'syn_flood', null]);
    assert.ok(detail.audit.some((a) => a.action === 'attack.detected'), 'the engine audited it');
    assert.equal(detail.mitigation?.id, id, 'detect-only still tracks the attack as a mitigation');

    const h = (await health(appliance)).history;
    assert.deepEqual([h.rows, h.active, h.writeErrors], [1, 1, 0]);
    assert.ok(h.lastWrite !== null);

    await appliance.stop();
    const stopped = JSON.parse((await runCli(['attacks', 'show', id, '--json', '--data-dir', dataDir])).stdout) as AttackDetail;
    assert.equal(stopped.endReason, 'shutdown');
    // The capture (on by default) wrote the attack's pcap; `attacks pcap` hands it out as it is on disk.
    assert.ok(stopped.capture !== null && stopped.capture.bytes > 24, JSON.stringify(stopped.capture));
    const copy = join(dir, 'copy.pcap');
    const pcap = await runCli(['attacks', 'pcap', id, '-o', copy, '--data-dir', dataDir]);
    assert.equal(pcap.code, 0, pcap.stderr);
    assert.deepEqual(readFileSync(copy), readFileSync(stopped.capture.path));
    let packets = 0;
    for await (const _ of new PcapReader(createReadStream(copy))) packets++;
    assert.ok(packets > 0, 'the capture holds packets');

    appliance = new Appliance({ config: r.config, log: silentLogger() });
    await appliance.start();
    assert.equal(appliance.history.get(id)?.endReason, 'shutdown');
    assert.deepEqual(appliance.history.list({ target: '198.51.100.0/24' }).map((s) => s.attack.id), [id]);
    const after = (await health(appliance)).history;
    assert.deepEqual([after.rows, after.active, after.endedAtStart], [1, 0, 0]);
  } finally {
    socket.close();
    await appliance.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
