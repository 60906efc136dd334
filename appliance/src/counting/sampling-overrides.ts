// Per-exporter sampling-rate corrections: some routers report a sampling rate that is not the one they apply
// (a line card's rate missing from sFlow, 1 reported while sampling 1:2048), which mis-scales every estimate
// silently. An override replaces the reported rate of every flow sample from that agent address. Looked up once
// per datagram (not per sample) by comparing address words in typed arrays: overrides are few, and a scan
// allocates nothing where a Map keyed by address text would build a string per datagram.
import { addressKey } from './address-key.js';

export interface SamplingOverride {
  /** The sFlow agent address, as the datagram header carries it. */
  agent: string;
  /** The sampling rate (1 in N) to use instead of the reported one. */
  rate: number;
}

export class SamplingOverrides {
  private readonly words: Uint32Array;
  private readonly families: Uint8Array;
  private readonly rates: Uint32Array;
  readonly count: number;
  /** Flow samples whose rate was replaced, per override. */
  readonly applied: Float64Array;

  constructor(overrides: readonly SamplingOverride[]) {
    this.count = overrides.length;
    this.words = new Uint32Array(this.count * 4);
    this.families = new Uint8Array(this.count);
    this.rates = new Uint32Array(this.count);
    this.applied = new Float64Array(this.count);
    overrides.forEach((o, i) => {
      const [family, ...w] = addressKey(o.agent);
      this.families[i] = family;
      this.words.set(w, i * 4);
      this.rates[i] = o.rate;
    });
  }

  /**
   * Index of the override for the agent whose address is at u32[at..at+3] (a datagram record's agent address
   * field, as words), or -1.
   */
  find(family: number, u32: Uint32Array, at: number): number {
    const w = this.words;
    for (let i = 0; i < this.count; i++) {
      if (this.families[i] !== family) continue;
      const k = i * 4;
      if (w[k] === u32[at] && w[k + 1] === u32[at + 1] && w[k + 2] === u32[at + 2] && w[k + 3] === u32[at + 3]) return i;
    }
    return -1;
  }

  rate(i: number): number {
    return this.rates[i]!;
  }
}
