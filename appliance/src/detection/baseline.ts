// Dynamic baselines: for a (subject, threshold key) pair, what its per-second rates normally reach, so that
// threshold = max(floor, k × baseline) fits each destination, block or prefix.
//
// What a baseline is: the p99 of per-second rates over a sliding window (windowSubWindows sub-windows of
// subWindowSeconds each), blended with the same season slot one cycle earlier (by default: the same hour one
// week earlier) as (1 - w)·recent + w·lastCycle, so a Monday-morning peak is expected on Monday morning.
//
// How it is kept small and exact enough:
//   - Within a sub-window the p99 is exact: it is the K-th largest of its S per-second values, K = ⌈S/100⌉, so
//     only the top K values are kept (seconds not observed were below the subject's promotion level, i.e. ~0).
//   - Over the window, recent = the largest of the sub-window p99s. That is never below the true window p99
//     (each sub-window has fewer than K values above its own p99, so the whole window has fewer than M·K values
//     above the largest one) and equals it when traffic is steady: a safe, slightly high estimate.
//   - The season memory keeps one value per slot (the largest sub-window p99 in it) with the cycle it belongs to.
//
// Why an attacker cannot raise it:
//   - Seconds are committed only after commitDelaySeconds; when an attack starts the pending seconds are
//     dropped and the entry is frozen: while the attack lasts its value does not move at all — not up (the
//     attack is not learned) and not down (the history before the attack does not age out meanwhile: when it
//     thaws, the stored sub-windows are shifted forward by the frozen time). So neither the onset nor the
//     attack itself is learned, and a long attack does not leave the target with no baseline.
//   - A slow ramp that stays under the threshold is learned only as fast as maxGrowthPerSubWindow allows: a
//     closing sub-window's p99 is capped at that factor over the current baseline. A ramp faster than that
//     opens a gap between rate and baseline and crosses k × baseline. The cap applies once the book is warm:
//     during the warm-up static thresholds rule, and the baselines must be free to learn the existing level.
//   - Only closed sub-windows count, so the newest minutes never raise the threshold they are judged against.
//
// This module computes; it does no I/O. baseline-file.ts writes and reads the book.

export interface BaselineSettings {
  subWindowSeconds: number;
  /** Sub-windows in the recent window (window = subWindowSeconds × windowSubWindows). */
  windowSubWindows: number;
  seasonSlotSeconds: number;
  seasonSlots: number;
  /** Weight of the same slot one cycle earlier in the blend, 0..1. */
  timeOfDayWeight: number;
  /** Most a closing sub-window's p99 may exceed the current baseline by, as a factor. */
  maxGrowthPerSubWindow: number;
  /** Seconds a per-second value waits before it is learned (dropped if an attack starts meanwhile). */
  commitDelaySeconds: number;
}

/** What every entry of a book shares and the detector updates: whether the growth cap applies yet. */
export interface BaselineState {
  capGrowth: boolean;
}

/** One learned metric (pps or bps) of one (subject, key). */
export class BaselineSeries {
  /** The current sub-window's largest values, descending; K of them. */
  readonly top: Float32Array;
  currentSub = -1;
  /** Closed sub-windows: p99 and the sub-window's index (seconds since the epoch / S); index 0 = empty. */
  readonly ringValue: Float32Array;
  readonly ringSub: Uint32Array;
  ringNext = 0;
  /** Season slots: value and cycle index + 1 (0 = empty), cycle index modulo 65535. */
  readonly seasonValue: Float32Array;
  readonly seasonCycle: Uint16Array;

  constructor(settings: BaselineSettings) {
    this.top = new Float32Array(Math.max(1, Math.ceil(settings.subWindowSeconds / 100)));
    this.ringValue = new Float32Array(settings.windowSubWindows);
    this.ringSub = new Uint32Array(settings.windowSubWindows);
    this.seasonValue = new Float32Array(settings.seasonSlots);
    this.seasonCycle = new Uint16Array(settings.seasonSlots);
  }
}

export class BaselineEntry {
  readonly pps: BaselineSeries;
  readonly bps: BaselineSeries;
  /** Per-second values waiting to be learned: second, pps, bps. */
  private readonly pending: Float64Array;
  private pendingStart = 0;
  private pendingCount = 0;
  /** Newest second observed (for eviction: least recently observed goes first). */
  lastSecond = 0;
  /** While frozen: the sub-window it froze in and the values it holds. */
  private frozenSub = -1;
  private frozenPps = 0;
  private frozenBps = 0;

