// Renders a validated FlowSpecRule as ExaBGP 4.2 process-API lines:
//   announce flow route { match { destination 1.2.3.4/32; source-port =53; } then { discard; } }
//   withdraw flow route { match { destination 1.2.3.4/32; source-port =53; } }
// The spellings come from ExaBGP 4.2.21's own parser (exabgp/configuration/flow/parser.py and
// bgp/message/update/nlri/flow.py): numeric lists `[ >=200&<=1500 =9000 ]` (space = OR, & = AND); bitmask
// operators '' (any), '=' (all), '!' (none), '!=' (not all) before `syn+ack` / `is-fragment+first-fragment`;
// IPv6 calls protocol `next-header` and DSCP `traffic-class`, and reads `2001:db8::/32` as offset 0 (its
// `2001:db8::/32/8` offset form is refused here, see renderPrefix). ExaBGP's API parses the same
// `match`/`then` sections as its configuration file, which is how the tests check them with `exabgp --test`.
//
// What ExaBGP cannot say with a keyword, it is given as a raw extended community (`0x…`): redirect to an
// IPv4:N target (its `redirect 1.2.3.4:5` is refused as deprecated), traffic-rate-packets, and
// route-target/origin communities (its `target:IP:N` writes the wrong type byte). An AS4 redirect to an AS
// below 65536 has no working form in 4.2.21 and is refused (see renderExabgpThen). Nothing here adds the
// `neighbor X ` prefix that targets one peer; the speaker does that.
import { BreakwaterError } from '../errors.js';
import { actionExtendedCommunity, extendedCommunityHex } from './action-communities.js';
import { FLOW_COMPONENTS, type MatchComponentName } from './components.js';
import { canonicalPrefix } from './prefix.js';
import type { BitmaskCondition, BitmaskMatch, FlowFamily, FlowPrefix, FlowSpecRule, NumericMatch, TcpFlag } from './rule.js';

const SPEAKER = 'ExaBGP 4.2';

const KEYWORD: Record<MatchComponentName, string | { ipv4: string; ipv6: string }> = {
  destination: 'destination',
  source: 'source',
  protocol: { ipv4: 'protocol', ipv6: 'next-header' },
  port: 'port',
  destinationPort: 'destination-port',
  sourcePort: 'source-port',
  icmpType: 'icmp-type',
  icmpCode: 'icmp-code',
  tcpFlags: 'tcp-flags',
  packetLength: 'packet-length',
  // Same wire type 11 and one-byte value either way; `traffic-class` is the name ExaBGP decodes IPv6 type 11
  // to, so what it logs for our routes reads the same as what we sent.
  dscp: { ipv4: 'dscp', ipv6: 'traffic-class' },
  fragment: 'fragment',
  flowLabel: 'flow-label',
};

/** ExaBGP's TCPFlag names (exabgp/protocol/ip/tcp/flag.py); PSH is `push` there. */
const TCP_FLAG_NAME: Record<TcpFlag, string> = {
  fin: 'fin',
  syn: 'syn',
  rst: 'rst',
  psh: 'push',
  ack: 'ack',
  urg: 'urg',
  ece: 'ece',
  cwr: 'cwr',
};

const MODE_PREFIX = { any: '', all: '=', none: '!', 'not-all': '!=' } as const;

export function renderExabgpAnnounce(rule: FlowSpecRule): string {
  return `announce flow route { ${renderExabgpMatch(rule)} ${renderExabgpThen(rule)} }`;
}

export function renderExabgpWithdraw(rule: FlowSpecRule): string {
  return `withdraw flow route { ${renderExabgpMatch(rule)} }`;
}

/** `match { destination 1.2.3.4/32; protocol =17; }`, components in RFC type order. */
export function renderExabgpMatch(rule: FlowSpecRule): string {
  const statements: string[] = [];
  for (const info of FLOW_COMPONENTS) {
    const value = rule.match[info.name];
    if (value === undefined) continue;
    const keyword = keywordFor(info.name, rule.family);
    if (info.kind === 'prefix') statements.push(`${keyword} ${renderPrefix(info.name, value as FlowPrefix)};`);
    else if (info.kind === 'numeric') statements.push(`${keyword} ${renderNumeric(value as NumericMatch)};`);
    else statements.push(`${keyword} ${renderBitmask(value as BitmaskMatch<string>, info.name === 'tcpFlags')};`);
  }
  return `match { ${statements.join(' ')} }`;
}

