// The second level of counting: detail for the few subjects (destinations, blocks, configured prefixes, host-group
// aggregates) that were
// promoted because their traffic approaches a threshold. Per promoted slot, in typed arrays allocated once:
//   - per vector and tick bucket: estimated packets, bytes, sampled packets and the sum of squared sampling
//     rates (the variance of the estimate, for the confidence rule), over the same sliding window as level one;
//   - per tick, a 256-bit bitmap of hashed flow keys (source, ports, protocol), to estimate distinct flows;
//   - a ring of the most recent samples (addresses, ports, flags, length, rate, time) for classification and
//     the mitigation signature;
//   - a ring of earlier benign samples, admitted at a few per tick and frozen while the subject is rising or
//     attacked, so the signature's collateral can be measured against traffic from before the attack.
// Adding a sample allocates nothing: no double crosses a call (the sample's time is read from `sampleTime`,
// which the counter sets once per datagram), hashes stay small integers. Reading (sums, rings) happens at the
// periodic tick.

import { FlowField as FlowFieldBinding } from '../intake/flow-batch.js';
import { VECTOR_COUNT as VECTOR_COUNTBinding } from './vector.js';

// Imported constants copied into module constants: the hot loops below read them per sample or per cell, and
// an import binding can compile to a getter call (as it does under tsx).
const FlowField = FlowFieldBinding;
const VECTOR_COUNT = VECTOR_COUNTBinding;

/** Kinds of subject: a destination, its /24 or /64 block, its configured prefix, its host group's aggregate. */
export const SubjectKind = { host: 0, block: 1, network: 2, group: 3 } as const;
export type SubjectKindCode = (typeof SubjectKind)[keyof typeof SubjectKind];

/** Floats per (vector, tick) cell. */
export const CELL = 4;
export const CellField = { packets: 0, bytes: 1, samples: 2, rateSquares: 3 } as const;
/** u32 words per recent-ring entry: one 64-byte line. */
export const RING_WORDS = 16;
/** The entry's time, as the f64 at this index of the entry's eight f64s (words 12..13). */
const RING_TIME_F64 = 6;
/** Words: 0..3 source address, 4..7 destination, 8 rate, 9 srcPort << 16 | dstPort, 10 meta, 11 ipLength | ipVersion << 16, 12..13 time. */
export const RingWord = { src: 0, dst: 4, rate: 8, ports: 9, meta: 10, length: 11 } as const;
/** u32 words per benign-ring entry: rate, ports, meta, length (as in the recent ring), tick. */
export const BENIGN_WORDS = 5;
const FLOW_BITS_WORDS = 8;

/** meta word = protocol | tcpFlags << 8 | FlowFlag bits << 16 | vector << 24. */
export function metaProtocol(meta: number): number {
  return meta & 0xff;
}
export function metaTcpFlags(meta: number): number {
  return (meta >>> 8) & 0xff;
}
export function metaFlags(meta: number): number {
  return (meta >>> 16) & 0xff;
}
export function metaVector(meta: number): number {
  return meta >>> 24;
}

export interface VectorWindowOptions {
  capacity: number;
  windowTicks: number;
  /** Recent samples kept per slot; enough for one tick of a large attack at common sampling rates. */
  ringSize?: number;
  /** Benign samples kept per slot, and how many may enter per tick (spreads them over several seconds). */
  benignSize?: number;
  benignPerTick?: number;
}

/** Per-slot scalars, packed into one 64-byte line (f64 each) because a promoted sample touches all of them. */
const S_LAST_TICK = 0;
const S_RING_COUNT = 1;
const S_ADDED_PACKETS = 2;
const S_ADDED_BYTES = 3;
const S_BENIGN_COUNT = 4;
const S_BENIGN_TICK = 5;
const S_BENIGN_ADMITTED = 6;
const S_FROZEN = 7;
const STATE_STRIDE = 8;

