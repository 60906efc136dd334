// bench/detect/false-alarms.ts: how often detection alerts on benign traffic that stays under its threshold.
//
// Benign destinations steady at a fraction of a 20,000 pps threshold (0.5×, 0.8×, 1.0×), sampled 1:1000, for
// some minutes of simulated time; the same labeled-scenario path as the tests (sFlow encoder → decoder → FlowBatch
// → detector, ticks every 100 ms of scenario time). Every attack.started is a false alarm. Each rule of the
// comparison runs the same traffic (same seed), so the figures differ by the rule alone. So that an alarm on a
// steady destination can end and the next one be counted, these runs end an attack after 1 s under 0.95 × its
// threshold (the defaults, 15 s under 0.5×, would hold one alarm at 0.8× forever); the start rule is untouched.
//
// Usage: node --conditions=source --import tsx bench/detect/false-alarms.ts [--minutes 10] [--destinations 100]
//        [--factors 0.5,0.8,1] [--out FILE]
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { validateConfig } from '../../appliance/src/config/load.js';
import type { AttackEvent } from '../../appliance/src/detection/attack.js';
import { Detector, type DetectorConfig } from '../../appliance/src/detection/detector.js';
import { rate, ScenarioRunner, webServerTraffic } from '../../appliance/src/synthetic/traffic-scenarios.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    destinations: { type: 'string', default: '100' },
    factors: { type: 'string', default: '0.5,0.8,1' },
    out: { type: 'string' },
  },
});
const MINUTES = Number(values.minutes);
const DESTINATIONS = Number(values.destinations);
const FACTORS = values.factors!.split(',').map(Number);
const THRESHOLD = 20_000;
const SAMPLING = 1000;
const T0 = Date.UTC(2026, 0, 5);

/** The rules compared: the default, the rule before it, and stricter and looser settings of the default's shape. */
export const RULES: Record<string, Record<string, unknown>> = {
  'default (1 s @ 0.999, 0.5 s and 0.3 s @ 0.9999)': {},
  'previous (1 s and 0.5 s @ 0.95)': { confidence: 0.95, fastConfidence: 0.95, shortWindowMs: 0 },
  'looser (1 s @ 0.995, 0.5 s @ 0.999, 0.3 s @ 0.9999)': { confidence: 0.995, fastConfidence: 0.999 },
};

/** One static total threshold, every other default threshold off (as in run.ts). */
export function ruleConfig(extra: Record<string, unknown>, threshold = THRESHOLD): DetectorConfig {
  const defaults = validateConfig({});
  if (!defaults.ok) throw new Error('defaults do not validate');
  const off = (set: Record<string, unknown>) => Object.fromEntries(Object.keys(set).map((k) => [k, { pps: 0, bps: 0 }]));
  const r = validateConfig({
    networks: ['198.18.0.0/15'],
    detection: {
      thresholds: { ...off(defaults.config.detection.thresholds), total: { pps: threshold } },
      blockThresholds: off(defaults.config.detection.blockThresholds),
      baseline: { enabled: false },
      maxDestinations: 65_536,
      endFraction: 0.95,
      quietSeconds: 1,
      maxBlocks: 4096,
      ...extra,
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { networks: r.config.networks, hostGroups: r.config.hostGroups, detection: r.config.detection };
}

function falseAlarms(extra: Record<string, unknown>, factor: number): { alarms: number; destinationsAlerted: number; destinationHours: number; perDestinationHour: number } {
  const config = ruleConfig(extra);
  const events: AttackEvent[] = [];
  const detector = new Detector({ config, epochMs: T0 - 60_000, emit: (e) => events.push(e) });
  // Each destination its own shape: one steady web server at factor × threshold.
  const shapes = Array.from({ length: DESTINATIONS }, (_, i) =>
    webServerTraffic({ name: `benign-${i}`, to: `198.18.${i >> 8}.${(i & 255) + 1}`, rate: rate.constant(factor * THRESHOLD), samplingRate: SAMPLING }),
  );
  const durationMs = MINUTES * 60_000;
  new ScenarioRunner({ name: 'false-alarms', durationMs, seed: 99, shapes, attacks: [] }).run({ startAtMs: T0, sink: (b) => detector.consume(b), onTick: (t) => detector.tick(t) });
  const started = events.filter((e) => e.type === 'attack.started');
  const destinationHours = (DESTINATIONS * durationMs) / 3_600_000;
  return { alarms: started.length, destinationsAlerted: new Set(started.map((e) => e.attack.target)).size, destinationHours, perDestinationHour: Math.round((started.length / destinationHours) * 100) / 100 };
}

function main(): void {
  const started = new Date();
  process.stdout.write(`false alarms: ${DESTINATIONS} benign destinations × ${MINUTES} min per level, threshold ${THRESHOLD} pps, 1:${SAMPLING}; load ${loadavg()[0]!.toFixed(2)}\n`);
  const results: Record<string, Record<string, unknown>> = {};
  for (const [name, extra] of Object.entries(RULES)) {
    results[name] = {};
    for (const f of FACTORS) {
      const t = performance.now();
      const r = falseAlarms(extra, f);
      results[name]![`${f}x`] = r;
      process.stdout.write(`  ${name}, ${f}×: ${r.alarms} alarms (${r.destinationsAlerted} of ${DESTINATIONS} destinations) in ${r.destinationHours.toFixed(1)} destination-hours = ${r.perDestinationHour} per destination-hour (${((performance.now() - t) / 1000).toFixed(0)} s)\n`);
    }
  }
  const out = values.out;
  if (out) {
    writeFileSync(out, `${JSON.stringify({ date: started.toISOString(), command: `node --conditions=source --import tsx bench/detect/false-alarms.ts --minutes ${MINUTES} --destinations ${DESTINATIONS} --factors ${FACTORS.join(',')}`, cores: cpus().length, threshold: THRESHOLD, sampling: SAMPLING, results }, null, 2)}\n`);
    process.stdout.write(`wrote ${out}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
