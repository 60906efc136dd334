// Counting for detection: reads FlowBatches (the intake's binary message, layout in intake/flow-batch.ts) and
// counts every flow sample whose destination lies in a protected network into three kinds of subject:
//   - the destination address (IPv4 or IPv6),
//   - its block (/24 for IPv4, /64 for IPv6 by default), so traffic spread thinly over many hosts adds up,
//   - the configured prefix it falls in (longest match; host groups are lists of such prefixes),
//   - the aggregate of that prefix's host group and address family: every prefix of the group together, so an
//     attack spread thinly over a whole group (carpet bombing over several prefixes) adds up too. Counted only
//     for groups with a threshold for it (detection sets a finite promotion level).
// Every subject gets level-one windowed totals (traffic-window.ts); a subject whose windowed rate reaches its
// promotion level gets per-vector detail (vector-windows.ts) from that sample on. Each sample is scaled by its own
// sampling rate, or by the exporter's override.
//
// The per-sample path allocates nothing: addresses go to the tables as (array, offset), times and levels through
// typed arrays, so no number that is not a small integer crosses a call (V8 would box it). This module counts;
// it does not know what a threshold or an attack is: promotion levels are numbers detection hands it, per
// configured prefix.
import { BATCH_HEADER_BYTES as BATCH_HEADER_BYTESBinding, BatchViews, DatagramField as DatagramFieldBinding, FlowField as FlowFieldBinding, RECORD_BYTES as RECORD_BYTESBinding, RecordKind as RecordKindBinding } from '../intake/flow-batch.js';
import { prefixMaskWord, type ParsedKeyPrefix } from './address-key.js';
import { PrefixTrie } from './prefix-trie.js';
import { SamplingOverrides, type SamplingOverride } from './sampling-overrides.js';
import { TrafficWindowTable } from './traffic-window.js';
import { SubjectKind as SubjectKindBinding, VectorWindowPool } from './vector-windows.js';
import { classifyVector as classifyVectorBinding } from './vector.js';

// Imported constants copied into module constants: the hot loops below read them per sample or per cell, and
// an import binding can compile to a getter call (as it does under tsx).
const BATCH_HEADER_BYTES = BATCH_HEADER_BYTESBinding;
const DatagramField = DatagramFieldBinding;
const FlowField = FlowFieldBinding;
const RECORD_BYTES = RECORD_BYTESBinding;
const RecordKind = RecordKindBinding;
const SubjectKind = SubjectKindBinding;
const classifyVector = classifyVectorBinding;

export interface TrafficCounterOptions {
  tickMs: number;
  windowTicks: number;
  /** Sample times before this are not counted (ticks are numbered from it). */
  epochMs: number;
  hostCapacity: number;
  blockCapacity: number;
  promotedCapacity: number;
  blockPrefixLength: { ipv4: number; ipv6: number };
  /** The protected prefixes; a subject's network is its index here. */
  networks: readonly ParsedKeyPrefix[];
  /** Host group index of each network (same order as `networks`); groups are counted per address family. */
  networkGroups?: readonly number[];
  samplingOverrides: readonly SamplingOverride[];
  /** Hosts and blocks without traffic this many ticks may be evicted (detection calls evictIdle). */
  idleTicks: number;
  /** Time constant of every entry's slow rate (traffic-window.ts); default 10 s. */
  slowSeconds?: number;
  ringSize?: number;
  benignSize?: number;
  benignPerTick?: number;
}

export class TrafficCounter {
  readonly hosts: TrafficWindowTable;
  readonly blocks: TrafficWindowTable;
  readonly networks: TrafficWindowTable;
  /** Host-group aggregates: entry 2 × group + (IPv6 ? 1 : 0). */
  readonly groups: TrafficWindowTable;
  readonly pool: VectorWindowPool;
  readonly overrides: SamplingOverrides;
  readonly tickMs: number;
  readonly windowTicks: number;
  readonly epochMs: number;
  /**
   * Promotion levels in packets and bytes per window, per subject kind (SubjectKind: host, block, network, group)
   * and network index (a group's level is set on each of its networks). Infinity (the start) promotes nothing.
   * A group aggregate whose levels are both Infinity is not counted at all.
   */
  readonly promotePackets: Float64Array[];
  readonly promoteBytes: Float64Array[];
  private readonly trie = new PrefixTrie();
  /** Per network: its entry in `groups`. */
  private readonly groupEntryOf: Int32Array;
  private readonly blockMask4: Uint32Array;
  private readonly blockMask6: Uint32Array;
  /** The masked block key of the sample being counted. */
  private readonly blockKey = new Uint32Array(4);
  /** Estimated packets and bytes counted, newest sample time (typed, so the per-sample path stores no double in an object field). */
  private readonly totals = new Float64Array(3);
  private cachedBuffer: ArrayBufferLike | undefined;
  private cachedOffset = -1;
  private cachedViews: BatchViews | undefined;