export class VectorWindowPool {
  readonly capacity: number;
  readonly windowTicks: number;
  readonly ringSize: number;
  readonly benignSize: number;
  readonly benignPerTick: number;
  readonly ownerKind: Uint8Array;
  readonly ownerEntry: Int32Array;
  /** Per slot: the scalars above (newest tick, ring and benign counts, added packets/bytes, frozen). */
  private readonly state: Float64Array;
  readonly cells: Float32Array;
  /** Per slot and tick: which vectors have traffic (bit v), so sums add only the few rows that are not zero. */
  readonly vectorMask: Uint32Array;
  readonly flowBits: Uint32Array;
  /** Per slot and vector: estimated packets added since resetAdded (headroom checks of narrow keys). */
  private readonly addedByVector: Float64Array;
  /** Ring entries of RING_WORDS u32 (one cache line): the sample's words, then its time as an f64 (ringTimes). */
  readonly ring: Uint32Array;
  private readonly ringTimes: Float64Array;
  readonly benign: Uint32Array;
  /** Time (ms since the epoch) of the samples being added: set once per datagram by the counter. */
  readonly sampleTime = new Float64Array(1);
  /** Dense list of slots in use, and each slot's position in it (-1 when free). */
  readonly active: Int32Array;
  private readonly activePos: Int32Array;
  private activeCount = 0;
  private readonly free: Int32Array;
  private freeTop: number;
  private readonly rowFloats: number;
  /**
   * Per slot: the tick and sampling rate of the sample that promoted it. Detection counts the subject's level-one
   * totals from before that sample as evidence of the `total` key (they are not in the per-vector cells).
   */
  private readonly origin: Float64Array;
  lateSamples = 0;

