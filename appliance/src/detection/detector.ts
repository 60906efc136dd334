// The detection engine. It takes FlowBatches (consume) and a clock (tick(nowMs), every tickMs), and gives out
// AttackEvents through one callback. No I/O, no timers, no wall clock inside: the caller owns time, so the same
// engine runs live (detection-service.ts drives it from a timer), in tests and benchmarks (a simulated clock),
// and in replay of stored traffic.
//
// At each tick it evaluates every promoted subject (destination, block, configured prefix) over the last complete
// ticks: per threshold key and metric, the rate over the main window and the fast window, the threshold that
// applies (thresholds.ts: static, or max(floor, k × baseline)), and the confidence rule (confidence.ts). A key
// that is confidently above its threshold is classified (classifier.ts) into a vector family; a new (target,
// family) pair starts an attack with a profile and a mitigation signature (signature.ts); the tracker
// (attack-tracker.ts) runs its lifecycle. Once a second it feeds per-second rates to the baselines, except for
// subjects under a confident attack, and it demotes subjects that went quiet and evicts idle destinations.
//
// The per-sample path is counting's (traffic-counter.ts) and allocates nothing. The tick allocates only for
// subjects with a candidate or an attack (classification, profile, signature).
import type { DetectionConfig, HostGroupConfig } from '../config/detection-schema.js';
import { keyText } from '../counting/address-key.js';
import { TrafficCounter } from '../counting/traffic-counter.js';
import { CELL as CELLBinding, RING_WORDS as RING_WORDSBinding, RingWord as RingWordBinding, SubjectKind as SubjectKindBinding, type VectorWindowPool } from '../counting/vector-windows.js';
import { KEY_COUNT as KEY_COUNTBinding, KEY_TOTAL as KEY_TOTALBinding, KEY_VECTORS as KEY_VECTORSBinding, THRESHOLD_KEYS, VECTOR_COUNT as VECTOR_COUNTBinding } from '../counting/vector.js';
import type { AttackEvent, AttackRecord, Rates, Severity } from './attack.js';
import { benignSamples, earliestRingTime, ProfileAccumulator, recentSamples, type CompactSample } from './attack-profile.js';
import { AttackTracker, type GroupPart, type TrackedAttack } from './attack-tracker.js';
import { BaselineBook, type BaselineEntry, type BaselineSettings } from './baseline.js';
import { classify, exactFamilyMask, familyConfidence, familyOfVectorMask, FLASH_CROWD_CONFIDENCE, type Classification } from './classifier.js';
import { lowerBound as lowerBoundBinding } from './confidence.js';
import { HostGroups, METRICS, type HostGroup, type ProtectedNetwork } from './host-groups.js';
import { buildSignature } from './signature.js';
import { groupName, lowestLimits, ResolvedThreshold, thresholdFor as thresholdForBinding } from './thresholds.js';

// Imported constants copied into module constants: the hot loops below read them per sample or per cell, and
// an import binding can compile to a getter call (as it does under tsx).
const CELL = CELLBinding;
const RING_WORDS = RING_WORDSBinding;
const RingWord = RingWordBinding;
const SubjectKind = SubjectKindBinding;
const KEY_COUNT = KEY_COUNTBinding;
const KEY_TOTAL = KEY_TOTALBinding;
const KEY_VECTORS = KEY_VECTORSBinding;
const VECTOR_COUNT = VECTOR_COUNTBinding;
const lowerBound = lowerBoundBinding;
const thresholdFor = thresholdForBinding;

export interface DetectorConfig {
  networks: string[];
  hostGroups: HostGroupConfig[];
  detection: DetectionConfig;
}

export interface DetectorOptions {
  config: DetectorConfig;
  /** Tick numbering starts here (rounded down to a second); samples older are not counted. */
  epochMs: number;
  emit?: (event: AttackEvent) => void;
}

/** A threshold key that is confidently over its threshold at this tick. */
interface Candidate {
  key: number;
  metric: number;
  value: number;
  source: 'static' | 'baseline' | 'floor';
  group: number;
  rate: number;
  lowerBound: number;
  windowMs: number;
  /** steady: the strict confidences; quiet: the quiet-before rule's (the subject was quiet before its windows). */
  rule: 'quiet' | 'steady';
}

/** A subject with detail: what the tick needs to know about it, kept per pool slot. */
interface SlotState {
  subject: string;
  /** The subject's name in the baseline book: kinds apart (a block and a configured prefix can share a text). */
  baselineKey: string;
  kind: number;
  family: 4 | 6;
  network: number;
  group: HostGroup;
  baselines: (BaselineEntry | undefined)[];
  attacks: TrackedAttack[];
  lowSinceTick: number;
  /**
   * Thresholds per key × metric (NaN: none), with their source (0 static, 1 baseline, 2 floor) and group, as of
   * `thresholdsSecond`: baselines move at most once a second, so the tick only compares rates with these.
   */
  thresholds: Float64Array;
  thresholdSource: Uint8Array;
  thresholdGroup: Int16Array;
  thresholdsSecond: number;
  thresholdsWarm: boolean;
  /**
   * Headroom at the last evaluation: the fewest packets (bytes) any key of the main or fast window could still
   * take before reaching its threshold. Windows only grow by what is added, so until that much has been added the
   * subject cannot cross anything and the tick skips it.
   */
  slackPackets: number;
  slackBytes: number;
  /**
   * Narrow keys (fewer than NARROW_KEY_VECTORS vectors) each keep their own headroom, checked against what their
   * own vectors received: a memcached limit of 5000 pps must not make a busy web server count as "close".
   */
  narrowKeys: number[];
  narrowSlack: number[];
  /** A group aggregate's prefixes of its address family (its attacks' possible targets); empty for other kinds. */
  parts: ProtectedNetwork[];
  /**
   * The subject's settled rate (total packets/s and bits/s, averaged over SETTLE_SECONDS; -1 before the first
   * evaluation) and the tick it was last moved. Above endFraction of a threshold the benign ring keeps filling
   * while the rate stays within RISE_FACTOR of it, and freezes when the rate rises past that.
   */
  settledPps: number;
  settledBps: number;
  settledTick: number;
  /**
   * A threshold crossing the decision rule took at `tick` whose attack could not start yet: the subject's sample
   * ring held fewer than PROFILE_MIN_SAMPLES of its vectors (too few to classify and sign); hosts only. The
   * decision stands for one main window: the attack starts on the first tick whose ring has them, even when that
   * tick's own windows no longer cross (sampling noise), instead of waiting for a fresh crossing.
   */
  deferred: { candidate: Candidate; tick: number } | undefined;
}

/**
 * A subject that sits steadily above endFraction of its threshold (a busy server at 70% of it) is at its normal,
 * not rising: its benign ring keeps taking samples, so a flash crowd from there still has a reference from before
 * the rise. The ring freezes once the total rate exceeds RISE_FACTOR times the rate settled over SETTLE_SECONDS.
 */
