// The `demo` speaker daemon (bgp.speaker: demo, used by `breakwater demo`): it RECORDS every route it is given
// instead of announcing it. There is no BGP session and no router: each announce and withdraw is appended to
// DATADIR/bgp/demo/recorded-routes.jsonl and kept (the newest RECORD_LIMIT) in memory, and its one pretend peer
// says DEMO in every report, so nobody mistakes a demo for protection. Everything upstream of it — the desired
// state, the runbook engine, the tiers, the guardrails — is the real code.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesiredBgpRoute, PeerStatus } from '../bgp/speaker.js';
import type { SpeakerDaemon, SpeakerDaemonContext, SyncResult } from '../bgp/speaker-daemon.js';

export const DEMO_LABEL = 'DEMO: routes are recorded, never announced';
export const RECORD_FILE = 'recorded-routes.jsonl';
const RECORD_LIMIT = 1000;

export interface RecordedRoute {
  at: number;
  change: 'announce' | 'withdraw';
  kind: DesiredBgpRoute['kind'];
  id: string;
  owner: string;
  route: DesiredBgpRoute;
}

export class DemoSpeakerDaemon implements SpeakerDaemon {
  readonly kind = 'demo' as const;
  readonly originatesFlowSpec = true;
  readonly originatesDiversion = true;
  /** The newest recorded changes, oldest first. */
  readonly recorded: RecordedRoute[] = [];
  /** What a router would hold now. */
  private readonly held = new Map<string, DesiredBgpRoute>();
  private startedAt: number | null = null;
  announcements = 0;
  withdrawals = 0;

  constructor(private readonly context: SpeakerDaemonContext) {}

  check(): void {}

  async start(): Promise<void> {
    await mkdir(this.context.dir, { recursive: true });
    this.startedAt = Date.now();
    this.context.log.warn({ demo: true }, `${DEMO_LABEL} (bgp.speaker: demo)`);
    await this.announce(this.context.desired());
  }

  async stop(mode: 'withdraw' | 'retain'): Promise<void> {
    if (mode === 'withdraw') await this.withdraw([...this.held.values()]);
    this.startedAt = null;
  }

  async announce(routes: readonly DesiredBgpRoute[]): Promise<void> {
    for (const route of routes) {
      this.held.set(route.id, route);
      this.announcements++;
    }
    await this.record('announce', routes);
  }

  async withdraw(routes: readonly DesiredBgpRoute[]): Promise<void> {
    const gone = routes.filter((r) => this.held.delete(r.id));
    this.withdrawals += gone.length;
    await this.record('withdraw', gone);
  }

  async sync(): Promise<SyncResult> {
    const desired = this.context.desired();
    const want = new Set(desired.map((r) => r.id));
    const missing = desired.filter((r) => !this.held.has(r.id));
    const orphans = [...this.held.values()].filter((r) => !want.has(r.id));
    if (missing.length > 0) await this.announce(missing);
    if (orphans.length > 0) await this.withdraw(orphans);
    return { added: missing.length, removed: orphans.length, inSync: true };
  }

  async peers(): Promise<PeerStatus[]> {
    const peers = this.context.config.peers;
    const info = `${DEMO_LABEL}; ${this.held.size} held, ${this.announcements} announced, ${this.withdrawals} withdrawn`;
    if (peers.length === 0) return [{ name: 'demo', address: '192.0.2.1', asn: 64500, state: this.startedAt === null ? 'down' : 'established', since: this.startedAt, info }];
    return peers.map((p) => ({ name: p.name, address: p.address, asn: p.asn, state: this.startedAt === null ? 'down' : 'established', since: this.startedAt, info }));
  }

  private async record(change: RecordedRoute['change'], routes: readonly DesiredBgpRoute[]): Promise<void> {
    if (routes.length === 0) return;
    const at = Date.now();
    const lines: string[] = [];
    for (const route of routes) {
      const entry: RecordedRoute = { at, change, kind: route.kind, id: route.id, owner: route.owner, route };
      this.recorded.push(entry);
      lines.push(JSON.stringify(entry));
      this.context.log.info({ demo: true, change, kind: route.kind, id: route.id, owner: route.owner }, `DEMO ${change} recorded (not sent to any router)`);
    }
    if (this.recorded.length > RECORD_LIMIT) this.recorded.splice(0, this.recorded.length - RECORD_LIMIT);
    await appendFile(join(this.context.dir, RECORD_FILE), `${lines.join('\n')}\n`);
  }
}
