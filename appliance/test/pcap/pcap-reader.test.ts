// The capture reader: classic pcap (byte orders, µs/ns), pcapng (blocks, interfaces, timestamp resolution,
// byte orders, several sections), streaming across chunk boundaries, and each error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBreakwaterError, type ErrorCode } from '../../src/errors.js';
import { PcapReader, readPcapFile, type PcapPacket } from '../../src/pcap/pcap-reader.js';
import { chunked, classicPcap, pcapng } from '../support/capture-files.js';

const frame = (n: number, length = 60): Uint8Array => new Uint8Array(length).fill(n);

async function readAll(bytes: Uint8Array, chunkSize = 1 << 16): Promise<{ packets: PcapPacket[]; reader: PcapReader }> {
  const reader = new PcapReader(chunked(bytes, chunkSize));
  const packets: PcapPacket[] = [];
  // Copy the data: a packet's view stays valid, but copying proves nothing depends on that here.
  for await (const p of reader) packets.push({ ...p, data: p.data.slice() });
  return { packets, reader };
}

async function readError(bytes: Uint8Array): Promise<{ code: ErrorCode; message: string; packets: number }> {
  const reader = new PcapReader(chunked(bytes, 7));
  let packets = 0;
  try {
    for await (const _ of reader) packets++;
  } catch (err) {
    if (isBreakwaterError(err)) return { code: err.code, message: err.message, packets };
    throw err;
  }
  throw new Error('expected an error');
}

test('classic pcap in both byte orders, micro- and nanosecond, any chunking', async (t) => {
  for (const littleEndian of [true, false]) {
    for (const nanosecond of [false, true]) {
      for (const chunkSize of [1, 5, 64 * 1024]) {
        await t.test(`${littleEndian ? 'LE' : 'BE'} ${nanosecond ? 'ns' : 'µs'} chunk ${chunkSize}`, async () => {
          const file = classicPcap({
            linkType: 1,
            littleEndian,
            nanosecond,
            frames: [
              { data: frame(1), seconds: 1_700_000_000, fraction: nanosecond ? 123_456_789 : 123_456 },
              { data: frame(2, 1514), seconds: 1_700_000_001, fraction: 5, originalLength: 9000 },
            ],
          });
          const { packets, reader } = await readAll(file, chunkSize);
          assert.equal(reader.format, 'pcap');
          assert.equal(packets.length, 2);
          assert.deepEqual(
            packets.map((p) => [p.number, p.linkType, p.timestampSeconds, p.timestampNanos, p.capturedLength, p.originalLength, p.data[0]]),
            [
              [1, 1, 1_700_000_000, nanosecond ? 123_456_789 : 123_456_000, 60, 60, 1],
              [2, 1, 1_700_000_001, nanosecond ? 5 : 5000, 1514, 9000, 2],
            ],
          );
        });
      }
    }
  }
});

test('link type: FCS bits above the low 16 are ignored', async () => {
  const { packets } = await readAll(classicPcap({ linkType: 0x10000000 | 113, frames: [{ data: frame(1) }] }));
  assert.equal(packets[0]!.linkType, 113);
});

test('pcapng: interfaces, enhanced/simple/obsolete packets, skipped blocks, both byte orders', async (t) => {
  for (const littleEndian of [true, false]) {
    for (const chunkSize of [1, 3, 4096]) {
      await t.test(`${littleEndian ? 'LE' : 'BE'} chunk ${chunkSize}`, async () => {
        const file = pcapng(
          [
            { kind: 'section' },
            { kind: 'interface', linkType: 1 },
            { kind: 'interface', linkType: 276, tsresol: 9, tsoffset: 100n },
            { kind: 'other', type: 4, body: new Uint8Array(13) }, // name resolution block
            { kind: 'enhanced', interfaceId: 0, timestamp: 1_700_000_000_250_000n, data: frame(1, 61) },
            { kind: 'enhanced', interfaceId: 1, timestamp: 1_700_000_000_000_000_007n, data: frame(2), originalLength: 1500 },
            { kind: 'other', type: 5, body: new Uint8Array(24) }, // interface statistics
            { kind: 'simple', data: frame(3, 33) },
            { kind: 'obsolete', interfaceId: 1, timestamp: 2_000_000_001n, data: frame(4) },
            { kind: 'enhanced', interfaceId: 9, data: frame(5) },
          ],
          littleEndian,
        );
        const { packets, reader } = await readAll(file, chunkSize);
        assert.equal(reader.format, 'pcapng');
        assert.equal(reader.skippedBlocks, 2);
        assert.equal(reader.skippedPackets, 1, 'packet on an undefined interface');
        assert.deepEqual(
          packets.map((p) => [p.number, p.linkType, p.timestampSeconds, p.timestampNanos, p.capturedLength, p.originalLength, p.data[0], p.data.length]),
          [
            [1, 1, 1_700_000_000, 250_000_000, 61, 61, 1, 61],
            [2, 276, 1_700_000_100, 7, 60, 1500, 2, 60],
            [3, 1, 0, 0, 33, 33, 3, 33],
            [4, 276, 102, 1, 60, 60, 4, 60],
          ],
        );
      });
    }
  }
});

