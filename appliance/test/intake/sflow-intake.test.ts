// The sFlow intake over real loopback UDP, fed by the synthetic encoder: exact per-destination totals with
// decoder workers off and on, per-agent state (sequence loss, restarts, sampling rates), every drop reason,
// the agent limit, a receive path that never throws, and a clean stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { DestinationTable } from '../../src/counting/destination-table.js';
import { DatagramReceiver } from '../../src/intake/datagram-receiver.js';
import { loadUdpBatch } from '../../src/intake/native-udp.js';
import { SflowIntake } from '../../src/intake/sflow-intake.js';
import { silentLogger } from '../../src/log.js';
import { FlowSpec, SflowEncoder } from '../../src/synthetic/sflow-encoder.js';
import { SflowStream, sendSflow } from '../../src/synthetic/sflow-generator.js';
import { assertTotalsMatch, waitFor } from './helpers.js';

function intakeWith(options: { workers?: number; maxAgents?: number; listen?: string[]; receiveWith?: 'auto' | 'dgram' } = {}) {
  const destinations = new DestinationTable(10_000);
  const intake = new SflowIntake({
    config: { listen: options.listen ?? ['127.0.0.1:0'], receiveBufferBytes: 4 << 20, workers: options.workers ?? 0, maxAgents: options.maxAgents ?? 100 },
    destinations,
    log: silentLogger(),
    receiveWith: options.receiveWith ?? 'auto',
  });
  return { intake, destinations };
}

async function client(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

function send(s: Socket, bytes: Uint8Array, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => s.send(Buffer.from(bytes), port, host, (err) => (err ? reject(err) : resolve())));
}

/** One datagram from `agent` with `flows` flow samples (sequence numbers from flowSeq on) at `rate`. */
function datagram(enc: SflowEncoder, agent: number, seq: number, uptimeMs: number, flowSeq: number, flows: number, rate = 1000, dst = 0xc6120001): Uint8Array {
  const f = new FlowSpec();
  enc.begin({ agent, subAgentId: 0, sequence: seq, uptimeMs });
  for (let i = 0; i < flows; i++) {
    f.sequence = flowSeq + i;
    f.samplingRate = rate;
    f.dstV4 = dst;
    f.srcV4 = 0x64400001;
    f.frameLength = 100;
    f.protocol = 17;
    enc.addFlowSample(f);
  }
  return new Uint8Array(enc.datagram);
}

for (const [workers, receiveWith] of [[0, 'auto'], [0, 'dgram'], [2, 'dgram']] as const) {
  test(`exact per-destination totals, IPv4 and IPv6, workers=${workers}, receive ${receiveWith}`, async () => {
    const { intake, destinations } = intakeWith({ workers, receiveWith });
    await intake.start();
    try {
      const port = intake.boundSockets[0]!.port;
      const stream = new SflowStream({ agents: 3, destinations: 700, ipv6Share: 0.3, trackDestinations: true, seed: 11 + workers });
      const sent = await sendSflow(stream, { host: '127.0.0.1', port, samplesPerSecond: 40_000, maxDatagrams: 1500, maxSeconds: 20 });
      assert.equal(sent.errors, 0);
      await waitFor(() => intake.consumer.datagrams === sent.datagrams, 10_000, 'all datagrams applied');
      assert.equal(intake.consumer.flowSamples, stream.flowSamples);
      assert.equal(destinations.totalPackets, stream.packets);
      assert.equal(destinations.totalBytes, stream.bytes);
      assertTotalsMatch(destinations, stream.truth!);
      const report = intake.report() as { agentCount: number; drops: Record<string, number> };
      assert.equal(report.agentCount, 3);
      assert.ok(Object.values(report.drops).every((n) => n === 0), JSON.stringify(report.drops));
      for (const a of intake.agents.agents) {
        const r = a.report();
        assert.equal(r.datagramSequence.lost, 0);
        assert.equal(r.flowSequence.lost, 0);
        assert.deepEqual(r.samplingRates, [1000]);
        assert.equal(r.counterSamples > 0, true);
      }
    } finally {
      await intake.stop();
    }
  });
}

