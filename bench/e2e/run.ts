// bench/e2e: how long an attack hurts before something stops it — Breakwater and FastNetMon 1.2.4 side by side,
// in the same lab run, on the same packets. The lab (lab/src/lab.ts) replays a UDP flood with tcpreplay through
// the router namespace; pmacctd's sfprobe samples the router's transit interface and sends sFlow to both (one
// named sfprobe plugin each, so both sample the same packets). Breakwater (`breakwater start`, FlowSpec through
// its ExaBGP speaker by default) and FastNetMon (sFlow input, threshold_pps, ban through its GoBGP integration: RTBH host
// routes via gobgpd) peer with the same router BIRD. For every trial the router's tables are polled every few
// ms through its control socket. Measured per system, over at least 5 repetitions of each flood, every time
// from the first attack packet (its capture timestamp on src's interface) and on the machine's one clock:
//   - sflow: the first sFlow datagram carrying a sample of the victim leaving the router for that collector
//     (tshark on the router's interface towards it, sflow-capture.ts);
//   - detection: "attack started" in Breakwater's log / FastNetMon's ban (its notify script is called when it bans);
//   - Breakwater only: the engine choosing the stage (audit stage.selected) and its speaker handing the route to
//     the daemon (log "route handed to the daemon");
//   - mitigation: the first route for the victim in the router's table (Breakwater's FlowSpec rule in flowtab4,
//     FastNetMon's /32 in master4);
//   - CPU (user+system, % of one core) and peak RSS of each detector process while the floods run.
// Each stage is reported from the first packet and as the step from the stage before it (p50/p95).
//
// Usage: npm run bench:e2e -- [--reps 5] [--threshold 5000] [--sampling 250] [--multiples 10,2] [--speaker exabgp|bird|gobgp]
//                             [--skip-fastnetmon] [--out FILE] [--appliance-log FILE] [--no-warm]
// Before the first flood it waits until Breakwater's detection trusts its slow rates (/health
// detection.quietRule.trusted: about 150 s after start, docs/detection.md "quiet before"), as it would in service;
// --no-warm floods at once, measuring a freshly started appliance (the strict rule only).
// Needs root (namespaces), bird2, pmacct, tcpreplay, fastnetmon and gobgpd. Every replay is bounded by a packet
// count and a time limit; everything is killed by pid and the namespaces deleted at the end and on Ctrl-C.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanUpEverything, eventually, spawnOwned, type OwnedProcess } from '../../appliance/test/support/netns.js';
import { FASTNETMON_ASN, ROUTER_ASN, SFLOW_PORT } from '../../lab/src/address-plan.js';
import { FASTNETMON_PEER, APPLIANCE_PEER, Lab, REPO_ROOT } from '../../lab/src/lab.js';
import { benchFloodFrames } from '../../lab/src/scenarios.js';
import { FASTNETMON_BIN, readFastnetmonBans, writeFastnetmonFiles } from '../support/fastnetmon.js';
import { SflowCapture } from './sflow-capture.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    threshold: { type: 'string', default: '5000' },
    sampling: { type: 'string', default: '250' },
    multiples: { type: 'string', default: '10,2' },
    speaker: { type: 'string', default: 'exabgp' },
    'skip-fastnetmon': { type: 'boolean', default: false },
    out: { type: 'string' },
    'appliance-log': { type: 'string' },
    'no-warm': { type: 'boolean', default: false },
  },
});
const REPS = Number(values.reps);
const THRESHOLD = Number(values.threshold);
const SAMPLING = Number(values.sampling);
const MULTIPLES = values.multiples!.split(',').map(Number);
const WITH_FNM = !values['skip-fastnetmon'];
const SPEAKER = values.speaker as 'exabgp' | 'bird' | 'gobgp';
if (!['exabgp', 'bird', 'gobgp'].includes(SPEAKER)) throw new Error(`BW_ERR_CLI_USAGE: --speaker exabgp|bird|gobgp, got ${SPEAKER}`);
/** How long each flood lasts: long enough for FastNetMon's once-a-second recalculation at 2x, bounded. */
const FLOOD_SECONDS: Record<number, number> = { 10: 5, 2: 9 };
const GAP_MS = 4_000;
const POLL_MS = 5;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

interface Summary {
  n: number;
  missed: number;
  p50: number;
  p95: number;
  max: number;
}