  constructor(
    readonly subject: string,
    readonly key: number,
    /** Rates below which the subject was not tracked: seconds not seen were below these (pps, bps). */
    readonly interestPps: number,
    readonly interestBps: number,
    private readonly settings: BaselineSettings,
    private readonly state: BaselineState = { capGrowth: true },
  ) {
    this.pps = new BaselineSeries(settings);
    this.bps = new BaselineSeries(settings);
    this.pending = new Float64Array(Math.max(1, settings.commitDelaySeconds + 2) * 3);
  }

  get frozen(): boolean {
    return this.frozenSub >= 0;
  }

  /** Stops learning and holds the current value (an attack on the subject started); drops pending seconds. */
  freeze(second: number): void {
    this.pendingCount = 0;
    if (this.frozenSub >= 0) return;
    this.advance(second);
    this.frozenPps = this.value(second, 'pps');
    this.frozenBps = this.value(second, 'bps');
    this.frozenSub = Math.floor(second / this.settings.subWindowSeconds);
  }

  /** Resumes learning after an attack: the history is shifted past the frozen time, the partial sub-window dropped. */
  thaw(second: number): void {
    if (this.frozenSub < 0) return;
    const shift = Math.floor(second / this.settings.subWindowSeconds) - this.frozenSub;
    for (const series of [this.pps, this.bps]) {
      for (let i = 0; i < series.ringSub.length; i++) if (series.ringSub[i] !== 0) series.ringSub[i] = series.ringSub[i]! + shift;
      series.top.fill(0);
      series.currentSub = -1;
    }
    this.frozenSub = -1;
  }

  /** Records one second's rates (second = whole seconds since the epoch); commits those older than the delay. */
  observe(second: number, pps: number, bps: number): void {
    if (this.frozenSub >= 0) return;
    const cap = this.pending.length / 3;
    if (this.pendingCount === cap) this.commitOldest();
    const at = ((this.pendingStart + this.pendingCount) % cap) * 3;
    this.pending[at] = second;
    this.pending[at + 1] = pps;
    this.pending[at + 2] = bps;
    this.pendingCount++;
    this.lastSecond = second;
    while (this.pendingCount > 0 && this.pending[this.pendingStart * 3]! <= second - this.settings.commitDelaySeconds) this.commitOldest();
  }

  /**
   * Closes sub-windows that `second` has left behind (so a quiet subject's history still ages), except the one
   * still receiving delayed values: seconds up to commitDelaySeconds old may be pending.
   */
  advance(second: number): void {
    if (this.frozenSub >= 0) return;
    const sub = Math.floor((second - this.settings.commitDelaySeconds - 1) / this.settings.subWindowSeconds);
    closeIfPast(this.pps, sub, this.settings, this.state, this.interestPps);
    closeIfPast(this.bps, sub, this.settings, this.state, this.interestBps);
  }

  /** The baseline (pps or bps) at `second`: blended recent and last-cycle p99. Call advance(second) first. */
  value(second: number, metric: 'pps' | 'bps'): number {
    if (this.frozenSub >= 0) return metric === 'pps' ? this.frozenPps : this.frozenBps;
    return seriesValue(metric === 'pps' ? this.pps : this.bps, second, this.settings);
  }

  private commitOldest(): void {
    const cap = this.pending.length / 3;
    const at = this.pendingStart * 3;
    const second = this.pending[at]!;
    learn(this.pps, second, this.pending[at + 1]!, this.settings, this.state, this.interestPps);
    learn(this.bps, second, this.pending[at + 2]!, this.settings, this.state, this.interestBps);
    this.pendingStart = (this.pendingStart + 1) % cap;
    this.pendingCount--;
  }
}

function learn(s: BaselineSeries, second: number, value: number, settings: BaselineSettings, state: BaselineState, interest: number): void {
  const sub = Math.floor(second / settings.subWindowSeconds);
  if (sub < s.currentSub) return;
  closeIfPast(s, sub, settings, state, interest);
  if (s.currentSub < 0) s.currentSub = sub;
  const top = s.top;
  if (value <= top[top.length - 1]!) return;
  let i = top.length - 1;
  while (i > 0 && top[i - 1]! < value) {
    top[i] = top[i - 1]!;
    i--;
  }
  top[i] = value;
}

