// `breakwater replay` on sFlow we did not write: pmacct's sfprobe samples a SYN flood (plus the conformance
// test's varied traffic mix) and sends sFlow v5, which is captured as a pcap with its receive times. Replay
// decodes every datagram, counts its samples, and raises the SYN flood on its target.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodePcap } from '../../src/pcap/pcap-writer.js';
import { buildFrame } from '../../src/synthetic/packet-builder.js';
import { sampleSequences, startSfprobeCapture, writeDatagramPcap } from '../conformance/pmacct-sfprobe.js';
import { trafficMix } from '../conformance/traffic-mix.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bwt-replay-sfprobe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const victim = '198.51.100.20';

test('a capture of pmacct sfprobe sFlow: every datagram decoded, the SYN flood in it raised', async () => {
  const syns = Array.from({ length: 400 }, (_, i) =>
    buildFrame({
      ethernet: { src: '02:00:00:00:01:01', dst: '02:00:00:00:01:02' },
      ip: { version: 4, src: `198.18.${(i >> 8) & 0xff}.${i & 0xff}`, dst: victim, ttl: 60 },
      transport: { protocol: 'tcp', srcPort: 1024 + i, dstPort: 443, flags: 0x02 },
    }),
  );
  const frames = [...trafficMix().map((p) => p.frame), ...syns];
  const traffic = join(dir, 'traffic.pcap');
  writeFileSync(traffic, encodePcap(frames.map((data, i) => ({ data, timestampMicros: 1_700_000_000_000_000 + i * 100 }))));

  const capture = await startSfprobeCapture({
    pcapPath: traffic,
    workDir: dir,
    agentIp: '192.0.2.1',
    samplingRate: 1,
    // Three rounds of the file.
    until: (datagrams) => datagrams.reduce((n, d) => n + sampleSequences(d.data).flow.length, 0) >= 3 * frames.length,
  });
  const run = await capture.done;
  assert.equal(run.endedBy, 'until', `pmacctd: ${run.log}`);
  const sflow = join(dir, 'sfprobe.pcap');
  await writeDatagramPcap(sflow, run.datagrams, run.port);

  // Only a SYN threshold, low enough for a lab flood (the datagrams arrive within a second or two).
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'data'), networks: ['198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'], detection: { baseline: { enabled: false }, thresholds: { syn: { pps: 100 } }, maxDestinations: 65536, maxBlocks: 8192, maxPromoted: 1024 } }));
  const r = await runCli(['replay', sflow, '--config', config, '--port', String(run.port), '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const summary = r.stderr.split('\n').find((l) => l.startsWith('replay: packets='))!;
  assert.match(summary, new RegExp(`packets=${run.datagrams.length} sflow_datagrams=${run.datagrams.length} datagrams_ok=${run.datagrams.length} datagrams_rejected=0 `), summary);
  const counted = Number(/samples_counted=(\d+)/.exec(summary)?.[1]);
  assert.ok(counted >= 3 * syns.length, `samples counted: ${counted}`);
  const attacks = r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { target: string; vector: string; samplingRates: number[] });
  const syn = attacks.find((a) => a.target === victim);
  assert.equal(syn?.vector, 'syn_flood', r.stdout);
  assert.deepEqual(syn?.samplingRates, [1]);
});
