// The quiet-before rule (docs/detection.md): a destination whose rate before its windows was far below a packets/s
// threshold is tested again at quietConfidence (0.95) when the strict rule does not decide. Labeled scenarios on
// the simulated clock (ticks every 100 ms of scenario time, sample arrivals from fixed seeds, so every figure is
// deterministic), at sampling 1:1000 against one static 20,000 pps threshold: a fresh victim at 2× is decided by the
// quiet rule, the same flood on a destination at 0.5× before only by the strict one (later); the rule is off before
// the counter's quietTrustTick and again after a table overflow; steady benign traffic at 0.2× (eligible for the
// rule) raises nothing. And attack.updated carries the confidence of the whole window, not the start's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttackRecord } from '../../src/detection/attack.js';
import { Detector, type DetectorConfig } from '../../src/detection/detector.js';
import { attackTraffic, rate, webServerTraffic, type Scenario, type TrafficShape } from '../../src/synthetic/traffic-scenarios.js';
import { detectionConfig, handBatch, oneThreshold, runScenario, T0 } from './helpers.js';

const THRESHOLD = 20_000;
/**
 * The detector starts ticking at T0 (the first tick); with the defaults (idle eviction 120 s, slow-rate time
 * constant 10 s) the rule is trusted from T0 + 150 s: floods start after WARM_MS.
 */
const WARM_MS = 155_000;


interface Trial {
  victim: string;
  latencyMs: number;
  rule: string | undefined;
  record: AttackRecord | undefined;
}

/**
 * `floods` floods to factor × threshold, 6 s apart from `firstMs` on, each on its own victim (198.18.1.x); with
 * `before`, every victim carries steady web traffic at that fraction of the threshold from the start, and its flood
 * adds what brings it to factor × threshold in all.
 */
