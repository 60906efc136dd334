// One second's traffic figures read from counting's tables, as a plain message: all protected traffic, each
// configured prefix, the busiest destinations and the sums of the addresses and prefixes someone watches. The
// API's traffic history (api/traffic-history.ts) keeps its per-second series from these summaries, wherever they
// were read: on this thread from the counter (CountingTrafficSource, detection in-process), or in the detection
// thread, which reads its own counter once a second and posts the summary (detection/detection-thread.ts).
//
// Rates are the counting windows' (the packets and bytes of the last complete window divided by its length), so
// a series and the thresholds drawn over it measure the same thing. Read once a second, never per sample; the
// read may pause between slices of destinations (a generator), so a large table does not hold an event loop.
// A summary is JSON-serialisable data: it can cross a thread, process or machine boundary unchanged.
import { keyText, parseKeyPrefix, prefixMaskWord, type ParsedKeyPrefix } from './address-key.js';
import type { TrafficCounter } from './traffic-counter.js';

export interface TrafficRate {
  target: string;
  pps: number;
  bps: number;
}

export interface TrafficSummary {
  /** Wall-clock ms (Date.now of the reader) when the read started. */
  at: number;
  /** All protected traffic: the sum of the configured prefixes. */
  total: { pps: number; bps: number };
  /** Each configured prefix (networks and host groups) as `address/length`, in counting's network order. */
  networks: TrafficRate[];
  /** The busiest destinations by packets, busiest first. */
  top: TrafficRate[];
  /** Each watched address or prefix, by its canonical prefix text (parseKeyPrefix). */
  watched: TrafficRate[];
  /** How long the read took (ms of work, not counting pauses between slices). */
  readMs: number;
}

/** Destinations read between two pauses of a sliced read. */
const SLICE = 16_384;

interface ReaderWatch {
  prefix: ParsedKeyPrefix;
  mask: Uint32Array;
  /** An address's key words (a /32 or /128: looked up in counting's table, not scanned for); undefined for a prefix. */
  address: Uint32Array | undefined;
  packets: number;
  bytes: number;
}

/** Reads summaries from one counter; holds the parsed watched targets between reads. */
export class TrafficReader {
  private readonly watches = new Map<string, ReaderWatch>();
  private readonly key = new Uint32Array(4);
  private readonly sums = new Float64Array(2);

  constructor(
    private readonly counter: () => TrafficCounter,
    private readonly topSize = 20,
  ) {}

