// The attack capture fed real FlowBatches (sFlow encoded, decoded and batched with a header section) and real
// attack events on a bus: the file of an attack starts with the target's packets from before attack.started,
// goes on with its packets until attack.ended, and is then closed and complete; tshark and our reader agree on
// what is in it. Also: prefix targets, the memory bound (counted ring entries), per-attack limits, link types,
// a write failure that is counted and not fatal, retention, capture off, and attack ids that are not paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../src/bus/event-bus.js';
import { AttackCapture } from '../../src/capture/attack-capture.js';
import { attackPcapPath } from '../../src/capture/attack-pcap-path.js';
import { CaptureSchema, type CaptureConfig } from '../../src/capture/capture-schema.js';
import { ENTRY_OVERHEAD_BYTES } from '../../src/capture/header-rings.js';
import type { AttackEvent, AttackRecord } from '../../src/detection/attack.js';
import { isBreakwaterError } from '../../src/errors.js';
import { FlowBatchWriter } from '../../src/intake/flow-batch-writer.js';
import { silentLogger } from '../../src/log.js';
import { readPcapFile } from '../../src/pcap/pcap-reader.js';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import { ipv4Bytes } from '../../src/synthetic/address-bytes.js';
import { FlowSpec, SflowEncoder } from '../../src/synthetic/sflow-encoder.js';
import { Value } from '@sinclair/typebox/value';

const T0 = 1_767_000_000_000;

function config(overrides: Partial<CaptureConfig> = {}): CaptureConfig {
  return { ...(Value.Default(CaptureSchema, {}) as CaptureConfig), ...overrides };
}

interface Sample {
  dst: string;
  src?: string;
  protocol?: number;
  srcPort?: number;
  dstPort?: number;
  frameLength?: number;
  headerProtocol?: 1 | 11 | 12;
}

/** Encodes the samples into sFlow datagrams arriving at timeMs, decodes them into one FlowBatch with headers. */
class BatchMaker {
  private readonly encoder = new SflowEncoder();
  private readonly decoder = new SflowDecoder();
  private readonly spec = new FlowSpec();
  private sequence = 0;
  private batch: Uint8Array | undefined;
  private readonly writer: FlowBatchWriter;

  constructor(snap = 128) {
    this.writer = new FlowBatchWriter({ sink: (b) => (this.batch = b.slice()), headerSnapLength: snap, targetRecords: 100_000 });
  }

  make(samples: Sample[], timeMs: number): Uint8Array {
    for (let i = 0; i < samples.length; i += 6) {
      this.encoder.begin({ agent: 0x64400001, subAgentId: 0, sequence: ++this.sequence, uptimeMs: 1000 });
      for (const s of samples.slice(i, i + 6)) {
        const f = this.spec;
        f.sequence++;
        f.headerProtocol = s.headerProtocol ?? 1;
        f.ipVersion = 4;
        f.dstV4 = new DataView(ipv4Bytes(s.dst).buffer).getUint32(0);
        f.srcV4 = new DataView(ipv4Bytes(s.src ?? '192.0.2.50').buffer).getUint32(0);
        f.protocol = s.protocol ?? 17;
        f.srcPort = s.srcPort ?? 40000;
        f.dstPort = s.dstPort ?? 443;
        f.frameLength = s.frameLength ?? 1200;
        f.samplingRate = 1000;
        assert.ok(this.encoder.addFlowSample(f));
      }
      this.writer.beginDatagram(timeMs);
      const d = this.encoder.datagram;
      const status = this.decoder.decode(d, this.writer);
      this.writer.endDatagram(this.decoder.header, status, d.length, this.decoder.lastFlowSamples, 0, 0, 0);
    }
    this.writer.flush();
    return this.batch!;
  }
}

function attack(id: string, target: string, startedAt: number): AttackRecord {
  return {
    id,
    target,
    targetKind: target.includes('/') ? 'prefix' : 'host',
    ipVersion: 4,
    startedAt,
    firstSampleAt: startedAt - 1000,
  } as AttackRecord;
}

