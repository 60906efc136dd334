// The Space-Saving table behind the capture's per-destination rings: it never holds more than its capacity,
// admits newcomers with probability 1 / (minimum + 1), keeps the heavy destinations among one-off ones, evicts
// the lowest count,
// stays consistent (every tracked key findable, no evicted key found) through many evictions, and decays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DestinationHeavyHitters } from '../../src/capture/destination-heavy-hitters.js';

const v4 = (n: number): [number, number, number, number, number] => [4, n >>> 0, 0, 0, 0];
const v6 = (n: number): [number, number, number, number, number] => [6, 0x00000db8, 0, 0, n >>> 0];

test('bounded: never more slots than the capacity, whatever the number of destinations', () => {
  const t = new DestinationHeavyHitters(64);
  const memory = t.memoryBytes;
  for (let i = 0; i < 20_000; i++) t.observe(...v4(0xc6120000 + i));
  assert.equal(t.size, 64);
  assert.equal(t.evictions + t.notAdmitted, 20_000 - 64, 'every newcomer past the capacity evicted or not admitted');
  assert.ok(t.notAdmitted > 0 && t.evictions > 64);
  assert.equal(t.memoryBytes, memory, 'no growth');
});

test('admission is randomized (1 / (minimum + 1)); heavy destinations get in and stay among churn; the lowest count is the one evicted', () => {
  const t = new DestinationHeavyHitters(16);
  const heavy = [v4(0xcb007101), v4(0xcb007102), v6(1)];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 50_000; i++) {
    // A third of the samples go to three heavy destinations, the rest to 100,000 others.
    if (i % 3 === 0) t.observe(...heavy[(i / 3) % 3]!);
    else t.observe(...v4(0x64400000 + Math.floor(rand() * 100_000)));
  }
  for (const h of heavy) assert.ok(t.find(...h) >= 0, `heavy ${h} tracked`);
  // A newcomer is admitted with probability 1 / (minimum + 1); when it is, it takes the minimum's slot and starts
  // above that count (Space-Saving). Until then it is not tracked (-1).
  const minSlot = t.minimumSlot;
  const minCount = t.counts[minSlot]!;
  for (let s = 0; s < t.size; s++) assert.ok(t.counts[s]! >= minCount);
  let slot = -1;
  let tries = 0;
  while (slot < 0 && tries < 10_000) {
    slot = t.observe(...v4(0x01020304));
    tries++;
  }
  assert.equal(slot, minSlot);
  assert.equal(t.lastWasNew, true);
  assert.equal(t.counts[slot], minCount + 1);
  assert.equal(t.errors[slot], minCount);
  t.observe(...v4(0x01020304));
  assert.equal(t.lastWasNew, false);
});

test('the hash table stays consistent through evictions: tracked keys are found, evicted keys are not', () => {
  const t = new DestinationHeavyHitters(37);
  const live = new Map<string, number>();
  let seed = 99;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 30_000; i++) {
    const key = rand() < 0.5 ? v4(Math.floor(rand() * 200)) : v6(Math.floor(rand() * 200));
    const slot = t.observe(...key);
    live.set(key.join(','), slot);
  }
  let tracked = 0;
  for (let s = 0; s < t.size; s++) {
    const k = s * 4;
    const key: [number, number, number, number, number] = [t.family[s]!, t.words[k]!, t.words[k + 1]!, t.words[k + 2]!, t.words[k + 3]!];
    assert.equal(t.find(...key), s, `slot ${s} findable`);
    tracked++;
  }
  assert.equal(tracked, 37);
  let absent = 0;
  for (const keyText of live.keys()) {
    const key = keyText.split(',').map(Number) as [number, number, number, number, number];
    const slot = t.find(...key);
    if (slot < 0) absent++;
    else assert.deepEqual([t.family[slot], t.words[slot * 4], t.words[slot * 4 + 3]], [key[0], key[1], key[4]]);
  }
  assert.equal(absent, live.size - 37);
  // IPv4 and IPv6 keys with the same words are different destinations.
  const u = new DestinationHeavyHitters(4);
  u.observe(4, 5, 0, 0, 0);
  assert.equal(u.find(6, 5, 0, 0, 0), -1);
});

test('decay halves counts, so a destination that went quiet is overtaken by one that is busy now', () => {
  const t = new DestinationHeavyHitters(2);
  for (let i = 0; i < 1000; i++) t.observe(...v4(1));
  t.decay();
  assert.equal(t.counts[t.find(...v4(1))], 500);
  for (let d = 0; d < 6; d++) t.decay();
  // 1000 / 2^7 ≈ 7.8: a newcomer with 20 samples now ranks above the old heavy one.
  t.observe(...v4(2));
  for (let i = 0; i < 20; i++) t.observe(...v4(2));
  // v4(3) is admitted after about 1000 / 2^7 + 1 ≈ 9 tries; it takes the quiet one's slot.
  for (let i = 0; i < 1000 && t.find(...v4(3)) < 0; i++) t.observe(...v4(3));
  assert.ok(t.find(...v4(3)) >= 0);
  assert.ok(t.find(...v4(2)) >= 0);
  assert.equal(t.find(...v4(1)), -1, 'the quiet one was evicted, not the busy newcomer');
});

test('refuses a capacity that is not a positive integer', () => {
  assert.throws(() => new DestinationHeavyHitters(0), RangeError);
  assert.throws(() => new DestinationHeavyHitters(1.5), RangeError);
});
