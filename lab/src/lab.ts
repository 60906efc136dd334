// The end-to-end lab: builds the topology and starts everything in it — the router BIRD, pmacctd's sfprobe on
// the router's transit interface, the victim's sink and `breakwater agent`, the webhook receiver and the
// appliance itself (`breakwater start`, the real command) — then gives tests, the lab command and bench/e2e one
// object to drive and observe it: replay a scenario, read the router's tables, the victim's nftables counters,
// the webhook messages, the appliance's log and its audit trail. stop() ends every process by pid and deletes
// the namespaces.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Route } from '@bird-tools/birdc';
import { AgentTokenStore } from '../../appliance/src/agent-api/token-store.js';
import type { AuditRecord } from '../../appliance/src/audit/audit-store.js';
import { main as breakwaterCli } from '../../appliance/src/cli/run.js';
import { NftBackend } from '../../appliance/src/firewall/nft-backend.js';
import { startRouter, type Router, type RouterNeighbor } from '../../appliance/test/bgp/helpers/lab.js';
import { deleteNetns, eventually, makeTempDir, spawnOwned, type OwnedProcess } from '../../appliance/test/support/netns.js';
import { AGENT_API_PORT, APPLIANCE_ASN, FASTNETMON_ASN, ROUTER_ID, SFLOW_PORT, VICTIM_NET4, VICTIM_NET6 } from './address-plan.js';
import { LAB_HEALTH_PORT, LAB_SAMPLING, LAB_THRESHOLDS, labConfig, type LabRunbook, type LabThresholds } from './lab-config.js';
import { scenario as findScenario, type ReplayPhase } from './scenarios.js';
import { startSflowProbe, type SflowCollector, type SflowProbe } from './sflow-probe.js';
import { createTopology, type Topology } from './topology.js';
import { replay, scenarioPcap, writePcap, type ReplayResult } from './traffic.js';
import type { FrameSpec } from '../../appliance/src/synthetic/packet-builder.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const WEBHOOK_PORT = 8099;
/** The appliance's neighbor name in the router BIRD: routes from it are Breakwater's. */
export const APPLIANCE_PEER = 'appliance';
export const FASTNETMON_PEER = 'fastnetmon';

export interface LabOptions {
  /** Keeps namespace names unique per test file or run. */
  label: string;
  samplingRate?: number;
  thresholds?: LabThresholds;
  runbook?: LabRunbook;
  escalateAfterSeconds?: number;
  /** The appliance's BGP speaker (default bird). */
  speaker?: 'bird' | 'exabgp' | 'gobgp';
  /** Also build the FastNetMon namespace and peer the router with it (bench/e2e); the caller starts FastNetMon. */
  fastnetmon?: boolean;
  /** Start the agent in the victim namespace (Tier 1). Default true. */
  agent?: boolean;
  log?: (line: string) => void;
}

