// Renders a validated FlowSpecRule as one BIRD 2 static flow route:
//   route flow4 { dst 203.0.113.10/32; proto 17; sport 53; length 200..1500; } {
//     bgp_ext_community.add((generic, 0x80060000, 0x00000000)); };
// BIRD has no `then`: actions are RFC 8955 extended communities added to the route, written as
// `(generic, high, low)` words from action-communities.ts. The statement goes inside a `protocol static`
// with a flow4/flow6 channel; writing that file and reloading BIRD is the speaker's business.
//
// Syntax from BIRD 2.0.12's grammar (conf/flowspec.Y) and checked with `bird -p` in the tests:
// - numeric lists are `= 80 || >= 1000 && <= 2000`; when every term is a value or a closed range the short
//   form `80, 1000..2000` is used (it builds the same operators: `a..b` is `>= a && <= b`);
// - TCP flags are `value/mask` items: BIRD turns the set bits of value&mask into a match-all operator and the
//   clear ones into a match-none operator, and a leading `!` flips the `not` bit of both, so the four modes
//   are `F/F` (all), `0x0/F` (none), `!0x0/F` (any) and `!F/F` (not all);
// - fragments take flag names only (`is_fragment && !dont_fragment`), one bit per item, so a condition on
//   several bits is spelled out as the equivalent OR/AND of single bits (see fragmentAlternatives).
import { actionExtendedCommunity, hex32 } from './action-communities.js';
import { fragmentFlagBits, tcpFlagBits } from './bitmask-match.js';
import { FLOW_COMPONENTS, type MatchComponentName } from './components.js';
import { closedRangeOf, singleValueOf } from './numeric-match.js';
import { canonicalPrefix } from './prefix.js';
import type { BitmaskCondition, BitmaskMatch, FlowFamily, FlowPrefix, FlowSpecRule, FragmentFlag, NumericMatch, TcpFlag } from './rule.js';

const KEYWORD: Record<MatchComponentName, string | { ipv4: string; ipv6: string }> = {
  destination: 'dst',
  source: 'src',
  protocol: { ipv4: 'proto', ipv6: 'next header' },
  port: 'port',
  destinationPort: 'dport',
  sourcePort: 'sport',
  icmpType: 'icmp type',
  icmpCode: 'icmp code',
  tcpFlags: 'tcp flags',
  packetLength: 'length',
  dscp: 'dscp',
  fragment: 'fragment',
  flowLabel: 'label',
};

const FRAGMENT_KEYWORD: Record<FragmentFlag, string> = {
  'dont-fragment': 'dont_fragment',
  'is-fragment': 'is_fragment',
  'first-fragment': 'first_fragment',
  'last-fragment': 'last_fragment',
};

/** The whole `route flow4 { … } { … };` statement, on one line. */
export function renderBirdRoute(rule: FlowSpecRule): string {
  return `route ${renderBirdFlowNet(rule)} { ${renderBirdRouteAttributes(rule).join(' ')} };`;
}

/** The flow network alone: `flow4 { dst 203.0.113.10/32; proto 17; }` (also what `show route` takes). */
export function renderBirdFlowNet(rule: FlowSpecRule): string {
  const items: string[] = [];
  for (const info of FLOW_COMPONENTS) {
    const value = rule.match[info.name];
    if (value === undefined) continue;
    const keyword = keywordFor(info.name, rule.family);
    if (info.kind === 'prefix') items.push(`${keyword} ${renderPrefix(value as FlowPrefix)};`);
    else if (info.kind === 'numeric') items.push(`${keyword} ${renderNumeric(value as NumericMatch)};`);
    else if (info.name === 'tcpFlags') items.push(`${keyword} ${renderTcpFlags(value as BitmaskMatch<TcpFlag>)};`);
    else items.push(`${keyword} ${renderFragment(value as BitmaskMatch<FragmentFlag>)};`);
  }
  return `${rule.family === 'ipv4' ? 'flow4' : 'flow6'} { ${items.join(' ')} }`;
}

