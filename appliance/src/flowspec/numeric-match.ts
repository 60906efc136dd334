// Numeric operator lists (RFC 8955 §4.2.1.1): builders that read like the intent (`range(200, 1500)`), and the
// analysis the validator and renderers need (can a term ever match? is it a plain value or a closed range?).
// It knows nothing about which component a list belongs to; value limits come from components.ts.
import type { NumericCondition, NumericMatch, NumericOperator, NumericTerm } from './rule.js';

export function condition(op: NumericOperator, value: number): NumericCondition {
  return { op, value };
}

/** Exactly `value`. */
export function eq(value: number): NumericMatch {
  return [[condition('=', value)]];
}

/** Any of the values (one term each). */
export function anyOf(...values: number[]): NumericMatch {
  return values.map((v) => [condition('=', v)]);
}

/** `low..high`, both ends included. */
export function range(low: number, high: number): NumericMatch {
  return [[condition('>=', low), condition('<=', high)]];
}

export const gt = (value: number): NumericMatch => [[condition('>', value)]];
export const ge = (value: number): NumericMatch => [[condition('>=', value)]];
export const lt = (value: number): NumericMatch => [[condition('<', value)]];
export const le = (value: number): NumericMatch => [[condition('<=', value)]];
export const ne = (value: number): NumericMatch => [[condition('!=', value)]];

/** OR of several matches: `either(range(1, 5), eq(80))` is "1..5 or 80". */
export function either(...matches: NumericMatch[]): NumericMatch {
  return matches.flat();
}

/**
 * AND of matches: `allOf(gt(1000), lt(2000))` is ">1000 and <2000". Since a match is an OR of terms, AND-ing
 * two of them distributes: (a | b) & c = (a & c) | (b & c).
 */
export function allOf(...matches: NumericMatch[]): NumericMatch {
  return matches.reduce<NumericMatch>((acc, m) => acc.flatMap((left) => m.map((right) => [...left, ...right])), [[]]);
}

/**
 * Whether some value in 0..max satisfies every condition of the term. The term's conditions cut [0, max] down
 * to one interval plus a set of excluded points (`!=`), so this is exact, not a heuristic.
 */
export function numericTermIsSatisfiable(term: NumericTerm, max: number): boolean {
  let low = 0;
  let high = max;
  const excluded = new Set<number>();
  for (const { op, value } of term) {
    switch (op) {
      case '=':
        low = Math.max(low, value);
        high = Math.min(high, value);
        break;
      case '>':
        low = Math.max(low, value + 1);
        break;
      case '>=':
        low = Math.max(low, value);
        break;
      case '<':
        high = Math.min(high, value - 1);
        break;
      case '<=':
        high = Math.min(high, value);
        break;
      case '!=':
        excluded.add(value);
        break;
    }
  }
  if (low > high) return false;
  // Only excluded points inside [low, high] can empty it; it is empty when all of them are excluded.
  const width = high - low + 1;
  if (width > excluded.size) return true;
  for (let v = low; v <= high; v++) if (!excluded.has(v)) return true;
  return false;
}

/** The value of a term that is exactly one `=` condition, else undefined. */
export function singleValueOf(term: NumericTerm): number | undefined {
  const only = term.length === 1 ? term[0] : undefined;
  return only !== undefined && only.op === '=' ? only.value : undefined;
}

/** [low, high] of a term that is exactly `>= low` and `<= high` (in either order, low <= high), else undefined. */
export function closedRangeOf(term: NumericTerm): [number, number] | undefined {
  if (term.length !== 2) return undefined;
  const lowCond = term.find((c) => c.op === '>=');
  const highCond = term.find((c) => c.op === '<=');
  if (lowCond === undefined || highCond === undefined || lowCond.value > highCond.value) return undefined;
  return [lowCond.value, highCond.value];
}

/** Human text for logs and error messages: `>=200&<=1500 | =9000`. */
export function describeNumericMatch(match: NumericMatch): string {
  return match.map((term) => term.map((c) => `${c.op}${c.value}`).join('&')).join(' | ');
}
