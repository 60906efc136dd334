// bench/detect/false-alarms.ts: how often detection alerts on benign traffic that stays under its threshold.
//
// Benign destinations steady at a fraction of a 20,000 pps threshold (0.2×, 0.25×, 0.5×, 0.8×, 1.0×), sampled
// 1:1000, for some minutes of simulated time; the same labeled-scenario path as the tests (sFlow encoder → decoder →
// FlowBatch → detector, ticks every 100 ms of scenario time). Every attack.started is a false alarm. Each rule of
// the comparison runs the same traffic (same seed), so the figures differ by the rule alone. So that an alarm on a
// steady destination can end and the next one be counted, these runs end an attack after 1 s under 0.95 × its
// threshold (the defaults, 15 s under 0.5×, would hold one alarm at 0.8× forever); the start rule is untouched.
//
// The quiet-before rule is trusted 150 s after detection starts (counter.quietTrustTick): every run first lets
// WARM_MS (155 s) of the same traffic pass, uncounted, then counts alarms over --minutes. 0.2× and 0.25× are steady
// levels the quiet rule judges (their slow rate is at or under quietFraction = 0.25 of the threshold).
//
// STEP (--step): the quiet rule's weak spot. Each destination is at 0.1× until --step-quiet-seconds (60) after
// the warm-up, then steps to 0.8× and holds it: its slow rate lags the step by a few seconds, during which it is
// judged at the quiet confidence while at 0.8×. Alarms are counted per destination-hour (over the counted minutes)
// and per step (each destination steps once).
//
// Usage: node --conditions=source --import tsx bench/detect/false-alarms.ts [--minutes 10] [--destinations 100]
//        [--factors 0.2,0.25,0.5,0.8,1] [--step] [--step-only] [--step-quiet-seconds 60] [--rules default,quietOff,...]
//        [--out FILE]
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
    factors: { type: 'string', default: '0.2,0.25,0.5,0.8,1' },
    step: { type: 'boolean', default: false },
    'step-only': { type: 'boolean', default: false },
    'step-quiet-seconds': { type: 'string', default: '60' },
    rules: { type: 'string' },
    out: { type: 'string' },
  },
});
const MINUTES = Number(values.minutes);
const DESTINATIONS = Number(values.destinations);
const FACTORS = values.factors!.split(',').map(Number);
const THRESHOLD = 20_000;
const SAMPLING = 1000;
const T0 = Date.UTC(2026, 0, 5);
/** Uncounted time before the measured minutes: past the quiet-before rule's trust tick (T0 + 150 s). */
const WARM_MS = 155_000;
const STEP_QUIET_MS = Number(values['step-quiet-seconds']) * 1000;

