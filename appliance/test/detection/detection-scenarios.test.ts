// Scenarios for what is not a single vector family: carpet bombing across a /24, IPv6 on equal terms, the
// threshold sources of host groups (global default, the group's own, inherited from a parent), per-exporter
// sampling overrides, and the confidence rule (one sample at 1:10000 cannot start an attack; enough can).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttackEvent } from '../../src/detection/attack.js';
import { Detector } from '../../src/detection/detector.js';
import { validateFlowSpecRule } from '../../src/flowspec/validate.js';
import { agentAddress, attackTraffic, rate, webServerTraffic, type Scenario } from '../../src/synthetic/traffic-scenarios.js';
import { detectionConfig, handBatch, runScenario, T0 } from './helpers.js';

const staticOnly = { baseline: { enabled: false }, quietSeconds: 3 };

test('carpet bombing: DNS amplification spread over 200 hosts of a /24 is one carpet_bombing attack on the /24', () => {
  const config = detectionConfig({ detection: staticOnly });
  const scenario: Scenario = {
    name: 'carpet',
    durationMs: 20_000,
    seed: 21,
    shapes: [
      webServerTraffic({ to: { prefix: '198.51.100.0/24', hosts: 50, first: 1 }, rate: rate.constant(50_000), samplingRate: 4000 }),
      // 1.5M pps in all, 7.5k pps per host: under every host threshold (amplification: 20k pps), over the block's.
      attackTraffic('dns_amplification', { to: { prefix: '198.51.100.0/24', hosts: 200, first: 20 }, rate: rate.constant(1_500_000), samplingRate: 4000, startMs: 5000, endMs: 12_000 }),
    ],
    attacks: [{ target: '198.51.100.0/24', vector: 'carpet_bombing', startMs: 5000, endMs: 12_000 }],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => `${e.attack.vector} ${e.attack.target}`), ['carpet_bombing 198.51.100.0/24']);
  const a = run.started[0]!.attack;
  assert.equal(a.targetKind, 'prefix');
  assert.equal(a.threshold.key === 'amplification' || a.threshold.key === 'total', true);
  assert.equal(a.signature.match.destination.prefix, '198.51.100.0/24');
  assert.deepEqual(a.signature.match.sourcePort, [[{ op: '=', value: 53 }]]);
  assert.ok(a.signature.coverage >= 0.95);
  assert.equal(a.profile.vectors[0]!.key, 'udp_dns');
  assert.ok(a.profile.topDestinations.length >= 10 && a.profile.topDestinations[0]!.share < 0.1, 'spread over many hosts');
  assert.ok(validateFlowSpecRule({ family: 'ipv4', match: a.signature.match, actions: [{ type: 'discard' }] }, { protectedPrefixes: config.networks }).ok);
  assert.equal(run.ended.length, 1);
  assert.ok(run.ended[0]!.attack.endedAt! - T0 >= 12_000 && run.ended[0]!.attack.endedAt! - T0 <= 14_000);
});

test('a flood on one host of a block is that host\'s attack, not carpet bombing of the block', () => {
  const config = detectionConfig({ detection: { ...staticOnly, blockThresholds: { total: { pps: 150_000 } } } });
  const scenario: Scenario = {
    name: 'single-host',
    durationMs: 12_000,
    seed: 4,
    shapes: [attackTraffic('udp_flood', { to: '198.51.100.77', rate: rate.constant(400_000), samplingRate: 1000, startMs: 3000, endMs: 9000 })],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => `${e.attack.vector} ${e.attack.target}`), ['udp_flood 198.51.100.77']);
});

