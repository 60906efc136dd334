// Checks shared by the nftables and iptables renderers: the rule's address family (from its destination prefix)
// and the prefixes themselves, and the one way both refuse a match they cannot express.
import type { FirewallRule, FlowPrefix } from '@breakwater/sdk';
import { BreakwaterError } from '../errors.js';
import { parsePrefix } from '../flowspec/prefix.js';

export type FilterFamily = 'ipv4' | 'ipv6';

export function unsupported(what: string, why: string): BreakwaterError {
  return new BreakwaterError('BW_ERR_FIREWALL_UNSUPPORTED', [what, why]);
}

export function ruleFamily(rule: FirewallRule): FilterFamily {
  return checkedPrefix('destination', rule.match.destination, undefined).family;
}

/** The canonical prefix text, refusing host bits, a family mismatch and IPv6 offsets (neither nft nor iptables has them). */
export function checkedPrefix(name: string, p: FlowPrefix, family: FilterFamily | undefined): { family: FilterFamily; text: string } {
  const parsed = parsePrefix(p.prefix);
  if (!parsed.ok) throw unsupported(`${name} ${p.prefix}`, parsed.message);
  if (family !== undefined && parsed.prefix.family !== family) throw unsupported(`${name} ${p.prefix}`, `it is not an ${family} prefix like the destination`);
  if ((p.offset ?? 0) !== 0) throw unsupported(`${name} offset ${p.offset}`, 'prefix offsets (RFC 8956) have no nftables or iptables equivalent');
  return { family: parsed.prefix.family, text: parsed.prefix.canonical };
}

/** Every combination of one alternative per clause: how an OR inside a match becomes several kernel rules. */
export function crossProduct<T>(clauses: readonly (readonly T[][])[], limit: number, what: string): T[][] {
  let out: T[][] = [[]];
  for (const alternatives of clauses) {
    const next: T[][] = [];
    for (const prefix of out) for (const alt of alternatives) next.push([...prefix, ...alt]);
    out = next;
    if (out.length > limit) throw unsupported(what, `the match needs more than ${limit} kernel rules`);
  }
  return out;
}