  constructor(options: VectorWindowOptions) {
    const { capacity, windowTicks } = options;
    this.capacity = capacity;
    this.windowTicks = windowTicks;
    this.ringSize = options.ringSize ?? 64;
    this.benignSize = options.benignSize ?? 128;
    this.benignPerTick = options.benignPerTick ?? 2;
    this.rowFloats = VECTOR_COUNT * CELL;
    this.ownerKind = new Uint8Array(capacity);
    this.ownerEntry = new Int32Array(capacity).fill(-1);
    this.state = new Float64Array(capacity * STATE_STRIDE);
    this.origin = new Float64Array(capacity * 2);
    this.addedByVector = new Float64Array(capacity * VECTOR_COUNT);
    this.cells = new Float32Array(capacity * windowTicks * this.rowFloats);
    this.vectorMask = new Uint32Array(capacity * windowTicks);
    this.flowBits = new Uint32Array(capacity * windowTicks * FLOW_BITS_WORDS);
    const ringBuffer = new ArrayBuffer(capacity * this.ringSize * RING_WORDS * 4);
    this.ring = new Uint32Array(ringBuffer);
    this.ringTimes = new Float64Array(ringBuffer);
    this.benign = new Uint32Array(capacity * this.benignSize * BENIGN_WORDS);
    this.active = new Int32Array(capacity);
    this.activePos = new Int32Array(capacity).fill(-1);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  get size(): number {
    return this.activeCount;
  }

  get storageBytes(): number {
    return this.state.byteLength + this.addedByVector.byteLength + this.cells.byteLength + this.vectorMask.byteLength + this.flowBits.byteLength + this.ring.byteLength + this.benign.byteLength + this.capacity * (1 + 4 + 4 + 4 + 4);
  }

  /** Records the promoting sample's tick and sampling rate (the counter calls it right after acquire). */
  setOrigin(slot: number, tick: number, rate: number): void {
    this.origin[slot * 2] = tick;
    this.origin[slot * 2 + 1] = rate;
  }

  /** Tick of the sample that promoted the slot. */
  originTickOf(slot: number): number {
    return this.origin[slot * 2]!;
  }

  /** Sampling rate of the sample that promoted the slot. */
  originRateOf(slot: number): number {
    return this.origin[slot * 2 + 1]!;
  }

  /** Newest tick counted for the slot, or -1. */
  lastTickOf(slot: number): number {
    return this.state[slot * STATE_STRIDE + S_LAST_TICK]!;
  }

  /** Samples ever pushed to the slot's ring (it holds the last ringSize of them). */
  ringCountOf(slot: number): number {
    return this.state[slot * STATE_STRIDE + S_RING_COUNT]!;
  }

  /** Time of ring entry r (index slot × ringSize + position). */
  ringTimeOf(r: number): number {
    return this.ringTimes[r * (RING_WORDS / 2) + RING_TIME_F64]!;
  }

  benignCountOf(slot: number): number {
    return this.state[slot * STATE_STRIDE + S_BENIGN_COUNT]!;
  }

  /** Packets and bytes added since resetAdded (detection's headroom check). */
  addedPacketsOf(slot: number): number {
    return this.state[slot * STATE_STRIDE + S_ADDED_PACKETS]!;
  }

  addedBytesOf(slot: number): number {
    return this.state[slot * STATE_STRIDE + S_ADDED_BYTES]!;
  }

  /** Packets of vector v added since resetAdded. */
  addedOfVector(slot: number, v: number): number {
    return this.addedByVector[slot * VECTOR_COUNT + v]!;
  }

  resetAdded(slot: number): void {
    this.state[slot * STATE_STRIDE + S_ADDED_PACKETS] = 0;
    this.state[slot * STATE_STRIDE + S_ADDED_BYTES] = 0;
    this.addedByVector.fill(0, slot * VECTOR_COUNT, (slot + 1) * VECTOR_COUNT);
  }

  /** Takes a free slot for a subject; -1 when the pool is full. Clears the slot (no allocation). */
  acquire(kind: number, entry: number): number {
    if (this.freeTop === 0) return -1;
    const slot = this.free[--this.freeTop]!;
    this.ownerKind[slot] = kind;
    this.ownerEntry[slot] = entry;
    const W = this.windowTicks;
    this.cells.fill(0, slot * W * this.rowFloats, (slot + 1) * W * this.rowFloats);
    this.vectorMask.fill(0, slot * W, (slot + 1) * W);
    this.flowBits.fill(0, slot * W * FLOW_BITS_WORDS, (slot + 1) * W * FLOW_BITS_WORDS);
    const st = slot * STATE_STRIDE;
    this.state.fill(0, st, st + STATE_STRIDE);
    this.addedByVector.fill(0, slot * VECTOR_COUNT, (slot + 1) * VECTOR_COUNT);
    this.state[st + S_LAST_TICK] = -1;
    this.state[st + S_BENIGN_TICK] = -1;
    this.activePos[slot] = this.activeCount;
    this.active[this.activeCount++] = slot;
    return slot;
  }

  release(slot: number): void {
    const pos = this.activePos[slot]!;
    if (pos < 0) return;
    const last = this.active[--this.activeCount]!;
    this.active[pos] = last;
    this.activePos[last] = pos;
    this.activePos[slot] = -1;
    this.ownerEntry[slot] = -1;
    this.free[this.freeTop++] = slot;
  }

  isActive(slot: number): boolean {
    return this.activePos[slot]! >= 0;
  }

  /**
   * Counts one flow record (at byte offset `at` of a FlowBatch seen through u32/u16/u8) of the given vector,
   * scaled to `rate`, at `tick` and time sampleTime[0].
   */
  add(slot: number, tick: number, vector: number, rate: number, bytes: number, u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, at: number): void {
    const W = this.windowTicks;
    const rowFloats = this.rowFloats;
    const state = this.state;
    const st = slot * STATE_STRIDE;
    const last = state[st + S_LAST_TICK]!;
    if (tick > last) {
      const stale = last < 0 || tick - last >= W ? W : tick - last;
      for (let n = 0; n < stale; n++) {
        const pos = (((tick - n) % W) + W) % W;
        const row = (slot * W + pos) * rowFloats;
        this.cells.fill(0, row, row + rowFloats);
        this.vectorMask[slot * W + pos] = 0;
        const fb = (slot * W + pos) * FLOW_BITS_WORDS;
        this.flowBits.fill(0, fb, fb + FLOW_BITS_WORDS);
      }
      state[st + S_LAST_TICK] = tick;
    } else if (tick <= last - W) {
      this.lateSamples++;
      return;
    }
    const pos = tick % W;
    const c = (slot * W + pos) * rowFloats + vector * CELL;
    const cells = this.cells;
    this.vectorMask[slot * W + pos] = this.vectorMask[slot * W + pos]! | (1 << vector);
    cells[c]! += rate;
    cells[c + 1]! += bytes;
    cells[c + 2]! += 1;
    cells[c + 3]! += rate * rate;
    state[st + S_ADDED_PACKETS]! += rate;
    state[st + S_ADDED_BYTES]! += bytes;
    this.addedByVector[slot * VECTOR_COUNT + vector]! += rate;

    const s = (at + FlowField.srcAddress) >>> 2;
    const protocol = u8[at + FlowField.protocol]!;
    const ports = ((u16[(at + FlowField.srcPort) >>> 1]! << 16) | u16[(at + FlowField.dstPort) >>> 1]!) >>> 0;
    // Flow key hash (source, ports, protocol), mixed inline: 8 bits pick one of the tick's 256 bitmap bits.
    let h = Math.imul(u32[s]! ^ Math.imul(u32[s + 1]!, 0x9e3779b1) ^ Math.imul(u32[s + 2]! ^ u32[s + 3]!, 0x85ebca6b) ^ (ports >>> 16), 0x85ebca6b) ^ Math.imul(ports ^ (protocol << 24), 0xc2b2ae35);
    h ^= h >>> 13;
    h = Math.imul(h, 0x27d4eb2f);
    h ^= h >>> 16;
    const fb = (slot * W + pos) * FLOW_BITS_WORDS + ((h >>> 5) & 7);
    this.flowBits[fb] = this.flowBits[fb]! | (1 << (h & 31));

    const meta = (protocol | (u8[at + FlowField.tcpFlags]! << 8) | (u8[at + FlowField.flags]! << 16) | (vector << 24)) >>> 0;
    const length = (u16[(at + FlowField.ipLength) >>> 1]! | (u8[at + FlowField.ipVersion]! << 16)) >>> 0;

    const n = state[st + S_RING_COUNT]!;
    const r = slot * this.ringSize + (n % this.ringSize);
    const w = r * RING_WORDS;
    const ring = this.ring;
    const d = (at + FlowField.dstAddress) >>> 2;
    ring[w] = u32[s]!;
    ring[w + 1] = u32[s + 1]!;
    ring[w + 2] = u32[s + 2]!;
    ring[w + 3] = u32[s + 3]!;
    ring[w + 4] = u32[d]!;
    ring[w + 5] = u32[d + 1]!;
    ring[w + 6] = u32[d + 2]!;
    ring[w + 7] = u32[d + 3]!;
    ring[w + 8] = rate;
    ring[w + 9] = ports;
    ring[w + 10] = meta;
    ring[w + 11] = length;
    this.ringTimes[r * (RING_WORDS / 2) + RING_TIME_F64] = this.sampleTime[0]!;
    state[st + S_RING_COUNT] = n + 1;

    if (state[st + S_FROZEN] === 0) {
      if (state[st + S_BENIGN_TICK] !== tick) {
        state[st + S_BENIGN_TICK] = tick;
        state[st + S_BENIGN_ADMITTED] = 0;
      }
      if (state[st + S_BENIGN_ADMITTED]! < this.benignPerTick) {
        state[st + S_BENIGN_ADMITTED]! += 1;
        const bn = state[st + S_BENIGN_COUNT]!;
        const b = (slot * this.benignSize + (bn % this.benignSize)) * BENIGN_WORDS;
        const benign = this.benign;
        benign[b] = rate;
        benign[b + 1] = ports;
        benign[b + 2] = meta;
        benign[b + 3] = length;
        benign[b + 4] = tick;
        state[st + S_BENIGN_COUNT] = bn + 1;
      }
    }
  }

  /**
   * Sums the slot's cells over ticks [fromTick, toTick] into out[v * CELL + field] (out is zeroed first).
   * Ticks outside the window the slot still holds count as zero.
   */
  sum(slot: number, fromTick: number, toTick: number, out: Float64Array): void {
    out.fill(0);
    const W = this.windowTicks;
    const last = this.state[slot * STATE_STRIDE + S_LAST_TICK]!;
    const hi = toTick < last ? toTick : last;
    const lo = fromTick > last - W + 1 ? fromTick : last - W + 1;
    const rowFloats = this.rowFloats;
    const cells = this.cells;
    for (let t = lo < 0 ? 0 : lo; t <= hi; t++) {
      const row = (slot * W + (t % W)) * rowFloats;
      for (let i = 0; i < rowFloats; i++) out[i]! += cells[row + i]!;
    }
  }

  /**
   * The windows ending before tick T in one pass: `main` over the last W ticks, `fast` over the last F ticks of
   * them and `short` over the last S (S, F ≤ W; 0 leaves that array alone). Same layout as sum().
   */
  sumWindows(slot: number, T: number, W: number, F: number, main: Float64Array, fast: Float64Array, S = 0, short?: Float64Array): void {
    main.fill(0);
    if (F > 0) fast.fill(0);
    if (S > 0) short!.fill(0);
    const shortFrom = T - S;
    const ring = this.windowTicks;
    const last = this.state[slot * STATE_STRIDE + S_LAST_TICK]!;
    const hi = T - 1 < last ? T - 1 : last;
    const lo = Math.max(0, T - W, last - ring + 1);
    const rowFloats = this.rowFloats;
    const cells = this.cells;
    const fastFrom = T - F;
    for (let t = lo; t <= hi; t++) {
      const at = slot * ring + (t % ring);
      const row = at * rowFloats;
      const inFast = F > 0 && t >= fastFrom;
      // Visit only the vectors with traffic in this tick (usually a handful of the 18).
      for (let mask = this.vectorMask[at]!; mask !== 0; mask &= mask - 1) {
        const v = 31 - Math.clz32(mask & -mask);
        const c = row + v * CELL;
        const o = v * CELL;
        const p = cells[c]!;
        const b = cells[c + 1]!;
        const n = cells[c + 2]!;
        const q = cells[c + 3]!;
        main[o]! += p;
        main[o + 1]! += b;
        main[o + 2]! += n;
        main[o + 3]! += q;
        if (inFast) {
          fast[o]! += p;
          fast[o + 1]! += b;
          fast[o + 2]! += n;
          fast[o + 3]! += q;
        }
        if (S > 0 && t >= shortFrom) {
          short![o]! += p;
          short![o + 1]! += b;
          short![o + 2]! += n;
          short![o + 3]! += q;
        }
      }
    }
  }

  /** Distinct flow keys seen over ticks [fromTick, toTick], by linear counting on the OR of the tick bitmaps. */
  distinctFlows(slot: number, fromTick: number, toTick: number): number {
    const W = this.windowTicks;
    const last = this.state[slot * STATE_STRIDE + S_LAST_TICK]!;
    const hi = toTick < last ? toTick : last;
    const lo = fromTick > last - W + 1 ? fromTick : last - W + 1;
    let zeros = 0;
    for (let word = 0; word < FLOW_BITS_WORDS; word++) {
      let bits = 0;
      for (let t = lo < 0 ? 0 : lo; t <= hi; t++) bits |= this.flowBits[(slot * W + (t % W)) * FLOW_BITS_WORDS + word]!;
      zeros += 32 - popcount(bits);
    }
    const m = FLOW_BITS_WORDS * 32;
    // Linear counting saturates when every bit is set; m·ln(m) is the most it can tell apart.
    return zeros === 0 ? m * Math.log(m) : -m * Math.log(zeros / m);
  }

  /** Sets whether benign samples are admitted (detection freezes them while the subject rises or is attacked). */
  setFrozen(slot: number, frozen: boolean): void {
    this.state[slot * STATE_STRIDE + S_FROZEN] = frozen ? 1 : 0;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
