// What each daemon integration (exabgp/, bird/, gobgp/, frr/) implements for BgpSpeaker: start and stop the
// daemon, push route changes, and reconcile — read back what the daemon has, compare it with the desired
// state and fix the difference. The daemon reads the desired state through its context whenever it needs the
// whole set (after a respawn, a neighbor coming up, a reconfigure), so it never keeps a second copy that
// could disagree with the persisted one.
import type { BgpConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { DesiredBgpRoute, PeerStatus, SpeakerKind } from './speaker.js';

export interface SpeakerDaemonContext {
  config: BgpConfig;
  /** Directory the daemon keeps its config, sockets, pid and log files in (DATADIR/bgp/<kind>). */
  dir: string;
  /** The current desired routes (persisted before any daemon sees them). */
  desired(): readonly DesiredBgpRoute[];
  log: Logger;
}

export interface SyncResult {
  /** Routes (re)announced because the daemon lacked them or had other attributes. */
  added: number;
  /** Routes withdrawn because the daemon had them and they are not desired. */
  removed: number;
  /** Whether a read-back after the fix (or the daemon's own report) matches the desired state. */
  inSync: boolean;
}

export interface SpeakerDaemon {
  readonly kind: SpeakerKind;
  readonly originatesFlowSpec: boolean;
  /** Whether it can announce diversion routes (a covering prefix with communities and its own next hop). */
  readonly originatesDiversion: boolean;
  /** Throws (BW_ERR_FLOWSPEC_UNRENDERABLE, ...) when the daemon cannot carry the route; called before it is recorded. */
  check(route: DesiredBgpRoute): void;
  /** Writes the daemon's config, replaces a leftover daemon, spawns it and installs desired(). */
  start(): Promise<void>;
  /** 'withdraw': withdraw every route, then stop the daemon. 'retain': leave it running with its routes. */
  stop(mode: 'withdraw' | 'retain'): Promise<void>;
  /** Announces (or re-announces with new attributes) these routes; they are already in desired(). */
  announce(routes: readonly DesiredBgpRoute[]): Promise<void>;
  /** Withdraws these routes; they are already gone from desired(). */
  withdraw(routes: readonly DesiredBgpRoute[]): Promise<void>;
  sync(): Promise<SyncResult>;
  peers(): Promise<PeerStatus[]>;
}