const SETTLE_SECONDS = 10;
const RISE_FACTOR = 1.5;

const SOURCES = ['static', 'baseline', 'floor'] as const;
const KIND_NAMES = ['host', 'block', 'network', 'group'] as const;
/**
 * A group aggregate over its threshold starts one carpet-bombing attack per prefix of the group that carries at
 * least this share of the attack's sampled traffic (a prefix with less is named in no attack; see docs/detection.md).
 */
const GROUP_PART_MIN_SHARE = 0.05;

const KEY_MASKS: readonly number[] = KEY_VECTORS.map((vs) => vs.reduce((m, v) => m | (1 << v), 0));
const ALL_VECTORS = KEY_MASKS[KEY_TOTAL]!;
const DEMOTE_AFTER_SECONDS = 10;
const SIGNATURE_REFIT_MS = 5000;
/** Keys with fewer vectors than this keep a headroom of their own (syn, dns, memcached, ...); see SlotState. */
const NARROW_KEY_VECTORS = 4;
/**
 * Fewest samples of the attack's vectors in the subject's sample ring for an attack to start (with minSamples, if
 * lower). The decision's evidence is the threshold rule's (at least minSamples in a window, the samples from before
 * promotion carried from level one); the ring, which the profile, the classification and the signature are read
 * from, holds samples only from the promoting sample on. Requiring minSamples there as well held a fresh victim's
 * start until 8 samples had come after its promotion (~170 ms at 2× a 20,000 pps threshold at 1:1000, measured in
 * bench/detect) though the rule had decided; the start's profile is refined at every attack.updated.
 */
const PROFILE_MIN_SAMPLES = 4;

export class Detector {
  readonly groups: HostGroups;
  readonly counter: TrafficCounter;
  readonly baselines: BaselineBook;
  readonly tracker: AttackTracker;
  private readonly d: DetectionConfig;
  private readonly W: number;
  private readonly fastW: number;
  private readonly shortW: number;
  private readonly windowSeconds: number;
  private readonly fastSeconds: number;
  private readonly shortSeconds: number;
  private readonly warmupMs: number;
  private readonly slots: (SlotState | undefined)[];
  private readonly mainCells = new Float64Array(VECTOR_COUNT * CELL);
  private readonly fastCells = new Float64Array(VECTOR_COUNT * CELL);
  private readonly shortCells = new Float64Array(VECTOR_COUNT * CELL);
  private readonly keyMain = new Float64Array(KEY_COUNT * CELL);
  private readonly keyFast = new Float64Array(KEY_COUNT * CELL);
  private readonly keyShort = new Float64Array(KEY_COUNT * CELL);
  /** The `total` key's evidence from before promotion (level one), per window: packets, bytes, samples, Σ rate². */
  private readonly carried = new Float64Array(3 * CELL);
  private readonly resolved = new ResolvedThreshold();
  private readonly mainCellsScratch = new Float64Array(VECTOR_COUNT * CELL);
  /** Per-vector packets and samples of the main window (mainVectorSums), for classification and confidence. */
  private readonly vectorPacketsScratch = new Float64Array(VECTOR_COUNT);
  private readonly vectorSamplesScratch = new Float64Array(VECTOR_COUNT);
  /** The quiet-before rule is on and trusted at this tick (counter.quietTrustTick passed). */
  private quietTrusted = false;
  private readonly protectedPrefixes: string[];
  private lastTick = -1;
  private lastSecond = -1;
  private refusalsSeen = 0;
  private attackSeq = 0;
  private emitFn: (event: AttackEvent) => void;
  /** Tick evaluations done, and time spent in them (ms) — for the health report. */
  ticks = 0;
  tickTimeMs = 0;
  maxTickTimeMs = 0;
  /** Attacks started on a deferred decision (SlotState.deferred). */
  deferredStarts = 0;

  constructor(options: DetectorOptions) {
    const { config } = options;
    this.d = config.detection;
    const d = this.d;
    this.groups = HostGroups.fromConfig(config);
    this.protectedPrefixes = this.groups.protectedPrefixes();
    this.W = Math.round(d.windowMs / d.tickMs);
    this.fastW = d.fastWindowMs > 0 ? Math.round(d.fastWindowMs / d.tickMs) : 0;
    this.windowSeconds = (this.W * d.tickMs) / 1000;
    this.fastSeconds = (this.fastW * d.tickMs) / 1000;
    this.shortW = d.shortWindowMs > 0 ? Math.round(d.shortWindowMs / d.tickMs) : 0;
    this.shortSeconds = (this.shortW * d.tickMs) / 1000;
    this.warmupMs = d.baseline.warmupMinutes * 60_000;
    this.counter = new TrafficCounter({
      tickMs: d.tickMs,
      windowTicks: this.W,
      epochMs: Math.floor(options.epochMs / 1000) * 1000,
      // Nothing protected, nothing tracked: do not reserve the tables (~170 MB at the defaults) for it.
      hostCapacity: this.groups.networks.length === 0 ? 16 : d.maxDestinations,
      blockCapacity: this.groups.networks.length === 0 ? 16 : d.maxBlocks,
      promotedCapacity: this.groups.networks.length === 0 ? 16 : d.maxPromoted,
      blockPrefixLength: d.blockPrefixLength,
      networks: this.groups.networks,
      networkGroups: this.groups.networks.map((n) => n.group),
      samplingOverrides: d.samplingOverrides,
      idleTicks: Math.round((d.idleEvictSeconds * 1000) / d.tickMs),
      slowSeconds: d.quietBeforeSeconds,
    });
    const b = d.baseline;
    const subWindows = Math.max(1, Math.round((b.windowMinutes * 60) / b.subWindowSeconds));
    const settings: BaselineSettings = {
      subWindowSeconds: b.subWindowSeconds,
      windowSubWindows: subWindows,
      seasonSlotSeconds: b.seasonSlotSeconds,
      seasonSlots: b.seasonSlots,
      timeOfDayWeight: b.timeOfDayWeight,
      maxGrowthPerSubWindow: b.maxGrowthPerHour ** (b.subWindowSeconds / 3600),
      commitDelaySeconds: b.commitDelaySeconds,
    };
    this.baselines = new BaselineBook(settings, b.maxEntries);
    this.emitFn = options.emit ?? (() => {});
    this.tracker = new AttackTracker({
      quietMs: d.quietSeconds * 1000,
      updateIntervalMs: d.updateIntervalMs,
      endFraction: d.endFraction,
      emit: (e) => this.emitFn(e),
    });
    this.slots = new Array<SlotState | undefined>(this.counter.pool.capacity);
    this.setPromotionLevels();
  }

  /** Where events go (the service connects the bus after construction). */
  set emit(fn: (event: AttackEvent) => void) {
    this.emitFn = fn;
  }

  /** Counts one FlowBatch. */
  consume(batch: Uint8Array): void {
    this.counter.consume(batch);
  }

