// The compact per-subject window table: for every destination (or /24 and /64 block, or configured prefix) that
// traffic reaches, estimated packets and bytes in a ring of tick buckets (the sliding window), and a slow rate of
// what came before that window, in typed arrays. It is the first level of counting and the part that must fit a
// million destinations: 120 bytes of entry plus 8 bytes of hash index per subject (layout below; issue #3's
// budget is 128 bytes, exactly), no objects, nothing allocated when a sample is added. Per-vector detail lives
// in vector-windows.ts, only for subjects promoted there.
//
// Layout: one record of 10 + 2W u32 words per entry (W = window ticks; 30 words = 120 bytes for W = 10), all of an
// entry's fields side by side, so counting a sample touches the entry's two cache lines and nothing else:
//   0..3  address words (the FlowBatch's order: IPv4 in word 0)
//   4     tag: 0 = free; else family (4|6) | prefix length << 8
//   5     newest tick written + 1 (0 = none); a free entry holds the next free entry + 1 instead
//   6     network: index of the configured prefix the subject falls in (longest match, found once at insert)
//   7     slot: its promoted slot in the vector pool, or -1
//   8     link: a caller's reference to another table's entry (a host's block), or -1
//   9     slow rate (f32): an exponential moving average, in packets per tick, of the ticks that have LEFT the
//         window (time constant `slowSeconds`), as of tick (newest - W); 0 at insert. detection's quiet-before
//         rule reads it (slowPps): a destination that was quiet before can be judged more loosely.
//   10..  buckets: packets then bytes (f32), per tick t at position t mod W
// Hash index: an Int32Array of entry + 1 (0 = empty), open addressing with linear probing, load ≤ 0.5, entries
// removed by backward-shift deletion so no tombstones build up. Entries never move: a link stays valid for as long
// as the entry it names is in use.
//
// Keys are passed as (array, word offset), never as four number arguments: an address word above 2^30 is not a
// small integer, and V8 boxes it in a heap number whenever it crosses a call that was not inlined.
//
// Buckets are cleared lazily: a sample at a newer tick zeroes the buckets of the ticks skipped since the entry's
// last sample, and folds what they held into the slow rate first (so the slow rate costs nothing while an entry's
// newest tick stays where it is). A sample older than the window is dropped (and counted); a sample older than the
// newest tick but inside the window goes to its own bucket, so batches that arrive slightly out of order count
// correctly (and reach the slow rate when their tick leaves the window).

const EMPTY_TAG = 0;
const F_TAG = 4;
const F_LAST = 5;
const F_NETWORK = 6;
const F_SLOT = 7;
const F_LINK = 8;
const F_SLOW = 9;
const F_BUCKETS = 10;

export interface TrafficWindowOptions {
  capacity: number;
  /** Buckets in the sliding window (window = windowTicks × tick length). */
  windowTicks: number;
  /** Tick length (ms), for the slow rate's unit (packets/s); default 100. */
  tickMs?: number;
  /** Time constant of the slow rate (s); default 10. */
  slowSeconds?: number;
}

export class TrafficWindowTable {
  readonly capacity: number;
  readonly windowTicks: number;
  /** u32 words per entry. */
  readonly stride: number;
  readonly tickMs: number;
  readonly slowSeconds: number;
  /** decay[g] = d^g for g = 0..W, d = exp(-tickMs / slowSeconds): the slow rate's weights, precomputed. */
  private readonly decay: Float64Array;
  private readonly slowTicks: number;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;
  private readonly index: Int32Array;
  private readonly mask: number;
  /** Entries handed out so far from the never-used tail; entries below it are in use or on the free list. */
  private highWater = 0;
  /** Head of the free list (entry + 1; 0 = empty). */
  private freeHead = 0;
  private entries = 0;
  /** The packets and bytes of reaches(), windowPackets() and windowBytes() (a field: nothing is allocated). */
  private readonly sums = new Float64Array(2);
  private evictCursor = 0;
  /** Samples that found the table full, and samples older than the window. */
  overflowSamples = 0;
  lateSamples = 0;
  evicted = 0;

