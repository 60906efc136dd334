// The Speaker every daemon integration is used through: it checks a request (FlowSpec capability, router
// profiles of the peers, RTBH host routes, diversion prefixes and communities, one unicast route per
// prefix), records it in the persisted desired state, then hands the change
// to the daemon, and runs the reconcile loop. The order matters: the desired state is on disk before any
// daemon announces a route, so a crash at any moment leaves at worst a desired route not yet announced
// (the next start announces it), never an announced route nobody remembers.
import { isIP } from 'node:net';
import type { BgpConfig } from '../config/schema.js';
import { BreakwaterError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DesiredStateStore } from './desired-state.js';
import { fitRuleToPeers } from './peers.js';
import { Reconciler } from './reconciler.js';
import { checkDiversionCommunities, diversionPrefix } from './diversion-route.js';
import { diversionRouteId, flowRouteId, rtbhRouteId } from './route-key.js';
import type {
  DesiredDiversionRoute,
  DesiredFlowRoute,
  DesiredBgpRoute,
  DesiredRoute,
  DesiredRtbhRoute,
  DiversionAnnouncement,
  FlowAnnouncement,
  PeerStatus,
  ReconcileReport,
  RtbhAnnouncement,
  Speaker,
  SpeakerKind,
} from './speaker.js';
import type { SpeakerDaemon } from './speaker-daemon.js';

export interface BgpSpeakerOptions {
  config: BgpConfig;
  store: DesiredStateStore;
  daemon: SpeakerDaemon;
  log: Logger;
  now?: () => number;
}

export class BgpSpeaker implements Speaker {
  readonly name = 'bgp';
  readonly kind: SpeakerKind;
  readonly originatesFlowSpec: boolean;
  /** FRR cannot (its routes are redistributed Null0 statics): announceDiversion rejects with BW_ERR_SPEAKER_NO_DIVERSION. */
  readonly originatesDiversion: boolean;
  private readonly reconciler: Reconciler;
  private started = false;
  private lastPeers: PeerStatus[] = [];

  constructor(private readonly options: BgpSpeakerOptions) {
    this.kind = options.daemon.kind;
    this.originatesFlowSpec = options.daemon.originatesFlowSpec;
    this.originatesDiversion = options.daemon.originatesDiversion;
    this.reconciler = new Reconciler({
      store: options.store,
      daemon: options.daemon,
      intervalMs: options.config.reconcileIntervalMs,
      log: options.log,
      now: options.now,
      afterPass: async () => {
        this.lastPeers = await this.options.daemon.peers();
      },
    });
  }

  async start(): Promise<void> {
    await this.options.store.load();
    // Routes that expired while the controller was down are dropped before the daemon ever sees them.
    const expired = this.options.store.takeExpired(this.now());
    // Diversions go out with the configured next hop: one changed in the configuration applies to those held.
    const renewed = this.restampDiversionNextHops();
    if (expired.length > 0 || renewed > 0) await this.options.store.save();
    await this.options.daemon.start();
    this.started = true;
    this.reconciler.start();
    this.options.log.info({ speaker: this.kind, routes: this.options.store.size, expiredWhileDown: expired.length }, 'BGP speaker started');
  }

  async stop(): Promise<void> {
    await this.reconciler.stop();
    if (!this.started) return;
    this.started = false;
    await this.options.daemon.stop(this.options.config.shutdown);
  }

  async announceFlow(request: FlowAnnouncement): Promise<DesiredFlowRoute> {
    if (!this.originatesFlowSpec) throw new BreakwaterError('BW_ERR_SPEAKER_NO_FLOWSPEC', [this.kind]);
    const store = this.options.store;
    const installed = store.all().filter((r) => r.kind === 'flowspec').length;
    const fitted = fitRuleToPeers(request.rule, this.options.config.peers, installed);
    const id = flowRouteId(fitted.rule);
    const previous = store.get(id);
    const route: DesiredFlowRoute = {
      kind: 'flowspec',
      id,
      rule: fitted.rule,
      trimmed: fitted.trimmed,
      owner: request.owner,
      createdAt: previous?.createdAt ?? this.now(),
      expiresAt: this.expiry(request.ttlSeconds),
    };
    await this.record(route);
    return route;
  }