  /** Evaluates the ticks completed by nowMs (once per tick; a late call evaluates the newest only). */
  tick(nowMs: number): void {
    const counter = this.counter;
    const T = counter.tickOf(nowMs);
    const last = T - 1;
    if (last <= this.lastTick || last < 0) return;
    this.lastTick = last;
    const started = performance.now();
    counter.startClock(last);
    this.quietTrusted = this.d.quietConfidence > 0 && this.d.quietFraction > 0 && last >= counter.quietTrustTick;
    const windowEndMs = counter.tickStartMs(T);
    const second = Math.floor(windowEndMs / 1000) - 1;
    const feedBaselines = second > this.lastSecond;
    if (feedBaselines) this.lastSecond = second;
    if (this.anyBaseline()) this.baselines.startLearning(nowMs);
    const warm = this.baselines.isWarm(nowMs, this.warmupMs);
    this.baselines.state.capGrowth = warm;
    const pool = counter.pool;
    const demote: number[] = [];
    // Iterate over a snapshot: starting an attack never changes the pool, demotion waits until after the loop.
    const active = pool.active.slice(0, pool.size);
    for (const slot of active) {
      // A subject with a deferred start is evaluated every tick until it starts or the decision lapses.
      const s = this.slots[slot];
      if (s?.deferred !== undefined) {
        if (this.evaluate(slot, T, nowMs, second, warm, feedBaselines)) demote.push(slot);
        continue;
      }
      // Between seconds, a subject back under its promotion level cannot cross a threshold: skip it (a full
      // evaluation each second still feeds its baselines and decides its demotion).
      if (!feedBaselines && this.belowPromotion(slot, T)) continue;
      // Between seconds, a subject whose headroom to every threshold exceeds what it received since it was last
      // evaluated cannot have crossed anything.
      if (!feedBaselines && s !== undefined && s.attacks.length === 0 && this.withinHeadroom(pool, slot, s)) continue;
      if (this.evaluate(slot, T, nowMs, second, warm, feedBaselines)) demote.push(slot);
    }
    for (const slot of demote) this.release(slot);
    if (feedBaselines) this.reclaimIfRefused(T);
    // Visit every entry about twice per idle period, spread over the ticks.
    counter.evictIdle(T, Math.ceil((2 * this.d.maxDestinations) / counter.idleTicks) + 1);
    const spent = performance.now() - started;
    this.ticks++;
    this.tickTimeMs += spent;
    if (spent > this.maxTickTimeMs) this.maxTickTimeMs = spent;
  }

  /** Active attacks (copies). */
  activeAttacks(): AttackRecord[] {
    return this.tracker.records();
  }

  /** The /health section. */
  report(): Record<string, unknown> {
    const c = this.counter;
    return {
      destinations: { tracked: c.hosts.size, capacity: c.hosts.capacity, overflowSamples: c.hosts.overflowSamples, evicted: c.hosts.evicted },
      blocks: { tracked: c.blocks.size, capacity: c.blocks.capacity, overflowSamples: c.blocks.overflowSamples },
      networks: this.groups.networks.length,
      groupAggregates: this.groups.groups.filter((g) => lowestLimits(g, SubjectKind.group, KEY_COUNT).pps < Infinity || lowestLimits(g, SubjectKind.group, KEY_COUNT).bps < Infinity).map((g) => g.name),
      promoted: { subjects: c.pool.size, capacity: c.pool.capacity, refused: c.promotionsRefused },
      samples: { counted: c.samples, unprotected: c.unprotectedSamples, nonIp: c.nonIpSamples, zeroRate: c.zeroRateSamples, late: c.hosts.lateSamples + c.pool.lateSamples, beforeEpoch: c.earlySamples },
      samplingOverrides: Array.from({ length: c.overrides.count }, (_, i) => ({ agent: this.d.samplingOverrides[i]?.agent, rate: c.overrides.rate(i), samples: c.overrides.applied[i] })),
      baselines: { entries: this.baselines.entries.size, maxEntries: this.baselines.maxEntries, evicted: this.baselines.evicted, learningSince: this.baselines.learningSinceMs ?? null },
      ticks: { evaluated: this.ticks, meanMs: this.ticks > 0 ? Math.round((this.tickTimeMs / this.ticks) * 100) / 100 : 0, maxMs: Math.round(this.maxTickTimeMs * 100) / 100 },
      // deferredStarts: attacks started on a decision an earlier tick took while the ring held too few samples
      // (SlotState.deferred).
      attacks: { started: this.tracker.started, ended: this.tracker.ended, active: this.tracker.active.size, deferredStarts: this.deferredStarts },
      // The quiet-before rule: on (configured), and from when the counter trusts the slow rates (null: not started).
      quietRule: {
        enabled: this.d.quietConfidence > 0 && this.d.quietFraction > 0,
        trusted: this.quietTrusted,
        trustedFrom: Number.isFinite(c.quietTrustTick) ? new Date(c.tickStartMs(c.quietTrustTick)).toISOString() : null,
      },
      activeAttacks: [...this.tracker.active.values()].map((t) => ({
        id: t.record.id,
        target: t.record.target,
        vector: t.record.vector,
        confidence: t.record.confidence,
        severity: t.record.severity,
        startedAt: new Date(t.record.startedAt).toISOString(),
        pps: Math.round(t.record.rates.pps),
        bps: Math.round(t.record.rates.bps),
      })),
    };
  }

  private anyBaseline(): boolean {
    return this.groups.groups.some((g) => g.baselineEnabled);
  }

  /**
   * Promotion levels per network and kind: promoteFraction of the lowest threshold or floor any key has. A key's
   * rate is at most the total, so a subject below the level cannot cross anything. (Baselines are learned only
   * for promoted subjects: one never promoted has no baseline entry, and its dynamic thresholds are the floors.)
   */
  private setPromotionLevels(): void {
    const c = this.counter;
    this.groups.networks.forEach((n, i) => {
      const g = this.groups.groups[n.group]!;
      for (const kind of [SubjectKind.host, SubjectKind.block, SubjectKind.network, SubjectKind.group]) {
        const l = lowestLimits(g, kind, KEY_COUNT);
        c.promotePackets[kind]![i] = this.d.promoteFraction * l.pps * this.windowSeconds;
        c.promoteBytes[kind]![i] = ((this.d.promoteFraction * l.bps) / 8) * this.windowSeconds;
      }
    });
  }

