// Per-destination totals (samples, estimated packets and bytes, last seen) in an open-addressing hash table
// laid out in typed arrays: adding a sample allocates nothing and touches a few cache lines. Keys are IPv4 or
// IPv6 addresses as four 32-bit words plus a family byte. The number of entries is bounded: once full, new
// destinations are counted in an overflow total (never silently lost), and evictIdle() frees entries not
// seen for a while. This module counts; it knows nothing of windows, thresholds or attacks.

/** Totals of one destination, as read out of the table (allocation is fine off the hot path). */
export interface DestinationTotals {
  address: string;
  samples: number;
  packets: number;
  bytes: number;
  lastSeenMs: number;
}

/** Destinations held at once unless told otherwise: ~32 MiB per generation (two generations). */
export const defaultDestinationCapacity = 262_144;

const EMPTY = 0;
/** One slot = one 64-byte cache line: u32 words 0 family, 1..4 key; f64 3 samples, 4 packets, 5 bytes, 6 last seen. */
const SLOT_BYTES = 64;
const U32_PER_SLOT = SLOT_BYTES / 4;
const F64_PER_SLOT = SLOT_BYTES / 8;
const F_SAMPLES = 3;
const F_PACKETS = 4;
const F_BYTES = 5;
const F_LAST_SEEN = 6;

/**
 * One generation of storage; two exist so eviction can rebuild without allocating. A slot's key and counters
 * share one cache line, so adding a sample costs one cache miss, not one per field array.
 */
class Slots {
  readonly u32: Uint32Array;
  readonly f64: Float64Array;

  constructor(readonly size: number) {
    const buffer = new ArrayBuffer(size * SLOT_BYTES);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  family(i: number): number {
    return this.u32[i * U32_PER_SLOT]!;
  }

  clear(): void {
    this.u32.fill(0);
  }
}

export class DestinationTable {
  /** Most destinations held at once. */
  readonly capacity: number;
  private slots: Slots;
  private spare: Slots;
  private readonly mask: number;
  private entries = 0;
  /** Samples, packets and bytes that found the table full. */
  overflowSamples = 0;
  overflowPackets = 0;
  overflowBytes = 0;
  /** Entries removed by evictIdle() over the table's life. */
  evicted = 0;
  /** Totals over every sample added, held or overflowed: what the intake handed over. */
  totalSamples = 0;
  totalPackets = 0;
  totalBytes = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
    // Load factor ≤ 0.5 keeps linear-probe chains short even when the table is full.
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Slots(size);
    this.spare = new Slots(size);
  }

  get size(): number {
    return this.entries;
  }