  /** Flow samples counted into a protected destination, and those that were not (and why). */
  samples = 0;
  unprotectedSamples = 0;
  nonIpSamples = 0;
  /** Samples reporting sampling rate 0 (counted as 1:1) and samples older than the epoch. */
  zeroRateSamples = 0;
  earlySamples = 0;
  /** Promotions refused because the pool was full (the subject retries on its next sample). */
  promotionsRefused = 0;
  readonly idleTicks: number;
  /**
   * A host's cached link to its block entry is trusted while the host's previous sample is at most this many
   * ticks old: the block got that sample too, so it cannot have been evicted as idle since (margin: a window of
   * late samples and 10 s of clock skew between sample times and the evicting tick).
   */
  private readonly linkTrustTicks: number;
  /** The first tick detection evaluated (startClock), and the newest tick at which a sample found a table full. */
  private startTick = -1;
  private overflowTick = -1;

  /** Estimated packets and bytes counted (protected destinations only). */
  get packets(): number {
    return this.totals[0]!;
  }

  get bytes(): number {
    return this.totals[1]!;
  }

  /** Newest sample time seen. */
  get newestSampleMs(): number {
    return this.totals[2]!;
  }

  constructor(options: TrafficCounterOptions) {
    this.tickMs = options.tickMs;
    this.windowTicks = options.windowTicks;
    this.idleTicks = options.idleTicks;
    this.linkTrustTicks = options.idleTicks - options.windowTicks - Math.ceil(10_000 / options.tickMs);
    this.epochMs = options.epochMs;
    const W = options.windowTicks;
    const n = Math.max(1, options.networks.length);
    const slow = { windowTicks: W, tickMs: options.tickMs, slowSeconds: options.slowSeconds ?? 10 };
    this.hosts = new TrafficWindowTable({ capacity: options.hostCapacity, ...slow });
    this.blocks = new TrafficWindowTable({ capacity: options.blockCapacity, ...slow });
    this.networks = new TrafficWindowTable({ capacity: n, ...slow });
    const networkGroups = options.networkGroups ?? options.networks.map(() => 0);
    const groupCount = networkGroups.reduce((m, g) => Math.max(m, g + 1), 1);
    this.groups = new TrafficWindowTable({ capacity: 2 * groupCount, ...slow });
    this.pool = new VectorWindowPool({
      capacity: options.promotedCapacity + options.networks.length + 2 * groupCount,
      windowTicks: W,
      ringSize: options.ringSize,
      benignSize: options.benignSize,
      benignPerTick: options.benignPerTick,
    });
    this.overrides = new SamplingOverrides(options.samplingOverrides);
    this.promotePackets = [0, 1, 2, 3].map(() => new Float64Array(n).fill(Infinity));
    this.promoteBytes = [0, 1, 2, 3].map(() => new Float64Array(n).fill(Infinity));
    this.blockMask4 = Uint32Array.from([0, 1, 2, 3], (w) => prefixMaskWord(options.blockPrefixLength.ipv4, w));
    this.blockMask6 = Uint32Array.from([0, 1, 2, 3], (w) => prefixMaskWord(options.blockPrefixLength.ipv6, w));
    options.networks.forEach((p, i) => {
      this.trie.insert(p.family, p.words, p.length, i);
      const words = Uint32Array.from(p.words);
      const located = this.networks.locate(networkTag(p.family, p.length), words, 0);
      // Two configured prefixes with the same text share one aggregate (config validation rejects duplicates).
      const e = located >= 0 ? located : this.networks.insert(located, networkTag(p.family, p.length), words, 0, i);
      if (e !== i) throw new Error(`duplicate protected prefix ${p.text}`);
    });
    // One aggregate per (group, family), entry 2g (IPv4) and 2g + 1 (IPv6); its network field names the group's
    // first network of that family (the promotion levels and the group are looked up through it).
    this.groupEntryOf = new Int32Array(n);
    const key = new Uint32Array(4);
    for (let g = 0; g < groupCount; g++) {
      for (const family of [4, 6] as const) {
        key[0] = g;
        const first = options.networks.findIndex((p, i) => networkGroups[i] === g && p.family === family);
        const e = this.groups.insert(this.groups.locate(groupTag(family), key, 0), groupTag(family), key, 0, Math.max(0, first));
        if (e !== 2 * g + (family === 6 ? 1 : 0)) throw new Error('group aggregate table out of order');
      }
    }
    options.networks.forEach((p, i) => (this.groupEntryOf[i] = 2 * networkGroups[i]! + (p.family === 6 ? 1 : 0)));
  }

