// `breakwater replay` over captures of sFlow: five minutes of benign traffic to two hosts with a UDP flood on one
// and a SYN flood on the other (the project's synthetic generator, encoded as sFlow v5 and written as a pcap
// with capture timestamps over those minutes). Replay must raise exactly those two attacks, on the right
// targets, as the right vectors, starting within one tick of each flood's onset in capture time, exactly when
// the engine fed directly by the generator starts them; and it must leave the data directory alone. Captures
// with garbage in them, cut short, or not captures at all are counted or refused with a clear code.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { AttackRecord } from '../../src/detection/attack.js';
import { saveBaselines } from '../../src/detection/baseline-file.js';
import { encodePcap, openPcapFile, type PcapRecordInput } from '../../src/pcap/pcap-writer.js';
import { buildFrame } from '../../src/synthetic/packet-builder.js';
import { attackTraffic, rate, ScenarioRunner, udpServiceTraffic, webServerTraffic, type RunResult, type Scenario } from '../../src/synthetic/traffic-scenarios.js';
import { compressedBaseline, detectionConfig, runScenario, T0 } from '../detection/helpers.js';
import { main } from '../../src/cli/run.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bwt-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const victimUdp = '198.51.100.10';
const victimSyn = '198.51.100.20';
const TICK = 100;
// Ten milliseconds past a tick boundary: the first tick that can see a flood ends 90 ms after its onset.
const udpOnset = 180_010;
const synOnset = 200_010;

const detection = { baseline: { enabled: false }, quietSeconds: 5, maxDestinations: 65536, maxBlocks: 8192, maxPromoted: 1024 };
const networks = ['198.51.100.0/24', '203.0.113.0/24'];
const dataDir = join(dir, 'data-must-stay-untouched');
const configFile = join(dir, 'config.json');

const scenario: Scenario = {
  name: 'two floods in five minutes',
  durationMs: 300_000,
  seed: 7,
  shapes: [
    webServerTraffic({ name: 'web-a', to: victimUdp, rate: rate.constant(4000), samplingRate: 1000 }),
    webServerTraffic({ name: 'web-b', to: victimSyn, rate: rate.constant(3000), samplingRate: 1000, agent: 1 }),
    udpServiceTraffic({ name: 'dns-a', to: victimUdp, rate: rate.constant(2000), samplingRate: 1000 }),
    attackTraffic('udp_flood', { to: victimUdp, rate: rate.constant(1_000_000), samplingRate: 1000, startMs: udpOnset, endMs: 210_000 }),
    attackTraffic('syn_flood', { to: victimSyn, rate: rate.constant(500_000), samplingRate: 1000, startMs: synOnset, endMs: 230_000, agent: 1 }),
  ],
  attacks: [
    { target: victimUdp, vector: 'udp_flood', startMs: udpOnset, endMs: 210_000 },
    { target: victimSyn, vector: 'syn_flood', startMs: synOnset, endMs: 230_000 },
  ],
};

/** An sFlow datagram as a captured Ethernet/IPv4/UDP frame from its agent to the collector. */
function sflowFrame(datagram: Uint8Array, agent: string, dstPort = 6343): Uint8Array {
  return buildFrame({
    ethernet: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
    ip: { version: 4, src: agent, dst: '192.0.2.200', dontFragment: true },
    transport: { protocol: 'udp', srcPort: 50_000, dstPort },
    payload: datagram,
  });
}

/** The scenario's datagrams as pcap records stamped with the time each left its exporter. */
function scenarioRecords(s: Scenario): { records: PcapRecordInput[]; truth: RunResult } {
  const records: PcapRecordInput[] = [];
  const truth = new ScenarioRunner(s).run({
    startAtMs: T0,
    tickMs: TICK,
    onDatagram: (datagram, timeMs) => {
      const agent = datagram[11] === 2 ? '100.64.0.2' : '100.64.0.1';
      records.push({ data: sflowFrame(datagram, agent), timestampMicros: timeMs * 1000 });
    },
  });
  return { records, truth };
}

let capture: string;
let truth: RunResult;
let records: PcapRecordInput[];

before(async () => {
  writeFileSync(configFile, JSON.stringify({ dataDir, networks, detection }));
  ({ records, truth } = scenarioRecords(scenario));
  capture = join(dir, 'two-floods.pcap');
  const writer = await openPcapFile(capture);
  for (const r of records) await writer.writeAndWait(r.data, { timestampMicros: r.timestampMicros! });
  await writer.close();
});

interface ReplayLine extends AttackRecord {
  startedTime: string;
  endedTime: string | null;
  endReason: string;
}