function harness(overrides: Partial<CaptureConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-capture-'));
  const bus = new EventBus<AttackEvent>();
  const capture = new AttackCapture({ config: config(overrides), dataDir: dir, bus, log: silentLogger() });
  return {
    dir,
    bus,
    capture,
    start: (a: AttackRecord) => bus.publish({ type: 'attack.started', attack: a }),
    end: (a: AttackRecord) => bus.publish({ type: 'attack.ended', attack: a, reason: 'quiet' }),
    async close() {
      await capture.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tshark(path: string, fields: string[]): string[][] {
  const out = execFileSync('/usr/bin/tshark', ['-r', path, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  return out.trim() === '' ? [] : out.trim().split('\n').map((l) => l.split('|'));
}

async function readAll(path: string) {
  const out: { linkType: number; timeMs: number; captured: number; original: number }[] = [];
  for await (const p of readPcapFile(path)) out.push({ linkType: p.linkType, timeMs: p.timestampSeconds * 1000 + p.timestampNanos / 1e6, captured: p.capturedLength, original: p.originalLength });
  return out;
}

const benign = (n: number): Sample[] => Array.from({ length: n }, (_, i) => ({ dst: '203.0.113.10', src: `198.51.100.${1 + (i % 50)}`, protocol: 6, srcPort: 50000 + i, dstPort: 443, frameLength: 800 }));
const flood = (n: number, dst = '203.0.113.10'): Sample[] => Array.from({ length: n }, (_, i) => ({ dst, src: `192.0.2.${1 + (i % 200)}`, protocol: 17, srcPort: 53, dstPort: 1024 + i, frameLength: 1400 }));

test('an attack file holds the target\'s packets from before attack.started, then its live packets, and is complete after attack.ended', async () => {
  const h = harness();
  await h.capture.start();
  try {
    const m = new BatchMaker();
    // One second of benign traffic to the victim, then a second of flood, plus traffic to someone else.
    h.capture.consume(m.make(benign(10), T0 + 500));
    h.capture.consume(m.make([...flood(50), ...flood(5, '203.0.113.99')], T0 + 1500));
    const a = attack('0000attack-01', '203.0.113.10', T0 + 2000);
    h.start(a);
    // While the attack lasts: 20 more flood packets to the victim, 10 to the bystander.
    h.capture.consume(m.make([...flood(20), ...flood(10, '203.0.113.99')], T0 + 2500));
    h.end(a);
    await h.capture.settled();
    const path = attackPcapPath(h.dir, a.id);
    const rows = tshark(path, ['frame.time_epoch', 'ip.dst', 'ip.proto', 'udp.srcport', 'tcp.dstport', 'frame.len', 'frame.cap_len']);
    assert.equal(rows.length, 80, '10 benign + 50 flood before the start, 20 after');
    assert.ok(rows.every((r) => r[1] === '203.0.113.10'), 'only the target');
    const before = rows.filter((r) => Number(r[0]) * 1000 < a.startedAt);
    assert.equal(before.length, 60, 'the capture starts before the detection');
    assert.equal(before.filter((r) => r[2] === '6' && r[4] === '443').length, 10, 'the benign TCP/443 packets');
    const udp53 = rows.filter((r) => r[2] === '17' && r[3] === '53');
    assert.equal(udp53.length, 70, 'every flood packet, UDP from port 53');
    assert.ok(udp53.every((r) => r[5] === '1400'), 'original length = the sampled frame length');
    // Ordered by capture time; our own reader agrees and sees Ethernet.
    const times = rows.map((r) => Number(r[0]));
    assert.deepEqual(times, [...times].sort((x, y) => x - y));
    const packets = await readAll(path);
    assert.equal(packets.length, 80);
    assert.ok(packets.every((p) => p.linkType === 1 && p.captured <= 128 && p.captured < p.original));
    assert.equal(statSync(path).size, 24 + packets.reduce((s, p) => s + 16 + p.captured, 0), 'closed with every record written');
    const report = h.capture.report();
    assert.equal(report.attacksCaptured, 1);
    assert.equal(report.activeAttacks, 0);
    assert.equal(report.preAttackPackets, 60);
    assert.equal(report.packetsWritten, 80);
    assert.equal(report.writeErrors, 0);
  } finally {
    await h.close();
  }
});

test('a prefix target (carpet bombing) collects every tracked destination inside the prefix, and the global ring', async () => {
  // Few tracked destinations: most of the prefix's pre-attack packets can only come from the global ring.
  const h = harness({ trackedDestinations: 4, ringDepth: 8, globalRingDepth: 1000 });
  await h.capture.start();
  try {
    const m = new BatchMaker();
    const inside = Array.from({ length: 100 }, (_, i): Sample => ({ dst: `198.18.7.${1 + i}`, protocol: 17, srcPort: 123, dstPort: 80 }));
    const outside = Array.from({ length: 30 }, (_, i): Sample => ({ dst: `198.18.8.${1 + i}`, protocol: 17, srcPort: 123, dstPort: 80 }));
    h.capture.consume(m.make([...inside, ...outside], T0));
    const a = attack('0000carpet-01', '198.18.7.0/24', T0 + 1000);
    h.start(a);
    h.capture.consume(m.make([...inside.slice(0, 10), ...outside.slice(0, 10)], T0 + 1500));
    h.end(a);
    await h.capture.settled();
    const rows = tshark(attackPcapPath(h.dir, a.id), ['ip.dst', 'udp.srcport']);
    assert.equal(rows.length, 110, 'each inside packet once (no duplicates from ring + global ring)');
    assert.ok(rows.every((r) => r[0]!.startsWith('198.18.7.') && r[1] === '123'));
  } finally {
    await h.close();
  }
});

test('memory is bounded: ring entries never exceed trackedDestinations × ringDepth + globalRingDepth', async () => {
  const c = { trackedDestinations: 32, ringDepth: 16, globalRingDepth: 256, snapLength: 96 };
  const h = harness(c);
  await h.capture.start();
  try {
    const m = new BatchMaker(96);
    for (let round = 0; round < 20; round++) {
      const samples = Array.from({ length: 500 }, (_, i): Sample => ({ dst: `198.18.${round}.${i % 250}`, srcPort: i }));
      h.capture.consume(m.make(samples, T0 + round * 100));
    }
    const r = h.capture.report() as Record<string, number>;
    assert.equal(r.samples, 10_000);
    assert.equal(r.trackedDestinations, 32);
    assert.ok(r.ringEntries! <= 32 * 16, `${r.ringEntries} ring entries`);
    assert.equal(r.globalRingEntries, 256);
    assert.equal(r.ringEntriesMax, 512);
    const rings = (32 * 16 + 256) * (96 + ENTRY_OVERHEAD_BYTES);
    assert.ok(r.memoryBytes! >= rings && r.memoryBytes! < rings + 32 * 64 + 1024, `memoryBytes ${r.memoryBytes}`);
  } finally {
    await h.close();
  }
});

test('the global ring keeps every stride-th untracked sample so that it spans about a second, and all of them again when traffic drops', async () => {
  const h = harness({ trackedDestinations: 4, ringDepth: 8, globalRingDepth: 100 });
  await h.capture.start();
  try {
    const m = new BatchMaker();
    // Spread traffic: 1,000 samples a second, each to one of 1,000 destinations (not one admitted twice enough to stay).
    const spread = (second: number, tag: number): Sample[] => Array.from({ length: 100 }, (_, i) => ({ dst: `198.18.${second % 200}.${i + 1}`, srcPort: tag }));
    const feed = (second: number) => {
      for (let k = 0; k < 10; k++) h.capture.consume(m.make(spread(second, k), T0 + second * 1000 + k * 100));
    };
    feed(0);
    let r = h.capture.report() as Record<string, number>;
    assert.equal(r.globalRingStride, 1, 'the first second keeps everything (no count to go by yet)');
    assert.equal(r.globalRingSkipped, 0);
    feed(1);
    r = h.capture.report() as Record<string, number>;
    // Second 0's ~1,000 untracked samples (all but the few that stayed in the 4 slots) over 100 entries.
    assert.ok(r.globalRingStride! >= 9 && r.globalRingStride! <= 10, `stride ${r.globalRingStride}`);
    assert.ok(r.globalRingSkipped! >= 800, `${r.globalRingSkipped} of second 1's samples passed over`);
    // The ring now holds samples from across second 1 (srcPort = the tenth of the second they came in), not only its end.
    const a = attack('0000spread-01', '198.18.1.0/24', T0 + 2000);
    h.start(a);
    h.end(a);
    await h.capture.settled();
    const ports = tshark(attackPcapPath(h.dir, a.id), ['udp.srcport']).map((row) => Number(row[0]));
    // The global ring's entries (≤ 100) plus what the 4 tracked destinations' rings of 8 hold inside the prefix.
    assert.ok(ports.length >= 90 && ports.length <= 100 + 4 * 8, `${ports.length} pre-attack packets of second 1`);
    assert.deepEqual([...new Set(ports)].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every tenth of the second is represented');
    // Traffic drops to 50 samples a second: after a second of it the stride is back to 1 and nothing is passed over.
    const skippedBefore = (h.capture.report() as Record<string, number>).globalRingSkipped!;
    for (let second = 2; second < 5; second++) h.capture.consume(m.make(spread(second, 0).slice(0, 50), T0 + second * 1000));
    r = h.capture.report() as Record<string, number>;
    assert.equal(r.globalRingStride, 1);
    const skippedLastSecond = r.globalRingSkipped! - skippedBefore;
    assert.ok(skippedLastSecond <= 100, `${skippedLastSecond} passed over while the stride came down`);
  } finally {
    await h.close();
  }
});

test('an attack stops growing at maxPacketsPerAttack; the rest is counted', async () => {
  const h = harness({ maxPacketsPerAttack: 5 });
  await h.capture.start();
  try {
    const m = new BatchMaker();
    h.capture.consume(m.make(flood(3), T0));
    const a = attack('0000limit-001', '203.0.113.10', T0 + 100);
    h.start(a);
    h.capture.consume(m.make(flood(10), T0 + 200));
    h.end(a);
    await h.capture.settled();
    assert.equal(tshark(attackPcapPath(h.dir, a.id), ['ip.dst']).length, 5);
    assert.equal(h.capture.report().packetsOverLimit, 8);
  } finally {
    await h.close();
  }
});

test('raw IPv4 headers give a raw-IP (101) file; a packet of another link type is counted, not written', async () => {
  const h = harness();
  await h.capture.start();
  try {
    const m = new BatchMaker();
    const raw = flood(4).map((s) => ({ ...s, headerProtocol: 11 as const }));
    h.capture.consume(m.make([...raw, ...flood(2)], T0));
    const a = attack('0000rawip-001', '203.0.113.10', T0 + 100);
    h.start(a);
    h.end(a);
    await h.capture.settled();
    const packets = await readAll(attackPcapPath(h.dir, a.id));
    assert.equal(packets.length, 4);
    assert.ok(packets.every((p) => p.linkType === 101));
    assert.equal(tshark(attackPcapPath(h.dir, a.id), ['ip.dst', 'udp.srcport']).filter((r) => r[0] === '203.0.113.10' && r[1] === '53').length, 4);
    assert.equal(h.capture.report().packetsLinkTypeMismatch, 2);
  } finally {
    await h.close();
  }
});

test('a file that cannot be written is counted and logged; capture and the caller go on', async () => {
  const h = harness();
  await h.capture.start();
  try {
    const a = attack('0000broken-01', '203.0.113.10', T0);
    // A directory where the file should be: open() fails like a full or read-only disk would.
    mkdirSync(attackPcapPath(h.dir, a.id));
    const m = new BatchMaker();
    h.capture.consume(m.make(flood(5), T0));
    h.start(a);
    h.capture.consume(m.make(flood(5), T0 + 100));
    // The open fails asynchronously: wait for it (bounded), then samples for the broken file are dropped.
    for (let i = 0; i < 500 && h.capture.report().writeErrors === 0; i++) await new Promise((r) => setTimeout(r, 10));
    h.capture.consume(m.make(flood(5), T0 + 200));
    h.end(a);
    await h.capture.settled();
    const r = h.capture.report() as Record<string, number>;
    assert.equal(r.writeErrors, 1);
    assert.ok(r.packetsDroppedAfterWriteError! >= 5);
    assert.equal(r.writeBufferFreeChunks, r.writeBufferBytes! / 65536, 'every chunk back in the pool');
    // The next attack is captured normally.
    const b = attack('0000after-001', '203.0.113.10', T0 + 300);
    h.start(b);
    h.capture.consume(m.make(flood(3), T0 + 400));
    h.end(b);
    await h.capture.settled();
    // The victim's 15 earlier packets from its ring (the broken file lost none of them), then 3 live ones.
    assert.equal(tshark(attackPcapPath(h.dir, b.id), ['ip.dst']).length, 18);
  } finally {
    await h.close();
  }
});

test('retention: files past retentionDays, then the oldest past maxTotalBytes, are deleted; active files never', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-capture-retention-'));
  try {
    const attacks = join(dir, 'attacks');
    mkdirSync(attacks);
    const day = 86_400_000;
    const now = Date.now();
    const make = (name: string, ageDays: number, size: number) => {
      writeFileSync(join(attacks, name), Buffer.alloc(size));
      const t = (now - ageDays * day) / 1000;
      utimesSync(join(attacks, name), t, t);
    };
    make('old.pcap', 40, 1000);
    make('a.pcap', 5, 600_000);
    make('b.pcap', 4, 600_000);
    make('c.pcap', 3, 600_000);
    make('notes.txt', 90, 10);
    const bus = new EventBus<AttackEvent>();
    const capture = new AttackCapture({ config: config({ retentionDays: 30, maxTotalBytes: 1_300_000 }), dataDir: dir, bus, log: silentLogger() });
    await capture.start();
    await capture.settled();
    assert.equal(existsSync(join(attacks, 'old.pcap')), false, 'past retentionDays');
    assert.equal(existsSync(join(attacks, 'a.pcap')), false, 'oldest beyond maxTotalBytes');
    assert.equal(existsSync(join(attacks, 'b.pcap')), true);
    assert.equal(existsSync(join(attacks, 'c.pcap')), true);
    assert.equal(existsSync(join(attacks, 'notes.txt')), true, 'only pcap files are touched');
    const r = capture.report() as Record<string, number>;
    assert.equal(r.filesPruned, 2);
    assert.equal(r.files, 2);
    await capture.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('capture off: nothing is allocated or written, and the intake is asked for no header section', async () => {
  const h = harness({ enabled: false });
  await h.capture.start();
  try {
    assert.equal(h.capture.headerSnapLength, 0);
    assert.equal(h.capture.rings, undefined);
    h.capture.consume(new BatchMaker().make(flood(5), T0));
    h.start(attack('0000off-00001', '203.0.113.10', T0));
    await h.capture.settled();
    assert.deepEqual(h.capture.report(), { enabled: false });
    assert.equal(existsSync(join(h.dir, 'attacks')), false);
  } finally {
    await h.close();
  }
});

test('attackPcapPath names DATADIR/attacks/<id>.pcap and refuses ids that are not attack ids', () => {
  assert.equal(attackPcapPath('/var/lib/breakwater', 'mhg2k3v1-0a'), '/var/lib/breakwater/attacks/mhg2k3v1-0a.pcap');
  for (const bad of ['', '../etc/passwd', 'a/b', '..', 'x y', 'a'.repeat(129), '.hidden']) {
    assert.throws(() => attackPcapPath('/d', bad), (err) => isBreakwaterError(err, 'BW_ERR_CAPTURE_ATTACK_ID'), bad);
  }
});
