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

const EMPTY = 0;

/** One generation of storage; two exist so eviction can rebuild without allocating. */
class Slots {
  readonly family: Uint8Array;
  readonly key: Uint32Array;
  readonly samples: Float64Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly lastSeen: Float64Array;

  constructor(readonly size: number) {
    this.family = new Uint8Array(size);
    this.key = new Uint32Array(size * 4);
    this.samples = new Float64Array(size);
    this.packets = new Float64Array(size);
    this.bytes = new Float64Array(size);
    this.lastSeen = new Float64Array(size);
  }

  clear(): void {
    this.family.fill(0);
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
    const s = this.slots;
    const fam = s.family;
    const key = s.key;
    let i = hash(family, w0, w1, w2, w3) & this.mask;
    for (;;) {
      const f = fam[i]!;
      if (f === EMPTY) {
        if (this.entries >= this.capacity) {
          this.overflowSamples++;
          this.overflowPackets += packets;
          this.overflowBytes += bytes;
          return false;
        }
        fam[i] = family;
        const k = i << 2;
        key[k] = w0;
        key[k + 1] = w1;
        key[k + 2] = w2;
        key[k + 3] = w3;
        s.samples[i] = 1;
        s.packets[i] = packets;
        s.bytes[i] = bytes;
        s.lastSeen[i] = nowMs;
        this.entries++;
        return true;
      }
      const k = i << 2;
      if (f === family && key[k] === w0 && key[k + 1] === w1 && key[k + 2] === w2 && key[k + 3] === w3) {
        s.samples[i]!++;
        s.packets[i]! += packets;
        s.bytes[i]! += bytes;
        s.lastSeen[i] = nowMs;
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
    for (let i = 0; i < s.size; i++) if (s.family[i] !== EMPTY) yield this.read(s, i);
  }

  /** The n destinations with the most packets (or bytes), for reports. */
  top(n: number, by: 'packets' | 'bytes' = 'packets'): DestinationTotals[] {
    const s = this.slots;
    const values = by === 'packets' ? s.packets : s.bytes;
    const picked: number[] = [];
    for (let i = 0; i < s.size; i++) {
      if (s.family[i] === EMPTY) continue;
      if (picked.length < n) {
        picked.push(i);
        if (picked.length === n) picked.sort((a, b) => values[b]! - values[a]!);
      } else if (values[i]! > values[picked[n - 1]!]!) {
        picked[n - 1] = i;
        picked.sort((a, b) => values[b]! - values[a]!);
      }
    }
    picked.sort((a, b) => values[b]! - values[a]!);
    return picked.map((i) => this.read(s, i));
  }

  /** Removes entries last seen before cutoffMs by rebuilding into the spare storage; returns how many went. */
  evictIdle(cutoffMs: number): number {
    const from = this.slots;
    const to = this.spare;
    to.clear();
    let kept = 0;
    for (let i = 0; i < from.size; i++) {
      const f = from.family[i]!;
      if (f === EMPTY || from.lastSeen[i]! < cutoffMs) continue;
      const k = i << 2;
      let j = hash(f, from.key[k]!, from.key[k + 1]!, from.key[k + 2]!, from.key[k + 3]!) & this.mask;
      while (to.family[j] !== EMPTY) j = (j + 1) & this.mask;
      to.family[j] = f;
      to.key.set(from.key.subarray(k, k + 4), j << 2);
      to.samples[j] = from.samples[i]!;
      to.packets[j] = from.packets[i]!;
      to.bytes[j] = from.bytes[i]!;
      to.lastSeen[j] = from.lastSeen[i]!;
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
    const s = this.slots;
    let i = hash(family, w0, w1, w2, w3) & this.mask;
    for (;;) {
      const f = s.family[i]!;
      if (f === EMPTY) return -1;
      const k = i << 2;
      if (f === family && s.key[k] === w0 && s.key[k + 1] === w1 && s.key[k + 2] === w2 && s.key[k + 3] === w3) return i;
      i = (i + 1) & this.mask;
    }
  }

  private read(s: Slots, i: number): DestinationTotals {
    const k = i << 2;
    return {
      address: wordsToAddress(s.family[i]!, s.key[k]!, s.key[k + 1]!, s.key[k + 2]!, s.key[k + 3]!),
      samples: s.samples[i]!,
      packets: s.packets[i]!,
      bytes: s.bytes[i]!,
      lastSeenMs: s.lastSeen[i]!,
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