export interface LogRecord {
  time: number;
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface WebhookMessage {
  at: number;
  headers: Record<string, string>;
  body: { version: number; event: { type: string; attack?: { id: string; target: string; vector: string }; [k: string]: unknown }; message: { title: string; text: string } };
}

export interface RouterRoute {
  table: 'flowtab4' | 'flowtab6' | 'master4' | 'master6';
  /** The rule text for FlowSpec, the prefix for unicast. */
  net: string;
  from: string;
  communities: string[];
  extCommunities: string[];
  dest: string;
}

export interface NftRuleState {
  /** `nft list table inet breakwater` in the victim namespace ('' when there is no table). */
  text: string;
  counters: { id: string; packets: number; bytes: number }[];
}

/** The first-party plugins the lab configuration uses (loaded from plugins/, by their built entry). */
const LAB_PLUGINS = ['tier-nftables', 'tier-flowspec', 'tier-rtbh', 'notifier-webhook'];

/**
 * The appliance loads plugins from their dist/ entry (as installed); scripts/setup.sh builds them, but a plugin
 * whose source changed since (or that was never built) is built here with its own tsup config.
 */
function ensurePluginsBuilt(say: (l: string) => void): void {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  for (const name of LAB_PLUGINS) {
    const folder = join(REPO_ROOT, 'plugins', name);
    const entry = join(folder, 'dist', 'index.js');
    if (existsSync(entry) && statSync(entry).mtimeMs >= newest(join(folder, 'src'))) continue;
    say(`building plugins/${name} (dist missing or older than its source)`);
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/tsup/dist/cli-default.js')], { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

export class Lab {
  readonly appliancePid: () => number;
  private readonly logRecords: LogRecord[] = [];
  private readonly webhook: WebhookMessage[] = [];
  private stopped = false;

  private constructor(
    readonly topology: Topology,
    readonly dir: string,
    readonly dataDir: string,
    readonly router: Router,
    readonly probe: SflowProbe,
    private readonly appliance: OwnedProcess,
    private readonly agent: OwnedProcess | undefined,
    private readonly sink: OwnedProcess,
    private readonly receiver: OwnedProcess,
    readonly samplingRate: number,
    readonly thresholds: LabThresholds,
  ) {
    this.appliancePid = () => appliance.pid;
    collectJsonLines(appliance, (o) => {
      const record = logRecord(o);
      if (record) this.push(this.logRecords, record);
    });
    collectJsonLines(receiver, (o) => {
      if (typeof o.at === 'number') this.push(this.webhook, o as unknown as WebhookMessage);
    });
  }

  private push<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > 50_000) list.splice(0, 10_000);
  }

  static async start(options: LabOptions): Promise<Lab> {
    const say = options.log ?? (() => undefined);
    const samplingRate = options.samplingRate ?? LAB_SAMPLING;
    const thresholds = options.thresholds ?? LAB_THRESHOLDS;
    ensurePluginsBuilt(say);
    const dir = makeTempDir(`lab-${options.label}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    say('creating namespaces src, router, victim, appliance' + (options.fastnetmon ? ', fastnetmon' : ''));
    const topology = createTopology(`lab-${options.label}`, { fastnetmon: options.fastnetmon ?? false });
    const { links } = topology;

    say('starting the router (BIRD 2)');
    const neighbors: RouterNeighbor[] = [{ name: APPLIANCE_PEER, address: links.appliance.b.ipv4, local: links.appliance.a.ipv4, asn: APPLIANCE_ASN }];
    if (links.fastnetmon) neighbors.push({ name: FASTNETMON_PEER, address: links.fastnetmon.b.ipv4, local: links.fastnetmon.a.ipv4, asn: FASTNETMON_ASN });
    const router = await startRouter(topology.router, dir, ROUTER_ID, neighbors);

    say('starting the victim sink and the webhook receiver');
    const sink = spawnOwned(process.execPath, [here('./victim-sink.mjs')], { netns: topology.victim, stdin: 'pipe' });
    const receiver = spawnOwned(process.execPath, [here('./webhook-receiver.mjs'), String(WEBHOOK_PORT)], { netns: topology.appliance });
    await eventually('the victim sink', 10_000, () => (sink.output().includes('ready') ? true : undefined), 50);
    await eventually('the webhook receiver', 10_000, () => (receiver.output().includes('listening') ? true : undefined), 50);

    // The agent's token, made the way `breakwater agent token create` makes it, before the appliance starts.
    const token = (await new AgentTokenStore(dataDir).create('victim', [VICTIM_NET4, VICTIM_NET6])).token;
    const configPath = join(dir, 'breakwater.yaml');
    writeFileSync(
      configPath,
      JSON.stringify(
        labConfig({ topology, dataDir, webhookPort: WEBHOOK_PORT, thresholds, runbook: options.runbook ?? 'tiers', escalateAfterSeconds: options.escalateAfterSeconds, ...(options.speaker ? { speaker: options.speaker } : {}), repoRoot: REPO_ROOT }),
        null,
        2,
      ),
    );

    say('starting the appliance (breakwater start)');
    const appliance = spawnOwned(process.execPath, ['--conditions=source', '--import', 'tsx', join(REPO_ROOT, 'appliance/src/cli/main.ts'), 'start', '--config', configPath], {
      netns: topology.appliance,
      cwd: REPO_ROOT,
    });
    await eventually('the appliance to start', 60_000, () => {
      if (appliance.exited()) throw new Error(`the appliance exited:\n${appliance.output().slice(-4000)}`);
      return appliance.output().includes('"appliance started"') ? true : undefined;
    }, 100);

    let agent: OwnedProcess | undefined;
    if (options.agent ?? true) {
      say('starting breakwater agent in the victim namespace');
      agent = spawnOwned(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', join(REPO_ROOT, 'appliance/src/cli/main.ts'), 'agent', '--appliance', `https://${links.appliance.b.ipv4}:${AGENT_API_PORT}`, '--token', token, '--interval', '0.5', '--state-dir', join(dir, 'agent-state'), '--backend', 'nftables'],
        { netns: topology.victim, cwd: REPO_ROOT },
      );
      await eventually('the agent to start', 30_000, () => {
        if (agent!.exited()) throw new Error(`the agent exited:\n${agent!.output()}`);
        return agent!.output().includes('agent starting') ? true : undefined;
      }, 100);
    }

    say(`starting pmacctd's sfprobe on the router (1:${samplingRate})`);
    const collectors: SflowCollector[] = [{ name: 'bw', address: `${links.appliance.b.ipv4}:${SFLOW_PORT}` }];
    if (links.fastnetmon) collectors.push({ name: 'fnm', address: `${links.fastnetmon.b.ipv4}:${SFLOW_PORT}` });
    const probe = await startSflowProbe({ netns: topology.router, ifname: topology.transitIf, agentIp: links.src.a.ipv4, samplingRate, collectors, dir });

    say('waiting for the BGP session router <-> appliance');
    await eventually('the BGP session to the appliance', 30_000, async () => ((await router.sessionUp(APPLIANCE_PEER)) ? true : undefined), 200);
    const lab = new Lab(topology, dir, dataDir, router, probe, appliance, agent, sink, receiver, samplingRate, thresholds);
    // Lines printed before the collectors were attached.
    for (const line of appliance.output().split('\n')) parseInto(line, (o) => void (logRecord(o) && lab.logRecords.push(logRecord(o)!)));
    for (const line of receiver.output().split('\n')) parseInto(line, (o) => typeof o.at === 'number' && lab.webhook.push(o as unknown as WebhookMessage));
    return lab;
  }

