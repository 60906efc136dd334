// bench/ingest: the highest rate of sFlow flow samples/s that each receiver takes with no loss, on this
// machine, with one generator. Receivers: Breakwater's intake (in-process and with decoder workers),
// FastNetMon 1.2.4 and pmacct's sfacctd. Each runs alone in its own network namespace (only loopback up, so
// no route off the machine; kernel UDP counters are per namespace), the generator (sflow-replay.c, sendmmsg,
// replaying datagrams our TS encoder wrote) runs in the same namespace, and the rate is stepped up.
// A step is lossless when the namespace's UdpRcvbufErrors/InErrors did not move AND the receiver's own count
// of flow samples grew by exactly what was sent (FastNetMon: its Prometheus counter; sfacctd: kernel only).
//
// Usage: npm run bench:ingest -- [--rates 50000,100000,...] [--step-seconds 3] [--only breakwater,fastnetmon]
// Writes bench/results/ingest-<date>.json. Needs root (ip netns), gcc, fastnetmon, sfacctd.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SflowStream, writeReplayFile, type ReplayFileInfo } from '../../appliance/src/synthetic/sflow-generator.js';
import { FASTNETMON_BIN, writeFastnetmonFiles } from '../support/fastnetmon.js';

const root = new URL('../../', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '50000,100000,200000,400000,600000,800000,900000,1000000,1100000,1200000,1500000,2000000' },
    'step-seconds': { type: 'string', default: '3' },
    only: { type: 'string' },
    out: { type: 'string' },
    // CPU list for the generator and for the receiver (taskset -c); "" leaves the scheduler free.
    'generator-cpus': { type: 'string', default: '0' },
    'receiver-cpus': { type: 'string', default: '1' },
    // For receivers that use more than one core (receive threads, decoder workers): "" leaves them free.
    'threaded-cpus': { type: 'string', default: '' },
    // Longest wait for a quiet machine before each receiver and each step (a shared machine may never be).
    'quiet-seconds': { type: 'string', default: '60' },
  },
});
const quietSeconds = Number(values['quiet-seconds']);
const threadedCpus = values['threaded-cpus']!;
const generatorCpus = values['generator-cpus']!;
const receiverCpus = values['receiver-cpus']!;
/**
 * Prefixes a command with taskset when a CPU list is given, and with nice -n -10 always: this is a shared
 * development machine, and a receiver descheduled for ~15 ms overflows its 4 MiB buffer at 1 M samples/s.
 * Every receiver and the generator get the same treatment.
 */
function pinned(cpus: string, cmd: string, args: string[]): [string, string[]] {
  const inner = cpus === '' ? [cmd, ...args] : ['taskset', '-c', cpus, cmd, ...args];
  return ['nice', ['-n', '-10', ...inner]];
}
const rates = values.rates!.split(',').map(Number);
const stepSeconds = Number(values['step-seconds']);
const only = values.only?.split(',');
const PORT = 6343;
const work = mkdtempSync(join(tmpdir(), 'bw-ingest-'));
const namespaces = new Set<string>();
const groups = new Set<number>();

// ---------- cleanup: namespaces and process groups we made, even on failure or Ctrl-C ----------
function cleanup(): void {
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
  groups.clear();
  for (const ns of namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  namespaces.clear();
  rmSync(work, { recursive: true, force: true });
}
function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // group already gone
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}
process.on('exit', cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function netns(name: string): string {
  const ns = `bw-ingest-${process.pid}-${name}`;
  execFileSync('ip', ['netns', 'add', ns]);
  namespaces.add(ns);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  return ns;
}

function deleteNetns(ns: string): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } finally {
    namespaces.delete(ns);
  }
}