  constructor(options: TrafficWindowOptions) {
    const { capacity, windowTicks } = options;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    if (!Number.isInteger(windowTicks) || windowTicks < 1 || windowTicks > 64) throw new RangeError('windowTicks must be 1..64');
    this.capacity = capacity;
    this.windowTicks = windowTicks;
    this.stride = F_BUCKETS + 2 * windowTicks;
    this.tickMs = options.tickMs ?? 100;
    this.slowSeconds = options.slowSeconds ?? 10;
    if (!(this.tickMs > 0) || !(this.slowSeconds > 0)) throw new RangeError('tickMs and slowSeconds must be positive');
    this.slowTicks = (this.slowSeconds * 1000) / this.tickMs;
    this.decay = Float64Array.from({ length: windowTicks + 1 }, (_, g) => Math.exp(-g / this.slowTicks));
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.index = new Int32Array(size);
    const buffer = new ArrayBuffer(capacity * this.stride * 4);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
  }

  get size(): number {
    return this.entries;
  }

  /** Entries 0..usedEntries-1 have been handed out (in use or free now): a report's scan stops here. */
  get usedEntries(): number {
    return this.highWater;
  }

  /** Bytes of typed-array storage, for reports (the whole table, whatever its fill). */
  get storageBytes(): number {
    return this.index.byteLength + this.u32.byteLength;
  }

  /**
   * The entry for the key in src[at..at+3], or -(p + 1) where p is the index position an insert would use.
   * Split from insert so the caller can compute a new subject's network (a trie walk) only when it is new.
   */
  locate(tag: number, src: Uint32Array, at: number): number {
    const index = this.index;
    const u32 = this.u32;
    const stride = this.stride;
    let p = hashKey(tag, src, at) & this.mask;
    for (;;) {
      const ref = index[p]!;
      if (ref === 0) return -(p + 1);
      const k = (ref - 1) * stride;
      if (u32[k + F_TAG] === tag && u32[k] === src[at] && u32[k + 1] === src[at + 1] && u32[k + 2] === src[at + 2] && u32[k + 3] === src[at + 3]) return ref - 1;
      p = (p + 1) & this.mask;
    }
  }

  /** locate() for key words given as numbers (reports and tests; allocates). */
  locateWords(tag: number, w0: number, w1: number, w2: number, w3: number): number {
    return this.locate(tag, Uint32Array.of(w0, w1, w2, w3), 0);
  }

  /** Inserts at the position locate() returned (as -(p + 1)); returns the entry, or -1 when the table is full. */
  insert(located: number, tag: number, src: Uint32Array, at: number, network: number): number {
    let e: number;
    const u32 = this.u32;
    const stride = this.stride;
    if (this.freeHead !== 0) {
      e = this.freeHead - 1;
      this.freeHead = u32[e * stride + F_LAST]!;
    } else if (this.highWater < this.capacity) {
      e = this.highWater++;
    } else {
      this.overflowSamples++;
      return -1;
    }
    this.index[-located - 1] = e + 1;
    const k = e * stride;
    u32[k] = src[at]!;
    u32[k + 1] = src[at + 1]!;
    u32[k + 2] = src[at + 2]!;
    u32[k + 3] = src[at + 3]!;
    u32[k + F_TAG] = tag;
    u32[k + F_LAST] = 0;
    u32[k + F_NETWORK] = network;
    this.i32[k + F_SLOT] = -1;
    this.i32[k + F_LINK] = -1;
    // The slow rate starts at 0: a new entry had no sample for at least min(idle eviction time, time since
    // counting started) — traffic-counter.ts states when that is enough to trust it (quietTrustTick).
    this.f32.fill(0, k + F_SLOW, k + stride);
    this.entries++;
    return e;
  }