  private slotState(slot: number): SlotState {
    let s = this.slots[slot];
    if (s) return s;
    const pool = this.counter.pool;
    const kind = pool.ownerKind[slot]!;
    const entry = pool.ownerEntry[slot]!;
    const table = this.counter.table(kind);
    const network = table.networkOf(entry);
    const family = (table.tagOf(entry) & 0xff) === 6 ? 6 : 4;
    const key = new Uint32Array(4);
    table.readKey(entry, key);
    const address = keyText(family, key[0]!, key[1]!, key[2]!, key[3]!);
    let subject: string;
    if (kind === SubjectKind.host) subject = address;
    else if (kind === SubjectKind.block) subject = `${address}/${family === 4 ? this.d.blockPrefixLength.ipv4 : this.d.blockPrefixLength.ipv6}`;
    else if (kind === SubjectKind.network) subject = this.groups.networks[network]!.text;
    else subject = `${this.groups.groups[this.groups.networks[network]!.group]!.name} (IPv${family})`;
    const baselineKey = kind === SubjectKind.host ? subject : `${KIND_NAMES[kind]}:${subject}`;
    // A group aggregate's attacks are on the group's prefixes of its family (one per prefix carrying the traffic).
    const groupIndex = this.groups.networks[network]!.group;
    const parts = kind === SubjectKind.group ? this.groups.networks.filter((n) => n.group === groupIndex && n.family === family) : [];
    const baselines: (BaselineEntry | undefined)[] = [];
    for (let key = 0; key < KEY_COUNT; key++) baselines.push(this.baselines.get(baselineKey, key));
    s = {
      subject,
      baselineKey,
      kind,
      family,
      network,
      group: this.groups.groups[this.groups.networks[network]!.group]!,
      baselines,
      attacks: [],
      lowSinceTick: -1,
      thresholds: new Float64Array(KEY_COUNT * 3),
      thresholdSource: new Uint8Array(KEY_COUNT * 3),
      thresholdGroup: new Int16Array(KEY_COUNT * 3),
      thresholdsSecond: -1,
      thresholdsWarm: false,
      slackPackets: 0,
      slackBytes: 0,
      narrowKeys: [],
      narrowSlack: [],
      settledPps: -1,
      settledBps: -1,
      settledTick: -1,
      deferred: undefined,
      parts,
    };
    this.slots[slot] = s;
    return s;
  }

  /** Nothing added since the last evaluation can have used up the headroom of any key (see SlotState). */
  private withinHeadroom(pool: VectorWindowPool, slot: number, s: SlotState): boolean {
    if (pool.addedPacketsOf(slot) >= s.slackPackets || pool.addedBytesOf(slot) >= s.slackBytes) return false;
    for (let i = 0; i < s.narrowKeys.length; i++) {
      const vectors = KEY_VECTORS[s.narrowKeys[i]!]!;
      let added = 0;
      for (let j = 0; j < vectors.length; j++) added += pool.addedOfVector(slot, vectors[j]!);
      if (added >= s.narrowSlack[i]!) return false;
    }
    return true;
  }

  /** The subject's level-one window is under its promotion level and it has no attack. */
  private belowPromotion(slot: number, T: number): boolean {
    const pool = this.counter.pool;
    const kind = pool.ownerKind[slot]!;
    const s = this.slots[slot];
    if (s !== undefined && s.attacks.length > 0) return false;
    const entry = pool.ownerEntry[slot]!;
    const c = this.counter;
    const table = c.table(kind);
    return !table.reaches(entry, T - 1, c.promotePackets[kind]!, c.promoteBytes[kind]!, table.networkOf(entry));
  }

  private release(slot: number): void {
    this.slots[slot] = undefined;
    this.counter.demote(slot);
  }

  /** When promotions were refused (pool full), frees the quietest slots without attacks. */
  private reclaimIfRefused(T: number): void {
    const refused = this.counter.promotionsRefused - this.refusalsSeen;
    if (refused <= 0) return;
    this.refusalsSeen = this.counter.promotionsRefused;
    const pool = this.counter.pool;
    const candidates: { slot: number; packets: number }[] = [];
    for (let i = 0; i < pool.size; i++) {
      const slot = pool.active[i]!;
      const s = this.slots[slot];
      if (s && s.attacks.length > 0) continue;
      pool.sum(slot, T - this.W, T - 1, this.mainCells);
      let packets = 0;
      for (let v = 0; v < VECTOR_COUNT; v++) packets += this.mainCells[v * CELL]!;
      candidates.push({ slot, packets });
    }
    candidates.sort((a, b) => a.packets - b.packets);
    for (const c of candidates.slice(0, Math.min(refused, 64, Math.ceil(pool.capacity / 100)))) this.release(c.slot);
  }

  /** Sums per key of the vector cells. */
  private keySums(cells: Float64Array, out: Float64Array): void {
    out.fill(0);
    for (let k = 0; k < KEY_COUNT; k++) {
      const vs = KEY_VECTORS[k]!;
      for (let i = 0; i < vs.length; i++) {
        const c = vs[i]! * CELL;
        const o = k * CELL;
        out[o]! += cells[c]!;
        out[o + 1]! += cells[c + 1]!;
        out[o + 2]! += cells[c + 2]!;
        out[o + 3]! += cells[c + 3]!;
      }
    }
  }

  /**
   * A subject promoted less than a window ago has per-vector detail only from the promoting sample on; its
   * level-one totals hold the packets and bytes before. They count for the `total` key (they have no vector), as
   * samples at the promoting sample's rate: a flood's first samples are evidence too, which is what lets a
   * fresh victim be decided on the samples since the rise rather than a window after its promotion.
   */
  private carryPromotionEvidence(slot: number, T: number): void {
    const pool = this.counter.pool;
    const origin = pool.originTickOf(slot);
    if (origin < T - this.W) return;
    const rate = pool.originRateOf(slot);
    const table = this.counter.table(pool.ownerKind[slot]!);
    const entry = pool.ownerEntry[slot]!;
    const carried = this.carried;
    carried.fill(0);
    for (let t = Math.max(0, T - this.W); t <= origin && t < T; t++) {
      let packets = table.tickSum(entry, t, 0);
      let bytes = table.tickSum(entry, t, 1);
      if (t === origin) {
        // The promoting tick: level one has all of it, the detail has it from the promoting sample on.
        pool.sum(slot, t, t, this.mainCellsScratch);
        for (let v = 0; v < VECTOR_COUNT; v++) {
          packets -= this.mainCellsScratch[v * CELL]!;
          bytes -= this.mainCellsScratch[v * CELL + 1]!;
        }
      }
      if (!(packets > 0)) continue;
      for (let w = 0; w < 3; w++) {
        const from = w === 0 ? T - this.W : w === 1 ? T - this.fastW : T - this.shortW;
        if ((w === 1 && this.fastW === 0) || (w === 2 && this.shortW === 0) || t < from) continue;
        carried[w * CELL]! += packets;
        carried[w * CELL + 1]! += Math.max(0, bytes);
        carried[w * CELL + 2]! += packets / rate;
        carried[w * CELL + 3]! += packets * rate;
      }
    }
    const o = KEY_TOTAL * CELL;
    for (let w = 0; w < 3; w++) {
      const k = w === 0 ? this.keyMain : w === 1 ? this.keyFast : this.keyShort;
      for (let f = 0; f < CELL; f++) k[o + f]! += carried[w * CELL + f]!;
    }
  }

