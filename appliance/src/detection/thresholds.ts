// Which threshold applies to a (subject, key, metric), and where it came from. The rule, in order:
//   1. the group's baseline is enabled, the baselines are warm, and a floor is set for this (key, metric):
//      threshold = max(floor, k × baseline) — source "baseline", or "floor" when the floor is the larger;
//   2. else a static threshold is set (the group's own, inherited from a parent, or the global default):
//      source "static";
//   3. else there is no threshold for this (key, metric).
// During warm-up only static thresholds apply. A (key, metric) with a floor but no static threshold has no
// threshold at all until the baselines are warm. Flows have no baseline (they are estimated, not learned).
import { ROOT_GROUP, type HostGroup, type HostGroups } from './host-groups.js';

export type ThresholdSource = 'static' | 'baseline' | 'floor';

/** Reused result of thresholdFor (the tick evaluates many; no allocation per evaluation). */
export class ResolvedThreshold {
  value = Number.NaN;
  source: ThresholdSource = 'static';
  /** Index of the group whose setting applied. */
  group = 0;
}

/**
 * Resolves the threshold of `kind` (0 host, 1 block, 2 network), key index and metric index for a subject in
 * `group`, given its baseline for that metric (0 when the subject has none: it never reached the level where
 * baselines are kept, so its p99 is below floor / k) and whether baselines are warm. Writes `out`; returns
 * false when no threshold applies.
 */
export function thresholdFor(group: HostGroup, kind: number, key: number, metric: number, baseline: number, warm: boolean, out: ResolvedThreshold): boolean {
  const i = key * 3 + metric;
  const floor = group.floorValue[kind]![i]!;
  if (metric !== 2 && group.baselineEnabled && warm && floor > 0) {
    const dynamic = group.k * baseline;
    if (dynamic > floor) {
      out.value = dynamic;
      out.source = 'baseline';
    } else {
      out.value = floor;
      out.source = 'floor';
    }
    out.group = group.floorFrom[kind]![i]!;
    return true;
  }
  const value = group.staticValue[kind]![i]!;
  if (value > 0) {
    out.value = value;
    out.source = 'static';
    out.group = group.staticFrom[kind]![i]!;
    return true;
  }
  out.value = Number.NaN;
  return false;
}

/** Name of a group index, for ThresholdCrossed.hostGroup. */
export function groupName(groups: HostGroups, index: number): string {
  return groups.groups[index]?.name ?? ROOT_GROUP;
}

/**
 * The lowest threshold any key or metric of this kind can have in this group, per metric unit (pps, bps):
 * counting promotes a subject at promoteFraction of it, and baselines are kept from floor / k up. Flows limits
 * count as packet limits (a flow has at least one packet, so flows/s ≤ packets/s).
 */
export function lowestLimits(group: HostGroup, kind: number, keyCount: number): { pps: number; bps: number; interestPps: number; interestBps: number } {
  let pps = Infinity;
  let bps = Infinity;
  let interestPps = Infinity;
  let interestBps = Infinity;
  const s = group.staticValue[kind]!;
  const f = group.floorValue[kind]!;
  for (let k = 0; k < keyCount; k++) {
    const sp = s[k * 3]!;
    const sb = s[k * 3 + 1]!;
    const sf = s[k * 3 + 2]!;
    if (sp > 0 && sp < pps) pps = sp;
    if (sb > 0 && sb < bps) bps = sb;
    if (sf > 0 && sf < pps) pps = sf;
    if (group.baselineEnabled) {
      const fp = f[k * 3]!;
      const fb = f[k * 3 + 1]!;
      if (fp > 0) {
        if (fp < pps) pps = fp;
        if (fp / group.k < interestPps) interestPps = fp / group.k;
      }
      if (fb > 0) {
        if (fb < bps) bps = fb;
        if (fb / group.k < interestBps) interestBps = fb / group.k;
      }
    }
  }
  return { pps, bps, interestPps, interestBps };
}
