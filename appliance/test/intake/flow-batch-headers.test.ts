// The FlowBatch header section (version 2): sampled-header bytes carried next to the records, cut to the snap
// length, absent for samples without a sampled-header record and for capture off; checkBatch refuses a
// section that lies; and a fuzz run of mutated datagrams never yields a batch checkBatch refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_HEADER_BYTES,
  BatchViews,
  checkBatch,
  copyRecordsOnly,
  FlowField,
  HeaderField,
  headerBytesOffset,
  headerSectionOffset,
  RECORD_BYTES,
  RecordKind,
} from '../../src/intake/flow-batch.js';
import { FlowBatchWriter } from '../../src/intake/flow-batch-writer.js';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import { SflowStream } from '../../src/synthetic/sflow-generator.js';
import { datagram, flowSample, ipv4Record, sampledHeaderRecord } from '../support/sflow-builder.js';

/** Decodes datagrams through a writer and returns copies of the batches it hands over. */
function batchesOf(datagrams: Uint8Array[], options: { snap: number; targetRecords?: number }): Uint8Array[] {
  const out: Uint8Array[] = [];
  const writer = new FlowBatchWriter({ sink: (b) => out.push(b.slice()), headerSnapLength: options.snap, targetRecords: options.targetRecords ?? 1024 });
  const decoder = new SflowDecoder();
  let t = 1_700_000_000_000;
  for (const d of datagrams) {
    writer.beginDatagram(t++);
    const status = decoder.decode(d, writer);
    writer.endDatagram(decoder.header, status, d.length, decoder.lastFlowSamples, decoder.lastCounterSamples, decoder.lastSkippedSamples, decoder.lastMalformedSamples);
  }
  writer.flush();
  return out;
}

/** Header bytes of each record of a checked batch (empty array: none). */
function headersOf(batch: Uint8Array): Uint8Array[] {
  const v = new BatchViews(batch.buffer as ArrayBuffer, batch.byteOffset, batch.byteLength & ~7);
  const count = v.count;
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const section = headerSectionOffset(count);
  const at = headerBytesOffset(count);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const from = dv.getUint32(section + i * 4, true);
    const to = dv.getUint32(section + (i + 1) * 4, true);
    out.push(batch.subarray(at + from, at + to));
  }
  return out;
}

const packet = (n: number, fill: number) => Uint8Array.from({ length: n }, (_, i) => (fill + i) & 0xff);

test('round trip: each flow record gets exactly its sampled header bytes; datagram records get none', () => {
  const h1 = packet(90, 1);
  const h2 = packet(60, 100);
  const d1 = datagram({ samples: [flowSample({ records: [sampledHeaderRecord({ protocol: 11, header: h1, frameLength: 1500 })] }), flowSample({ records: [sampledHeaderRecord({ protocol: 1, header: h2 })] })] });
  const d2 = datagram({ samples: [flowSample({ records: [sampledHeaderRecord({ protocol: 12, header: packet(128, 7) })] })] });
  const [batch, ...rest] = batchesOf([d1, d2], { snap: 128 });
  assert.equal(rest.length, 0);
  assert.deepEqual(checkBatch(batch!), { ok: true, count: 5 });
  const v = new BatchViews(batch!.buffer as ArrayBuffer);
  assert.equal(v.u32[HeaderField.headerSnap >>> 2], 128);
  const headers = headersOf(batch!);
  const kinds = [...Array(5).keys()].map((i) => v.u8[BATCH_HEADER_BYTES + i * RECORD_BYTES]);
  assert.deepEqual(kinds, [RecordKind.datagram, RecordKind.flow, RecordKind.flow, RecordKind.datagram, RecordKind.flow]);
  assert.deepEqual(headers.map((h) => h.length), [0, 90, 60, 0, 128]);
  assert.deepEqual([...headers[1]!], [...h1]);
  assert.deepEqual([...headers[2]!], [...h2]);
  assert.deepEqual([...headers[4]!], [...packet(128, 7)]);
  // The header protocol and the frame length stay in the record.
  assert.equal(v.u8[BATCH_HEADER_BYTES + RECORD_BYTES + FlowField.headerProtocol], 11);
  assert.equal(v.u32[(BATCH_HEADER_BYTES + RECORD_BYTES + FlowField.frameLength) >>> 2], 1500);
  // The batch ends right after the header bytes: nothing of the staging area travels.
  assert.equal(batch!.byteLength, headerBytesOffset(5) + 90 + 60 + 128);
});