  /** Estimated distinct flows in the window (see docs/detection.md: a heuristic from the distinct sampled keys). */
  private flowsEstimate(pool: VectorWindowPool, slot: number, T: number, packets: number, samples: number): number {
    if (samples <= 0) return 0;
    const distinct = Math.min(samples, pool.distinctFlows(slot, T - this.W, T - 1));
    // Every sample a distinct key (spoofed sources) → each sampled packet stands for a flow of its own; keys
    // repeating → long flows, each counted once.
    return Math.min(packets, distinct * (packets / samples) * (distinct / samples));
  }

  /** Evaluates one promoted slot; returns true when it should be demoted. */
  /** Resolves the slot's thresholds (once a second, or when warmth changed or a baseline entry appeared). */
  private resolveThresholds(s: SlotState, second: number, warm: boolean): void {
    if (s.thresholdsSecond === second && s.thresholdsWarm === warm) return;
    s.thresholdsSecond = second;
    s.thresholdsWarm = warm;
    const out = this.resolved;
    for (let key = 0; key < KEY_COUNT; key++) {
      const entry = s.baselines[key];
      if (entry) entry.advance(second + 1);
      for (let metric = 0; metric < 3; metric++) {
        const i = key * 3 + metric;
        const baseline = entry && metric < 2 ? entry.value(second + 1, metric === 0 ? 'pps' : 'bps') : 0;
        if (metric === 2 && key !== KEY_TOTAL) {
          s.thresholds[i] = Number.NaN;
          continue;
        }
        if (!thresholdFor(s.group, s.kind, key, metric, baseline, warm, out)) {
          s.thresholds[i] = Number.NaN;
          continue;
        }
        s.thresholds[i] = out.value;
        s.thresholdSource[i] = out.source === 'static' ? 0 : out.source === 'baseline' ? 1 : 2;
        s.thresholdGroup[i] = out.group;
      }
    }
  }

  private evaluate(slot: number, T: number, nowMs: number, second: number, warm: boolean, feedBaselines: boolean): boolean {
    const pool = this.counter.pool;
    const s = this.slotState(slot);
    pool.sumWindows(slot, T, this.W, this.fastW, this.mainCells, this.fastCells, this.shortW, this.shortCells);
    this.keySums(this.mainCells, this.keyMain);
    if (this.fastW > 0) this.keySums(this.fastCells, this.keyFast);
    if (this.shortW > 0) this.keySums(this.shortCells, this.keyShort);
    this.carryPromotionEvidence(slot, T);
    this.resolveThresholds(s, second, warm);
    const km = this.keyMain;
    const kf = this.keyFast;
    let suspect = false;
    let candidates: Candidate[] | undefined;
    const rule = this.d;
    const thresholds = s.thresholds;
    pool.resetAdded(slot);
    let slackPackets = Infinity;
    let slackBytes = Infinity;
    s.narrowKeys.length = 0;
    s.narrowSlack.length = 0;
    const fastSeconds = this.fastW > 0 ? this.fastSeconds : Infinity;
    const shortSeconds = this.shortW > 0 ? this.shortSeconds : Infinity;
    const ks = this.keyShort;
    // The subject's slow rate (level one: its packets/s before its windows), read at most once per evaluation and
    // only when a window's estimate is over a packets/s threshold that the strict rule did not decide (rare).
    let slowPps = -1;
    for (let key = 0; key < KEY_COUNT; key++) {
      const o = key * CELL;
      const metrics = key === KEY_TOTAL ? 3 : 2;
      // Headroom in window units; the fast window's is usually the smaller (half the time for the same rate).
      for (let metric = 0; metric < metrics; metric++) {
        const thr = thresholds[key * 3 + metric]!;
        if (!(thr > 0)) continue;
        if (metric === 1) {
          const b = Math.min((thr / 8) * this.windowSeconds - km[o + 1]!, (thr / 8) * fastSeconds - (this.fastW > 0 ? kf[o + 1]! : 0), (thr / 8) * shortSeconds - (this.shortW > 0 ? ks[o + 1]! : 0));
          if (b < slackBytes) slackBytes = b;
        } else {
          // A flow has at least one packet: packets of headroom bound flows too.
          const p = Math.min(thr * this.windowSeconds - km[o]!, thr * fastSeconds - (this.fastW > 0 ? kf[o]! : 0), thr * shortSeconds - (this.shortW > 0 ? ks[o]! : 0));
          if (KEY_VECTORS[key]!.length < NARROW_KEY_VECTORS) {
            const at = s.narrowKeys.indexOf(key);
            if (at < 0) {
              s.narrowKeys.push(key);
              s.narrowSlack.push(p);
            } else if (p < s.narrowSlack[at]!) s.narrowSlack[at] = p;
          } else if (p < slackPackets) slackPackets = p;
        }
      }
      if (km[o + 2] === 0) continue;
      for (let metric = 0; metric < metrics; metric++) {
        const thr = thresholds[key * 3 + metric]!;
        if (!(thr > 0)) continue;
        const flows = metric === 2 ? this.flowsEstimate(pool, slot, T, km[o]!, km[o + 2]!) : 0;
        const mainEstimate = metric === 0 ? km[o]! : metric === 1 ? km[o + 1]! * 8 : flows;
        const mainRate = mainEstimate / this.windowSeconds;
        if (mainRate >= rule.endFraction * thr) suspect = true;
        let crossed = false;
        let rate = mainRate;
        let lb = 0;
        let windowMs = this.W * rule.tickMs;
        if (mainRate >= thr && km[o + 2]! >= rule.minSamples) {
          lb = lowerBound(mainEstimate, km[o]!, km[o + 3]!, rule.confidence) / this.windowSeconds;
          crossed = lb >= thr;
        }
        // The shorter windows: evidence since the rise, not diluted by the quiet ticks before it. Each is a look of
        // its own, so each has its own, stricter confidence (false alarms per hour are set by all looks together).
        for (let w = 0; !crossed && metric < 2 && w < 2; w++) {
          const ticks = w === 0 ? this.fastW : this.shortW;
          const kw = w === 0 ? kf : this.keyShort;
          if (ticks === 0 || kw[o + 2]! < rule.minSamples) continue;
          const seconds = w === 0 ? this.fastSeconds : this.shortSeconds;
          const estimate = metric === 0 ? kw[o]! : kw[o + 1]! * 8;
          if (estimate / seconds < thr) continue;
          const bound = lowerBound(estimate, kw[o]!, kw[o + 3]!, w === 0 ? rule.fastConfidence : rule.shortConfidence) / seconds;
          if (bound >= thr) {
            crossed = true;
            rate = estimate / seconds;
            lb = bound;
            windowMs = ticks * rule.tickMs;
          }
        }
        // The quiet-before rule (docs/detection.md): a destination whose rate before its windows was at most
        // quietFraction of this packets/s threshold is not a steady one near it, and the three windows are tested
        // again at the looser quietConfidence. Hosts only: a block or prefix is promoted later than its hosts, often
        // only at the rise, with no benign samples to tell a flash crowd from carpet bombing (a test's 5× flash crowd
        // over a /24, up to exactly its floor, became confident carpet bombing under this rule).
        let quiet = false;
        for (let w = 0; !crossed && metric === 0 && this.quietTrusted && s.kind === SubjectKind.host && w < 3; w++) {
          const ticks = w === 0 ? this.W : w === 1 ? this.fastW : this.shortW;
          const kw = w === 0 ? km : w === 1 ? kf : ks;
          if (ticks === 0 || kw[o + 2]! < rule.minSamples) continue;
          const seconds = w === 0 ? this.windowSeconds : w === 1 ? this.fastSeconds : this.shortSeconds;
          if (kw[o]! / seconds < thr) continue;
          if (slowPps < 0) slowPps = this.counter.table(s.kind).slowPps(pool.ownerEntry[slot]!, T - 1);
          if (slowPps > rule.quietFraction * thr) break;
          const bound = lowerBound(kw[o]!, kw[o]!, kw[o + 3]!, rule.quietConfidence) / seconds;
          if (bound >= thr) {
            crossed = true;
            quiet = true;
            rate = kw[o]! / seconds;
            lb = bound;
            windowMs = ticks * rule.tickMs;
          }
        }
        if (crossed) {
          const i = key * 3 + metric;
          (candidates ??= []).push({ key, metric, value: thr, source: SOURCES[s.thresholdSource[i]!]!, group: s.thresholdGroup[i]!, rate, lowerBound: lb, windowMs, rule: quiet ? 'quiet' : 'steady' });
          break;
        }
      }
    }
    // Near a threshold the benign ring freezes only while the rate is rising (or an attack starts or runs).
    const rising = this.risingFromSettled(s, T, km[KEY_TOTAL * CELL]! / this.windowSeconds, (km[KEY_TOTAL * CELL + 1]! * 8) / this.windowSeconds);
    pool.setFrozen(slot, (suspect && rising) || candidates !== undefined || s.attacks.length > 0);
    s.slackPackets = slackPackets;
    s.slackBytes = slackBytes;

    if (s.deferred !== undefined && candidates === undefined) {
      if (T - s.deferred.tick < this.W) candidates = [s.deferred.candidate];
      else s.deferred = undefined;
    }
    if (candidates) this.startAttacks(slot, s, candidates, T, nowMs, second);
    this.followAttacks(slot, s, T, nowMs);
    if (feedBaselines && s.group.baselineEnabled && !s.attacks.some((a) => !a.lowConfidence)) this.feedBaselines(s, second);

    if (s.attacks.length > 0) {
      s.lowSinceTick = -1;
      return false;
    }
    const c = this.counter;
    const levelPackets = c.promotePackets[s.kind]![s.network]!;
    const levelBytes = c.promoteBytes[s.kind]![s.network]!;
    const low = km[KEY_TOTAL * CELL]! < levelPackets / 2 && km[KEY_TOTAL * CELL + 1]! < levelBytes / 2;
    if (!low) {
      s.lowSinceTick = -1;
      return false;
    }
    if (s.lowSinceTick < 0) s.lowSinceTick = T;
    return T - s.lowSinceTick >= (DEMOTE_AFTER_SECONDS * 1000) / rule.tickMs;
  }

