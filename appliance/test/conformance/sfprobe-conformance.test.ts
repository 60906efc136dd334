// Conformance: Breakwater decodes real sFlow made by software we did not write. pmacctd's sfprobe plugin
// (Debian package pmacct) samples every packet of a varied pcap this test generates; its datagrams are
// caught on a loopback socket and written to a pcap; then `breakwater sflow decode` (run as the CLI) and
// tshark (Debian package tshark) decode that pcap, and every field of every flow and counter sample must
// agree. Both are also held against the generated packets themselves (ground truth), and the raw sampled
// headers against the original frames byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodePcap } from '../../src/pcap/pcap-writer.js';
import { startSfprobeCapture, sampleSequences, writeDatagramPcap, type SfprobeCapture, type SfprobeRun } from './pmacct-sfprobe.js';
import { tsharkJson } from './tshark.js';
import { trafficMix, macIndex, type MixPacket } from './traffic-mix.js';
import { expectedPacketFields } from './ground-truth.js';
import {
  COUNTER_FIELDS,
  FLOW_FIELDS,
  sampleKey,
  samplesFromBreakwater,
  samplesFromTshark,
  type NormalizedSample,
  type SampleFields,
} from './sflow-fields.js';

const run = promisify(execFile);
const repoRoot = new URL('../../../', import.meta.url).pathname;

const AGENT = '192.0.2.1';
const SUB_AGENT = 7;
const IF_INDEX = 12;
/** sfprobe's "no such interface" value for the direction it does not report (0x3FFFFFFF, ifIndex format). */
const INTERNAL_IF = 0x3fffffff;

const mix: MixPacket[] = trafficMix();
let dir: string;
let capture: SfprobeCapture | undefined;
let sfprobe: SfprobeRun;
let tshark: NormalizedSample[];
let breakwater: NormalizedSample[];
let breakwaterStderr: string;