  /** Marks the tick counting started at (detection's first tick); later calls change nothing. */
  startClock(tick: number): void {
    if (this.startTick < 0) this.startTick = tick;
  }

  /**
   * From this tick on, an entry's slow rate (traffic-window.ts) can be trusted as the rate of the time before its
   * window; before it, detection's quiet-before rule is off for every subject (Infinity until startClock).
   * Why: an entry inserted at tick c had no sample for at least min(idleTicks, c - start) before c (an entry is
   * evicted only after idleTicks without one, and nothing was seen before counting started), so its slow rate
   * starting at 0 is right — unless a table overflowed: the samples of destinations that could not be inserted
   * were not seen at all. Hence: (start, or the last overflow, whichever is later) + idleTicks + 3 time
   * constants (what came before that weighs at most e^-3 in the average).
   */
  get quietTrustTick(): number {
    if (this.startTick < 0) return Infinity;
    const slowTicks = Math.ceil((this.hosts.slowSeconds * 1000) / this.tickMs);
    return Math.max(this.startTick, this.overflowTick) + this.idleTicks + 3 * slowTicks;
  }

  /** The tick a time falls in (ticks count from the epoch). */
  tickOf(timeMs: number): number {
    return Math.floor((timeMs - this.epochMs) / this.tickMs);
  }

  /** Start time of a tick. */
  tickStartMs(tick: number): number {
    return this.epochMs + tick * this.tickMs;
  }

  /** The configured prefix (network index) an address falls in, or -1 (reports and tests). */
  networkOf(family: number, w0: number, w1: number, w2: number, w3: number): number {
    return this.trie.lookup(family, w0, w1, w2, w3);
  }

  /** Counts every flow record of one FlowBatch. */
  consume(bytes: Uint8Array): void {
    const views = this.viewsFor(bytes);
    const { u8, u16, u32 } = views;
    const count = views.count;
    const base = views.baseTimeMs;
    const overrides = this.overrides;
    const totals = this.totals;
    const sampleTime = this.pool.sampleTime;
    const blockKey = this.blockKey;
    const groupPackets = this.promotePackets[SubjectKind.group]!;
    const groupBytes = this.promoteBytes[SubjectKind.group]!;
    let tick = this.tickOf(base);
    let override = -1;
    let skip = false;
    for (let r = 0; r < count; r++) {
      const at = BATCH_HEADER_BYTES + r * RECORD_BYTES;
      const kind = u8[at]!;
      if (kind === RecordKind.datagram) {
        const now = base + u32[(at + DatagramField.timeOffsetMs) >>> 2]!;
        sampleTime[0] = now;
        tick = Math.floor((now - this.epochMs) / this.tickMs);
        skip = u8[at + DatagramField.status] !== 0 || tick < 0;
        override = overrides.count === 0 ? -1 : overrides.find(u8[at + DatagramField.agentFamily]!, u32, (at + DatagramField.agentAddress) >>> 2);
        if (now > totals[2]!) totals[2] = now;
        continue;
      }
      if (kind !== RecordKind.flow) continue;
      if (skip) {
        if (tick < 0) this.earlySamples++;
        continue;
      }
      const family = u8[at + FlowField.ipVersion]!;
      if (family !== 4 && family !== 6) {
        this.nonIpSamples++;
        continue;
      }
      const d = (at + FlowField.dstAddress) >>> 2;
      const hosts = this.hosts;
      let host = hosts.locate(family, u32, d);
      let network: number;
      if (host < 0) {
        network = this.trie.lookupAt(family, u32, d);
        if (network < 0) {
          this.unprotectedSamples++;
          continue;
        }
        host = hosts.insert(host, family, u32, d, network);
        if (host < 0 && tick > this.overflowTick) this.overflowTick = tick;
      } else {
        network = hosts.networkOf(host);
      }
      let rate = u32[(at + FlowField.samplingRate) >>> 2]!;
      if (override >= 0) {
        rate = overrides.rate(override);
        overrides.applied[override]!++;
      } else if (rate === 0) {
        rate = 1;
        this.zeroRateSamples++;
      }
      const sampleBytes = rate * u32[(at + FlowField.frameLength) >>> 2]!;
      this.samples++;
      totals[0]! += rate;
      totals[1]! += sampleBytes;
      const vector = classifyVector(u8[at + FlowField.protocol]!, u8[at + FlowField.tcpFlags]!, u8[at + FlowField.flags]!, u16[(at + FlowField.srcPort) >>> 1]!);

      // The host's block: its cached link while that is certain to be valid, else a lookup (and a new link).
      const blocks = this.blocks;
      let block = host >= 0 ? hosts.linkOf(host) : -1;
      if (block >= 0 && hosts.newestTick(host) < tick - this.linkTrustTicks) block = -1;
      if (block < 0) {
        const m = family === 4 ? this.blockMask4 : this.blockMask6;
        blockKey[0] = u32[d]! & m[0]!;
        blockKey[1] = u32[d + 1]! & m[1]!;
        blockKey[2] = u32[d + 2]! & m[2]!;
        blockKey[3] = u32[d + 3]! & m[3]!;
        block = blocks.locate(family, blockKey, 0);
        if (block < 0) {
          block = blocks.insert(block, family, blockKey, 0, network);
          if (block < 0 && tick > this.overflowTick) this.overflowTick = tick;
        }
        if (host >= 0) hosts.setLink(host, block);
      }
      if (host >= 0) this.countSubject(hosts, SubjectKind.host, host, network, tick, vector, rate, sampleBytes, u8, u16, u32, at);
      if (block >= 0) this.countSubject(blocks, SubjectKind.block, block, network, tick, vector, rate, sampleBytes, u8, u16, u32, at);

      this.countSubject(this.networks, SubjectKind.network, network, network, tick, vector, rate, sampleBytes, u8, u16, u32, at);
      if (groupPackets[network] !== Infinity || groupBytes[network] !== Infinity) {
        this.countSubject(this.groups, SubjectKind.group, this.groupEntryOf[network]!, network, tick, vector, rate, sampleBytes, u8, u16, u32, at);
      }
    }
  }

