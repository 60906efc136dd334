// The FlowSpec rule model: one RFC 8955 (IPv4) or RFC 8956 (IPv6) flow rule as plain data.
//
// A rule crosses process boundaries as a message (tier plugin -> controller -> BGP speaker), so it is a plain
// JSON-serialisable object: no classes, no bigints, no Maps, no undefined-vs-missing distinctions that matter.
// This module owns only the types. They live in the SDK because tier plugins build rules; the appliance
// re-exports them from appliance/src/flowspec/rule.ts. Checking a rule is appliance/src/flowspec/validate.ts,
// reading one from JSON is parse-rule.ts there, turning one into daemon syntax is render-*.ts there.
//
// Why the match is an object and not a list of components: RFC 8955 requires components in strictly
// increasing type order, each at most once. With one optional key per component, a second "port" cannot be
// written and the order is the renderers' business (they walk components.ts), so both rules hold by
// construction. The wire-order check lives where ordered external input is read (decode-components.ts).

export type FlowFamily = 'ipv4' | 'ipv6';

export interface FlowSpecRule {
  family: FlowFamily;
  match: FlowSpecMatch;
  /** What the router does with matching packets. At least one traffic action; see validate.ts. */
  actions: FlowSpecAction[];
}

/**
 * The match components, one optional key per RFC 8955/8956 component type (the number in brackets).
 * `destination` is required: a rule without one cannot be tied to a protected network (RFC 8955 §6).
 */
export interface FlowSpecMatch {
  /** [1] Destination prefix. */
  destination: FlowPrefix;
  /** [2] Source prefix. */
  source?: FlowPrefix;
  /** [3] IP protocol (IPv4) / upper-layer protocol, i.e. the last next header (IPv6). 0..255 */
  protocol?: NumericMatch;
  /** [4] Source OR destination port. 0..65535 */
  port?: NumericMatch;
  /** [5] Destination port. 0..65535 */
  destinationPort?: NumericMatch;
  /** [6] Source port. 0..65535 */
  sourcePort?: NumericMatch;
  /** [7] ICMP type (ICMPv6 type for IPv6). 0..255 */
  icmpType?: NumericMatch;
  /** [8] ICMP code (ICMPv6 code for IPv6). 0..255 */
  icmpCode?: NumericMatch;
  /** [9] TCP flags. */
  tcpFlags?: BitmaskMatch<TcpFlag>;
  /** [10] Packet length (IPv4 total length; IPv6 payload length per RFC 8956). 0..65535 */
  packetLength?: NumericMatch;
  /** [11] DSCP (the upper six bits of TOS / traffic class). 0..63 */
  dscp?: NumericMatch;
  /** [12] Fragment bits. `dont-fragment` is IPv4 only (RFC 8956 removes it). */
  fragment?: BitmaskMatch<FragmentFlag>;
  /** [13] IPv6 flow label (IPv6 only). 0..0xFFFFF */
  flowLabel?: NumericMatch;
}

export interface FlowPrefix {
  /** Address and length, no host bits: "203.0.113.10/32", "2001:db8::/48". */
  prefix: string;
  /**
   * IPv6 only (RFC 8956): how many leading bits are NOT compared; the rule matches bits offset..length.
   * Omitted means 0. A destination with an offset is refused by validation: it would match addresses
   * outside the protected networks.
   */
  offset?: number;
}

// --- Numeric components (RFC 8955 §4.2.1.1) ---------------------------------------------------------

export type NumericOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface NumericCondition {
  op: NumericOperator;
  value: number;
}

/** Conditions that must all hold (wire: operators joined with the AND bit). */
export type NumericTerm = NumericCondition[];

/**
 * Terms of which at least one must hold: `[[{op:'>=',value:200},{op:'<=',value:1500}], [{op:'=',value:9000}]]`
 * is "200..1500 or 9000". This is the grouping ExaBGP (`[ >=200&<=1500 =9000 ]`), BIRD
 * (`>= 200 && <= 1500 || = 9000`) and GoBGP print an operator list with, AND binding tighter than OR.
 * numeric-match.ts has builders (`eq`, `range`, `anyOf`, ...).
 */
export type NumericMatch = NumericTerm[];

// --- Bitmask components (RFC 8955 §4.2.1.2) ---------------------------------------------------------

