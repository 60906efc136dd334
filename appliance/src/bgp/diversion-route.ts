// What a diversion route may be (Tier 4, BGP diversion community): a unicast prefix covering the victim,
// within the lengths an upstream takes for diversion (IPv4 /8../32, IPv6 /16../128), with one to 16
// communities, each a standard community "ASN:VALUE" (RFC 1997) or a large community
// "GLOBAL:LOCAL1:LOCAL2" (RFC 8092). Checked once here, before a route is recorded as desired; the daemon
// renderers then trust the text and only split it (splitCommunities).
import { BreakwaterError } from '../errors.js';
import { parsePrefix } from '../flowspec/prefix.js';

export const DIVERSION_PREFIX_LENGTH = { ipv4: { min: 8, max: 32 }, ipv6: { min: 16, max: 128 } } as const;
export const MAX_DIVERSION_COMMUNITIES = 16;

const U16 = 0xffff;
const U32 = 0xffff_ffff;

/** A canonical diversion prefix and its family; throws BW_ERR_BGP_DIVERSION_PREFIX. A bare address is a host route. */
export function diversionPrefix(text: string): { prefix: string; family: 'ipv4' | 'ipv6' } {
  const withLength = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
  const parsed = parsePrefix(withLength);
  if (!parsed.ok) {
    const hint = parsed.reason === 'host-bits' ? `; did you mean ${parsed.suggestion}?` : '';
    throw new BreakwaterError('BW_ERR_BGP_DIVERSION_PREFIX', [text, `${parsed.message}${hint}`]);
  }
  const { family, length, canonical } = parsed.prefix;
  const bounds = DIVERSION_PREFIX_LENGTH[family];
  if (length < bounds.min || length > bounds.max) {
    throw new BreakwaterError('BW_ERR_BGP_DIVERSION_PREFIX', [text, `an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} diversion must be /${bounds.min} to /${bounds.max}`]);
  }
  return { prefix: canonical, family };
}

function parts(text: string, count: number, max: number): number[] | undefined {
  const fields = text.split(':');
  if (fields.length !== count || !fields.every((f) => /^[0-9]{1,10}$/.test(f))) return undefined;
  const values = fields.map(Number);
  return values.every((v) => v <= max) ? values : undefined;
}

/** Throws BW_ERR_BGP_COMMUNITY unless every community is a standard or large community, 1..16 of them. */
export function checkDiversionCommunities(communities: readonly string[]): void {
  if (communities.length === 0) throw new BreakwaterError('BW_ERR_BGP_COMMUNITY', ['(none)', 'a diversion carries at least one community: the one the upstream diverts on']);
  if (communities.length > MAX_DIVERSION_COMMUNITIES) {
    throw new BreakwaterError('BW_ERR_BGP_COMMUNITY', [communities.join(' '), `at most ${MAX_DIVERSION_COMMUNITIES} communities per diversion`]);
  }
  for (const c of communities) {
    if (parts(c, 2, U16) === undefined && parts(c, 3, U32) === undefined) {
      throw new BreakwaterError('BW_ERR_BGP_COMMUNITY', [JSON.stringify(c), 'not ASN:VALUE (each 0-65535) nor a large community GLOBAL:LOCAL1:LOCAL2 (each 0-4294967295)']);
    }
  }
}

/** Standard communities as [asn, value] and large ones as [global, local1, local2], in the order given. */
export function splitCommunities(communities: readonly string[]): { standard: [number, number][]; large: [number, number, number][] } {
  const standard: [number, number][] = [];
  const large: [number, number, number][] = [];
  for (const c of communities) {
    const values = c.split(':').map(Number);
    if (values.length === 2) standard.push([values[0]!, values[1]!]);
    else if (values.length === 3) large.push([values[0]!, values[1]!, values[2]!]);
  }
  return { standard, large };
}

/** How a read-back and a desired route are compared: standard then large, each sorted. */
export function communitiesKey(standard: readonly (readonly number[])[], large: readonly (readonly number[])[]): string {
  const text = (list: readonly (readonly number[])[]) => list.map((c) => c.join(':')).sort();
  return [...text(standard), ...text(large)].join(',');
}

export function diversionCommunitiesKey(communities: readonly string[]): string {
  const { standard, large } = splitCommunities(communities);
  return communitiesKey(standard, large);
}
