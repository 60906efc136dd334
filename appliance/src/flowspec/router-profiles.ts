// Router capability profiles: what a FlowSpec receiver (or speaker) can take — families, match components,
// actions, prefix offsets, partial support (only some TCP flags, one value per component), a rule budget —
// and what Breakwater may do when a rule asks for more: trim the part away or refuse the rule. Profiles are
// plain data so configuration can define or override them; apply-router-profile.ts applies one to a rule.
//
// Trimming a match component WIDENS the rule: without its packet-length term, "discard UDP to X longer than
// 1400 bytes" discards all UDP to X. So every built-in profile refuses by default and an operator opts in to
// `trim` per component. A router that silently ignores a component is modelled as not supporting it: a
// visible, audited trim (or a refusal) beats a router that widens the rule without telling anyone.
//
// The vendor profiles are conservative: where the vendor's support could not be confirmed for the release
// lines in use, the component or action is marked unsupported and the notes say so. Rule budgets are
// conservative defaults too; the real limit depends on the line card's filter memory.
import type { MatchComponentName } from './components.js';
import type { FlowFamily, FlowSpecActionType, FragmentFlag, TcpFlag } from './rule.js';

export type UnsupportedPolicy = 'trim' | 'refuse';

export interface ComponentSupport {
  supported: boolean;
  /** What happens when a rule uses the component and the router cannot honour it (unsupported, or beyond a restriction). */
  onUnsupported: UnsupportedPolicy;
}

/** Every component but the destination, which every FlowSpec router must take and which is never trimmed. */
export type ProfileComponentName = Exclude<MatchComponentName, 'destination'>;

export type ActionSupport = 'supported' | 'trim' | 'refuse';

export interface RouterProfile {
  name: string;
  description: string;
  /** Whether it can originate FlowSpec routes (be the speaker). FRR cannot; the speaker refuses it as a target. */
  originatesFlowSpec: boolean;
  /** Address families it takes FlowSpec rules for; empty when it has no FlowSpec at all. */
  families: FlowFamily[];
  /** Most rules it holds at once; absent when no limit is known. */
  maxRules?: number;
  components: Record<ProfileComponentName, ComponentSupport>;
  actions: Record<FlowSpecActionType, ActionSupport>;
  /** Whether it honours non-zero IPv6 prefix offsets (RFC 8956). A source with an offset counts as unsupported otherwise. */
  prefixOffset: boolean;
  /** Only these TCP flags can be matched; other flags make tcpFlags unsupported for that rule. */
  tcpFlags?: TcpFlag[];
  /** Only these fragment bits can be matched. */
  fragmentFlags?: FragmentFlag[];
  /** Each numeric component may hold one term only (a value or one range), no OR-lists. */
  singleTermNumeric?: boolean;
  /** At most one of port, destinationPort and sourcePort per rule. */
  onePortComponent?: boolean;
  /** Operator-facing facts and caveats, shown with refusals and in `breakwater` profile listings. */
  notes: string[];
}

const refuseIfUsed = (supported: boolean): ComponentSupport => ({ supported, onUnsupported: 'refuse' });

function components(unsupported: readonly ProfileComponentName[]): Record<ProfileComponentName, ComponentSupport> {
  const all: ProfileComponentName[] = [
    'source', 'protocol', 'port', 'destinationPort', 'sourcePort', 'icmpType', 'icmpCode',
    'tcpFlags', 'packetLength', 'dscp', 'fragment', 'flowLabel',
  ];
  return Object.fromEntries(all.map((c) => [c, refuseIfUsed(!unsupported.includes(c))])) as Record<ProfileComponentName, ComponentSupport>;
}

function actions(refused: readonly FlowSpecActionType[]): Record<FlowSpecActionType, ActionSupport> {
  const all: FlowSpecActionType[] = [
    'discard', 'rate-limit', 'rate-limit-packets', 'redirect', 'mark-dscp', 'traffic-action',
    'community', 'large-community', 'extended-community',
  ];
  return Object.fromEntries(all.map((a) => [a, refused.includes(a) ? 'refuse' : 'supported'])) as Record<FlowSpecActionType, ActionSupport>;
}

const genericRfc8955: RouterProfile = {
  name: 'generic-rfc8955',
  description: 'A router implementing all of RFC 8955 and RFC 8956',
  originatesFlowSpec: true,
  families: ['ipv4', 'ipv6'],
  components: components([]),
  actions: actions([]),
  prefixOffset: true,
  notes: ['No rule limit is known for a generic router: set maxRules to what its filter memory holds.'],
};

const juniperJunos: RouterProfile = {
  name: 'juniper-junos',
  description: 'Juniper Junos (MX / PTX), inetflow.0 and inet6flow.0',
  originatesFlowSpec: true,
  families: ['ipv4', 'ipv6'],
  maxRules: 2000,
  // Flow label and prefix offsets are kept off: not confirmed for the Junos releases in use.
  components: components(['flowLabel']),
  // traffic-rate-packets not confirmed; traffic-action sample and the T bit (next-term) are supported.
  actions: actions(['rate-limit-packets']),
  prefixOffset: false,
  notes: [
    'Junos validates received flow routes against the best unicast route (RFC 8955 §6); for rules from an iBGP FlowSpec speaker configure `no-validate` or the RFC 9117 relaxation.',
    'maxRules 2000 is a conservative default; Trio line cards hold far more.',
  ],
};