  /**
   * Adds one sample of `packets` packets and `bytes` bytes to the destination whose key words are w0..w3
   * (IPv4: w0 = the address bytes read as a little-endian u32, w1..w3 = 0). Returns false on overflow.
   */
  add(family: number, w0: number, w1: number, w2: number, w3: number, packets: number, bytes: number, nowMs: number): boolean {
    this.totalSamples++;
    this.totalPackets += packets;
    this.totalBytes += bytes;
    const u32 = this.slots.u32;
    const f64 = this.slots.f64;
    let i = hash(family, w0, w1, w2, w3) & this.mask;
    for (;;) {
      const k = i * U32_PER_SLOT;
      const f = u32[k]!;
      if (f === EMPTY) {
        if (this.entries >= this.capacity) {
          this.overflowSamples++;
          this.overflowPackets += packets;
          this.overflowBytes += bytes;
          return false;
        }
        u32[k] = family;
        u32[k + 1] = w0;
        u32[k + 2] = w1;
        u32[k + 3] = w2;
        u32[k + 4] = w3;
        const v = i * F64_PER_SLOT;
        f64[v + F_SAMPLES] = 1;
        f64[v + F_PACKETS] = packets;
        f64[v + F_BYTES] = bytes;
        f64[v + F_LAST_SEEN] = nowMs;
        this.entries++;
        return true;
      }
      if (f === family && u32[k + 1] === w0 && u32[k + 2] === w1 && u32[k + 3] === w2 && u32[k + 4] === w3) {
        const v = i * F64_PER_SLOT;
        f64[v + F_SAMPLES]!++;
        f64[v + F_PACKETS]! += packets;
        f64[v + F_BYTES]! += bytes;
        f64[v + F_LAST_SEEN] = nowMs;
        return true;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Totals for one address (text form, IPv4 or IPv6), or undefined. */
  get(address: string): DestinationTotals | undefined {
    const words = addressWords(address);
    if (!words) return undefined;
    const i = this.find(words[0]!, words[1]!, words[2]!, words[3]!, words[4]!);
    return i < 0 ? undefined : this.read(this.slots, i);
  }

  /** Every entry, for reports and tests (allocates). */
  *all(): IterableIterator<DestinationTotals> {
    const s = this.slots;
    for (let i = 0; i < s.size; i++) if (s.family(i) !== EMPTY) yield this.read(s, i);
  }

  /** The n destinations with the most packets (or bytes), for reports. */
  top(n: number, by: 'packets' | 'bytes' = 'packets'): DestinationTotals[] {
    const s = this.slots;
    const field = by === 'packets' ? F_PACKETS : F_BYTES;
    const value = (i: number) => s.f64[i * F64_PER_SLOT + field]!;
    const picked: number[] = [];
    for (let i = 0; i < s.size; i++) {
      if (s.family(i) === EMPTY) continue;
      if (picked.length < n) {
        picked.push(i);
        if (picked.length === n) picked.sort((a, b) => value(b) - value(a));
      } else if (value(i) > value(picked[n - 1]!)) {
        picked[n - 1] = i;
        picked.sort((a, b) => value(b) - value(a));
      }
    }
    picked.sort((a, b) => value(b) - value(a));
    return picked.map((i) => this.read(s, i));
  }

  /** Removes entries last seen before cutoffMs by rebuilding into the spare storage; returns how many went. */
  evictIdle(cutoffMs: number): number {
    const from = this.slots;
    const to = this.spare;
    to.clear();
    let kept = 0;
    for (let i = 0; i < from.size; i++) {
      const k = i * U32_PER_SLOT;
      const f = from.u32[k]!;
      if (f === EMPTY || from.f64[i * F64_PER_SLOT + F_LAST_SEEN]! < cutoffMs) continue;
      let j = hash(f, from.u32[k + 1]!, from.u32[k + 2]!, from.u32[k + 3]!, from.u32[k + 4]!) & this.mask;
      while (to.family(j) !== EMPTY) j = (j + 1) & this.mask;
      // A slot moves whole: key and counters share its 64 bytes.
      to.u32.set(from.u32.subarray(k, k + U32_PER_SLOT), j * U32_PER_SLOT);
      kept++;
    }
    const removed = this.entries - kept;
    this.slots = to;
    this.spare = from;
    this.entries = kept;
    this.evicted += removed;
    return removed;
  }

  private find(family: number, w0: number, w1: number, w2: number, w3: number): number {
    const u32 = this.slots.u32;
    let i = hash(family, w0, w1, w2, w3) & this.mask;
    for (;;) {
      const k = i * U32_PER_SLOT;
      const f = u32[k]!;
      if (f === EMPTY) return -1;
      if (f === family && u32[k + 1] === w0 && u32[k + 2] === w1 && u32[k + 3] === w2 && u32[k + 4] === w3) return i;
      i = (i + 1) & this.mask;
    }
  }

  private read(s: Slots, i: number): DestinationTotals {
    const k = i * U32_PER_SLOT;
    const v = i * F64_PER_SLOT;
    return {
      address: wordsToAddress(s.u32[k]!, s.u32[k + 1]!, s.u32[k + 2]!, s.u32[k + 3]!, s.u32[k + 4]!),
      samples: s.f64[v + F_SAMPLES]!,
      packets: s.f64[v + F_PACKETS]!,
      bytes: s.f64[v + F_BYTES]!,
      lastSeenMs: s.f64[v + F_LAST_SEEN]!,
    };
  }
}

/** murmur3's 32-bit finalizer over the mixed words: cheap, and spreads sequential addresses well. */
function hash(family: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ family, 0xcc9e2d51);
  h ^= Math.imul(w1, 0x1b873593);
  h ^= Math.imul(w2, 0x85ebca6b);
  h ^= Math.imul(w3, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Address text → [family, w0, w1, w2, w3] in the table's key form, or undefined if not an address. */
export function addressWords(address: string): [number, number, number, number, number] | undefined {
  const bytes = parseAddress(address);
  if (!bytes) return undefined;
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, 4);
  return [address.includes(':') ? 6 : 4, w[0]!, w[1]!, w[2]!, w[3]!];
}

function parseAddress(address: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  if (!address.includes(':')) {
    const parts = address.split('.');
    if (parts.length !== 4) return undefined;
    for (let i = 0; i < 4; i++) {
      const n = Number(parts[i]);
      if (!/^\d{1,3}$/.test(parts[i]!) || n > 255) return undefined;
      out[i] = n;
    }
    return out;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (head.length + tail.length > 8) return undefined;
  const groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i]!)) return undefined;
    const n = parseInt(groups[i]!, 16);
    out[i * 2] = n >>> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  return out;
}

/** The table's key words back to address text (RFC 5952 form for IPv6). */
export function wordsToAddress(family: number, w0: number, w1: number, w2: number, w3: number): string {
  const b = new Uint8Array(new Uint32Array([w0, w1, w2, w3]).buffer);
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
