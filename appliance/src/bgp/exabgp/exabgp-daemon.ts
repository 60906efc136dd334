// Drives ExaBGP 4.2: writes its config and the API bridge, runs `exabgp` under a DaemonProcess, and speaks
// the text API through ExabgpApiChannel. ExaBGP cannot be asked which routes it holds in a form that maps
// back to rules, so this side remembers what it sent to the running ExaBGP (`sent`, reset whenever ExaBGP
// itself restarts) and re-sends the whole desired state whenever that memory may be wrong or a router may
// have lost routes: when the bridge (re)connects — ExaBGP respawned its process and keeps its routes but
// does not tell the new process what they are — and whenever a neighbor comes up. Re-sending a route ExaBGP
// already has changes nothing on the wire, so this is safe to do often.
//
// Why the API socket's name is new at every start: a daemon left running by a controller that was killed
// has a bridge that keeps reconnecting to the socket it was given. With one fixed name, that old bridge
// could connect to the new controller's socket before the leftover daemon is replaced, take the first
// whole-state send, and drop it when the old daemon dies (a CI run saw exactly that). A per-start name can
// only be reached by the daemon this controller started.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BreakwaterError } from '../../errors.js';
import { renderExabgpAnnounce, renderExabgpWithdraw } from '../../flowspec/render-exabgp.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import { splitCommunities } from '../diversion-route.js';
import { DaemonProcess } from '../daemon-process.js';
import { sessionStateFrom } from '../peers.js';
import { routeFingerprint } from '../route-key.js';
import type { DesiredBgpRoute, PeerStatus, SessionState } from '../speaker.js';
import type { SpeakerDaemon, SpeakerDaemonContext, SyncResult } from '../speaker-daemon.js';
import { ExabgpApiChannel } from './api-channel.js';
import { writeBridgeScript } from './bridge-script.js';
import { exabgpEnvironment, renderExabgpConfig } from './exabgp-config.js';

const START_TIMEOUT_MS = 15_000;

export function exabgpAnnounceLine(route: DesiredBgpRoute): string {
  if (route.kind === 'flowspec') return renderExabgpAnnounce(route.rule);
  if (route.kind === 'diversion') {
    const { standard, large } = splitCommunities(route.communities);
    const communities = standard.length > 0 ? ` community [ ${standard.map((c) => c.join(':')).join(' ')} ]` : '';
    const largeCommunities = large.length > 0 ? ` large-community [ ${large.map((c) => c.join(':')).join(' ')} ]` : '';
    return `announce route ${route.prefix} next-hop ${exabgpNextHop(route.nextHop)}${communities}${largeCommunities}`;
  }
  return `announce route ${route.prefix} next-hop ${route.nextHop} community [ ${route.communities.join(' ')} ]`;
}

export function exabgpWithdrawLine(route: DesiredBgpRoute): string {
  if (route.kind === 'flowspec') return renderExabgpWithdraw(route.rule);
  if (route.kind === 'diversion') return `withdraw route ${route.prefix} next-hop ${exabgpNextHop(route.nextHop)}`;
  return `withdraw route ${route.prefix} next-hop ${route.nextHop}`;
}

/** "" is the session's own address: ExaBGP's `next-hop self`. */
function exabgpNextHop(nextHop: string): string {
  return nextHop === '' ? 'self' : nextHop;
}

export class ExabgpDaemon implements SpeakerDaemon {
  readonly kind = 'exabgp' as const;
  readonly originatesFlowSpec = true;
  readonly originatesDiversion = true;
  private readonly process: DaemonProcess;
  private readonly channel: ExabgpApiChannel;
  private readonly configPath: string;
  private readonly socketPath: string;
  /** Routes the running ExaBGP was given (acked) and their fingerprints. */
  private readonly sent = new Map<string, { route: DesiredBgpRoute; fingerprint: string }>();
  private readonly sessions = new Map<string, { state: SessionState; since: number; info: string }>();
  private readonly resync: CoalescingRunner;
  private lastResync: SyncResult = { added: 0, removed: 0, inSync: false };

  constructor(private readonly ctx: SpeakerDaemonContext) {
    this.configPath = join(ctx.dir, 'exabgp.conf');
    this.socketPath = join(ctx.dir, `api-${randomBytes(4).toString('hex')}.sock`);
    this.channel = new ExabgpApiChannel(this.socketPath, ctx.log);
    this.process = new DaemonProcess(
      {
        name: 'exabgp',
        command: ctx.config.daemons.exabgp,
        args: [this.configPath],
        dir: ctx.dir,
        marker: this.configPath,
        env: exabgpEnvironment(process.env),
      },
      ctx.log,
    );
    this.resync = new CoalescingRunner(async () => {
      this.lastResync = await this.sendWholeState();
    });
  }

  /** Throws when ExaBGP's syntax cannot carry the route, before it is recorded as desired. */
  check(route: DesiredBgpRoute): void {
    exabgpAnnounceLine(route);
  }