/** UDP error counters of the namespace a process lives in (IPv4 + IPv6). */
function udpDrops(pid: number): number {
  let drops = 0;
  const snmp = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = snmp[0]!.split(/\s+/);
  const vals = snmp[1]!.split(/\s+/);
  // InErrors includes RcvbufErrors (receive buffer full) and checksum/memory errors: any of them is loss.
  drops += Number(vals[names.indexOf('InErrors')]);
  for (const line of readFileSync(`/proc/${pid}/net/snmp6`, 'utf8').split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k === 'Udp6InErrors') drops += Number(v);
  }
  return drops;
}

/** CPU seconds and RSS of every process in a process group (a receiver and its workers/plugins). */
function groupUsage(pgid: number): { cpuSeconds: number; rssBytes: number } {
  const tick = 100;
  let cpu = 0;
  let rss = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    cpu += (Number(fields[11]) + Number(fields[12])) / tick;
    rss += Number(fields[21]) * 4096;
  }
  return { cpuSeconds: cpu, rssBytes: rss };
}

// ---------- receivers ----------
interface Receiver {
  name: string;
  ns: string;
  child: ChildProcess;
  /** Flow samples the receiver itself says it processed; undefined when it has no such counter. */
  ownCount(): Promise<number | undefined>;
  stop(): Promise<void>;
}

function spawnInNs(ns: string, command: string, commandArgs: string[], logFile: string, stdin: 'pipe' | 'ignore' = 'ignore', cpus = receiverCpus): ChildProcess {
  const [cmd, args] = pinned(cpus, command, commandArgs);
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    detached: true,
    stdio: [stdin, stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe'],
    cwd: root,
  });
  groups.add(child.pid!);
  const err: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  child.on('exit', () => writeFileSync(logFile, Buffer.concat(err)));
  return child;
}

async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  const pgid = child.pid!;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    killGroup(pgid, 'SIGTERM');
    await Promise.race([exited, sleep(graceMs)]);
  }
  // Plugins and workers of the group that outlived their parent.
  killGroup(pgid, 'SIGKILL');
  groups.delete(pgid);
}

