// The pcap writer: exact header bytes, snaplen cutting, timestamps, streaming with backpressure, and files
// that tshark (libpcap's format as Wireshark reads it) accepts with the lengths and times we wrote.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PcapWriter, LinkType, encodePcap, encodePcapGlobalHeader, openPcapFile } from '../../src/pcap/pcap-writer.js';
import { buildIpPacket } from '../../src/synthetic/packet-builder.js';
import { findAll, tsharkJson } from '../conformance/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-pcap-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('global header: microsecond magic, version 2.4, snaplen and link type, little-endian', () => {
  assert.equal(encodePcapGlobalHeader().toString('hex'), 'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000');
  assert.equal(encodePcapGlobalHeader({ linkType: LinkType.RAW, snaplen: 128 }).toString('hex'), 'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '80000000' + '65000000');
});

test('records: timestamp split into seconds and microseconds, cut to snaplen, original length kept', () => {
  const data = Uint8Array.from({ length: 10 }, (_, i) => i);
  const file = encodePcap(
    [
      { data, timestampMicros: 1_700_000_000_123_456 },
      { data: data.subarray(0, 4), timestampMicros: 5, originalLength: 1514 },
    ],
    { snaplen: 8 },
  );
  assert.equal(file.length, 24 + 16 + 8 + 16 + 4);
  const first = file.subarray(24);
  assert.equal(first.readUInt32LE(0), 1_700_000_000);
  assert.equal(first.readUInt32LE(4), 123_456);
  assert.equal(first.readUInt32LE(8), 8, 'captured length cut to snaplen');
  assert.equal(first.readUInt32LE(12), 10, 'original length');
  assert.deepEqual([...first.subarray(16, 24)], [0, 1, 2, 3, 4, 5, 6, 7]);
  const second = file.subarray(24 + 24);
  assert.deepEqual([second.readUInt32LE(0), second.readUInt32LE(4), second.readUInt32LE(8), second.readUInt32LE(12)], [0, 5, 4, 1514]);
});

test('bad options and record metadata are refused', () => {
  assert.throws(() => encodePcapGlobalHeader({ snaplen: 0 }), RangeError);
  assert.throws(() => encodePcapGlobalHeader({ linkType: 70000 }), RangeError);
  assert.throws(() => encodePcap([{ data: new Uint8Array(10), originalLength: 9 }]), RangeError);
  assert.throws(() => encodePcap([{ data: new Uint8Array(1), timestampMicros: -1 }]), RangeError);
});

/** A sink that takes one chunk per tick and holds little, so the writer sees backpressure. */
class SlowSink extends Writable {
  readonly chunks: Buffer[] = [];
  constructor() {
    super({ highWaterMark: 64 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    setImmediate(done);
  }
}

test('streaming: write reports backpressure, writeAndWait waits for drain, bytes equal encodePcap', async () => {
  const sink = new SlowSink();
  const writer = new PcapWriter(sink, { linkType: LinkType.ETHERNET, snaplen: 65535 });
  const records = Array.from({ length: 50 }, (_, i) => ({ data: new Uint8Array(100).fill(i), timestampMicros: 1_000_000 * i + i }));
  let sawBackpressure = false;
  for (const record of records) {
    if (!writer.write(record.data, record)) {
      sawBackpressure = true;
      await writer.drained();
    }
  }
  assert.ok(sawBackpressure, 'a 64-byte high-water mark must push back');
  for (const record of records) await writer.writeAndWait(record.data, record);
  await writer.close();
  assert.equal(writer.packetsWritten, 100);
  assert.equal(writer.bytesWritten, 24 + 100 * 116);
  assert.deepEqual(Buffer.concat(sink.chunks), encodePcap([...records, ...records], { snaplen: 65535 }));
  assert.throws(() => writer.write(new Uint8Array(1)), /after close/);
});

test('a sink error surfaces on the next call instead of crashing the process', async () => {
  const failing = new Writable({
    write(_chunk, _encoding, done) {
      done(new Error('disk full'));
    },
  });
  const writer = new PcapWriter(failing);
  await new Promise((resolve) => setImmediate(resolve));
  assert.throws(() => writer.write(new Uint8Array(4)), /disk full/);
  await assert.rejects(writer.close(), /disk full/);
});

test('openPcapFile rejects a path that cannot be created', async () => {
  await assert.rejects(openPcapFile(join(dir, 'no', 'such', 'dir.pcap')), /ENOENT/);
});

test('tshark reads the files: lengths, cut records, times and link type', async () => {
  const path = join(dir, 'writer.pcap');
  const writer = await openPcapFile(path, { snaplen: 64 });
  const frame = (size: number, fill: number): Uint8Array => {
    const f = new Uint8Array(size).fill(fill);
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5], 0); // local experimental EtherType: no dissector guesses
    return f;
  };
  await writer.writeAndWait(frame(60, 1), { timestampMicros: 1_700_000_000_000_001 });
  await writer.writeAndWait(frame(1514, 2), { timestampMicros: 1_700_000_000_999_999 });
  await writer.writeAndWait(frame(64, 3).subarray(0, 20), { timestampMicros: 1_700_000_001_000_000, originalLength: 9000 });
  await writer.close();
  const frames = await tsharkJson(path);
  const summary = frames.map((f) => [findAll(f, 'frame.len')[0], findAll(f, 'frame.cap_len')[0], findAll(f, 'frame.time_epoch')[0]]);
  assert.deepEqual(summary, [
    ['60', '60', '1700000000.000001000'],
    ['1514', '64', '1700000000.999999000'],
    ['9000', '20', '1700000001.000000000'],
  ]);
  assert.deepEqual(findAll(frames[0], 'frame.encap_type'), ['1']);

  const nullPath = join(dir, 'null.pcap');
  // LINKTYPE_NULL: a host-order (here little-endian) address family, 2 = AF_INET, then the IPv4 packet.
  const ipv4 = buildIpPacket({ ip: { version: 4, src: '192.0.2.1', dst: '192.0.2.2' }, transport: { protocol: 'udp', srcPort: 12345, dstPort: 12345 } });
  writeFileSync(nullPath, encodePcap([{ data: Buffer.concat([Buffer.from([2, 0, 0, 0]), ipv4]), timestampMicros: 0 }], { linkType: LinkType.NULL }));
  assert.equal(readFileSync(nullPath).readUInt32LE(20), 0);
  const nullFrames = await tsharkJson(nullPath);
  assert.deepEqual(findAll(nullFrames[0], 'null.family'), ['2']);
  assert.deepEqual(findAll(nullFrames[0], 'udp.dstport'), ['12345']);
});
