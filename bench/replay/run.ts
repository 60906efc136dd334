// bench/replay: how fast `breakwater replay` runs detection over a capture of sFlow, next to tshark reading the
// same capture in the same run (tshark dissects every datagram and every sampled header, as replay decodes
// them; it does no detection).
//
// The capture: MINUTES of benign web traffic to 100 protected hosts (3,000 pps each, sampled 1:1000) with a
// UDP flood (1 Mpps) on one host and a SYN flood (500 kpps) on another, a minute each, from the project's
// synthetic generator, written as a pcap with the datagrams' send times. Each tool runs ROUNDS times; the
// median is reported. For replay both the whole process (startup, config, tsx transpiling included) and the
// replay itself (the "wall=" of its summary line) are given.
//
// Usage: npm run bench:replay -- [--minutes 10] [--rounds 3] [--out FILE]
// Writes bench/results/replay-<date>.json. Bounded: ROUNDS × 2 processes, each with a 10-minute timeout.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openPcapFile } from '../../appliance/src/pcap/pcap-writer.js';
import { buildFrame } from '../../appliance/src/synthetic/packet-builder.js';
import { attackTraffic, rate, ScenarioRunner, webServerTraffic, type TrafficShape } from '../../appliance/src/synthetic/traffic-scenarios.js';

const root = new URL('../../', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const rounds = Number(values.rounds);
if (!(minutes >= 1 && minutes <= 60) || !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10)) throw new Error('--minutes 1..60, --rounds 1..10');

const T0 = Date.UTC(2026, 0, 5);
const durationMs = minutes * 60_000;
const dir = mkdtempSync(join(tmpdir(), 'bw-bench-replay-'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

try {
  // The capture.
  const shapes: TrafficShape[] = [];
  for (let i = 0; i < 100; i++) {
    const host = i < 50 ? `198.51.100.${10 + i}` : `203.0.113.${10 + i - 50}`;
    shapes.push(webServerTraffic({ name: `web-${i}`, to: host, rate: rate.constant(3000), samplingRate: 1000, agent: i % 4 }));
  }
  const udpAt = Math.floor(durationMs * 0.4);
  const synAt = Math.floor(durationMs * 0.7);
  shapes.push(attackTraffic('udp_flood', { to: '198.51.100.10', rate: rate.constant(1_000_000), samplingRate: 1000, startMs: udpAt, endMs: udpAt + 60_000 }));
  shapes.push(attackTraffic('syn_flood', { to: '203.0.113.20', rate: rate.constant(500_000), samplingRate: 1000, startMs: synAt, endMs: synAt + 60_000, agent: 1 }));
  const capture = join(dir, 'capture.pcap');
  // The generator is synchronous: frames are kept, then written with the file's backpressure.
  const frames: { data: Uint8Array; at: number }[] = [];
  const generated = new ScenarioRunner({ name: 'bench-replay', durationMs, shapes, attacks: [], seed: 3 }).run({
    startAtMs: T0,
    onDatagram: (datagram, timeMs) => {
      const data = buildFrame({
        ethernet: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
        ip: { version: 4, src: `100.64.0.${datagram[11]!}`, dst: '192.0.2.200' },
        transport: { protocol: 'udp', srcPort: 50_000, dstPort: 6343 },
        payload: datagram,
      });
      frames.push({ data, at: timeMs });
    },
  });
  const writer = await openPcapFile(capture);
  for (const f of frames) await writer.writeAndWait(f.data, { timestampMicros: f.at * 1000 });
  await writer.close();
  frames.length = 0;
  const bytes = statSync(capture).size;
  console.log(`capture: ${minutes} min, ${generated.datagrams} datagrams, ${generated.samples} samples, ${(bytes / 1e6).toFixed(1)} MB`);

  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'data'), networks: ['198.51.100.0/24', '203.0.113.0/24'], detection: { baseline: { enabled: false } } }));

  const timed = (command: string, args: string[]): { wallMs: number; stdout: string; stderr: string } => {
    const started = performance.now();
    const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30, timeout: 600_000 });
    const wallMs = performance.now() - started;
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return { wallMs, stdout: r.stdout, stderr: r.stderr };
  };

  const replayRuns: { processMs: number; replayMs: number; attacks: number }[] = [];
  const tsharkRuns: { processMs: number; samples: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = timed(process.execPath, ['--conditions=source', '--import', 'tsx', 'appliance/src/cli/main.ts', 'replay', capture, '--config', config, '--json', '--quiet']);
    const wall = /wall=([\d.]+) s/.exec(r.stderr);
    if (wall === null) throw new Error(`no summary from replay: ${r.stderr}`);
    replayRuns.push({ processMs: r.wallMs, replayMs: Number(wall[1]) * 1000, attacks: r.stdout.trim().split('\n').filter((l) => l !== '').length });
    const t = timed('tshark', ['-n', '-r', capture, '-d', 'udp.port==6343,sflow', '-T', 'fields', '-e', 'sflow_245.numsamples']);
    tsharkRuns.push({ processMs: t.wallMs, samples: t.stdout.split('\n').reduce((n, l) => n + (Number(l.split(',')[0]) || 0), 0) });
    console.log(`round ${round + 1}: replay ${Math.round(r.wallMs)} ms (replay itself ${Math.round(Number(wall[1]) * 1000)} ms), tshark ${Math.round(t.wallMs)} ms`);
  }

  const span = durationMs / 1000;
  const row = (name: string, ms: number) => ({
    name,
    wallMs: Math.round(ms),
    captureSpeed: Math.round((span * 1000) / ms),
    datagramsPerSecond: Math.round((generated.datagrams * 1000) / ms),
  });
  const rows = [
    row('breakwater replay (process)', median(replayRuns.map((r) => r.processMs))),
    row('breakwater replay (replay itself)', median(replayRuns.map((r) => r.replayMs))),
    row('tshark -T fields (process)', median(tsharkRuns.map((r) => r.processMs))),
  ];
  console.log('\n| run | wall | x capture time | datagrams/s |\n|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.name} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.captureSpeed} | ${r.datagramsPerSecond.toLocaleString('en')} |`);
  console.log(`attacks raised by replay: ${replayRuns.map((r) => r.attacks).join(', ')}; samples tshark counted: ${tsharkRuns[0]!.samples}`);

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
    tshark: execFileSync('tshark', ['--version'], { encoding: 'utf8' }).split('\n')[0],
    capture: { minutes, datagrams: generated.datagrams, samples: generated.samples, bytes },
    rounds,
    replayRuns,
    tsharkRuns,
    rows,
  };
  const out = values.out ?? join(root, 'bench', 'results', `replay-${result.date.slice(0, 10)}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`written to ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
