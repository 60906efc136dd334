// What an attack's traffic looks like, gathered at each tick from the promoted subject's ring of recent samples:
// shares of sources, ports, protocols, vectors, packet sizes and TCP flags, the sampling rates seen, and a bounded
// reservoir of compact samples that the mitigation signature is fitted to. Also reads the subject's benign ring
// (traffic from before the attack) in the same compact form. Runs at tick time for attacked subjects only, so it
// may allocate; every map is bounded.
import { keyText, prefixMask, type ParsedKeyPrefix } from '../counting/address-key.js';
import { FlowFlag } from '../intake/flow-batch.js';
import { BENIGN_WORDS, metaFlags, metaProtocol, metaTcpFlags, metaVector, RING_WORDS, RingWord, type VectorWindowPool } from '../counting/vector-windows.js';
import { VECTOR_NAMES } from '../counting/vector.js';
import type { AttackProfile, Share } from './attack.js';

/** One sampled packet, as the signature needs it. */
export interface CompactSample {
  protocol: number;
  srcPort: number;
  /** Destination port; for ICMP, type << 8 | code. */
  dstPort: number;
  /** FlowSpec packet length: IPv4 total length, IPv6 payload length. */
  length: number;
  tcpFlags: number;
  /** FlowFlag bits (fragment, first fragment has L4, ...). */
  flags: number;
  vector: number;
  /** Packets it stands for (its sampling rate). */
  weight: number;
}

const MAX_KEYS = 4096;
const RESERVOIR = 2048;
export const SIZE_BUCKETS = [64, 128, 256, 512, 1024, 1280, 1500, 9000, 65535];

function bump<K>(map: Map<K, number>, key: K, weight: number): void {
  const v = map.get(key);
  if (v !== undefined) map.set(key, v + weight);
  else if (map.size < MAX_KEYS) map.set(key, weight);
}

function topShares<K>(map: Map<K, number>, total: number, pps: number, n: number): Share<K>[] {
  if (total <= 0) return [];
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, w]) => ({ key, share: round(w / total), pps: Math.round((w / total) * pps) }));
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function compactFrom(rate: number, portsWord: number, meta: number, lengthWord: number): CompactSample {
  const ipLength = lengthWord & 0xffff;
  const version = lengthWord >>> 16;
  return {
    protocol: metaProtocol(meta),
    srcPort: portsWord >>> 16,
    dstPort: portsWord & 0xffff,
    length: version === 6 ? Math.max(0, ipLength - 40) : ipLength,
    tcpFlags: metaTcpFlags(meta),
    flags: metaFlags(meta),
    vector: metaVector(meta),
    weight: rate || 1,
  };
}

export class ProfileAccumulator {
  private readonly sources = new Map<string, number>();
  private readonly destinations = new Map<string, number>();
  private readonly srcPorts = new Map<number, number>();
  private readonly dstPorts = new Map<number, number>();
  private readonly protocols = new Map<number, number>();
  private readonly vectors = new Map<number, number>();
  private readonly sizes = new Map<number, number>();
  private readonly tcpFlags = new Map<number, number>();
  readonly samplingRates = new Set<number>();
  readonly reservoir: CompactSample[] = [];
  private seen = 0;
  private rng: number;
  /** Weight (estimated packets) and number of samples taken in. */
  weight = 0;
  samples = 0;
  /** Samples the ring had already overwritten before a tick could read them. */
  missed = 0;
  /** Ring position read up to (samples ever pushed to the slot's ring). */
  cursor: number;

  /** Destination filter (a prefix's masked words and mask), or undefined: every destination. */
  private readonly dstNet: Uint32Array | undefined;
  private readonly dstMask: Uint32Array | undefined;

  constructor(
    private readonly vectorMask: number,
    startCursor: number,
    seed: number,
    /** Keep only samples to this prefix (a host-group aggregate's attack on one of its prefixes). */
    destination?: ParsedKeyPrefix,
  ) {
    this.cursor = startCursor;
    this.rng = seed >>> 0 || 1;
    if (destination) {
      this.dstMask = prefixMask(destination.length);
      this.dstNet = Uint32Array.from(destination.words, (w, i) => w & this.dstMask![i]!);
    }
  }

  private wantsDestination(ring: Uint32Array, w: number): boolean {
    const m = this.dstMask;
    const n = this.dstNet;
    if (m === undefined || n === undefined) return true;
    for (let i = 0; i < 4; i++) if (((ring[w + RingWord.dst + i]! & m[i]!) >>> 0) !== n[i]) return false;
    return true;
  }

