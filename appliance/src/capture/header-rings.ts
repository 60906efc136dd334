// Rings of recent sampled packet headers, all in preallocated typed arrays: `rings` rings of `depth` entries,
// each entry holding up to `snap` header bytes and what a pcap record needs (capture time, frame length) plus
// what the capture matches and orders on (destination, sampling rate, header protocol, a global sequence
// number). A full ring overwrites its oldest entry. The memory is fixed when the rings are made:
// rings × depth × (snap + ENTRY_OVERHEAD_BYTES) bytes (see entryBytes()), whatever the traffic.
//
// It owns storage only: which ring a sample goes to is the capture's decision (capture/attack-capture.ts).
// push() copies the header bytes (copy-bytes.ts) and allocates nothing.

/** Bytes per entry beyond the header bytes: length u16, time f64, sequence f64, rate u32, frame u32, address 16, family u8, protocol u8. */
import { copyBytes } from '../intake/copy-bytes.js';

export const ENTRY_OVERHEAD_BYTES = 2 + 8 + 8 + 4 + 4 + 16 + 1 + 1;

export class HeaderRings {
  readonly rings: number;
  readonly depth: number;
  readonly snap: number;
  readonly bytes: Uint8Array;
  /** A DataView over `bytes`, for copying out (AttackPcapFile.append). */
  readonly bytesView: DataView;
  readonly length: Uint16Array;
  readonly timeMs: Float64Array;
  readonly sequence: Float64Array;
  readonly samplingRate: Uint32Array;
  readonly frameLength: Uint32Array;
  readonly words: Uint32Array;
  readonly family: Uint8Array;
  readonly headerProtocol: Uint8Array;
  /** Per ring: where the next entry goes, and how many entries it holds (≤ depth). */
  private readonly next: Uint32Array;
  private readonly filled: Uint32Array;

  constructor(rings: number, depth: number, snap: number) {
    for (const [name, v] of [['rings', rings], ['depth', depth], ['snap', snap]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
    if (snap > 0xffff) throw new RangeError(`snap must be at most 65535, got ${snap}`);
    this.rings = rings;
    this.depth = depth;
    this.snap = snap;
    const entries = rings * depth;
    this.bytes = new Uint8Array(entries * snap);
    this.bytesView = new DataView(this.bytes.buffer);
    this.length = new Uint16Array(entries);
    this.timeMs = new Float64Array(entries);
    this.sequence = new Float64Array(entries);
    this.samplingRate = new Uint32Array(entries);
    this.frameLength = new Uint32Array(entries);
    this.words = new Uint32Array(entries * 4);
    this.family = new Uint8Array(entries);
    this.headerProtocol = new Uint8Array(entries);
    this.next = new Uint32Array(rings);
    this.filled = new Uint32Array(rings);
  }

  /** The fixed memory bound of rings of this shape, in bytes. */
  static entryBytes(snap: number): number {
    return snap + ENTRY_OVERHEAD_BYTES;
  }

  /** Bytes of every typed array behind the rings. */
  get memoryBytes(): number {
    return (
      this.bytes.byteLength + this.length.byteLength + this.timeMs.byteLength + this.sequence.byteLength + this.samplingRate.byteLength +
      this.frameLength.byteLength + this.words.byteLength + this.family.byteLength + this.headerProtocol.byteLength + this.next.byteLength + this.filled.byteLength
    );
  }

  /** Entries held in one ring. */
  entriesIn(ring: number): number {
    return this.filled[ring]!;
  }

  /** Entries held in all rings (never more than rings × depth). */
  get totalEntries(): number {
    let n = 0;
    for (let r = 0; r < this.rings; r++) n += this.filled[r]!;
    return n;
  }

  /** Forgets a ring's entries (its destination changed). */
  clear(ring: number): void {
    this.next[ring] = 0;
    this.filled[ring] = 0;
  }

  /**
   * Appends one sampled header to a ring: `count` bytes of `src` from `from` (cut to snap), overwriting the
   * ring's oldest entry when it is full. Returns the entry's index (into the per-entry arrays).
   */
  push(
    ring: number,
    src: DataView,
    from: number,
    count: number,
    timeMs: number,
    sequence: number,
    samplingRate: number,
    frameLength: number,
    headerProtocol: number,
    family: number,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
  ): number {
    const slot = this.next[ring]!;
    this.next[ring] = slot + 1 === this.depth ? 0 : slot + 1;
    if (this.filled[ring]! < this.depth) this.filled[ring]!++;
    const e = ring * this.depth + slot;
    const kept = count < this.snap ? count : this.snap;
    copyBytes(src, from, this.bytesView, e * this.snap, kept);
    this.length[e] = kept;
    this.timeMs[e] = timeMs;
    this.sequence[e] = sequence;
    this.samplingRate[e] = samplingRate;
    this.frameLength[e] = frameLength;
    this.headerProtocol[e] = headerProtocol;
    this.family[e] = family;
    const k = e * 4;
    this.words[k] = w0;
    this.words[k + 1] = w1;
    this.words[k + 2] = w2;
    this.words[k + 3] = w3;
    return e;
  }

  /** Entry indexes of one ring, oldest first. */
  entryIndexes(ring: number): number[] {
    const filled = this.filled[ring]!;
    const out: number[] = [];
    const start = filled < this.depth ? 0 : this.next[ring]!;
    for (let i = 0; i < filled; i++) out.push(ring * this.depth + ((start + i) % this.depth));
    return out;
  }

  /** The header bytes of an entry (a view; valid until the entry is overwritten). */
  headerOf(entry: number): Uint8Array {
    const at = entry * this.snap;
    return this.bytes.subarray(at, at + this.length[entry]!);
  }
}
