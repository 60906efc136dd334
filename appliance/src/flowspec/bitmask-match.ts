// Bitmask operator lists (RFC 8955 §4.2.1.2) for TCP flags and fragment bits: builders, the mapping between
// the model's modes and the RFC's `not`/`m` operator bits, and a satisfiability check the validator uses.
import { FRAGMENT_FLAG_BITS, TCP_FLAG_BITS } from './components.js';
import type { BitmaskCondition, BitmaskMatch, BitmaskMode, FragmentFlag, TcpFlag } from './rule.js';

/** A match of one single-condition term: `bitmask(['syn'], 'all')` is "SYN set". */
export function bitmask<F extends string>(flags: F[], mode: BitmaskMode): BitmaskMatch<F> {
  return [[{ flags, mode }]];
}

/** The RFC operator bits of a mode: not = 0x02, m (match) = 0x01. */
export function modeOperatorBits(mode: BitmaskMode): number {
  switch (mode) {
    case 'any':
      return 0x00;
    case 'all':
      return 0x01;
    case 'none':
      return 0x02;
    case 'not-all':
      return 0x03;
  }
}

export function modeFromOperatorBits(bits: number): BitmaskMode {
  const modes: BitmaskMode[] = ['any', 'all', 'none', 'not-all'];
  return modes[bits & 0x03]!;
}

export function tcpFlagBits(flags: readonly TcpFlag[]): number {
  return flags.reduce((acc, f) => acc | TCP_FLAG_BITS[f], 0);
}

export function fragmentFlagBits(flags: readonly FragmentFlag[]): number {
  return flags.reduce((acc, f) => acc | FRAGMENT_FLAG_BITS[f], 0);
}

/** Flag names of a bit value, in bit order; bits with no name are returned in `unknown`. */
export function flagsOfBits<F extends string>(bits: number, table: Readonly<Record<F, number>>): { flags: F[]; unknown: number } {
  const flags: F[] = [];
  let rest = bits;
  for (const [name, bit] of Object.entries(table) as [F, number][]) {
    if (bits & bit) {
      flags.push(name);
      rest &= ~bit;
    }
  }
  return { flags, unknown: rest };
}

/**
 * Whether some packet can satisfy every condition of the term. `all` and `none` pin bits to 1 and 0; `any`
 * needs one of its bits not pinned to 0; `not-all` needs one of its bits not pinned to 1. Bits are
 * independent, so checking each loose condition against the pinned bits is exact.
 */
export function bitmaskTermIsSatisfiable<F extends string>(term: BitmaskCondition<F>[], table: Readonly<Record<F, number>>): boolean {
  let mustBeSet = 0;
  let mustBeClear = 0;
  for (const c of term) {
    const bits = c.flags.reduce((acc, f) => acc | table[f], 0);
    if (c.mode === 'all') mustBeSet |= bits;
    if (c.mode === 'none') mustBeClear |= bits;
  }
  if (mustBeSet & mustBeClear) return false;
  for (const c of term) {
    const bits = c.flags.reduce((acc, f) => acc | table[f], 0);
    if (c.mode === 'any' && (bits & ~mustBeClear) === 0) return false;
    if (c.mode === 'not-all' && (bits & ~mustBeSet) === 0) return false;
  }
  return true;
}

/** Human text for logs and error messages: `all(syn) & none(ack) | any(rst)`. */
export function describeBitmaskMatch<F extends string>(match: BitmaskMatch<F>): string {
  return match.map((term) => term.map((c) => `${c.mode}(${c.flags.join('+')})`).join(' & ')).join(' | ');
}

export { FRAGMENT_FLAG_BITS, TCP_FLAG_BITS };