  async announceRtbh(request: RtbhAnnouncement): Promise<DesiredRtbhRoute> {
    const { prefix, family } = hostRoute(request.prefix);
    const rtbh = this.options.config.rtbh;
    const id = rtbhRouteId(prefix);
    this.checkNoConflict(`RTBH ${prefix}`, prefix, diversionRouteId(prefix));
    const previous = this.options.store.get(id);
    const route: DesiredRtbhRoute = {
      kind: 'rtbh',
      id,
      prefix,
      family,
      communities: request.communities ?? rtbh.communities,
      nextHop: family === 'ipv4' ? rtbh.nextHopIpv4 : rtbh.nextHopIpv6,
      owner: request.owner,
      createdAt: previous?.createdAt ?? this.now(),
      expiresAt: this.expiry(request.ttlSeconds),
    };
    await this.record(route);
    return route;
  }

  /**
   * A diversion route: the covering prefix with the communities the upstream diverts on, the configured next
   * hop (bgp.diversion) and a mandatory lifetime. Refused (state unchanged) with BW_ERR_SPEAKER_NO_DIVERSION,
   * BW_ERR_BGP_DIVERSION_PREFIX, BW_ERR_BGP_COMMUNITY or BW_ERR_BGP_ROUTE_CONFLICT.
   */
  async announceDiversion(request: DiversionAnnouncement): Promise<DesiredDiversionRoute> {
    if (!this.originatesDiversion) throw new BreakwaterError('BW_ERR_SPEAKER_NO_DIVERSION', [this.kind]);
    const { prefix, family } = diversionPrefix(request.prefix);
    checkDiversionCommunities(request.communities);
    if (!(request.ttlSeconds > 0)) throw new BreakwaterError('BW_ERR_BGP_DIVERSION_PREFIX', [prefix, 'a diversion needs a lifetime (ttlSeconds > 0)']);
    const id = diversionRouteId(prefix);
    this.checkNoConflict(`Diversion of ${prefix}`, prefix, rtbhRouteId(prefix));
    const previous = this.options.store.get(id);
    const route: DesiredDiversionRoute = {
      kind: 'diversion',
      id,
      prefix,
      family,
      communities: [...request.communities],
      nextHop: this.diversionNextHop(family),
      owner: request.owner,
      createdAt: previous?.createdAt ?? this.now(),
      expiresAt: this.expiry(request.ttlSeconds),
    };
    await this.record(route);
    return route;
  }

  withdrawDiversion(id: string): Promise<boolean> {
    return this.withdrawIds([id], 'diversion').then((n) => n > 0);
  }

  /** The desired diversion routes (also in desiredRoutes()). */
  diversionRoutes(): DesiredDiversionRoute[] {
    return this.options.store.all().filter((r): r is DesiredDiversionRoute => r.kind === 'diversion');
  }

  withdrawFlow(id: string): Promise<boolean> {
    return this.withdrawIds([id], 'flowspec').then((n) => n > 0);
  }

  withdrawRtbh(id: string): Promise<boolean> {
    return this.withdrawIds([id], 'rtbh').then((n) => n > 0);
  }

  async withdrawOwner(owner: string): Promise<number> {
    const removed = this.options.store.removeOwner(owner);
    if (removed.length === 0) return 0;
    await this.options.store.save();
    await this.push(() => this.options.daemon.withdraw(removed));
    return removed.length;
  }

  desiredRoutes(): DesiredRoute[] {
    return this.options.store.all().filter((r): r is DesiredRoute => r.kind !== 'diversion');
  }

  async peers(): Promise<PeerStatus[]> {
    this.lastPeers = await this.options.daemon.peers();
    return this.lastPeers;
  }

  /** The health endpoint's `bgp` section: sessions as of the last reconcile pass, route counts, last pass. */
  report(): Record<string, unknown> {
    const routes = this.options.store.all();
    return {
      speaker: this.kind,
      started: this.started,
      routes: {
        flowspec: routes.filter((r) => r.kind === 'flowspec').length,
        rtbh: routes.filter((r) => r.kind === 'rtbh').length,
        diversion: routes.filter((r) => r.kind === 'diversion').length,
      },
      lastReconcile: this.reconciler.lastReport ?? null,
      peers: this.lastPeers,
    };
  }

