// Sends one scenario's sFlow over UDP to several receivers at once (the same datagram to each port, in turn), paced
// to the scenario's own timeline, for bench/detect's live comparison. Usage: live-sender.ts PLAN_JSON_FILE.
// Attack traffic comes from exporter 1 and background from exporter 0, so the first datagram of exporter 1 after a
// trial's start is that trial's first attack datagram; its wall-clock send time is printed as a JSON line.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { attackTraffic, rate, ScenarioRunner, webServerTraffic, type TrafficShape } from '../../appliance/src/synthetic/traffic-scenarios.js';

export interface LivePlan {
  host: string;
  ports: number[];
  samplingRate: number;
  background: { prefix: string; hosts: number; pps: number };
  trials: { victim: string; pps: number; startMs: number; durationMs: number }[];
  durationMs: number;
  seed: number;
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LivePlan;
const shapes: TrafficShape[] = [
  webServerTraffic({ name: 'background', to: { prefix: plan.background.prefix, hosts: plan.background.hosts }, rate: rate.constant(plan.background.pps), samplingRate: plan.samplingRate, agent: 0 }),
  ...plan.trials.map((t, i) =>
    attackTraffic('udp_flood', { name: `trial-${i}`, to: t.victim, rate: rate.constant(t.pps), samplingRate: plan.samplingRate, startMs: t.startMs, endMs: t.startMs + t.durationMs, agent: 1 }),
  ),
];
const datagrams: { bytes: Buffer; at: number; trial: number }[] = [];
const trialOf = (t: number) => plan.trials.findIndex((tr) => t >= tr.startMs && t < tr.startMs + tr.durationMs + 200);
new ScenarioRunner({ name: 'live', durationMs: plan.durationMs, seed: plan.seed, shapes, attacks: [] }).run({
  startAtMs: 0,
  onDatagram: (d, at) => {
    // Agent address is bytes 8..11 of the datagram: 100.64.0.2 is exporter 1.
    const attack = d[11] === 2;
    datagrams.push({ bytes: Buffer.from(d), at, trial: attack ? trialOf(at) : -1 });
  },
});
process.stdout.write(`${JSON.stringify({ type: 'generated', datagrams: datagrams.length })}\n`);

const socket = createSocket('udp4');
socket.on('error', () => {});
const firstSent = new Set<number>();
const begin = Date.now() + 200;
let errors = 0;
for (const d of datagrams) {
  const wait = begin + d.at - Date.now();
  if (wait > 2) await new Promise((r) => setTimeout(r, wait - 1));
  while (Date.now() < begin + d.at) {
    // Spin the last millisecond so sends start on time.
  }
  const sentAt = Date.now();
  for (const port of plan.ports) socket.send(d.bytes, port, plan.host, (err) => err && errors++);
  if (d.trial >= 0 && !firstSent.has(d.trial)) {
    firstSent.add(d.trial);
    process.stdout.write(`${JSON.stringify({ type: 'first-attack-datagram', trial: d.trial, victim: plan.trials[d.trial]!.victim, sentAt })}\n`);
  }
}
await new Promise((r) => setTimeout(r, 100));
socket.close();
process.stdout.write(`${JSON.stringify({ type: 'done', errors, datagrams: datagrams.length })}\n`);
