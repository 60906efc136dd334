// The destinations most likely to become victims: a Space-Saving table (Metwally et al., 2005) of the top N
// destination addresses by recent sample count, so that each of them can keep a ring of its own recent sampled
// headers (capture/header-rings.ts). Space-Saving keeps exactly N slots: a destination not in the table takes
// the slot of the one with the lowest count and starts from that count + 1. Admission is randomized (RAP,
// Ben Basat et al., 2017): when the table is full, a newcomer takes the minimum's slot only with probability
// 1 / (minimum + 1). A destination that receives a flood still climbs into the table within about
// minimum + 1 of its samples and stays, while traffic spread over many destinations (the common case, and
// carpet bombing) no longer evicts on every sample: most of its samples cost one hash probe and a random draw.
// Counts are halved every decay interval, so "top" means recent.
//
// Hot path: observe() allocates nothing. Keys live in typed arrays (family + four address words in the
// FlowBatch's little-endian word layout), found through an open-addressing hash table (linear probing,
// backward-shift deletion) and ordered by a binary min-heap, so a hit costs one probe and a short sift, a
// miss one eviction of the heap's root. It owns only which destinations are tracked; what is kept for them
// is the rings' job.

export class DestinationHeavyHitters {
  readonly capacity: number;
  /** Per slot: 0 = empty, else 4 or 6. */
  readonly family: Uint8Array;
  /** Per slot: four address words (IPv4: word 0, others 0). */
  readonly words: Uint32Array;
  /** Per slot: the Space-Saving count (halved by decay) and its overestimation bound. */
  readonly counts: Float64Array;
  readonly errors: Float64Array;
  /** Slots in use. */
  size = 0;
  /** Destinations that took over another destination's slot since the table was made. */
  evictions = 0;
  /** Set by observe(): true when the returned slot was just given to this destination (its ring is stale). */
  lastWasNew = false;
  /** Newcomers not admitted (the draw said no), since the table was made. */
  notAdmitted = 0;
  /** xorshift32 state for the admission draw: deterministic, no allocation. */
  private random = 0x9e3779b9;

