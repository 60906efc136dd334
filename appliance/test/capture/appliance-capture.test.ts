// The capture inside the running appliance (`breakwater start`): sFlow over UDP — benign traffic to a server,
// then a DNS amplification flood at it — is received (receive threads or the main thread, whichever the
// machine gets), detected, and the attack's pcap file under DATADIR/attacks/ holds packets from before the
// attack's startedAt and the flood's packets (UDP from port 53 to the victim), read by tshark; after
// attack.ended the file is closed and complete. /health has the capture section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Appliance } from '../../src/appliance.js';
import { attackPcapPath } from '../../src/capture/attack-pcap-path.js';
import { validateConfig } from '../../src/config/load.js';
import type { AttackEvent } from '../../src/detection/attack.js';
import { silentLogger } from '../../src/log.js';
import { attackTraffic, rate, ScenarioRunner, webServerTraffic } from '../../src/synthetic/traffic-scenarios.js';
import { freeUdpPort } from '../support/free-port.js';


function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

test('breakwater start: an attack detected from sFlow gets a pcap file that starts before its detection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-appliance-capture-'));
  const port = await freeUdpPort();
  const victim = '198.51.100.10';
  const r = validateConfig({
    dataDir: join(dir, 'data'),
    health: { port: 0 },
    sflow: { listen: [`127.0.0.1:${port}`], receiveBufferBytes: 1 << 20 },
    networks: ['198.51.100.0/24'],
    detection: { maxDestinations: 4096, maxBlocks: 256, maxPromoted: 64, quietSeconds: 1, baseline: { enabled: false } },
    // Deep rings, so that the web traffic from before the flood is still held when the attack is detected
    // (at the default 64 the flood's last 64 samples would be all that is kept).
    capture: { trackedDestinations: 16, ringDepth: 4096 },
  });
  assert.ok(r.ok);
  const appliance = new Appliance({ config: r.config, log: silentLogger() });
  const started = new Promise<AttackEvent>((resolve) => appliance.bus.on('attack.started', resolve));
  const ended = new Promise<AttackEvent>((resolve) => appliance.bus.on('attack.ended', resolve));
  await appliance.start();
  const socket = createSocket('udp4');
  try {
    // 1.5 s of web traffic to the server (2,000 pps at 1:100: ~20 samples/s), then 1.5 s of a DNS amplification
    // flood at it (100,000 pps at 1:100: ~1,000 samples/s) while the web traffic goes on; then silence.
    const datagrams: { bytes: Buffer; at: number }[] = [];
    new ScenarioRunner({
      name: 'capture',
      durationMs: 3000,
      seed: 3,
      attacks: [],
      shapes: [
        webServerTraffic({ to: victim, rate: rate.constant(2000), samplingRate: 100 }),
        attackTraffic('dns_amplification', { to: victim, rate: rate.constant(100_000), samplingRate: 100, startMs: 1500 }),
      ],
    }).run({ startAtMs: 0, onDatagram: (d, t) => datagrams.push({ bytes: Buffer.from(d), at: t }) });
    const begin = Date.now();
    const send = (async () => {
      for (const d of datagrams) {
        const wait = begin + d.at - Date.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        socket.send(d.bytes, port, '127.0.0.1');
      }
    })();
    const start = await within(started, 15_000, 'attack.started');
    await send;
    const end = await within(ended, 15_000, 'attack.ended');
    assert.equal(start.attack.target, victim);
    assert.equal(start.attack.vector, 'dns_amplification');
    assert.equal(end.attack.id, start.attack.id);
    await appliance.capture.settled();

    const path = attackPcapPath(r.config.dataDir, start.attack.id);
    const out = execFileSync('/usr/bin/tshark', ['-r', path, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.time_epoch', '-e', 'ip.dst', '-e', 'ip.proto', '-e', 'udp.srcport', '-e', 'tcp.dstport'], { encoding: 'utf8' });
    const rows = out.trim().split('\n').map((l) => l.split('|'));
    assert.ok(rows.length > 100, `${rows.length} packets`);
    assert.ok(rows.every((row) => row[1] === victim), 'only packets to the victim');
    const startedAt = start.attack.startedAt;
    const before = rows.filter((row) => Number(row[0]) * 1000 < startedAt);
    assert.ok(before.length > 0, 'packets from before the detection');
    assert.ok(before.some((row) => row[2] === '6' && (row[4] === '443' || row[4] === '80')), 'the benign web traffic from before the flood');
    const flood = rows.filter((row) => row[2] === '17' && row[3] === '53');
    assert.ok(flood.some((row) => Number(row[0]) * 1000 < startedAt), 'flood packets from before the detection');
    assert.ok(flood.some((row) => Number(row[0]) * 1000 >= startedAt), 'flood packets after the detection');
    // Closed and complete: the file's size is what was written, and the health section agrees.
    const res = await fetch(`http://127.0.0.1:${appliance.health.port}/health`);
    const capture = ((await res.json()) as { capture: Record<string, number> }).capture;
    assert.equal(capture.attacksCaptured, 1);
    assert.equal(capture.activeAttacks, 0);
    assert.equal(capture.writeErrors, 0);
    assert.equal(capture.packetsWritten, rows.length);
    assert.equal(capture.bytesWritten, statSync(path).size);
    assert.ok(capture.samples! > 0 && capture.ringEntries! > 0);
  } finally {
    socket.close();
    await appliance.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
