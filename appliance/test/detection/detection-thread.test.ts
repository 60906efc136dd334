// Detection in its own thread (detection.thread, detection-thread.ts + detection-thread-worker.ts): a flood
// delivered as FlowBatches in real time comes back as attack.started / updated / ended on the main bus with the
// same fields as in-process and as plain JSON data; batches beyond the in-flight bound are dropped and counted;
// a thread that dies is logged, restarted and counted, and its attacks end as expired; stop saves the baselines
// and ends the thread; and in the running appliance (sFlow over UDP loopback) an attack reaches the bus, /health
// and the attack history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Appliance } from '../../src/appliance.js';
import { EventBus } from '../../src/bus/event-bus.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { AttackEvent } from '../../src/detection/attack.js';
import { detectionInThread } from '../../src/detection/detection-component.js';
import { DetectionService } from '../../src/detection/detection-service.js';
import { DetectionThread, NICE_BELOW_MAIN } from '../../src/detection/detection-thread.js';
import { DETECTION_PROTOCOL_VERSION } from '../../src/detection/detection-thread-protocol.js';
import { DatagramReceiver } from '../../src/intake/datagram-receiver.js';
import { BATCH_HEADER_BYTES, HeaderField, RECORD_BYTES, RecordKind } from '../../src/intake/flow-batch.js';
import { SflowStream } from '../../src/synthetic/sflow-generator.js';
import { sendSynFloodUntilStarted } from '../support/live-syn-flood.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { attackTraffic, rate, ScenarioRunner, webServerTraffic } from '../../src/synthetic/traffic-scenarios.js';
import { freeUdpPort } from '../support/free-port.js';

function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream) as unknown as Logger, lines };
}

function config(dataDir: string, detection: Record<string, unknown> = {}): Config {
  const r = validateConfig({ dataDir, networks: ['198.51.100.0/24'], detection: { maxDestinations: 4096, maxBlocks: 256, maxPromoted: 64, quietSeconds: 1, baseline: { enabled: false }, ...detection } });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.config;
}

interface TimedBatch {
  at: number;
  bytes: Uint8Array;
}

/** A SYN flood on 198.51.100.99 (100k pps at 1:100) from 0.3 s to 2.3 s over light web traffic, as FlowBatches with their times. */
function flood(startAtMs: number, durationMs = 4500): { batches: TimedBatch[]; ticks: number[] } {
  const batches: TimedBatch[] = [];
  const ticks: number[] = [];
  let stepAt = startAtMs;
  new ScenarioRunner({
    name: 'thread',
    durationMs,
    seed: 3,
    attacks: [],
    shapes: [
      webServerTraffic({ to: '198.51.100.10', rate: rate.constant(2_000), samplingRate: 100 }),
      attackTraffic('syn_flood', { to: '198.51.100.99', rate: rate.constant(100_000), samplingRate: 100, startMs: 300, endMs: 2300 }),
    ],
  }).run({
    startAtMs,
    sink: (b) => batches.push({ at: stepAt, bytes: b.slice() }),
    onStep: (now) => {
      stepAt = now;
    },
    onTick: (t) => ticks.push(t),
  });
  return { batches, ticks };
}

/** Hands each batch over at its time (the thread ticks on the wall clock). */
async function deliver(batches: TimedBatch[], consume: (b: Uint8Array) => void): Promise<void> {
  for (const b of batches) {
    const wait = b.at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    consume(b.bytes);
  }
}

