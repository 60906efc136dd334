// A flash crowd on a server whose usual traffic already sits above half its threshold (the lab's shape: static
// thresholds, 1:100 sampling, 100 ms ticks; the same HTTPS mix rising from 3,500 to 15,000 pps against a 5,000
// pps host threshold). Steady traffic at 70% of the threshold is the server's normal, not a rise: the detector
// must keep benign samples of it, so the rise is recognised as a likely flash crowd (tcp_flood, low confidence)
// and not a confident ack_rst_flood (nor, tick by tick on sampling noise, a second attack beside it). A SYN flood
// rising from the same level is still syn_flood, not a flash crowd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attackTraffic, rate, webServerTraffic, type Scenario } from '../../src/synthetic/traffic-scenarios.js';
import { detectionConfig, runScenario, T0 } from './helpers.js';

const victim = '198.51.100.20';

/** The lab's detection settings (lab/src/lab-config.ts): static thresholds, no baseline. */
function labLikeConfig() {
  return detectionConfig({
    detection: { tickMs: 100, quietSeconds: 2, minSamples: 8, thresholds: { total: { pps: 5_000, bps: 1e12 } }, blockThresholds: { total: { pps: 8_000, bps: 1e12 } }, baseline: { enabled: false } },
  });
}

test('flash crowd from 70% of the threshold (3,500 -> 15,000 pps HTTPS mix, 1:100): tcp_flood, low confidence, flashCrowdLikely', () => {
  const scenario: Scenario = {
    name: 'flash-crowd-near-threshold',
    durationMs: 20_000,
    seed: 11,
    shapes: [webServerTraffic({ to: victim, rate: rate.step(3_500, 15_000, 10_000), samplingRate: 100 })],
    attacks: [],
  };
  const run = runScenario(scenario, labLikeConfig());
  assert.equal(run.started.length, 1, `one attack: ${run.started.map((e) => e.attack.vector).join(', ')}`);
  const a = run.started[0]!.attack;
  assert.equal(a.vector, 'tcp_flood');
  assert.ok(a.confidence <= 0.3, `confidence ${a.confidence}`);
  assert.equal(a.severity, 'low');
  assert.equal(a.profile.flashCrowdLikely, true);
  assert.ok(a.startedAt >= T0 + 10_000, `started ${a.startedAt - T0} ms in, after the rise`);
  assert.ok(a.signature.benignSamples >= 16, `benign samples at onset: ${a.signature.benignSamples}`);
});

test('a SYN flood rising from the same 70% level is syn_flood, not taken for a flash crowd', () => {
  const scenario: Scenario = {
    name: 'syn-near-threshold',
    durationMs: 20_000,
    seed: 12,
    shapes: [
      webServerTraffic({ to: victim, rate: rate.constant(3_500), samplingRate: 100 }),
      attackTraffic('syn_flood', { to: victim, rate: rate.constant(15_000), samplingRate: 100, startMs: 10_000, endMs: 20_000 }),
    ],
    attacks: [{ target: victim, vector: 'syn_flood', startMs: 10_000, endMs: 20_000 }],
  };
  const run = runScenario(scenario, labLikeConfig());
  assert.deepEqual(run.started.map((e) => e.attack.vector), ['syn_flood']);
  const a = run.started[0]!.attack;
  assert.ok(a.confidence > 0.3, `confidence ${a.confidence}`);
  assert.equal(a.profile.flashCrowdLikely, false);
  assert.notEqual(a.severity, 'low');
});
