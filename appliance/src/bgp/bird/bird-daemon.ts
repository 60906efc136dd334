// Drives BIRD 2. Breakwater owns one included routes file (routes-file.ts); every change rewrites it from the
// desired state, runs `configure check` and only then `configure soft` (sessions stay up, the static
// protocols announce just the difference). If the check fails the previous file is put back at once, so the
// operator's configuration is never left broken. With bgp.bird.socket set, BIRD is the operator's and only
// the file is Breakwater's; otherwise Breakwater also writes bird.conf and runs `bird -f` itself.
//
// Reconcile reads back, through @bird-tools/birdc, what BIRD actually has in Breakwater's six protocols:
// the RTBH and diversion prefixes and their communities exactly, and the number of FlowSpec rules per family
// (BIRD prints long flow rules truncated, so they cannot be compared as text). Any difference — or a file on disk that is
// not what the desired state renders to — is fixed by writing the file and reconfiguring again.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBirdClient, isBirdError, type BirdClient } from '@bird-tools/birdc';
import { BreakwaterError } from '../../errors.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import { DaemonProcess } from '../daemon-process.js';
import { sessionStateFrom } from '../peers.js';
import { communitiesKey, diversionCommunitiesKey } from '../diversion-route.js';
import type { DesiredBgpRoute, PeerStatus } from '../speaker.js';
import type { SpeakerDaemon, SpeakerDaemonContext, SyncResult } from '../speaker-daemon.js';
import { birdProtocolName, renderBirdConfig } from './bird-config.js';
import { BIRD_PROTOCOLS, birdRouteStatement, renderRoutesFile } from './routes-file.js';

const START_TIMEOUT_MS = 10_000;

interface BirdReadBack {
  flow4: number;
  flow6: number;
  /** RTBH prefix -> sorted communities "A:B". */
  rtbh: Map<string, string>;
  /** Diversion prefix -> communitiesKey (standard then large, each sorted). */
  divert: Map<string, string>;
}

export class BirdDaemon implements SpeakerDaemon {
  readonly kind = 'bird' as const;
  readonly originatesFlowSpec = true;
  readonly originatesDiversion = true;
  private readonly managed: boolean;
  private readonly socketPath: string;
  private readonly routesFile: string;
  private readonly configPath: string;
  private readonly process: DaemonProcess | undefined;
  private readonly bird: BirdClient;
  private readonly applier: CoalescingRunner;

  constructor(private readonly ctx: SpeakerDaemonContext) {
    const settings = ctx.config.bird;
    this.managed = settings.socket === '';
    this.socketPath = this.managed ? join(ctx.dir, 'bird.ctl') : settings.socket;
    this.routesFile = settings.routesFile !== '' ? settings.routesFile : join(ctx.dir, 'breakwater-routes.conf');
    this.configPath = join(ctx.dir, 'bird.conf');
    this.bird = createBirdClient({ socketPath: this.socketPath, commandTimeoutMs: 30_000 });
    // The client reconnects on its own; its connection errors are expected while BIRD restarts.
    this.bird.on('connectError', () => undefined);
    this.process = this.managed
      ? new DaemonProcess(
          { name: 'bird', command: ctx.config.daemons.bird, args: ['-f', '-c', this.configPath, '-s', this.socketPath], dir: ctx.dir, marker: this.configPath },
          ctx.log,
        )
      : undefined;
    this.applier = new CoalescingRunner(() => this.applyDesiredState());
  }

  check(route: DesiredBgpRoute): void {
    birdRouteStatement(route);
  }

