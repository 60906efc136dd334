// `breakwater sflow decode` end to end: a capture written to disk (or piped on stdin) in, JSON lines out,
// rejected datagrams and a summary on stderr, port selection, and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/run.js';
import { classicPcap, pcapng } from '../support/capture-files.js';
import { compactIcmp } from '../support/goflow2-datagrams.js';
import { ethernet, ipv4, ipv6, ipv6Fragment, tcp, udp } from '../support/packet-builder.js';
import { counterSample, datagram, extendedGatewayRecord, flowSample, genericInterfaceRecord, sampledHeaderRecord } from '../support/sflow-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-sflow-decode-'));

const sflowFrame = (payload: Uint8Array, o: { dstPort?: number; v6?: boolean } = {}): Uint8Array =>
  ethernet({
    etherType: o.v6 ? 0x86dd : 0x0800,
    payload: o.v6
      ? ipv6({ src: '2001:db8::77', dst: '2001:db8::1', nextHeader: 17, payload: udp({ srcPort: 50000, dstPort: o.dstPort ?? 6343, payload }) })
      : ipv4({ src: '192.0.2.77', dst: '192.0.2.1', protocol: 17, payload: udp({ srcPort: 50000, dstPort: o.dstPort ?? 6343, payload }) }),
  });

const richDatagram = datagram({
  agent: '2001:db8::a',
  subAgentId: 3,
  sequence: 77,
  samples: [
    flowSample({
      expanded: true,
      sequence: 5,
      samplingRate: 2048,
      samplePool: 99999,
      drops: 1,
      input: 10,
      output: 20,
      records: [
        sampledHeaderRecord({
          frameLength: 1300,
          header: ethernet({
            src: '00:00:5e:00:53:01',
            dst: '00:00:5e:00:53:02',
            vlans: [{ tpid: 0x88a8, id: 300 }, { id: 42 }],
            etherType: 0x86dd,
            payload: ipv6({ src: '2001:db8:0:0:1::1', dst: '2001:db8::2', nextHeader: 44, hopLimit: 60, trafficClass: 46 << 2, flowLabel: 0x12345, payload: ipv6Fragment(6, { offset: 0, more: true }, tcp({ srcPort: 4444, dstPort: 80, flags: 0x02 })) }),
          }),
        }),
        extendedGatewayRecord({ nextHop: '192.0.2.254', as: 65000, srcAs: 64512, srcPeerAs: 64513, segments: [{ type: 2, asns: [64513, 65001] }], communities: [(65535 << 16) | 666], localPref: 150 }),
      ],
    }),
    counterSample({ sequence: 9, sourceIdIndex: 10, records: [genericInterfaceRecord({ ifIndex: 10, inOctets: 2n ** 40n, outUcastPkts: 5 })] }),
  ],
});

async function run(args: string[], stdin?: Uint8Array): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  stderr.on('data', (c: Buffer) => errChunks.push(c));
  const input = stdin === undefined ? Readable.from([]) : Readable.from([Buffer.from(stdin)]);
  const code = await main(args, { stdout, stderr, stdin: input });
  const text = Buffer.concat(chunks).toString('utf8');
  return { code, lines: text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>), stderr: Buffer.concat(errChunks).toString('utf8') };
}

