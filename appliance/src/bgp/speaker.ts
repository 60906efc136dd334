// The one interface every BGP speaker (ExaBGP, BIRD 2, GoBGP, FRR) offers the rest of Breakwater, and the
// route and session types it speaks in. A caller states what it wants announced (a FlowSpec rule, an RTBH
// prefix or a diversion prefix, with an owner and an expiry); the speaker records it in the persisted desired
// state first and then makes the daemon match that state, now and after every restart, crash or session flap
// (reconcile). Diversions are offered by BgpSpeaker beside this interface (announceDiversion, diversionRoutes).
// What to announce is decided elsewhere (runbook engine, tier plugins); this module owns only the contract.
import type { Component } from '../component.js';
import type { TrimmedPart } from '../flowspec/apply-router-profile.js';
import type { FlowSpecRule } from '../flowspec/rule.js';

export type SpeakerKind = 'exabgp' | 'bird' | 'gobgp' | 'frr' | 'demo';

/** Fields every desired route carries: who wants it and until when. */
interface DesiredRouteBase {
  /** Stable id derived from what the route announces (its NLRI), so announcing the same thing twice updates one route. */
  id: string;
  /** Attack id (or other owner) the route mitigates; withdrawOwner() removes all routes of one owner. */
  owner: string;
  /** Epoch ms when the route was first wanted. */
  createdAt: number;
  /** Epoch ms after which the reconcile loop withdraws it; null: until withdrawn. */
  expiresAt: number | null;
}

export interface DesiredFlowRoute extends DesiredRouteBase {
  kind: 'flowspec';
  /** The rule as announced: already fitted to the peers' router profiles. */
  rule: FlowSpecRule;
  /** Parts of the requested rule that router profiles trimmed away (empty when none). */
  trimmed: TrimmedPart[];
}

export interface DesiredRtbhRoute extends DesiredRouteBase {
  kind: 'rtbh';
  /** A host route: /32 or /128 (RFC 7999 §3.2). */
  prefix: string;
  family: 'ipv4' | 'ipv6';
  /** Standard communities as "ASN:VALUE", 65535:666 (BLACKHOLE) first. */
  communities: string[];
  nextHop: string;
}

/**
 * A diversion route (Tier 4, BGP diversion community): a unicast prefix covering the victim, carrying the
 * communities an upstream or scrubbing provider acts on to pull the prefix's traffic through scrubbing.
 */
export interface DesiredDiversionRoute extends DesiredRouteBase {
  kind: 'diversion';
  /** Canonical prefix: IPv4 /8../32, IPv6 /16../128 (diversion-route.ts). */
  prefix: string;
  family: 'ipv4' | 'ipv6';
  /** Standard communities "ASN:VALUE" and large communities "GLOBAL:LOCAL1:LOCAL2" (RFC 8092), as given. */
  communities: string[];
  /** bgp.diversion.nextHopIpv4/Ipv6; "" for the speaker's own address on each session (next hop self). */
  nextHop: string;
}

/** What desiredRoutes() returns: FlowSpec and RTBH (diversions are DiversionCapable's, diversionRoutes()). */
export type DesiredRoute = DesiredFlowRoute | DesiredRtbhRoute;

/** Every kind of route in the persisted desired state, as the daemons and the reconcile loop handle them. */
export type DesiredBgpRoute = DesiredRoute | DesiredDiversionRoute;

export interface FlowAnnouncement {
  rule: FlowSpecRule;
  owner: string;
  /** Lifetime from now; omitted: until withdrawn. */
  ttlSeconds?: number;
}

export interface RtbhAnnouncement {
  /** "203.0.113.10/32" or "2001:db8::10/128"; a bare address is taken as a host route. */
  prefix: string;
  owner: string;
  ttlSeconds?: number;
  /** Replaces the configured RTBH communities for this route. */
  communities?: string[];
}

export interface DiversionAnnouncement {
  /** The covering prefix: "203.0.113.0/24", "2001:db8:66::/48" (or a host route). */
  prefix: string;
  owner: string;
  /** Diversions always expire: a scrubbing detour nobody withdraws must not outlive its reason. */
  ttlSeconds: number;
  /** At least one; standard "ASN:VALUE" or large "GLOBAL:LOCAL1:LOCAL2". */
  communities: string[];
}

/** RFC 4271 §8 FSM states, plus `down` (no session object, e.g. daemon not running) and `unknown`. */
export type SessionState = 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established' | 'down' | 'unknown';

export interface PeerStatus {
  name: string;
  address: string;
  asn: number;
  state: SessionState;
  /** Epoch ms of the last state change this controller saw; null when never seen. */
  since: number | null;
  /** The daemon's own words (BIRD's info column, ExaBGP's event, GoBGP's state), for operators. */
  info: string;
}

export interface ReconcileReport {
  /** Epoch ms when the pass finished. */
  at: number;
  /** Routes dropped from the desired state because their expiry passed. */
  expired: number;
  /** Routes the daemon lacked (or had with other attributes) and was given. */
  added: number;
  /** Routes the daemon had that are not desired (orphans) and were withdrawn. */
  removed: number;
  /** The daemon ended the pass with exactly the desired routes, as far as it can report. */
  inSync: boolean;
  /** Why the pass could not finish (daemon down, command failed); the next pass retries. */
  error?: string;
}

/**
 * A BGP speaker. Announce/withdraw resolve once the desired state is on disk and the daemon took the change;
 * they reject with a BW_ERR_SPEAKER_* / BW_ERR_BGP_* code when the request is refused (the state is unchanged)
 * or when the daemon could not take it now (the desired state IS changed and the reconcile loop keeps
 * trying: withdraw the route to give up).
 */
export interface Speaker extends Component {
  readonly kind: SpeakerKind;
  /** FRR cannot originate FlowSpec: announceFlow rejects with BW_ERR_SPEAKER_NO_FLOWSPEC. */
  readonly originatesFlowSpec: boolean;
  announceFlow(request: FlowAnnouncement): Promise<DesiredFlowRoute>;
  /** Resolves false when no such route was desired. */
  withdrawFlow(id: string): Promise<boolean>;
  announceRtbh(request: RtbhAnnouncement): Promise<DesiredRtbhRoute>;
  withdrawRtbh(id: string): Promise<boolean>;
  /** Withdraws every route of one owner (an attack ended); resolves with how many there were. */
  withdrawOwner(owner: string): Promise<number>;
  /** The desired state, as persisted. */
  desiredRoutes(): DesiredRoute[];
  /** Live view of every configured peer's session. */
  peers(): Promise<PeerStatus[]>;
  /** One reconcile pass now (the loop also runs on its own every reconcile interval). */
  reconcile(): Promise<ReconcileReport>;
}