async function startBreakwater(name: string, workers: number, receiveWith: 'recvmmsg' | 'dgram', receiveThreads = 0, detection: '' | 'detection' | 'detection-thread' = '', capture = false): Promise<Receiver> {
  const ns = netns(name);
  // Decoder workers, receive threads and the detection thread exist to use more than one core: pinning them to the
  // receiver's one core would defeat them.
  const args = ['bench/ingest/breakwater-receiver.ts', `127.0.0.1:${PORT}`, String(workers), receiveWith, String(receiveThreads), detection, capture ? 'capture' : ''];
  const child = spawnInNs(ns, process.execPath, ['--conditions=source', '--import', 'tsx', ...args], join(work, `${name}.log`), 'pipe', workers > 0 || receiveThreads > 0 || detection === 'detection-thread' ? threadedCpus : receiverCpus);
  const lines: Interface = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = (timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name}: no answer`)), timeoutMs);
      waiting.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
  await next(20_000);
  return {
    name,
    ns,
    child,
    async ownCount() {
      child.stdin!.write('stats\n');
      const s = JSON.parse(await next(5000)) as { flowSamples: number; counted: number; detectionThread?: { dropped: { batches: number; samples: number } } };
      // Both must agree: decoded-and-accounted and counted per destination (by the table, or by detection).
      if (s.counted === s.flowSamples) return s.counted;
      const dropped = s.detectionThread?.dropped;
      console.log(`  (${name}: the intake applied ${s.flowSamples} samples, ${s.counted} were counted${dropped ? `; the detection thread dropped ${dropped.batches} batches, ${dropped.samples} samples` : ''})`);
      return -1;
    },
    async stop() {
      child.stdin!.end('stop\n');
      await stopChild(child);
      deleteNetns(ns);
    },
  };
}

async function startFastnetmon(): Promise<Receiver> {
  const name = 'fastnetmon';
  const ns = netns(name);
  const dir = join(work, name);
  mkdirSync(dir);
  // Everything but sFlow input and its Prometheus counters is off (bench/support/fastnetmon.ts).
  const files = writeFastnetmonFiles({ dir, networks: ['198.18.0.0/15'], sflowHost: '127.0.0.1', sflowPort: PORT, averageSeconds: 5, processOutgoing: true, prometheusPort: 9209 });
  const child = spawnInNs(ns, FASTNETMON_BIN, files.args, join(work, `${name}.log`));
  const metric = async (): Promise<number | undefined> => {
    try {
      const text = execFileSync('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '2', 'http://127.0.0.1:9209/metrics'], { encoding: 'utf8' });
      const m = /^fastnetmon_total_simple_packets_processed (\d+)/m.exec(text);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  };
  for (let i = 0; i < 50 && (await metric()) === undefined; i++) await sleep(200);
  return { name, ns, child, ownCount: metric, async stop() { await stopChild(child); deleteNetns(ns); } };
}

async function startSfacctd(): Promise<Receiver> {
  const name = 'sfacctd';
  const ns = netns(name);
  const dir = join(work, name);
  mkdirSync(dir);
  // print plugin aggregating per destination host, with big pipes so the plugin is not the bottleneck.
  writeFileSync(
    join(dir, 'sfacctd.conf'),
    `daemonize: false
sfacctd_ip: 127.0.0.1
sfacctd_port: ${PORT}
sfacctd_pipe_size: 33554432
plugins: print[dst]
aggregate[dst]: dst_host
print_output[dst]: csv
print_output_file[dst]: ${dir}/dst-%s.csv
print_refresh_time[dst]: 5
plugin_pipe_size[dst]: 134217728
plugin_buffer_size[dst]: 65536
logfile: ${dir}/sfacctd.log
`,
  );
  const child = spawnInNs(ns, '/usr/sbin/sfacctd', ['-f', join(dir, 'sfacctd.conf')], join(work, `${name}.log`));
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    if (readFileSafe(join(dir, 'sfacctd.log')).includes('waiting for sFlow data')) break;
  }
  return { name, ns, child, ownCount: async () => undefined, async stop() { await stopChild(child); deleteNetns(ns); } };
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

// ---------- generator ----------
function compileReplayer(): string {
  const bin = join(work, 'sflow-replay');
  execFileSync('gcc', ['-O2', '-Wall', '-o', bin, join(root, 'bench/ingest/sflow-replay.c')]);
  return bin;
}

interface ReplayResult { sent: number; attempted: number; errors: number; elapsedNs: number; loops: number }

function replay(bin: string, file: string, ns: string, datagramsPerSecond: number, seconds: number, startAt: number): Promise<ReplayResult> {
  return new Promise((resolve, reject) => {
    const [cmd, args] = pinned(generatorCpus, bin, [file, '127.0.0.1', String(PORT), String(datagramsPerSecond), String(seconds), '0', String(startAt)]);
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    groups.add(child.pid!);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      groups.delete(child.pid!);
      if (code !== 0) reject(new Error(`sflow-replay exited with ${code}`));
      else resolve(JSON.parse(out) as ReplayResult);
    });
  });
}

function samplesIn(info: ReplayFileInfo, from: number, count: number): number {
  const at = (n: number) => Math.floor(n / info.datagrams) * info.flowSamples + info.flowSamplesBefore[n % info.datagrams]!;
  return at(from + count) - at(from);
}

/** CPU pressure (PSI "some avg10", % of time some task waited for a CPU): other work on the machine. */
function cpuPressure(): number {
  const m = /some avg10=([\d.]+)/.exec(readFileSafe('/proc/pressure/cpu'));
  return m ? Number(m[1]) : -1;
}

/** Waits (bounded) until the machine is quiet, so other people's builds do not decide the result. */
async function waitQuiet(maxSeconds = 180, what = 'receiver'): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < maxSeconds * 1000) {
    // PSI over 10 s reacts fast; the 1-minute load average only gates the start of a receiver.
    if (cpuPressure() < 10 && (what === 'step' || loadavg()[0]! < 1.5)) return;
    await sleep(1000);
  }
  console.log(`  (machine still busy after ${maxSeconds} s: load ${loadavg()[0]!.toFixed(2)}, CPU pressure ${cpuPressure()}%; measuring this ${what} anyway)`);
}

interface Step {
  targetSamplesPerSecond: number;
  /** CPU pressure from other work around the step (PSI some avg10, the higher of start and end). */
  cpuPressure: number;
  attempt: number;
  /** When a lossy step under CPU pressure was measured again: the first try. */
  firstAttempt?: Step;
  sentSamples: number;
  achievedSamplesPerSecond: number;
  kernelDrops: number;
  ownCount: number | undefined;
  lossless: boolean;
  generatorLimited: boolean;
  cpuPercent: number;
  rssMB: number;
}

async function measure(receiver: Receiver, bin: string, file: string, info: ReplayFileInfo): Promise<{ steps: Step[]; losslessSamplesPerSecond: number; highestLosslessStep: number }> {
  const steps: Step[] = [];
  const perDatagram = info.flowSamples / info.datagrams;
  let sentSoFar = 0;
  let lossySteps = 0;
  let best = 0;
  let highest = 0;
  let sawLoss = false;
  await sleep(500);
  for (const rate of rates) {
    // A step that lost samples while other work was pressing on the CPU is measured once more after the
    // machine calms down; both attempts are kept in the JSON.
    let step: Step | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      await waitQuiet(quietSeconds, 'step');
      const pid = receiver.child.pid!;
      const drops0 = udpDrops(pid);
      const own0 = await receiver.ownCount();
      const use0 = groupUsage(pid);
      const pressure0 = cpuPressure();
      const t0 = performance.now();
      const r = await replay(bin, file, receiver.ns, Math.round(rate / perDatagram), stepSeconds, sentSoFar);
      await sleep(1000); // let the receiver drain its socket buffer and update its counters
      const wall = (performance.now() - t0) / 1000;
      const use1 = groupUsage(pid);
      const drops = udpDrops(pid) - drops0;
      const own1 = await receiver.ownCount();
      const sent = samplesIn(info, sentSoFar, r.sent);
      sentSoFar += r.attempted;
      const own = own0 === undefined || own1 === undefined ? undefined : own1 - own0;
      const achieved = sent / (r.elapsedNs / 1e9);
      const generatorLimited = achieved < rate * 0.97;
      const lossless = drops === 0 && r.errors === 0 && (own === undefined || own === sent) && own1 !== -1;
      const previous = step;
      step = {
        targetSamplesPerSecond: rate,
        cpuPressure: Math.max(pressure0, cpuPressure()),
        attempt,
        sentSamples: sent,
        achievedSamplesPerSecond: Math.round(achieved),
        kernelDrops: drops,
        ownCount: own,
        lossless,
        generatorLimited,
        cpuPercent: Math.round(((use1.cpuSeconds - use0.cpuSeconds) / wall) * 100),
        rssMB: Math.round(use1.rssBytes / 1048576),
      };
      if (previous) step.firstAttempt = previous;
      console.log(
        `  ${receiver.name.padEnd(26)} ${String(rate).padStart(8)}/s  sent ${String(Math.round(achieved)).padStart(8)}/s  kernel drops ${String(drops).padStart(7)}  own ${own === undefined ? '   n/a' : String(own - sent).padStart(7)}  cpu ${String(step.cpuPercent).padStart(3)}%  rss ${step.rssMB} MB  psi ${String(Math.round(step.cpuPressure)).padStart(2)}%  ${lossless ? (generatorLimited ? 'lossless (generator-limited)' : 'lossless') : 'LOSS'}${attempt > 1 ? ' (2nd attempt)' : ''}`,
      );
      if (lossless || step.cpuPressure < 15) break;
    }
    steps.push(step!);
    const { lossless, generatorLimited } = step!;
    // Headline: the highest rate with every step up to it lossless. A lossless step above a lossy one (a
    // stall from other work on the machine) is kept in the steps and in highestLosslessStep.
    if (lossless && !generatorLimited) {
      highest = Math.max(highest, rate);
      if (!sawLoss) best = rate;
    }
    if (!lossless) sawLoss = true;
    lossySteps = lossless ? 0 : lossySteps + 1;
    if (lossySteps >= 2 || generatorLimited) break;
  }
  return { steps, losslessSamplesPerSecond: best, highestLosslessStep: highest };
}

/** What the generator alone can push: into a bound socket nobody reads (the kernel drops at the full buffer). */
async function generatorCeiling(bin: string, file: string, info: ReplayFileInfo): Promise<number> {
  const ns = netns('generator');
  const sink = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("127.0.0.1",${PORT}))\ntime.sleep(30)`], { detached: true, stdio: 'ignore' });
  groups.add(sink.pid!);
  await sleep(500);
  const r = await replay(bin, file, ns, 5_000_000, 2, 0);
  await stopChild(sink, 100);
  deleteNetns(ns);
  return samplesIn(info, 0, r.sent) / (r.elapsedNs / 1e9);
}

