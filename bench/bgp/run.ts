// bench/bgp: how fast each BGP speaker gets a FlowSpec rule from `announce` into a router's table. For each
// FlowSpec-capable speaker (ExaBGP, BIRD, GoBGP; FRR cannot originate FlowSpec) it builds the integration
// tests' lab — a router BIRD in one network namespace, the speaker (a Breakwater controller process running
// the real daemon) in another, a veth pair between them — and measures, on the router's own table read
// through @bird-tools/birdc:
//   1. single rule: time from sending announceFlow to the rule being in the router's flowtab4, 100 times
//      (each rule withdrawn again before the next), p50 and p95;
//   2. bulk: 1,000 announceFlow calls issued at once, time until all 1,000 are in the router's table;
//      then the time until withdrawing them all (one owner) empties it.
// The clock runs in this process, so each figure includes the request to the controller process (a JSON
// line over a pipe, well under a millisecond) and the polling interval of the router's table (2 ms).
//
// Usage: npm run bench:bgp -- [--only exabgp,bird,gobgp] [--singles 100] [--bulk 1000]
// Writes bench/results/bgp-<date>.json. Needs root (ip netns), bird2, exabgp, gobgpd.
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller } from '../../appliance/test/bgp/helpers/controller.js';
import { createLab, labBgpConfig, type Lab } from '../../appliance/test/bgp/helpers/lab.js';
import { cleanUpEverything, eventually } from '../../appliance/test/support/netns.js';
import type { FlowSpecRule } from '../../appliance/src/flowspec/rule.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'exabgp,bird,gobgp' },
    singles: { type: 'string', default: '100' },
    bulk: { type: 'string', default: '1000' },
    out: { type: 'string' },
  },
});
const speakers = values.only!.split(',') as ('exabgp' | 'bird' | 'gobgp')[];
const SINGLES = Math.min(1000, Number(values.singles));
const BULK = Math.min(5000, Number(values.bulk));
const RULE_TIMEOUT_MS = 5_000;
const BULK_TIMEOUT_MS = 60_000;
const POLL_MS = 2;

function rule(i: number): FlowSpecRule {
  // 198.18.0.0/15 (benchmarking range): one /32 per rule.
  return {
    family: 'ipv4',
    match: { destination: { prefix: `198.18.${(i >> 8) & 255}.${i & 255}/32` }, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: 53 }]] },
    actions: [{ type: 'discard' }],
  };
}

async function flowCount(lab: Lab): Promise<number> {
  return (await lab.router.bird.countRoutes('flowtab4', { timeoutMs: 10_000 })).matched;
}

async function waitForCount(lab: Lab, want: number, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if ((await flowCount(lab)) === want) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new Error(`router did not reach ${want} FlowSpec routes within ${withinMs} ms`);
    await sleep(POLL_MS);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface SpeakerResult {
  speaker: string;
  sessionUpMs: number;
  single: { n: number; p50Ms: number; p95Ms: number; maxMs: number };
  bulk: { n: number; allPresentMs: number; allWithdrawnMs: number };
}

const round = (x: number): number => Math.round(x * 10) / 10;

async function benchSpeaker(kind: 'exabgp' | 'bird' | 'gobgp'): Promise<SpeakerResult> {
  const lab = await createLab(`bench-${kind}`);
  let controller: Controller | undefined;
  try {
    const t0 = performance.now();
    controller = await Controller.start({ netns: lab.speakerNs, dataDir: join(lab.dir, 'data'), bgp: labBgpConfig(lab, kind, { reconcileIntervalMs: 60_000 }) as never });
    await eventually('the session', 30_000, async () => ((await lab.router.sessionUp('speaker')) ? true : undefined), 20);
    const sessionUpMs = performance.now() - t0;
    console.log(`[${kind}] session up after ${Math.round(sessionUpMs)} ms (controller start included)`);

    const times: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const started = performance.now();
      const route = await controller.announceFlow({ rule: rule(i), owner: 'bench-single' });
      for (;;) {
        if ((await flowCount(lab)) === 1) break;
        if (performance.now() - started > RULE_TIMEOUT_MS) throw new Error(`rule ${i} not at the router within ${RULE_TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      times.push(performance.now() - started);
      await controller.withdrawFlow(route.id);
      await waitForCount(lab, 0, RULE_TIMEOUT_MS);
      if ((i + 1) % 25 === 0) console.log(`[${kind}] single rule ${i + 1}/${SINGLES}: last ${times.at(-1)!.toFixed(1)} ms`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const single = { n: SINGLES, p50Ms: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)), maxMs: round(sorted.at(-1)!) };

    console.log(`[${kind}] bulk: announcing ${BULK} rules at once`);
    const bulkStart = performance.now();
    const announced = Promise.all(Array.from({ length: BULK }, (_, i) => controller!.announceFlow({ rule: rule(1000 + i), owner: 'bench-bulk' })));
    announced.catch(() => undefined);
    const allPresentMs = await waitForCount(lab, BULK, BULK_TIMEOUT_MS).then(() => performance.now() - bulkStart);
    await announced;
    console.log(`[${kind}] bulk: all ${BULK} at the router after ${Math.round(allPresentMs)} ms; withdrawing`);
    const withdrawStart = performance.now();
    await controller.call('withdrawOwner', 'bench-bulk');
    await waitForCount(lab, 0, BULK_TIMEOUT_MS);
    const allWithdrawnMs = performance.now() - withdrawStart;
    return { speaker: kind, sessionUpMs: Math.round(sessionUpMs), single, bulk: { n: BULK, allPresentMs: Math.round(allPresentMs), allWithdrawnMs: Math.round(allWithdrawnMs) } };
  } finally {
    await controller?.stop().catch(() => undefined);
    await lab.router.stop().catch(() => undefined);
    cleanUpEverything();
  }
}

const loadAtStart = loadavg().map((l) => round(l));
console.log(`bench:bgp on ${cpus().length} cores (${cpus()[0]?.model.trim()}), load ${loadAtStart.join(' ')}; speakers: ${speakers.join(', ')}`);
const results: SpeakerResult[] = [];
for (const kind of speakers) results.push(await benchSpeaker(kind));

console.log('\n| speaker | single rule p50 | single rule p95 | 1,000 rules all present | 1,000 withdrawn |');
console.log('|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.speaker} | ${r.single.p50Ms} ms | ${r.single.p95Ms} ms | ${r.bulk.allPresentMs} ms | ${r.bulk.allWithdrawnMs} ms |`);

const date = new Date().toISOString();
const out = values.out ?? join(new URL('../results/', import.meta.url).pathname, `bgp-${date.slice(0, 10)}.json`);
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      date,
      command: `npm run bench:bgp -- --only ${speakers.join(',')} --singles ${SINGLES} --bulk ${BULK}`,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model.trim(), kernel: release(), node: process.version },
      loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((l) => round(l)) },
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwritten ${out}`);
