// bench/ingest/thread-cpu.ts: CPU per flow sample of each thread of Breakwater's receiver process (main thread,
// receive threads, V8's platform threads), at a fixed rate, with bench/ingest's generator, traffic and loss rule.
// Where the lossless-rate steps of run.ts need a quiet machine (a receiver descheduled for 15 ms overflows its
// buffer), CPU time per sample is what each thread costs whoever schedules it: on a shared machine it moves far
// less than wall time, and it gives the per-sample budget — a thread that needs N ns of CPU per sample cannot
// take more than 1e9/N samples/s on its core.
//
// Usage: node --conditions=source --import tsx bench/ingest/thread-cpu.ts [--rate 300000] [--seconds 5]
//          [--receivers inline,threads-1,inline-detection,threads-1-detection] [--repeat 2] [--out FILE]
// Receivers also: inline-detection-thread, threads-1-detection-thread (detection.thread: detection in its own
// thread, reported as "detection thread").
// Needs root (a network namespace with only lo up, as run.ts), gcc.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BenchResources } from '../support/bench-resources.js';
import { threadCpu } from '../support/thread-cpu-time.js';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SflowStream, writeReplayFile, type ReplayFileInfo } from '../../appliance/src/synthetic/sflow-generator.js';

const root = new URL('../../', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '300000' },
    seconds: { type: 'string', default: '5' },
    receivers: { type: 'string', default: 'inline,threads-1,inline-detection,threads-1-detection' },
    repeat: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const repeat = Number(values.repeat);
const PORT = 6343;
const resources = new BenchResources('bw-thread-cpu-');
const { work, namespaces, children } = resources;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanup = (): void => resources.cleanup();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}
process.on('exit', cleanup);

/**
 * Main thread, receive threads (by the kernel thread ids the intake reports), and every other thread (Node 20
 * names them all "node": V8's GC and compiler threads, libuv's pool, tsx's loader thread).
 */
function role(pid: number, tid: number, receiveTids: number[], detectionTid: number): string {
  if (tid === pid) return 'main';
  if (receiveTids.includes(tid)) return 'receive threads';
  if (tid === detectionTid) return 'detection thread';
  return 'other threads (GC, compiler, loader)';
}

function udpErrors(pid: number): number {
  const snmp = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = snmp[0]!.split(/\s+/);
  return Number(snmp[1]!.split(/\s+/)[names.indexOf('InErrors')]);
}

function samplesIn(info: ReplayFileInfo, from: number, count: number): number {
  const at = (n: number) => Math.floor(n / info.datagrams) * info.flowSamples + info.flowSamplesBefore[n % info.datagrams]!;
  return at(from + count) - at(from);
}