  /** Adds estimated packets and bytes at a tick. False when the tick is older than the window (dropped). */
  add(e: number, tick: number, packets: number, bytes: number): boolean {
    const W = this.windowTicks;
    const k = e * this.stride;
    const b = k + F_BUCKETS;
    const u32 = this.u32;
    const f32 = this.f32;
    const last = u32[k + F_LAST]! - 1;
    if (tick > last) {
      // Ticks (last - W, tick - W] leave the window: their packets go into the slow rate (exact weights: the slow
      // rate moves from tick last - W to tick - W), then the buckets of ticks (last, tick] are zeroed.
      const decay = this.decay;
      const gap = tick - last;
      if (last < 0) {
        for (let n = 0; n < W; n++) {
          f32[b + n * 2] = 0;
          f32[b + n * 2 + 1] = 0;
        }
      } else if (gap < W) {
        // Position of tick (tick - n) held tick (tick - n - W), which is n ticks older than the new reference.
        let folded = 0;
        for (let n = 0; n < gap; n++) {
          const at = b + ((tick - n) % W) * 2;
          folded += decay[n]! * f32[at]!;
          f32[at] = 0;
          f32[at + 1] = 0;
        }
        f32[k + F_SLOW] = decay[gap]! * f32[k + F_SLOW]! + (1 - decay[1]!) * folded;
      } else {
        // The whole ring leaves: tick (last - m) is (gap - W + m) ticks older than the new reference tick - W
        // (positions of ticks before 0 were never written: zero since insert).
        let folded = 0;
        for (let m = 0; m < W && m <= last; m++) {
          const at = b + ((last - m) % W) * 2;
          folded += decay[m]! * f32[at]!;
          f32[at] = 0;
          f32[at + 1] = 0;
        }
        const beyond = Math.exp(-(gap - W) / this.slowTicks);
        f32[k + F_SLOW] = beyond * (decay[W]! * f32[k + F_SLOW]! + (1 - decay[1]!) * folded);
      }
      u32[k + F_LAST] = tick + 1;
    } else if (tick <= last - W) {
      this.lateSamples++;
      return false;
    }
    const at = b + (tick % W) * 2;
    f32[at]! += packets;
    f32[at + 1]! += bytes;
    return true;
  }

  /**
   * The entry's slow rate (packets/s) as of the window ending at `tick`: the moving average of every tick older
   * than (tick - W, tick], including ticks of the ring that have left that window but were not yet folded in (read
   * side only, nothing is written). When the entry holds ticks newer than `tick`, the stored average already
   * includes up to (newest - tick) ticks of that window and is returned as it is (it then errs towards "not quiet").
   */
  slowPps(e: number, tick: number): number {
    const W = this.windowTicks;
    const k = e * this.stride;
    const f32 = this.f32;
    const last = this.u32[k + F_LAST]! - 1;
    const perSecond = 1000 / this.tickMs;
    if (last < 0 || tick <= last) return f32[k + F_SLOW]! * perSecond;
    const decay = this.decay;
    const gap = tick - last;
    const b = k + F_BUCKETS;
    let folded = 0;
    let slow: number;
    if (gap < W) {
      for (let n = 0; n < gap; n++) folded += decay[n]! * f32[b + ((tick - n) % W) * 2]!;
      slow = decay[gap]! * f32[k + F_SLOW]! + (1 - decay[1]!) * folded;
    } else {
      for (let m = 0; m < W && m <= last; m++) folded += decay[m]! * f32[b + ((last - m) % W) * 2]!;
      slow = Math.exp(-(gap - W) / this.slowTicks) * (decay[W]! * f32[k + F_SLOW]! + (1 - decay[1]!) * folded);
    }
    return slow * perSecond;
  }

  /**
   * Whether the entry's window ending at `tick` holds at least packetsLevel[i] packets or bytesLevel[i] bytes
   * (the promotion check: levels are passed as arrays so no double crosses the call).
   */
  reaches(e: number, tick: number, packetsLevel: Float64Array, bytesLevel: Float64Array, i: number): boolean {
    // One walk of the buckets for both sums: most entries reach neither level, so both are needed.
    const sums = this.sums;
    this.windowSums(e, tick, sums);
    return sums[0]! >= packetsLevel[i]! || sums[1]! >= bytesLevel[i]!;
  }

  /** Packets in the entry's window ending at `tick` (inclusive), i.e. the ticks (tick - W, tick]. */
  windowPackets(e: number, tick: number): number {
    this.windowSums(e, tick, this.sums);
    return this.sums[0]!;
  }

  windowBytes(e: number, tick: number): number {
    this.windowSums(e, tick, this.sums);
    return this.sums[1]!;
  }

  /**
   * The packets (out[0]) and bytes (out[1]) of the entry's window ending at `tick`, in one walk of its buckets: the
   * one window sum every read goes through. The buckets summed hold ticks (tick - W, min(tick, newest)] (a bucket of
   * a tick ahead of `tick` is not counted), oldest first, wrapping at the end of the ring: one modulo per window,
   * none per bucket.
   */
  windowSums(e: number, tick: number, out: Float64Array): void {
    const W = this.windowTicks;
    const k = e * this.stride;
    const last = this.u32[k + F_LAST]! - 1;
    let packets = 0;
    let bytes = 0;
    if (last >= 0 && last > tick - W) {
      const hi = last < tick ? last : tick;
      const from = tick - W + 1 > 0 ? tick - W + 1 : 0;
      const f32 = this.f32;
      const wrap = k + F_BUCKETS + W * 2;
      for (let t = from, at = k + F_BUCKETS + (from % W) * 2; t <= hi; t++) {
        packets += f32[at]!;
        bytes += f32[at + 1]!;
        at += 2;
        if (at === wrap) at = k + F_BUCKETS;
      }
    }
    out[0] = packets;
    out[1] = bytes;
  }

