// Scenarios under dynamic baselines, in compressed time (a "day" is 24 slots of 10 s; sub-windows of 10 s; a
// 60 s recent window; one minute of warm-up; growth limited to 2x per sub-window unless a test says otherwise):
// a benign diurnal day must not alarm, a flash crowd is tcp_flood with low confidence, a slow ramp is caught
// because the baseline does not follow it, a confident attack freezes the baseline, and after a restart a
// detector with the saved baselines decides as the first one would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBaselines, decodeBaselines } from '../../src/detection/baseline-file.js';
import { BaselineBook } from '../../src/detection/baseline.js';
import { Detector } from '../../src/detection/detector.js';
import { keyIndex } from '../../src/counting/vector.js';
import type { AttackEvent } from '../../src/detection/attack.js';
import { attackTraffic, rate, udpServiceTraffic, webServerTraffic, type Scenario } from '../../src/synthetic/traffic-scenarios.js';
import { compressedBaseline, detectionConfig, runScenario, T0 } from './helpers.js';

const victim = '198.51.100.20';
const DAY = 240_000;

test('a benign diurnal day (compressed, two days, 5k..60k pps) raises no attack once baselines rule', () => {
  const config = detectionConfig({ detection: { baseline: compressedBaseline(), quietSeconds: 3 } });
  const scenario: Scenario = {
    name: 'diurnal',
    durationMs: 2 * DAY,
    seed: 3,
    shapes: [webServerTraffic({ to: victim, rate: rate.diurnal(5000, 60_000, DAY), samplingRate: 1000 })],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => `${e.attack.vector}@${e.attack.startedAt - T0}`), []);
  const total = run.detector.baselines.get(victim, keyIndex('total'));
  assert.ok(total, 'a total baseline was learned for the victim');
  // The slot an hour (10 s) before the end of day 2 has last cycle's value blended in.
  const p = total.value(Math.floor((T0 + 2 * DAY) / 1000), 'pps');
  assert.ok(p > 5000 && p < 120_000, `baseline ${p} pps`);
});

test('flash crowd: a sudden 5x rise of legitimate HTTPS traffic is tcp_flood with low confidence (policy)', () => {
  const config = detectionConfig({ detection: { baseline: compressedBaseline(), quietSeconds: 3 } });
  const scenario: Scenario = {
    name: 'flash-crowd',
    durationMs: 200_000,
    seed: 5,
    shapes: [webServerTraffic({ to: victim, rate: rate.step(20_000, 100_000, 150_000), samplingRate: 1000 })],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  assert.ok(run.started.length <= 1, `at most one attack: ${run.started.map((e) => e.attack.vector).join(', ')}`);
  for (const e of run.started) {
    const a = e.attack;
    assert.equal(a.vector, 'tcp_flood');
    assert.ok(a.confidence <= 0.3, `confidence ${a.confidence}`);
    assert.equal(a.severity, 'low');
    assert.equal(a.profile.flashCrowdLikely, true);
    assert.ok(a.startedAt >= T0 + 150_000);
  }
});

test('a SYN flood on top of the same traffic, with the same baselines, is a confident syn_flood', () => {
  const config = detectionConfig({ detection: { baseline: compressedBaseline(), quietSeconds: 3 } });
  const scenario: Scenario = {
    name: 'syn-on-baseline',
    durationMs: 180_000,
    seed: 5,
    shapes: [
      webServerTraffic({ to: victim, rate: rate.constant(20_000), samplingRate: 1000 }),
      attackTraffic('syn_flood', { to: victim, rate: rate.constant(80_000), samplingRate: 1000, startMs: 150_000, endMs: 170_000 }),
    ],
    attacks: [{ target: victim, vector: 'syn_flood', startMs: 150_000, endMs: 170_000 }],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => e.attack.vector), ['syn_flood']);
  const a = run.started[0]!.attack;
  assert.ok(a.confidence >= 0.6, `confidence ${a.confidence}`);
  assert.equal(a.profile.flashCrowdLikely, false);
  assert.ok(['baseline', 'floor'].includes(a.threshold.source), `threshold source ${a.threshold.source}`);
});

function rampScenario(): Scenario {
  return {
    name: 'slow-ramp',
    durationMs: 420_000,
    seed: 9,
    shapes: [
      udpServiceTraffic({ to: victim, rate: rate.constant(20_000), samplingRate: 100 }),
      // +1k pps every second for five minutes: each 10 s sub-window is 5..50% above the one before.
      attackTraffic('udp_flood', { name: 'ramp', to: victim, rate: rate.ramp(0, 300_000, 120_000, 420_000), samplingRate: 100, startMs: 120_000 }),
    ],
    attacks: [{ target: victim, vector: 'udp_flood', startMs: 120_000, endMs: 420_000 }],
  };
}

test('slow ramp: caught, because the baseline may rise only 5% per sub-window and waits before learning', () => {
  const config = detectionConfig({
    networks: ['198.51.100.0/24'],
    detection: { baseline: compressedBaseline({ maxGrowthPerHour: 1.05 ** 360 }), thresholds: { total: { pps: 10_000_000 }, udp: { pps: 10_000_000 } } },
  });
  const run = runScenario(rampScenario(), config);
  const udp = run.started.filter((e) => e.attack.vector === 'udp_flood');
  assert.equal(udp.length, 1, `one udp_flood: ${run.started.map((e) => e.attack.vector).join(', ')}`);
  const a = udp[0]!.attack;
  assert.ok(['baseline', 'floor'].includes(a.threshold.source));
  // Caught while the ramp is still well under 300k pps.
  assert.ok(a.startedAt < T0 + 330_000, `started ${(a.startedAt - T0) / 1000} s in`);
});

