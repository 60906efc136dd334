// FlowSpec fragment bits (RFC 8955 §4.2.2.12, RFC 8956 §3.6) as kernel tests, for both renderers. A fragment
// match is a predicate over a packet's few fragment states (IPv4: DF, MF, offset zero or not; IPv6: fragment
// header present, MF, offset zero or not); this module evaluates the match on every state and picks the fewest
// rules of one renderer's tests that accept exactly those states. Any operator list the renderer's tests can
// express is rendered; otherwise it is refused, saying which states have no test. Not on the hot path.
import type { BitmaskMatch, FragmentFlag } from '@breakwater/sdk';
import { unsupported, type FilterFamily } from './match-family.js';

interface FragmentState {
  /** IPv4: DF bit. IPv6: a fragment header is present. */
  readonly flag: boolean;
  readonly more: boolean;
  readonly offset: boolean;
}

/** One kernel test: the states it accepts and its text per renderer (absent: the renderer has no such test). */
export interface FragmentTest {
  readonly accepts: (s: FragmentState) => boolean;
  readonly nft: string;
  /** iptables / ip6tables arguments; ip6tables frag options follow one `-m frag`. */
  readonly iptables?: readonly string[];
  readonly ip6tablesFragOption?: string;
}

const V4_STATES: FragmentState[] = [];
for (const flag of [false, true]) for (const more of [false, true]) for (const offset of [false, true]) V4_STATES.push({ flag, more, offset });
// Without a fragment header there is neither MF nor an offset.
const V6_STATES: FragmentState[] = [{ flag: false, more: false, offset: false }];
for (const more of [false, true]) for (const offset of [false, true]) V6_STATES.push({ flag: true, more, offset });

// The flags' meanings. IPv6 has no DF bit; is-fragment is "carries a fragment header" (RFC 8956 §3.6).
const V4_FLAG: Record<FragmentFlag, (s: FragmentState) => boolean> = {
  'dont-fragment': (s) => s.flag,
  'is-fragment': (s) => s.more || s.offset,
  'first-fragment': (s) => s.more && !s.offset,
  'last-fragment': (s) => !s.more && s.offset,
};
const V6_FLAG: Partial<Record<FragmentFlag, (s: FragmentState) => boolean>> = {
  'is-fragment': (s) => s.flag,
  'first-fragment': (s) => s.flag && s.more && !s.offset,
  'last-fragment': (s) => s.flag && !s.more && s.offset,
};

// Tests in order of preference (a cover is chosen by fewest rules, then fewest tests, then this order).
const V4_TESTS: FragmentTest[] = [
  { accepts: (s) => s.offset, nft: 'ip frag-off & 0x1fff != 0', iptables: ['-f'] },
  { accepts: (s) => !s.offset, nft: 'ip frag-off & 0x1fff == 0', iptables: ['!', '-f'] },
  { accepts: (s) => s.more || s.offset, nft: 'ip frag-off & 0x3fff != 0' },
  { accepts: (s) => !s.more && !s.offset, nft: 'ip frag-off & 0x3fff == 0' },
  { accepts: (s) => s.more && !s.offset, nft: 'ip frag-off & 0x3fff == 0x2000' },
  { accepts: (s) => !(s.more && !s.offset), nft: 'ip frag-off & 0x3fff != 0x2000' },
  { accepts: (s) => s.more, nft: 'ip frag-off & 0x2000 != 0' },
  { accepts: (s) => !s.more, nft: 'ip frag-off & 0x2000 == 0' },
  { accepts: (s) => s.flag, nft: 'ip frag-off & 0x4000 != 0' },
  { accepts: (s) => !s.flag, nft: 'ip frag-off & 0x4000 == 0' },
];
// nft's `frag` header fields match only packets that have the header; so do ip6tables' frag options.
const V6_TESTS: FragmentTest[] = [
  { accepts: (s) => s.flag, nft: 'exthdr frag exists', ip6tablesFragOption: '' },
  { accepts: (s) => !s.flag, nft: 'exthdr frag missing' },
  { accepts: (s) => s.flag && s.offset, nft: 'frag frag-off != 0' },
  { accepts: (s) => s.flag && !s.offset, nft: 'frag frag-off 0', ip6tablesFragOption: '--fragfirst' },
  { accepts: (s) => s.flag && s.more, nft: 'frag more-fragments 1', ip6tablesFragOption: '--fragmore' },
  { accepts: (s) => s.flag && !s.more, nft: 'frag more-fragments 0', ip6tablesFragOption: '--fraglast' },
];

export type FragmentRenderer = 'nft' | 'iptables';