/** The rules compared (short names for --rules): the default, without its quiet-before rule, the rule before them, and a looser setting. */
export const RULES: Record<string, { label: string; extra: Record<string, unknown> }> = {
  default: { label: 'default (1 s @ 0.999, 0.5 s and 0.3 s @ 0.9999; quiet before: 0.95)', extra: {} },
  quietOff: { label: 'default without the quiet-before rule', extra: { quietConfidence: 0 } },
  quiet99: { label: 'default with the quiet-before rule at 0.99', extra: { quietConfidence: 0.99 } },
  previous: { label: 'previous (1 s and 0.5 s @ 0.95)', extra: { confidence: 0.95, fastConfidence: 0.95, shortWindowMs: 0, quietConfidence: 0 } },
  looser: { label: 'looser (1 s @ 0.995, 0.5 s @ 0.999, 0.3 s @ 0.9999), no quiet rule', extra: { confidence: 0.995, fastConfidence: 0.999, quietConfidence: 0 } },
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

interface AlarmCount {
  alarms: number;
  destinationsAlerted: number;
  destinationHours: number;
  perDestinationHour: number;
  /** Alarms by the rule that decided them (ThresholdCrossed.rule). */
  rules: Record<string, number>;
}

/**
 * Alarms on DESTINATIONS benign web servers, each at rateOf(t) (t in scenario ms), counted over MINUTES after
 * WARM_MS of uncounted warm-up.
 */
function falseAlarms(extra: Record<string, unknown>, rateOf: (t: number) => number): AlarmCount {
  const config = ruleConfig(extra);
  const events: AttackEvent[] = [];
  const detector = new Detector({ config, epochMs: T0 - 60_000, emit: (e) => events.push(e) });
  // Each destination its own shape: one web server.
  const shapes = Array.from({ length: DESTINATIONS }, (_, i) => webServerTraffic({ name: `benign-${i}`, to: `198.18.${i >> 8}.${(i & 255) + 1}`, rate: rateOf, samplingRate: SAMPLING }));
  const countedMs = MINUTES * 60_000;
  new ScenarioRunner({ name: 'false-alarms', durationMs: WARM_MS + countedMs, seed: 99, shapes, attacks: [] }).run({ startAtMs: T0, sink: (b) => detector.consume(b), onTick: (t) => detector.tick(t) });
  const started = events.filter((e) => e.type === 'attack.started' && e.attack.startedAt >= T0 + WARM_MS);
  const rules: Record<string, number> = {};
  for (const e of started) rules[e.attack.threshold.rule ?? 'unknown'] = (rules[e.attack.threshold.rule ?? 'unknown'] ?? 0) + 1;
  const destinationHours = (DESTINATIONS * countedMs) / 3_600_000;
  return { alarms: started.length, destinationsAlerted: new Set(started.map((e) => e.attack.target)).size, destinationHours, perDestinationHour: Math.round((started.length / destinationHours) * 100) / 100, rules };
}

function rulesText(r: AlarmCount): string {
  const parts = Object.entries(r.rules).map(([k, n]) => `${k} ${n}`);
  return parts.length > 0 ? ` [${parts.join(', ')}]` : '';
}

function main(): void {
  const started = new Date();
  process.stdout.write(
    `false alarms: ${DESTINATIONS} benign destinations × ${MINUTES} min per level (after ${WARM_MS / 1000} s of warm-up), threshold ${THRESHOLD} pps, 1:${SAMPLING}; load ${loadavg()[0]!.toFixed(2)}\n`,
  );
  const ruleNames = values.rules ? values.rules.split(',') : Object.keys(RULES);
  for (const n of ruleNames) if (!RULES[n]) throw new Error(`unknown rule ${n} (${Object.keys(RULES).join(', ')})`);
  const results: Record<string, Record<string, unknown>> = {};
  const line = (label: string, r: AlarmCount, t: number, extra = '') =>
    process.stdout.write(
      `  ${label}: ${r.alarms} alarms (${r.destinationsAlerted} of ${DESTINATIONS} destinations) in ${r.destinationHours.toFixed(1)} destination-hours = ${r.perDestinationHour} per destination-hour${extra}${rulesText(r)} (${((performance.now() - t) / 1000).toFixed(0)} s)\n`,
    );
  for (const name of ruleNames) {
    const { label, extra } = RULES[name]!;
    results[label] = {};
    for (const f of values['step-only'] ? [] : FACTORS) {
      const t = performance.now();
      const r = falseAlarms(extra, () => f * THRESHOLD);
      results[label]![`${f}x`] = r;
      line(`${label}, ${f}×`, r, t);
    }
    if (values.step || values['step-only']) {
      const t = performance.now();
      const stepAt = WARM_MS + STEP_QUIET_MS;
      const r = falseAlarms(extra, (ms) => (ms < stepAt ? 0.1 : 0.8) * THRESHOLD);
      results[label]!['step 0.1x -> 0.8x'] = { ...r, stepAtMs: stepAt, alarmsPerStep: r.alarms / DESTINATIONS };
      line(`${label}, step 0.1× → 0.8× at ${stepAt / 1000} s`, r, t, `, ${(r.alarms / DESTINATIONS).toFixed(3)} per step`);
    }
  }
  const out = values.out;
  if (out) {
    const command = `node --conditions=source --import tsx bench/detect/false-alarms.ts --minutes ${MINUTES} --destinations ${DESTINATIONS} --factors ${FACTORS.join(',')}${values.step ? ' --step' : ''}${values['step-only'] ? ' --step-only' : ''} --step-quiet-seconds ${STEP_QUIET_MS / 1000}${values.rules ? ` --rules ${values.rules}` : ''}`;
    writeFileSync(out, `${JSON.stringify({ date: started.toISOString(), command, cores: cpus().length, threshold: THRESHOLD, sampling: SAMPLING, warmUpMs: WARM_MS, results }, null, 2)}\n`);
    process.stdout.write(`wrote ${out}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