  /** The addresses and prefixes whose sums the next summaries carry (texts that do not parse are left out). */
  setWatched(targets: readonly string[]): void {
    const keep = new Set<string>();
    for (const text of targets) {
      const prefix = parseKeyPrefix(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
      if (prefix === undefined) continue;
      keep.add(prefix.text);
      if (this.watches.has(prefix.text)) continue;
      const mask = Uint32Array.from([0, 1, 2, 3], (w) => prefixMaskWord(prefix.length, w));
      const address = prefix.length === (prefix.family === 4 ? 32 : 128) ? Uint32Array.from(prefix.words) : undefined;
      this.watches.set(prefix.text, { prefix, mask, address, packets: 0, bytes: 0 });
    }
    for (const text of [...this.watches.keys()]) if (!keep.has(text)) this.watches.delete(text);
  }

  /** One summary in one go. */
  readAll(): TrafficSummary {
    const reading = this.read();
    let step = reading.next();
    while (step.done !== true) step = reading.next();
    return step.value;
  }

  /** One summary read in slices of destinations, with a turn of the event loop between them. */
  async readInSlices(): Promise<TrafficSummary> {
    const reading = this.read();
    let step = reading.next();
    while (step.done !== true) {
      await new Promise((resolve) => setImmediate(resolve));
      step = reading.next();
    }
    return step.value;
  }

  /** The read, as a generator that pauses every SLICE destinations. */
  *read(): Generator<void, TrafficSummary, void> {
    let busyMs = 0;
    let started = performance.now();
    const at = Date.now();
    const counter = this.counter();
    // The last complete tick, and the window of ticks that ends with it.
    const T = counter.tickOf(at) - 1;
    const W = counter.windowTicks;
    const windowSeconds = (W * counter.tickMs) / 1000;
    const rate = (target: string, packets: number, bytes: number): TrafficRate => ({ target, pps: packets / windowSeconds, bps: (bytes * 8) / windowSeconds });

    // Configured prefixes: counting keeps one aggregate each; together they are all protected traffic.
    const nets = counter.networks;
    const netCount = nets.usedEntries;
    let packets = 0;
    let bytes = 0;
    const networks: TrafficRate[] = [];
    const sums = this.sums;
    for (let e = 0; e < netCount; e++) {
      nets.windowSums(e, T, sums);
      const p = sums[0]!;
      const b = sums[1]!;
      packets += p;
      bytes += b;
      nets.readKey(e, this.key);
      const tag = nets.tagOf(e);
      networks.push(rate(`${keyText(tag & 0xff, this.key[0]!, this.key[1]!, this.key[2]!, this.key[3]!)}/${tag >>> 8}`, p, b));
    }

    // Destinations: the busiest by packets, and the watched ones. A watched address is looked up (attack
    // targets are kept for an hour, so a scan per address would cost every destination once per target); a
    // watched prefix is summed over the scan.
    const hosts = counter.hosts;
    const all = [...this.watches.values()];
    const prefixes = all.filter((w) => w.address === undefined);
    for (const w of all) {
      w.packets = 0;
      w.bytes = 0;
      if (w.address === undefined) continue;
      const e = hosts.locate(w.prefix.family, w.address, 0);
      if (e < 0) continue;
      hosts.windowSums(e, T, sums);
      w.packets = sums[0]!;
      w.bytes = sums[1]!;
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
      if (tag === 0) continue;
      hosts.windowSums(e, T, sums);
      const p = sums[0]!;
      if (p <= 0) continue;
      if (topEntry.length < this.topSize || p > topPackets[topPackets.length - 1]!) {
        let place = topPackets.length;
        while (place > 0 && topPackets[place - 1]! < p) place--;
        topEntry.splice(place, 0, e);
        topPackets.splice(place, 0, p);
        if (topEntry.length > this.topSize) {
          topEntry.pop();
          topPackets.pop();
        }
      }
      if (prefixes.length === 0) continue;
      hosts.readKey(e, this.key);
      const family = tag & 0xff;
      const k = this.key;
      for (const w of prefixes) {
        const m = w.mask;
        const q = w.prefix.words;
        if (w.prefix.family === family && ((k[0]! & m[0]!) >>> 0) === q[0] && ((k[1]! & m[1]!) >>> 0) === q[1] && ((k[2]! & m[2]!) >>> 0) === q[2] && ((k[3]! & m[3]!) >>> 0) === q[3]) {
          w.packets += p;
          w.bytes += sums[1]!;
        }
      }
    }
    const top = topEntry.map((e) => {
      hosts.readKey(e, this.key);
      hosts.windowSums(e, T, sums);
      return rate(keyText(hosts.tagOf(e) & 0xff, this.key[0]!, this.key[1]!, this.key[2]!, this.key[3]!), sums[0]!, sums[1]!);
    });
    const totals = rate('all', packets, bytes);
    return {
      at,
      total: { pps: totals.pps, bps: totals.bps },
      networks,
      top,
      watched: all.map((w) => rate(w.prefix.text, w.packets, w.bytes)),
      readMs: busyMs + performance.now() - started,
    };
  }
}

/** A subscription to per-second summaries: told when its watched targets change, stopped when done. */
export interface TrafficFollower {
  watchesChanged(): void;
  stop(): void;
}

/** Where the per-second summaries come from: the counter on this thread, or the detection thread. */
export interface TrafficSummarySource {
  /** A summary about once a second from now on, each with the sums of the targets `watched()` gives. */
  follow(onSummary: (summary: TrafficSummary) => void, watched: () => readonly string[]): TrafficFollower;
  /** One summary now. */
  readNow(watched: readonly string[]): Promise<TrafficSummary>;
  /** One summary now, read on this thread; only where the counter is on this thread. */
  readSync?(watched: readonly string[]): TrafficSummary;
}

/**
 * Summaries read from a counter on this thread (detection in-process): each follower reads once a second on its
 * own timer, in slices with a turn of the event loop between them, so a large table never holds up the intake or
 * a request for the whole read.
 */
export class CountingTrafficSource implements TrafficSummarySource {
  constructor(
    private readonly counter: () => TrafficCounter,
    private readonly topSize = 20,
  ) {}

  follow(onSummary: (summary: TrafficSummary) => void, watched: () => readonly string[]): TrafficFollower {
    const reader = new TrafficReader(this.counter, this.topSize);
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      reader.setWatched(watched());
      void reader
        .readInSlices()
        .then(onSummary)
        .finally(() => (busy = false));
    }, 1000);
    timer.unref();
    return { watchesChanged: () => {}, stop: () => clearInterval(timer) };
  }

  readNow(watched: readonly string[]): Promise<TrafficSummary> {
    return Promise.resolve(this.readSync(watched));
  }

  readSync(watched: readonly string[]): TrafficSummary {
    const reader = new TrafficReader(this.counter, this.topSize);
    reader.setWatched(watched);
    return reader.readAll();
  }
}
