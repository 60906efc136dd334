// Owns turning the BGP attribute lines of `show route all` (reply code 1012, "BGP.<name>: <value>")
// into typed values. Formats follow BIRD 2's printers: int_set_format "(65535,666)",
// ec_set_format "(rt, 65010, 100)" / "(generic, 0x80060000, 0x0)", lc_set_format "(65010, 1, 2)",
// as_path_format "65010 65020 {65030 65040}".

/** A standard community (RFC 1997) as [asn, value], e.g. [65535, 666] for BLACKHOLE. */
export type Community = [number, number];

/** A large community (RFC 8092) as [global admin, local 1, local 2]. */
export type LargeCommunity = [number, number, number];

/**
 * An extended community as BIRD prints it: `(kind, first, second)`.
 * kind: "rt", "ro", "generic", or "unknown 0x..." for types BIRD has no name for.
 * first: the ASN, the high 32 bits of a generic community (0x80060000 = FlowSpec traffic-rate),
 *        or an IPv4 address string for IPv4-specific communities.
 * second: the local part (low 32 bits of a generic community).
 */
export interface ExtCommunity {
  kind: string;
  first: number | string;
  second: number;
  /** As printed, e.g. "(generic, 0x80060000, 0x0)". */
  text: string;
}

export interface BgpAttributes {
  /** "IGP", "EGP" or "Incomplete". */
  origin?: string;
  /** Every ASN in printed order; members of AS_SETs ({...}) and confederation segments are flattened in. */
  asPath?: number[];
  /** One address, or two for IPv6 (global and link-local). */
  nextHop?: string[];
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: string;
  originatorId?: string;
  clusterList?: string[];
  communities: Community[];
  extCommunities: ExtCommunity[];
  largeCommunities: LargeCommunity[];
}

export function parseCommunities(text: string): Community[] {
  return [...text.matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

export function parseLargeCommunities(text: string): LargeCommunity[] {
  return [...text.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
}

export function parseExtCommunities(text: string): ExtCommunity[] {
  return [...text.matchAll(/\(([^,()]+),\s*([^,()]+),\s*([^,()]+)\)/g)].map((m) => {
    const first = m[2]!.trim();
    return {
      kind: m[1]!.trim(),
      first: /^(0x[0-9a-f]+|\d+)$/i.test(first) ? Number(first) : first,
      second: Number(m[3]!.trim()),
      text: m[0],
    };
  });
}

export function parseAsPath(text: string): number[] {
  return [...text.matchAll(/\d+/g)].map((m) => Number(m[0]));
}

/** Builds BgpAttributes from `attributes` keyed as BIRD prints them ("BGP.community", ...). */
export function bgpAttributesFrom(attributes: Readonly<Record<string, string>>): BgpAttributes | undefined {
  const names = Object.keys(attributes).filter((k) => k.startsWith('BGP.'));
  if (names.length === 0) return undefined;
  const bgp: BgpAttributes = { communities: [], extCommunities: [], largeCommunities: [] };
  for (const name of names) {
    const value = attributes[name]!;
    switch (name) {
      case 'BGP.origin':
        bgp.origin = value;
        break;
      case 'BGP.as_path':
        bgp.asPath = parseAsPath(value);
        break;
      case 'BGP.next_hop':
        bgp.nextHop = value.split(/\s+/).filter(Boolean);
        break;
      case 'BGP.med':
        bgp.med = Number(value);
        break;
      case 'BGP.local_pref':
        bgp.localPref = Number(value);
        break;
      case 'BGP.atomic_aggr':
        bgp.atomicAggregate = true;
        break;
      case 'BGP.aggregator':
        bgp.aggregator = value;
        break;
      case 'BGP.originator_id':
        bgp.originatorId = value;
        break;
      case 'BGP.cluster_list':
        bgp.clusterList = value.split(/\s+/).filter(Boolean);
        break;
      case 'BGP.community':
        bgp.communities = parseCommunities(value);
        break;
      case 'BGP.ext_community':
        bgp.extCommunities = parseExtCommunities(value);
        break;
      case 'BGP.large_community':
        bgp.largeCommunities = parseLargeCommunities(value);
        break;
    }
  }
  return bgp;
}