function trials(options: { floods: number; factor?: number; firstMs?: number; before?: number; config?: DetectorConfig; extraShapes?: TrafficShape[] }): Trial[] {
  const { floods, factor = 2, firstMs = WARM_MS, before = 0 } = options;
  const shapes: TrafficShape[] = [webServerTraffic({ name: 'background', to: { prefix: '198.18.0.0/24', hosts: 100, first: 1 }, rate: rate.constant(200_000), samplingRate: 1000 })];
  const victims: string[] = [];
  for (let i = 0; i < floods; i++) {
    const victim = `198.18.1.${i + 1}`;
    victims.push(victim);
    if (before > 0) shapes.push(webServerTraffic({ name: `before-${i}`, to: victim, rate: rate.constant(before * THRESHOLD), samplingRate: 1000 }));
    // Onset at a different phase of the 100 ms tick in each trial.
    const startMs = firstMs + i * 6000 + ((i * 37) % 100);
    // With traffic before, the flood brings the victim to factor × threshold in all.
    shapes.push(attackTraffic('udp_flood', { name: `flood-${i}`, to: victim, rate: rate.constant((factor - before) * THRESHOLD), samplingRate: 1000, startMs, endMs: startMs + 3000 }));
  }
  shapes.push(...(options.extraShapes ?? []));
  const scenario: Scenario = { name: 'quiet-rule', durationMs: firstMs + floods * 6000, seed: 5, shapes, attacks: [] };
  const run = runScenario(scenario, options.config ?? oneThreshold());
  const others = run.started.filter((e) => !victims.includes(e.attack.target));
  assert.equal(others.length, 0, `no other destination alerted: ${others.map((e) => e.attack.target).join(', ')}`);
  return victims.map((victim, i) => {
    const started = run.started.find((e) => e.attack.target === victim);
    const first = run.result.firstAttackSample.get(`flood-${i}`)!;
    return { victim, latencyMs: started ? started.attack.startedAt - first : Infinity, rule: started?.attack.threshold.rule, record: started?.attack };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

test('a fresh victim at 2× a 20,000 pps threshold (1:1000) is decided by the quiet rule, in under 800 ms in at least 18 of 20 trials', (t) => {
  const quiet = trials({ floods: 20 });
  const strict = trials({ floods: 20, config: oneThreshold({ quietConfidence: 0 }) });
  t.diagnostic(`quiet rule on:  ${quiet.map((x) => `${Math.round(x.latencyMs)}${x.rule === 'quiet' ? 'q' : 's'}`).join(' ')}`);
  t.diagnostic(`quiet rule off: ${strict.map((x) => `${Math.round(x.latencyMs)}${x.rule === 'quiet' ? 'q' : 's'}`).join(' ')}`);
  // The strict rule is tested first: when both would decide at the same tick (a fast start), the record says steady.
  assert.ok(quiet.every((x) => Number.isFinite(x.latencyMs)) && quiet.filter((x) => x.rule === 'quiet').length >= 16, 'decided by the quiet rule in at least 16 of 20 trials');
  assert.ok(strict.every((x) => x.rule === 'steady'), 'with quietConfidence 0 the rule is off');
  assert.ok(quiet.filter((x) => x.latencyMs < 800).length >= 18, quiet.map((x) => Math.round(x.latencyMs)).join(', '));
  assert.ok(median(quiet.map((x) => x.latencyMs)) < median(strict.map((x) => x.latencyMs)), 'sooner than the strict rule alone');
  const a = quiet[0]!.record!;
  assert.equal(a.vector, 'udp_flood');
  assert.equal(a.threshold.key, 'total');
  assert.equal(a.threshold.metric, 'pps');
  assert.ok(a.threshold.lowerBound >= THRESHOLD, `lower bound ${a.threshold.lowerBound} (at the quiet confidence) above the threshold`);
});

test('2× on a destination at 0.5× before (its flood adds 1.5×) is decided by the strict rule only, later', (t) => {
  const busy = trials({ floods: 20, before: 0.5 });
  const fresh = trials({ floods: 20 });
  t.diagnostic(`at 0.5× before: ${busy.map((x) => `${Math.round(x.latencyMs)}${x.rule === 'quiet' ? 'q' : 's'}`).join(' ')}`);
  assert.ok(busy.every((x) => x.rule === 'steady' && Number.isFinite(x.latencyMs)), 'every trial decided, by the strict rule');
  assert.ok(median(busy.map((x) => x.latencyMs)) > median(fresh.map((x) => x.latencyMs)), 'later than on a fresh victim');
});

test('the rule is off before quietTrustTick: floods in the first 150 s after start are decided by the strict rule', () => {
  const early = trials({ floods: 5, firstMs: 3000 });
  assert.ok(early.every((x) => x.rule === 'steady' && Number.isFinite(x.latencyMs)), early.map((x) => x.rule).join(', '));
});

test('the rule is off again after a table overflow, until idle eviction time + 3 time constants later', () => {
  // A block table of 16 entries: 24 /24s hit at 140 s overflow it (their hosts' samples are counted, the blocks'
  // are not: a destination inside an uncounted block could have been busy unseen).
  const config = oneThreshold({ maxBlocks: 16 });
  const burst: TrafficShape[] = Array.from({ length: 24 }, (_, i) =>
    webServerTraffic({ name: `spread-${i}`, to: `198.18.${10 + i}.1`, rate: rate.constant(5000), samplingRate: 1000, startMs: 140_000, endMs: 141_000 }),
  );
  const after = trials({ floods: 5, config, extraShapes: burst });
  assert.ok(after.every((x) => x.rule === 'steady' && Number.isFinite(x.latencyMs)), after.map((x) => x.rule).join(', '));
  // The same without the overflow: the quiet rule.
  const without = trials({ floods: 5, config });
  assert.ok(without.every((x) => x.rule === 'quiet'), without.map((x) => x.rule).join(', '));
});

test('the trust tick: start + idle eviction + 3 time constants, moved by an overflow; Infinity before the first tick', () => {
  const config = oneThreshold({ maxDestinations: 16, quietBeforeSeconds: 5 });
  assert.equal(new Detector({ config, epochMs: T0 }).counter.quietTrustTick, Infinity, 'never ticked: never trusted');
  const run = runScenario({ name: 'idle', durationMs: 1000, seed: 1, shapes: [], attacks: [] }, config);
  const c = run.detector.counter;
  const start = c.tickOf(T0 + 100) - 1;
  assert.equal(c.quietTrustTick, start + 1200 + 3 * 50);
  assert.deepEqual(run.detector.report().quietRule, { enabled: true, trusted: false, trustedFrom: new Date(c.tickStartMs(start + 1350)).toISOString() });
  // 20 new destinations at T0 + 2 s: 16 fit, the rest overflow the host table.
  for (let i = 0; i < 20; i++) run.detector.consume(handBatch([{ dst: `198.18.3.${i + 1}`, samplingRate: 1000 }], T0 + 2000));
  assert.equal(c.hosts.overflowSamples, 4);
  assert.equal(c.quietTrustTick, c.tickOf(T0 + 2000) + 1200 + 150);
});

test('steady benign traffic at 0.2× and 0.25× the threshold (eligible for the quiet rule) raises nothing over 10 simulated minutes', () => {
  // Attacks end after 1 s under 0.95× their threshold here, so every false start would be counted.
  const config = oneThreshold({ endFraction: 0.95, quietSeconds: 1 });
  for (const factor of [0.2, 0.25]) {
    const scenario: Scenario = {
      name: `benign-${factor}`,
      durationMs: 10 * 60_000,
      seed: 8,
      shapes: Array.from({ length: 20 }, (_, i) => webServerTraffic({ name: `benign-${i}`, to: `198.18.2.${i + 1}`, rate: rate.constant(factor * THRESHOLD), samplingRate: 1000 })),
      attacks: [],
    };
    const run = runScenario(scenario, config);
    assert.equal(run.started.length, 0, `${factor}×: ${run.started.map((e) => `${e.attack.target} ${e.attack.threshold.rule}`).join(', ')}`);
  }
});

test('attack.updated carries the confidence of the whole window, not the discount of the few samples the start was decided on', () => {
  // An IP-fragment flood at 2× on a fresh victim, decided on a handful of samples (the lab's fragment flood stayed
  // at 0.444 for its whole life).
  const shapes: TrafficShape[] = [
    webServerTraffic({ name: 'background', to: { prefix: '198.18.0.0/24', hosts: 100, first: 1 }, rate: rate.constant(200_000), samplingRate: 1000 }),
    attackTraffic('ip_fragments', { name: 'frag', to: '198.18.1.77', rate: rate.constant(2 * THRESHOLD), samplingRate: 1000, startMs: WARM_MS, endMs: WARM_MS + 6000 }),
  ];
  const run = runScenario({ name: 'confidence', durationMs: WARM_MS + 8000, seed: 12, shapes, attacks: [] }, oneThreshold());
  const mine = run.events.filter((e) => e.attack.target === '198.18.1.77');
  const started = mine.find((e) => e.type === 'attack.started')!.attack;
  const updates = mine.filter((e) => e.type === 'attack.updated').map((e) => e.attack);
  assert.equal(started.vector, 'ip_fragments');
  assert.ok(started.confidence < 0.8, `the start is discounted (${started.confidence} on ${started.samples} samples)`);
  assert.ok(updates.length >= 3, `${updates.length} updates`);
  // 40 samples a second of one family: 40/44 of a share of 1.
  for (const u of updates.slice(0, 4)) assert.ok(u.confidence >= 0.85, `update at +${u.updatedAt - started.startedAt} ms: confidence ${u.confidence}`);
});

test('an attack that has gone quiet keeps its confidence: the window then holds the target\'s own traffic, not the attack\'s', () => {
  // The victim serves web traffic at 0.45× (9 samples/s: enough for a window of its own after the flood); the
  // attack is quiet under 0.8× and ends after 6 s of it.
  const shapes: TrafficShape[] = [
    webServerTraffic({ name: 'own', to: '198.18.1.78', rate: rate.constant(0.45 * THRESHOLD), samplingRate: 1000 }),
    attackTraffic('ip_fragments', { name: 'frag', to: '198.18.1.78', rate: rate.constant(2 * THRESHOLD), samplingRate: 1000, startMs: 5000, endMs: 11_000 }),
  ];
  const run = runScenario({ name: 'confidence-end', durationMs: 30_000, seed: 13, shapes, attacks: [] }, oneThreshold({ quietSeconds: 6, endFraction: 0.8 }));
  const mine = run.events.filter((e) => e.attack.target === '198.18.1.78');
  const updates = mine.filter((e) => e.type === 'attack.updated').map((e) => e.attack);
  const ended = mine.find((e) => e.type === 'attack.ended')!.attack;
  const quiet = updates.filter((u) => u.updatedAt >= T0 + 13_000);
  assert.ok(quiet.length >= 3, `${quiet.length} updates after the flood, before the end`);
  // Recomputed on the window after the flood, the fragments' share of the victim's traffic would be about 0.
  for (const a of [...quiet, ended]) assert.ok(a.confidence >= 0.6, `at +${a.updatedAt - T0} ms: ${a.confidence} (${updates.map((u) => u.confidence).join(', ')})`);
  assert.equal(ended.confidence, updates[updates.length - 1]!.confidence);
});

test('a decision taken while the ring holds too few samples stands for one window: the attack starts once 4 are there, though no later tick crosses again', () => {
  // The victim is promoted by its 10th sample (half the threshold over the 1 s window), so the ring holds samples
  // from that one on. 11 UDP samples inside tick T cross the 300 ms window at the quiet confidence (Poisson lower
  // bound of 11 at 95 %: 6.17 > 6 per 0.3 s) with 2 in the ring: decided, not started. One sample at T+1 (the
  // 300 ms window crosses again, 3 in the ring), none at T+2, one at T+3: the ring has 4, and no window crosses
  // any more (13 samples over 0.5 s: 15.4 per second under 20; 2 over the last 0.3 s).
  const run = runScenario({ name: 'warm', durationMs: WARM_MS, seed: 1, shapes: [], attacks: [] }, oneThreshold());
  const d = run.detector;
  const tickMs = 100;
  const t0 = Math.ceil((T0 + WARM_MS) / tickMs) * tickMs;
  const send = (n: number, atMs: number): void => {
    for (let i = 0; i < n; i++) d.consume(handBatch([{ dst: '198.18.1.90', protocol: 17, srcPort: 40000, dstPort: 443, samplingRate: 1000 }], atMs + i * 5));
  };
  const started = (): AttackRecord[] => run.events.filter((e) => e.type === 'attack.started').map((e) => e.attack);
  send(11, t0 + 10);
  d.tick(t0 + tickMs);
  send(1, t0 + tickMs + 10);
  d.tick(t0 + 2 * tickMs);
  d.tick(t0 + 3 * tickMs);
  assert.deepEqual(started(), [], 'decided, not started: at most 3 samples in the ring');
  send(1, t0 + 3 * tickMs + 10);
  d.tick(t0 + 4 * tickMs);
  const [attack, ...more] = started();
  assert.equal(more.length, 0);
  assert.ok(attack !== undefined, 'started on the standing decision once the ring has 4 samples');
  assert.equal(attack.target, '198.18.1.90');
  assert.equal(attack.vector, 'udp_flood');
  assert.equal(attack.threshold.rule, 'quiet');
  assert.equal(attack.threshold.windowMs, 300);
  assert.equal((d.report().attacks as { deferredStarts: number }).deferredStarts, 1);
});
