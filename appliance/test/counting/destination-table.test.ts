// The per-destination table: exact sums, IPv4 and IPv6 kept apart, bounded capacity with overflow counted,
// eviction of idle entries, top-N, address text round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressWords, DestinationTable, wordsToAddress } from '../../src/counting/destination-table.js';

function add(t: DestinationTable, address: string, packets: number, bytes: number, now = 0): boolean {
  const [f, w0, w1, w2, w3] = addressWords(address)!;
  return t.add(f, w0, w1, w2, w3, packets, bytes, now);
}

test('sums samples, packets and bytes per destination, IPv4 and IPv6 apart', () => {
  const t = new DestinationTable(100);
  add(t, '198.18.0.1', 1000, 64_000);
  add(t, '198.18.0.1', 1000, 1_500_000);
  add(t, '2001:db8::1', 512, 51_200);
  add(t, '::c612:1', 1, 1); // an IPv6 address whose low word equals 198.18.0.1's bytes
  assert.equal(t.size, 3);
  assert.deepEqual({ ...t.get('198.18.0.1'), lastSeenMs: 0 }, { address: '198.18.0.1', samples: 2, packets: 2000, bytes: 1_564_000, lastSeenMs: 0 });
  assert.equal(t.get('2001:db8::1')!.packets, 512);
  assert.equal(t.get('::c612:1')!.packets, 1);
  assert.equal(t.get('198.18.0.2'), undefined);
  assert.equal(t.totalPackets, 2513);
});

test('a full table counts overflow instead of growing or dropping silently', () => {
  const t = new DestinationTable(10);
  for (let i = 0; i < 15; i++) add(t, `198.18.0.${i}`, 10, 100);
  assert.equal(t.size, 10);
  assert.equal(t.overflowSamples, 5);
  assert.equal(t.overflowPackets, 50);
  assert.equal(t.totalSamples, 15);
  // Existing destinations still count while full.
  assert.equal(add(t, '198.18.0.0', 10, 100), true);
  assert.equal(t.get('198.18.0.0')!.samples, 2);
});

test('evictIdle removes entries not seen since the cutoff and keeps the rest intact', () => {
  const t = new DestinationTable(1000);
  for (let i = 0; i < 500; i++) add(t, `198.18.1.${i % 250}`, 1, 10, i < 250 ? 1000 : 5000);
  for (let i = 0; i < 100; i++) add(t, `198.19.0.${i}`, 2, 20, 1000);
  assert.equal(t.size, 350);
  const removed = t.evictIdle(2000);
  assert.equal(removed, 100);
  assert.equal(t.size, 250);
  assert.equal(t.evicted, 100);
  assert.equal(t.get('198.18.1.7')!.samples, 2);
  assert.equal(t.get('198.19.0.7'), undefined);
  // Room again after eviction.
  assert.equal(add(t, '198.19.0.7', 1, 1, 6000), true);
});

test('top returns the heaviest destinations first', () => {
  const t = new DestinationTable(100);
  for (let i = 1; i <= 20; i++) add(t, `198.18.0.${i}`, i * 100, i);
  assert.deepEqual(t.top(3).map((d) => d.address), ['198.18.0.20', '198.18.0.19', '198.18.0.18']);
  assert.equal(t.top(50).length, 20);
});

test('address text round trip (RFC 5952 form for IPv6)', () => {
  for (const a of ['198.18.0.1', '0.0.0.0', '255.255.255.255', '2001:db8::1', '::1', '2001:db8:0:1:1:1:1:1', 'fe80::1:0:0:1']) {
    const [f, w0, w1, w2, w3] = addressWords(a)!;
    assert.equal(wordsToAddress(f, w0, w1, w2, w3), a);
  }
  for (const bad of ['198.18.0', '1.2.3.256', '2001:db8::1::2', 'hello']) assert.equal(addressWords(bad), undefined, bad);
});