/**
 * The fewest rules (each a conjunction of tests) the renderer can write that together accept exactly the
 * packets the fragment match accepts. `[[]]` when it accepts every packet (nothing to filter on).
 */
export function fragmentCover(match: BitmaskMatch<FragmentFlag>, family: FilterFamily, renderer: FragmentRenderer): FragmentTest[][] {
  const states = family === 'ipv4' ? V4_STATES : V6_STATES;
  const meaning = family === 'ipv4' ? V4_FLAG : V6_FLAG;
  const flag = (f: FragmentFlag): ((s: FragmentState) => boolean) => {
    const fn = meaning[f];
    if (fn === undefined) throw unsupported(`fragment ${f}`, `there is no ${f} bit in ${family}`);
    return fn;
  };
  const accepts = (s: FragmentState): boolean =>
    match.some((term) =>
      term.every(({ flags, mode }) => {
        const set = flags.map((f) => flag(f)(s));
        return mode === 'all' ? set.every(Boolean) : mode === 'none' ? !set.some(Boolean) : mode === 'any' ? set.some(Boolean) : !set.every(Boolean);
      }),
    );
  const wanted = maskOf(states, accepts);
  if (wanted === 0) throw unsupported('fragment match', 'it accepts no packet, so the rule could never match');

  const available = (family === 'ipv4' ? V4_TESTS : V6_TESTS).filter((t) => renderer === 'nft' || t.iptables !== undefined || t.ip6tablesFragOption !== undefined);
  // Every conjunction of up to three tests (fewest first) that accepts some wanted state and no other.
  const candidates: { tests: FragmentTest[]; mask: number }[] = [];
  const consider = (tests: FragmentTest[]): void => {
    const mask = maskOf(states, (s) => tests.every((t) => t.accepts(s)));
    if (mask !== 0 && (mask & ~wanted) === 0 && !candidates.some((c) => c.mask === mask)) candidates.push({ tests, mask });
  };
  consider([]);
  for (let i = 0; i < available.length; i++) consider([available[i]!]);
  for (let i = 0; i < available.length; i++) for (let j = i + 1; j < available.length; j++) consider([available[i]!, available[j]!]);
  for (let i = 0; i < available.length; i++) {
    for (let j = i + 1; j < available.length; j++) for (let k = j + 1; k < available.length; k++) consider([available[i]!, available[j]!, available[k]!]);
  }
  // A smallest cover can always use the largest candidates (a superset within the wanted states is as good).
  const largest = candidates.filter((c) => !candidates.some((d) => d.mask !== c.mask && (d.mask & c.mask) === c.mask));
  for (let size = 1; size <= states.length; size++) {
    const found = coverOfSize(largest, wanted, size, 0, 0);
    if (found !== undefined) return found.map((c) => c.tests);
  }
  const missed = states.filter((s, i) => (wanted & (1 << i)) !== 0 && !largest.some((c) => (c.mask & (1 << i)) !== 0));
  throw unsupported(
    'fragment match',
    `${renderer === 'nft' ? 'nftables' : family === 'ipv4' ? 'iptables' : 'ip6tables'} has no test for ${missed.map((s) => describeState(s, family)).join('; ')}` +
      (renderer === 'iptables' ? (family === 'ipv4' ? ' (iptables tests only a non-zero offset, -f); use nftables' : ' (ip6tables tests the header, first, more and last); use nftables') : ''),
  );
}

function maskOf(states: readonly FragmentState[], accepts: (s: FragmentState) => boolean): number {
  let mask = 0;
  for (let i = 0; i < states.length; i++) if (accepts(states[i]!)) mask |= 1 << i;
  return mask;
}

/** A first combination of `size` candidates (in order: fewer tests first) whose union is exactly `wanted`. */
function coverOfSize<C extends { tests: FragmentTest[]; mask: number }>(candidates: readonly C[], wanted: number, size: number, from: number, union: number): C[] | undefined {
  if (size === 0) return union === wanted ? [] : undefined;
  for (let i = from; i < candidates.length; i++) {
    const rest = coverOfSize(candidates, wanted, size - 1, i + 1, union | candidates[i]!.mask);
    if (rest !== undefined) return [candidates[i]!, ...rest];
  }
  return undefined;
}

function describeState(s: FragmentState, family: FilterFamily): string {
  if (family === 'ipv6' && !s.flag) return 'packets without a fragment header';
  const head = family === 'ipv4' ? `DF ${s.flag ? 1 : 0}, ` : 'fragment header, ';
  return `${head}MF ${s.more ? 1 : 0}, offset ${s.offset ? 'non-zero' : '0'}`;
}
