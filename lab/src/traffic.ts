// Puts scenarios on the wire: writes a scenario's frames to a pcap (the project's own packet builder and pcap
// writer, never a committed binary) and replays it with tcpreplay from the src namespace onto the link to the
// router. Every replay is bounded twice: a packet count (--limit) and a wall-clock limit after which tcpreplay
// is killed by pid.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePcap } from '../../appliance/src/pcap/pcap-writer.js';
import { buildFrame, type FrameSpec } from '../../appliance/src/synthetic/packet-builder.js';
import type { ReplayPhase, Scenario } from './scenarios.js';

export const TCPREPLAY = '/usr/bin/tcpreplay';
/** More than any lab scenario needs; a replay asking for more is refused rather than run unbounded. */
const MAX_PACKETS = 5_000_000;

export function writePcap(path: string, frames: readonly FrameSpec[]): string {
  writeFileSync(path, encodePcap(frames.map((f, i) => ({ data: buildFrame(f), timestampMicros: i }))));
  return path;
}

/** The scenario's pcap in `dir` (written on every call: a few thousand frames take milliseconds). */
export function scenarioPcap(dir: string, s: Scenario): string {
  mkdirSync(dir, { recursive: true });
  return writePcap(join(dir, `${s.name}.pcap`), s.frames());
}

export interface ReplayResult {
  /** Wall-clock ms when tcpreplay was started for the first phase (its first packet follows within a few ms). */
  startedAt: number;
  endedAt: number;
  /** Packets tcpreplay reports as sent, over all phases. */
  packets: number;
}

export interface ReplayOptions {
  netns: string;
  ifname: string;
  pcap: string;
  phases: readonly ReplayPhase[];
  /** Called just before each phase's tcpreplay is spawned. */
  onPhase?: (index: number, at: number) => void;
  signal?: AbortSignal;
}

function runPhase(o: ReplayOptions, phase: ReplayPhase): Promise<number> {
  const limit = Math.round(phase.pps * phase.seconds);
  if (!(limit > 0 && limit <= MAX_PACKETS)) throw new RangeError(`a replay phase must send 1..${MAX_PACKETS} packets, got ${limit}`);
  const args = ['netns', 'exec', o.netns, TCPREPLAY, '-q', '-i', o.ifname, '--pps', String(phase.pps), '--limit', String(limit), '--loop', '0', '--preload-pcap', o.pcap];
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const kill = (): void => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    };
    // Slack for a loaded machine (tcpreplay falls behind its rate rather than drop packets), still bounded.
    const timer = setTimeout(kill, phase.seconds * 3000 + 10_000);
    o.signal?.addEventListener('abort', kill, { once: true });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', kill);
      const sent = /Actual: (\d+) packets/.exec(out);
      if (code === 0 && sent) resolve(Number(sent[1]));
      else reject(new Error(`tcpreplay ended with ${code ?? signal}: ${out.trim().slice(-400)}`));
    });
  });
}

export async function replay(o: ReplayOptions): Promise<ReplayResult> {
  const startedAt = Date.now();
  let packets = 0;
  for (const [i, phase] of o.phases.entries()) {
    o.onPhase?.(i, Date.now());
    packets += await runPhase(o, phase);
    if (o.signal?.aborted) break;
  }
  return { startedAt, endedAt: Date.now(), packets };
}