  // ---------- traffic ----------

  /** Replays a named scenario (its own phases unless given). */
  async replay(name: string, phases?: readonly ReplayPhase[], onPhase?: (index: number, at: number) => void): Promise<ReplayResult> {
    const s = findScenario(name);
    const pcap = scenarioPcap(join(this.dir, 'pcaps'), s);
    return replay({ netns: this.topology.src, ifname: this.topology.sourceIf, pcap, phases: phases ?? s.phases, ...(onPhase ? { onPhase } : {}) });
  }

  /** Replays arbitrary frames (bench/e2e). */
  async replayFrames(name: string, frames: readonly FrameSpec[], phases: readonly ReplayPhase[], onPhase?: (index: number, at: number) => void): Promise<ReplayResult> {
    mkdirSync(join(this.dir, 'pcaps'), { recursive: true });
    const pcap = writePcap(join(this.dir, 'pcaps', `${name}.pcap`), frames);
    return replay({ netns: this.topology.src, ifname: this.topology.sourceIf, pcap, phases, ...(onPhase ? { onPhase } : {}) });
  }

  // ---------- what the router holds ----------

  async routes(from = APPLIANCE_PEER): Promise<RouterRoute[]> {
    const tables = ['flowtab4', 'flowtab6', 'master4', 'master6'] as const;
    const out: RouterRoute[] = [];
    for (const table of tables) {
      const routes: Route[] = await this.router.bird.showRoutes({ table, all: true, protocol: from });
      for (const r of routes) {
        out.push({
          table,
          net: r.flow?.rule ?? r.network,
          from,
          dest: r.dest ?? '',
          communities: (r.bgp?.communities ?? []).map(([a, b]) => `${a}:${b}`),
          extCommunities: (r.bgp?.extCommunities ?? []).map((c) => c.text),
        });
      }
    }
    return out;
  }

