// A Speaker without a daemon, for engine tests: it keeps the desired routes in memory with the same route ids
// the real speaker derives (NLRI-based), counts every announce and withdraw call, and can optionally announce
// diversion routes. `crash()` forgets nothing, as the real speaker's persisted desired state does not.
import { flowRouteId, rtbhRouteId } from '../../../src/bgp/route-key.js';
import { hostRoute } from '../../../src/bgp/bgp-speaker.js';
import type { DesiredFlowRoute, DesiredRoute, DesiredRtbhRoute, FlowAnnouncement, PeerStatus, ReconcileReport, RtbhAnnouncement, Speaker } from '../../../src/bgp/speaker.js';
import type { DiversionCapable, DiversionRoute } from '../../../src/mitigation/facades.js';

export interface SpeakerCall {
  op: 'announceFlow' | 'withdrawFlow' | 'announceRtbh' | 'withdrawRtbh' | 'announceDiversion' | 'withdrawDiversion';
  id: string;
}

export class FakeSpeaker implements Speaker {
  readonly name = 'bgp';
  readonly kind = 'exabgp' as const;
  readonly originatesFlowSpec = true;
  readonly routes = new Map<string, DesiredRoute>();
  readonly calls: SpeakerCall[] = [];
  /** The next call of this kind records its route and then never answers: the controller dies meanwhile. */
  hangNext: SpeakerCall['op'] | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** After recording a change: hang if asked to, as a process killed before the call returned would. */
  private async answer<T>(op: SpeakerCall['op'], value: T): Promise<T> {
    if (this.hangNext === op) {
      this.hangNext = undefined;
      return new Promise<T>(() => undefined);
    }
    return value;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async announceFlow(request: FlowAnnouncement): Promise<DesiredFlowRoute> {
    const id = flowRouteId(request.rule);
    const route: DesiredFlowRoute = { kind: 'flowspec', id, rule: request.rule, trimmed: [], owner: request.owner, createdAt: this.now(), expiresAt: this.expiry(request.ttlSeconds) };
    this.routes.set(id, route);
    this.calls.push({ op: 'announceFlow', id });
    return this.answer('announceFlow', route);
  }

  async withdrawFlow(id: string): Promise<boolean> {
    this.calls.push({ op: 'withdrawFlow', id });
    return this.routes.get(id)?.kind === 'flowspec' && this.routes.delete(id);
  }

  async announceRtbh(request: RtbhAnnouncement): Promise<DesiredRtbhRoute> {
    const { prefix, family } = hostRoute(request.prefix);
    const id = rtbhRouteId(prefix);
    const route: DesiredRtbhRoute = { kind: 'rtbh', id, prefix, family, communities: request.communities ?? ['65535:666'], nextHop: '192.0.2.1', owner: request.owner, createdAt: this.now(), expiresAt: this.expiry(request.ttlSeconds) };
    this.routes.set(id, route);
    this.calls.push({ op: 'announceRtbh', id });
    return this.answer('announceRtbh', route);
  }

  async withdrawRtbh(id: string): Promise<boolean> {
    this.calls.push({ op: 'withdrawRtbh', id });
    return this.routes.get(id)?.kind === 'rtbh' && this.routes.delete(id);
  }

  async withdrawOwner(owner: string): Promise<number> {
    const mine = [...this.routes.values()].filter((r) => r.owner === owner);
    for (const r of mine) this.routes.delete(r.id);
    return mine.length;
  }

  desiredRoutes(): DesiredRoute[] {
    return [...this.routes.values()];
  }

  async peers(): Promise<PeerStatus[]> {
    return [];
  }

  async reconcile(): Promise<ReconcileReport> {
    return { at: this.now(), expired: 0, added: 0, removed: 0, inSync: true };
  }

  /** Drops routes whose expiry passed, as the reconcile loop does. */
  expire(): void {
    for (const r of [...this.routes.values()]) if (r.expiresAt !== null && r.expiresAt <= this.now()) this.routes.delete(r.id);
  }

  private expiry(ttlSeconds: number | undefined): number | null {
    return ttlSeconds === undefined ? null : this.now() + ttlSeconds * 1000;
  }
}

/** The same, able to announce diversion routes (a covering prefix with communities). */
export class FakeDivertingSpeaker extends FakeSpeaker implements DiversionCapable {
  readonly diversions = new Map<string, DiversionRoute>();

  async announceDiversion(request: { prefix: string; communities: string[]; owner: string; ttlSeconds: number }): Promise<DiversionRoute> {
    const id = `divert-${request.prefix}`;
    const route: DiversionRoute = { id, owner: request.owner, prefix: request.prefix, communities: request.communities, expiresAt: Date.now() + request.ttlSeconds * 1000 };
    this.diversions.set(id, route);
    this.calls.push({ op: 'announceDiversion', id });
    return route;
  }

  async withdrawDiversion(id: string): Promise<boolean> {
    this.calls.push({ op: 'withdrawDiversion', id });
    return this.diversions.delete(id);
  }

  diversionRoutes(): DiversionRoute[] {
    return [...this.diversions.values()];
  }
}
