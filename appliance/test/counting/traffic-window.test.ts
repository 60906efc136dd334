// The level-one window table: sliding-window sums with lazy bucket clearing, out-of-order and late samples,
// capacity, and removal (backward-shift deletion must keep every other key findable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey } from '../../src/counting/address-key.js';
import { TrafficWindowTable } from '../../src/counting/traffic-window.js';

function insert(t: TrafficWindowTable, text: string, network = 0): number {
  const [family, ...words] = addressKey(text);
  const key = Uint32Array.from(words);
  const at = t.locate(family, key, 0);
  return at >= 0 ? at : t.insert(at, family, key, 0, network);
}

test('window sums cover exactly the last W ticks, clearing skipped buckets lazily', () => {
  const t = new TrafficWindowTable({ capacity: 16, windowTicks: 10 });
  const e = insert(t, '198.51.100.1');
  for (let tick = 0; tick < 10; tick++) t.add(e, tick, 100, 1000);
  assert.equal(t.windowPackets(e, 9), 1000);
  assert.equal(t.windowPackets(e, 14), 500, 'ticks 5..9 remain in (4, 14]');
  t.add(e, 15, 7, 70);
  assert.equal(t.windowPackets(e, 15), 400 + 7, 'ticks 6..9 and 15; 10..14 were cleared');
  t.add(e, 40, 1, 10);
  assert.equal(t.windowPackets(e, 40), 1, 'a gap longer than the window clears every bucket');
  assert.equal(t.windowBytes(e, 40), 10);
});

test('a sample older than the newest tick but inside the window counts in its own bucket; older is dropped', () => {
  const t = new TrafficWindowTable({ capacity: 16, windowTicks: 10 });
  const e = insert(t, '2001:db8::1');
  t.add(e, 20, 10, 0);
  assert.equal(t.add(e, 15, 5, 0), true);
  assert.equal(t.windowPackets(e, 20), 15);
  assert.equal(t.windowPackets(e, 25), 10, 'tick 15 has left the window (15, 25]');
  assert.equal(t.add(e, 10, 5, 0), false);
  assert.equal(t.lateSamples, 1);
});

test('IPv4 and IPv6 keys with the same words are different subjects; a full table counts overflow', () => {
  const t = new TrafficWindowTable({ capacity: 2, windowTicks: 4 });
  const a = insert(t, '0.0.0.1');
  const key = Uint32Array.from(addressKey('0.0.0.1').slice(1));
  const b = t.insert(t.locate(6, key, 0), 6, key, 0, 0);
  assert.notEqual(a, b);
  assert.equal(t.size, 2);
  const [f, ...x] = addressKey('198.51.100.9');
  const other = Uint32Array.from(x);
  assert.equal(t.insert(t.locate(f, other, 0), f, other, 0, 0), -1);
  assert.equal(t.overflowSamples, 1);
});

test('removing entries (idle eviction) keeps every remaining key findable and reuses the freed entries', () => {
  const t = new TrafficWindowTable({ capacity: 4096, windowTicks: 10 });
  const addresses = Array.from({ length: 3000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const entries = addresses.map((a, i) => {
    const e = insert(t, a);
    t.add(e, i % 2 === 0 ? 5 : 500, 1, 1);
    return e;
  });
  let removed = 0;
  for (let pass = 0; pass < 3; pass++) removed += t.evictIdle(100, 4096);
  assert.equal(removed, 1500, 'the entries last seen at tick 5 went');
  assert.equal(t.size, 1500);
  addresses.forEach((a, i) => {
    const found = t.locateWords(...addressKey(a));
    if (i % 2 === 0) assert.ok(found < 0, `${a} is gone`);
    else assert.equal(found, entries[i], `${a} still found`);
  });
  const again = insert(t, '192.0.2.1');
  assert.ok(again < 3000, 'a freed entry is reused before the never-used tail');
});

test('a promoted entry is never evicted', () => {
  const t = new TrafficWindowTable({ capacity: 16, windowTicks: 10 });
  const e = insert(t, '198.51.100.2');
  t.add(e, 1, 1, 1);
  t.setSlot(e, 3);
  assert.equal(t.evictIdle(1000, 16), 0);
});
