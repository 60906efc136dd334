// Route identity. Two announcements of the same NLRI are the same route to a router (the later replaces the
// earlier), so a desired route's id is derived from its NLRI alone: the FlowSpec match (components in RFC
// order, bitmask flags sorted by bit, prefixes canonical), the RTBH prefix or the diversion prefix. RTBH and
// diversion routes share the unicast NLRI space: the speaker refuses one where the other holds the prefix. The attributes (actions,
// communities, next hop) are compared separately through routeFingerprint, so a changed action is seen as
// "same route, must be re-sent" and never as a second route.
import { createHash } from 'node:crypto';
import { FLOW_COMPONENTS, FRAGMENT_FLAG_BITS, TCP_FLAG_BITS } from '../flowspec/components.js';
import { canonicalPrefix, formatAddress, parsePrefix } from '../flowspec/prefix.js';
import type { BitmaskMatch, FlowPrefix, FlowSpecMatch, FlowSpecRule, NumericMatch } from '../flowspec/rule.js';
import type { DesiredBgpRoute } from './speaker.js';

/** A canonical text of the match, equal for equal matches whatever order keys and flags were given in. */
export function canonicalMatchText(family: FlowSpecRule['family'], match: FlowSpecMatch): string {
  const parts: string[] = [family];
  for (const info of FLOW_COMPONENTS) {
    const value = match[info.name];
    if (value === undefined) continue;
    if (info.kind === 'prefix') {
      parts.push(`${info.type}:${prefixText(family, value as FlowPrefix)}`);
    } else if (info.kind === 'numeric') {
      parts.push(`${info.type}:${(value as NumericMatch).map((t) => t.map((c) => `${c.op}${c.value}`).join('&')).join('|')}`);
    } else {
      const bits = info.name === 'tcpFlags' ? (TCP_FLAG_BITS as Record<string, number>) : (FRAGMENT_FLAG_BITS as Record<string, number>);
      const terms = (value as BitmaskMatch<string>).map((t) =>
        t.map((c) => `${c.mode}(${c.flags.reduce((sum, f) => sum | (bits[f] ?? 0), 0)})`).join('&'),
      );
      parts.push(`${info.type}:${terms.join('|')}`);
    }
  }
  return parts.join(' ');
}

/**
 * A prefix with an offset (RFC 8956) matches bits offset..length only; the bits before the offset are not
 * on the wire, so they are zeroed here and a rule read back from a daemon gets the same id.
 */
function prefixText(family: FlowSpecRule['family'], p: FlowPrefix): string {
  const offset = p.offset ?? 0;
  if (offset === 0) return canonicalPrefix(p.prefix);
  const parsed = parsePrefix(p.prefix);
  if (!parsed.ok) return `${p.prefix}@${offset}`;
  const width = family === 'ipv4' ? 32n : 128n;
  const kept = parsed.prefix.value & ((1n << (width - BigInt(offset))) - 1n);
  return `${formatAddress(family, kept)}/${parsed.prefix.length}@${offset}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function flowRouteId(rule: FlowSpecRule): string {
  return `flow-${rule.family === 'ipv4' ? '4' : '6'}-${shortHash(canonicalMatchText(rule.family, rule.match))}`;
}

export function rtbhRouteId(prefix: string): string {
  return `rtbh-${canonicalPrefix(prefix)}`;
}

export function diversionRouteId(prefix: string): string {
  return `divert-${canonicalPrefix(prefix)}`;
}

/** What a router would see besides the NLRI; a route whose fingerprint changed must be announced again. */
export function routeFingerprint(route: DesiredBgpRoute): string {
  if (route.kind === 'rtbh' || route.kind === 'diversion') return `${route.nextHop} ${[...route.communities].sort().join(',')}`;
  return JSON.stringify(route.rule.actions);
}