/** `then { discard; community [ 65000:666 ]; }` */
export function renderExabgpThen(rule: FlowSpecRule): string {
  const statements: string[] = [];
  const communities: string[] = [];
  const largeCommunities: string[] = [];
  const rawExtended: string[] = [];
  for (const action of rule.actions) {
    switch (action.type) {
      case 'discard':
        statements.push('discard;');
        break;
      case 'rate-limit':
        statements.push(`rate-limit ${action.bytesPerSecond};`);
        break;
      case 'redirect': {
        const t = action.target;
        // ExaBGP picks the redirect type from the AS number: AS2 below 65536, AS4 above.
        if (t.format === 'as2' || (t.format === 'as4' && t.asn > 0xffff)) {
          statements.push(`redirect ${t.asn}:${t.local};`);
        } else if (t.format === 'as4') {
          // The raw form would do, but ExaBGP 4.2.21 decodes a raw 0x8208 community into TrafficRedirectASN4,
          // whose printing recurses until Python gives up: the API command then gets no `done`/`error` at all.
          throw new BreakwaterError('BW_ERR_FLOWSPEC_UNRENDERABLE', [
            SPEAKER,
            'a 4-octet-AS redirect to an AS below 65536',
            'its `redirect` keyword would send the 2-octet form, and the raw community hangs its API (no acknowledgement)',
          ]);
        } else {
          rawExtended.push(extendedCommunityHex(actionExtendedCommunity(action)!));
        }
        break;
      }
      case 'mark-dscp':
        statements.push(`mark ${action.dscp};`);
        break;
      case 'traffic-action':
        statements.push(`action ${action.sample && action.terminal ? 'sample-terminal' : action.sample ? 'sample' : 'terminal'};`);
        break;
      case 'community':
        communities.push(`${action.asn}:${action.value}`);
        break;
      case 'large-community':
        largeCommunities.push(`${action.global}:${action.local1}:${action.local2}`);
        break;
      case 'rate-limit-packets':
      case 'extended-community':
        rawExtended.push(extendedCommunityHex(actionExtendedCommunity(action)!));
        break;
    }
  }
  if (communities.length > 0) statements.push(`community [ ${communities.join(' ')} ];`);
  if (largeCommunities.length > 0) statements.push(`large-community [ ${largeCommunities.join(' ')} ];`);
  if (rawExtended.length > 0) statements.push(`extended-community [ ${rawExtended.join(' ')} ];`);
  return `then { ${statements.join(' ')} }`;
}

function keywordFor(name: MatchComponentName, family: FlowFamily): string {
  const k = KEYWORD[name];
  return typeof k === 'string' ? k : k[family];
}

function renderPrefix(name: MatchComponentName, p: FlowPrefix): string {
  if ((p.offset ?? 0) > 0) {
    // ExaBGP 4.2 packs ceil(length/8) bytes from bit 0 after the offset byte; RFC 8956 §3.1 wants only the
    // (length - offset) pattern bits. A receiver that follows the RFC (BIRD does) would misread the rule.
    throw new BreakwaterError('BW_ERR_FLOWSPEC_UNRENDERABLE', [
      SPEAKER,
      `match.${name}.offset`,
      'it encodes IPv6 prefix offsets differently from RFC 8956, so receivers would read another rule',
    ]);
  }
  return canonicalPrefix(p.prefix);
}

function renderNumeric(match: NumericMatch): string {
  const terms = match.map((term) => term.map((c) => `${c.op}${c.value}`).join('&'));
  return match.length === 1 && match[0]!.length === 1 ? terms[0]! : `[ ${terms.join(' ')} ]`;
}

function renderBitmask(match: BitmaskMatch<string>, tcp: boolean): string {
  const name = (flag: string): string => (tcp ? TCP_FLAG_NAME[flag as TcpFlag] : flag);
  const condition = (c: BitmaskCondition<string>): string => `${MODE_PREFIX[c.mode]}${c.flags.map(name).join('+')}`;
  const terms = match.map((term) => term.map(condition).join('&'));
  return match.length === 1 && match[0]!.length === 1 ? terms[0]! : `[ ${terms.join(' ')} ]`;
}
