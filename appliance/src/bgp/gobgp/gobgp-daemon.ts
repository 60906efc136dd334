// Drives gobgpd 3.x: writes its TOML, runs it under a DaemonProcess with the gRPC API on 127.0.0.1, and
// changes its global RIB through that API (AddPath/DeletePath with binary NLRI and attributes, gobgp-api.ts)
// — the gobgp CLI costs ~6-13 ms of CPU per route, too slow for 1,000 rules in 5 s on two cores — while
// reads go through the CLI's JSON output (`gobgp global rib -j`, `gobgp neighbor -j`). gobgpd keeps its RIB across
// session flaps and re-advertises it itself; after gobgpd restarts (crash) its RIB is empty, so every spawn
// re-installs the desired state. Reconcile reads the RIB back as JSON (`gobgp global rib -a FAMILY -j`):
// FlowSpec NLRIs are decoded into rules (flowspec/decode-components.ts) and matched to desired routes by
// their id, RTBH and diversion prefixes (one unicast route per prefix) by prefix, standard and large
// communities; missing routes are added and orphans deleted.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BreakwaterError } from '../../errors.js';
import { componentsToMatch, type WireComponent } from '../../flowspec/decode-components.js';
import type { FlowSpecRule } from '../../flowspec/rule.js';
import { DaemonProcess } from '../daemon-process.js';
import { communitiesKey, diversionCommunitiesKey } from '../diversion-route.js';
import { flowRouteId, rtbhRouteId } from '../route-key.js';
import type { DesiredBgpRoute, PeerStatus, SessionState } from '../speaker.js';
import type { SpeakerDaemon, SpeakerDaemonContext, SyncResult } from '../speaker-daemon.js';
import { wirePath } from './bgp-wire.js';
import { GobgpApi } from './gobgp-api.js';
import { GobgpCli } from './gobgp-cli.js';
import { renderGobgpdConfig } from './gobgpd-config.js';

const START_TIMEOUT_MS = 15_000;
/** apipb.PeerState.SessionState */
const SESSION_STATE: Record<number, SessionState> = { 0: 'unknown', 1: 'idle', 2: 'connect', 3: 'active', 4: 'opensent', 5: 'openconfirm', 6: 'established' };

/** One path of Breakwater's in gobgpd's RIB, as read back. */
interface RibEntry {
  /** The route id for FlowSpec; the prefix for unicast routes (RTBH or diversion: the RIB does not say which). */
  key: string;
  /** Enough of the route to delete it: the rule's match, or the unicast prefix. */
  route: DesiredBgpRoute;
  /** Unicast routes: communitiesKey of the path's standard and large communities. */
  communities: string;
}

/** How a desired route is found in the read-back, and what its communities must read as. */
function ribKey(route: DesiredBgpRoute): { key: string; communities: string } {
  if (route.kind === 'flowspec') return { key: route.id, communities: '' };
  if (route.kind === 'diversion') return { key: route.prefix, communities: diversionCommunitiesKey(route.communities) };
  return { key: route.prefix, communities: communitiesKey(route.communities.map((c) => c.split(':').map(Number)), []) };
}

export class GobgpDaemon implements SpeakerDaemon {
  readonly kind = 'gobgp' as const;
  readonly originatesFlowSpec = true;
  readonly originatesDiversion = true;
  private readonly process: DaemonProcess;
  private readonly cli: GobgpCli;
  private readonly api: GobgpApi;
  private readonly configPath: string;
  private installing: Promise<void> | undefined;

  constructor(private readonly ctx: SpeakerDaemonContext) {
    const { config } = ctx;
    this.configPath = join(ctx.dir, 'gobgpd.toml');
    this.cli = new GobgpCli(config.daemons.gobgp, config.gobgp.apiPort, 4);
    this.api = new GobgpApi(config.gobgp.apiPort);
    this.process = new DaemonProcess(
      {
        name: 'gobgpd',
        command: config.daemons.gobgpd,
        args: ['-f', this.configPath, '-t', 'toml', '--api-hosts', `127.0.0.1:${config.gobgp.apiPort}`, '--pprof-disable', '-l', 'info'],
        dir: ctx.dir,
        marker: this.configPath,
      },
      ctx.log,
    );
  }

  check(route: DesiredBgpRoute): void {
    if (route.kind === 'flowspec') {
      for (const name of ['destination', 'source'] as const) {
        if ((route.rule.match[name]?.offset ?? 0) > 0) {
          // gobgpd 3.10 decodes RFC 8956 offsets as ceil(length/8) address bytes: it would announce another rule.
          throw new BreakwaterError('BW_ERR_FLOWSPEC_UNRENDERABLE', ['GoBGP 3', `match.${name}.offset`, 'gobgpd reads IPv6 prefix offsets the pre-RFC 8956 way, so routers would get another rule']);
        }
      }
    }
    wirePath(route);
  }

  async start(): Promise<void> {
    await mkdir(this.ctx.dir, { recursive: true, mode: 0o750 });
    await writeFile(this.configPath, renderGobgpdConfig(this.ctx.config));
    // A respawned gobgpd starts with an empty RIB: put the desired state back once its API answers.
    this.process.on('spawn', (_child, generation) => {
      if (generation > 1) this.installing = this.installWhenReady().catch((err) => this.ctx.log.warn({ err }, 're-installing routes into the restarted gobgpd failed'));
    });
    try {
      await this.process.start();
    } catch (err) {
      throw new BreakwaterError('BW_ERR_SPEAKER_START', ['gobgp', (err as Error).message], { cause: err });
    }
    await this.installWhenReady();
  }