const ciscoIosXr: RouterProfile = {
  name: 'cisco-iosxr',
  description: 'Cisco IOS-XR (ASR 9000, NCS 5500) with flowspec local-install',
  originatesFlowSpec: true,
  families: ['ipv4', 'ipv6'],
  maxRules: 3000,
  components: components(['flowLabel']),
  // XR polices, drops, redirects (VRF and next hop) and marks; sample/terminal and traffic-rate-packets are not
  // confirmed, so they are refused.
  actions: actions(['rate-limit-packets', 'traffic-action']),
  prefixOffset: false,
  notes: [
    'IOS-XR only applies rules where `flowspec local-install interface-all` (or per interface) is configured.',
    'maxRules 3000 is a conservative default; NCS 5500 TCAM is shared with ACLs.',
  ],
};

const aristaEos: RouterProfile = {
  name: 'arista-eos',
  description: 'Arista EOS (7280R / 7500R) BGP FlowSpec',
  originatesFlowSpec: true,
  families: ['ipv4', 'ipv6'],
  maxRules: 1000,
  components: components(['flowLabel']),
  actions: actions(['rate-limit-packets', 'traffic-action']),
  prefixOffset: false,
  notes: [
    'EOS installs FlowSpec in TCAM only on interfaces with `flow-spec ipv4|ipv6` enabled.',
    'Support differs by platform and release; maxRules 1000 is a conservative default.',
  ],
};

const nokiaSrOs: RouterProfile = {
  name: 'nokia-sros',
  description: 'Nokia SR OS (7750 SR) FlowSpec into embedded ip-filter / ipv6-filter entries',
  originatesFlowSpec: true,
  families: ['ipv4', 'ipv6'],
  // SR OS caps FlowSpec entries per embedding filter (`ip-filter-max-size`); 512 is its usual default.
  maxRules: 512,
  components: components(['flowLabel']),
  actions: actions(['rate-limit-packets', 'traffic-action']),
  prefixOffset: false,
  // Conservative: SR OS filters match SYN and ACK; other flags and DF matching were not confirmed.
  tcpFlags: ['syn', 'ack'],
  fragmentFlags: ['is-fragment', 'first-fragment', 'last-fragment'],
  notes: [
    'Rules land in filter entries reserved by `embed flowspec` in the ingress ip-filter; without it nothing is applied.',
    'Only SYN and ACK are assumed matchable in tcp-flags, and no DF bit: confirm for your release before widening this profile.',
  ],
};

const mikrotikRouterOs7: RouterProfile = {
  name: 'mikrotik-routeros7',
  description: 'MikroTik RouterOS 7',
  originatesFlowSpec: false,
  // RouterOS 7's BGP has no FlowSpec address family as far as could be confirmed (up to 7.16). Every rule is
  // refused; use RTBH (blackhole routes) towards MikroTik routers instead.
  families: [],
  maxRules: 0,
  components: components(['source', 'protocol', 'port', 'destinationPort', 'sourcePort', 'icmpType', 'icmpCode', 'tcpFlags', 'packetLength', 'dscp', 'fragment', 'flowLabel']),
  actions: actions(['discard', 'rate-limit', 'rate-limit-packets', 'redirect', 'mark-dscp', 'traffic-action', 'community', 'large-community', 'extended-community']),
  prefixOffset: false,
  notes: ['RouterOS 7 does not take BGP FlowSpec; mitigate towards it with RTBH.'],
};

const bird: RouterProfile = {
  name: 'bird',
  description: 'BIRD 2 (flow4/flow6 tables): carries and re-advertises every component, installs nothing in a data plane',
  originatesFlowSpec: true,
  families: ['ipv4', 'ipv6'],
  components: components([]),
  actions: actions([]),
  prefixOffset: true,
  notes: ['BIRD stores and propagates FlowSpec routes but does not filter traffic itself; the routers behind it decide.'],
};

const frrReceiver: RouterProfile = {
  name: 'frr-receiver',
  description: 'FRR bgpd as a FlowSpec client, installing rules through ipset/iptables (policy-based routing)',
  originatesFlowSpec: false,
  families: ['ipv4', 'ipv6'],
  // Fragment matching is not confirmed in FRR's ipset/iptables translation; flow label is not supported.
  components: components(['fragment', 'flowLabel']),
  // FRR ignores a positive traffic-rate (the traffic just passes), so rate-limit would silently not limit.
  actions: actions(['rate-limit', 'rate-limit-packets', 'mark-dscp', 'traffic-action']),
  prefixOffset: false,
  singleTermNumeric: true,
  onePortComponent: true,
  notes: [
    'FRR cannot originate FlowSpec: as a BGP speaker for Breakwater it is refused; it is fine as a receiver and for RTBH.',
    'FRR installs a numeric component only as one value or one range, and not source and destination ports together.',
    'A positive rate-limit is not enforced by FRR (only rate 0 drops), so rate-limit is refused.',
  ],
};

export const BUILTIN_ROUTER_PROFILES: Readonly<Record<string, RouterProfile>> = Object.fromEntries(
  [genericRfc8955, juniperJunos, ciscoIosXr, aristaEos, nokiaSrOs, mikrotikRouterOs7, bird, frrReceiver].map((p) => [p.name, p]),
);

export function builtinRouterProfile(name: string): RouterProfile | undefined {
  return BUILTIN_ROUTER_PROFILES[name];
}