  async start(): Promise<void> {
    const { ctx } = this;
    await mkdir(ctx.dir, { recursive: true, mode: 0o750 });
    const script = join(ctx.dir, 'exabgp-bridge.mjs');
    await writeBridgeScript(script);
    await writeFile(this.configPath, renderExabgpConfig(ctx.config, { node: process.execPath, script, socket: this.socketPath }));
    await removeOldSockets(ctx.dir);
    await this.channel.listen();
    this.channel.on('connect', () => {
      this.resync.run().catch((err) => ctx.log.warn({ err }, 're-sending the desired state to ExaBGP failed'));
    });
    this.channel.on('state', (event) => this.onState(event.peer, event.state));
    this.process.on('spawn', () => {
      // A new ExaBGP holds no routes and no sessions.
      this.sent.clear();
      this.sessions.clear();
    });
    try {
      await this.process.start();
    } catch (err) {
      await this.channel.close();
      throw new BreakwaterError('BW_ERR_SPEAKER_START', ['exabgp', (err as Error).message], { cause: err });
    }
    try {
      await this.firstWholeState();
    } catch (err) {
      // Nothing of a failed start stays behind: no daemon, no socket.
      await this.process.stop();
      await this.channel.close();
      throw err;
    }
  }

  /** Waits for the bridge of the daemon just started and for one whole-state send that ExaBGP acked. */
  private async firstWholeState(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let connected = false;
    for (;;) {
      if (this.channel.connected) {
        connected = true;
        // The connect handler started a whole-state send; a failed one is retried on the next connect.
        await this.resync.idle();
        if (this.lastResync.inSync) return;
      }
      if (Date.now() > deadline || this.process.state === 'failed') {
        const tail = await this.process.logTail();
        const why = connected ? 'the desired state could not be sent to ExaBGP' : `its API bridge did not connect within ${START_TIMEOUT_MS} ms`;
        throw new BreakwaterError('BW_ERR_SPEAKER_START', ['exabgp', `${why}; log: ${tail}`]);
      }
      await sleep(20);
    }
  }

  async stop(mode: 'withdraw' | 'retain'): Promise<void> {
    if (mode === 'retain') {
      this.process.detach();
    } else {
      if (this.channel.connected) {
        const routes = [...this.sent.values()].map((s) => s.route);
        await Promise.race([this.withdraw(routes).catch(() => undefined), sleep(5_000)]);
      }
      await this.process.stop();
    }
    await this.channel.close();
  }

  async announce(routes: readonly DesiredBgpRoute[]): Promise<void> {
    await Promise.all(routes.map((r) => this.sendAnnounce(r)));
  }

  async withdraw(routes: readonly DesiredBgpRoute[]): Promise<void> {
    await Promise.all(routes.map((r) => this.sendWithdraw(r)));
  }

  /** Fixes what differs between what ExaBGP was given and the desired state. */
  async sync(): Promise<SyncResult> {
    if (!this.channel.connected) throw new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', ['exabgp', 'the API bridge is not connected']);
    const desired = this.ctx.desired();
    const wanted = new Set(desired.map((r) => r.id));
    const missing = desired.filter((r) => this.sent.get(r.id)?.fingerprint !== routeFingerprint(r));
    const orphans = [...this.sent.values()].filter((s) => !wanted.has(s.route.id)).map((s) => s.route);
    await Promise.all([...orphans.map((r) => this.sendWithdraw(r)), ...missing.map((r) => this.sendAnnounce(r))]);
    return { added: missing.length, removed: orphans.length, inSync: true };
  }

  async peers(): Promise<PeerStatus[]> {
    return this.ctx.config.peers.map((peer) => {
      const session = this.sessions.get(peer.address);
      const running = this.process.state === 'running';
      return {
        name: peer.name,
        address: peer.address,
        asn: peer.asn,
        state: !running ? 'down' : (session?.state ?? 'idle'),
        since: session?.since ?? null,
        info: !running ? `exabgp ${this.process.state}` : (session?.info ?? 'no state event yet'),
      };
    });
  }

  /** The result of the last whole-state re-send (bridge connect or neighbor up). */
  get lastWholeStateSync(): SyncResult {
    return this.lastResync;
  }

  private onState(peer: string, state: string): void {
    this.sessions.set(peer, { state: sessionStateFrom(state), since: Date.now(), info: `exabgp: ${state}` });
    this.ctx.log.info({ peer, state }, 'ExaBGP neighbor state');
    if (state === 'up') {
      this.resync.run().catch((err) => this.ctx.log.warn({ err }, 're-sending the desired state after a neighbor came up failed'));
    }
  }

  private async sendWholeState(): Promise<SyncResult> {
    const desired = this.ctx.desired();
    const wanted = new Set(desired.map((r) => r.id));
    const orphans = [...this.sent.values()].filter((s) => !wanted.has(s.route.id)).map((s) => s.route);
    await Promise.all([...orphans.map((r) => this.sendWithdraw(r)), ...desired.map((r) => this.sendAnnounce(r))]);
    return { added: desired.length, removed: orphans.length, inSync: true };
  }

  private async sendAnnounce(route: DesiredBgpRoute): Promise<void> {
    await this.channel.send(exabgpAnnounceLine(route));
    this.sent.set(route.id, { route, fingerprint: routeFingerprint(route) });
  }

  private async sendWithdraw(route: DesiredBgpRoute): Promise<void> {
    await this.channel.send(exabgpWithdrawLine(route));
    this.sent.delete(route.id);
  }
}

/** Removes API sockets earlier controller starts left behind (a kill -9 leaves its socket file). */
async function removeOldSockets(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => /^api(-[0-9a-f]+)?\.sock$/.test(n)).map((n) => rm(join(dir, n), { force: true })));
}