test('slow ramp, contrast: a baseline allowed to follow traffic at any speed learns the ramp and misses it', () => {
  const config = detectionConfig({
    networks: ['198.51.100.0/24'],
    detection: { baseline: compressedBaseline({ maxGrowthPerHour: 1e300, commitDelaySeconds: 0 }), thresholds: { total: { pps: 10_000_000 }, udp: { pps: 10_000_000 } } },
  });
  const run = runScenario(rampScenario(), config);
  assert.equal(run.started.filter((e) => e.attack.vector === 'udp_flood').length, 0);
});

test('baseline freezing: a confident attack leaves the target baseline exactly as it was, and learning resumes after', () => {
  const config = detectionConfig({ detection: { baseline: compressedBaseline(), quietSeconds: 2 } });
  const scenario: Scenario = {
    name: 'freeze',
    durationMs: 260_000,
    seed: 7,
    shapes: [
      webServerTraffic({ to: victim, rate: rate.constant(20_000), samplingRate: 1000 }),
      // Longer than the whole 60 s window: an unfrozen baseline would both learn it and forget what came before.
      attackTraffic('udp_flood', { to: victim, rate: rate.constant(300_000), samplingRate: 1000, startMs: 120_000, endMs: 220_000 }),
    ],
    attacks: [],
  };
  const values: { t: number; pps: number }[] = [];
  const events: AttackEvent[] = [];
  const detector = new Detector({ config, epochMs: T0 - 60_000, emit: (e) => events.push(e) });
  const total = keyIndex('total');
  runScenario({ ...scenario, durationMs: 125_000 }, config, { detector, events });
  const entry = detector.baselines.get(victim, total)!;
  assert.ok(entry, 'learned before the attack');
  assert.equal(events.filter((e) => e.type === 'attack.started').length, 1);
  assert.ok(entry.frozen);
  const before = entry.value(Math.floor((T0 + 125_000) / 1000), 'pps');
  // Continue the same scenario from t = 125 s: a fresh runner over the remaining time.
  const rest: Scenario = { ...scenario, shapes: scenario.shapes.map((s) => ({ ...s, startMs: Math.max(0, (s.startMs ?? 0) - 125_000), endMs: s.endMs === undefined ? undefined : s.endMs - 125_000 })), durationMs: 90_000 };
  runScenario(rest, config, { detector, events, startAtMs: T0 + 125_000 });
  values.push({ t: 215_000, pps: entry.value(Math.floor((T0 + 215_000) / 1000), 'pps') });
  assert.equal(values[0]!.pps, before, 'unchanged while the attack lasts');
  const tail: Scenario = { ...rest, shapes: rest.shapes.map((s) => ({ ...s, startMs: Math.max(0, (s.startMs ?? 0) - 90_000), endMs: s.endMs === undefined ? undefined : Math.max(0, s.endMs - 90_000) })), durationMs: 45_000 };
  runScenario(tail, config, { detector, events, startAtMs: T0 + 215_000 });
  assert.equal(events.filter((e) => e.type === 'attack.ended').length, 1);
  assert.equal(entry.frozen, false);
  const after = entry.value(Math.floor((T0 + 260_000) / 1000), 'pps');
  assert.ok(after > 0 && after < 2 * before, `after the attack the baseline is near the old one (${after} vs ${before}), the attack was not learned`);
});

test('persistence: baselines saved and loaded into a new detector give the same thresholds and skip the warm-up', () => {
  const config = detectionConfig({ detection: { baseline: compressedBaseline(), quietSeconds: 3 } });
  const scenario: Scenario = {
    name: 'learn',
    durationMs: 150_000,
    seed: 13,
    shapes: [webServerTraffic({ to: victim, rate: rate.constant(30_000), samplingRate: 1000 })],
    attacks: [],
  };
  const first = runScenario(scenario, config);
  const bytes = encodeBaselines(first.detector.baselines);
  const second = new Detector({ config, epochMs: T0 + 100_000 });
  const loaded = decodeBaselines(bytes, second.baselines);
  assert.deepEqual(loaded, { ok: true, entries: first.detector.baselines.entries.size });
  const at = Math.floor((T0 + 150_000) / 1000);
  const a = first.detector.baselines.get(victim, keyIndex('total'))!;
  const b = second.baselines.get(victim, keyIndex('total'))!;
  b.advance(at);
  a.advance(at);
  assert.equal(b.value(at, 'pps'), a.value(at, 'pps'));
  assert.equal(second.baselines.learningSinceMs, first.detector.baselines.learningSinceMs);
  assert.equal(second.baselines.isWarm(T0 + 150_000, 60_000), true);
  // Other settings: the file is refused, not misread.
  const other = new BaselineBook({ ...second.baselines.settings, subWindowSeconds: 20 }, 100);
  const refused = decodeBaselines(bytes, other);
  assert.equal(refused.ok, false);
  assert.equal(other.entries.size, 0);
});