export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ece' | 'cwr';
export type FragmentFlag = 'dont-fragment' | 'is-fragment' | 'first-fragment' | 'last-fragment';

/**
 * How a packet's bits are compared with the listed flags. The four modes are the four combinations of the
 * RFC's `not` and `m` (match) operator bits:
 *   any      (data & flags) != 0        not=0 m=0
 *   all      (data & flags) == flags    not=0 m=1
 *   none     (data & flags) == 0        not=1 m=0
 *   not-all  (data & flags) != flags    not=1 m=1
 */
export type BitmaskMode = 'any' | 'all' | 'none' | 'not-all';

export interface BitmaskCondition<F extends string> {
  flags: F[];
  mode: BitmaskMode;
}

/** Terms (OR) of conditions (AND), as for NumericMatch. */
export type BitmaskMatch<F extends string> = BitmaskCondition<F>[][];

// --- Actions (RFC 8955 §7, as extended communities; plus ordinary communities) ---------------------------

/**
 * A route-target-shaped value: redirect targets and route-target/route-origin communities.
 *   as2  2-octet AS : 4-octet local value   (type 0x00 / redirect 0x8008)
 *   as4  4-octet AS : 2-octet local value   (type 0x02 / redirect 0x8208)
 *   ip   IPv4 address : 2-octet local value (type 0x01 / redirect 0x8108)
 */
export type RouteTargetValue =
  | { format: 'as2'; asn: number; local: number }
  | { format: 'as4'; asn: number; local: number }
  | { format: 'ip'; address: string; local: number };

/** Drop matching traffic (traffic-rate 0). */
export interface DiscardAction {
  type: 'discard';
}

/** Police matching traffic to a rate in bytes per second (traffic-rate-bytes, 0x8006, float32 on the wire). */
export interface RateLimitAction {
  type: 'rate-limit';
  bytesPerSecond: number;
}

/** Police matching traffic to a rate in packets per second (traffic-rate-packets, 0x800c). */
export interface RateLimitPacketsAction {
  type: 'rate-limit-packets';
  packetsPerSecond: number;
}

/** Redirect matching traffic into the VRF that imports this route target (0x8008 / 0x8208 / 0x8108). */
export interface RedirectAction {
  type: 'redirect';
  target: RouteTargetValue;
}

/** Rewrite the DSCP of matching traffic (traffic-marking, 0x8009). */
export interface MarkDscpAction {
  type: 'mark-dscp';
  dscp: number;
}

/**
 * traffic-action (0x8007): `sample` asks the router to sample/log matching traffic; `terminal` sets the T bit,
 * which in RFC 8955 §7.3 means "keep evaluating the following FlowSpec rules" (ExaBGP and GoBGP call this
 * bit `terminal`, so the name follows them).
 */
export interface TrafficActionAction {
  type: 'traffic-action';
  sample: boolean;
  terminal: boolean;
}

/** A standard community ASN:VALUE (RFC 1997), e.g. for the receiving router's policy. */
export interface CommunityAction {
  type: 'community';
  asn: number;
  value: number;
}

/** A large community GLOBAL:LOCAL1:LOCAL2 (RFC 8092). */
export interface LargeCommunityAction {
  type: 'large-community';
  global: number;
  local1: number;
  local2: number;
}

/** A route-target or route-origin extended community (RFC 4360 / RFC 5668). */
export interface ExtendedCommunityAction {
  type: 'extended-community';
  kind: 'route-target' | 'route-origin';
  value: RouteTargetValue;
}

export type FlowSpecAction =
  | DiscardAction
  | RateLimitAction
  | RateLimitPacketsAction
  | RedirectAction
  | MarkDscpAction
  | TrafficActionAction
  | CommunityAction
  | LargeCommunityAction
  | ExtendedCommunityAction;

export type FlowSpecActionType = FlowSpecAction['type'];

/** Actions that change what happens to traffic; communities only label the route. */
export const TRAFFIC_ACTION_TYPES: readonly FlowSpecActionType[] = [
  'discard',
  'rate-limit',
  'rate-limit-packets',
  'redirect',
  'mark-dscp',
  'traffic-action',
];

export const ALL_ACTION_TYPES: readonly FlowSpecActionType[] = [
  ...TRAFFIC_ACTION_TYPES,
  'community',
  'large-community',
  'extended-community',
];
