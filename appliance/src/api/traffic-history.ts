// The traffic figures the REST API and the panel's dashboard show: pps and bps towards the protected networks,
// the busiest destinations, and a per-second history of both, read once a second from detection's counting
// (counting/traffic-counter.ts) and never on the per-sample path. Rates are the counting windows' (the packets
// and bytes of the last complete window divided by its length), so a series and the thresholds drawn over it
// measure the same thing. Every configured prefix (networks and host groups) has a series; a destination or an
// other prefix gets one from the first time someone asks for it (a bounded number of them, the least recently
// asked dropped first). Every attack's target gets one when the attack starts (keepForAttack, called from the
// attack bus's attack.started by routes/traffic.ts), so an attack's chart has its rate from its start even when
// nobody looked while it lasted; those are bounded separately (maxAttackTargets, the oldest attack's dropped
// first) and are never dropped for asked-for ones. They live in memory only: a restart loses them. Histories are
// rings of a bounded length (`seconds` points each).
//
// This module only reads counting's tables; it computes nothing detection needs.
import { keyText, parseKeyPrefix, prefixMaskWord, type ParsedKeyPrefix } from '../counting/address-key.js';
import type { TrafficCounter } from '../counting/traffic-counter.js';

export interface TrafficRate {
  target: string;
  pps: number;
  bps: number;
}

export interface TrafficSample {
  /** ms since the epoch when it was read. */
  t: number;
  pps: number;
  bps: number;
  /** The busiest destinations by pps. */
  top: TrafficRate[];
}

export type SeriesPoint = [t: number, pps: number, bps: number];

/** Destinations read between two turns of the event loop. */
const SLICE = 16_384;

export interface TrafficHistoryOptions {
  counter: () => TrafficCounter;
  clock: () => number;
  /** Seconds of history kept per series (default 3600). */
  seconds?: number;
  /** Destinations kept in each second's top list (default 20). */
  topSize?: number;
  /** Most destinations or prefixes watched at once beyond the configured prefixes (default 64). */
  maxWatches?: number;
  /** Most attack targets whose series are kept from their attack's start, besides those (default 32). */
  maxAttackTargets?: number;
}

/** A ring of [t, pps, bps] per second. */
class SeriesRing {
  private readonly data: Float64Array;
  private next = 0;
  private count = 0;

  constructor(private readonly size: number) {
    this.data = new Float64Array(size * 3);
  }

  push(t: number, pps: number, bps: number): void {
    const at = this.next * 3;
    this.data[at] = t;
    this.data[at + 1] = pps;
    this.data[at + 2] = bps;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** Points not older than `since`, oldest first. */
  points(since: number): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (let k = this.count; k > 0; k--) {
      const at = ((this.next - k + this.size) % this.size) * 3;
      if (this.data[at]! >= since) out.push([this.data[at]!, this.data[at + 1]!, this.data[at + 2]!]);
    }
    return out;
  }
}

interface Watch {
  prefix: ParsedKeyPrefix;
  mask: Uint32Array;
  /** An address's key words (a /32 or /128: looked up in counting's table, not scanned for); undefined for a prefix. */
  address: Uint32Array | undefined;
  ring: SeriesRing;
  askedAt: number;
  /** When an attack on it last started (keepForAttack); undefined for a series kept only because it was asked for. */
  attackAt: number | undefined;
  packets: number;
  bytes: number;
}

export class TrafficHistory {
  private readonly seconds: number;
  private readonly topSize: number;
  private readonly maxWatches: number;
  private readonly maxAttackTargets: number;
  private readonly total: SeriesRing;
  /** One ring per configured prefix, by network index (counting's order). */
  private networkRings: SeriesRing[] = [];
  private networkRates: TrafficRate[] = [];
  private readonly watches = new Map<string, Watch>();
  private readonly key = new Uint32Array(4);
  private timer: NodeJS.Timeout | undefined;
  private latest: TrafficSample | undefined;
  /** How long the latest sample took (ms). */
  lastSampleMs = 0;

  constructor(private readonly options: TrafficHistoryOptions) {
    this.seconds = options.seconds ?? 3600;
    this.topSize = options.topSize ?? 20;
    this.maxWatches = options.maxWatches ?? 64;
    this.maxAttackTargets = options.maxAttackTargets ?? 32;
    this.total = new SeriesRing(this.seconds);
  }

