// Receive threads (sflow.receiveThreads): threads with their own SO_REUSEPORT sockets on IPv4 and IPv6 receive
// from many agents, each agent sending from its own UDP socket (the kernel's flow hash keeps one agent on one
// thread); the main thread applies every batch exactly (per-destination totals, per-agent sequences). A thread
// that dies is counted and restarted and the intake keeps receiving; stop ends every thread and frees the ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { DestinationTable } from '../../src/counting/destination-table.js';
import { loadUdpBatch } from '../../src/intake/native-udp.js';
import { resolveReceiveThreads, SflowIntake } from '../../src/intake/sflow-intake.js';
import { silentLogger } from '../../src/log.js';
import { SflowStream } from '../../src/synthetic/sflow-generator.js';
import { assertTotalsMatch, waitFor } from './helpers.js';

const noAddon = loadUdpBatch() === undefined && 'udp-batch addon not built';

interface ThreadReport {
  receiveThreads: number;
  receiveThreadsRunning: number;
  receiveThreadExits: number;
  receiveThreadRestarts: number;
  receiveThreadDatagrams: number[];
  receiveThreadTids: number[];
  datagramsReceived: number;
  receiveWith: string;
  drops: Record<string, number>;
}

function threadedIntake(threads: number, listen = ['127.0.0.1:0', '[::1]:0']) {
  const destinations = new DestinationTable(20_000);
  const batches: number[] = [];
  const intake = new SflowIntake({
    config: { listen, receiveBufferBytes: 4 << 20, workers: 0, maxAgents: 100, receiveThreads: threads },
    destinations,
    log: silentLogger(),
    threadRestartDelayMs: 20,
    batchListeners: [(b) => batches.push(b.byteLength)],
  });
  return { intake, destinations, batches };
}

async function bound(family: 'udp4' | 'udp6'): Promise<Socket> {
  const s = createSocket(family);
  await new Promise<void>((r) => s.bind(0, family === 'udp4' ? '127.0.0.1' : '::1', () => r()));
  return s;
}

function send(s: Socket, bytes: Uint8Array, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => s.send(bytes, port, host, (err) => (err ? reject(err) : resolve())));
}

/**
 * Sends `count` datagrams of `stream`, each from its agent's own socket: agents with an odd last address byte
 * go over IPv6 when `v6Port` is given. Paced in bursts so a 4 MiB buffer never overflows. Skips `skip` (an
 * agent's datagram index) to make a sequence gap.
 */