  reconcile(): Promise<ReconcileReport> {
    return this.reconciler.runOnce();
  }

  /** The last reconcile pass, for the health report. */
  get lastReconcile(): ReconcileReport | undefined {
    return this.reconciler.lastReport;
  }

  private async record(route: DesiredBgpRoute): Promise<void> {
    const store = this.options.store;
    this.options.daemon.check(route);
    const began = performance.now();
    // put and save happen without an I/O turn between them (the file is written with synchronous calls, and a
    // save queued behind another runs in the same microtask drain), so no reconcile pass or ExaBGP re-send, which
    // read the desired state from memory, can announce the route before it is on disk. With an asynchronous write
    // one did: bench/e2e saw a rule at the router 11 ms before the speaker's own announce.
    store.put(route);
    await store.save();
    if (route.expiresAt !== null) this.reconciler.reschedule();
    const handedAt = Date.now();
    const saved = performance.now();
    await this.push(() => this.options.daemon.announce([route]));
    // Where an announcement's time goes (bench/e2e reads this line): the durable desired-state write, then the
    // daemon taking the route (ExaBGP's ack, BIRD's reconfigure, GoBGP's API answer).
    this.options.log.info({ route: route.id, kind: route.kind, owner: route.owner, handedAt, stateWriteMs: round2(saved - began), daemonMs: round2(performance.now() - saved) }, 'route handed to the daemon');
  }

  private async withdrawIds(ids: string[], kind: DesiredBgpRoute['kind']): Promise<number> {
    const store = this.options.store;
    const removed: DesiredBgpRoute[] = [];
    for (const id of ids) {
      if (store.get(id)?.kind !== kind) continue;
      removed.push(store.remove(id)!);
    }
    if (removed.length === 0) return 0;
    await store.save();
    await this.push(() => this.options.daemon.withdraw(removed));
    return removed.length;
  }

  /** A prefix is one unicast route to a router: RTBH and diversion of the same prefix exclude each other. */
  private checkNoConflict(what: string, prefix: string, otherId: string): void {
    const other = this.options.store.get(otherId);
    if (other !== undefined) throw new BreakwaterError('BW_ERR_BGP_ROUTE_CONFLICT', [what, prefix, other.kind === 'rtbh' ? 'an RTBH route' : 'a diversion', other.id]);
  }

  private diversionNextHop(family: 'ipv4' | 'ipv6'): string {
    const diversion = this.options.config.diversion;
    return family === 'ipv4' ? diversion.nextHopIpv4 : diversion.nextHopIpv6;
  }

  private restampDiversionNextHops(): number {
    let changed = 0;
    for (const route of this.diversionRoutes()) {
      const nextHop = this.diversionNextHop(route.family);
      if (route.nextHop === nextHop) continue;
      this.options.store.put({ ...route, nextHop });
      changed++;
    }
    return changed;
  }

  private async push(change: () => Promise<void>): Promise<void> {
    if (!this.started) throw new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', [this.kind, 'the speaker is not started']);
    await change();
  }

  private expiry(ttlSeconds: number | undefined): number | null {
    return ttlSeconds === undefined ? null : this.now() + Math.round(ttlSeconds * 1000);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/** "203.0.113.10" or "203.0.113.10/32" -> a canonical host route; anything wider is refused (RFC 7999 §3.2). */
export function hostRoute(text: string): { prefix: string; family: 'ipv4' | 'ipv6' } {
  const [address = '', length] = text.split('/');
  const version = isIP(address);
  if (version === 0) throw new BreakwaterError('BW_ERR_BGP_RTBH_PREFIX', [text, 'not an IPv4 or IPv6 address']);
  const host = version === 4 ? 32 : 128;
  if (length !== undefined && Number(length) !== host) {
    throw new BreakwaterError('BW_ERR_BGP_RTBH_PREFIX', [text, `only host routes (/${host}) are blackholed; use FlowSpec for a wider match`]);
  }
  const canonical = version === 4 ? address : new URL(`http://[${address}]/`).hostname.slice(1, -1);
  return { prefix: `${canonical}/${host}`, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}