  /** Reads the slot's ring from the cursor on, keeping samples whose vector is in the mask. */
  readRing(pool: VectorWindowPool, slot: number, fromTimeMs = -Infinity): void {
    const count = pool.ringCountOf(slot);
    let from = this.cursor;
    if (count - from > pool.ringSize) {
      this.missed += count - from - pool.ringSize;
      from = count - pool.ringSize;
    }
    const ring = pool.ring;
    for (let n = from; n < count; n++) {
      const r = slot * pool.ringSize + (n % pool.ringSize);
      if (pool.ringTimeOf(r) < fromTimeMs) continue;
      const w = r * RING_WORDS;
      const meta = ring[w + 10]!;
      if (((this.vectorMask >>> metaVector(meta)) & 1) === 0) continue;
      if (!this.wantsDestination(ring, w)) continue;
      const lengthWord = ring[w + 11]!;
      const family = lengthWord >>> 16;
      const rate = ring[w + 8]!;
      const s = compactFrom(rate, ring[w + 9]!, meta, lengthWord);
      this.take(s, keyText(family, ring[w]!, ring[w + 1]!, ring[w + 2]!, ring[w + 3]!), keyText(family, ring[w + 4]!, ring[w + 5]!, ring[w + 6]!, ring[w + 7]!), rate);
    }
    this.cursor = count;
  }

  private take(s: CompactSample, source: string, destination: string, rate: number): void {
    const w = s.weight;
    this.weight += w;
    this.samples++;
    if (this.samplingRates.size < 8) this.samplingRates.add(rate);
    bump(this.sources, source, w);
    bump(this.destinations, destination, w);
    if ((s.protocol === 6 || s.protocol === 17) && (s.flags & FlowFlag.hasL4) !== 0) {
      bump(this.srcPorts, s.srcPort, w);
      bump(this.dstPorts, s.dstPort, w);
    }
    bump(this.protocols, s.protocol, w);
    bump(this.vectors, s.vector, w);
    bump(this.sizes, SIZE_BUCKETS.find((b) => s.length <= b) ?? 65535, w);
    if (s.protocol === 6) bump(this.tcpFlags, s.tcpFlags, w);
    // Reservoir sampling keeps a uniform sample of the whole attack in bounded memory.
    this.seen++;
    if (this.reservoir.length < RESERVOIR) this.reservoir.push(s);
    else {
      const j = this.next() % this.seen;
      if (j < RESERVOIR) this.reservoir[j] = s;
    }
  }

  profile(pps: number, flashCrowdLikely: boolean, prefixTarget: boolean): AttackProfile {
    const t = this.weight;
    return {
      vectors: topShares(this.vectors, t, pps, 8).map((s) => ({ ...s, key: VECTOR_NAMES[s.key] ?? String(s.key) })),
      topDestinations: prefixTarget ? topShares(this.destinations, t, pps, 10) : [],
      topSources: topShares(this.sources, t, pps, 10),
      topSourcePorts: topShares(this.srcPorts, t, pps, 10),
      topDestinationPorts: topShares(this.dstPorts, t, pps, 10),
      protocols: topShares(this.protocols, t, pps, 8),
      packetSizes: [...this.sizes.entries()].sort((a, b) => a[0] - b[0]).map(([key, w]) => ({ key, share: round(w / t), pps: Math.round((w / t) * pps) })),
      tcpFlags: topShares(this.tcpFlags, t, pps, 8),
      flashCrowdLikely,
    };
  }

  private next(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }
}

/** Compact samples of a slot's ring at or after a time, whatever their vector (for classification at onset). */
export function recentSamples(pool: VectorWindowPool, slot: number, fromTimeMs: number): CompactSample[] {
  const out: CompactSample[] = [];
  const count = pool.ringCountOf(slot);
  const from = Math.max(0, count - pool.ringSize);
  for (let n = from; n < count; n++) {
    const r = slot * pool.ringSize + (n % pool.ringSize);
    if (pool.ringTimeOf(r) < fromTimeMs) continue;
    const w = r * RING_WORDS;
    out.push(compactFrom(pool.ring[w + 8]!, pool.ring[w + 9]!, pool.ring[w + 10]!, pool.ring[w + 11]!));
  }
  return out;
}

/** The slot's benign samples from ticks before `beforeTick` (traffic from before the attack's onset). */
export function benignSamples(pool: VectorWindowPool, slot: number, beforeTick: number): CompactSample[] {
  const out: CompactSample[] = [];
  const count = pool.benignCountOf(slot);
  const from = Math.max(0, count - pool.benignSize);
  const b = pool.benign;
  for (let n = from; n < count; n++) {
    const at = (slot * pool.benignSize + (n % pool.benignSize)) * BENIGN_WORDS;
    if (b[at + 4]! >= beforeTick) continue;
    out.push(compactFrom(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!));
  }
  return out;
}

/** Earliest time of a ring sample whose vector is in the mask, at or after fromTimeMs; and whether the ring reached back that far. */
export function earliestRingTime(pool: VectorWindowPool, slot: number, vectorMask: number, fromTimeMs: number): { time: number; complete: boolean } {
  const count = pool.ringCountOf(slot);
  const from = Math.max(0, count - pool.ringSize);
  let earliest = Infinity;
  let oldestInRing = Infinity;
  for (let n = from; n < count; n++) {
    const r = slot * pool.ringSize + (n % pool.ringSize);
    const t = pool.ringTimeOf(r);
    if (t < oldestInRing) oldestInRing = t;
    if (t < fromTimeMs) continue;
    const meta = pool.ring[r * RING_WORDS + RingWord.meta]!;
    if (((vectorMask >>> metaVector(meta)) & 1) === 0) continue;
    if (t < earliest) earliest = t;
  }
  return { time: earliest, complete: from === 0 || oldestInRing < fromTimeMs };
}
