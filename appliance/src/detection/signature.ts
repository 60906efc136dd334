// The mitigation signature: the narrowest FlowSpec-expressible match that still covers the attack. Starting
// from the destination (/32, /128, or the block or prefix of a carpet-bombing attack), components are tried in
// order — protocol, fragment bits, TCP flags, ICMP type, source ports, destination ports, packet length — each
// built to cover ≥ 99% of the attack's sampled traffic on its own, and kept only while the match as a whole
// still covers ≥ 95% (coverage target). Every kept component narrows the match, which lowers collateral.
//
// Coverage is measured on the attack's samples (weighted by their sampling rate); collateral on the target's
// benign samples from before the onset (weighted the same way), both stated in the result with the number of
// samples behind them. The match is checked with the FlowSpec validator; a component it refuses is dropped.
import { bitmask } from '../flowspec/bitmask-match.js';
import { anyOf, eq, range } from '../flowspec/numeric-match.js';
import type { BitmaskMatch, FlowSpecMatch, FragmentFlag, NumericMatch, TcpFlag } from '../flowspec/rule.js';
import { validateFlowSpecRule } from '../flowspec/validate.js';
import { FlowFlag } from '../intake/flow-batch.js';
import type { MitigationSignature, VectorFamily } from './attack.js';
import type { CompactSample } from './attack-profile.js';

export interface SignatureInput {
  family: VectorFamily;
  ipVersion: 4 | 6;
  /** Destination prefix text: "203.0.113.10/32", "2001:db8::1/128", "198.51.100.0/24". */
  destination: string;
  attack: readonly CompactSample[];
  benign: readonly CompactSample[];
  /** Networks Breakwater protects (the validator refuses a destination outside them). */
  protectedPrefixes: readonly string[];
  coverageTarget?: number;
  componentCoverage?: number;
}

/** A candidate component: how it is written, and which samples it lets through. */
interface Component {
  apply(match: FlowSpecMatch): void;
  test(s: CompactSample): boolean;
}

const hasPorts = (s: CompactSample): boolean => (s.protocol === 6 || s.protocol === 17) && !isLaterFragment(s);
const isLaterFragment = (s: CompactSample): boolean => (s.flags & FlowFlag.fragment) !== 0 && (s.flags & FlowFlag.hasL4) === 0;
const isFragment = (s: CompactSample): boolean => (s.flags & FlowFlag.fragment) !== 0;

function weightOf(samples: readonly CompactSample[], pass: (s: CompactSample) => boolean): number {
  let w = 0;
  for (const s of samples) if (pass(s)) w += s.weight;
  return w;
}

function totalWeight(samples: readonly CompactSample[]): number {
  return weightOf(samples, () => true);
}

/** The fewest values (at most `max`) of `key` that together carry ≥ `target` of the weight, or undefined. */
function fewestValues(samples: readonly CompactSample[], key: (s: CompactSample) => number | undefined, target: number, max: number): number[] | undefined {
  const total = totalWeight(samples);
  if (total <= 0) return undefined;
  const weights = new Map<number, number>();
  for (const s of samples) {
    const k = key(s);
    if (k === undefined) continue;
    weights.set(k, (weights.get(k) ?? 0) + s.weight);
  }
  const sorted = [...weights.entries()].sort((a, b) => b[1] - a[1]);
  const picked: number[] = [];
  let covered = 0;
  for (const [value, w] of sorted) {
    if (covered / total >= target) break;
    if (picked.length === max) return undefined;
    picked.push(value);
    covered += w;
  }
  return covered / total >= target ? picked.sort((a, b) => a - b) : undefined;
}

/** The narrowest [lo, hi] of packet lengths carrying ≥ target of the weight (two-pointer over sorted lengths). */
function narrowestLengthRange(samples: readonly CompactSample[], target: number): [number, number] | undefined {
  const sorted = [...samples].sort((a, b) => a.length - b.length);
  const total = totalWeight(sorted);
  if (total <= 0) return undefined;
  let best: [number, number] | undefined;
  let lo = 0;
  let w = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    w += sorted[hi]!.weight;
    while (lo < hi && w - sorted[lo]!.weight >= target * total) w -= sorted[lo++]!.weight;
    if (w >= target * total) {
      const range: [number, number] = [sorted[lo]!.length, sorted[hi]!.length];
      if (!best || range[1] - range[0] < best[1] - best[0]) best = range;
    }
  }
  return best;
}

const tcpMenu: { name: string; match: BitmaskMatch<TcpFlag>; test: (flags: number) => boolean }[] = [
  // SYN without ACK: the SYN flood shape (legitimate SYN-ACKs and established traffic pass).
  { name: 'syn', match: [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]], test: (f) => (f & 0x12) === 0x02 },
  { name: 'rst', match: bitmask<TcpFlag>(['rst'], 'all'), test: (f) => (f & 0x04) !== 0 },
  // ACK without SYN, RST or FIN: bare ACK floods.
  { name: 'ack', match: [[{ flags: ['ack'], mode: 'all' }, { flags: ['syn', 'rst', 'fin'], mode: 'none' }]], test: (f) => (f & 0x17) === 0x10 },
  { name: 'ack-any', match: bitmask<TcpFlag>(['ack'], 'all'), test: (f) => (f & 0x10) !== 0 },
];