  /**
   * Whether the subject's total rate is above RISE_FACTOR times its settled rate; then moves the settled rate
   * towards this one (exponentially over SETTLE_SECONDS, by the time since it last moved). While the subject is
   * under attack the settled rate stays where it was.
   */
  private risingFromSettled(s: SlotState, T: number, pps: number, bps: number): boolean {
    if (s.settledTick < 0) {
      s.settledPps = pps;
      s.settledBps = bps;
      s.settledTick = T;
      return false;
    }
    const rising = pps > RISE_FACTOR * s.settledPps || bps > RISE_FACTOR * s.settledBps;
    if (s.attacks.length > 0 || T <= s.settledTick) return rising;
    const a = 1 - Math.exp(-((T - s.settledTick) * this.d.tickMs) / (SETTLE_SECONDS * 1000));
    s.settledPps += a * (pps - s.settledPps);
    s.settledBps += a * (bps - s.settledBps);
    s.settledTick = T;
    return rising;
  }

  private feedBaselines(s: SlotState, second: number): void {
    const km = this.keyMain;
    const g = s.group;
    const floors = g.floorValue[s.kind]!;
    for (let key = 0; key < KEY_COUNT; key++) {
      const fp = floors[key * 3]!;
      const fb = floors[key * 3 + 1]!;
      if (!(fp > 0) && !(fb > 0)) continue;
      const pps = km[key * CELL]! / this.windowSeconds;
      const bps = (km[key * CELL + 1]! * 8) / this.windowSeconds;
      let entry = s.baselines[key];
      if (!entry) {
        const interestPps = fp > 0 ? fp / g.k : Infinity;
        const interestBps = fb > 0 ? fb / g.k : Infinity;
        if (pps < interestPps && bps < interestBps) continue;
        entry = this.baselines.getOrCreate(s.baselineKey, key, interestPps === Infinity ? 0 : interestPps, interestBps === Infinity ? 0 : interestBps);
        s.baselines[key] = entry;
        s.thresholdsSecond = -1;
      }
      entry.advance(second);
      entry.observe(second, pps, bps);
    }
  }