/** The shape of a value: its keys, recursively (arrays by their first element), with the type of each leaf. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  return typeof value;
}

function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() > until) reject(new Error(`not within ${ms} ms: ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

test("'auto' runs detection in a thread with two cores or more", () => {
  assert.equal(detectionInThread('auto', 1), false);
  assert.equal(detectionInThread('auto', 2), true);
  assert.equal(detectionInThread(true, 1), true);
  assert.equal(detectionInThread(false, 8), false);
});

test('the detection thread runs NICE_BELOW_MAIN below the main thread (the kernel says so too); the main thread keeps its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const thread = new DetectionThread({ config: config(dir), bus: new EventBus<AttackEvent>(), log: silentLogger() });
  const mainNice = getPriority(0);
  await thread.start();
  try {
    const t = thread.report().thread as { tid: number; nice: number | null };
    assert.equal(t.nice, Math.min(19, mainNice + NICE_BELOW_MAIN));
    // Field 19 of /proc/PID/task/TID/stat is the thread's nice value.
    const stat = readFileSync(`/proc/${process.pid}/task/${t.tid}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]), t.nice);
    assert.equal(getPriority(0), mainNice, 'only the detection thread was lowered');
  } finally {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a flood as FlowBatches: started, updated and ended on the main bus, with the fields in-process detection gives, as plain JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const bus = new EventBus<AttackEvent>();
  const seen: AttackEvent[] = [];
  let activeAtStart = -1;
  bus.onAny((e) => seen.push(e));
  const { log, lines } = capturingLogger();
  // Batches the test made are its own: moved to the thread, as receive threads' batches are.
  const thread = new DetectionThread({ config: config(dir), bus, log, batchBuffersTransferable: () => true });
  bus.on('attack.started', (e) => (activeAtStart = thread.activeAttacks().filter((a) => a.id === e.attack.id).length));
  await thread.start();
  try {
    const startAt = Date.now() + 200;
    const { batches, ticks } = flood(startAt);
    // The same batches in-process, on the scenario's clock: the reference.
    const reference: AttackEvent[] = [];
    const refBus = new EventBus<AttackEvent>();
    refBus.onAny((e) => reference.push(e));
    let now = startAt;
    const inProcess = new DetectionService({ config: config(dir), bus: refBus, log: silentLogger(), clock: () => now, timer: false });
    await inProcess.start();
    let next = 0;
    for (const t of ticks) {
      while (next < batches.length && batches[next]!.at <= t) inProcess.consume(batches[next++]!.bytes.slice());
      now = t;
      inProcess.tick(t);
    }
    await inProcess.stop();

    // Counted before delivery: a moved batch's buffer is detached here.
    const samples = batches.reduce((n, b) => n + flowSamplesIn(b.bytes), 0);
    await deliver(batches, (b) => thread.consume(b));
    assert.ok(batches.every((b) => b.bytes.byteLength === 0), 'moved, not copied');
    await eventually(() => seen.some((e) => e.type === 'attack.ended'), 6000, 'attack.ended on the main bus');
    const kinds = (events: AttackEvent[]) => events.map((e) => `${e.type} ${e.attack.vector} ${e.attack.target}`).filter((k, i, all) => all.indexOf(k) === i);
    assert.deepEqual(kinds(seen), ['attack.started syn_flood 198.51.100.99', 'attack.updated syn_flood 198.51.100.99', 'attack.ended syn_flood 198.51.100.99']);
    assert.deepEqual(kinds(seen), kinds(reference), 'the same lifecycle as in-process');
    for (const type of ['attack.started', 'attack.updated', 'attack.ended'] as const) {
      const ours = seen.find((e) => e.type === type)!;
      const theirs = reference.find((e) => e.type === type)!;
      assert.deepEqual(shape(ours), shape(theirs), `${type}: the same fields as in-process`);
      assert.deepEqual(JSON.parse(JSON.stringify(ours)), ours, `${type}: plain JSON data`);
    }
    assert.equal((seen.find((e) => e.type === 'attack.ended') as { reason: string }).reason, 'quiet');
    assert.equal(activeAtStart, 1, 'a subscriber told of attack.started finds it among the active attacks');
    assert.deepEqual(thread.activeAttacks(), [], 'none active after the end');
    // The thread's log records are written by the main thread's logger.
    const started = lines.find((l) => l.event === 'attack.started');
    assert.ok(started !== undefined, 'the attack start was logged');
    assert.equal(started.level, 40);
    assert.equal(started.target, '198.51.100.99');
    const report = await thread.reportNow();
    const t = report.thread as { batchesMoved: number; batchesCopied: number; dropped: { batches: number }; running: boolean };
    assert.equal(t.batchesMoved, batches.length);
    assert.equal(t.batchesCopied, 0);
    assert.equal(t.dropped.batches, 0);
    assert.equal(t.running, true);
    assert.equal((report.samples as { counted: number }).counted, samples, 'every sample counted in the thread');
  } finally {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

function flowSamplesIn(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(HeaderField.count, true);
  let n = 0;
  for (let r = 0; r < count; r++) if (bytes[BATCH_HEADER_BYTES + r * RECORD_BYTES] === RecordKind.flow) n++;
  return n;
}

test('beyond the in-flight bound batches are dropped and counted, never lost silently; a batch in a reused buffer is copied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const thread = new DetectionThread({ config: config(dir), bus: new EventBus<AttackEvent>(), log: silentLogger(), maxInFlight: 3, batchBuffersTransferable: () => false });
  await thread.start();
  try {
    const { batches } = flood(Date.now(), 1000);
    assert.ok(batches.length > 10);
    // All at once, without a turn of the event loop: the thread cannot acknowledge any in between.
    for (const b of batches) thread.consume(b.bytes);
    const sentSamples = batches.slice(0, 3).reduce((n, b) => n + flowSamplesIn(b.bytes), 0);
    const droppedSamples = batches.slice(3).reduce((n, b) => n + flowSamplesIn(b.bytes), 0);
    const t = thread.report().thread as { backlogBatches: number; backlogSamples: number; batchesCopied: number; batchesSent: number; dropped: { batches: number; samples: number } };
    assert.equal(t.backlogBatches, batches.length - 3);
    assert.equal(t.backlogSamples, droppedSamples);
    assert.deepEqual(t.dropped, { batches: batches.length - 3, samples: droppedSamples });
    assert.equal(t.batchesCopied, 3, 'copied: the intake would reuse these buffers');
    assert.ok(batches.every((b) => b.bytes.byteLength > 0), 'the caller\'s buffers are intact');
    const report = await thread.reportNow();
    assert.equal((report.samples as { counted: number }).counted, sentSamples, 'the thread counted what it was sent');
    assert.equal((report.thread as { inFlight: number }).inFlight, 0, 'acknowledged');
  } finally {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a thread that dies or throws is logged with BW_ERR_DETECTION_THREAD, restarted and counted; its attacks end as expired', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const bus = new EventBus<AttackEvent>();
  const seen: AttackEvent[] = [];
  bus.onAny((e) => seen.push(e));
  const { log, lines } = capturingLogger();
  const thread = new DetectionThread({ config: config(dir, { quietSeconds: 30 }), bus, log, restartDelayMs: 50, batchBuffersTransferable: () => true });
  await thread.start();
  try {
    const { batches } = flood(Date.now() + 100, 1500);
    await deliver(batches, (b) => thread.consume(b));
    await eventually(() => thread.activeAttacks().length === 1, 3000, 'an active attack');
    const first = thread.thread!;
    const firstId = first.threadId;
    await first.terminate();
    // Batches that arrive while it restarts are dropped and counted.
    thread.consume(flood(Date.now(), 100).batches[0]!.bytes);
    await eventually(() => (thread.report().thread as { running: boolean }).running, 5000, 'running again');
    assert.notEqual(thread.thread!.threadId, firstId, 'a new thread');
    const t = thread.report().thread as { exits: number; restarts: number; attacksExpired: number; downBatches: number };
    assert.equal(t.exits, 1);
    assert.equal(t.restarts, 1);
    assert.equal(t.attacksExpired, 1);
    assert.equal(t.downBatches, 1);
    const ended = seen.find((e) => e.type === 'attack.ended');
    assert.ok(ended !== undefined && ended.type === 'attack.ended');
    assert.equal(ended.reason, 'expired');
    assert.deepEqual(thread.activeAttacks(), []);
    assert.ok(lines.some((l) => l.code === 'BW_ERR_DETECTION_THREAD' && l.level === 50), 'the exit is logged with its code');
    // The new thread counts again.
    const more = flood(Date.now(), 300).batches;
    const moreSamples = more.reduce((n, b) => n + flowSamplesIn(b.bytes), 0);
    for (const b of more) thread.consume(b.bytes);
    const report = await thread.reportNow();
    assert.equal((report.samples as { counted: number }).counted, moreSamples);

    // A thread that throws (here: a message it cannot handle) is the same: logged, restarted, counted.
    const second = thread.thread!;
    second.postMessage({ v: DETECTION_PROTOCOL_VERSION, type: 'traffic-watch', follow: true, targets: null });
    await eventually(() => (thread.report().thread as { restarts: number; running: boolean }).restarts === 2 && (thread.report().thread as { running: boolean }).running, 5000, 'restarted after the throw');
    assert.notEqual(thread.thread!.threadId, second.threadId);
    assert.equal((thread.report().thread as { exits: number }).exits, 2);
    assert.ok(lines.some((l) => l.code === 'BW_ERR_DETECTION_THREAD' && l.msg === 'the detection thread failed'), 'the thrown error is logged with its code');
  } finally {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a thread that does not answer ready in time is ended, and start fails with BW_ERR_DETECTION_THREAD', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const thread = new DetectionThread({ config: config(dir), bus: new EventBus<AttackEvent>(), log: silentLogger(), startMs: 1 });
  try {
    await assert.rejects(thread.start(), (err: Error & { code?: string }) => err.code === 'BW_ERR_DETECTION_THREAD' && /before it was ready/.test(err.message));
    assert.equal(thread.thread, undefined, 'no thread left');
  } finally {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A thread fed as the one-thread intake feeds it (batches in a reused buffer, copied), on 198.18.0.0/15. */