function candidates(input: SignatureInput, componentCoverage: number): Component[] {
  const attack = input.attack;
  const out: Component[] = [];
  const protocols = fewestValues(attack, (s) => s.protocol, componentCoverage, 3);
  if (protocols) {
    out.push({
      apply: (m) => (m.protocol = protocols.length === 1 ? eq(protocols[0]!) : anyOf(...protocols)),
      test: (s) => protocols.includes(s.protocol),
    });
  }
  if (input.family === 'ip_fragments') {
    const laterOnly = weightOf(attack, isLaterFragment) >= componentCoverage * totalWeight(attack);
    const fragment: BitmaskMatch<FragmentFlag> = laterOnly
      ? [[{ flags: ['is-fragment'], mode: 'all' }, { flags: ['first-fragment'], mode: 'none' }]]
      : bitmask<FragmentFlag>(['is-fragment'], 'all');
    out.push({ apply: (m) => (m.fragment = fragment), test: (s) => (laterOnly ? isLaterFragment(s) : isFragment(s)) });
  }
  for (const option of tcpMenu) {
    const share = weightOf(attack, (s) => s.protocol === 6 && option.test(s.tcpFlags)) / Math.max(1, totalWeight(attack));
    if (share >= componentCoverage) {
      out.push({ apply: (m) => (m.tcpFlags = option.match), test: (s) => s.protocol === 6 && option.test(s.tcpFlags) });
      break;
    }
  }
  const icmp = (s: CompactSample) => s.protocol === 1 || s.protocol === 58;
  if (weightOf(attack, icmp) >= componentCoverage * totalWeight(attack)) {
    const types = fewestValues(attack, (s) => (icmp(s) && !isLaterFragment(s) ? s.dstPort >>> 8 : undefined), componentCoverage, 2);
    if (types) out.push({ apply: (m) => (m.icmpType = numeric(types)), test: (s) => icmp(s) && !isLaterFragment(s) && types.includes(s.dstPort >>> 8) });
  }
  const srcPorts = fewestValues(attack, (s) => (hasPorts(s) ? s.srcPort : undefined), componentCoverage, 4);
  if (srcPorts) out.push({ apply: (m) => (m.sourcePort = numeric(srcPorts)), test: (s) => hasPorts(s) && srcPorts.includes(s.srcPort) });
  const dstPorts = fewestValues(attack, (s) => (hasPorts(s) ? s.dstPort : undefined), componentCoverage, 4);
  if (dstPorts) out.push({ apply: (m) => (m.destinationPort = numeric(dstPorts)), test: (s) => hasPorts(s) && dstPorts.includes(s.dstPort) });
  const lengths = narrowestLengthRange(attack, componentCoverage);
  if (lengths) {
    // A little slack on each side: the next sizes of the same attack tool should still match.
    const lo = Math.max(0, Math.floor(lengths[0] * 0.95) - 8);
    const hi = Math.min(65535, Math.ceil(lengths[1] * 1.05) + 8);
    if (hi - lo < 1400) out.push({ apply: (m) => (m.packetLength = range(lo, hi)), test: (s) => s.length >= lo && s.length <= hi });
  }
  return out;
}

function numeric(values: number[]): NumericMatch {
  return values.length === 1 ? eq(values[0]!) : anyOf(...values);
}

/** Fits the narrowest match covering the attack and states its coverage and collateral. */
export function buildSignature(input: SignatureInput): MitigationSignature {
  const target = input.coverageTarget ?? 0.95;
  const componentCoverage = input.componentCoverage ?? 0.99;
  const attack = input.attack;
  const attackTotal = totalWeight(attack);
  const kept: Component[] = [];
  const passes = (s: CompactSample, list: Component[]) => list.every((c) => c.test(s));
  for (const c of candidates(input, componentCoverage)) {
    const trial = [...kept, c];
    const covered = attackTotal > 0 ? weightOf(attack, (s) => passes(s, trial)) / attackTotal : 0;
    if (covered >= target) kept.push(c);
  }
  let match = matchOf(input.destination, kept);
  const family = input.ipVersion === 4 ? 'ipv4' : 'ipv6';
  const check = validateFlowSpecRule({ family, match, actions: [{ type: 'discard' }] }, { protectedPrefixes: input.protectedPrefixes });
  if (!check.ok) {
    // Keep the components the validator did not object to (the destination itself is always kept).
    const refused = new Set(check.problems.map((p) => p.field.split('.')[1]?.replace(/\[.*$/, '')));
    const filtered = kept.filter((c) => {
      const probe: FlowSpecMatch = { destination: { prefix: input.destination } };
      c.apply(probe);
      return !Object.keys(probe).some((k) => k !== 'destination' && refused.has(k));
    });
    kept.length = 0;
    kept.push(...filtered);
    match = matchOf(input.destination, kept);
  }
  const coverage = attackTotal > 0 ? weightOf(attack, (s) => passes(s, kept)) / attackTotal : 0;
  const benignTotal = totalWeight(input.benign);
  const collateral = benignTotal > 0 ? weightOf(input.benign, (s) => passes(s, kept)) / benignTotal : 0;
  return {
    match,
    coverage: Math.round(coverage * 10000) / 10000,
    collateral: Math.round(collateral * 10000) / 10000,
    attackSamples: attack.length,
    benignSamples: input.benign.length,
  };
}

function matchOf(destination: string, components: Component[]): FlowSpecMatch {
  const match: FlowSpecMatch = { destination: { prefix: destination } };
  for (const c of components) c.apply(match);
  return match;
}