async function sendPerAgent(stream: SflowStream, count: number, v4Port: number, v6Port: number | undefined, skip?: { agentByte: number; nth: number }): Promise<{ sent: number; flowSamples: number }> {
  const sockets = new Map<number, { socket: Socket; v6: boolean }>();
  let sent = 0;
  let flowSamples = 0;
  const perAgent = new Map<number, number>();
  try {
    for (let i = 0; i < count; i++) {
      const before = stream.flowSamples;
      const d = stream.next();
      const agentByte = d[11]!; // IPv4 agent address at bytes 8..11
      const n = perAgent.get(agentByte) ?? 0;
      perAgent.set(agentByte, n + 1);
      if (skip && skip.agentByte === agentByte && skip.nth === n) continue;
      let entry = sockets.get(agentByte);
      if (entry === undefined) {
        const v6 = v6Port !== undefined && agentByte % 2 === 1;
        entry = { socket: await bound(v6 ? 'udp6' : 'udp4'), v6 };
        sockets.set(agentByte, entry);
      }
      await send(entry.socket, d, entry.v6 ? v6Port! : v4Port, entry.v6 ? '::1' : '127.0.0.1');
      sent++;
      flowSamples += stream.flowSamples - before;
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    for (const { socket } of sockets.values()) socket.close();
  }
  return { sent, flowSamples };
}

test('two receive threads on SO_REUSEPORT sockets (IPv4 and IPv6): every datagram of 16 agents applied exactly, sequences right per agent', { skip: noAddon }, async () => {
  const { intake, destinations, batches } = threadedIntake(2);
  await intake.start();
  try {
    const [v4, v6] = intake.boundSockets;
    assert.equal(v4!.family, 'IPv4');
    assert.equal(v6!.family, 'IPv6');
    const stream = new SflowStream({ agents: 16, destinations: 2_000, ipv6Share: 0.3, trackDestinations: true, seed: 5 });
    // Agent 100.64.0.3 loses its 10th datagram on the way: exactly that gap must be seen, on that agent only.
    const sent = await sendPerAgent(stream, 3_000, v4!.port, v6!.port, { agentByte: 3, nth: 10 });
    await waitFor(() => intake.consumer.datagrams === sent.sent, 10_000, 'all datagrams applied');
    const report = intake.report() as unknown as ThreadReport;
    assert.equal(report.receiveThreads, 2);
    assert.equal(report.receiveThreadsRunning, 2);
    assert.equal(report.datagramsReceived, sent.sent);
    // 16 senders spread over both threads by the kernel's flow hash (all on one: a 2^-15 chance).
    assert.equal(report.receiveThreadDatagrams.length, 2);
    assert.ok(report.receiveThreadDatagrams.every((n) => n > 0), JSON.stringify(report.receiveThreadDatagrams));
    // Each thread reports its kernel thread id: two threads of this process, neither the main thread.
    assert.equal(new Set(report.receiveThreadTids).size, 2);
    for (const tid of report.receiveThreadTids) assert.ok(tid > 0 && tid !== process.pid && existsSync(`/proc/${process.pid}/task/${tid}`), String(tid));
    assert.equal(intake.consumer.flowSamples, sent.flowSamples);
    assert.ok(Object.values(report.drops).every((n) => n === 0), JSON.stringify(report.drops));
    assert.equal(intake.agents.size, 16);
    for (const a of intake.agents.agents) {
      const r = a.report();
      assert.equal(r.datagramSequence.lost, r.agent === '100.64.0.3' ? 1 : 0, r.agent);
    }
    // Every batch went to the listener after it was applied.
    assert.equal(batches.length, intake.consumer.batches);
    // The per-destination truth, less the one datagram that never left: compare against a stream without it.
    const truthStream = new SflowStream({ agents: 16, destinations: 2_000, ipv6Share: 0.3, trackDestinations: true, seed: 5 });
    const expected = new DestinationTable(20_000);
    const { FlowBatchWriter } = await import('../../src/intake/flow-batch-writer.js');
    const { SflowDecoder } = await import('../../src/sflow/datagram-decoder.js');
    const { BatchConsumer } = await import('../../src/intake/batch-consumer.js');
    const { AgentTable } = await import('../../src/intake/agent-table.js');
    const consumer = new BatchConsumer(new AgentTable(100), expected);
    const writer = new FlowBatchWriter({ sink: (b) => consumer.consume(b) });
    const decoder = new SflowDecoder();
    const seen = new Map<number, number>();
    for (let i = 0; i < 3_000; i++) {
      const d = truthStream.next();
      const n = seen.get(d[11]!) ?? 0;
      seen.set(d[11]!, n + 1);
      if (d[11] === 3 && n === 10) continue;
      writer.beginDatagram(0);
      const status = decoder.decode(d, writer);
      writer.endDatagram(decoder.header, status, d.length, decoder.lastFlowSamples, decoder.lastCounterSamples, decoder.lastSkippedSamples, decoder.lastMalformedSamples);
    }
    writer.flush();
    assert.equal(destinations.totalSamples, expected.totalSamples);
    assert.equal(destinations.totalPackets, expected.totalPackets);
    assert.equal(destinations.totalBytes, expected.totalBytes);
    assert.equal(destinations.size, expected.size);
  } finally {
    await intake.stop();
  }
});

test('all datagrams from one sender land on one thread and are applied in order; per-destination truth exact', { skip: noAddon }, async () => {
  const { intake, destinations } = threadedIntake(2, ['127.0.0.1:0']);
  await intake.start();
  try {
    const stream = new SflowStream({ agents: 3, destinations: 700, trackDestinations: true, seed: 21 });
    const s = await bound('udp4');
    try {
      for (let i = 0; i < 1_500; i++) {
        await send(s, stream.next(), intake.boundSockets[0]!.port, '127.0.0.1');
        if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      s.close();
    }
    await waitFor(() => intake.consumer.datagrams === 1_500, 10_000, 'all datagrams applied');
    assertTotalsMatch(destinations, stream.truth!);
    for (const a of intake.agents.agents) {
      const r = a.report();
      assert.equal(r.datagramSequence.lost, 0);
      assert.equal(r.flowSequence.lost, 0);
    }
  } finally {
    await intake.stop();
  }
});

test('a receive thread that dies is counted and restarted on the same port; the intake keeps receiving', { skip: noAddon }, async () => {
  const { intake } = threadedIntake(2, ['127.0.0.1:0']);
  await intake.start();
  try {
    const port = intake.boundSockets[0]!.port;
    const dead = intake.receiveThreadWorkers[0] as Worker;
    await dead.terminate();
    await waitFor(() => (intake.report() as unknown as ThreadReport).receiveThreadsRunning === 2 && intake.receiveThreadWorkers[0] !== dead, 10_000, 'thread restarted');
    const report = intake.report() as unknown as ThreadReport;
    assert.equal(report.receiveThreadExits, 1);
    assert.equal(report.receiveThreadRestarts, 1);
    // Both threads (the restarted one included) receive: every datagram from 16 senders is applied.
    const stream = new SflowStream({ agents: 16, destinations: 500, seed: 8 });
    const sent = await sendPerAgent(stream, 800, port, undefined);
    await waitFor(() => intake.consumer.datagrams === sent.sent, 10_000, 'all datagrams applied after the restart');
    assert.equal(intake.consumer.flowSamples, sent.flowSamples);
  } finally {
    await intake.stop();
  }
});

test('stop ends every receive thread and frees the ports; a port in use fails start with BW_ERR_LISTEN', { skip: noAddon }, async () => {
  const { intake } = threadedIntake(3, ['127.0.0.1:0']);
  await intake.start();
  const port = intake.boundSockets[0]!.port;
  const workers = [...intake.receiveThreadWorkers] as Worker[];
  assert.equal(workers.length, 3);
  const exited = workers.map((w) => new Promise<number>((r) => w.once('exit', r)));
  await intake.stop();
  await Promise.all(exited);
  assert.equal((intake.report() as unknown as ThreadReport).receiveThreadsRunning, 0);
  // Free again: an exclusive (no SO_REUSEPORT) socket binds it, and then threads cannot.
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ port, address: '127.0.0.1', exclusive: true }, () => resolve());
  });
  try {
    const again = threadedIntake(2, [`127.0.0.1:${port}`]).intake;
    await assert.rejects(again.start(), (err: Error & { code?: string }) => err.code === 'BW_ERR_LISTEN');
    assert.equal((again.report() as unknown as ThreadReport).receiveThreadsRunning, 0);
  } finally {
    s.close();
  }
});