/** Filter statements that attach the actions: `bgp_ext_community.add((generic, 0x80060000, 0x00000000));` */
export function renderBirdRouteAttributes(rule: FlowSpecRule): string[] {
  const statements: string[] = [];
  for (const action of rule.actions) {
    if (action.type === 'community') {
      statements.push(`bgp_community.add((${action.asn}, ${action.value}));`);
    } else if (action.type === 'large-community') {
      statements.push(`bgp_large_community.add((${action.global}, ${action.local1}, ${action.local2}));`);
    } else if (action.type === 'extended-community' && birdPicksSameFormat(action.value)) {
      const kind = action.kind === 'route-target' ? 'rt' : 'ro';
      const global = action.value.format === 'ip' ? action.value.address : action.value.asn;
      statements.push(`bgp_ext_community.add((${kind}, ${global}, ${action.value.local}));`);
    } else {
      const w = actionExtendedCommunity(action)!;
      statements.push(`bgp_ext_community.add((generic, 0x${hex32(w.high)}, 0x${hex32(w.low)}));`);
    }
  }
  return statements;
}

/**
 * BIRD chooses the route-target layout from the AS number (2-octet below 65536, else 4-octet), so `(rt, …)`
 * is only used where that choice is the one asked for; an AS4 target with a small AS goes out as generic.
 */
function birdPicksSameFormat(v: { format: string; asn?: number }): boolean {
  return v.format === 'ip' || v.format === 'as2' || (v.format === 'as4' && (v.asn ?? 0) > 0xffff);
}

function keywordFor(name: MatchComponentName, family: FlowFamily): string {
  const k = KEYWORD[name];
  return typeof k === 'string' ? k : k[family];
}

function renderPrefix(p: FlowPrefix): string {
  const offset = p.offset ?? 0;
  return offset > 0 ? `${canonicalPrefix(p.prefix)} offset ${offset}` : canonicalPrefix(p.prefix);
}

function renderNumeric(match: NumericMatch): string {
  const short = match.map((term) => {
    const value = singleValueOf(term);
    if (value !== undefined) return String(value);
    const range = closedRangeOf(term);
    return range === undefined ? undefined : `${range[0]}..${range[1]}`;
  });
  if (short.every((s) => s !== undefined)) return short.join(', ');
  return match.map((term) => term.map((c) => `${c.op} ${c.value}`).join(' && ')).join(' || ');
}

function renderTcpFlags(match: BitmaskMatch<TcpFlag>): string {
  const item = (c: BitmaskCondition<TcpFlag>): string => {
    const mask = `0x${tcpFlagBits(c.flags).toString(16)}`;
    switch (c.mode) {
      case 'all':
        return `${mask}/${mask}`;
      case 'none':
        return `0x0/${mask}`;
      case 'any':
        return `!0x0/${mask}`;
      case 'not-all':
        return `!${mask}/${mask}`;
    }
  };
  return match.map((term) => term.map(item).join(' && ')).join(' || ');
}

/** One single-bit literal: a fragment flag, possibly negated (`!is_fragment`). */
interface FragmentLiteral {
  flag: FragmentFlag;
  negated: boolean;
}

function renderFragment(match: BitmaskMatch<FragmentFlag>): string {
  const alternatives = match.flatMap((term) => termAlternatives(term));
  return alternatives
    .map((conj) => conj.map((l) => `${l.negated ? '!' : ''}${FRAGMENT_KEYWORD[l.flag]}`).join(' && '))
    .join(' || ');
}

/**
 * A term (AND of conditions) as an OR of AND-ed single-bit literals, the only shape BIRD's fragment syntax
 * has. all(a,b) = a && b; none(a,b) = !a && !b; any(a,b) = a || b; not-all(a,b) = !a || !b; the AND of
 * conditions distributes over their alternatives. The result matches exactly the same packets.
 */
function termAlternatives(term: BitmaskCondition<FragmentFlag>[]): FragmentLiteral[][] {
  let product: FragmentLiteral[][] = [[]];
  for (const c of term) {
    const flags = orderedFragmentFlags(c.flags);
    const alternatives: FragmentLiteral[][] =
      c.mode === 'all'
        ? [flags.map((flag) => ({ flag, negated: false }))]
        : c.mode === 'none'
          ? [flags.map((flag) => ({ flag, negated: true }))]
          : flags.map((flag) => [{ flag, negated: c.mode === 'not-all' }]);
    product = product.flatMap((conj) => alternatives.map((alt) => [...conj, ...alt]));
  }
  return product;
}

function orderedFragmentFlags(flags: FragmentFlag[]): FragmentFlag[] {
  const bits = fragmentFlagBits(flags);
  return (Object.keys(FRAGMENT_KEYWORD) as FragmentFlag[]).filter((f) => bits & fragmentFlagBits([f]));
}