test('IPv6 on equal terms: a SYN flood to an IPv6 host and NTP amplification to another are detected like IPv4', () => {
  const config = detectionConfig({ detection: staticOnly });
  const scenario: Scenario = {
    name: 'ipv6',
    durationMs: 15_000,
    seed: 8,
    shapes: [
      webServerTraffic({ to: '2001:db8:100::10', from: { prefix: '2001:db8:ffff::/48', count: 5000 }, rate: rate.constant(3000), samplingRate: 1000 }),
      attackTraffic('syn_flood', { to: '2001:db8:100::10', from: { prefix: '2001:db8:a000::/36', count: 1_000_000 }, rate: rate.constant(100_000), samplingRate: 1000, startMs: 3000, endMs: 8000 }),
      attackTraffic('ntp_amplification', { to: '2001:db8:100::20', from: { prefix: '2001:db8:b000::/36', count: 2000 }, rate: rate.constant(100_000), samplingRate: 1000, startMs: 4000, endMs: 8000 }),
    ],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  const got = run.started.map((e) => `${e.attack.vector} ${e.attack.target}`).sort();
  assert.deepEqual(got, ['ntp_amplification 2001:db8:100::20', 'syn_flood 2001:db8:100::10']);
  for (const e of run.started) {
    const a = e.attack;
    assert.equal(a.ipVersion, 6);
    assert.equal(a.signature.match.destination.prefix, `${a.target}/128`);
    assert.ok(a.signature.coverage >= 0.95);
    assert.ok(validateFlowSpecRule({ family: 'ipv6', match: a.signature.match, actions: [{ type: 'discard' }] }, { protectedPrefixes: config.networks }).ok, JSON.stringify(a.signature.match));
    assert.ok(a.detectionLatencyMs <= 1000);
  }
  const ntp = run.started.find((e) => e.attack.vector === 'ntp_amplification')!.attack;
  assert.deepEqual(ntp.signature.match.sourcePort, [[{ op: '=', value: 123 }]]);
  // IPv6 packet length in FlowSpec is the payload length: NTP monlist frames of 482..490 bytes carry 424..432.
  const length = ntp.signature.match.packetLength![0]!;
  assert.ok(length[0]!.value <= 424 && length[1]!.value >= 432 && length[1]!.value < 482, JSON.stringify(length));
});

test('threshold sources: global default, a host group\'s own, and one inherited from its parent group', () => {
  const config = detectionConfig({
    networks: ['198.51.100.0/24'],
    hostGroups: [
      { name: 'customers', prefixes: ['203.0.113.0/24'], thresholds: { syn: { pps: 5000 } } },
      { name: 'premium', parent: 'customers', prefixes: ['203.0.113.128/25', '2001:db8:100::/48'], thresholds: { udp: { pps: 30_000 } } },
    ],
    detection: staticOnly,
  });
  const scenario: Scenario = {
    name: 'groups',
    durationMs: 12_000,
    seed: 2,
    shapes: [
      // 12k pps of SYN: under the global 20k, over customers' 5k.
      attackTraffic('syn_flood', { name: 'syn-global', to: '198.51.100.10', rate: rate.constant(12_000), samplingRate: 100, startMs: 2000, endMs: 8000 }),
      attackTraffic('syn_flood', { name: 'syn-customers', to: '203.0.113.10', rate: rate.constant(12_000), samplingRate: 100, startMs: 2000, endMs: 8000 }),
      attackTraffic('syn_flood', { name: 'syn-premium', to: '203.0.113.200', rate: rate.constant(12_000), samplingRate: 100, startMs: 2000, endMs: 8000 }),
      // 60k pps of UDP: under the global 100k, over premium's 30k; a global-group host gets the default.
      attackTraffic('udp_flood', { name: 'udp-premium', to: '2001:db8:100::5', from: { prefix: '2001:db8:c000::/36', count: 100000 }, rate: rate.constant(60_000), samplingRate: 1000, startMs: 2000, endMs: 8000 }),
      attackTraffic('udp_flood', { name: 'udp-global', to: '198.51.100.11', rate: rate.constant(150_000), samplingRate: 1000, startMs: 2000, endMs: 8000 }),
    ],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  const by = new Map(run.started.map((e) => [e.attack.target, e.attack]));
  assert.equal(by.has('198.51.100.10'), false, 'global SYN threshold (20k) not crossed');
  const customers = by.get('203.0.113.10')!;
  assert.deepEqual([customers.vector, customers.hostGroup, customers.threshold.hostGroup, customers.threshold.value, customers.threshold.source], ['syn_flood', 'customers', 'customers', 5000, 'static']);
  const premiumSyn = by.get('203.0.113.200')!;
  assert.deepEqual([premiumSyn.vector, premiumSyn.hostGroup, premiumSyn.threshold.hostGroup, premiumSyn.threshold.value], ['syn_flood', 'premium', 'customers', 5000]);
  const premiumUdp = by.get('2001:db8:100::5')!;
  assert.deepEqual([premiumUdp.vector, premiumUdp.hostGroup, premiumUdp.threshold.hostGroup, premiumUdp.threshold.value], ['udp_flood', 'premium', 'premium', 30_000]);
  const globalUdp = by.get('198.51.100.11')!;
  assert.equal(globalUdp.hostGroup, 'global');
  assert.equal(globalUdp.threshold.hostGroup, 'global');
  assert.ok(globalUdp.threshold.value === 100_000 || globalUdp.threshold.value === 200_000);
});

test('per-exporter override: a router that reports 1:1 while sampling 1:1000 is scaled right only with an override', () => {
  const scenario: Scenario = {
    name: 'wrong-rate',
    durationMs: 8000,
    seed: 6,
    shapes: [attackTraffic('dns_amplification', { to: '198.51.100.30', rate: rate.constant(100_000), samplingRate: 1000, reportedSamplingRate: 1, agent: 1, startMs: 1000 })],
    attacks: [],
  };
  const without = runScenario(scenario, detectionConfig({ detection: staticOnly }));
  assert.equal(without.started.length, 0, 'estimates 1000x too low: no attack');
  const withOverride = runScenario(scenario, detectionConfig({ detection: { ...staticOnly, samplingOverrides: [{ agent: agentAddress(1), rate: 1000 }] } }));
  assert.deepEqual(withOverride.started.map((e) => e.attack.vector), ['dns_amplification']);
  assert.deepEqual(withOverride.started[0]!.attack.samplingRates, [1000]);
  const report = withOverride.detector.report() as { samplingOverrides: { samples: number }[] };
  assert.ok(report.samplingOverrides[0]!.samples > 0);
});

test('confidence: one sample at 1:10000 cannot start an attack even under a tiny threshold; eight can', () => {
  const config = detectionConfig({ detection: { ...staticOnly, thresholds: { total: { pps: 1000 } } } });
  const events: AttackEvent[] = [];
  const detector = new Detector({ config, epochMs: T0 - 60_000, emit: (e) => events.push(e) });
  const victim = '198.51.100.40';
  detector.consume(handBatch([{ dst: victim, samplingRate: 10_000 }], T0 + 50));
  for (let t = T0 + 100; t <= T0 + 2000; t += 100) detector.tick(t);
  assert.equal(events.length, 0, 'one sample = "10,000 packets" is not evidence of 1,000 pps');
  const eight = Array.from({ length: 8 }, (_, i) => ({ dst: victim, src: `100.64.9.${i + 1}`, samplingRate: 10_000 }));
  detector.consume(handBatch(eight, T0 + 2050));
  for (let t = T0 + 2100; t <= T0 + 3000; t += 100) detector.tick(t);
  assert.deepEqual(events.map((e) => e.type), ['attack.started']);
  const a = events[0]!.attack;
  assert.ok(a.threshold.lowerBound >= 1000 && a.threshold.lowerBound < a.threshold.measured);
});

test('a destination outside every protected network is not tracked, however loud', () => {
  const config = detectionConfig({ networks: ['198.51.100.0/24'], detection: staticOnly });
  const run = runScenario(
    { name: 'outside', durationMs: 5000, seed: 1, shapes: [attackTraffic('udp_flood', { to: '192.0.2.10', rate: rate.constant(1_000_000), samplingRate: 1000 })], attacks: [] },
    config,
  );
  assert.equal(run.started.length, 0);
  const report = run.detector.report() as { samples: { counted: number; unprotected: number } };
  assert.equal(report.samples.counted, 0);
  assert.ok(report.samples.unprotected > 1000);
});