  private countSubject(
    table: TrafficWindowTable,
    kind: number,
    e: number,
    network: number,
    tick: number,
    vector: number,
    rate: number,
    sampleBytes: number,
    u8: Uint8Array,
    u16: Uint16Array,
    u32: Uint32Array,
    at: number,
  ): void {
    if (!table.add(e, tick, rate, sampleBytes)) return;
    let slot = table.slotOf(e);
    if (slot < 0) {
      const packetLevels = this.promotePackets[kind]!;
      const byteLevels = this.promoteBytes[kind]!;
      // No threshold for this kind in this group (blocks and prefixes often have none): nothing to promote for.
      if (packetLevels[network] === Infinity && byteLevels[network] === Infinity) return;
      if (!table.reaches(e, tick, packetLevels, byteLevels, network)) return;
      slot = this.pool.acquire(kind, e);
      if (slot < 0) {
        this.promotionsRefused++;
        return;
      }
      table.setSlot(e, slot);
      this.pool.setOrigin(slot, tick, rate);
    }
    this.pool.add(slot, tick, vector, rate, sampleBytes, u8, u16, u32, at);
  }

  /** The window table of a subject kind. */
  table(kind: number): TrafficWindowTable {
    return kind === SubjectKind.host ? this.hosts : kind === SubjectKind.block ? this.blocks : kind === SubjectKind.network ? this.networks : this.groups;
  }

  /** Ends a subject's promotion (detection decides when); its level-one totals stay. */
  demote(slot: number): void {
    const kind = this.pool.ownerKind[slot]!;
    const e = this.pool.ownerEntry[slot]!;
    if (e >= 0) this.table(kind).setSlot(e, -1);
    this.pool.release(slot);
  }

  /** Frees host and block entries idle for idleTicks before `tick` and not promoted, a bounded number per call. */
  evictIdle(tick: number, budget: number): number {
    const cutoff = tick - this.idleTicks;
    return this.hosts.evictIdle(cutoff, budget) + this.blocks.evictIdle(cutoff, budget >>> 2);
  }

  private viewsFor(bytes: Uint8Array): BatchViews {
    if (this.cachedViews === undefined || bytes.buffer !== this.cachedBuffer || bytes.byteOffset !== this.cachedOffset) {
      this.cachedBuffer = bytes.buffer;
      this.cachedOffset = bytes.byteOffset;
      const length = (bytes.buffer.byteLength - bytes.byteOffset) & ~7;
      this.cachedViews = new BatchViews(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
    }
    return this.cachedViews;
  }
}

/** Tag of a host-group aggregate in the groups table: its family (and 255, a length no prefix has). */
export function groupTag(family: number): number {
  return family | (255 << 8);
}

/** Tag of a configured prefix in the networks table: its family and length. */
export function networkTag(family: number, length: number): number {
  return family | (length << 8);
}