test('headers longer than the snap length are cut to it, and counted', () => {
  const long = packet(200, 3);
  const d = datagram({ samples: [flowSample({ records: [sampledHeaderRecord({ protocol: 1, header: long, frameLength: 1514 })] })] });
  const out: Uint8Array[] = [];
  const writer = new FlowBatchWriter({ sink: (b) => out.push(b.slice()), headerSnapLength: 64 });
  const decoder = new SflowDecoder();
  writer.beginDatagram(1);
  writer.endDatagram(decoder.header, decoder.decode(d, writer), d.length, decoder.lastFlowSamples, 0, 0, 0);
  writer.flush();
  assert.ok(checkBatch(out[0]!).ok);
  const headers = headersOf(out[0]!);
  assert.deepEqual([...headers[1]!], [...long.subarray(0, 64)]);
  assert.equal(writer.headersCut, 1);
  assert.equal(writer.headerBytesCarried, 64);
});

test('a flow sample with only an IPv4 record carries no header bytes; with snap 0 there is no section at all', () => {
  const ipOnly = flowSample({ records: [ipv4Record({ length: 100, protocol: 17, src: '198.51.100.1', dst: '203.0.113.5', srcPort: 53, dstPort: 4444 })] });
  const withHeader = flowSample({ records: [sampledHeaderRecord({ protocol: 11, header: packet(40, 9) })] });
  const d = datagram({ samples: [ipOnly, withHeader] });
  const [on] = batchesOf([d], { snap: 128 });
  assert.deepEqual(headersOf(on!).map((h) => h.length), [0, 0, 40]);
  const [off] = batchesOf([d], { snap: 0 });
  assert.deepEqual(checkBatch(off!), { ok: true, count: 3 });
  assert.equal(off!.byteLength, BATCH_HEADER_BYTES + 3 * RECORD_BYTES);
  assert.equal(new BatchViews(off!.buffer as ArrayBuffer).u32[HeaderField.headerSnap >>> 2], 0);
  // The records are the same bytes either way (apart from the snap word in the header).
  assert.deepEqual([...on!.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 3 * RECORD_BYTES)], [...off!.subarray(BATCH_HEADER_BYTES)]);
});

test('a rejected datagram leaves no header bytes behind, and batches split cleanly', () => {
  const good = datagram({ samples: [flowSample({ records: [sampledHeaderRecord({ protocol: 11, header: packet(50, 1) })] })] });
  const bad = datagram({ version: 4, samples: [flowSample({ records: [sampledHeaderRecord({ protocol: 11, header: packet(50, 2) })] })] });
  const batches = batchesOf([good, bad, good, good, good], { snap: 128, targetRecords: 4 });
  let flows = 0;
  for (const b of batches) {
    assert.ok(checkBatch(b).ok);
    for (const h of headersOf(b)) {
      if (h.length === 0) continue;
      flows++;
      assert.deepEqual([...h], [...packet(50, 1)]);
    }
  }
  assert.equal(flows, 4);
});