  /**
   * Samples once a second from now on, handing each sample to `onSample` (the live stream). The timer's samples
   * read the destinations in slices with a turn of the event loop between them, so a large table never holds
   * up the intake or a request for the whole read.
   */
  start(onSample?: (sample: TrafficSample) => void): void {
    if (this.timer !== undefined) return;
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.sampleInSlices()
        .then((s) => onSample?.(s))
        .finally(() => (busy = false));
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Starts (or refreshes) a series for an address or a prefix; returns its canonical prefix text, or undefined
   * when the text is neither. A new series starts empty.
   */
  watch(target: string): string | undefined {
    return this.keep(target, false);
  }

  /**
   * Keeps an attack target's series from now on (attack.started), whether or not anyone asks for it; returns its
   * canonical prefix text, or undefined when the target is neither an address nor a prefix. A series the target
   * already had goes on.
   */
  keepForAttack(target: string): string | undefined {
    return this.keep(target, true);
  }

  private keep(target: string, attack: boolean): string | undefined {
    const prefix = parseKeyPrefix(target.includes('/') ? target : `${target}/${target.includes(':') ? 128 : 32}`);
    if (prefix === undefined) return undefined;
    const now = this.options.clock();
    const existing = this.watches.get(prefix.text);
    if (existing !== undefined) {
      if (!attack) existing.askedAt = now;
      else {
        // An asked-for series becomes an attack's, keeping its points.
        if (existing.attackAt === undefined) this.makeRoom(true);
        existing.attackAt = now;
      }
      return prefix.text;
    }
    this.makeRoom(attack);
    const mask = Uint32Array.from([0, 1, 2, 3], (w) => prefixMaskWord(prefix.length, w));
    const address = prefix.length === (prefix.family === 4 ? 32 : 128) ? Uint32Array.from(prefix.words) : undefined;
    this.watches.set(prefix.text, { prefix, mask, address, ring: new SeriesRing(this.seconds), askedAt: now, attackAt: attack ? now : undefined, packets: 0, bytes: 0 });
    return prefix.text;
  }

  /**
   * Drops one series of a kind when that kind is full: an asked-for one makes room among asked-for ones (least
   * recently asked), an attack's among attacks' (the oldest attack); neither kind ever pushes out the other.
   */
  private makeRoom(attack: boolean): void {
    const kind = [...this.watches.values()].filter((w) => (w.attackAt !== undefined) === attack);
    if (kind.length < (attack ? this.maxAttackTargets : this.maxWatches)) return;
    const age = (w: Watch) => (attack ? w.attackAt! : w.askedAt);
    const oldest = kind.reduce((a, b) => (age(a) <= age(b) ? a : b));
    this.watches.delete(oldest.prefix.text);
  }

  /** One sample now, read in one go (tests; the timer reads in slices). */
  sample(): TrafficSample {
    const reading = this.read();
    let step = reading.next();
    while (step.done !== true) step = reading.next();
    return step.value;
  }

  /** One sample read in slices of SLICE destinations, yielding to the event loop between them. */
  async sampleInSlices(): Promise<TrafficSample> {
    const reading = this.read();
    let step = reading.next();
    while (step.done !== true) {
      await new Promise((resolve) => setImmediate(resolve));
      step = reading.next();
    }
    return step.value;
  }

  /** The sample, as a generator that pauses every SLICE destinations. lastSampleMs counts the work, not the pauses. */
  private *read(): Generator<void, TrafficSample, void> {
    let busyMs = 0;
    let started = performance.now();
    const counter = this.options.counter();
    const now = this.options.clock();
    // The last complete tick, and the window of ticks that ends with it.
    const T = counter.tickOf(now) - 1;
    const W = counter.windowTicks;
    const windowSeconds = (W * counter.tickMs) / 1000;
    const rate = (packets: number, bytes: number) => ({ pps: packets / windowSeconds, bps: (bytes * 8) / windowSeconds });

    // Configured prefixes: counting keeps one aggregate each; together they are all protected traffic.
    const nets = counter.networks;
    const netCount = nets.usedEntries;
    if (this.networkRings.length !== netCount) this.networkRings = Array.from({ length: netCount }, () => new SeriesRing(this.seconds));
    let packets = 0;
    let bytes = 0;
    this.networkRates = [];
    for (let e = 0; e < netCount; e++) {
      const p = nets.windowPackets(e, T);
      const b = nets.windowBytes(e, T);
      packets += p;
      bytes += b;
      const r = rate(p, b);
      this.networkRings[e]!.push(now, r.pps, r.bps);
      nets.readKey(e, this.key);
      const tag = nets.tagOf(e);
      this.networkRates.push({ target: `${keyText(tag & 0xff, this.key[0]!, this.key[1]!, this.key[2]!, this.key[3]!)}/${tag >>> 8}`, ...r });
    }

    // Destinations: the busiest by packets, and the watched ones. A watched address is looked up (attack
    // targets are kept for an hour, so a scan per address would cost every destination once per target); a
    // watched prefix is summed over the scan.
    const hosts = counter.hosts;
    const all = [...this.watches.values()];
    const watches = all.filter((w) => w.address === undefined);
    const oldest = T - W + 1;
    for (const w of all) {
      w.packets = 0;
      w.bytes = 0;
      if (w.address === undefined) continue;
      const e = hosts.locate(w.prefix.family, w.address, 0);
      if (e < 0 || hosts.newestTick(e) < oldest) continue;
      w.packets = hosts.windowPackets(e, T);
      w.bytes = hosts.windowBytes(e, T);
    }
    const topEntry: number[] = [];
    const topPackets: number[] = [];
    const limit = hosts.usedEntries;
    for (let e = 0; e < limit; e++) {
      if (e % SLICE === SLICE - 1) {
        busyMs += performance.now() - started;
        yield;
        started = performance.now();
      }
      const tag = hosts.tagOf(e);
      if (tag === 0 || hosts.newestTick(e) < oldest) continue;
      const p = hosts.windowPackets(e, T);
      if (p <= 0) continue;
      if (topEntry.length < this.topSize || p > topPackets[topPackets.length - 1]!) {
        let at = topPackets.length;
        while (at > 0 && topPackets[at - 1]! < p) at--;
        topEntry.splice(at, 0, e);
        topPackets.splice(at, 0, p);
        if (topEntry.length > this.topSize) {
          topEntry.pop();
          topPackets.pop();
        }
      }
      if (watches.length === 0) continue;
      hosts.readKey(e, this.key);
      const family = tag & 0xff;
      const k = this.key;
      for (const w of watches) {
        const m = w.mask;
        const q = w.prefix.words;
        if (w.prefix.family === family && ((k[0]! & m[0]!) >>> 0) === q[0] && ((k[1]! & m[1]!) >>> 0) === q[1] && ((k[2]! & m[2]!) >>> 0) === q[2] && ((k[3]! & m[3]!) >>> 0) === q[3]) {
          w.packets += p;
          w.bytes += hosts.windowBytes(e, T);
        }
      }
    }
    for (const w of all) {
      const r = rate(w.packets, w.bytes);
      w.ring.push(now, r.pps, r.bps);
    }
    const top = topEntry.map((e) => {
      hosts.readKey(e, this.key);
      return { target: keyText(hosts.tagOf(e) & 0xff, this.key[0]!, this.key[1]!, this.key[2]!, this.key[3]!), ...rate(hosts.windowPackets(e, T), hosts.windowBytes(e, T)) };
    });
    const totals = rate(packets, bytes);
    this.total.push(now, totals.pps, totals.bps);
    this.latest = { t: now, pps: totals.pps, bps: totals.bps, top };
    this.lastSampleMs = busyMs + performance.now() - started;
    return this.latest;
  }

  /** The latest second (zeros before the first sample). */
  current(): TrafficSample {
    return this.latest ?? { t: this.options.clock(), pps: 0, bps: 0, top: [] };
  }

  /** The busiest destinations of the latest second, by pps or bps (picked by packets, then ordered). */
  top(limit: number, by: 'pps' | 'bps'): TrafficRate[] {
    const list = [...this.current().top];
    if (by === 'bps') list.sort((a, b) => b.bps - a.bps);
    return list.slice(0, limit);
  }

  /** Each configured prefix's rate in the latest second. */
  prefixes(): TrafficRate[] {
    return this.networkRates;
  }

  /** All protected traffic per second over the last `seconds`. */
  totalSeries(seconds: number): SeriesPoint[] {
    return this.total.points(this.options.clock() - seconds * 1000);
  }

  /** The sum of configured prefixes' series (by network index), second by second. */
  networkSeries(indexes: readonly number[], seconds: number): SeriesPoint[] {
    const since = this.options.clock() - seconds * 1000;
    const rings = indexes.map((i) => this.networkRings[i]).filter((r): r is SeriesRing => r !== undefined);
    if (rings.length === 0) return [];
    const sums = rings[0]!.points(since).map((p) => [...p] as SeriesPoint);
    for (const ring of rings.slice(1)) {
      ring.points(since).forEach((p, i) => {
        const s = sums[i];
        if (s !== undefined) {
          s[1] += p[1];
          s[2] += p[2];
        }
      });
    }
    return sums;
  }

  /** A watched address's or prefix's series over the last `seconds` (empty until watch() and a sample). */
  series(prefixText: string, seconds: number): SeriesPoint[] {
    const w = this.watches.get(prefixText);
    if (w === undefined) return [];
    w.askedAt = this.options.clock();
    return w.ring.points(this.options.clock() - seconds * 1000);
  }

  /** Attack targets whose series are kept now (canonical prefix texts). */
  attackTargets(): string[] {
    return [...this.watches.values()].filter((w) => w.attackAt !== undefined).map((w) => w.prefix.text);
  }

  /** Seconds of history a series holds at most. */
  get capacitySeconds(): number {
    return this.seconds;
  }
}
