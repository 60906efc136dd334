// bench/api/traffic-read.ts: what the traffic summary's once-a-second read of every destination costs
// (counting/traffic-summary.ts), on one thread with nothing else running: the one-pass sum it uses
// (TrafficWindowTable.windowSums) against reading field by field as it did before: windowPackets per destination,
// and windowBytes as well while a prefix is watched (an attack on a prefix, a prefix's series open in the panel).
// windowPackets and windowBytes are now each one windowSums call (the table has one window sum), so the per-field read
// walks the buckets once per field; until 2026-11-30 it also took a modulo per bucket, so the figures in
// docs/benchmarks.md measured then compare with that older read.
// Destinations are IPv4 addresses with traffic in 7 of the 10 ticks of the window on average.
// Usage: node --conditions=source --import tsx bench/api/traffic-read.ts [--destinations 100000,1000000] [--reads 20]
import { parseArgs } from 'node:util';
import { TrafficWindowTable } from '../../appliance/src/counting/traffic-window.js';

const { values } = parseArgs({ options: { destinations: { type: 'string', default: '100000,1000000' }, reads: { type: 'string', default: '20' } } });
const reads = Number(values.reads);
const W = 10;

function table(n: number): TrafficWindowTable {
  const t = new TrafficWindowTable({ capacity: n * 2, windowTicks: W });
  const key = new Uint32Array(4);
  let seed = 42;
  const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    key[0] = (0x64400000 + i) >>> 0;
    const at = t.locate(4 | (32 << 8), key, 0);
    const e = at >= 0 ? at : t.insert(at, 4 | (32 << 8), key, 0, 0);
    for (let tick = 100; tick < 100 + W; tick++) if (random() < 0.7) t.add(e, tick, 1000, 100_000);
  }
  return t;
}

function timed(read: () => number): { medianMs: number; maxMs: number; sum: number } {
  for (let i = 0; i < 5; i++) read();
  const times: number[] = [];
  let sum = 0;
  for (let i = 0; i < reads; i++) {
    const started = performance.now();
    sum = read();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { medianMs: Number(times[Math.floor(reads / 2)]!.toFixed(2)), maxMs: Number(times[reads - 1]!.toFixed(2)), sum };
}

for (const n of values.destinations!.split(',').map(Number)) {
  const t = table(n);
  const T = 100 + W - 1;
  const out = new Float64Array(2);
  const before = (withBytes: boolean) => (): number => {
    let s = 0;
    for (let e = 0; e < t.usedEntries; e++) {
      if (t.tagOf(e) === 0 || t.newestTick(e) < T - W + 1) continue;
      s += t.windowPackets(e, T);
      if (withBytes) s += t.windowBytes(e, T) * 0;
    }
    return s;
  };
  const onePass = (): number => {
    let s = 0;
    for (let e = 0; e < t.usedEntries; e++) {
      if (t.tagOf(e) === 0) continue;
      t.windowSums(e, T, out);
      s += out[0]!;
    }
    return s;
  };
  // Taking turns, twice, so neither order nor warm-up favours one.
  const variants = { packets: before(false), packetsAndBytes: before(true), onePass };
  const times = new Map<string, ReturnType<typeof timed>[]>();
  for (let round = 0; round < 2; round++) for (const [name, read] of Object.entries(variants)) times.set(name, [...(times.get(name) ?? []), timed(read)]);
  const sums = new Set([...times.values()].flat().map((r) => r.sum));
  if (sums.size !== 1) throw new Error('the reads disagree');
  const best = (name: string) => [...times.get(name)!].sort((a, b) => a.medianMs - b.medianMs)[0]!;
  const [a, b, c] = [best('packets'), best('packetsAndBytes'), best('onePass')];
  console.log(`${n.toLocaleString('en')} destinations, median (max) of ${reads} reads: per field, no prefix watched ${a.medianMs} ms (${a.maxMs}); per field, a prefix watched ${b.medianMs} ms (${b.maxMs}); one pass ${c.medianMs} ms (${c.maxMs}) — ${(a.medianMs / c.medianMs).toFixed(1)}x and ${(b.medianMs / c.medianMs).toFixed(1)}x`);
}
