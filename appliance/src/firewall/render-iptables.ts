// FirewallRule → iptables / ip6tables rule specs (argument lists without chain, comment and target). iptables
// has no sets in a plain rule, so every interval of a numeric component beyond what multiport takes becomes its
// own rule (a cross product, capped). Fragment bits render where iptables' -f (IPv4 non-zero offset) or ip6tables'
// frag match (header, first, more, last) express them exactly, and are refused otherwise; flow labels are refused.
import type { BitmaskMatch, FirewallRule, FragmentFlag, NumericMatch, TcpFlag } from '@breakwater/sdk';
import { fragmentCover } from './fragment-match.js';
import { checkedPrefix, crossProduct, ruleFamily, unsupported, type FilterFamily } from './match-family.js';
import { coversDomain, matchIntervals, type Interval } from './numeric-intervals.js';

export const MAX_IPTABLES_RULES_PER_ENTRY = 32;
// By name, so iptables loads the protocol's own match (--tcp-flags, --icmp-type) as it does for `-p tcp`.
const IPT_PROTOCOL: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };
const IPT_TCP_FLAG: Record<TcpFlag, string> = { fin: 'FIN', syn: 'SYN', rst: 'RST', psh: 'PSH', ack: 'ACK', urg: 'URG', ece: 'ECE', cwr: 'CWR' };

export function renderIptables(rule: FirewallRule): { family: FilterFamily; specs: string[][] } {
  const family = ruleFamily(rule);
  const m = rule.match;
  if (m.flowLabel) throw unsupported('flow label', 'iptables has no flow label match');
  const clauses: string[][][] = [[['-d', checkedPrefix('destination', m.destination, family).text]]];
  if (m.source) clauses.push([['-s', checkedPrefix('source', m.source, family).text]]);

  const hasPorts = m.port !== undefined || m.destinationPort !== undefined || m.sourcePort !== undefined;
  const protocols = m.protocol ? values(m.protocol, 255, 'protocol') : hasPorts ? [6, 17] : m.tcpFlags ? [6] : undefined;
  const icmpProto = family === 'ipv4' ? 1 : 58;
  // The protocol decides which match modules may follow, so each protocol is its own group of alternatives.
  if (protocols !== undefined) {
    clauses.push(
      protocols.map((p) => {
        if (hasPorts && p !== 6 && p !== 17 && p !== 132) throw unsupported(`ports with protocol ${p}`, 'iptables matches ports for tcp, udp and sctp only');
        if (m.tcpFlags && p !== 6) throw unsupported(`TCP flags with protocol ${p}`, 'the match asks for TCP flags of a non-TCP packet');
        return ['-p', IPT_PROTOCOL[p] ?? String(p)];
      }),
    );
  }
  if (m.port) clauses.push(multiport('--ports', m.port));
  if (m.destinationPort) clauses.push(multiport('--dports', m.destinationPort));
  if (m.sourcePort) clauses.push(multiport('--sports', m.sourcePort));
  if (m.icmpType || m.icmpCode) {
    if (!protocols || protocols.length !== 1 || protocols[0] !== icmpProto) throw unsupported('ICMP type/code', `iptables needs protocol ${icmpProto} alone with them`);
    if (m.icmpCode && !m.icmpType) throw unsupported('ICMP code without type', 'iptables matches a code only with its type');
    const types = values(m.icmpType!, 255, 'ICMP type');
    const codes = m.icmpCode ? values(m.icmpCode, 255, 'ICMP code') : [undefined];
    const opt = family === 'ipv4' ? '--icmp-type' : '--icmpv6-type';
    clauses.push(types.flatMap((t) => codes.map((c) => [opt, c === undefined ? `${t}` : `${t}/${c}`])));
  }
  if (m.tcpFlags) clauses.push(tcpFlags(m.tcpFlags));
  // ip6tables' length match counts the 40-byte IPv6 header; FlowSpec's IPv6 packet length is the payload length.
  if (m.packetLength) clauses.push(intervals(m.packetLength, 65535, 'packet length').map(([lo, hi]) => ['-m', 'length', '--length', span(lo + (family === 'ipv6' ? 40 : 0), hi + (family === 'ipv6' ? 40 : 0))]));
  if (m.dscp) clauses.push(values(m.dscp, 63, 'DSCP').map((d) => ['-m', 'dscp', '--dscp', String(d)]));
  if (m.fragment) clauses.push(fragmentSpecs(m.fragment, family));

  return { family, specs: crossProduct(clauses, MAX_IPTABLES_RULES_PER_ENTRY, 'this match under iptables') };
}

function intervals(match: NumericMatch, max: number, what: string): Interval[] {
  const out = matchIntervals(match, max);
  if (out.length === 0) throw unsupported(what, 'the operator list accepts no value, so the rule could never match');
  return coversDomain(out, max) ? [[0, max]] : out;
}

function values(match: NumericMatch, max: number, what: string): number[] {
  const out: number[] = [];
  for (const [lo, hi] of intervals(match, max, what)) {
    if (out.length + hi - lo + 1 > MAX_IPTABLES_RULES_PER_ENTRY) throw unsupported(what, `more than ${MAX_IPTABLES_RULES_PER_ENTRY} values`);
    for (let v = lo; v <= hi; v++) out.push(v);
  }
  return out;
}

function span(lo: number, hi: number): string {
  return lo === hi ? `${lo}` : `${lo}:${hi}`;
}

/** multiport takes 15 ports, a range counting as two: longer lists are split over several rules. */
function multiport(option: string, match: NumericMatch): string[][] {
  const list = intervals(match, 65535, 'port');
  const groups: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const [lo, hi] of list) {
    const cost = lo === hi ? 1 : 2;
    if (used + cost > 15) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(span(lo, hi));
    used += cost;
  }
  groups.push(current);
  return groups.map((g) => ['-m', 'multiport', option, g.join(',')]);
}

/** Each rule of the fragment cover: IPv4 tests as they are (-f, ! -f); IPv6 options after one `-m frag`. */
function fragmentSpecs(match: BitmaskMatch<FragmentFlag>, family: FilterFamily): string[][] {
  return fragmentCover(match, family, 'iptables').map((tests) => {
    if (family === 'ipv4') return tests.flatMap((t) => t.iptables ?? []);
    if (tests.length === 0) return [];
    const options = tests.map((t) => t.ip6tablesFragOption ?? '').filter((o) => o !== '');
    return ['-m', 'frag', ...new Set(options)];
  });
}

/** --tcp-flags MASK COMP tests one mask: "any" of several flags and "not-all" become one rule per flag. */
function tcpFlags(match: BitmaskMatch<TcpFlag>): string[][] {
  const out: string[][] = [];
  for (const term of match) {
    if (term.length !== 1) throw unsupported('TCP flags', 'iptables takes one --tcp-flags test per rule');
    const { flags, mode } = term[0]!;
    const names = flags.map((f) => IPT_TCP_FLAG[f]);
    const test = (mask: string[], comp: string[]): string[] => ['--tcp-flags', mask.join(','), comp.length ? comp.join(',') : 'NONE'];
    if (mode === 'all') out.push(test(names, names));
    else if (mode === 'none') out.push(test(names, []));
    else if (mode === 'any') for (const n of names) out.push(test([n], [n]));
    else for (const n of names) out.push(test([n], []));
  }
  return out;
}