  async start(): Promise<void> {
    await mkdir(this.ctx.dir, { recursive: true, mode: 0o750 });
    // The routes file must exist and match the desired state before BIRD (re)reads its configuration.
    await this.writeRoutesFile(renderRoutesFile(this.ctx.desired()));
    if (this.process !== undefined) {
      await writeFile(this.configPath, renderBirdConfig(this.ctx.config, this.routesFile));
      try {
        await this.process.start();
      } catch (err) {
        throw new BreakwaterError('BW_ERR_SPEAKER_START', ['bird', (err as Error).message], { cause: err });
      }
      // After a crash BIRD starts from bird.conf, which includes the current routes file: nothing to resend.
    }
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        await this.bird.showStatus({ timeoutMs: 1_000 });
        break;
      } catch (err) {
        if (Date.now() > deadline || this.process?.state === 'failed') {
          const tail = (await this.process?.logTail()) ?? '';
          await this.process?.stop();
          throw new BreakwaterError('BW_ERR_SPEAKER_START', ['bird', `no answer on ${this.socketPath}: ${(err as Error).message} ${tail}`], { cause: err });
        }
        await sleep(25);
      }
    }
    // An operator's BIRD (or one left running) may hold an older file: apply the current one.
    await this.applier.run();
  }

  async stop(mode: 'withdraw' | 'retain'): Promise<void> {
    if (mode === 'withdraw') {
      // An empty routes file withdraws everything, also from an operator's BIRD that keeps running.
      await Promise.race([this.applyRoutes([]).catch(() => undefined), sleep(5_000)]);
      await this.process?.stop();
    } else {
      this.process?.detach();
    }
    await this.bird.close();
  }

  announce(): Promise<void> {
    return this.applier.run();
  }

  withdraw(): Promise<void> {
    return this.applier.run();
  }

  async sync(): Promise<SyncResult> {
    const desired = this.ctx.desired();
    const expected = renderRoutesFile(desired);
    const onDisk = await readFile(this.routesFile, 'utf8').catch(() => '');
    const before = await this.readBack();
    const diff = compare(desired, before);
    if (onDisk === expected && diff.added === 0 && diff.removed === 0) return { added: 0, removed: 0, inSync: true };
    this.ctx.log.warn({ fileDiffers: onDisk !== expected, ...diff }, 'BIRD differs from the desired state; re-applying');
    await this.applier.run();
    const after = compare(this.ctx.desired(), await this.readBack());
    return { added: diff.added, removed: diff.removed, inSync: after.added === 0 && after.removed === 0 };
  }

  async peers(): Promise<PeerStatus[]> {
    let rows: { name: string; state: string; info: string; since: string }[] = [];
    let error = '';
    try {
      rows = await this.bird.showProtocols({ timeoutMs: 5_000 });
    } catch (err) {
      error = (err as Error).message;
    }
    const statuses: PeerStatus[] = [];
    for (const peer of this.ctx.config.peers) {
      let row = rows.find((r) => r.name === birdProtocolName(peer));
      if (row === undefined && !this.managed) {
        // An operator's BIRD names its protocols itself: find the one whose neighbor is this peer.
        for (const candidate of rows) {
          const details = await this.bird.showProtocol(candidate.name, { all: true, timeoutMs: 5_000 }).catch(() => undefined);
          if (details?.details.fields['Neighbor address'] === peer.address) {
            row = candidate;
            break;
          }
        }
      }
      const word = row?.info.trim().split(/\s+/)[0] ?? '';
      statuses.push({
        name: peer.name,
        address: peer.address,
        asn: peer.asn,
        state: row === undefined ? (error !== '' ? 'down' : 'unknown') : row.state === 'down' ? 'down' : sessionStateFrom(word),
        since: null,
        info: row === undefined ? error || 'no BIRD protocol for this peer' : `${row.state} ${row.info.trim()} (since ${row.since})`,
      });
    }
    return statuses;
  }

  private applyDesiredState(): Promise<void> {
    return this.applyRoutes(this.ctx.desired());
  }

  /** Writes the file, checks the whole configuration, and reconfigures; restores the old file if the check fails. */
  private async applyRoutes(routes: readonly DesiredBgpRoute[]): Promise<void> {
    const text = renderRoutesFile(routes);
    const previous = await readFile(this.routesFile, 'utf8').catch(() => undefined);
    await this.writeRoutesFile(text);
    try {
      await this.bird.configure({ check: true });
    } catch (err) {
      if (previous !== undefined) await this.writeRoutesFile(previous);
      if (isBirdError(err, 'BIRDC_ERR_REPLY')) {
        const where = err.location !== undefined ? `${err.location.file} line ${err.location.line ?? '?'}: ${err.location.message}` : (err.birdText ?? err.message);
        throw new BreakwaterError('BW_ERR_SPEAKER_CONFIG', ['BIRD', this.routesFile, where], { cause: err });
      }
      throw new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', ['bird', (err as Error).message], { cause: err });
    }
    try {
      await this.bird.configure({ soft: true });
    } catch (err) {
      throw new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', ['bird', (err as Error).message], { cause: err });
    }
  }

  private async writeRoutesFile(text: string): Promise<void> {
    // Renamed into place: BIRD (or the operator running `configure`) never reads half a file.
    const temp = `${this.routesFile}.tmp`;
    await writeFile(temp, text, { mode: 0o640 });
    await rename(temp, this.routesFile);
  }

  private async readBack(): Promise<BirdReadBack> {
    const count = async (p: { name: string; table: string }): Promise<number> =>
      (await this.bird.countRoutes(p.table, { protocol: p.name, timeoutMs: 10_000 })).matched;
    const rtbh = new Map<string, string>();
    for (const p of [BIRD_PROTOCOLS.rtbh4, BIRD_PROTOCOLS.rtbh6]) {
      for (const route of await this.bird.showRoutes({ table: p.table, protocol: p.name, all: true, timeoutMs: 10_000 })) {
        const communities = (route.bgp?.communities ?? []).map(([a, b]) => `${a}:${b}`).sort();
        rtbh.set(route.network, communities.join(','));
      }
    }
    const divert = new Map<string, string>();
    for (const p of [BIRD_PROTOCOLS.divert4, BIRD_PROTOCOLS.divert6]) {
      for (const route of await this.bird.showRoutes({ table: p.table, protocol: p.name, all: true, timeoutMs: 10_000 })) {
        divert.set(route.network, communitiesKey(route.bgp?.communities ?? [], route.bgp?.largeCommunities ?? []));
      }
    }
    return { flow4: await count(BIRD_PROTOCOLS.flow4), flow6: await count(BIRD_PROTOCOLS.flow6), rtbh, divert };
  }
}

function compare(desired: readonly DesiredBgpRoute[], have: BirdReadBack): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  const wantedRtbh = new Map<string, string>();
  const wantedDivert = new Map<string, string>();
  let flow4 = 0;
  let flow6 = 0;
  for (const r of desired) {
    if (r.kind === 'rtbh') wantedRtbh.set(r.prefix, [...r.communities].sort().join(','));
    else if (r.kind === 'diversion') wantedDivert.set(r.prefix, diversionCommunitiesKey(r.communities));
    else if (r.rule.family === 'ipv4') flow4++;
    else flow6++;
  }
  for (const [wanted, held] of [[wantedRtbh, have.rtbh], [wantedDivert, have.divert]] as const) {
    for (const [prefix, communities] of wanted) if (held.get(prefix) !== communities) added++;
    for (const prefix of held.keys()) if (!wanted.has(prefix)) removed++;
  }
  added += Math.max(0, flow4 - have.flow4) + Math.max(0, flow6 - have.flow6);
  removed += Math.max(0, have.flow4 - flow4) + Math.max(0, have.flow6 - flow6);
  return { added, removed };
}