  private startAttacks(slot: number, s: SlotState, candidates: Candidate[], T: number, nowMs: number, second: number): void {
    const pool = this.counter.pool;
    const windowStartMs = this.counter.tickStartMs(T - this.W);
    const recent = recentSamples(pool, slot, windowStartMs);
    const benignAll = benignSamples(pool, slot, T - 2 * this.W);
    const topSourceShare = this.topShare(slot, windowStartMs, RingWord.src, ALL_VECTORS);
    this.mainVectorSums();
    const vectorPackets = this.vectorPacketsScratch;
    const vectorSamples = this.vectorSamplesScratch;
    const flashCrowdOpen = s.attacks.some((a) => a.lowConfidence);
    for (const c of candidates) {
      const prefixTarget = s.kind !== SubjectKind.host;
      const cls = classify({ prefixTarget, keyMask: KEY_MASKS[c.key]!, vectorPackets, vectorSamples, recent, benign: benignAll, topSourceShare, flashCrowdOpen });
      if (this.tracker.find(s.subject, cls.family)) continue;
      // A block or prefix over its threshold because one host in it is flooded is that host's attack.
      if (s.kind !== SubjectKind.host && this.topShare(slot, windowStartMs, RingWord.dst, cls.vectorMask) > this.d.carpetMaxHostShare) continue;
      const onsetTick = this.onsetTick(slot, cls.vectorMask, c, T);
      const onsetMs = this.counter.tickStartMs(onsetTick);
      const profile = new ProfileAccumulator(cls.vectorMask, Math.max(0, pool.ringCountOf(slot) - pool.ringSize), (nowMs ^ slot) >>> 0);
      profile.readRing(pool, slot, onsetMs);
      if (profile.samples < Math.min(this.d.minSamples, PROFILE_MIN_SAMPLES)) {
        // Hosts only: a block's or group's start also picks the prefixes carrying the attack from its ring, which
        // must be the ring of a fresh crossing (a deferred group start named a prefix of benign traffic in a test).
        if (s.kind === SubjectKind.host) s.deferred ??= { candidate: c, tick: T };
        continue;
      }
      if (c === s.deferred?.candidate) this.deferredStarts++;
      s.deferred = undefined;
      const earliest = earliestRingTime(pool, slot, cls.vectorMask, onsetMs);
      const firstSampleAt = earliest.complete && Number.isFinite(earliest.time) ? earliest.time : onsetMs;
      const benign = benignSamples(pool, slot, onsetTick - this.W);
      if (s.kind !== SubjectKind.group) {
        this.startAttack(slot, s, c, cls, profile, benign, firstSampleAt, nowMs, second);
        continue;
      }
      // A group aggregate: one attack per prefix of the group carrying its share of the traffic, each with the
      // prefix's own samples (profile, signature) and its share of the group's rates. They live and end with the
      // aggregate. A prefix already under attack for this family (its own prefix or block subject) keeps that one.
      for (const part of s.parts) {
        if (this.tracker.find(part.text, cls.family)) continue;
        const mine = new ProfileAccumulator(cls.vectorMask, Math.max(0, pool.ringCountOf(slot) - pool.ringSize), (nowMs ^ slot ^ part.words[0]) >>> 0, part);
        mine.readRing(pool, slot, onsetMs);
        if (mine.samples === 0 || mine.weight < GROUP_PART_MIN_SHARE * profile.weight) continue;
        this.startAttack(slot, s, c, cls, mine, benign, firstSampleAt, nowMs, second, { prefix: part, whole: profile });
      }
    }
  }

  /** Largest share of one address (source or destination words of the ring) among recent samples of the vectors. */
  private topShare(slot: number, fromMs: number, word: number, vectorMask: number): number {
    const pool = this.counter.pool;
    const counts = new Map<string, number>();
    let total = 0;
    const count = pool.ringCountOf(slot);
    for (let n = Math.max(0, count - pool.ringSize); n < count; n++) {
      const r = slot * pool.ringSize + (n % pool.ringSize);
      if (pool.ringTimeOf(r) < fromMs) continue;
      const at = r * RING_WORDS;
      if (((vectorMask >>> (pool.ring[at + RingWord.meta]! >>> 24)) & 1) === 0) continue;
      const w = at + word;
      const key = `${pool.ring[w]}:${pool.ring[w + 1]}:${pool.ring[w + 2]}:${pool.ring[w + 3]}`;
      const weight = pool.ring[at + RingWord.rate]!;
      counts.set(key, (counts.get(key) ?? 0) + weight);
      total += weight;
    }
    let best = 0;
    for (const v of counts.values()) if (v > best) best = v;
    return total > 0 ? best / total : 0;
  }

  /**
   * The first tick of the run of ticks leading up to now in which the attack's vectors carried at least a
   * quarter of the threshold's rate (one quiet tick allowed inside the run, for sampling gaps). Ticks up to the
   * promotion are judged on the subject's level-one totals.
   */
  private onsetTick(slot: number, vectorMask: number, c: Candidate, T: number): number {
    const pool = this.counter.pool;
    const perTick = new Float64Array(VECTOR_COUNT * CELL);
    const tickSeconds = this.d.tickMs / 1000;
    const level = (c.value * tickSeconds) / 4;
    let onset = T - 1;
    let gap = 0;
    // Up to the promoting sample's tick only level one has the traffic (all vectors together): it stands in there.
    const origin = pool.originTickOf(slot);
    const table = this.counter.table(pool.ownerKind[slot]!);
    const entry = pool.ownerEntry[slot]!;
    for (let t = T - 1; t >= T - this.W; t--) {
      let amount = 0;
      if (t <= origin) {
        amount = c.metric === 1 ? table.tickSum(entry, t, 1) * 8 : table.tickSum(entry, t, 0);
      } else {
        pool.sum(slot, t, t, perTick);
        for (let v = 0; v < VECTOR_COUNT; v++) {
          if (((vectorMask >>> v) & 1) === 0) continue;
          amount += c.metric === 1 ? perTick[v * CELL + 1]! * 8 : perTick[v * CELL]!;
        }
      }
      if (amount >= level) {
        onset = t;
        gap = 0;
      } else if (++gap > 1) break;
    }
    return onset;
  }

  /** Rates of the attack's vectors in the main window; for a prefix of a group aggregate, its share of them. */
  private ratesOf(vectorMask: number, part?: GroupPart, own?: ProfileAccumulator): Rates {
    let packets = 0;
    let bytes = 0;
    for (let v = 0; v < VECTOR_COUNT; v++) {
      if (((vectorMask >>> v) & 1) === 0) continue;
      packets += this.mainCells[v * CELL]!;
      bytes += this.mainCells[v * CELL + 1]!;
    }
    // The prefix's share of the aggregate's sampled attack traffic so far (from the start, its own profile).
    const share = part === undefined ? 1 : part.whole.weight > 0 ? Math.min(1, (own?.weight ?? 0) / part.whole.weight) : 0;
    return { pps: Math.round((share * packets) / this.windowSeconds), bps: Math.round((share * bytes * 8) / this.windowSeconds) };
  }

