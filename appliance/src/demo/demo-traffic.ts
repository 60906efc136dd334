// The demo's own traffic: synthetic sFlow (synthetic/traffic-scenarios.ts) sent over loopback UDP to the
// appliance's intake, in real time. A benign background to three hosts of 203.0.113.0/24 never stops; every
// attackEverySeconds an attack of the next vector (NTP and DNS amplification, SYN, UDP, ICMP, memcached) hits one
// of them for attackSeconds, the first one firstAttackSeconds after start. Bounded: a few hundred datagrams a
// second at most, and only while the demo runs.
import { createSocket, type Socket } from 'node:dgram';
import type { Component } from '../component.js';
import { attackTraffic, ScenarioRunner, udpServiceTraffic, webServerTraffic, type AttackKind, type TrafficShape } from '../synthetic/traffic-scenarios.js';

export const DEMO_NETWORK = '203.0.113.0/24';
export const DEMO_TARGETS = ['203.0.113.10', '203.0.113.20', '203.0.113.30'] as const;
export const DEMO_VECTORS: readonly AttackKind[] = ['ntp_amplification', 'syn_flood', 'dns_amplification', 'udp_flood', 'icmp_flood', 'memcached_amplification'];
/** True packets per second of an attack: well above every default threshold (total 200 k pps). */
const ATTACK_PPS = 300_000;
const SAMPLING = 1000;
const CHUNK_MS = 250;

export interface DemoSchedule {
  firstAttackSeconds: number;
  attackSeconds: number;
  attackEverySeconds: number;
}

/** The attack running at `elapsedMs` since the start (index into DEMO_VECTORS), or -1. */
export function attackAt(schedule: DemoSchedule, elapsedMs: number): number {
  const since = elapsedMs - schedule.firstAttackSeconds * 1000;
  if (since < 0) return -1;
  const n = Math.floor(since / (schedule.attackEverySeconds * 1000));
  return since - n * schedule.attackEverySeconds * 1000 < schedule.attackSeconds * 1000 ? n % DEMO_VECTORS.length : -1;
}

export class DemoTraffic implements Component {
  readonly name = 'demo-traffic';
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private elapsedMs = 0;
  private readonly runner: ScenarioRunner;
  datagramsSent = 0;

  constructor(private readonly options: { port: number; schedule: DemoSchedule }) {
    const at = (t: number) => this.elapsedMs + t;
    const shapes: TrafficShape[] = [
      webServerTraffic({ name: 'web-10', to: DEMO_TARGETS[0], rate: () => 5000, samplingRate: SAMPLING }),
      webServerTraffic({ name: 'web-20', to: DEMO_TARGETS[1], rate: () => 4000, samplingRate: SAMPLING }),
      udpServiceTraffic({ name: 'dns-30', to: DEMO_TARGETS[2], rate: () => 2000, samplingRate: SAMPLING }),
      ...DEMO_VECTORS.map((kind, i) =>
        attackTraffic(kind, { name: kind, to: DEMO_TARGETS[i % DEMO_TARGETS.length]!, samplingRate: SAMPLING, rate: (t) => (attackAt(options.schedule, at(t)) === i ? ATTACK_PPS : 0) }),
      ),
    ];
    this.runner = new ScenarioRunner({ name: 'demo', durationMs: CHUNK_MS, shapes, attacks: [], seed: 8 });
  }

  /** The vector attacking now, if any (for the console). */
  currentAttack(): { vector: string; target: string } | undefined {
    const i = attackAt(this.options.schedule, Date.now() - this.startedAt);
    return i < 0 ? undefined : { vector: DEMO_VECTORS[i]!, target: DEMO_TARGETS[i % DEMO_TARGETS.length]! };
  }

  async start(): Promise<void> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.options.port, '127.0.0.1', () => resolve());
    });
    socket.on('error', () => {}); // a datagram the intake was not there for is simply lost, like on a network
    this.socket = socket;
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.sendChunk(), CHUNK_MS);
  }

  private sendChunk(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    this.elapsedMs = Date.now() - this.startedAt;
    this.runner.run({
      startAtMs: Date.now(),
      stepMs: 50,
      onDatagram: (datagram) => {
        socket.send(Buffer.from(datagram));
        this.datagramsSent++;
      },
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
