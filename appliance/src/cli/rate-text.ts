// How commands print rates and counts: SI prefixes with three significant digits ("410 kpps 3.28 Gbps").
import type { Rates } from '../detection/attack.js';

const SI = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
] as const;

/** "3.20" → "3.2"; "410" stays. */
function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** 3280000000 → "3.28 G", 410 → "410 " (a unit follows). */
export function si(value: number): string {
  for (const [scale, prefix] of SI) if (Math.abs(value) >= scale) return `${trimZeros((value / scale).toPrecision(3))} ${prefix}`;
  return `${Math.round(value)} `;
}

export const METRIC_UNIT: Record<string, string> = { pps: 'pps', bps: 'bps', flows: 'flows/s' };

export function ratesText(r: Rates): string {
  return `${si(r.pps)}pps ${si(r.bps)}bps${r.flows !== undefined ? ` ${si(r.flows)}flows/s` : ''}`;
}
