// A FlowSpec numeric match (OR of terms, each an AND of comparisons) as the sorted, disjoint closed intervals of
// values it accepts. Both renderers work from intervals because nft sets ({ 53, 100-200 }) and iptables ranges
// (a:b) speak intervals, and because every operator list — including "!=" — has an exact interval form, so no
// numeric component ever has to be refused.
import type { NumericMatch } from '@breakwater/sdk';

export type Interval = readonly [number, number];

export function matchIntervals(match: NumericMatch, max: number): Interval[] {
  const all: Interval[] = [];
  for (const term of match) {
    let allowed: Interval[] = [[0, max]];
    for (const { op, value } of term) allowed = intersect(allowed, conditionIntervals(op, value, max));
    all.push(...allowed);
  }
  return merge(all);
}

/** Whether the intervals are the whole domain: the component then filters nothing and is left out. */
export function coversDomain(intervals: readonly Interval[], max: number): boolean {
  return intervals.length === 1 && intervals[0]![0] === 0 && intervals[0]![1] === max;
}

function conditionIntervals(op: string, v: number, max: number): Interval[] {
  const clip = (lo: number, hi: number): Interval[] => (lo > hi || hi < 0 || lo > max ? [] : [[Math.max(0, lo), Math.min(max, hi)]]);
  switch (op) {
    case '=': return clip(v, v);
    case '!=': return [...clip(0, v - 1), ...clip(v + 1, max)];
    case '<': return clip(0, v - 1);
    case '<=': return clip(0, v);
    case '>': return clip(v + 1, max);
    case '>=': return clip(v, max);
    default: throw new TypeError(`unknown numeric operator ${op}`);
  }
}

function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [alo, ahi] of a) {
    for (const [blo, bhi] of b) {
      const lo = Math.max(alo, blo);
      const hi = Math.min(ahi, bhi);
      if (lo <= hi) out.push([lo, hi]);
    }
  }
  return out;
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}
