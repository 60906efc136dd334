// The header rings: fixed memory from the shape alone, oldest-first order, overwrite of the oldest entry when
// full, headers cut to the snap length, per-entry metadata kept, clear().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTRY_OVERHEAD_BYTES, HeaderRings } from '../../src/capture/header-rings.js';

const bytes = (n: number, fill: number) => Uint8Array.from({ length: n }, (_, i) => (fill + i) & 0xff);
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

test('memory is fixed by the shape: rings × depth × (snap + overhead), plus two words per ring', () => {
  const r = new HeaderRings(10, 8, 128);
  assert.equal(r.memoryBytes, 10 * 8 * (128 + ENTRY_OVERHEAD_BYTES) + 10 * 8);
  assert.equal(HeaderRings.entryBytes(128), 128 + ENTRY_OVERHEAD_BYTES);
  const src = bytes(200, 0);
  for (let i = 0; i < 10_000; i++) r.push(i % 10, view(src), 0, 200, i, i, 1000, 1500, 1, 4, i, 0, 0, 0);
  assert.equal(r.totalEntries, 80, 'never more entries than rings × depth');
  assert.equal(r.memoryBytes, 10 * 8 * (128 + ENTRY_OVERHEAD_BYTES) + 10 * 8);
});

test('a ring gives its entries oldest first and overwrites the oldest when full', () => {
  const r = new HeaderRings(2, 4, 16);
  for (let i = 1; i <= 3; i++) r.push(1, view(bytes(8, i)), 0, 8, 1000 + i, i, 100, 64, 1, 4, i, 0, 0, 0);
  assert.deepEqual(r.entryIndexes(1).map((e) => r.sequence[e]), [1, 2, 3]);
  for (let i = 4; i <= 9; i++) r.push(1, view(bytes(8, i)), 0, 8, 1000 + i, i, 100, 64, 1, 4, i, 0, 0, 0);
  const order = r.entryIndexes(1);
  assert.deepEqual(order.map((e) => r.sequence[e]), [6, 7, 8, 9]);
  assert.deepEqual(order.map((e) => r.timeMs[e]), [1006, 1007, 1008, 1009]);
  assert.deepEqual([...r.headerOf(order[0]!)], [...bytes(8, 6)]);
  assert.equal(r.entriesIn(0), 0, 'the other ring is untouched');
  r.clear(1);
  assert.deepEqual(r.entryIndexes(1), []);
});

test('headers are cut to the snap length; metadata and destination are kept per entry', () => {
  const r = new HeaderRings(1, 2, 32);
  const src = bytes(100, 50);
  const e = r.push(0, view(src), 10, 90, 1234.5, 77, 2048, 1514, 12, 6, 0xb80d0120, 1, 2, 3);
  assert.deepEqual([...r.headerOf(e)], [...src.subarray(10, 42)]);
  assert.deepEqual(
    [r.length[e], r.timeMs[e], r.sequence[e], r.samplingRate[e], r.frameLength[e], r.headerProtocol[e], r.family[e], ...r.words.subarray(e * 4, e * 4 + 4)],
    [32, 1234.5, 77, 2048, 1514, 12, 6, 0xb80d0120, 1, 2, 3],
  );
});

test('refuses shapes that are not positive integers', () => {
  assert.throws(() => new HeaderRings(0, 1, 1), RangeError);
  assert.throws(() => new HeaderRings(1, 0, 1), RangeError);
  assert.throws(() => new HeaderRings(1, 1, 70_000), RangeError);
});
