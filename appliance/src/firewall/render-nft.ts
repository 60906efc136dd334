// FirewallRule → nftables rule bodies (without the comment, which the backend adds). Numeric components become
// one anonymous set each ({ 53, 100-200 }); only an OR across different fields — the FlowSpec "port" component
// (source OR destination port), OR-ed TCP flag or fragment terms — needs several rules, which share one comment
// so their counters are summed. What nft cannot express is refused with BW_ERR_FIREWALL_UNSUPPORTED.
import type { BitmaskMatch, FirewallRule, FragmentFlag, NumericMatch, TcpFlag } from '@breakwater/sdk';
import { checkedPrefix, crossProduct, ruleFamily, unsupported, type FilterFamily } from './match-family.js';
import { coversDomain, matchIntervals } from './numeric-intervals.js';
import { fragmentCover } from './fragment-match.js';

/** A match that would need more rules than this is refused: every rule costs per-packet evaluation. */
export const MAX_RULES_PER_ENTRY = 16;

// nft's names for the TCP flags; it calls ECE "ecn".
const NFT_TCP_FLAG: Record<TcpFlag, string> = { fin: 'fin', syn: 'syn', rst: 'rst', psh: 'psh', ack: 'ack', urg: 'urg', ece: 'ecn', cwr: 'cwr' };
const PORT_PROTOCOLS = '{ 6, 17, 33, 132, 136 }'; // tcp, udp, dccp, sctp, udplite: the protocols with ports at th 0/2

export function renderNft(rule: FirewallRule): { family: FilterFamily; bodies: string[] } {
  const family = ruleFamily(rule);
  const m = rule.match;
  const ip = family === 'ipv4' ? 'ip' : 'ip6';
  const clauses: string[][][] = [];
  const one = (expr: string | undefined): void => {
    if (expr !== undefined) clauses.push([[expr]]);
  };

  one(`${ip} daddr ${checkedPrefix('destination', m.destination, family).text}`);
  if (m.source) one(`${ip} saddr ${checkedPrefix('source', m.source, family).text}`);
  const proto = m.protocol ? numeric('meta l4proto', m.protocol, 255, 'protocol') : undefined;
  one(proto);
  if ((m.port || m.destinationPort || m.sourcePort) && proto === undefined) one(`meta l4proto ${PORT_PROTOCOLS}`);
  if (m.port) {
    const set = numeric('', m.port, 65535, 'port');
    if (set !== undefined) clauses.push([[`th sport${set}`], [`th dport${set}`]]);
  }
  if (m.destinationPort) one(numeric('th dport', m.destinationPort, 65535, 'destination port'));
  if (m.sourcePort) one(numeric('th sport', m.sourcePort, 65535, 'source port'));
  const icmp = family === 'ipv4' ? 'icmp' : 'icmpv6';
  if (m.icmpType) one(numeric(`${icmp} type`, m.icmpType, 255, 'ICMP type'));
  if (m.icmpCode) one(numeric(`${icmp} code`, m.icmpCode, 255, 'ICMP code'));
  if (m.tcpFlags) clauses.push(tcpFlagTerms(m.tcpFlags));
  // nft's "ip length" is the IPv4 total length and "ip6 length" the IPv6 payload length: FlowSpec's own definitions.
  if (m.packetLength) one(numeric(`${ip} length`, m.packetLength, 65535, 'packet length'));
  if (m.dscp) one(numeric(`${ip} dscp`, m.dscp, 63, 'DSCP'));
  if (m.flowLabel) {
    if (family === 'ipv4') throw unsupported('flow label', 'IPv4 has no flow label');
    one(numeric('ip6 flowlabel', m.flowLabel, 0xfffff, 'flow label'));
  }
  if (m.fragment) clauses.push(fragmentTerms(m.fragment, family));

  const action = rule.action.type === 'drop' ? 'counter drop' : `limit rate over ${rule.action.packetsPerSecond}/second counter drop`;
  const bodies = crossProduct(clauses, MAX_RULES_PER_ENTRY, 'this match').map((exprs) => [...exprs, action].join(' '));
  return { family, bodies };
}

/** `selector { 1, 5-9 }`, or undefined when the match accepts every value (nothing to filter on). */
function numeric(selector: string, match: NumericMatch, max: number, what: string): string | undefined {
  const intervals = matchIntervals(match, max);
  if (intervals.length === 0) throw unsupported(what, 'the operator list accepts no value, so the rule could never match');
  if (coversDomain(intervals, max)) return undefined;
  const items = intervals.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`));
  return `${selector} ${items.length === 1 ? items[0] : `{ ${items.join(', ')} }`}`;
}

function tcpFlagTerms(match: BitmaskMatch<TcpFlag>): string[][] {
  return match.map((term) =>
    ['meta l4proto 6'].concat(
      term.map(({ flags, mode }) => {
        const set = flags.map((f) => NFT_TCP_FLAG[f]).join(' | ');
        switch (mode) {
          case 'any': return `tcp flags & (${set}) != 0`;
          case 'all': return `tcp flags & (${set}) == ${set}`;
          case 'none': return `tcp flags & (${set}) == 0`;
          case 'not-all': return `tcp flags & (${set}) != ${set}`;
        }
      }),
    ),
  );
}

/** The fragment match as alternatives of nft expressions (fragment-match.ts picks the fewest rules). */
function fragmentTerms(match: BitmaskMatch<FragmentFlag>, family: FilterFamily): string[][] {
  const cover = fragmentCover(match, family, 'nft');
  if (cover.length > MAX_RULES_PER_ENTRY) throw unsupported('fragment match', `it needs more than ${MAX_RULES_PER_ENTRY} kernel rules`);
  return cover.map((tests) => tests.map((t) => t.nft));
}
