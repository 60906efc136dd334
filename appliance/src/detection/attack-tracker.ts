// The attack lifecycle: one attack per (target, vector family), started once, updated at most every
// updateIntervalMs while it lasts, and ended after it has been quiet for quietMs. Quiet has hysteresis: the rate
// of the key and metric that started the attack must fall below endFraction × the threshold it crossed (not
// merely below the threshold), so an attack hovering around its threshold is one attack, not a string of them.
// The threshold used is the one from the start, so the frozen baseline behind it cannot drift meanwhile.
//
// Events carry a copy of the record, so a subscriber that keeps one never sees it change afterwards. This module
// decides lifecycle only: the detector measures, classifies and fills the record.
import type { AttackEvent, AttackRecord } from './attack.js';
import type { ProfileAccumulator, CompactSample } from './attack-profile.js';
import type { ProtectedNetwork } from './host-groups.js';

/**
 * One prefix's part of a host-group aggregate's attack: the attack's target is the prefix, its profile holds the
 * prefix's samples, and `whole` (shared by the group's attacks) every sample of the aggregate, for its share.
 */
export interface GroupPart {
  prefix: ProtectedNetwork;
  whole: ProfileAccumulator;
}

export interface TrackedAttack {
  /** `${target}|${family}`. */
  id: string;
  record: AttackRecord;
  slot: number;
  /** Threshold key index, metric index and threshold value of the start: the hysteresis reference. */
  keyIndex: number;
  metric: number;
  thresholdValue: number;
  /** Vectors whose traffic belongs to this attack (bitmask). */
  vectorMask: number;
  /** Flash-crowd-like: baselines keep learning while it lasts. */
  lowConfidence: boolean;
  quietSinceMs: number | undefined;
  lastEmitMs: number;
  /** When the signature was last fitted. */
  signatureAtMs: number;
  profile: ProfileAccumulator;
  /** The target's traffic from before the onset (collateral is measured on it). */
  benign: CompactSample[];
  /** Set when a host-group aggregate started it on one of the group's prefixes. */
  part?: GroupPart;
}

export interface AttackTrackerOptions {
  quietMs: number;
  updateIntervalMs: number;
  endFraction: number;
  emit: (event: AttackEvent) => void;
}

export class AttackTracker {
  readonly active = new Map<string, TrackedAttack>();
  started = 0;
  ended = 0;
  updates = 0;

  constructor(private readonly options: AttackTrackerOptions) {}

  static idOf(target: string, family: string): string {
    return `${target}|${family}`;
  }

  find(target: string, family: string): TrackedAttack | undefined {
    return this.active.get(AttackTracker.idOf(target, family));
  }

  start(t: TrackedAttack): void {
    this.active.set(t.id, t);
    this.started++;
    t.lastEmitMs = t.record.startedAt;
    this.options.emit({ type: 'attack.started', attack: structuredClone(t.record) });
  }

  /**
   * Feeds the current rate of the attack's key and metric. Returns true when the attack has been quiet for long
   * enough: the caller refreshes the record one last time and calls end().
   */
  observe(t: TrackedAttack, nowMs: number, rate: number): boolean {
    if (rate >= this.options.endFraction * t.thresholdValue) {
      t.quietSinceMs = undefined;
      return false;
    }
    if (t.quietSinceMs === undefined) t.quietSinceMs = nowMs;
    return nowMs - t.quietSinceMs >= this.options.quietMs;
  }

  /** Ends the attack: endedAt is when it went quiet (or now, for another reason). */
  end(t: TrackedAttack, nowMs: number, reason: 'quiet' | 'expired' | 'manual' = 'quiet'): void {
    t.record.endedAt = t.quietSinceMs ?? nowMs;
    t.record.updatedAt = nowMs;
    this.active.delete(t.id);
    this.ended++;
    this.options.emit({ type: 'attack.ended', attack: structuredClone(t.record), reason });
  }

  updateDue(t: TrackedAttack, nowMs: number): boolean {
    return nowMs - t.lastEmitMs >= this.options.updateIntervalMs;
  }

  emitUpdate(t: TrackedAttack, nowMs: number): void {
    t.lastEmitMs = nowMs;
    t.record.updatedAt = nowMs;
    this.updates++;
    this.options.emit({ type: 'attack.updated', attack: structuredClone(t.record) });
  }

  records(): AttackRecord[] {
    return [...this.active.values()].map((t) => structuredClone(t.record));
  }
}
