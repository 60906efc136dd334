// Renders a validated FlowSpecRule as GoBGP 3.x CLI argument arrays, ready for execFile('gobgp', [...]) with no
// shell in between (so `>=200` and `!=SA` need no quoting):
//   global rib -a ipv4-flowspec add match destination 10.0.0.1/32 protocol ==17 source-port ==53 then discard
// The caller prepends connection flags (`-p PORT`, `-u HOST`). `del` repeats the match only: GoBGP deletes by
// NLRI. Syntax from `gobgp global rib -a ipv4-flowspec add` usage and its parser (pkg/packet/bgp/bgp.go),
// checked against a running gobgpd 3.10 in the tests:
// - numeric items `==53`, `>=200`, and `&<=1500` to AND an item to the previous one; a new item without `&`
//   starts an OR term. IPv6 uses `protocol` for the next header and `label` for the flow label;
// - bitmask items: '' (any), '=' (all), '!' (none), '!=' (not all) before TCP flag letters `SA` or fragment
//   names `is-fragment+first-fragment`;
// - a 4-octet-AS redirect must be written as-dot `high.low:N`: gobgp 3.10 silently truncates `4200000000:1`
//   to `65535:1`.
// GoBGP's CLI has no way to attach traffic-rate-packets or route-target/origin communities to a FlowSpec
// route ("cannot specify rt for ipv4-flowspec"), and it encodes IPv6 prefix offsets the pre-RFC way; those
// rules are refused with BW_ERR_FLOWSPEC_UNRENDERABLE rather than sent half-done.
import { BreakwaterError } from '../errors.js';
import { FLOW_COMPONENTS, type MatchComponentName } from './components.js';
import { canonicalPrefix } from './prefix.js';
import type { BitmaskCondition, BitmaskMatch, FlowPrefix, FlowSpecRule, NumericMatch, NumericOperator, TcpFlag } from './rule.js';

const SPEAKER = 'GoBGP 3 CLI';

const KEYWORD: Record<MatchComponentName, string> = {
  destination: 'destination',
  source: 'source',
  protocol: 'protocol',
  port: 'port',
  destinationPort: 'destination-port',
  sourcePort: 'source-port',
  icmpType: 'icmp-type',
  icmpCode: 'icmp-code',
  tcpFlags: 'tcp-flags',
  packetLength: 'packet-length',
  dscp: 'dscp',
  fragment: 'fragment',
  flowLabel: 'label',
};

const TCP_FLAG_LETTER: Record<TcpFlag, string> = { fin: 'F', syn: 'S', rst: 'R', psh: 'P', ack: 'A', urg: 'U', ece: 'E', cwr: 'C' };
const OPERATOR: Record<NumericOperator, string> = { '=': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const MODE_PREFIX = { any: '', all: '=', none: '!', 'not-all': '!=' } as const;

/** `global rib -a ipv4-flowspec add match … then …` */
export function renderGobgpAdd(rule: FlowSpecRule): string[] {
  return [...ribArgs(rule), 'add', 'match', ...renderGobgpMatch(rule), 'then', ...renderGobgpThen(rule)];
}

/** `global rib -a ipv4-flowspec del match …` */
export function renderGobgpDel(rule: FlowSpecRule): string[] {
  return [...ribArgs(rule), 'del', 'match', ...renderGobgpMatch(rule)];
}

/** `global rib -a ipv4-flowspec` (append `-j` to list the RIB as JSON). */
export function ribArgs(rule: Pick<FlowSpecRule, 'family'>): string[] {
  return ['global', 'rib', '-a', rule.family === 'ipv4' ? 'ipv4-flowspec' : 'ipv6-flowspec'];
}

export function renderGobgpMatch(rule: FlowSpecRule): string[] {
  const args: string[] = [];
  for (const info of FLOW_COMPONENTS) {
    const value = rule.match[info.name];
    if (value === undefined) continue;
    args.push(KEYWORD[info.name]);
    if (info.kind === 'prefix') args.push(renderPrefix(info.name, value as FlowPrefix));
    else if (info.kind === 'numeric') args.push(...renderNumeric(value as NumericMatch));
    else args.push(...renderBitmask(value as BitmaskMatch<string>, info.name === 'tcpFlags'));
  }
  return args;
}

export function renderGobgpThen(rule: FlowSpecRule): string[] {
  const args: string[] = [];
  const communities: string[] = [];
  const largeCommunities: string[] = [];
  rule.actions.forEach((action, i) => {
    switch (action.type) {
      case 'discard':
        args.push('discard');
        break;
      case 'rate-limit':
        args.push('rate-limit', String(action.bytesPerSecond));
        break;
      case 'redirect': {
        const t = action.target;
        const global = t.format === 'ip' ? t.address : t.format === 'as4' ? `${t.asn >>> 16}.${t.asn & 0xffff}` : String(t.asn);
        args.push('redirect', `${global}:${t.local}`);
        break;
      }
      case 'mark-dscp':
        args.push('mark', String(action.dscp));
        break;
      case 'traffic-action':
        args.push('action', action.sample && action.terminal ? 'sample-terminal' : action.sample ? 'sample' : 'terminal');
        break;
      case 'community':
        communities.push(`${action.asn}:${action.value}`);
        break;
      case 'large-community':
        largeCommunities.push(`${action.global}:${action.local1}:${action.local2}`);
        break;
      case 'rate-limit-packets':
      case 'extended-community':
        throw new BreakwaterError('BW_ERR_FLOWSPEC_UNRENDERABLE', [SPEAKER, `actions[${i}] (${action.type})`, 'its FlowSpec `then` has no such action']);
    }
  });
  if (communities.length > 0) args.push('community', communities.join(','));
  if (largeCommunities.length > 0) args.push('large-community', largeCommunities.join(','));
  return args;
}

function renderPrefix(name: MatchComponentName, p: FlowPrefix): string {
  if ((p.offset ?? 0) > 0) {
    throw new BreakwaterError('BW_ERR_FLOWSPEC_UNRENDERABLE', [
      SPEAKER,
      `match.${name}.offset`,
      'gobgp encodes IPv6 prefix offsets as ceil(length/8) address bytes, not the RFC 8956 pattern, so receivers would read another rule',
    ]);
  }
  return canonicalPrefix(p.prefix);
}

function renderNumeric(match: NumericMatch): string[] {
  return match.flatMap((term) => term.map((c, j) => `${j > 0 ? '&' : ''}${OPERATOR[c.op]}${c.value}`));
}

function renderBitmask(match: BitmaskMatch<string>, tcp: boolean): string[] {
  const value = (c: BitmaskCondition<string>): string =>
    tcp ? c.flags.map((f) => TCP_FLAG_LETTER[f as TcpFlag]).join('') : c.flags.join('+');
  return match.flatMap((term) => term.map((c, j) => `${j > 0 ? '&' : ''}${MODE_PREFIX[c.mode]}${value(c)}`));
}