test('a main thread that stops applying: the receive thread drops what exceeds its in-flight bound and counts it, nothing silently', { skip: noAddon }, async () => {
  const destinations = new DestinationTable(20_000);
  const intake = new SflowIntake({
    config: { listen: ['127.0.0.1:0'], receiveBufferBytes: 8 << 20, workers: 0, maxAgents: 100, receiveThreads: 1 },
    destinations,
    log: silentLogger(),
    flushIntervalMs: 1,
    threadMaxInFlight: 2,
  });
  await intake.start();
  const dir = mkdtempSync(join(tmpdir(), 'bw-backlog-'));
  try {
    const port = intake.boundSockets[0]!.port;
    const stream = new SflowStream({ agents: 2, destinations: 300, seed: 3 });
    const count = 3_000;
    const datagrams: Buffer[] = [];
    for (let i = 0; i < count; i++) datagrams.push(Buffer.from(stream.next()));
    const file = join(dir, 'datagrams.json');
    writeFileSync(file, JSON.stringify(datagrams.map((d) => d.toString('base64'))));
    // Another process sends while this (the main) thread is blocked in spawnSync and applies nothing; the receive
    // thread keeps receiving, hands over two batches and must drop, and count, the rest.
    const sender = `const d=require('node:dgram').createSocket('udp4');const all=JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)},'utf8'));let i=0;const next=()=>{if(i===all.length){d.close();return;}const b=Buffer.from(all[i++],'base64');d.send(b,${port},'127.0.0.1',()=>{if(i%100===0)setTimeout(next,2);else next();});};next();`;
    const r = spawnSync(process.execPath, ['-e', sender], { timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr?.toString());
    // The two batches in flight are applied (in a slice after the main thread's next I/O turn) before more come.
    await waitFor(() => intake.consumer.datagrams > 0 && (intake.report() as unknown as { receiveThreadPendingBatches: number }).receiveThreadPendingBatches === 0, 10_000, 'the batches in flight applied');
    // Then a few more, applied normally: they reveal the gap to each agent's sequence tracking.
    const s = await bound('udp4');
    try {
      for (let i = 0; i < 20; i++) await send(s, stream.next(), port, '127.0.0.1');
    } finally {
      s.close();
    }
    const total = count + 20;
    const dropped = () => (intake.report() as unknown as ThreadReport).drops.receive_thread_backlog!;
    await waitFor(() => intake.consumer.datagrams + dropped() === total, 10_000, 'every datagram applied or counted as dropped');
    assert.ok(dropped() > 0, 'some batches were dropped while the main thread was blocked');
    assert.equal((intake.report() as unknown as ThreadReport).datagramsReceived, total);
    // The agents' sequence tracking sees the same loss the drop counter reports.
    let lost = 0;
    for (const a of intake.agents.agents) lost += a.report().datagramSequence.lost;
    assert.equal(lost, dropped());
  } finally {
    await intake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('receive threads: auto picks one per core beyond the first (at most 4), none without the addon, with worker processes or forced dgram', () => {
  const cases: [number | 'auto', number, 'auto' | 'dgram' | 'recvmmsg', boolean, number, number][] = [
    ['auto', 0, 'auto', true, 1, 0],
    ['auto', 0, 'auto', true, 2, 1],
    ['auto', 0, 'auto', true, 4, 3],
    ['auto', 0, 'auto', true, 16, 4],
    ['auto', 0, 'auto', false, 8, 0],
    ['auto', 2, 'auto', true, 8, 0],
    ['auto', 0, 'dgram', true, 8, 0],
    [3, 0, 'recvmmsg', true, 2, 3],
    [0, 0, 'auto', true, 8, 0],
  ];
  for (const [setting, workers, receiveWith, addon, cores, expected] of cases) {
    assert.equal(resolveReceiveThreads(setting, workers, receiveWith, addon, cores), expected, JSON.stringify({ setting, workers, receiveWith, addon, cores }));
  }
  assert.throws(() => resolveReceiveThreads(2, 0, 'auto', false, 8), (err: Error & { code?: string }) => err.code === 'BW_ERR_LISTEN');
});

test('receive threads: auto leaves the cores reserved for other threads (the detection thread)', () => {
  assert.equal(resolveReceiveThreads('auto', 0, 'auto', true, 2, 1), 0);
  assert.equal(resolveReceiveThreads('auto', 0, 'auto', true, 4, 1), 2);
  assert.equal(resolveReceiveThreads('auto', 0, 'auto', true, 16, 1), 4);
  assert.equal(resolveReceiveThreads('auto', 0, 'auto', true, 1, 1), 0);
  // An explicit count is the operator's.
  assert.equal(resolveReceiveThreads(2, 0, 'auto', true, 2, 1), 2);
});
