// Longest-prefix match over IPv4 and IPv6 keys (counting's address words), as a binary trie in typed arrays.
// Counting asks it once per new subject ("is this destination protected, and under which configured prefix?"),
// and for every sample to an unprotected destination, so a lookup walks at most the longest configured prefix
// and allocates nothing. Built once from configuration; it holds values, not meaning.
import { keyBit } from './address-key.js';

export class PrefixTrie {
  private zero: Int32Array;
  private one: Int32Array;
  private value: Int32Array;
  private nodes = 2;
  /** Roots: node 0 for IPv4, node 1 for IPv6. */
  constructor(initialNodes = 256) {
    this.zero = new Int32Array(initialNodes);
    this.one = new Int32Array(initialNodes);
    this.value = new Int32Array(initialNodes).fill(-1);
  }

  /** Adds a prefix; `value` ≥ 0. A prefix inserted twice keeps the later value. */
  insert(family: 4 | 6, words: readonly number[], length: number, value: number): void {
    let node = family === 4 ? 0 : 1;
    for (let i = 0; i < length; i++) {
      const bit = keyBit(words[0]!, words[1]!, words[2]!, words[3]!, i);
      const children = bit === 0 ? this.zero : this.one;
      let next = children[node]!;
      if (next === 0) {
        next = this.allocate();
        (bit === 0 ? this.zero : this.one)[node] = next;
      }
      node = next;
    }
    this.value[node] = value;
  }

  /** The value of the longest prefix containing the address (words as numbers; reports and tests). */
  lookup(family: number, w0: number, w1: number, w2: number, w3: number): number {
    return this.lookupAt(family, Uint32Array.of(w0, w1, w2, w3), 0);
  }

  /** The value of the longest prefix containing the address in src[at..at+3], or -1. Allocates nothing. */
  lookupAt(family: number, src: Uint32Array, at: number): number {
    let node = family === 4 ? 0 : 1;
    const bits = family === 4 ? 32 : 128;
    let best = this.value[node]!;
    for (let i = 0; i < bits; i++) {
      const byte = i >>> 3;
      const word = src[at + (byte >>> 2)]!;
      const bit = (word >>> ((byte & 3) * 8 + 7 - (i & 7))) & 1;
      node = bit === 0 ? this.zero[node]! : this.one[node]!;
      if (node === 0) break;
      const v = this.value[node]!;
      if (v >= 0) best = v;
    }
    return best;
  }

  private allocate(): number {
    if (this.nodes === this.zero.length) {
      const grow = (a: Int32Array, fill: number) => {
        const b = new Int32Array(a.length * 2).fill(fill);
        b.set(a);
        return b;
      };
      this.zero = grow(this.zero, 0);
      this.one = grow(this.one, 0);
      this.value = grow(this.value, -1);
    }
    return this.nodes++;
  }
}
