// The traffic figures the REST API and the panel's dashboard show: pps and bps towards the protected networks,
// the busiest destinations, and a per-second history of both, kept from one summary a second of detection's
// counting (counting/traffic-summary.ts), never read on the per-sample path. Where detection runs decides where
// the summary is read: on this thread from the counter, in slices between other work (detection in-process), or
// in the detection thread, which posts each second's summary (detection.thread). Either way this history keeps
// the series and publishes the live stream's `traffic` event when a summary arrives. Every configured prefix
// (networks and host groups) has a series; a destination or an other prefix gets one from the first time
// someone asks for it (a bounded number of them, the least recently asked dropped first). Every attack's target
// gets one when the attack starts (keepForAttack, called from the attack bus's attack.started by
// routes/traffic.ts), so an attack's chart has its rate from its start even when nobody looked while it lasted;
// those are bounded separately (maxAttackTargets, the oldest attack's dropped first) and are never dropped for
// asked-for ones. They live in memory only: a restart loses them. Histories are rings of a bounded length
// (`seconds` points each).
//
// This module only keeps what counting's summaries say; it computes nothing detection needs.
import { parseKeyPrefix, type ParsedKeyPrefix } from '../counting/address-key.js';
import type { TrafficFollower, TrafficRate, TrafficSummary, TrafficSummarySource } from '../counting/traffic-summary.js';

export type { TrafficRate } from '../counting/traffic-summary.js';

export interface TrafficSample {
  /** ms since the epoch when it was read. */
  t: number;
  pps: number;
  bps: number;
  /** The busiest destinations by pps. */
  top: TrafficRate[];
}

export type SeriesPoint = [t: number, pps: number, bps: number];

export interface TrafficHistoryOptions {
  /** Where each second's summary comes from: detection's `traffic` (its counter here, or the detection thread). */
  source: TrafficSummarySource;
  clock: () => number;
  /** Seconds of history kept per series (default 3600). */
  seconds?: number;
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
  ring: SeriesRing;
  askedAt: number;
  /** When an attack on it last started (keepForAttack); undefined for a series kept only because it was asked for. */
  attackAt: number | undefined;
}

export class TrafficHistory {
  private readonly seconds: number;
  private readonly maxWatches: number;
  private readonly maxAttackTargets: number;
  private readonly total: SeriesRing;
  /** One ring per configured prefix, by network index (counting's order). */
  private networkRings: SeriesRing[] = [];
  private networkRates: TrafficRate[] = [];
  private readonly watches = new Map<string, Watch>();
  private follower: TrafficFollower | undefined;
  private latest: TrafficSample | undefined;
  /** How long reading the latest summary took where it was read (ms). */
  lastSampleMs = 0;

  constructor(private readonly options: TrafficHistoryOptions) {
    this.seconds = options.seconds ?? 3600;
    this.maxWatches = options.maxWatches ?? 64;
    this.maxAttackTargets = options.maxAttackTargets ?? 32;
    this.total = new SeriesRing(this.seconds);
  }

  /** Takes a summary about once a second from now on, handing each sample to `onSample` (the live stream). */
  start(onSample?: (sample: TrafficSample) => void): void {
    if (this.follower !== undefined) return;
    this.follower = this.options.source.follow(
      (summary) => {
        const sample = this.apply(summary);
        onSample?.(sample);
      },
      () => this.watchedTargets(),
    );
  }

  stop(): void {
    this.follower?.stop();
    this.follower = undefined;
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
    this.watches.set(prefix.text, { prefix, ring: new SeriesRing(this.seconds), askedAt: now, attackAt: attack ? now : undefined });
    this.follower?.watchesChanged();
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

  /** One sample now, read in one go on this thread (tests); only where counting runs on this thread. */
  sample(): TrafficSample {
    const readSync = this.options.source.readSync;
    if (readSync === undefined) throw new Error('sample() reads counting on this thread; detection runs in its own thread (detection.thread): use sampleNow()');
    return this.apply(readSync.call(this.options.source, this.watchedTargets()));
  }

  /** One sample now, wherever counting runs. */
  async sampleNow(): Promise<TrafficSample> {
    return this.apply(await this.options.source.readNow(this.watchedTargets()));
  }

  /** The canonical prefix texts of every series kept (what each summary must carry sums of). */
  private watchedTargets(): string[] {
    return [...this.watches.keys()];
  }

  /**
   * Takes one second's summary: a point on every series it carries, stamped with this history's clock at the time
   * the figures were read (now, less the summary's age), so the live stream shows how late a second arrives.
   */
  apply(summary: TrafficSummary): TrafficSample {
    const now = this.options.clock() - Math.max(0, Date.now() - summary.at);
    if (this.networkRings.length !== summary.networks.length) this.networkRings = Array.from({ length: summary.networks.length }, () => new SeriesRing(this.seconds));
    summary.networks.forEach((r, i) => this.networkRings[i]!.push(now, r.pps, r.bps));
    this.networkRates = summary.networks;
    for (const r of summary.watched) this.watches.get(r.target)?.ring.push(now, r.pps, r.bps);
    this.total.push(now, summary.total.pps, summary.total.bps);
    this.latest = { t: now, pps: summary.total.pps, bps: summary.total.bps, top: summary.top };
    this.lastSampleMs = summary.readMs;
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