function summarize(values: readonly (number | undefined)[]): Summary {
  const got = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return { n: got.length, missed: values.length - got.length, p50: percentile(got, 50), p95: percentile(got, 95), max: got.at(-1) ?? NaN };
}

/** utime+stime in clock ticks and RSS in bytes of one process. */
function procUsage(pid: number): { ticks: number; rss: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { ticks, rss: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU and peak RSS of a process over the windows it is sampled in (only while floods run). */
class UsageMeter {
  private busyTicks = 0;
  private wallMs = 0;
  private peakRss = 0;
  private last: { ticks: number; at: number } | undefined;
  constructor(readonly pid: () => number | undefined) {}
  begin(): void {
    const pid = this.pid();
    const u = pid !== undefined ? procUsage(pid) : undefined;
    this.last = u ? { ticks: u.ticks, at: Date.now() } : undefined;
  }
  sample(): void {
    const pid = this.pid();
    const u = pid !== undefined ? procUsage(pid) : undefined;
    if (u) this.peakRss = Math.max(this.peakRss, u.rss);
  }
  end(): void {
    const pid = this.pid();
    const u = pid !== undefined ? procUsage(pid) : undefined;
    if (u && this.last) {
      this.busyTicks += u.ticks - this.last.ticks;
      this.wallMs += Date.now() - this.last.at;
      this.peakRss = Math.max(this.peakRss, u.rss);
    }
    this.last = undefined;
  }
  result(): { cpuPercentOfOneCore: number; peakRssMiB: number } {
    return { cpuPercentOfOneCore: round1(this.wallMs > 0 ? (this.busyTicks / CLOCK_TICKS / (this.wallMs / 1000)) * 100 : NaN), peakRssMiB: round1(this.peakRss / 1048576) };
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function gobgpdConfig(localAddress: string, routerAddress: string): string {
  return `[global.config]
  as = ${FASTNETMON_ASN}
  router-id = "${localAddress}"
  port = 179
  local-address-list = ["${localAddress}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "${routerAddress}"
    peer-as = ${ROUTER_ASN}
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`;
}

/**
 * Captures the first packet to `victim` on src's interface (tshark, in the src namespace) and resolves to its
 * kernel timestamp in ms. tcpreplay sends its first packet ~100 ms after it is spawned (it opens the interface
 * and calibrates its timer first), so spawn time would charge both systems for tcpreplay's start-up.
 */
async function firstPacketProbe(lab: Lab, victim: string): Promise<{ at: Promise<number | undefined> }> {
  const probe = spawnOwned('/usr/bin/tshark', ['-i', lab.topology.sourceIf, '-c', '1', '-f', `dst host ${victim}`, '-T', 'fields', '-e', 'frame.time_epoch'], { netns: lab.topology.src });
  await eventually('tshark to capture', 15_000, () => {
    if (probe.exited()) throw new Error(`tshark exited: ${probe.output()}`);
    return probe.output().includes('Capturing on') ? true : undefined;
  }, 50);
  const at = (async () => {
    const timer = setTimeout(() => probe.kill('SIGKILL'), 30_000);
    await probe.exit;
    clearTimeout(timer);
    const line = probe.output().split('\n').find((l) => /^\d+\.\d+$/.test(l.trim()));
    return line === undefined ? undefined : Math.round(Number(line.trim()) * 1000);
  })();
  return { at };
}

interface Trial {
  multiple: number;
  pps: number;
  victim: string;
  /** When tcpreplay was spawned. */
  startedAt: number;
  /** The first attack packet, as captured by tshark on src's interface: time 0 of every figure. */
  firstPacketAt?: number;
  packets?: number;
  /** What tcpreplay achieved (packets over its run time): below `pps` when the machine could not keep up. */
  achievedPps?: number;
  /** 1-minute load average when the trial ended (the machine is shared). */
  load1?: number;
  bw: Partial<Record<BreakwaterStage, number>>;
  fnm: Partial<Record<FastnetmonStage, number>>;
}

/** Breakwater's stages in order, each in ms from the first attack packet. */
const BW_STAGES = ['sflowMs', 'detectedMs', 'stageSelectedMs', 'handedMs', 'routeMs'] as const;
type BreakwaterStage = (typeof BW_STAGES)[number];
const FNM_STAGES = ['sflowMs', 'detectedMs', 'routeMs'] as const;
type FastnetmonStage = (typeof FNM_STAGES)[number];
const STAGE_LABEL: Record<BreakwaterStage, string> = { sflowMs: 'sflow', detectedMs: 'detect', stageSelectedMs: 'stage', handedMs: 'handed', routeMs: 'route' };

/** p50/p95 of every stage from the first packet, and of each step from the stage before it. */
function stageSummaries<S extends string>(stages: readonly S[], rows: readonly Partial<Record<S, number>>[]): { fromFirstPacket: Record<S, Summary>; steps: Record<string, Summary> } {
  const fromFirstPacket = Object.fromEntries(stages.map((s) => [s, summarize(rows.map((r) => r[s]))])) as Record<S, Summary>;
  const steps: Record<string, Summary> = {};
  stages.forEach((s, i) => {
    const before = i === 0 ? undefined : stages[i - 1]!;
    const name = `${before === undefined ? 'firstPacket' : before.replace(/Ms$/, '')}->${s.replace(/Ms$/, '')}`;
    steps[name] = summarize(rows.map((r) => (r[s] === undefined ? undefined : before === undefined ? r[s] : r[before] === undefined ? undefined : r[s]! - r[before]!)));
  });
  return { fromFirstPacket, steps };
}

/** Waits (bounded) until detection trusts its slow rates, printing progress; returns what /health said. */
async function waitForQuietRule(lab: Lab): Promise<{ trusted: boolean; trustedFrom: string | null; waitedMs: number }> {
  const begun = Date.now();
  let lastLog = 0;
  for (;;) {
    const detection = (lab.applianceHealth().detection ?? {}) as { quietRule?: { enabled: boolean; trusted: boolean; trustedFrom: string | null } };
    const rule = detection.quietRule;
    const waitedMs = Date.now() - begun;
    if (rule === undefined || !rule.enabled) {
      log('  warm: the quiet-before rule is off in this appliance; flooding now');
      return { trusted: false, trustedFrom: null, waitedMs };
    }
    if (rule.trusted) {
      log(`  warm: detection trusts its slow rates since ${rule.trustedFrom} (waited ${Math.round(waitedMs / 1000)} s)`);
      return { trusted: true, trustedFrom: rule.trustedFrom, waitedMs };
    }
    if (waitedMs > 240_000) throw new Error(`detection did not trust its slow rates within 240 s (trusted from ${rule.trustedFrom})`);
    if (Date.now() - lastLog >= 15_000) {
      lastLog = Date.now();
      log(`  warm: waiting for detection to trust its slow rates (from ${rule.trustedFrom}; ${Math.round(waitedMs / 1000)} s so far)`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function main(): Promise<void> {
  log(`bench/e2e: UDP flood at ${MULTIPLES.map((m) => `${m}x`).join(' and ')} a ${THRESHOLD} pps threshold, sFlow 1:${SAMPLING} from pmacctd, ${REPS} repetitions each, Breakwater${WITH_FNM ? ' and FastNetMon 1.2.4' : ''}`);
  const lab = await Lab.start({ label: 'bench', samplingRate: SAMPLING, thresholds: { hostPps: THRESHOLD, blockPps: 1e9 }, runbook: 'flowspec-first', speaker: SPEAKER, fastnetmon: WITH_FNM, agent: false, log: (l) => log(`  lab: ${l}`) });
  let fnm: OwnedProcess | undefined;
  let gobgpd: OwnedProcess | undefined;
  let notifyLog = '';
  let sflowToBreakwater: SflowCapture | undefined;
  let sflowToFastnetmon: SflowCapture | undefined;
  try {
    if (WITH_FNM) {
      const ns = lab.topology.fastnetmon!;
      const link = lab.topology.links.fastnetmon!;
      const dir = join(lab.dir, 'fastnetmon');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'gobgpd.toml'), gobgpdConfig(link.b.ipv4, link.a.ipv4));
      log('  lab: starting gobgpd and FastNetMon in their namespace');
      gobgpd = spawnOwned('/usr/bin/gobgpd', ['-f', join(dir, 'gobgpd.toml'), '-t', 'toml', '--api-hosts', '127.0.0.1:50051', '--pprof-disable', '-l', 'warn'], { netns: ns });
      // disable_usage_report = on (bench/support/fastnetmon.ts); the namespace's only route leads to the router.
      const files = writeFastnetmonFiles({
        dir,
        networks: ['100.64.128.0/24'],
        sflowHost: link.b.ipv4,
        sflowPort: 6343,
        averageSeconds: 1,
        banThresholdPps: THRESHOLD,
        recordNotify: true,
        gobgp: { nextHop: link.b.ipv4, community: '65535:666' },
      });
      notifyLog = files.notifyLogPath;
      fnm = spawnOwned(FASTNETMON_BIN, files.args, { netns: ns });
      await eventually('the BGP session router <-> gobgpd', 30_000, async () => ((await lab.router.sessionUp(FASTNETMON_PEER)) ? true : undefined), 200);
      await eventually('FastNetMon to take sFlow', 15_000, () => {
        if (fnm!.exited()) throw new Error(`fastnetmon exited:\n${fnm!.output()}\n${readFileSync(files.logPath, 'utf8').slice(-2000)}`);
        return /sflow/i.test(readFileSync(files.logPath, 'utf8')) ? true : undefined;
      }, 200);
    }
    // sFlow leaving the router for each collector, on the router's side of its link.
    sflowToBreakwater = await SflowCapture.start(lab.topology.router, lab.topology.links.appliance.a.ifname, lab.topology.links.appliance.b.ipv4, SFLOW_PORT);
    if (WITH_FNM) sflowToFastnetmon = await SflowCapture.start(lab.topology.router, lab.topology.links.fastnetmon!.a.ifname, lab.topology.links.fastnetmon!.b.ipv4, SFLOW_PORT);
    const meters = { breakwater: new UsageMeter(() => lab.appliancePid()), ...(fnm ? { fastnetmon: new UsageMeter(() => fnm!.pid) } : {}) };
    await new Promise((r) => setTimeout(r, 2_000));
    const quietRule = values['no-warm'] ? undefined : await waitForQuietRule(lab);

    const trials: Trial[] = [];
    let victimIndex = 0;
    for (let rep = 1; rep <= REPS; rep++) {
      for (const multiple of MULTIPLES) {
        const victim = `100.64.128.${100 + victimIndex++}`;
        const pps = multiple * THRESHOLD;
        const seconds = FLOOD_SECONDS[multiple] ?? 6;
        const trial: Trial = { multiple, pps, victim, startedAt: 0, bw: {}, fnm: {} };
        trials.push(trial);
        log(`  rep ${rep}/${REPS}, ${multiple}x: ${pps} pps on ${victim} for ${seconds} s`);
        const probe = await firstPacketProbe(lab, victim);
        for (const m of Object.values(meters)) m.begin();
        const replaying = lab.replayFrames(`flood-${victim}`, benchFloodFrames(victim), [{ pps, seconds }], (_, at) => (trial.startedAt = at));
        replaying.catch(() => undefined);
        // Poll the router's tables until both systems' routes are there (or the flood is over and a bit).
        const deadline = Date.now() + seconds * 1000 + 3_000;
        while (Date.now() < deadline && (trial.bw.routeMs === undefined || (WITH_FNM && trial.fnm.routeMs === undefined))) {
          if (trial.startedAt > 0) {
            if (trial.bw.routeMs === undefined) {
              const rules = await lab.router.bird.showRoutes({ table: 'flowtab4', protocol: APPLIANCE_PEER });
              if (rules.some((r) => (r.flow?.rule ?? r.network).includes(`${victim}/32`))) trial.bw.routeMs = Date.now();
            }
            if (WITH_FNM && trial.fnm.routeMs === undefined) {
              const routes = await lab.router.bird.showRoutes({ table: 'master4', protocol: FASTNETMON_PEER });
              if (routes.some((r) => r.network === `${victim}/32`)) trial.fnm.routeMs = Date.now();
            }
          }
          for (const m of Object.values(meters)) m.sample();
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        const replayed = await replaying;
        trial.packets = replayed.packets;
        trial.achievedPps = Math.round(replayed.packets / ((replayed.endedAt - replayed.startedAt) / 1000));
        trial.load1 = round1(loadavg()[0]!);
        for (const m of Object.values(meters)) m.end();
        // Time 0: the first packet on the wire (tcpreplay's spawn time if the capture failed, and said so).
        trial.firstPacketAt = await probe.at;
        const t0 = trial.firstPacketAt ?? trial.startedAt;
        if (trial.firstPacketAt === undefined) log('    (no first-packet capture: timing from tcpreplay spawn)');
        const rel = (at: number | undefined): number | undefined => (at === undefined ? undefined : Math.round(at - t0));
        trial.bw.routeMs = rel(trial.bw.routeMs);
        trial.fnm.routeMs = rel(trial.fnm.routeMs);
        trial.bw.sflowMs = rel(sflowToBreakwater.firstFor(victim));
        const started = lab.log().find((r) => r.msg.startsWith('attack started: ') && r.msg.endsWith(` on ${victim}`));
        trial.bw.detectedMs = rel(started?.time);
        trial.bw.stageSelectedMs = rel((await lab.audit(['--target', victim, '--action', 'stage.selected']))[0]?.at);
        const handed = started === undefined ? undefined : lab.log().find((r) => r.msg === 'route handed to the daemon' && r.owner === started.attack);
        trial.bw.handedMs = rel(typeof handed?.handedAt === 'number' ? handed.handedAt : undefined);
        if (WITH_FNM) {
          trial.fnm.sflowMs = rel(sflowToFastnetmon?.firstFor(victim));
          trial.fnm.detectedMs = rel(readFastnetmonBans(notifyLog).get(victim));
        }
        const show = (x: Partial<Record<string, number>>, stages: readonly string[]): string => stages.map((s) => `${s.replace(/Ms$/, '')} ${x[s] ?? '-'}`).join(', ');
        log(`    breakwater: ${show(trial.bw, BW_STAGES)} ms${WITH_FNM ? `; fastnetmon: ${show(trial.fnm, FNM_STAGES)} ms` : ''} (first packet ${trial.firstPacketAt !== undefined ? trial.firstPacketAt - trial.startedAt : '?'} ms after tcpreplay's spawn; ${trial.achievedPps} pps; load ${loadavg()[0]!.toFixed(1)})`);
        await new Promise((r) => setTimeout(r, GAP_MS));
      }
    }

    const result: Record<string, unknown> = {
      benchmark: 'e2e',
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, kernel: release(), loadavg: loadavg().map(round1) },
      command: `npm run bench:e2e -- --reps ${REPS} --threshold ${THRESHOLD} --sampling ${SAMPLING} --multiples ${MULTIPLES.join(',')} --speaker ${SPEAKER}${values['no-warm'] ? ' --no-warm' : ''}`,
      quietRule: quietRule ?? 'not waited for (--no-warm)',
      setup: {
        traffic: 'UDP flood (512-byte frames, spoofed 198.18.0.0/15 sources) replayed by tcpreplay in the src namespace through the router namespace',
        sflow: `pmacctd 1.7.7 sfprobe on the router's transit interface, 1:${SAMPLING}, one plugin per collector`,
        threshold: `${THRESHOLD} pps per host (Breakwater detection.thresholds.total.pps; FastNetMon threshold_pps, average_calculation_time 1)`,
        scaling: `${THRESHOLD / SAMPLING} samples/s per threshold, as 20,000 pps at 1:1000`,
        breakwater: `breakwater start, FlowSpec discard at once (runbook flowspec-first) through its ${SPEAKER} speaker`,
        fastnetmon: 'FastNetMon 1.2.4 (Debian), sFlow, ban_for_pps, GoBGP integration announcing the /32 with 65535:666 through gobgpd',
        start: 'time 0 is the first attack packet, captured by tshark on the source interface (tcpreplay sends it ~100 ms after being spawned)',
        stages: {
          sflowMs: "the first sFlow datagram with a sample of the victim leaving the router for that collector (tshark on the router's side of its link)",
          detectedMs: "Breakwater: the 'attack started' log line; FastNetMon: its notify script called for the ban",
          stageSelectedMs: 'Breakwater: the audit entry stage.selected (the runbook engine chose the FlowSpec stage)',
          handedMs: "Breakwater: its speaker handing the route to the daemon, after the desired state is on disk (log 'route handed to the daemon')",
          routeMs: "the route for the victim in the router's table (Breakwater's FlowSpec rule in flowtab4, FastNetMon's /32 in master4)",
        },
        pollMs: POLL_MS,
      },
      trials,
    };
    const scenarios: Record<string, unknown> = {};
    for (const multiple of MULTIPLES) {
      const mine = trials.filter((t) => t.multiple === multiple);
      const bwStages = stageSummaries(BW_STAGES, mine.map((t) => t.bw));
      const bw = { detection: bwStages.fromFirstPacket.detectedMs, route: bwStages.fromFirstPacket.routeMs, stages: bwStages };
      const fnStages = WITH_FNM ? stageSummaries(FNM_STAGES, mine.map((t) => t.fnm)) : undefined;
      const fn = fnStages ? { detection: fnStages.fromFirstPacket.detectedMs, route: fnStages.fromFirstPacket.routeMs, stages: fnStages } : undefined;
      const target = multiple >= 10 ? 500 : 1000;
      scenarios[`${multiple}x`] = {
        pps: multiple * THRESHOLD,
        achievedPps: summarize(mine.map((t) => t.achievedPps)),
        breakwater: bw,
        ...(fn ? { fastnetmon: fn, medianSpeedup: round1(fn.route.p50 / bw.route.p50) } : {}),
        targets: {
          [`breakwater route p95 < ${target} ms`]: bw.route.missed === 0 && bw.route.p95 < target,
          ...(fn ? { 'breakwater route median >= 2.5x faster than FastNetMon': bw.route.missed === 0 && fn.route.p50 / bw.route.p50 >= 2.5 } : {}),
        },
      };
    }
    result.scenarios = scenarios;
    result.sflowDatagrams = Object.fromEntries(
      Object.entries({ breakwater: sflowToBreakwater, fastnetmon: sflowToFastnetmon })
        .filter(([, c]) => c !== undefined)
        .map(([k, c]) => [k, { datagrams: c!.datagrams, samplesPerDatagram: round1(c!.samples / Math.max(1, c!.datagrams)) }]),
    );
    result.usageDuringFloods = Object.fromEntries(Object.entries(meters).map(([k, m]) => [k, m.result()]));

    console.log('\nbench/e2e: first attack packet -> detection / -> first mitigation route at the router (ms)');
    console.log('scenario  system       detect p50  p95    route p50  p95    missed');
    for (const [name, s] of Object.entries(scenarios) as [string, Record<string, { detection: Summary; route: Summary }>][]) {
      for (const system of ['breakwater', 'fastnetmon']) {
        const r = s[system];
        if (!r) continue;
        console.log(`${name.padEnd(9)} ${system.padEnd(12)} ${String(r.detection.p50).padStart(10)} ${String(r.detection.p95).padStart(5)}  ${String(r.route.p50).padStart(9)} ${String(r.route.p95).padStart(5)}    ${r.route.missed}`);
      }
      console.log(`          targets: ${JSON.stringify((s as unknown as { targets: unknown }).targets)}`);
    }
    console.log('\nstages, p50/p95 in ms: from the first attack packet, and (in brackets) the step from the stage before');
    for (const [name, s] of Object.entries(scenarios) as [string, Record<string, { stages: ReturnType<typeof stageSummaries> }>][]) {
      for (const system of ['breakwater', 'fastnetmon']) {
        const stages = s[system]?.stages;
        if (!stages) continue;
        const steps = Object.values(stages.steps);
        const cells = Object.entries(stages.fromFirstPacket).map(([stage, sum], i) => `${STAGE_LABEL[stage as BreakwaterStage]} ${sum.p50}/${sum.p95} (${steps[i]!.p50}/${steps[i]!.p95})`);
        console.log(`${name.padEnd(9)} ${system.padEnd(12)} ${cells.join('  ')}`);
      }
    }
    console.log(`sFlow from pmacctd's sfprobe: ${JSON.stringify(result.sflowDatagrams)}`);
    console.log(`usage during the floods: ${JSON.stringify(result.usageDuringFloods)}`);
    const out = values.out ?? join(REPO_ROOT, 'bench/results', `e2e-${new Date().toISOString().slice(0, 10)}.json`);
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written: ${out}`);
    if (values['appliance-log'] !== undefined) {
      writeFileSync(values['appliance-log'], lab.log().map((r) => JSON.stringify(r)).join('\n') + '\n');
      console.log(`the appliance's log: ${values['appliance-log']}`);
    }
  } finally {
    await sflowToBreakwater?.stop();
    await sflowToFastnetmon?.stop();
    await fnm?.stop(3_000);
    await gobgpd?.stop(3_000);
    await lab.stop();
    cleanUpEverything();
  }
}

main().catch((err: unknown) => {
  log(`bench/e2e failed: ${(err as Error).stack ?? String(err)}`);
  cleanUpEverything();
  process.exit(1);
});
