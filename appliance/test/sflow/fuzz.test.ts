// Fuzzes the sFlow decoder with mutated real-looking datagrams: bit flips, byte replacements, boundary values
// (0, 1, 0xff, 0x7fffffff, 0xffffffff, ...) written into the datagram's length and count fields, truncations,
// splices of two datagrams, inserted and deleted bytes (misalignment) and random garbage. It asserts that no
// exception escapes decode(), each call returns quickly, the status is a known code, the counts agree with
// what the visitor saw, every delivered view is in range, and the heap does not grow.
// Bounded: stops at 300k cases or 15 s, whichever comes first. BW_FUZZ_SEED replays one run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { datagramStatusNames, DatagramStatus, SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import type { CounterSample, FlowSample, SflowVisitor } from '../../src/sflow/flow-sample.js';
import { compactIcmp, expandedTcp } from '../support/goflow2-datagrams.js';
import { realisticDatagrams } from '../support/sflow-corpus.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const maxCases = 300_000;
const timeBudgetMs = 15_000;
/**
 * A decode takes microseconds; the bound leaves room for a GC pause or a busy machine, and stays far below
 * the seconds a loop spinning on a 2^32 count would take.
 */
const maxDecodeMs = 250;
const boundaryWords = [0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const readU32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/**
 * Offsets of the words a hostile datagram most wants to corrupt: sample count, sample and record lengths,
 * record counts, sampled-header lengths, AS path and community counts. Found by walking the well-formed seed.
 */
function lengthFieldOffsets(d: Uint8Array): number[] {
  const out: number[] = [];
  const addressLength = readU32(d, 4) === 2 ? 16 : 4;
  let p = 8 + addressLength + 12;
  out.push(p);
  const samples = readU32(d, p);
  p += 4;
  for (let i = 0; i < samples && p + 8 <= d.length; i++) {
    const format = readU32(d, p);
    const length = readU32(d, p + 4);
    out.push(p, p + 4);
    const body = p + 8;
    const countAt = format === 1 ? body + 28 : format === 3 ? body + 40 : format === 2 ? body + 8 : format === 4 ? body + 12 : -1;
    if (countAt >= 0 && countAt + 4 <= d.length) {
      out.push(countAt);
      let r = countAt + 4;
      const records = readU32(d, countAt);
      for (let k = 0; k < records && r + 8 <= body + length; k++) {
        out.push(r, r + 4);
        const recordFormat = readU32(d, r);
        if ((format === 1 || format === 3) && recordFormat === 1) out.push(r + 8 + 12);
        if (recordFormat === 1003) for (let w = r + 8; w < r + 8 + readU32(d, r + 4); w += 4) out.push(w);
        r += 8 + readU32(d, r + 4);
      }
    }
    p = body + length;
  }
  return out.filter((o) => o + 4 <= d.length);
}

class CheckingVisitor implements SflowVisitor {
  flows = 0;
  counters = 0;
  problem: string | undefined;
  length = 0;

  onFlowSample(s: FlowSample, datagram: Uint8Array): void {
    this.flows++;
    if (datagram.length !== this.length) this.problem = 'visitor got another buffer';
    if (s.headerOffset + s.headerLength > datagram.length) this.problem = `header bytes ${s.headerOffset}+${s.headerLength} past ${datagram.length}`;
    if (s.asPathLength > s.asPath.length || s.communityCount > s.communities.length) this.problem = 'AS path or community count past its array';
    if (s.srcPort > 0xffffffff || s.vlanOuter > 4095 || s.vlanInner > 4095 || s.ttl > 255) this.problem = 'field out of range';
    if (s.ipVersion !== 0 && s.ipVersion !== 4 && s.ipVersion !== 6) this.problem = `ipVersion ${s.ipVersion}`;
  }

  onCounterSample(c: CounterSample): void {
    this.counters++;
    if (!Number.isFinite(c.interface.inOctets)) this.problem = 'counter not finite';
  }
}

test('fuzz: mutated datagrams never throw, hang, leak or return an unknown status', (t) => {
  const seed = Number(process.env.BW_FUZZ_SEED ?? 0x5eed1e55);
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const seeds = [...realisticDatagrams(), compactIcmp, expandedTcp].map((d) => Uint8Array.from(d));
  const fields = seeds.map(lengthFieldOffsets);
  const decoder = new SflowDecoder();
  const visitor = new CheckingVisitor();
  const statusCounts = new Array<number>(datagramStatusNames.length).fill(0);
  let malformed = 0;
  let maxMs = 0;

  const mutate = (): Uint8Array => {
    const which = int(seeds.length);
    let d: Uint8Array = seeds[which]!.slice();
    const rounds = 1 + int(4);
    for (let r = 0; r < rounds; r++) {
      const kind = int(9);
      if (kind === 0 && d.length > 0) {
        for (let k = 1 + int(8); k > 0; k--) d[int(d.length)]! ^= 1 << int(8);
      } else if (kind === 1 && d.length > 0) {
        d[int(d.length)] = [0, 0xff, 0x7f, 0x80, int(256)][int(5)]!;
      } else if (kind === 2 || kind === 3) {
        // Boundary value into a length/count field (or any aligned word, to reach fields the walk missed).
        const offsets = fields[which]!;
        const at = kind === 2 && offsets.length > 0 ? offsets[int(offsets.length)]! : int(Math.max(1, d.length >> 2)) * 4;
        if (at + 4 <= d.length) {
          const w = random() < 0.8 ? boundaryWords[int(boundaryWords.length)]! : (readU32(d, at) + int(64) - 32) >>> 0;
          d[at] = w >>> 24;
          d[at + 1] = (w >>> 16) & 0xff;
          d[at + 2] = (w >>> 8) & 0xff;
          d[at + 3] = w & 0xff;
        }
      } else if (kind === 4) {
        d = d.slice(0, int(d.length + 1));
      } else if (kind === 5) {
        const other = seeds[int(seeds.length)]!;
        const cut = random() < 0.5 ? int(d.length + 1) & ~3 : int(d.length + 1);
        const from = random() < 0.5 ? int(other.length + 1) & ~3 : int(other.length + 1);
        const spliced = new Uint8Array(cut + other.length - from);
        spliced.set(d.subarray(0, cut));
        spliced.set(other.subarray(from), cut);
        d = spliced;
      } else if (kind === 6) {
        // Insert or delete 1-3 bytes: everything after is misaligned.
        const at = int(d.length + 1);
        const n = 1 + int(3);
        const shifted = random() < 0.5 ? new Uint8Array(d.length + n) : new Uint8Array(Math.max(0, d.length - n));
        if (shifted.length > d.length) {
          shifted.set(d.subarray(0, at));
          shifted.set(d.subarray(at), at + n);
        } else {
          shifted.set(d.subarray(0, Math.min(at, shifted.length)));
          if (at + n < d.length) shifted.set(d.subarray(at + n), at);
        }
        d = shifted;
      } else if (kind === 7) {
        // Garbage after a valid header, so the garbage reaches the sample walk.
        const keep = random() < 0.5 ? 28 : int(d.length + 1);
        const g = new Uint8Array(keep + int(1500));
        g.set(d.subarray(0, Math.min(keep, d.length)));
        for (let i = keep; i < g.length; i++) g[i] = int(256);
        d = g;
      } else {
        const g = new Uint8Array(int(1600));
        for (let i = 0; i < g.length; i++) g[i] = int(256);
        if (g.length >= 4 && random() < 0.7) g.set([0, 0, 0, 5]);
        d = g;
      }
    }
    return d;
  };

  // Warm up so timings measure optimized code, then take the heap baseline.
  for (let i = 0; i < 20_000; i++) {
    const d = mutate();
    visitor.length = d.length;
    decoder.decode(d, visitor);
  }
  assert.equal(visitor.problem, undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;

  const started = performance.now();
  let cases = 0;
  while (cases < maxCases && performance.now() - started < timeBudgetMs) {
    const d = mutate();
    cases++;
    visitor.flows = 0;
    visitor.counters = 0;
    visitor.length = d.length;
    const t0 = performance.now();
    let status: number;
    try {
      status = decoder.decode(d, visitor);
    } catch (err) {
      assert.fail(`decode threw on case ${cases} (seed ${seed}): ${String(err)}\n${Buffer.from(d).toString('hex')}`);
    }
    const ms = performance.now() - t0;
    if (ms > maxMs) maxMs = ms;
    const replay = (): string => `case ${cases} (seed ${seed}): ${Buffer.from(d).toString('hex')}`;
    assert.ok(ms < maxDecodeMs, `decode took ${ms} ms on ${replay()}`);
    assert.ok(Number.isInteger(status) && status >= 0 && status < datagramStatusNames.length, `unknown status ${status} on ${replay()}`);
    statusCounts[status]!++;
    assert.equal(visitor.problem, undefined, `${visitor.problem} on ${replay()}`);
    assert.equal(visitor.flows, decoder.lastFlowSamples, replay());
    assert.equal(visitor.counters, decoder.lastCounterSamples, replay());
    const accounted = decoder.lastFlowSamples + decoder.lastCounterSamples + decoder.lastSkippedSamples + decoder.lastMalformedSamples;
    if (status === DatagramStatus.ok) assert.equal(accounted, decoder.header.sampleCount, replay());
    else assert.equal(accounted, 0, replay());
    malformed += decoder.lastMalformedSamples;
  }
  const seconds = (performance.now() - started) / 1000;
  gc();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

  const byStatus = datagramStatusNames.map((name, i) => `${name}=${statusCounts[i]}`).join(' ');
  t.diagnostic(`fuzz: ${cases} cases in ${seconds.toFixed(1)} s (seed ${seed}); slowest decode ${maxMs.toFixed(2)} ms; heap ${heapGrowth >= 0 ? '+' : ''}${(heapGrowth / 1024).toFixed(0)} KiB; ${byStatus}; malformed samples ${malformed}`);
  assert.ok(cases >= 10_000, `only ${cases} cases ran`);
  assert.ok(heapGrowth < 16 * 1024 * 1024, `heap grew by ${heapGrowth} bytes`);
  // The corpus and mutations must reach deep enough to exercise every outcome, not just the framing checks.
  for (const [i, n] of statusCounts.entries()) assert.ok(n > 0, `no case ended with ${datagramStatusNames[i]}`);
  assert.ok(malformed > 0, 'no case reached the malformed-sample path');
});