function replay(bin: string, file: string, ns: string, datagramsPerSecond: number, secs: number, startAt: number): Promise<{ sent: number; attempted: number }> {
  return new Promise((resolve, reject) => {
    const g = spawn('ip', ['netns', 'exec', ns, 'nice', '-n', '-10', 'taskset', '-c', '0', bin, file, '127.0.0.1', String(PORT), String(datagramsPerSecond), String(secs), '0', String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    g.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    g.on('exit', (code) => (code === 0 ? resolve(JSON.parse(text) as { sent: number; attempted: number }) : reject(new Error(`sflow-replay exited ${code}`))));
  });
}

interface Measurement {
  receiver: string;
  attempt: number;
  samples: number;
  lossless: boolean;
  kernelDrops: number;
  missing: number;
  cpuPressure: number;
  /** CPU ns per flow sample applied, by thread role. */
  nsPerSample: Record<string, number>;
}

async function measureReceiver(receiver: string, bin: string, file: string, info: ReplayFileInfo, attempt: number): Promise<Measurement> {
  const threads = receiver.startsWith('threads-') ? Number(receiver.split('-')[1]) : 0;
  const detection = receiver.endsWith('-detection-thread') ? 'detection-thread' : receiver.endsWith('-detection') ? 'detection' : '';
  const ns = `bw-thread-cpu-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  namespaces.add(ns);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // The generator is pinned to CPU 0; the receiver is left to the scheduler (its threads may use both cores).
  const args = ['bench/ingest/breakwater-receiver.ts', `127.0.0.1:${PORT}`, '0', 'recvmmsg', String(threads), detection];
  const child = spawn('ip', ['netns', 'exec', ns, 'nice', '-n', '-10', process.execPath, '--conditions=source', '--import', 'tsx', ...args], { detached: true, stdio: ['pipe', 'pipe', 'inherit'], cwd: root });
  children.add(child);
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  await next();
  // `ip netns exec` → nice → node: the receiver is the process in the namespace's group that runs node.
  const pid = Number(execFileSync('pgrep', ['-g', String(child.pid), '-f', 'breakwater-receiver.ts']).toString().trim().split('\n').pop());
  const stats = async () => {
    child.stdin!.write('stats\n');
    return JSON.parse(await next()) as { flowSamples: number; counted: number; receiveThreadTids: number[]; detectionThread?: { tid: number } };
  };
  const perDatagram = info.flowSamples / info.datagrams;
  // Warm-up: code optimized, tables touched.
  let sent = (await replay(bin, file, ns, Math.round(100_000 / perDatagram), 1, 0)).attempted;
  await sleep(1000);
  const s0 = await stats();
  const drops0 = udpErrors(pid);
  const cpu0 = threadCpu(pid);
  const r = await replay(bin, file, ns, Math.round(rate / perDatagram), seconds, sent);
  await sleep(1000);
  const cpu1 = threadCpu(pid);
  const s1 = await stats();
  const samples = samplesIn(info, sent, r.sent);
  sent += r.attempted;
  const kernelDrops = udpErrors(pid) - drops0;
  const missing = samples - (s1.flowSamples - s0.flowSamples);
  // Per sample applied (a lossy step did less work than was sent).
  const applied = s1.flowSamples - s0.flowSamples;
  const nsPerSample: Record<string, number> = {};
  for (const [tid, t] of cpu1) {
    const before = cpu0.get(tid)?.ns ?? 0;
    const key = role(pid, tid, s1.receiveThreadTids, s1.detectionThread?.tid ?? -1);
    nsPerSample[key] = (nsPerSample[key] ?? 0) + (t.ns - before) / applied;
  }
  for (const k of Object.keys(nsPerSample)) nsPerSample[k] = Math.round(nsPerSample[k]!);
  const pressure = Number(/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? -1);
  child.stdin!.end('stop\n');
  await Promise.race([new Promise((r2) => child.once('exit', r2)), sleep(3000)]);
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // gone
  }
  children.delete(child);
  execFileSync('ip', ['netns', 'del', ns]);
  namespaces.delete(ns);
  return { receiver, attempt, samples, lossless: kernelDrops === 0 && missing === 0 && s1.counted === s1.flowSamples, kernelDrops, missing, cpuPressure: pressure, nsPerSample };
}

async function main(): Promise<void> {
  const started = new Date();
  const bin = join(work, 'sflow-replay');
  execFileSync('gcc', ['-O2', '-Wall', '-o', bin, join(root, 'bench/ingest/sflow-replay.c')]);
  execFileSync(process.execPath, [join(root, 'appliance/native/build.mjs'), '--quiet'], { stdio: 'inherit' });
  const file = join(work, 'replay.bin');
  const info = await writeReplayFile(file, new SflowStream({ agents: 4, destinations: 100_000, seed: 7 }), 30_000);
  console.log(`thread-cpu: ${rate.toLocaleString('en')} flow samples/s for ${seconds} s per receiver, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: Measurement[] = [];
  for (let attempt = 1; attempt <= repeat; attempt++) {
    for (const receiver of values.receivers!.split(',')) {
      const m = await measureReceiver(receiver, bin, file, info, attempt);
      results.push(m);
      const parts = Object.entries(m.nsPerSample).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`  ${receiver.padEnd(22)} ${m.lossless ? 'lossless' : `LOSS (kernel ${m.kernelDrops}, missing ${m.missing})`}  CPU ns per sample: ${parts}  (psi ${m.cpuPressure}%)`);
    }
  }
  const out = values.out ?? join(root, `bench/results/ingest-thread-cpu-${started.toISOString().slice(0, 10)}.json`);
  writeFileSync(out, `${JSON.stringify({ date: started.toISOString(), command: `node --conditions=source --import tsx bench/ingest/thread-cpu.ts --rate ${rate} --seconds ${seconds} --receivers ${values.receivers} --repeat ${repeat}`, loadAverageAtStart: loadavg(), results }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
