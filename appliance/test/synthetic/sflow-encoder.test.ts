// The synthetic sFlow encoder and stream, checked through Breakwater's decoder: compact and expanded flow
// samples, Ethernet (with and without VLAN), raw IPv4 and IPv6 header protocols, counter samples, router-like
// datagram sizes, and a replay file whose sequence patches point at sequence numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import type { CounterSample, FlowSample } from '../../src/sflow/flow-sample.js';
import { CounterSpec, FlowSpec, SflowEncoder } from '../../src/synthetic/sflow-encoder.js';
import { SflowStream, writeReplayFile } from '../../src/synthetic/sflow-generator.js';

function decodeAll(bytes: Uint8Array) {
  const flows: Record<string, unknown>[] = [];
  const counters: Record<string, unknown>[] = [];
  const d = new SflowDecoder();
  const status = d.decode(bytes, {
    onFlowSample: (f: FlowSample) => flows.push({ expanded: f.expanded, seq: f.sequence, rate: f.samplingRate, frame: f.frameLength, hp: f.headerProtocol, ip: f.ipVersion, proto: f.protocol, dst: [...f.dstAddress.subarray(0, f.ipVersion === 4 ? 4 : 16)], sport: f.srcPort, dport: f.dstPort, vlan: f.vlanOuter, src: f.sourceIdIndex }),
    onCounterSample: (c: CounterSample) => counters.push({ seq: c.sequence, ifIndex: c.interface.ifIndex, inOctets: c.interface.inOctets }),
  });
  return { status, flows, counters, header: d.header };
}

const variants: { name: string; set: (f: FlowSpec) => void; expect: Record<string, unknown> }[] = [
  { name: 'compact, Ethernet, IPv4 UDP', set: (f) => Object.assign(f, { expanded: false, headerProtocol: 1, ipVersion: 4, protocol: 17 }), expect: { expanded: false, hp: 1, ip: 4, proto: 17, vlan: -1 } },
  { name: 'expanded, Ethernet + VLAN, IPv4 TCP', set: (f) => Object.assign(f, { expanded: true, headerProtocol: 1, vlan: 42, ipVersion: 4, protocol: 6 }), expect: { expanded: true, hp: 1, ip: 4, proto: 6, vlan: 42 } },
  { name: 'raw IPv4 header protocol', set: (f) => Object.assign(f, { headerProtocol: 11, ipVersion: 4, protocol: 17 }), expect: { hp: 11, ip: 4, proto: 17 } },
  { name: 'raw IPv6 header protocol', set: (f) => Object.assign(f, { headerProtocol: 12, ipVersion: 6, protocol: 17 }), expect: { hp: 12, ip: 6, proto: 17 } },
  { name: 'Ethernet, IPv6 TCP', set: (f) => Object.assign(f, { headerProtocol: 1, ipVersion: 6, protocol: 6 }), expect: { hp: 1, ip: 6, proto: 6 } },
];

for (const v of variants) {
  test(`encoder: ${v.name} decodes to what was written`, () => {
    const enc = new SflowEncoder();
    const f = new FlowSpec();
    Object.assign(f, { sequence: 5, samplingRate: 4096, frameLength: 600, srcPort: 1234, dstPort: 53, dstV4: 0xc6120001 });
    f.dstAddress6.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    v.set(f);
    enc.begin({ agent: 0x64400001, subAgentId: 1, sequence: 10, uptimeMs: 99 });
    assert.ok(enc.addFlowSample(f));
    const out = decodeAll(enc.datagram);
    assert.equal(out.status, 0);
    assert.equal(out.header.sequence, 10);
    assert.equal(out.flows.length, 1);
    const got = out.flows[0]!;
    for (const [k, value] of Object.entries(v.expect)) assert.deepEqual(got[k], value, k);
    assert.equal(got.rate, 4096);
    assert.equal(got.frame, 600);
    assert.equal(got.sport, 1234);
    assert.equal(got.dport, 53);
    assert.deepEqual(got.dst, f.ipVersion === 4 ? [198, 18, 0, 1] : [...f.dstAddress6]);
  });
}

test('encoder: counter samples and an IPv6 agent', () => {
  const enc = new SflowEncoder();
  const c = new CounterSpec();
  Object.assign(c, { sequence: 3, ifIndex: 7, inOctets: 2 ** 40 + 5 });
  const agent = new Uint8Array(16);
  agent[15] = 1;
  enc.begin({ agent, subAgentId: 0, sequence: 1, uptimeMs: 1 });
  assert.ok(enc.addCounterSample(c));
  c.expanded = true;
  assert.ok(enc.addCounterSample(c));
  const out = decodeAll(enc.datagram);
  assert.equal(out.status, 0);
  assert.equal(out.header.agentFamily, 6);
  assert.deepEqual(out.counters, [
    { seq: 3, ifIndex: 7, inOctets: 2 ** 40 + 5 },
    { seq: 3, ifIndex: 7, inOctets: 2 ** 40 + 5 },
  ]);
});

test('stream: router-sized datagrams (≤ 1400 bytes, 7–10 flow samples) that decode cleanly', () => {
  const s = new SflowStream({ agents: 3, ipv6Share: 0.2 });
  const d = new SflowDecoder();
  const noop = { onFlowSample() {}, onCounterSample() {} };
  let flows = 0;
  for (let i = 0; i < 2000; i++) {
    const bytes = s.next();
    assert.ok(bytes.length <= 1400);
    assert.equal(d.decode(bytes, noop), 0);
    assert.ok(d.lastFlowSamples >= 6 && d.lastFlowSamples <= 10, String(d.lastFlowSamples));
    assert.equal(d.lastMalformedSamples, 0);
    flows += d.lastFlowSamples;
  }
  assert.equal(flows, s.flowSamples);
  assert.ok(flows / 2000 >= 6.5);
});

test('replay file: every patch points at a sequence number, increments are per-stream counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-replay-'));
  try {
    const s = new SflowStream({ agents: 2, sourcesPerAgent: 2, counterEvery: 5 });
    const info = await writeReplayFile(join(dir, 'r.bin'), s, 100);
    assert.equal(info.flowSamples, s.flowSamples);
    const b = readFileSync(join(dir, 'r.bin'));
    assert.equal(b.readUInt32LE(0), 0x52535742);
    assert.equal(b.readUInt32LE(8), 100);
    let off = 16;
    const length = b.readUInt16LE(off);
    const patches = b.readUInt16LE(off + 2);
    off += 4;
    // First patch: the datagram sequence (1 for the first datagram), advancing by 50 per pass (2 agents).
    assert.equal(b.readUInt16LE(off), 16);
    assert.equal(b.readUInt32LE(off + 4), 50);
    const bytes = b.subarray(off + patches * 8, off + patches * 8 + length);
    assert.equal(bytes.readUInt32BE(16), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