  private startAttack(
    slot: number,
    s: SlotState,
    c: Candidate,
    cls: Classification,
    profile: ProfileAccumulator,
    benign: CompactSample[],
    firstSampleAt: number,
    nowMs: number,
    second: number,
    part?: GroupPart,
  ): void {
    const rates = this.ratesOf(cls.vectorMask, part, profile);
    const entry = s.baselines[c.key];
    const baseline = entry ? { pps: Math.round(entry.value(second + 1, 'pps')), bps: Math.round(entry.value(second + 1, 'bps')) } : undefined;
    const prefixTarget = s.kind !== SubjectKind.host;
    const target = part ? part.prefix.text : s.subject;
    const destination = prefixTarget ? target : `${s.subject}/${s.family === 4 ? 32 : 128}`;
    const signature = buildSignature({ family: cls.family, ipVersion: s.family, destination, attack: profile.reservoir, benign, protectedPrefixes: this.protectedPrefixes });
    const metricRate = c.metric === 0 ? rates.pps : c.metric === 1 ? rates.bps : c.rate;
    const record: AttackRecord = {
      id: `${nowMs.toString(36).padStart(9, '0')}-${(this.attackSeq++ % 1296).toString(36).padStart(2, '0')}`,
      target,
      targetKind: prefixTarget ? 'prefix' : 'host',
      ipVersion: s.family,
      hostGroup: s.group.name,
      vector: cls.family,
      confidence: cls.confidence,
      severity: severityOf(Math.max(metricRate, c.rate) / c.value, cls.flashCrowdLikely),
      firstSampleAt,
      startedAt: nowMs,
      detectionLatencyMs: Math.max(0, nowMs - firstSampleAt),
      updatedAt: nowMs,
      threshold: {
        metric: METRICS[c.metric]!,
        key: THRESHOLD_KEYS[c.key]!,
        value: c.value,
        source: c.source,
        hostGroup: groupName(this.groups, c.group),
        measured: Math.round(c.rate),
        lowerBound: Math.round(c.lowerBound),
        windowMs: c.windowMs,
        rule: c.rule,
      },
      rates,
      peak: { ...rates },
      ...(baseline ? { baseline } : {}),
      samples: profile.samples,
      samplingRates: [...profile.samplingRates].sort((a, b) => a - b),
      profile: profile.profile(rates.pps, cls.flashCrowdLikely, prefixTarget),
      signature,
    };
    const tracked: TrackedAttack = {
      id: AttackTracker.idOf(target, cls.family),
      record,
      slot,
      keyIndex: c.key,
      metric: c.metric,
      thresholdValue: c.value,
      vectorMask: cls.vectorMask,
      lowConfidence: cls.flashCrowdLikely,
      quietSinceMs: undefined,
      lastEmitMs: nowMs,
      signatureAtMs: nowMs,
      profile,
      benign,
      ...(part ? { part } : {}),
    };
    if (!tracked.lowConfidence) for (const e of s.baselines) e?.freeze(second);
    s.thresholdsSecond = -1;
    s.attacks.push(tracked);
    this.counter.pool.setFrozen(slot, true);
    this.tracker.start(tracked);
  }

  private followAttacks(slot: number, s: SlotState, T: number, nowMs: number): void {
    if (s.attacks.length === 0) return;
    const pool = this.counter.pool;
    for (const t of [...s.attacks]) {
      if (t.record.startedAt === nowMs) continue;
      const o = t.keyIndex * CELL;
      const km = this.keyMain;
      const rate = t.metric === 0 ? km[o]! / this.windowSeconds : t.metric === 1 ? (km[o + 1]! * 8) / this.windowSeconds : this.flowsEstimate(pool, slot, T, km[o]!, km[o + 2]!) / this.windowSeconds;
      t.part?.whole.readRing(pool, slot);
      t.profile.readRing(pool, slot);
      const rates = this.ratesOf(t.vectorMask, t.part, t.profile);
      t.record.rates = rates;
      if (rates.pps > t.record.peak.pps) t.record.peak.pps = rates.pps;
      if (rates.bps > t.record.peak.bps) t.record.peak.bps = rates.bps;
      if (this.tracker.observe(t, nowMs, rate)) {
        this.refresh(t, s);
        this.tracker.end(t, nowMs);
        s.attacks.splice(s.attacks.indexOf(t), 1);
        if (!s.attacks.some((a) => !a.lowConfidence)) {
          const second = Math.floor(nowMs / 1000);
          for (const e of s.baselines) e?.thaw(second);
          s.thresholdsSecond = -1;
        }
        continue;
      }
      if (this.tracker.updateDue(t, nowMs)) {
        const refit = nowMs - t.signatureAtMs >= SIGNATURE_REFIT_MS;
        this.refresh(t, s, refit);
        if (refit) t.signatureAtMs = nowMs;
        this.tracker.emitUpdate(t, nowMs);
      }
    }
  }

  /**
   * Recomputes the parts of a record that follow the attack as it goes: samples and profile at every update, the
   * signature when asked (every SIGNATURE_REFIT_MS and at the end: fitting it is the costly part, and a few seconds
   * of more samples rarely change it).
   */
  private refresh(t: TrackedAttack, s: SlotState, refitSignature = true): void {
    const r = t.record;
    this.refreshConfidence(t);
    r.samples = t.profile.samples;
    r.samplingRates = [...t.profile.samplingRates].sort((a, b) => a - b);
    r.profile = t.profile.profile(r.rates.pps || r.peak.pps, r.profile.flashCrowdLikely, r.targetKind === 'prefix');
    if (!refitSignature) return;
    const destination = r.targetKind === 'prefix' ? r.target : `${s.subject}/${s.family === 4 ? 32 : 128}`;
    r.signature = buildSignature({ family: r.vector, ipVersion: s.family, destination, attack: t.profile.reservoir, benign: t.benign, protectedPrefixes: this.protectedPrefixes });
  }

  /** The main window's per-vector packets and samples (the subject's cells of this evaluation) into the scratch arrays. */
  private mainVectorSums(): void {
    for (let v = 0; v < VECTOR_COUNT; v++) {
      this.vectorPacketsScratch[v] = this.mainCells[v * CELL]!;
      this.vectorSamplesScratch[v] = this.mainCells[v * CELL + 2]!;
    }
  }

  /**
   * The attack's classification confidence now, on the whole main window (the slot's cells of this tick): the start
   * is often decided on a handful of samples (8 give 8/12 of the share) and the record must not keep that discount
   * for the attack's whole life. Once the attack is quiet (under its end level: the window then holds what is left
   * of the target's own traffic, not the attack's), or when the window has fewer than minSamples samples of the
   * key, the last value stays; a flash-crowd-like attack stays capped.
   */
  private refreshConfidence(t: TrackedAttack): void {
    if (t.quietSinceMs !== undefined) return;
    this.mainVectorSums();
    const packets = this.vectorPacketsScratch;
    const samples = this.vectorSamplesScratch;
    const keyMask = KEY_MASKS[t.keyIndex]!;
    let keySamples = 0;
    for (let v = 0; v < VECTOR_COUNT; v++) if (((keyMask >>> v) & 1) !== 0) keySamples += samples[v]!;
    if (keySamples < this.d.minSamples) return;
    // A flash-crowd-like attack is all of TCP; otherwise the family as classified at the start (for carpet bombing,
    // the dominant family inside it).
    const flashCrowd = t.lowConfidence || t.record.profile.flashCrowdLikely;
    const familyMask = flashCrowd ? t.vectorMask : exactFamilyMask(t.record.vector === 'carpet_bombing' ? familyOfVectorMask(t.vectorMask) : t.record.vector);
    let confidence = familyConfidence(keyMask, familyMask, packets, samples);
    if (flashCrowd) confidence = Math.min(confidence, FLASH_CROWD_CONFIDENCE);
    t.record.confidence = Math.round(confidence * 1000) / 1000;
  }
}

function severityOf(ratio: number, flashCrowdLikely: boolean): Severity {
  if (flashCrowdLikely) return 'low';
  if (ratio < 1.5) return 'low';
  if (ratio < 3) return 'medium';
  if (ratio < 10) return 'high';
  return 'critical';
}