test('per-agent sequence loss, agent restart and sampling rates seen', async () => {
  const { intake } = intakeWith();
  await intake.start();
  const s = await client();
  try {
    const port = intake.boundSockets[0]!.port;
    const enc = new SflowEncoder();
    const agent = 0x64400005; // 100.64.0.5
    // Datagrams 1..10, then 14..20 (11-13 lost), each with 2 flow samples of one source; rates 1000 and 512.
    let flowSeq = 1;
    for (let seq = 1; seq <= 20; seq++) {
      if (seq >= 11 && seq <= 13) {
        flowSeq += 2;
        continue;
      }
      await send(s, datagram(enc, agent, seq, 5_000_000 + seq * 10, flowSeq, 2, seq <= 10 ? 1000 : 512), port);
      flowSeq += 2;
    }
    // The agent restarts: uptime and sequences start over. That is a reset, not a 4-billion gap.
    for (let seq = 1; seq <= 5; seq++) await send(s, datagram(enc, agent, seq, 1000 + seq * 10, 1 + (seq - 1) * 2, 2, 512), port);
    await waitFor(() => intake.consumer.datagrams === 22, 5000, 'datagrams');
    const r = intake.agents.agents[0]!.report();
    assert.equal(r.agent, '100.64.0.5');
    assert.equal(r.datagrams, 22);
    assert.equal(r.flowSamples, 44);
    assert.deepEqual(r.datagramSequence, { gaps: 1, lost: 3, late: 0, resets: 1 });
    assert.deepEqual({ gaps: r.flowSequence.gaps, lost: r.flowSequence.lost, resets: r.flowSequence.resets }, { gaps: 1, lost: 6, resets: 1 });
    assert.equal(r.restarts, 1);
    assert.deepEqual(r.samplingRates, [512, 1000]);
  } finally {
    s.close();
    await intake.stop();
  }
});

test('every drop reason is counted, and the agent limit refuses the agent one too many', async () => {
  const { intake, destinations } = intakeWith({ maxAgents: 2 });
  await intake.start();
  const s = await client();
  try {
    const port = intake.boundSockets[0]!.port;
    const enc = new SflowEncoder();
    const good = datagram(enc, 0x64400001, 1, 1000, 1, 3);
    const bytes = (b: Uint8Array) => new Uint8Array(b);
    const truncated = good.subarray(0, 20);
    const badVersion = bytes(good); badVersion[3] = 4;
    const badAgentType = bytes(good); badAgentType[7] = 9;
    const tooMany = bytes(good); new DataView(tooMany.buffer).setUint32(24, 100_000);
    const overrun = bytes(good); new DataView(overrun.buffer).setUint32(32, 60_000);
    const garbage = new Uint8Array(300).map((_, i) => (i * 37) & 0xff);
    for (const d of [truncated, badVersion, badAgentType, tooMany, overrun, garbage, new Uint8Array(0)]) await send(s, d, port);
    await send(s, good, port);
    await send(s, datagram(enc, 0x64400002, 1, 1000, 1, 3), port);
    await send(s, datagram(enc, 0x64400003, 1, 1000, 1, 3), port); // third agent: over maxAgents = 2
    await waitFor(() => intake.consumer.datagrams === 10, 5000, 'datagrams');
    const report = intake.report() as { drops: Record<string, number>; agentCount: number; flowSamples: number };
    assert.deepEqual(report.drops, {
      truncated: 2, // the 20-byte cut and the empty datagram
      bad_version: 2, // the version-4 copy and the garbage
      bad_agent_address_type: 1,
      too_many_samples: 1,
      sample_overrun: 1,
      unknown_agent_limit: 1,
      oversized: 0,
      worker_backlog: 0,
      receive_thread_backlog: 0,
    });
    assert.equal(report.agentCount, 2);
    assert.equal(report.flowSamples, 6);
    assert.equal(destinations.totalSamples, 6);
  } finally {
    s.close();
    await intake.stop();
  }
});