async function copyingThread(dir: string, maxDestinations: number, maxBlocks: number): Promise<DetectionThread> {
  const r = validateConfig({ dataDir: dir, networks: ['198.18.0.0/15'], detection: { maxDestinations, maxBlocks, maxPromoted: 64, baseline: { enabled: false } } });
  assert.ok(r.ok);
  const thread = new DetectionThread({ config: r.config, bus: new EventBus<AttackEvent>(), log: silentLogger(), batchBuffersTransferable: () => false });
  await thread.start();
  return thread;
}

/** Batches the intake's receiver writes for `datagrams` of synthetic sFlow, with their sampled headers (capture on). */
function receivedBatches(destinations: number, seed: number, datagrams: number, targetRecords: number): Uint8Array[] {
  const stream = new SflowStream({ agents: 2, destinations, seed });
  const batches: Uint8Array[] = [];
  const receiver = new DatagramReceiver({ log: silentLogger(), headerSnapLength: 128, targetRecords, sink: (b) => batches.push(b.slice()) });
  for (let i = 0; i < datagrams; i++) receiver.onMessage(stream.next().slice());
  receiver.flush();
  return batches;
}

test('batches in a reused buffer go to the thread together, one message per 5 ms (or 256 KiB), each whole and counted (any length)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const thread = await copyingThread(dir, 4096, 256);
  try {
    // Batches with their sampled headers (capture on): lengths that are not multiples of 8.
    const batches = receivedBatches(1000, 4, 150, 64);
    assert.ok(batches.length > 10 && batches.some((b) => b.byteLength % 8 !== 0), `${batches.length} batches, lengths ${batches.map((b) => b.byteLength).join(' ')}`);
    const samples = batches.reduce((n, b) => n + flowSamplesIn(b), 0);
    for (const b of batches) thread.consume(b);
    const sent = (): { batchesSent: number; messagesSent: number; batchesCopied: number; bytesCopied: number } => thread.report().thread as never;
    assert.equal(sent().messagesSent, 0, 'held: less than 256 KiB');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sent().messagesSent, 0, 'held past the end of this turn');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Each batch's header and records went, not its sampled headers (detection does not read them).
    const recordsBytes = batches.reduce((n, b) => n + BATCH_HEADER_BYTES + new DataView(b.buffer, b.byteOffset).getUint32(HeaderField.count, true) * RECORD_BYTES, 0);
    const allBytes = batches.reduce((n, b) => n + b.byteLength, 0);
    assert.ok(recordsBytes * 2 < allBytes, `${recordsBytes} of ${allBytes} bytes are header and records`);
    assert.deepEqual(sent(), { ...sent(), batchesSent: batches.length, batchesCopied: batches.length, messagesSent: 1, bytesCopied: recordsBytes });
    const report = await thread.reportNow();
    const counted = report.samples as { counted: number; unprotected: number; nonIp: number };
    assert.equal(counted.counted + counted.unprotected + counted.nonIp, samples, 'every sample of every batch counted');
    assert.equal(counted.unprotected, 0);
    assert.equal((report.thread as { inFlight: number }).inFlight, 0);
    // The buffer came back with the acknowledgement, for the next turn's batches.
    assert.equal((thread.report().thread as { buffersReturned: number }).buffersReturned, 1);
  } finally {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('copied batches go at once when they fill 256 KiB; what follows goes within 5 ms; none is lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const thread = await copyingThread(dir, 65536, 1024);
  try {
    // ~5,000 records: more than 256 KiB of header and records (64 bytes each).
    const batches = receivedBatches(20_000, 5, 720, 1024);
    const sent = (): { messagesSent: number; batchesSent: number; bytesCopied: number } => thread.report().thread as never;
    let firstMessageAt = -1;
    batches.forEach((b, i) => {
      thread.consume(b);
      if (firstMessageAt < 0 && sent().messagesSent === 1) firstMessageAt = i;
    });
    assert.ok(firstMessageAt >= 0, `a message went while consuming (${sent().bytesCopied} bytes copied)`);
    assert.ok(sent().batchesSent < batches.length, 'the rest waits');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sent().batchesSent, batches.length, 'the rest went within the wait');
    assert.equal(sent().messagesSent, 2);
    const samples = batches.reduce((n, b) => n + flowSamplesIn(b), 0);
    const counted = (await thread.reportNow()).samples as { counted: number; unprotected: number; nonIp: number };
    assert.equal(counted.counted + counted.unprotected + counted.nonIp, samples);
  } finally {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stop: the thread counts every batch sent, saves the baselines and ends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-detection-thread-'));
  const thread = new DetectionThread({ config: config(dir, { baseline: { enabled: true } }), bus: new EventBus<AttackEvent>(), log: silentLogger() });
  await thread.start();
  const worker = thread.thread!;
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const { batches } = flood(Date.now(), 500);
  for (const b of batches) thread.consume(b.bytes);
  const before = Date.now();
  await thread.stop();
  const file = join(dir, 'baselines.bin');
  try {
    assert.ok(existsSync(file), 'baselines saved at stop');
    assert.ok(statSync(file).mtimeMs >= before - 1000);
    assert.equal(await exited, 0, 'the thread ended by itself');
    assert.equal(thread.thread, undefined);
    assert.equal((thread.report().thread as { running: boolean }).running, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});


test('breakwater start with detection.thread: sFlow over UDP reaches the thread; the attack is on the bus, in /health and in the history', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-appliance-detection-thread-'));
  const port = await freeUdpPort();
  const r = validateConfig({
    dataDir: join(dir, 'data'),
    health: { port: 0 },
    sflow: { listen: [`127.0.0.1:${port}`], receiveBufferBytes: 1 << 20 },
    networks: ['198.51.100.0/24'],
    detection: { thread: true, maxDestinations: 4096, maxBlocks: 256, maxPromoted: 64, baseline: { enabled: false } },
  });
  assert.ok(r.ok);
  const appliance = new Appliance({ config: r.config, log: silentLogger() });
  assert.ok(appliance.detection instanceof DetectionThread);
  const started = new Promise<AttackEvent>((resolve) => appliance.bus.on('attack.started', resolve));
  await appliance.start();
  const socket = createSocket('udp4');
  try {
    const event = await sendSynFloodUntilStarted(socket, port, started);
    assert.equal(event.attack.vector, 'syn_flood');
    assert.equal(event.attack.target, '198.51.100.99');
    await eventually(() => appliance.history.get(event.attack.id) !== undefined, 3000, 'the attack in the history');
    const res = await fetch(`http://127.0.0.1:${appliance.health.port}/health`);
    const health = (await res.json()) as { detection: { activeAttacks: { target: string; vector: string }[]; samples: { counted: number }; thread: { running: boolean; dropped: { batches: number } } } };
    assert.ok(health.detection.samples.counted > 0);
    assert.deepEqual(health.detection.activeAttacks.map((a) => `${a.vector} ${a.target}`), ['syn_flood 198.51.100.99']);
    assert.equal(health.detection.thread.running, true);
    assert.equal(health.detection.thread.dropped.batches, 0);
    assert.deepEqual(appliance.detection.activeAttacks().map((a) => a.id), [event.attack.id]);
  } finally {
    socket.close();
    await appliance.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((appliance.detection as DetectionThread).thread, undefined, 'no thread left after stop');
});
