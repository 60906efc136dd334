// bench/api: how fast the REST API answers the dashboard while the appliance ingests sFlow, and whether serving
// it costs the intake anything. One appliance (bench/api/api-appliance.ts: intake, detection, engine, history
// and the API on loopback) runs alone in a network namespace (only loopback up), with bench/ingest's generator
// (sflow-replay.c, sendmmsg) sending the replay file at a fixed rate, and the load client (bench/api/load.ts:
// keep-alive connections asking /traffic/summary, /traffic/top, /attacks?active=true, /mitigations and /health
// in turn, plus one live-stream client) in the same namespace. After a warm-up (--warmup-seconds of ingest, no
// API load, reported apart), three phases of the same length, each bounded:
//   api alone      the load client, no sFlow: the API's latency on an idle appliance (the peer of the next one)
//   ingest alone   the generator, no API requests: the intake's loss at this rate without the API
//   ingest + api   both at once: the API's latency under ingest, and the intake's loss with the API busy
// Loss is the namespace's kernel UDP InErrors (receive buffer overflows) plus samples the intake did not count.
//
// With --ceiling RATES (ascending, comma-separated) the last two phases are run at every rate in turn instead, in
// alternating order (alone first at the 1st, 3rd, … rate, with the API first at the others): the highest rate
// lossless at it and every rate below, with and without the API, is the ingest throughput each way. "No loss of
// ingest throughput" is the one with the API not lower than the one without.
//
// Usage: npm run bench:api -- [--rate 400000] [--ceiling 500000,600000,…] [--seconds 10] [--concurrency 8] [--request-rate 0] [--streams 1] [--appliance-cpus LIST] [--client-cpus 0] [--client-nice=-10] [--detection-thread] [--no-capture] [--generator sleep|spin] [--generator-tick-us 1000] [--warmup-seconds 5] [--cpu-prof DIR]
// --streams K: K live-stream clients (open dashboards), each timing every `traffic` event.
// --request-rate N: the load client sends N requests/s on a fixed schedule (open loop, as dashboards polling on
// a timer do; latency from each request's scheduled time); 0 (default): as fast as the connections are answered.
// --detection-thread: the appliance runs detection in its own thread (detection.thread: true; default: on the main
// thread); samples the detection thread did not count (dropped at its in-flight bound) count as lost.
// Writes bench/results/api-<date>.json (api-<date>-detection-thread.json with --detection-thread). Needs root (ip netns) and gcc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SflowStream, writeReplayFile, type ReplayFileInfo } from '../../appliance/src/synthetic/sflow-generator.js';
import { threadCpu } from '../support/thread-cpu-time.js';

const root = new URL('../../', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '400000' },
    ceiling: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    'request-rate': { type: 'string', default: '0' },
    streams: { type: 'string', default: '1' },
    out: { type: 'string' },
    // As bench/ingest for receivers that use more than one core: the appliance free (""), the generator and the
    // load client on core 0.
    'appliance-cpus': { type: 'string', default: '' },
    'client-cpus': { type: 'string', default: '0' },
    'client-nice': { type: 'string', default: '-10' },
    // sleep: the generator sleeps between sends (SFLOW_REPLAY_SLEEP=1, sflow-replay.c); spin: it spins, as in
    // bench/ingest, and the load client sharing its core is delayed by it (the client measures that as latency).
    generator: { type: 'string', default: 'sleep' },
    // With --generator sleep: the least time it sleeps between sends (SFLOW_REPLAY_TICK_US). Waking for every few
    // datagrams cost it 76–95 % of a core in kernel time at 400–600 k samples/s on the 2-vCPU VM; 1 ms, ~40 %.
    'generator-tick-us': { type: 'string', default: '1000' },
    'detection-thread': { type: 'boolean', default: false },
    'no-capture': { type: 'boolean', default: false },
    // Ingest at the rate, without API load, before the measured phases (reported as 'warm-up'); 0: none.
    'warmup-seconds': { type: 'string', default: '5' },
    // Writes V8 CPU profiles of the appliance's threads (main and workers) to this directory when it stops.
    'cpu-prof': { type: 'string' },
  },
});
const ceilingRates = values.ceiling === undefined ? [] : values.ceiling.split(',').map(Number);
if (ceilingRates.some((r, i) => !(r > 0) || (i > 0 && r <= ceilingRates[i - 1]!))) throw new Error(`--ceiling takes ascending rates, not ${values.ceiling}`);
const rate = ceilingRates[0] ?? Number(values.rate);
const seconds = Math.min(Number(values.seconds), 60);
const concurrency = Math.min(Number(values.concurrency), 64);
const requestRate = Math.max(0, Number(values['request-rate']));
const streams = Math.min(Math.max(1, Number(values.streams)), 256);
const detectionThread = values['detection-thread'] === true;
const warmupSeconds = Math.min(Math.max(0, Number(values['warmup-seconds'])), 60);
const SFLOW_PORT = 6343;
const API_PORT = 18080;
const work = mkdtempSync(join(tmpdir(), 'bw-api-bench-'));
const ns = `bw-api-${process.pid}`;
const children = new Set<ChildProcess>();
let nsMade = false;

