// The RFC 8955 / RFC 8956 component table: for each match key of FlowSpecMatch, its wire type code, how its
// values are compared (prefix, numeric operators, bitmask operators), its value range and which address
// families may carry it. It is the single place renderers, the validator, router profiles and the decoder
// agree on; it is listed in RFC type order, so walking it renders components in the order the RFC requires.
import type { FlowFamily, FlowSpecMatch, FragmentFlag, TcpFlag } from './rule.js';

export type MatchComponentName = keyof FlowSpecMatch;

export type ComponentKind = 'prefix' | 'numeric' | 'bitmask';

export interface ComponentInfo {
  name: MatchComponentName;
  /** RFC 8955/8956 component type code. */
  type: number;
  kind: ComponentKind;
  /** Largest value a numeric component can compare against (smallest is 0). */
  max: number;
  families: readonly FlowFamily[];
  /** What operators and logs call it, per family (RFC names). */
  title: { ipv4: string; ipv6: string };
}

const both: readonly FlowFamily[] = ['ipv4', 'ipv6'];

export const FLOW_COMPONENTS: readonly ComponentInfo[] = [
  { name: 'destination', type: 1, kind: 'prefix', max: 0, families: both, title: { ipv4: 'destination prefix', ipv6: 'destination IPv6 prefix' } },
  { name: 'source', type: 2, kind: 'prefix', max: 0, families: both, title: { ipv4: 'source prefix', ipv6: 'source IPv6 prefix' } },
  { name: 'protocol', type: 3, kind: 'numeric', max: 255, families: both, title: { ipv4: 'IP protocol', ipv6: 'upper-layer protocol (next header)' } },
  { name: 'port', type: 4, kind: 'numeric', max: 65535, families: both, title: { ipv4: 'port', ipv6: 'port' } },
  { name: 'destinationPort', type: 5, kind: 'numeric', max: 65535, families: both, title: { ipv4: 'destination port', ipv6: 'destination port' } },
  { name: 'sourcePort', type: 6, kind: 'numeric', max: 65535, families: both, title: { ipv4: 'source port', ipv6: 'source port' } },
  { name: 'icmpType', type: 7, kind: 'numeric', max: 255, families: both, title: { ipv4: 'ICMP type', ipv6: 'ICMPv6 type' } },
  { name: 'icmpCode', type: 8, kind: 'numeric', max: 255, families: both, title: { ipv4: 'ICMP code', ipv6: 'ICMPv6 code' } },
  { name: 'tcpFlags', type: 9, kind: 'bitmask', max: 0xff, families: both, title: { ipv4: 'TCP flags', ipv6: 'TCP flags' } },
  { name: 'packetLength', type: 10, kind: 'numeric', max: 65535, families: both, title: { ipv4: 'packet length', ipv6: 'packet length' } },
  { name: 'dscp', type: 11, kind: 'numeric', max: 63, families: both, title: { ipv4: 'DSCP', ipv6: 'DSCP' } },
  { name: 'fragment', type: 12, kind: 'bitmask', max: 0x0f, families: both, title: { ipv4: 'fragment', ipv6: 'fragment' } },
  { name: 'flowLabel', type: 13, kind: 'numeric', max: 0xfffff, families: ['ipv6'], title: { ipv4: 'flow label', ipv6: 'flow label' } },
];

const byName = new Map(FLOW_COMPONENTS.map((c) => [c.name, c]));
const byType = new Map(FLOW_COMPONENTS.map((c) => [c.type, c]));

export function componentInfo(name: MatchComponentName): ComponentInfo {
  // Every key of FlowSpecMatch is in the table; a miss is a programming error.
  const info = byName.get(name);
  if (info === undefined) throw new Error(`unknown FlowSpec component ${name}`);
  return info;
}

export function componentByType(type: number): ComponentInfo | undefined {
  return byType.get(type);
}

export const TCP_FLAG_BITS: Readonly<Record<TcpFlag, number>> = {
  fin: 0x01,
  syn: 0x02,
  rst: 0x04,
  psh: 0x08,
  ack: 0x10,
  urg: 0x20,
  ece: 0x40,
  cwr: 0x80,
};

export const FRAGMENT_FLAG_BITS: Readonly<Record<FragmentFlag, number>> = {
  'dont-fragment': 0x01,
  'is-fragment': 0x02,
  'first-fragment': 0x04,
  'last-fragment': 0x08,
};
