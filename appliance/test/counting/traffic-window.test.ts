// The level-one window table: sliding-window sums with lazy bucket clearing, out-of-order and late samples,
// capacity, and removal (backward-shift deletion must keep every other key findable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
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

test('windowSums, windowPackets and windowBytes give the ring\'s sums at any read tick (behind, at and ahead of the newest)', () => {
  const W = 10;
  const t = new TrafficWindowTable({ capacity: 16, windowTicks: W });
  const e = insert(t, '198.51.100.9');
  const out = new Float64Array(2);
  // A model of the ring, kept apart from the table: the packets and bytes each tick received (samples the table took).
  const byTick = new Map<number, [number, number]>();
  let newest = -1;
  // The buckets of ticks (read - W, min(read, newest)]: each holds the tick of (newest - W, newest] at its position.
  const expected = (read: number): [number, number] => {
    const sums: [number, number] = [0, 0];
    if (newest < 0 || newest <= read - W) return sums;
    for (let tick = Math.max(0, read - W + 1); tick <= Math.min(read, newest); tick++) {
      const held = newest - ((((newest - tick) % W) + W) % W);
      const [p, b] = byTick.get(held) ?? [0, 0];
      sums[0] += p;
      sums[1] += b;
    }
    return sums;
  };
  let seed = 777;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let tick = 0;
  let checked = 0;
  for (let n = 0; n < 2000; n++) {
    const r = random();
    tick = Math.max(0, tick + (r < 0.7 ? 1 : r < 0.85 ? 2 + Math.floor(random() * 12) : -Math.floor(random() * (W - 1))));
    const packets = 1 + Math.floor(random() * 40);
    const bytes = 100 + Math.floor(random() * 4000);
    if (t.add(e, tick, packets, bytes)) {
      const [p, b] = byTick.get(tick) ?? [0, 0];
      byTick.set(tick, [p + packets, b + bytes]);
      newest = Math.max(newest, tick);
    }
    for (const read of [tick - W - 1, tick - 3, tick - 1, tick, tick + 1, tick + 4, tick + W, tick + W + 2]) {
      if (read < 0) continue;
      t.windowSums(e, read, out);
      const want = expected(read);
      assert.deepEqual([out[0], out[1]], want, `after ${n} adds, read at ${read} (newest ${newest})`);
      assert.deepEqual([t.windowPackets(e, read), t.windowBytes(e, read)], want);
      checked++;
    }
  }
  assert.ok(checked > 15_000);
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

// ---- the slow rate (detection's quiet-before rule) ------------------------------------------------------------

/**
 * The slow rate by its definition, from every tick's packets: S(R) = Σ_{j ≤ R} (1 - d) d^(R - j) x_j over the ticks
 * up to R = (read tick or the newest tick, whichever is later) - W, in packets/s.
 */
function referenceSlowPps(perTick: Map<number, number>, readTick: number, newest: number, W: number, tickMs: number, slowSeconds: number): number {
  const d = Math.exp(-tickMs / (slowSeconds * 1000));
  const R = Math.max(readTick, newest) - W;
  let s = 0;
  for (const [j, x] of perTick) if (j <= R) s += (1 - d) * d ** (R - j) * x;
  return (s * 1000) / tickMs;
}

test('the slow rate follows a known rate: 1 - e^-1 of it one time constant after it left the window, all of it after ten', () => {
  const t = new TrafficWindowTable({ capacity: 16, windowTicks: 10, tickMs: 100, slowSeconds: 10 });
  const e = insert(t, '198.51.100.3');
  assert.equal(t.slowPps(e, 0), 0, 'a new entry starts at 0');
  // 100 packets per 100 ms tick: 1,000 packets/s.
  for (let tick = 0; tick < 1000; tick++) t.add(e, tick, 100, 10_000);
  // At tick 109 the window is (99, 109]: ticks 0..99 (10 s = one time constant) have left it.
  const early = new TrafficWindowTable({ capacity: 16, windowTicks: 10, tickMs: 100, slowSeconds: 10 });
  const f = insert(early, '198.51.100.4');
  for (let tick = 0; tick <= 109; tick++) early.add(f, tick, 100, 10_000);
  assert.ok(Math.abs(early.slowPps(f, 109) - 1000 * (1 - Math.exp(-1))) < 0.5, `${early.slowPps(f, 109)}`);
  assert.ok(Math.abs(t.slowPps(e, 999) - 1000) < 0.5, `${t.slowPps(e, 999)} after 99 s`);
  // Nothing more arrives: read ahead, the rate decays (read side only), e^-1 per 10 s once the ring has left too.
  const at1009 = t.slowPps(e, 1009);
  assert.ok(Math.abs(at1009 - 1000) < 0.5, 'the ring (ticks 990..999) left the window: still 1,000 packets/s');
  assert.ok(Math.abs(t.slowPps(e, 1109) - at1009 * Math.exp(-1)) < 0.5, `${t.slowPps(e, 1109)}`);
  assert.ok(Math.abs(t.slowPps(e, 1009 + 1000) - at1009 * Math.exp(-10)) < 0.01);
  assert.equal(t.windowPackets(e, 999), 1000, 'reading the slow rate changed nothing');
});

test('the slow rate equals its definition under gaps shorter and longer than the window and out-of-order samples, read at any later tick', () => {
  const W = 10;
  const t = new TrafficWindowTable({ capacity: 16, windowTicks: W, tickMs: 100, slowSeconds: 3 });
  const e = insert(t, '2001:db8::5');
  const perTick = new Map<number, number>();
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let tick = 0;
  let newest = -1;
  for (let n = 0; n < 3000; n++) {
    const r = random();
    // Mostly the next tick; sometimes a gap under the window, sometimes over it; sometimes a late sample.
    const step = r < 0.7 ? 1 : r < 0.85 ? 2 + Math.floor(random() * 7) : r < 0.95 ? W + Math.floor(random() * 100) : -Math.floor(random() * (W - 1));
    tick = Math.max(0, tick + step);
    const packets = 1 + Math.floor(random() * 50);
    if (t.add(e, tick, packets, packets * 100)) {
      perTick.set(tick, (perTick.get(tick) ?? 0) + packets);
      newest = Math.max(newest, tick);
    }
    if (n % 50 === 0) {
      for (const ahead of [0, 3, W, W + 7, 250]) {
        const read = newest + ahead;
        const want = referenceSlowPps(perTick, read, newest, W, 100, 3);
        const got = t.slowPps(e, read);
        assert.ok(Math.abs(got - want) <= 1e-4 * want + 1e-3, `after ${n} adds, read at newest + ${ahead}: ${got} ≠ ${want}`);
      }
    }
  }
});

test('adding samples with the slow rate folding in allocates nothing (ticks advancing, gaps under and over the window)', async () => {
  const t = new TrafficWindowTable({ capacity: 1024, windowTicks: 10, tickMs: 100, slowSeconds: 10 });
  const entries = Array.from({ length: 1000 }, (_, i) => insert(t, `198.18.${i >> 8}.${i & 255}`));
  const round = (from: number): number => {
    let n = 0;
    for (let tick = from; tick < from + 300; tick++) {
      for (let i = 0; i < 1000; i++) {
        // Entry i gets a sample every (i mod 23) + 1 ticks: gaps from 1 to 23 ticks (the window is 10).
        if (tick % ((i % 23) + 1) !== 0) continue;
        t.add(entries[i]!, tick, 1000, 1_500_000);
        n++;
      }
    }
    return n;
  };
  round(0);
  const rounds: string[] = [];
  for (let r = 1; r <= 3; r++) {
    let scavenges = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
    });
    observer.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    const added = round(r * 300);
    const grown = process.memoryUsage().heapUsed - before;
    await new Promise((resolve) => setTimeout(resolve, 20));
    observer.disconnect();
    rounds.push(`round ${r}: ${scavenges} minor GCs, heap grew ${grown} bytes over ${added} adds`);
    if (scavenges === 0 && grown < 64 * 1024) return;
  }
  assert.fail(`add() allocated in every round:\n${rounds.join('\n')}`);
});