test('a datagram longer than a jumbo frame is counted as oversized (recvmmsg receive)', { skip: loadUdpBatch() === undefined && 'udp-batch addon not built' }, async () => {
  const { intake } = intakeWith();
  await intake.start();
  const s = await client();
  try {
    assert.equal((intake.report() as { receiveWith: string }).receiveWith, 'recvmmsg');
    await send(s, new Uint8Array(10_000), intake.boundSockets[0]!.port);
    await waitFor(() => intake.consumer.datagrams === 1, 5000, 'datagram');
    assert.equal((intake.report() as { drops: Record<string, number> }).drops.oversized, 1);
  } finally {
    s.close();
    await intake.stop();
  }
});

test('nothing throws out of the receive loop: a failing sink is counted and the next datagram goes on', async () => {
  let calls = 0;
  const receiver = new DatagramReceiver({
    log: silentLogger(),
    targetRecords: 1,
    sink: () => {
      calls++;
      if (calls === 1) throw new Error('consumer bug');
    },
  });
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  receiver.attach(socket);
  const s = await client();
  try {
    const enc = new SflowEncoder();
    for (let i = 1; i <= 4; i++) await send(s, datagram(enc, 0x64400001, i, 1000, i, 1), socket.address().port);
    await send(s, new Uint8Array([1, 2, 3]), socket.address().port);
    await waitFor(() => receiver.received === 5, 5000, 'datagrams');
    receiver.flush();
    assert.equal(receiver.handlerErrors, 1);
    assert.ok(calls >= 4);
    // Calling the listener directly with hostile input never throws either.
    for (const junk of [Buffer.alloc(0), Buffer.alloc(2000, 0xff), Buffer.from([0, 0, 0, 5])]) assert.doesNotThrow(() => receiver.onMessage(junk));
  } finally {
    s.close();
    receiver.stop();
    socket.close();
  }
});

test('IPv4 and IPv6 sockets bind side by side (IPv6 is v6-only) and both receive', async () => {
  const { intake } = intakeWith({ listen: ['127.0.0.1:0', '[::1]:0'] });
  await intake.start();
  const s4 = await client();
  const s6 = createSocket('udp6');
  try {
    const [v4, v6] = intake.boundSockets;
    assert.equal(v4!.family, 'IPv4');
    assert.equal(v6!.family, 'IPv6');
    assert.ok(v4!.receiveBufferBytes > 0);
    const enc = new SflowEncoder();
    await send(s4, datagram(enc, 0x64400001, 1, 1000, 1, 2), v4!.port);
    await send(s6, datagram(enc, 0x64400002, 1, 1000, 1, 2), v6!.port, '::1');
    await waitFor(() => intake.consumer.datagrams === 2, 5000, 'datagrams');
    assert.equal(intake.consumer.flowSamples, 4);
  } finally {
    s4.close();
    s6.close();
    await intake.stop();
  }
});

test('a port in use fails with BW_ERR_LISTEN and releases what the failed start bound; stop releases the ports and ends the workers', async () => {
  const { intake } = intakeWith({ workers: 1 });
  await intake.start();
  const port = intake.boundSockets[0]!.port;
  const clash = intakeWith({ listen: [`127.0.0.1:${port}`] });
  // The clash is on the second address: the first, already bound, must be released by the failed start.
  const firstPort = await new Promise<number>((resolve) => {
    const probe = createSocket('udp4');
    probe.bind(0, '127.0.0.1', () => {
      const p = probe.address().port;
      probe.close(() => resolve(p));
    });
  });
  const clash2 = intakeWith({ listen: [`127.0.0.1:${firstPort}`, `127.0.0.1:${port}`] });
  await assert.rejects(clash2.intake.start(), (err: { code?: string }) => err.code === 'BW_ERR_LISTEN');
  const reuse = intakeWith({ listen: [`127.0.0.1:${firstPort}`] });
  await reuse.intake.start();
  await reuse.intake.stop();
  await assert.rejects(clash.intake.start(), (err: { code?: string }) => err.code === 'BW_ERR_LISTEN');
  await clash.intake.stop();
  await intake.stop();
  assert.equal((intake.report() as { workersRunning: number }).workersRunning, 0);
  // The port is free again.
  const again = intakeWith({ listen: [`127.0.0.1:${port}`] });
  await again.intake.start();
  await again.intake.stop();
});