function closeIfPast(s: BaselineSeries, sub: number, settings: BaselineSettings, state: BaselineState, interest: number): void {
  if (s.currentSub < 0 || sub <= s.currentSub) return;
  let p99 = s.top[s.top.length - 1]!;
  if (state.capGrowth) {
    const cap = Math.max(recentValue(s, s.currentSub, settings), interest) * settings.maxGrowthPerSubWindow;
    if (p99 > cap) p99 = cap;
  }
  s.ringValue[s.ringNext] = p99;
  s.ringSub[s.ringNext] = s.currentSub + 1;
  s.ringNext = (s.ringNext + 1) % s.ringValue.length;
  const startSecond = s.currentSub * settings.subWindowSeconds;
  const slotIndex = Math.floor(startSecond / settings.seasonSlotSeconds);
  const slot = slotIndex % settings.seasonSlots;
  const cycle = (Math.floor(slotIndex / settings.seasonSlots) % 65535) + 1;
  if (s.seasonCycle[slot] !== cycle) {
    s.seasonCycle[slot] = cycle;
    s.seasonValue[slot] = p99;
  } else if (p99 > s.seasonValue[slot]!) {
    s.seasonValue[slot] = p99;
  }
  s.top.fill(0);
  s.currentSub = sub;
}

/** Largest p99 of closed sub-windows in the window before sub-window `sub`. */
function recentValue(s: BaselineSeries, sub: number, settings: BaselineSettings): number {
  let best = 0;
  for (let i = 0; i < s.ringValue.length; i++) {
    const stored = s.ringSub[i]!;
    if (stored === 0) continue;
    const age = sub - (stored - 1);
    if (age >= 1 && age <= settings.windowSubWindows && s.ringValue[i]! > best) best = s.ringValue[i]!;
  }
  return best;
}

function seriesValue(s: BaselineSeries, second: number, settings: BaselineSettings): number {
  // Callers advance() the entry first, so every sub-window before `sub` is closed and in the ring.
  const recent = recentValue(s, Math.floor(second / settings.subWindowSeconds), settings);
  const slotIndex = Math.floor(second / settings.seasonSlotSeconds);
  const slot = slotIndex % settings.seasonSlots;
  const cycle = Math.floor(slotIndex / settings.seasonSlots);
  const w = settings.timeOfDayWeight;
  // Stored cycles are (cycle mod 65535) + 1, so 0 always means "empty".
  if (w > 0 && cycle >= 1 && s.seasonCycle[slot] === ((cycle - 1) % 65535) + 1) return (1 - w) * recent + w * s.seasonValue[slot]!;
  return recent;
}

/** All baselines, keyed by subject text and threshold key; bounded, least recently observed evicted first. */
export class BaselineBook {
  readonly entries = new Map<string, BaselineEntry>();
  /** Shared with every entry; the detector turns the growth cap on once the warm-up is over. */
  readonly state: BaselineState = { capGrowth: false };
  /** When learning began (survives restarts through the baseline file); warm-up counts from here. */
  learningSinceMs: number | undefined;
  evicted = 0;

  constructor(
    readonly settings: BaselineSettings,
    readonly maxEntries: number,
  ) {}

  static keyOf(subject: string, key: number): string {
    return `${subject}|${key}`;
  }

  get(subject: string, key: number): BaselineEntry | undefined {
    return this.entries.get(BaselineBook.keyOf(subject, key));
  }

  /** The entry for (subject, key), created when absent (evicting the least recently observed if full). */
  getOrCreate(subject: string, key: number, interestPps: number, interestBps: number): BaselineEntry {
    const k = BaselineBook.keyOf(subject, key);
    let e = this.entries.get(k);
    if (e) return e;
    if (this.entries.size >= this.maxEntries) this.evictOne();
    e = new BaselineEntry(subject, key, interestPps, interestBps, this.settings, this.state);
    this.entries.set(k, e);
    return e;
  }

  /** Starts the warm-up clock if it is not running yet. */
  startLearning(nowMs: number): void {
    if (this.learningSinceMs === undefined) this.learningSinceMs = nowMs;
  }

  isWarm(nowMs: number, warmupMs: number): boolean {
    return this.learningSinceMs !== undefined && nowMs - this.learningSinceMs >= warmupMs;
  }

  private evictOne(): void {
    let oldestKey: string | undefined;
    let oldest = Infinity;
    for (const [k, e] of this.entries) {
      if (e.lastSecond < oldest) {
        oldest = e.lastSecond;
        oldestKey = k;
      }
    }
    if (oldestKey !== undefined) {
      this.entries.delete(oldestKey);
      this.evicted++;
    }
  }
}