  // ---------- the victim ----------

  async nftRules(): Promise<NftRuleState> {
    let text = '';
    try {
      text = execFileSync('ip', ['netns', 'exec', this.topology.victim, 'nft', 'list', 'table', 'inet', 'breakwater'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // no table yet
    }
    const counters = (await new NftBackend({ prefix: ['ip', 'netns', 'exec', this.topology.victim] }).read()).map((c) => ({ id: c.id, packets: c.packets, bytes: c.bytes }));
    return { text, counters };
  }

  /** What the victim's sockets received so far. */
  async sinkCounts(): Promise<{ udp: number; udp6: number; tcp: number }> {
    const before = this.sink.output().split('\n').filter((l) => l.startsWith('{')).length;
    this.sink.child.stdin!.write('?\n');
    const line = await eventually('the sink to report', 5_000, () => {
      const lines = this.sink.output().split('\n').filter((l) => l.startsWith('{'));
      return lines.length > before ? lines.at(-1) : undefined;
    }, 20);
    return JSON.parse(line) as { udp: number; udp6: number; tcp: number };
  }

  // ---------- the appliance ----------

  log(): readonly LogRecord[] {
    return this.logRecords;
  }

  webhookMessages(): readonly WebhookMessage[] {
    return this.webhook;
  }

  /** `breakwater audit --json --data-dir DATADIR`, the command an operator runs. */
  async audit(args: string[] = []): Promise<AuditRecord[]> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (b: Buffer) => (out += b.toString()));
    stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await breakwaterCli(['audit', '--json', '--data-dir', this.dataDir, ...args], { stdout, stderr, stdin: new PassThrough() });
    if (code !== 0) throw new Error(`breakwater audit exited ${code}: ${err}`);
    return JSON.parse(out) as AuditRecord[];
  }

  /** The appliance's /health, read inside its namespace (its health endpoint listens on loopback there). */
  applianceHealth(): Record<string, unknown> {
    const get = `fetch('http://127.0.0.1:${LAB_HEALTH_PORT}/health', { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
    return JSON.parse(execFileSync('ip', ['netns', 'exec', this.topology.appliance, process.execPath, '-e', get], { encoding: 'utf8' })) as Record<string, unknown>;
  }

  applianceOutput(): string {
    return this.appliance.output();
  }

  agentOutput(): string {
    return this.agent?.output() ?? '';
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.probe.stop().catch(() => undefined);
    await this.agent?.stop(3_000).catch(() => undefined);
    await this.appliance.stop(10_000).catch(() => undefined);
    await this.receiver.stop(1_000).catch(() => undefined);
    await this.sink.stop(1_000).catch(() => undefined);
    await this.router.stop().catch(() => undefined);
    const { src, router, victim, appliance, fastnetmon } = this.topology;
    for (const ns of [src, router, victim, appliance, fastnetmon]) if (ns !== undefined) deleteNetns(ns);
  }
}

/** A pino line with its time as ms since the epoch (the appliance logs ISO times). */
function logRecord(o: Record<string, unknown>): LogRecord | undefined {
  if (typeof o.msg !== 'string') return undefined;
  const time = typeof o.time === 'number' ? o.time : typeof o.time === 'string' ? Date.parse(o.time) : NaN;
  if (!Number.isFinite(time)) return undefined;
  return { ...o, time, level: typeof o.level === 'number' ? o.level : LEVELS[String(o.level)] ?? 30, msg: o.msg };
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function parseInto(line: string, take: (o: Record<string, unknown>) => void): void {
  if (!line.startsWith('{')) return;
  try {
    take(JSON.parse(line) as Record<string, unknown>);
  } catch {
    // a partial line
  }
}

/** Parses a child's stdout as JSON lines as they arrive (the harness keeps only the last 64 KB of text). */
function collectJsonLines(p: OwnedProcess, take: (o: Record<string, unknown>) => void): void {
  let partial = '';
  p.child.stdout!.on('data', (chunk: string | Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) parseInto(line, take);
  });
}