test('copyRecordsOnly copies a batch without its header section: a valid batch, the same records, no headers', () => {
  const stream = new SflowStream({ agents: 2, destinations: 500, seed: 3 });
  const [batch] = batchesOf(Array.from({ length: 40 }, () => stream.next().slice()), { snap: 128 });
  const count = new BatchViews(batch!.buffer as ArrayBuffer, 0, batch!.byteLength & ~7).count;
  assert.ok(headersOf(batch!).some((h) => h.length > 0), 'the source carries headers');
  const dst = new Uint8Array(batch!.byteLength + 64).fill(0xee);
  const written = copyRecordsOnly(batch!, dst, 16);
  assert.equal(written, headerSectionOffset(count), 'header and records only');
  assert.ok(written * 2 < batch!.byteLength, `${written} of ${batch!.byteLength} bytes`);
  const copy = dst.subarray(16, 16 + written);
  assert.deepEqual(checkBatch(copy), { ok: true, count });
  assert.equal(new DataView(copy.buffer, copy.byteOffset).getUint32(HeaderField.headerSnap, true), 0, 'says it has no header section');
  // Everything but the snap field is the source's, byte for byte; nothing after the copy was touched.
  const expected = batch!.slice(0, written);
  expected.fill(0, HeaderField.headerSnap, HeaderField.headerSnap + 4);
  assert.deepEqual(copy, expected);
  assert.ok(dst.subarray(16 + written).every((b) => b === 0xee));
});

test('checkBatch refuses a header section that lies about its lengths', () => {
  const d = datagram({ samples: [flowSample({ records: [sampledHeaderRecord({ protocol: 11, header: packet(64, 1) })] })] });
  const [batch] = batchesOf([d], { snap: 128 });
  const section = headerSectionOffset(2);
  const cases: [string, (b: Uint8Array, v: DataView) => void, RegExp][] = [
    ['last offset past the buffer (hostile length)', (_b, v) => v.setUint32(section + 8, 0xfffffff0, true), /longer than the snap|past the buffer/],
    ['offset past the buffer within the snap', (_b, v) => v.setUint32(section + 8, 100, true), /past the buffer/],
    ['offsets going backwards', (_b, v) => { v.setUint32(section + 4, 60, true); v.setUint32(section + 8, 10, true); }, /backwards/],
    ['first offset not 0', (_b, v) => v.setUint32(section, 4, true), /first header offset/],
    ['one header longer than the snap length', (_b, v) => v.setUint32(HeaderField.headerSnap, 32, true), /longer than the snap/],
    ['a snap length no agent sends', (_b, v) => v.setUint32(HeaderField.headerSnap, 1 << 20, true), /snap length/],
  ];
  for (const [name, mutate, reason] of cases) {
    const copy = batch!.slice();
    mutate(copy, new DataView(copy.buffer));
    const check = checkBatch(copy);
    assert.equal(check.ok, false, name);
    assert.match((check as { reason: string }).reason, reason, name);
  }
  // Cut inside the offsets.
  assert.equal(checkBatch(batch!.slice(0, section + 4)).ok, false);
  assert.ok(checkBatch(batch!).ok);
});

test('fuzz: mutated datagrams never produce a batch that checkBatch refuses, nor a header past the snap', () => {
  const stream = new SflowStream({ agents: 2, destinations: 50, ipv6Share: 0.3, seed: 11 });
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const datagrams: Uint8Array[] = [];
  for (let i = 0; i < 600; i++) {
    const d = stream.next().slice();
    // Flip a few bytes (some in length words: hostile header lengths), or cut the datagram short.
    const flips = Math.floor(rand() * 6);
    for (let f = 0; f < flips; f++) d[Math.floor(rand() * d.length)] = Math.floor(rand() * 256);
    datagrams.push(rand() < 0.2 ? d.subarray(0, Math.floor(rand() * d.length)) : d);
  }
  const snap = 96;
  const batches = batchesOf(datagrams, { snap, targetRecords: 200 });
  let withHeaders = 0;
  for (const b of batches) {
    assert.ok(checkBatch(b).ok);
    for (const h of headersOf(b)) {
      assert.ok(h.length <= snap);
      if (h.length > 0) withHeaders++;
    }
  }
  assert.ok(withHeaders > 1000, `${withHeaders} samples carried headers`);
});