function parseLines(stdout: string): ReplayLine[] {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ReplayLine);
}

test('replay raises exactly the two floods, on capture time, as the engine fed directly does, touching no state', async () => {
  const r = await runCli(['replay', capture, '--config', configFile, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const attacks = parseLines(r.stdout);
  assert.deepEqual(attacks.map((a) => [a.target, a.vector, a.endReason]), [
    [victimUdp, 'udp_flood', 'quiet'],
    [victimSyn, 'syn_flood', 'quiet'],
  ]);
  for (const [a, onset] of [[attacks[0]!, T0 + udpOnset], [attacks[1]!, T0 + synOnset]] as const) {
    assert.ok(a.startedAt >= onset && a.startedAt - onset <= TICK, `${a.vector} started ${a.startedAt - onset} ms after its onset (capture time)`);
    assert.ok(Math.abs(a.firstSampleAt - onset) <= TICK, `${a.vector} first sample ${a.firstSampleAt - onset} ms from its onset`);
    assert.equal(a.startedTime, new Date(a.startedAt).toISOString());
    assert.equal(a.endedTime, new Date(a.endedAt!).toISOString());
    assert.ok(a.signature.coverage >= 0.95, `${a.vector} coverage ${a.signature.coverage}`);
  }
  assert.equal(attacks[1]!.signature.match.destination.prefix, `${victimSyn}/32`);

  // The same scenario through the engine directly (the generator's own decode and clock): the same attacks.
  const direct = runScenario(scenario, detectionConfig({ networks, detection }));
  assert.deepEqual(
    direct.started.map((e) => [e.attack.target, e.attack.vector]),
    attacks.map((a) => [a.target, a.vector]),
  );
  direct.started.forEach((e, i) => assert.ok(Math.abs(e.attack.startedAt - attacks[i]!.startedAt) <= 1, `start ${e.attack.startedAt} vs replay ${attacks[i]!.startedAt}`));
  assert.equal(truth.firstAttackSample.size, 2);

  const summary = r.stderr.split('\n').find((l) => l.startsWith('replay: packets='));
  assert.ok(summary, r.stderr);
  assert.match(summary, new RegExp(`packets=${records.length} sflow_datagrams=${records.length} datagrams_ok=${records.length} datagrams_rejected=0 `));
  assert.match(summary, / attacks=2 /);
  assert.match(summary, /samples_counted=\d+/);
  assert.doesNotMatch(r.stderr, /datagrams \(.*\/s\), capture time/, '--quiet prints no progress');
  assert.equal(existsSync(dataDir), false, 'replay created nothing in the data directory (no baselines, no database)');
});

test('the text table lists the attacks with capture times', async () => {
  const r = await runCli(['replay', capture, '--config', configFile, '--speed', 'max', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^STARTED \(capture time\)\s+ENDED\s+LATENCY\s+TARGET\s+VECTOR/);
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, new RegExp(`^${new Date(T0 + udpOnset).toISOString().slice(0, 19)}\\.\\d{3}Z .* ${victimUdp.replace(/\./g, '\\.')}\\s+udp_flood\\s+\\S+\\s+\\d\\.\\d\\d\\s+.*pps.*quiet$`));
  assert.match(lines[2]!, /198\.51\.100\.20\s+syn_flood/);
});

test('--speed N paces the replay at N times capture speed and shows progress on stderr', async () => {
  // 300 s of capture at 150x: no less than 2 s of wall time, so at least one progress line.
  const started = performance.now();
  const r = await runCli(['replay', capture, '--config', configFile, '--json', '--speed', '150']);
  const wallMs = performance.now() - started;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(wallMs >= 1900, `paced: ${Math.round(wallMs)} ms`);
  assert.match(r.stderr, /^replay: [\d.]+ k? ?datagrams \([\d.]+ k?\/s\), capture time 2026-01-05T00:0\d:\d\d\.\d{3}Z \(\d+% of the file\), \d+ attacks? so far$/m);
  assert.equal(parseLines(r.stdout).length, 2);
});

test('--from skips what was captured before it; attacks active when the capture ends are reported as such', async () => {
  // From the SYN flood's onset on: the UDP flood's last 10 s only (it ended in the capture at 210 s).
  const from = new Date(T0 + 195_000).toISOString();
  const r = await runCli(['replay', capture, '--config', configFile, '--json', '--quiet', '--from', from]);
  assert.equal(r.code, 0, r.stderr);
  const attacks = parseLines(r.stdout);
  assert.deepEqual(attacks.map((a) => [a.target, a.vector]), [[victimUdp, 'udp_flood'], [victimSyn, 'syn_flood']]);
  assert.ok(attacks[0]!.startedAt - (T0 + 195_000) <= 1000, 'the flood under way at --from is found within a second');
  assert.match(r.stderr, /skipped_before_from=\d+/);

  // A capture that stops in the middle of the SYN flood (the UDP flood ended at 210 s, quiet 5 s later).
  const cut = join(dir, 'cut-in-flood.pcap');
  writeFileSync(cut, encodePcap(records.filter((rec) => rec.timestampMicros! < (T0 + 225_000) * 1000)));
  const active = await runCli(['replay', cut, '--config', configFile, '--json', '--quiet']);
  assert.equal(active.code, 0, active.stderr);
  const [udp, syn] = parseLines(active.stdout);
  assert.deepEqual([udp?.vector, udp?.endReason, syn?.vector, syn?.endReason, syn?.endedTime], ['udp_flood', 'quiet', 'syn_flood', 'capture-end', null]);
});

test('a capture on stdin; the sFlow port comes from the configuration\'s sflow.listen unless --port is given', async () => {
  const small = encodePcap(records.filter((rec) => rec.timestampMicros! < (T0 + 222_000) * 1000 && rec.timestampMicros! >= (T0 + 170_000) * 1000));
  const stdin = new PassThrough();
  stdin.end(small);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(['replay', '-', '--config', configFile, '--json', '--quiet'], { stdin, stdout, stderr });
  assert.equal(code, 0, err);
  // From 170 s to 222 s: the UDP flood whole, the SYN flood still on when the capture ends.
  assert.deepEqual(parseLines(out).map((a) => [a.vector, a.endReason]), [['udp_flood', 'quiet'], ['syn_flood', 'capture-end']]);

  const otherPort = join(dir, 'config-other-port.json');
  writeFileSync(otherPort, JSON.stringify({ dataDir, networks, detection, sflow: { listen: ['0.0.0.0:9995'] } }));
  const none = await runCli(['replay', capture, '--config', otherPort, '--json', '--quiet']);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, new RegExp(`sflow_datagrams=0 .*other_udp=${records.length} `));
  const given = await runCli(['replay', capture, '--config', otherPort, '--json', '--quiet', '--port', '6343']);
  assert.equal(parseLines(given.stdout).length, 2);
  const any = await runCli(['replay', capture, '--config', otherPort, '--json', '--quiet', '--any-port']);
  assert.equal(parseLines(any.stdout).length, 2);
});

test('--baselines FILE: learned baselines are read, never written; the data directory stays untouched', async () => {
  // Baselines learned by the engine on the first two minutes (benign only), saved the way the appliance saves them.
  const withBaselines = { ...detection, baseline: compressedBaseline() };
  const learned = runScenario({ ...scenario, durationMs: 120_000 }, detectionConfig({ networks, detection: withBaselines }));
  assert.ok(learned.detector.baselines.entries.size > 0, 'something was learned');
  const file = join(dir, 'learned-baselines.bin');
  await saveBaselines(file, learned.detector.baselines);
  const before = readFileSync(file);
  const config = join(dir, 'config-baselines.json');
  writeFileSync(config, JSON.stringify({ dataDir, networks, detection: withBaselines }));
  const r = await runCli(['replay', capture, '--config', config, '--baselines', file, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseLines(r.stdout).map((a) => [a.target, a.vector]), [[victimUdp, 'udp_flood'], [victimSyn, 'syn_flood']]);
  assert.match(r.stderr, new RegExp(` baselines_loaded=${learned.detector.baselines.entries.size} `));
  assert.deepEqual(readFileSync(file), before, 'the baselines file is unchanged');
  assert.equal(existsSync(dataDir), false);
});

test('garbage datagrams, other traffic and other ports are counted; the floods are still found', async () => {
  const garbage: PcapRecordInput[] = [];
  const at = (ms: number) => (T0 + ms) * 1000;
  const bad = [
    new Uint8Array(0),
    new Uint8Array([0, 0, 0, 5]),
    Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff),
    // sFlow version 4 header.
    new Uint8Array([0, 0, 0, 4, 0, 0, 0, 1, 100, 64, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]),
    // A valid header that promises 1000 samples and holds none.
    new Uint8Array([0, 0, 0, 5, 0, 0, 0, 1, 100, 64, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0x03, 0xe8]),
  ];
  for (let i = 0; i < 200; i++) garbage.push({ data: sflowFrame(bad[i % bad.length]!, '100.64.0.9'), timestampMicros: at(1000 * i + 500) });
  // UDP to another port, a TCP frame, an ARP frame, a frame cut by a snap length.
  garbage.push({ data: sflowFrame(new Uint8Array(50), '100.64.0.9', 9999), timestampMicros: at(1500) });
  garbage.push({ data: buildFrame({ ip: { version: 4, src: '100.64.0.9', dst: '192.0.2.200' }, transport: { protocol: 'tcp', srcPort: 1, dstPort: 6343, flags: 0x02 } }), timestampMicros: at(1600) });
  garbage.push({ data: new Uint8Array([...new Uint8Array(12).fill(0xff), 0x08, 0x06, ...new Uint8Array(46)]), timestampMicros: at(1700) });
  garbage.push({ data: sflowFrame(records[0]!.data.subarray(42), '100.64.0.9').subarray(0, 60), timestampMicros: at(1800) });
  const mixed = [...records, ...garbage].sort((a, b) => a.timestampMicros! - b.timestampMicros!);
  const file = join(dir, 'with-garbage.pcap');
  writeFileSync(file, encodePcap(mixed));

  const r = await runCli(['replay', file, '--config', configFile, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseLines(r.stdout).map((a) => a.vector), ['udp_flood', 'syn_flood']);
  const summary = r.stderr.split('\n').find((l) => l.startsWith('replay: packets='))!;
  assert.match(summary, new RegExp(`datagrams_ok=${records.length} datagrams_rejected=200 `));
  assert.match(summary, /rejected_\w+=\d+ .*other_udp=1 frames_not_ip=1 frames_not_udp=1 frames_truncated=1 /);
  const rejected = [...summary.matchAll(/rejected_(\w+)=(\d+)/g)].filter(([, reason]) => reason !== undefined).reduce((n, m) => n + Number(m[2]), 0);
  assert.equal(rejected, 200, 'every rejected datagram has a reason');
});

test('a capture cut in a record: the attacks before the cut, BW_ERR_PCAP_TRUNCATED, exit 1', async () => {
  const whole = readFileSync(capture);
  const cut = join(dir, 'cut.pcap');
  // Cut well after the UDP flood ended, inside a record.
  const before = encodePcap(records.filter((rec) => rec.timestampMicros! < (T0 + 250_000) * 1000));
  writeFileSync(cut, whole.subarray(0, before.length + 30));
  const r = await runCli(['replay', cut, '--config', configFile, '--json', '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(parseLines(r.stdout).map((a) => [a.vector, a.endReason]), [['udp_flood', 'quiet'], ['syn_flood', 'quiet']]);
  assert.match(r.stderr, /^BW_ERR_PCAP_TRUNCATED: /m);
});

test('usage, configuration and input mistakes exit 2 with a stable code', async () => {
  const notPcap = join(dir, 'not-a-capture.txt');
  writeFileSync(notPcap, 'hello, this is not a capture at all\n');
  const badConfig = join(dir, 'bad-config.json');
  writeFileSync(badConfig, JSON.stringify({ detection: { tickMs: 'fast' } }));
  const garbageBaselines = join(dir, 'baselines.bin');
  writeFileSync(garbageBaselines, 'not baselines');
  const cases: { args: string[]; error: string }[] = [
    { args: ['replay'], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', capture], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', capture, capture, '--config', configFile], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', capture, '--config', configFile, '--speed', 'fast'], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', capture, '--config', configFile, '--speed', '0'], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', capture, '--config', configFile, '--port', '70000'], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', capture, '--config', configFile, '--from', 'yesterday'], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', capture, '--config', configFile, '--bogus'], error: 'BW_ERR_CLI_USAGE' },
    { args: ['replay', join(dir, 'missing.pcap'), '--config', configFile], error: 'BW_ERR_REPLAY_INPUT' },
    { args: ['replay', dir, '--config', configFile], error: 'BW_ERR_REPLAY_INPUT' },
    { args: ['replay', capture, '--config', join(dir, 'missing.json')], error: 'BW_ERR_CONFIG_READ' },
    { args: ['replay', capture, '--config', badConfig], error: 'BW_ERR_CONFIG_INVALID' },
    { args: ['replay', capture, '--config', configFile, '--baselines', join(dir, 'missing.bin')], error: 'BW_ERR_REPLAY_INPUT' },
    { args: ['replay', capture, '--config', configFile, '--baselines', garbageBaselines], error: 'BW_ERR_REPLAY_INPUT' },
    { args: ['replay', notPcap, '--config', configFile], error: 'BW_ERR_PCAP_FORMAT' },
  ];
  for (const c of cases) {
    const r = await runCli([...c.args, '--quiet']);
    assert.equal(r.code, 2, `${c.args.slice(1).join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^${c.error}: `, 'm'), `${c.args.slice(1).join(' ')}: ${r.stderr}`);
  }
});