function writeCapture(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

test('prints one JSON line per flow and counter sample, with datagram context and decoded packet', async () => {
  const path = writeCapture('rich.pcap', classicPcap({ linkType: 1, frames: [{ data: sflowFrame(richDatagram, { v6: true }), seconds: 1_700_000_000, fraction: 250_000 }] }));
  const { code, lines, stderr } = await run(['sflow', 'decode', path]);
  assert.equal(code, 0);
  assert.equal(lines.length, 2);
  const [flow, counter] = lines as [Record<string, any>, Record<string, any>];
  assert.equal(flow.type, 'flow');
  assert.equal(flow.time, '2023-11-14T22:13:20.250000000Z');
  assert.equal(flow.exporter, '[2001:db8::77]:50000');
  assert.deepEqual([flow.agent, flow.subAgentId, flow.datagramSequence], ['2001:db8::a', 3, 77]);
  assert.deepEqual([flow.sampleSequence, flow.expanded, flow.samplingRate, flow.samplePool, flow.drops, flow.inputIfIndex, flow.outputIfIndex], [5, true, 2048, 99999, 1, 10, 20]);
  assert.deepEqual(flow.packet, {
    source: 'header',
    headerProtocol: 1,
    headerLength: flow.packet.headerLength,
    stripped: 4,
    frameLength: 1300,
    srcMac: '00:00:5e:00:53:01',
    dstMac: '00:00:5e:00:53:02',
    vlans: [300, 42],
    etherType: 0x86dd,
    ipVersion: 6,
    src: '2001:db8::1:0:0:1',
    dst: '2001:db8::2',
    protocol: 6,
    ipLength: flow.packet.ipLength,
    hopLimit: 60,
    dscp: 46,
    ecn: 0,
    flowLabel: 0x12345,
    fragment: { isFragment: true, dontFragment: false, moreFragments: true, offset: 0 },
    srcPort: 4444,
    dstPort: 80,
    tcpFlags: 2,
  });
  assert.deepEqual(flow.gateway, { nextHop: '192.0.2.254', as: 65000, srcAs: 64512, srcPeerAs: 64513, dstAsPath: [64513, 65001], communities: ['65535:666'], localPref: 150 });
  assert.equal(counter.type, 'counter');
  assert.equal(counter.agent, '2001:db8::a');
  assert.equal(counter.interface.ifIndex, 10);
  assert.equal(counter.interface.inOctets, 2 ** 40);
  assert.match(stderr, /^sflow decode: packets=1 sflow_datagrams=1 datagrams_ok=1 datagrams_rejected=0 flow_samples=1 counter_samples=1 /m);
});

test('ICMP from a real agent datagram, read from stdin as pcapng', async () => {
  const capture = pcapng([{ kind: 'section' }, { kind: 'interface', linkType: 1 }, { kind: 'enhanced', data: sflowFrame(compactIcmp) }]);
  const { code, lines } = await run(['sflow', 'decode', '-'], capture);
  assert.equal(code, 0);
  const packet = lines[0]!.packet as Record<string, unknown>;
  assert.deepEqual([packet.src, packet.dst, packet.icmpType, packet.icmpCode, packet.ttl, packet.vlans], ['172.16.32.254', '172.16.32.241', 8, 0, 124, [32]]);
});

test('rejected datagrams are reported on stderr by status name and counted in the summary', async () => {
  const good = datagram({ samples: [flowSample({ records: [] })] });
  const frames = [
    { data: sflowFrame(good) },
    { data: sflowFrame(Uint8Array.from([0, 0, 0, 4, 0, 0, 0, 1])) },
    { data: sflowFrame(datagram({ samples: [], sampleCount: 3 })) },
    { data: sflowFrame(good.subarray(0, 3)) },
    { data: sflowFrame(good, { dstPort: 53 }) },
    // A cut frame: the sFlow datagram cannot be decoded, which is said, not silently dropped.
    { data: sflowFrame(good).subarray(0, 14 + 20 + 8 + 10), originalLength: 100 },
    { data: ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcPort: 1, dstPort: 2, flags: 2 }) }) }) },
  ];
  const { code, lines, stderr } = await run(['sflow', 'decode', writeCapture('mixed.pcap', classicPcap({ linkType: 1, frames }))]);
  assert.equal(code, 0);
  assert.equal(lines.length, 1);
  assert.match(stderr, /^packet 2: sFlow datagram from 192\.0\.2\.77:50000 rejected: bad_version$/m);
  assert.match(stderr, /^packet 3: .* rejected: sample_overrun$/m);
  assert.match(stderr, /^packet 4: .* rejected: truncated$/m);
  assert.match(stderr, /^packet 6: sFlow datagram from 192\.0\.2\.77:50000 cut by the capture's snap length/m);
  assert.match(
    stderr,
    /^sflow decode: packets=7 sflow_datagrams=4 datagrams_ok=1 datagrams_rejected=3 flow_samples=1 counter_samples=0 skipped_samples=0 malformed_samples=0 other_udp=1 rejected_truncated=1 rejected_bad_version=1 rejected_sample_overrun=1 frames_not_udp=1 frames_truncated=1$/m,
  );
});

test('--port selects another port; --any-port decodes every UDP payload', async () => {
  const d = datagram({ samples: [flowSample({ records: [] })] });
  const path = writeCapture('ports.pcap', classicPcap({ linkType: 1, frames: [{ data: sflowFrame(d, { dstPort: 9999 }) }, { data: sflowFrame(d, { dstPort: 6343 }) }] }));
  assert.equal((await run(['sflow', 'decode', path])).lines.length, 1);
  assert.equal((await run(['sflow', 'decode', path, '--port', '9999'])).lines.length, 1);
  assert.equal((await run(['sflow', 'decode', path, '--port', '1'])).lines.length, 0);
  assert.equal((await run(['sflow', 'decode', path, '--any-port'])).lines.length, 2);
});

test('usage errors exit 2; unreadable or broken captures exit 1 with their code after the summary', async () => {
  assert.equal((await run(['sflow', 'decode'])).code, 2);
  assert.equal((await run(['sflow', 'decode', 'a', 'b'])).code, 2);
  const badPort = await run(['sflow', 'decode', 'x.pcap', '--port', '70000']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /BW_ERR_CLI_USAGE: --port 70000/);
  assert.equal((await run(['sflow', 'decode', 'x.pcap', '--bogus'])).code, 2);

  const missing = await run(['sflow', 'decode', join(dir, 'missing.pcap')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ENOENT: /m);

  const notPcap = await run(['sflow', 'decode', writeCapture('text.pcap', new TextEncoder().encode('not a capture, just some text'))]);
  assert.equal(notPcap.code, 1);
  assert.match(notPcap.stderr, /^BW_ERR_PCAP_FORMAT: /m);

  const good = classicPcap({ linkType: 1, frames: [{ data: sflowFrame(datagram({ samples: [flowSample({ records: [] })] })) }, { data: sflowFrame(richDatagram) }] });
  const cut = await run(['sflow', 'decode', writeCapture('cut.pcap', good.subarray(0, good.length - 10))]);
  assert.equal(cut.code, 1);
  assert.equal(cut.lines.length, 1, 'packets before the cut are still decoded');
  assert.match(cut.stderr, /^BW_ERR_PCAP_TRUNCATED: .*\nsflow decode: packets=1 /m);
});