  /** Packets (field 0) or bytes (field 1) of one tick, 0 when that tick is no longer (or not yet) in the ring. */
  tickSum(e: number, tick: number, field: number): number {
    const W = this.windowTicks;
    const k = e * this.stride;
    const last = this.u32[k + F_LAST]! - 1;
    if (last < 0 || tick > last || tick <= last - W || tick < 0) return 0;
    return this.f32[k + F_BUCKETS + (tick % W) * 2 + field]!;
  }

  /** Newest tick with traffic, or -1. */
  newestTick(e: number): number {
    return this.u32[e * this.stride + F_LAST]! - 1;
  }

  tagOf(e: number): number {
    return this.u32[e * this.stride + F_TAG]!;
  }

  networkOf(e: number): number {
    return this.u32[e * this.stride + F_NETWORK]!;
  }

  slotOf(e: number): number {
    return this.i32[e * this.stride + F_SLOT]!;
  }

  setSlot(e: number, slot: number): void {
    this.i32[e * this.stride + F_SLOT] = slot;
  }

  linkOf(e: number): number {
    return this.i32[e * this.stride + F_LINK]!;
  }

  setLink(e: number, link: number): void {
    this.i32[e * this.stride + F_LINK] = link;
  }

  /** Address words of an entry, into out[0..3]. */
  readKey(e: number, out: Uint32Array): void {
    const k = e * this.stride;
    out[0] = this.u32[k]!;
    out[1] = this.u32[k + 1]!;
    out[2] = this.u32[k + 2]!;
    out[3] = this.u32[k + 3]!;
  }

  /**
   * Frees up to `budget` entries idle since before `cutoffTick` and not promoted, scanning from where the last
   * call stopped; the periodic tick calls it so eviction cost is spread evenly, never one long pause.
   */
  evictIdle(cutoffTick: number, budget: number): number {
    let removed = 0;
    const limit = this.highWater;
    if (limit === 0) return 0;
    const u32 = this.u32;
    const stride = this.stride;
    for (let n = 0; n < budget; n++) {
      const e = this.evictCursor;
      this.evictCursor = e + 1 >= limit ? 0 : e + 1;
      const k = e * stride;
      if (u32[k + F_TAG] === EMPTY_TAG || this.i32[k + F_SLOT]! >= 0) continue;
      if (u32[k + F_LAST]! - 1 >= cutoffTick) continue;
      this.remove(e);
      removed++;
    }
    this.evicted += removed;
    return removed;
  }

  /** Removes an entry (backward-shift deletion keeps every probe chain intact). */
  remove(e: number): void {
    const index = this.index;
    const mask = this.mask;
    const u32 = this.u32;
    const stride = this.stride;
    const k = e * stride;
    let i = hashKey(u32[k + F_TAG]!, u32, k) & mask;
    while (index[i] !== e + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const ref = index[j]!;
      if (ref === 0) break;
      const o = (ref - 1) * stride;
      const home = hashKey(u32[o + F_TAG]!, u32, o) & mask;
      // Move j back into the hole at i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        index[i] = ref;
        i = j;
      }
    }
    index[i] = 0;
    u32[k + F_TAG] = EMPTY_TAG;
    this.i32[k + F_SLOT] = -1;
    this.i32[k + F_LINK] = -1;
    u32[k + F_LAST] = this.freeHead;
    this.freeHead = e + 1;
    this.entries--;
  }
}

/**
 * murmur3's 32-bit finalizer over the mixed words of src[at..at+3]: cheap, and spreads sequential addresses well.
 * 30 bits out, so the result is always a small integer (no heap number).
 */
export function hashKey(tag: number, src: Uint32Array, at: number): number {
  let h = Math.imul(src[at]! ^ tag, 0xcc9e2d51);
  h ^= Math.imul(src[at + 1]!, 0x1b873593);
  h ^= Math.imul(src[at + 2]!, 0x85ebca6b);
  h ^= Math.imul(src[at + 3]!, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}