  async stop(mode: 'withdraw' | 'retain'): Promise<void> {
    await this.installing;
    if (mode === 'retain') {
      this.process.detach();
    } else {
      await Promise.race([this.withdraw(this.ctx.desired()).catch(() => undefined), sleep(5_000)]);
      await this.process.stop();
    }
    this.api.close();
  }

  async announce(routes: readonly DesiredBgpRoute[]): Promise<void> {
    await Promise.all(routes.map((r) => this.api.addPath(r)));
  }

  async withdraw(routes: readonly DesiredBgpRoute[]): Promise<void> {
    await Promise.all(routes.map((r) => this.api.deletePath(r)));
  }

  async sync(): Promise<SyncResult> {
    const desired = this.ctx.desired();
    const have = await this.readBack();
    const missing = desired.filter((r) => {
      const { key, communities } = ribKey(r);
      const entry = have.get(key);
      return entry === undefined || entry.communities !== communities;
    });
    const wanted = new Set(desired.map((r) => ribKey(r).key));
    const orphans = [...have.values()].filter((e) => !wanted.has(e.key)).map((e) => e.route);
    await Promise.all([...orphans.map((r) => this.api.deletePath(r)), ...missing.map((r) => this.api.addPath(r))]);
    return { added: missing.length, removed: orphans.length, inSync: true };
  }

  async peers(): Promise<PeerStatus[]> {
    let reported: { conf?: { neighbor_address?: string }; state?: { session_state?: number } }[] = [];
    let error = '';
    try {
      reported = JSON.parse(await this.cli.run(['neighbor', '-j'], 5_000));
    } catch (err) {
      error = (err as Error).message;
    }
    return this.ctx.config.peers.map((peer) => {
      const entry = reported.find((n) => n.conf?.neighbor_address === peer.address);
      const state = entry === undefined ? 'down' : (SESSION_STATE[entry.state?.session_state ?? 0] ?? 'unknown');
      return { name: peer.name, address: peer.address, asn: peer.asn, state, since: null, info: error !== '' ? error : `gobgpd: ${state}` };
    });
  }

  private async installWhenReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        await this.cli.run(['global'], 2_000);
        break;
      } catch (err) {
        if (Date.now() > deadline || this.process.state === 'failed') {
          const tail = await this.process.logTail();
          throw new BreakwaterError('BW_ERR_SPEAKER_START', ['gobgp', `its API on 127.0.0.1:${this.ctx.config.gobgp.apiPort} did not answer: ${(err as Error).message} ${tail}`]);
        }
        await sleep(50);
      }
    }
    await this.sync();
  }

  /** Breakwater's paths in gobgpd's global RIB (the only paths there: imports are rejected), by route id. */
  private async readBack(): Promise<Map<string, RibEntry>> {
    const entries = new Map<string, RibEntry>();
    for (const family of ['ipv4', 'ipv6'] as const) {
      const flows = await this.ribJson(`${family}-flowspec`);
      for (const paths of Object.values(flows)) {
        for (const path of paths) {
          const rule: FlowSpecRule = { family, match: componentsToMatch(family, wireComponents(path.nlri.value as GobgpComponent[])), actions: [] };
          const id = flowRouteId(rule);
          entries.set(id, { key: id, route: { kind: 'flowspec', id, rule, trimmed: [], owner: '', createdAt: 0, expiresAt: null }, communities: '' });
        }
      }
      const unicast = await this.ribJson(family);
      for (const [prefix, paths] of Object.entries(unicast)) {
        const attrs = paths[0]?.attrs ?? [];
        const standard = (attrs.find((a) => a.type === 8)?.communities ?? []).map((c) => [c >>> 16, c & 0xffff]);
        const large = (attrs.find((a) => a.type === 32)?.value ?? []).map((c) => [c.ASN, c.LocalData1, c.LocalData2]);
        entries.set(prefix, {
          key: prefix,
          route: { kind: 'rtbh', id: rtbhRouteId(prefix), prefix, family, communities: [], nextHop: '', owner: '', createdAt: 0, expiresAt: null },
          communities: communitiesKey(standard, large),
        });
      }
    }
    return entries;
  }

  private async ribJson(family: string): Promise<Record<string, GobgpPath[]>> {
    const text = (await this.cli.run(['global', 'rib', '-a', family, '-j'], 30_000)).trim();
    return text.startsWith('{') ? (JSON.parse(text) as Record<string, GobgpPath[]>) : {};
  }
}

interface GobgpComponent {
  type: number;
  offset?: number;
  value: { prefix: string; offset?: number } | { op: number; value: number }[];
}

interface GobgpPath {
  nlri: { value?: unknown; prefix?: string };
  attrs: { type: number; communities?: number[]; value?: { ASN: number; LocalData1: number; LocalData2: number }[] }[];
}

function wireComponents(components: readonly GobgpComponent[]): WireComponent[] {
  return components.map((c) => {
    if (c.type === 1 || c.type === 2) {
      // gobgp prints an IPv6 prefix's offset next to the value, not inside it.
      const v = c.value as { prefix: string; offset?: number };
      const offset = c.offset ?? v.offset ?? 0;
      return { type: c.type, prefix: offset > 0 ? { prefix: v.prefix, offset } : { prefix: v.prefix } };
    }
    return { type: c.type, ops: (c.value as { op: number; value: number }[]).map((o) => ({ op: o.op, value: o.value })) };
  });
}