test('pcapng: binary timestamp resolution (if_tsresol high bit) and a second section resetting interfaces', async () => {
  const file = Buffer.concat([
    pcapng([{ kind: 'section' }, { kind: 'interface', linkType: 1, tsresol: 0x80 | 10 }, { kind: 'enhanced', timestamp: 1024n * 5n + 512n, data: frame(1) }]),
    pcapng([{ kind: 'section' }, { kind: 'enhanced', data: frame(2) }, { kind: 'interface', linkType: 101 }, { kind: 'enhanced', data: frame(3) }], false),
  ]);
  const { packets, reader } = await readAll(file, 11);
  assert.deepEqual(
    packets.map((p) => [p.linkType, p.timestampSeconds, p.timestampNanos, p.data[0]]),
    [
      [1, 5, 500_000_000, 1],
      [101, 0, 0, 3],
    ],
  );
  assert.equal(reader.skippedPackets, 1, 'the second section starts with no interfaces');
});

test('pcapng: simple packet blocks are cut to the interface snap length', async () => {
  const { packets } = await readAll(pcapng([{ kind: 'section' }, { kind: 'interface', linkType: 1, snapLength: 20 }, { kind: 'simple', data: frame(1, 60), originalLength: 60 }]));
  assert.equal(packets[0]!.capturedLength, 20);
  assert.equal(packets[0]!.originalLength, 60);
});

test('errors: format, truncation and corrupt framing, with packets before the failure delivered', async (t) => {
  const good = classicPcap({ linkType: 1, frames: [{ data: frame(1) }, { data: frame(2) }] });
  const ng = pcapng([{ kind: 'section' }, { kind: 'interface', linkType: 1 }, { kind: 'enhanced', data: frame(1) }, { kind: 'enhanced', data: frame(2) }]);
  const corruptRecord = Uint8Array.from(good);
  new DataView(corruptRecord.buffer).setUint32(24 + 16 + 60 + 8, 0x7fffffff, true);
  const ngBadTrailer = Uint8Array.from(ng);
  ngBadTrailer[ngBadTrailer.length - 1] = 0x55;
  const ngHugeBlock = Uint8Array.from(ng);
  const secondEpb = ng.length - (12 + 20 + 60);
  new DataView(ngHugeBlock.buffer).setUint32(secondEpb + 4, 0x7ffffff0, true);
  const ngCapturedTooLong = Uint8Array.from(ng);
  new DataView(ngCapturedTooLong.buffer).setUint32(secondEpb + 20, 61, true);
  const cases: { name: string; bytes: Uint8Array; code: ErrorCode; packets: number; message?: RegExp }[] = [
    { name: 'empty file', bytes: new Uint8Array(0), code: 'BW_ERR_PCAP_FORMAT', packets: 0 },
    { name: 'text file', bytes: new TextEncoder().encode('hello, this is not a capture file at all'), code: 'BW_ERR_PCAP_FORMAT', packets: 0, message: /magic/ },
    { name: 'pcap version 1', bytes: classicPcap({ linkType: 1, version: 1, frames: [] }), code: 'BW_ERR_PCAP_FORMAT', packets: 0 },
    { name: 'pcapng version 2', bytes: pcapng([{ kind: 'section', major: 2 }]), code: 'BW_ERR_PCAP_FORMAT', packets: 0 },
    { name: 'file header cut', bytes: good.subarray(0, 20), code: 'BW_ERR_PCAP_FORMAT', packets: 0 },
    { name: 'cut inside a record header', bytes: good.subarray(0, good.length - 60 - 3), code: 'BW_ERR_PCAP_TRUNCATED', packets: 1, message: /byte 100\b/ },
    { name: 'cut inside record data', bytes: good.subarray(0, good.length - 1), code: 'BW_ERR_PCAP_TRUNCATED', packets: 1 },
    { name: 'pcapng cut inside a block', bytes: ng.subarray(0, ng.length - 5), code: 'BW_ERR_PCAP_TRUNCATED', packets: 1 },
    { name: 'record length 2^31-1', bytes: corruptRecord, code: 'BW_ERR_PCAP_CORRUPT', packets: 1, message: /byte 100\b/ },
    { name: 'pcapng block trailer differs', bytes: ngBadTrailer, code: 'BW_ERR_PCAP_CORRUPT', packets: 1 },
    { name: 'pcapng block length absurd', bytes: ngHugeBlock, code: 'BW_ERR_PCAP_CORRUPT', packets: 1 },
    { name: 'pcapng captured length past its block', bytes: ngCapturedTooLong, code: 'BW_ERR_PCAP_CORRUPT', packets: 1 },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const e = await readError(c.bytes);
      assert.equal(e.code, c.code);
      assert.equal(e.packets, c.packets);
      if (c.message) assert.match(e.message, c.message);
    });
  }
});

test('readPcapFile streams a file from disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-pcap-'));
  const path = join(dir, 'big.pcap');
  const frames = Array.from({ length: 3000 }, (_, i) => ({ data: frame(i & 0xff, 100 + (i % 900)) }));
  writeFileSync(path, classicPcap({ linkType: 1, frames }));
  let n = 0;
  let bytes = 0;
  for await (const p of readPcapFile(path)) {
    n++;
    bytes += p.data.length;
    assert.equal(p.data[0], (n - 1) & 0xff);
  }
  assert.equal(n, 3000);
  assert.equal(bytes, frames.reduce((a, f) => a + f.data.length, 0));
});