function cleanup(): void {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  if (nsMade) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    nsMade = false;
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('exit', cleanup);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU of the main thread, the detection thread and the rest between two threadCpu readings, in % of one core. */
function cpuShares(before: ReturnType<typeof threadCpu>, after: ReturnType<typeof threadCpu>, wallMs: number, mainTid: number, detectionTid: number): { main: number; mainSystem: number; detection: number; other: number } {
  const used = (tid: number) => (after.get(tid)?.ns ?? 0) - (before.get(tid)?.ns ?? 0);
  // The main thread's kernel time: its receive system calls (recvmmsg copying the datagrams out), mostly.
  const mainSystem = (after.get(mainTid)?.systemNs ?? 0) - (before.get(mainTid)?.systemNs ?? 0);
  let all = 0;
  for (const tid of after.keys()) all += used(tid);
  const pct = (ns: number) => Math.round((ns / 1e6 / wallMs) * 100);
  const main = used(mainTid);
  const detection = detectionTid > 0 ? used(detectionTid) : 0;
  return { main: pct(main), mainSystem: pct(mainSystem), detection: pct(detection), other: pct(all - main - detection) };
}

if (values.generator !== 'sleep' && values.generator !== 'spin') throw new Error(`--generator is sleep or spin, not ${values.generator}`);
if (values.generator === 'sleep') {
  process.env.SFLOW_REPLAY_SLEEP = '1';
  process.env.SFLOW_REPLAY_TICK_US = String(Math.max(0, Number(values['generator-tick-us'])));
}

function spawnInNs(command: string, args: string[], stdin: 'pipe' | 'ignore', cpuList: string, nice = -10): ChildProcess {
  const pinned = cpuList === '' ? [command, ...args] : ['taskset', '-c', cpuList, command, ...args];
  const child = spawn('ip', ['netns', 'exec', ns, 'nice', '-n', String(nice), ...pinned], { detached: true, stdio: [stdin, 'pipe', 'pipe'], cwd: root });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function finished(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err.slice(-2000)}`))));
  });
}

/** UDP error counters of the namespace a process lives in. */
function udpDrops(pid: number): number {
  const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  return Number(lines[1]!.split(/\s+/)[names.indexOf('InErrors')]);
}

function samplesIn(info: ReplayFileInfo, from: number, count: number): number {
  const at = (n: number) => Math.floor(n / info.datagrams) * info.flowSamples + info.flowSamplesBefore[n % info.datagrams]!;
  return at(from + count) - at(from);
}

function cpuPressure(): number {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  errors: number;
  statuses: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
  endpoints: Record<string, { requests: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null }>;
  sse: { events: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null };
  cpuPercent: number;
}

interface Phase {
  name: string;
  /** The rate the generator was asked for (samples/s). */
  targetRate?: number;
  ingest?: { rate: number; sentSamples: number; countedSamples: number; detectedSamples: number; kernelDrops: number; missing: number; lossless: boolean; destinations: number; maxTrafficSampleMs: number; loopDelayP99Ms: number; loopDelayMaxMs: number; cpu: { main: number; mainSystem: number; detection: number; other: number }; generatorCpu: { user: number; system: number }; detectionMessagesPerSecond: number; batchesPerMessage: number; intakeDrops: Record<string, number> };
  api?: LoadResult;
  cpuPressure: number;
}

async function main(): Promise<void> {
  const started = new Date();
  console.log(`bench/api: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; rate ${rate.toLocaleString('en')} samples/s, ${seconds} s per phase, ${concurrency} connections, ${requestRate > 0 ? `open loop at ${requestRate} requests/s` : 'closed loop (saturated)'}; detection ${detectionThread ? 'in its own thread' : 'on the main thread'}`);
  const bin = join(work, 'sflow-replay');
  execFileSync('gcc', ['-O2', '-Wall', '-o', bin, join(root, 'bench/ingest/sflow-replay.c')]);
  const file = join(work, 'replay.bin');
  const info = await writeReplayFile(file, new SflowStream({ agents: 4, destinations: 100_000, seed: 7 }), 30_000);
  const perDatagram = info.flowSamples / info.datagrams;

  execFileSync('ip', ['netns', 'add', ns]);
  nsMade = true;
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const profile = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']];
  const appliance = spawnInNs(process.execPath, [...profile, '--conditions=source', '--import', 'tsx', 'bench/api/api-appliance.ts', dataDir, String(SFLOW_PORT), String(API_PORT), detectionThread ? 'detection-thread' : 'detection', values['no-capture'] ? 'no-capture' : 'capture'], 'pipe', values['appliance-cpus']!);
  let applianceErr = '';
  appliance.stderr!.on('data', (d: Buffer) => (applianceErr = (applianceErr + d.toString()).slice(-4000)));
  const lines = createInterface({ input: appliance.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = (ms: number) =>
    new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the appliance did not answer: ${applianceErr}`)), ms);
      waiting.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
  const ready = JSON.parse(await next(60_000)) as { token: string; port: number };
  const stats = async () => {
    appliance.stdin!.write('stats\n');
    return JSON.parse(await next(5000)) as { flowSamples: number; counted: number; maxTrafficSampleMs: number; destinations: number; loopDelayP99Ms: number; loopDelayMaxMs: number; detectionTid: number; detectionMessages: number; detectionBatches: number; intakeDrops: Record<string, number> };
  };
  await sleep(2000);

  /**
   * Starts the load client, waits until it is ready (streams open), then starts its timed run; `result` is its report.
   * Its start-up is thus over before a phase beside it begins.
   */
  const startLoad = async (): Promise<{ result: Promise<LoadResult> }> => {
    const child = spawnInNs(process.execPath, ['--import', 'tsx', 'bench/api/load.ts', `http://127.0.0.1:${ready.port}`, ready.token, String(seconds), String(concurrency), String(requestRate), String(streams)], 'pipe', values['client-cpus']!, Number(values['client-nice']));
    const result = finished(child).then((out) => JSON.parse(out.trim().split('\n').pop()!) as LoadResult);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the load client was not ready within 30 s')), 30_000);
      const onData = (d: Buffer) => {
        if (!d.toString().includes('ready\n')) return;
        child.stdout!.off('data', onData);
        clearTimeout(timer);
        resolve();
      };
      child.stdout!.on('data', onData);
      result.catch((err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      });
    });
    child.stdin!.end('go\n');
    return { result };
  };
  let sentDatagrams = 0;
  const ingest = async (phaseSeconds = seconds, phaseRate = rate) => {
    const before = await stats();
    const dropsBefore = udpDrops(appliance.pid!);
    const cpuBefore = threadCpu(appliance.pid!);
    const cpuStart = performance.now();
    const out = await finished(spawnInNs(bin, [file, '127.0.0.1', String(SFLOW_PORT), String(Math.round(phaseRate / perDatagram)), String(phaseSeconds), '0', String(sentDatagrams)], 'ignore', values['client-cpus']!));
    const r = JSON.parse(out) as { sent: number; userNs: number; systemNs: number; elapsedNs: number };
    const sentSamples = samplesIn(info, sentDatagrams, r.sent);
    sentDatagrams += r.sent;
    await sleep(500);
    const after = await stats();
    const kernelDrops = udpDrops(appliance.pid!) - dropsBefore;
    const cpu = cpuShares(cpuBefore, threadCpu(appliance.pid!), performance.now() - cpuStart, appliance.pid!, after.detectionTid);
    const countedSamples = after.flowSamples - before.flowSamples;
    // Samples detection counted (in thread mode, what reached the thread: batches dropped at its bound are missing).
    const detectedSamples = after.counted - before.counted;
    return {
      rate: Math.round(sentSamples / phaseSeconds),
      sentSamples,
      countedSamples,
      detectedSamples,
      kernelDrops,
      missing: sentSamples - Math.min(countedSamples, detectedSamples),
      lossless: kernelDrops === 0 && countedSamples === sentSamples && detectedSamples === sentSamples,
      // Destinations counting holds, and the longest once-a-second read of them by the API's traffic history.
      destinations: after.destinations,
      maxTrafficSampleMs: Number(after.maxTrafficSampleMs.toFixed(2)),
      // The main thread's event-loop delay over the phase (monitorEventLoopDelay): what any request waits at worst.
      loopDelayP99Ms: Number(after.loopDelayP99Ms.toFixed(2)),
      loopDelayMaxMs: Number(after.loopDelayMaxMs.toFixed(2)),
      // Messages the main thread posted to the detection thread per second, and batches per message (thread mode).
      detectionMessagesPerSecond: Math.round((after.detectionMessages - before.detectionMessages) / phaseSeconds),
      batchesPerMessage: Number(((after.detectionBatches - before.detectionBatches) / Math.max(1, after.detectionMessages - before.detectionMessages)).toFixed(2)),
      // Datagrams the intake dropped itself, by reason (cumulative since start; zero reasons left out).
      intakeDrops: after.intakeDrops,
      // CPU of the appliance's threads over the phase (+ the 0.5 s after it), in % of one core.
      cpu,
      // The generator's own CPU over its run, in % of one core: on loopback its sendmmsg also does the receive
      // side's kernel work up to the appliance's socket, so this is what it leaves the appliance of the machine.
      generatorCpu: { user: Math.round((r.userNs / r.elapsedNs) * 100), system: Math.round((r.systemNs / r.elapsedNs) * 100) },
    };
  };

  const phases: Phase[] = [];
  if (warmupSeconds > 0) {
    // The appliance's first seconds of this feed: 87,422 destinations new to counting, the capture and the traffic
    // summary, and code not yet optimized. Measured and reported, but kept out of the phases compared below, which
    // are about a running appliance.
    phases.push({ name: 'warm-up', ingest: await ingest(warmupSeconds), cpuPressure: cpuPressure() });
    await sleep(1000);
  }
  phases.push({ name: 'api alone', api: await (await startLoad()).result, cpuPressure: cpuPressure() });
  await sleep(1000);
  const alone = async (r: number) => phases.push({ name: 'ingest alone', targetRate: r, ingest: await ingest(seconds, r), cpuPressure: cpuPressure() });
  const withApi = async (r: number) => {
    const { result } = await startLoad();
    const [both, api] = await Promise.all([ingest(seconds, r), result]);
    phases.push({ name: 'ingest + api', targetRate: r, ingest: both, api, cpuPressure: cpuPressure() });
  };
  if (ceilingRates.length === 0) {
    await alone(rate);
    await sleep(1000);
    await withApi(rate);
  } else {
    for (const [i, r] of ceilingRates.entries()) {
      console.log(`ceiling: ${r.toLocaleString('en')} samples/s (${i + 1} of ${ceilingRates.length}), ${i % 2 === 0 ? 'alone first' : 'with the API first'}`);
      for (const run of i % 2 === 0 ? [alone, withApi] : [withApi, alone]) {
        await run(r);
        await sleep(1000);
      }
    }
  }
  appliance.stdin!.end('stop\n');
  await Promise.race([new Promise((r) => appliance.once('exit', r)), sleep(8000)]);

  // Kernel drops are samples the intake never saw, so they are part of `missing` already.
  const lostOf = (p: Phase) => Math.max(p.ingest!.kernelDrops, p.ingest!.missing);
  /** A phase's name, with its rate in a ceiling run. */
  const label = (p: Phase) => `${p.name}${p.targetRate === undefined ? '' : ` at ${p.targetRate.toLocaleString('en')}`}`;
  console.log('\nphase          ingest samples/s  lost   p50 ms  p99 ms  req/s  failed  SSE p99 ms');
  for (const p of phases) {
    const lost = p.ingest ? String(lostOf(p)) : '-';
    console.log(
      `${p.name.padEnd(14)} ${(p.ingest ? p.ingest.rate.toLocaleString('en') : '-').padStart(16)}  ${lost.padStart(4)}   ${String(p.api?.p50Ms ?? '-').padStart(6)}  ${String(p.api?.p99Ms ?? '-').padStart(6)}  ${String(p.api?.requestsPerSecond ?? '-').padStart(5)}  ${String(p.api?.errors ?? '-').padStart(6)}   ${String(p.api?.sse.p99Ms ?? '-').padStart(6)}`,
    );
  }
  for (const p of phases.filter((x) => x.api)) {
    console.log(`\n${p.name}: per endpoint (the load client used ${p.api!.cpuPercent} % of a core)`);
    for (const [path, e] of Object.entries(p.api!.endpoints)) console.log(`  ${path.padEnd(32)} ${String(e.requests).padStart(6)} requests  p50 ${e.p50Ms} ms  p99 ${e.p99Ms} ms  max ${e.maxMs} ms`);
  }
  const measured = phases.filter((p) => p.name === 'ingest + api');
  for (const p of phases.filter((x) => x.ingest)) console.log(`${label(p)}: appliance CPU (% of a core) main thread ${p.ingest!.cpu.main} (system ${p.ingest!.cpu.mainSystem}), detection thread ${p.ingest!.cpu.detection}, other threads ${p.ingest!.cpu.other}; generator user ${p.ingest!.generatorCpu.user}, system ${p.ingest!.generatorCpu.system}; ${p.ingest!.detectionMessagesPerSecond} messages/s to the detection thread, ${p.ingest!.batchesPerMessage} batches each`);
  for (const p of phases.filter((x) => x.ingest)) console.log(`${label(p)}: the traffic history's once-a-second read of ${p.ingest!.destinations.toLocaleString('en')} destinations took at most ${p.ingest!.maxTrafficSampleMs} ms; main-thread event-loop delay p99 ${p.ingest!.loopDelayP99Ms} ms, max ${p.ingest!.loopDelayMaxMs} ms`);
  const worstP99 = Math.max(...measured.map((p) => p.api!.p99Ms ?? Infinity));
  const worstStream = Math.max(...measured.map((p) => p.api!.sse.p99Ms ?? Infinity));
  if (ceilingRates.length > 0) {
    console.log('\nrate (samples/s)   lost alone   lost with the API   dashboard p99   stream p99');
    for (const p of measured) {
      const a = phases.find((x) => x.name === 'ingest alone' && x.targetRate === p.targetRate);
      console.log(`${p.targetRate!.toLocaleString('en').padStart(16)}   ${(a === undefined ? '-' : lostOf(a).toLocaleString('en')).padStart(10)}   ${lostOf(p).toLocaleString('en').padStart(17)}   ${`${p.api!.p99Ms} ms`.padStart(13)}   ${`${p.api!.sse.p99Ms} ms`.padStart(10)}`);
    }
  }
  console.log(`\ntarget p99 < 50 ms under ingest: ${worstP99 < 50 && worstStream < 50 ? 'met' : 'NOT met'} (dashboard ${worstP99} ms, live stream ${worstStream} ms${measured.length > 1 ? ', the worst of every rate' : ''})`);
  const ceilings = ceilingRates.length === 0 ? undefined : ingestCeilings(phases);
  if (ceilings === undefined) {
    const both = measured[0]!;
    const alone = phases.find((p) => p.name === 'ingest alone')!;
    console.log(`ingest lossless with the API busy: ${both.ingest!.lossless ? 'yes' : 'NO'} (without: ${alone.ingest!.lossless ? 'yes' : 'NO'})`);
  } else {
    const text = (r: number) => (r === 0 ? `none of the rates (lowest ${ceilingRates[0]!.toLocaleString('en')})` : `${r.toLocaleString('en')} samples/s`);
    console.log(`ingest throughput (highest rate lossless at it and every rate below): alone ${text(ceilings.alone)}, with the API busy ${text(ceilings.withApi)}; no loss of ingest throughput: ${ceilings.withApi >= ceilings.alone ? 'yes' : 'NO'}`);
    const within = measured.filter((p) => p.targetRate! <= ceilings.withApi);
    const worstWithin = Math.max(...within.map((p) => Math.max(p.api!.p99Ms ?? Infinity, p.api!.sse.p99Ms ?? Infinity)));
    if (within.length > 0) console.log(`p99 < 50 ms at every rate the intake kept up with the API busy: ${worstWithin < 50 ? 'met' : 'NOT met'} (worst ${worstWithin} ms, dashboard or stream)`);
  }

  const result = {
    benchmark: 'api',
    date: started.toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, kernel: release(), node: process.version, loadAverageAtStart: loadavg() },
    ...(ceilings === undefined ? {} : { ceilings }),
    settings: { rate, ceilingRates, seconds, warmupSeconds, concurrency, requestRate, streams, clientNice: Number(values['client-nice']), detectionThread, applianceCpus: values['appliance-cpus'], clientCpus: values['client-cpus'], generator: values.generator, generatorTickUs: values.generator === 'sleep' ? Number(process.env.SFLOW_REPLAY_TICK_US) : null, samplesPerDatagram: Number(perDatagram.toFixed(2)), destinations: 100_000 },
    phases,
  };
  const out = values.out ?? join(root, 'bench/results', `api-${started.toISOString().slice(0, 10)}${detectionThread ? '-detection-thread' : ''}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

/** Per way (alone, with the API): the highest target rate lossless at it and at every rate below it (0: none). */
function ingestCeilings(phases: Phase[]): { alone: number; withApi: number } {
  const ceiling = (name: string) => {
    let best = 0;
    for (const p of phases.filter((x) => x.name === name && x.targetRate !== undefined)) {
      if (!p.ingest!.lossless) break;
      best = p.targetRate!;
    }
    return best;
  };
  return { alone: ceiling('ingest alone'), withApi: ceiling('ingest + api') };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