  /** Per slot: the key's hash, so evictions and backward shifts never hash again. */
  private readonly hashes: Uint32Array;
  /** Min-heap of slot numbers by count, and each slot's position in it. */
  private readonly heap: Int32Array;
  private readonly heapPos: Int32Array;
  /** Hash table of slot + 1 (0 = empty), size a power of two ≥ 2 × capacity. */
  private readonly table: Int32Array;
  private readonly mask: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.family = new Uint8Array(capacity);
    this.words = new Uint32Array(capacity * 4);
    this.counts = new Float64Array(capacity);
    this.errors = new Float64Array(capacity);
    this.hashes = new Uint32Array(capacity);
    this.heap = new Int32Array(capacity);
    this.heapPos = new Int32Array(capacity);
    let tableSize = 4;
    while (tableSize < capacity * 2) tableSize *= 2;
    this.table = new Int32Array(tableSize);
    this.mask = tableSize - 1;
  }

  /** Bytes of the typed arrays behind the table. */
  get memoryBytes(): number {
    return (
      this.family.byteLength + this.words.byteLength + this.counts.byteLength + this.errors.byteLength + this.hashes.byteLength + this.heap.byteLength +
      this.heapPos.byteLength + this.table.byteLength
    );
  }

  /**
   * Counts one sample to the destination and returns its slot, or -1 when it is not tracked (the table is full
   * and the admission draw said no).
   */
  observe(family: number, w0: number, w1: number, w2: number, w3: number): number {
    const hash = hashOf(family, w0, w1, w2, w3);
    const found = this.findHashed(hash, family, w0, w1, w2, w3);
    if (found >= 0) {
      this.lastWasNew = false;
      this.counts[found]!++;
      this.siftDown(this.heapPos[found]!);
      return found;
    }
    let slot: number;
    let floor = 0;
    if (this.size < this.capacity) {
      slot = this.size++;
      this.heap[slot] = slot;
      this.heapPos[slot] = slot;
    } else {
      slot = this.heap[0]!;
      floor = this.counts[slot]!;
      let x = this.random;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.random = x >>> 0;
      // Admitted with probability 1 / (floor + 1): a draw in [0, 1) times (floor + 1) below 1.
      if ((this.random / 4294967296) * (floor + 1) >= 1) {
        this.lastWasNew = false;
        this.notAdmitted++;
        return -1;
      }
      this.removeFromTable(slot);
      this.evictions++;
    }
    this.lastWasNew = true;
    this.family[slot] = family;
    const k = slot * 4;
    this.words[k] = w0;
    this.words[k + 1] = w1;
    this.words[k + 2] = w2;
    this.words[k + 3] = w3;
    this.counts[slot] = floor + 1;
    this.errors[slot] = floor;
    this.hashes[slot] = hash;
    this.insertIntoTable(slot);
    const at = this.heapPos[slot]!;
    // A new slot (count 1) may belong above others; a taken-over root only grew, so it may sink.
    if (floor === 0) this.siftUp(at);
    this.siftDown(this.heapPos[slot]!);
    return slot;
  }

  /** The slot of a destination, or -1 when it is not tracked. */
  find(family: number, w0: number, w1: number, w2: number, w3: number): number {
    return this.findHashed(hashOf(family, w0, w1, w2, w3), family, w0, w1, w2, w3);
  }

  private findHashed(hash: number, family: number, w0: number, w1: number, w2: number, w3: number): number {
    const words = this.words;
    let i = hash & this.mask;
    for (;;) {
      const entry = this.table[i]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      const k = slot * 4;
      if (words[k] === w0 && words[k + 1] === w1 && words[k + 2] === w2 && words[k + 3] === w3 && this.family[slot] === family) return slot;
      i = (i + 1) & this.mask;
    }
  }

  /** Halves every count (recency); a monotonic change, so the heap stays ordered. */
  decay(): void {
    for (let s = 0; s < this.size; s++) {
      this.counts[s]! *= 0.5;
      this.errors[s]! *= 0.5;
    }
  }

  /** The slot with the lowest count (the next to be taken over), or -1 when empty. */
  get minimumSlot(): number {
    return this.size === 0 ? -1 : this.heap[0]!;
  }

  private homeOf(slot: number): number {
    return this.hashes[slot]! & this.mask;
  }

  private insertIntoTable(slot: number): void {
    let i = this.homeOf(slot);
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
  }

  private removeFromTable(slot: number): void {
    const mask = this.mask;
    const table = this.table;
    let i = this.homeOf(slot);
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    // Backward-shift deletion: pull later entries of the probe run into the hole when their home allows it.
    table[i] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const entry = table[j]!;
      if (entry === 0) return;
      const home = this.homeOf(entry - 1);
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        table[i] = entry;
        table[j] = 0;
        i = j;
      }
    }
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const counts = this.counts;
    const slot = heap[at]!;
    const c = counts[slot]!;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const p = heap[parent]!;
      if (counts[p]! <= c) break;
      heap[at] = p;
      this.heapPos[p] = at;
      at = parent;
    }
    heap[at] = slot;
    this.heapPos[slot] = at;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const counts = this.counts;
    const n = this.size;
    const slot = heap[at]!;
    const c = counts[slot]!;
    for (;;) {
      const left = at * 2 + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && counts[heap[right]!]! < counts[heap[left]!]! ? right : left;
      const s = heap[child]!;
      if (counts[s]! >= c) break;
      heap[at] = s;
      this.heapPos[s] = at;
      at = child;
    }
    heap[at] = slot;
    this.heapPos[slot] = at;
  }
}

/** A 32-bit mix of the key (murmur3's finalizer over the folded words). */
function hashOf(family: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ family, 0xcc9e2d51);
  h ^= Math.imul(w1, 0x1b873593);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h ^= Math.imul(w2, 0xcc9e2d51) ^ Math.imul(w3, 0xe6546b64);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