/** Flow sample n of the run is packet (n - 1) mod N of the pcap: sfprobe samples every packet, in order. */
const packetOfSample = (sampleSequence: number): MixPacket => mix[(sampleSequence - 1) % mix.length]!;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-conformance-'));
  const trafficPath = join(dir, 'traffic.pcap');
  writeFileSync(trafficPath, encodePcap(mix.map((p, i) => ({ data: p.frame, timestampMicros: 1_700_000_000_000_000 + i * 1000 }))));

  capture = await startSfprobeCapture({
    pcapPath: trafficPath,
    workDir: dir,
    agentIp: AGENT,
    agentSubId: SUB_AGENT,
    ifIndex: IF_INDEX,
    direction: 'in',
    samplingRate: 1,
    // Done once the file's first round is complete (flow samples 1..N) and a counter sample came.
    until: (datagrams) => {
      const flows = new Set<number>();
      let counters = 0;
      for (const d of datagrams) {
        const seqs = sampleSequences(d.data);
        seqs.flow.forEach((s) => flows.add(s));
        counters += seqs.counter.length;
      }
      for (let s = 1; s <= mix.length; s++) if (!flows.has(s)) return false;
      return counters > 0;
    },
  });
  sfprobe = await capture.done;

  const sflowPath = join(dir, 'sflow.pcap');
  await writeDatagramPcap(sflowPath, sfprobe.datagrams, sfprobe.port);
  const port = String(sfprobe.port);
  const [frames, decoded] = await Promise.all([
    // Reassembly off: each sampled header is one packet, and first fragments show their transport header.
    tsharkJson(sflowPath, { args: ['-d', `udp.port==${port},sflow`, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'] }),
    run(process.execPath, ['--conditions=source', '--import', 'tsx', 'appliance/src/cli/main.ts', 'sflow', 'decode', sflowPath, '--port', port], {
      cwd: repoRoot,
      maxBuffer: 256 * 1024 * 1024,
      timeout: 20_000,
    }),
  ]);
  tshark = samplesFromTshark(frames);
  breakwater = samplesFromBreakwater(decoded.stdout);
  breakwaterStderr = decoded.stderr;
});

after(() => {
  capture?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Field-by-field differences, one readable line each, capped so a systematic error stays legible. */
function diff(label: (s: NormalizedSample) => string, fields: readonly string[], pairs: Array<[NormalizedSample, SampleFields, string, string]>): string[] {
  const lines: string[] = [];
  for (const [sample, expected, leftName, rightName] of pairs) {
    for (const field of fields) {
      const left = sample.fields[field] ?? null;
      const right = expected[field] ?? null;
      if (left !== right) lines.push(`${label(sample)}: ${field}: ${leftName}=${JSON.stringify(left)} ${rightName}=${JSON.stringify(right)}`);
    }
  }
  return lines;
}

const describe = (s: NormalizedSample): string => {
  const seq = s.fields.sampleSequence as number;
  return s.kind === 'flow' ? `${sampleKey(s)} (packet ${packetOfSample(seq).index}: ${packetOfSample(seq).label})` : sampleKey(s);
};

function assertNoDiff(lines: string[], what: string): void {
  const shown = lines.slice(0, 60);
  assert.deepEqual(shown, [], `${lines.length} ${what} mismatch(es)${lines.length > shown.length ? `, first ${shown.length} shown` : ''}`);
}

test('pmacctd sampled every generated packet exactly once, in order, and no datagram was lost on the way', () => {
  assert.notEqual(sfprobe.endedBy, 'timeout', `pmacctd did not deliver all ${mix.length} packets in time; log:\n${sfprobe.log}`);
  const datagramSequences = sfprobe.datagrams.map((d) => d.data.readUInt32BE(16));
  assert.deepEqual(datagramSequences, datagramSequences.map((_, i) => i + 1), 'datagram sequence numbers 1..n without gaps');
  const flowSequences = sfprobe.datagrams.flatMap((d) => sampleSequences(d.data).flow);
  assert.deepEqual(flowSequences, flowSequences.map((_, i) => i + 1), 'flow sample sequence numbers 1..n without gaps');
  // Second source: the source MAC names the packet. The first round holds each index once, in pcap order.
  const firstRound = tshark.filter((s) => s.kind === 'flow' && (s.fields.sampleSequence as number) <= mix.length);
  assert.deepEqual(firstRound.map((s) => macIndex(String(s.fields.srcMac))), mix.map((p) => p.index));
});

test('Breakwater and tshark see the same datagrams and samples', (t) => {
  assert.match(breakwaterStderr, /datagrams_rejected=0 /, breakwaterStderr);
  assert.match(breakwaterStderr, /malformed_samples=0 /, breakwaterStderr);
  assert.match(breakwaterStderr, new RegExp(`sflow_datagrams=${sfprobe.datagrams.length} `), breakwaterStderr);
  assert.deepEqual(breakwater.map(sampleKey), tshark.map(sampleKey));
  assert.ok(tshark.filter((s) => s.kind === 'flow').length >= mix.length);
  assert.ok(tshark.some((s) => s.kind === 'counter'), 'at least one counter sample');
  // Guard against comparing nothing: every field must carry a value somewhere (else both sides could
  // agree on null because, say, tshark renamed a field).
  const flowSamples = tshark.filter((s) => s.kind === 'flow');
  const counterSamples = tshark.filter((s) => s.kind === 'counter');
  const alwaysNull = [
    ...FLOW_FIELDS.filter((f) => flowSamples.every((s) => s.fields[f] === null)),
    ...COUNTER_FIELDS.filter((f) => counterSamples.every((s) => s.fields[f] === null)),
  ];
  assert.deepEqual(alwaysNull, [], 'fields tshark never filled');
  const flows = flowSamples.length;
  const counters = counterSamples.length;
  t.diagnostic(
    `${sfprobe.datagrams.length} datagrams, ${flows} flow samples x ${FLOW_FIELDS.length} fields, ${counters} counter samples x ` +
      `${COUNTER_FIELDS.length} fields = ${flows * FLOW_FIELDS.length + counters * COUNTER_FIELDS.length} field comparisons`,
  );
});

test('every flow sample: each field Breakwater decodes equals tshark', () => {
  const bwByKey = new Map(breakwater.map((s) => [sampleKey(s), s]));
  const pairs = tshark
    .filter((s) => s.kind === 'flow' && bwByKey.has(sampleKey(s)))
    .map((s): [NormalizedSample, SampleFields, string, string] => [bwByKey.get(sampleKey(s))!, s.fields, 'breakwater', 'tshark']);
  assertNoDiff(diff(describe, FLOW_FIELDS, pairs), 'flow field');
});

test('every counter sample: each field Breakwater decodes equals tshark', () => {
  const bwByKey = new Map(breakwater.map((s) => [sampleKey(s), s]));
  const pairs = tshark
    .filter((s) => s.kind === 'counter' && bwByKey.has(sampleKey(s)))
    .map((s): [NormalizedSample, SampleFields, string, string] => [bwByKey.get(sampleKey(s))!, s.fields, 'breakwater', 'tshark']);
  assert.ok(pairs.length > 0);
  assertNoDiff(diff(describe, COUNTER_FIELDS, pairs), 'counter field');
});

/** What every flow sample must say, from the packet it samples and the agent's configuration. */
function expectedFlow(sample: NormalizedSample): SampleFields {
  const seq = sample.fields.sampleSequence as number;
  const packet = packetOfSample(seq);
  return {
    agent: Buffer.from([192, 0, 2, 1]).toString('hex'),
    subAgentId: SUB_AGENT,
    sampleSequence: seq,
    samplingRate: 1,
    // Every packet is sampled, so the pool is the sample count.
    samplePool: seq,
    drops: 0,
    inputFormat: 0,
    inputIfIndex: IF_INDEX,
    outputFormat: 0,
    outputIfIndex: INTERNAL_IF,
    // sfprobe reports the frame's outer VLAN tag as the incoming one (0 when untagged).
    srcVlan: packet.spec.ethernet?.vlans?.[0]?.id ?? 0,
    srcPriority: packet.spec.ethernet?.vlans?.[0]?.priority ?? 0,
    dstVlan: 0,
    dstPriority: 0,
    ...expectedPacketFields(packet),
  };
}

/** Datagram sequence, uptime and the data source id are the agent's own bookkeeping, not the packet's. */
const truthFields = FLOW_FIELDS.filter((f) => !['datagramSequence', 'uptimeMs', 'sourceIdType', 'sourceIdIndex'].includes(f));

for (const decoder of ['tshark', 'breakwater'] as const) {
  test(`every flow sample ${decoder} decodes matches the packet we generated (ground truth)`, () => {
    const samples = (decoder === 'tshark' ? tshark : breakwater).filter((s) => s.kind === 'flow');
    const pairs = samples.map((s): [NormalizedSample, SampleFields, string, string] => [s, expectedFlow(s), decoder, 'generated']);
    assertNoDiff(diff(describe, truthFields, pairs), `${decoder} vs generated packet`);
  });
}

test('the sampled headers are the first bytes of the original frames, byte for byte', () => {
  // tshark's field runs to the XDR 4-byte boundary, and pmacctd fills that padding with leftover buffer
  // bytes rather than zeros (XDR says zeros): compare only header_length bytes.
  const wrong = tshark
    .filter((s) => s.kind === 'flow')
    .filter((s) => {
      const frame = packetOfSample(s.fields.sampleSequence as number).frame;
      const sampled = String(s.fields.headerHex).slice(0, 2 * (s.fields.headerLength as number));
      return sampled !== Buffer.from(frame.subarray(0, 128)).toString('hex');
    })
    .map(describe);
  assert.deepEqual(wrong, []);
});

test('counter samples count the packets and bytes pmacctd had seen when it polled', () => {
  for (const sample of tshark.filter((s) => s.kind === 'counter')) {
    const packets = sample.fields.inUcastPkts as number;
    // The octets are the first `packets` frames of the (replayed) pcap, without FCS.
    let octets = 0;
    for (let i = 0; i < packets; i++) octets += mix[i % mix.length]!.frame.length;
    const expected: SampleFields = {
      agent: Buffer.from([192, 0, 2, 1]).toString('hex'),
      subAgentId: SUB_AGENT,
      ifIndex: IF_INDEX,
      ifType: 6,
      ifSpeed: 100_000_000,
      ifDirection: 1,
      ifStatus: 3,
      inOctets: octets,
      inMulticastPkts: 0,
      inBroadcastPkts: 0,
      outOctets: 0,
      outUcastPkts: 0,
    };
    assert.ok(packets > 0 && packets <= (tshark.filter((s) => s.kind === 'flow').length || 0) + mix.length, `inUcastPkts ${packets}`);
    assertNoDiff(diff(describe, Object.keys(expected), [[sample, expected, 'tshark', 'traffic']]), 'counter vs traffic');
  }
});