/** What Node's own sender (sendSflow, one socket.send per datagram) reaches, for comparison. */
async function nodeGeneratorCeiling(): Promise<number> {
  const ns = netns('node-generator');
  const sink = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("127.0.0.1",${PORT}))\ntime.sleep(30)`], { detached: true, stdio: 'ignore' });
  groups.add(sink.pid!);
  await sleep(500);
  // The sender runs in this process, so it enters the namespace through a small child of its own.
  const script = `import { SflowStream, sendSflow } from '../../appliance/src/synthetic/sflow-generator.ts';
const r = await sendSflow(new SflowStream({ destinations: 100000 }), { host: '127.0.0.1', port: ${PORT}, samplesPerSecond: 3000000, maxSeconds: 2 });
console.log(JSON.stringify(r));`;
  const file = join(root, `bench/ingest/.node-generator-${process.pid}.mts`);
  writeFileSync(file, script);
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns, ...pinned(generatorCpus, process.execPath, ['--import', 'tsx', file]).flat()], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { flowSamples: number; seconds: number };
    return r.flowSamples / r.seconds;
  } finally {
    rmSync(file, { force: true });
    await stopChild(sink, 100);
    deleteNetns(ns);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  console.log(`bench/ingest: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; work dir ${work}`);
  const bin = compileReplayer();
  execFileSync(process.execPath, [join(root, 'appliance/native/build.mjs')], { stdio: 'inherit' });
  const file = join(work, 'replay.bin');
  const stream = new SflowStream({ agents: 4, destinations: 100_000, seed: 7 });
  const info = await writeReplayFile(file, stream, 30_000);
  const perDatagram = info.flowSamples / info.datagrams;
  console.log(`replay file: ${info.datagrams} datagrams, ${info.flowSamples} flow samples (${perDatagram.toFixed(2)} per datagram), 100,000 destinations in 198.18.0.0/15`);
  const ceiling = await generatorCeiling(bin, file, info);
  console.log(`generator alone (sendmmsg, one process): ${Math.round(ceiling).toLocaleString('en')} flow samples/s`);
  const nodeCeiling = await nodeGeneratorCeiling();
  console.log(`Node's socket.send generator, for comparison: ${Math.round(nodeCeiling).toLocaleString('en')} flow samples/s`);

  const plan: [string, () => Promise<Receiver>][] = [
    ['breakwater', () => startBreakwater('breakwater', 0, 'recvmmsg')],
    // One receive thread (sflow.receiveThreads: auto on 2 cores): receive + decode in the thread, apply on the
    // main thread. The generator sends from one socket, so more threads would not share its datagrams.
    ['breakwater-threads-1', () => startBreakwater('breakwater-threads-1', 0, 'recvmmsg', 1)],
    // Detection attached as the appliance attaches it (batch listener on the main thread; no intake table).
    ['breakwater-detection', () => startBreakwater('breakwater-detection', 0, 'recvmmsg', 0, 'detection')],
    ['breakwater-threads-1-detection', () => startBreakwater('breakwater-threads-1-detection', 0, 'recvmmsg', 1, 'detection')],
    // Detection in its own thread (detection.thread): the receive thread's batches applied on the main thread, then
    // moved to the detection thread, which counts and ticks there; its drops (in-flight bound) count as loss.
    ['breakwater-threads-1-detection-thread', () => startBreakwater('breakwater-threads-1-detection-thread', 0, 'recvmmsg', 1, 'detection-thread')],
    // The same with the intake on the main thread: each batch is copied to the detection thread (the writer reuses its buffer).
    ['breakwater-detection-thread', () => startBreakwater('breakwater-detection-thread', 0, 'recvmmsg', 0, 'detection-thread')],
    // Capture on (FlowBatch header section, 128-byte snap, and the capture's rings on every batch): its ingest cost.
    ['breakwater-capture', () => startBreakwater('breakwater-capture', 0, 'recvmmsg', 0, '', true)],
    ['breakwater-dgram', () => startBreakwater('breakwater-dgram', 0, 'dgram')],
    ['breakwater-dgram-workers-2', () => startBreakwater('breakwater-dgram-workers-2', 2, 'dgram')],
    ['fastnetmon', startFastnetmon],
    ['sfacctd', startSfacctd],
  ];
  const results: Record<string, { steps: Step[]; losslessSamplesPerSecond: number; highestLosslessStep: number }> = {};
  const loads: number[][] = [loadavg()];
  for (const [name, start] of plan) {
    if (only && !only.includes(name)) continue;
    await waitQuiet(quietSeconds);
    console.log(`${name}: (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    const receiver = await start();
    try {
      results[name] = await measure(receiver, bin, file, info);
    } finally {
      await receiver.stop();
    }
    loads.push(loadavg());
  }

  console.log('\nreceiver                     lossless samples/s (all steps up to it)   highest lossless step   CPU there   RSS');
  for (const [name, r] of Object.entries(results)) {
    const at = r.steps.find((s) => s.targetSamplesPerSecond === r.losslessSamplesPerSecond);
    console.log(`${name.padEnd(28)} ${r.losslessSamplesPerSecond.toLocaleString('en').padStart(38)}   ${r.highestLosslessStep.toLocaleString('en').padStart(21)}   ${String(at?.cpuPercent ?? '-').padStart(8)}%   ${at?.rssMB ?? '-'} MB`);
  }
  const date = started.toISOString().slice(0, 10);
  const out = values.out ?? join(root, `bench/results/ingest-${date}.json`);
  const result = {
    date: started.toISOString(),
    command: `npm run bench:ingest -- --rates ${rates.join(',')} --step-seconds ${stepSeconds} --generator-cpus '${generatorCpus}' --receiver-cpus '${receiverCpus}' --threaded-cpus '${threadedCpus}' --quiet-seconds ${quietSeconds}${only ? ` --only ${only.join(',')}` : ''}`,
    pinning: { generatorCpus, receiverCpus, threadedCpus },
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, kernel: release(), node: process.version, rmemMax: Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8')) },
    loadAverage: { atStart: loads[0], afterEachReceiver: loads.slice(1) },
    generator: { tool: 'bench/ingest/sflow-replay.c (sendmmsg)', ceilingSamplesPerSecond: Math.round(ceiling), nodeSendCeilingSamplesPerSecond: Math.round(nodeCeiling), datagrams: info.datagrams, samplesPerDatagram: Number(perDatagram.toFixed(2)), destinations: 100_000 },
    stepSeconds,
    receivers: results,
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    cleanup();
    process.exit(1);
  },
);
