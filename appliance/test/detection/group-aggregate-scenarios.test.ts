// Labeled scenarios for host-group aggregates (counting every prefix of a group together, per address family):
// carpet bombing spread so thinly that no host, block or single prefix crosses anything, found on the group's
// aggregate and reported on the prefixes that carry it; group thresholds from the group, its parent and the global
// default; a flash crowd over a group; IPv6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFlowSpecRule } from '../../src/flowspec/validate.js';
import { attackTraffic, rate, webServerTraffic, type Scenario } from '../../src/synthetic/traffic-scenarios.js';
import { compressedBaseline, detectionConfig, runScenario, T0 } from './helpers.js';

/** Static thresholds only, and no block or prefix thresholds: only hosts and group aggregates can alert. */
const groupsOnly = { baseline: { enabled: false }, quietSeconds: 3, blockThresholds: { total: { pps: 0, bps: 0 }, amplification: { pps: 0 } } };

test('carpet bombing over a /24 of a host group, every host and the block under their thresholds: one carpet_bombing attack on that prefix, on time', () => {
  const config = detectionConfig({
    networks: ['192.0.2.0/24'],
    hostGroups: [{ name: 'hosting', prefixes: ['198.51.100.0/24', '203.0.113.0/24'], groupThresholds: { total: { pps: 150_000 } } }],
    detection: groupsOnly,
  });
  const scenario: Scenario = {
    name: 'group-carpet',
    durationMs: 16_000,
    seed: 31,
    shapes: [
      webServerTraffic({ name: 'web', to: { prefix: '203.0.113.0/24', hosts: 40, first: 1 }, rate: rate.constant(30_000), samplingRate: 1000 }),
      // 240k pps over 200 hosts: 1.2k pps each (host thresholds: 20k amplification, 100k udp).
      attackTraffic('dns_amplification', { name: 'carpet', to: { prefix: '198.51.100.0/24', hosts: 200, first: 20 }, rate: rate.constant(240_000), samplingRate: 1000, startMs: 5000, endMs: 11_000 }),
    ],
    attacks: [{ target: '198.51.100.0/24', vector: 'carpet_bombing', startMs: 5000, endMs: 11_000 }],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => `${e.attack.vector} ${e.attack.target}`), ['carpet_bombing 198.51.100.0/24']);
  const a = run.started[0]!.attack;
  assert.equal(a.targetKind, 'prefix');
  assert.equal(a.hostGroup, 'hosting');
  assert.deepEqual([a.threshold.key, a.threshold.value, a.threshold.hostGroup, a.threshold.source], ['total', 150_000, 'hosting', 'static']);
  // Start: within two ticks of the shape's first sample (the onset is found per tick, over the last window, with
  // level-one totals before the aggregate's promotion); detection within 1.5 s of the onset.
  const first = run.result.firstAttackSample.get('carpet')!;
  assert.ok(first - T0 >= 5000 && first - T0 < 5100, `first sample ${first - T0}`);
  assert.ok(Math.abs(a.firstSampleAt - first) <= 200, `firstSampleAt ${a.firstSampleAt - T0}`);
  assert.equal(a.detectionLatencyMs, a.startedAt - a.firstSampleAt);
  assert.ok(a.startedAt - T0 >= 5000 && a.startedAt - T0 <= 6500, `started at ${a.startedAt - T0}`);
  // Signature, profile and rates are the prefix's.
  assert.equal(a.signature.match.destination.prefix, '198.51.100.0/24');
  assert.deepEqual(a.signature.match.sourcePort, [[{ op: '=', value: 53 }]]);
  assert.ok(a.signature.coverage >= 0.95);
  assert.ok(validateFlowSpecRule({ family: 'ipv4', match: a.signature.match, actions: [{ type: 'discard' }] }, { protectedPrefixes: config.networks.concat(['198.51.100.0/24', '203.0.113.0/24']) }).ok);
  assert.ok(a.profile.topDestinations.length >= 10 && a.profile.topDestinations.every((d) => d.key.startsWith('198.51.100.') && d.share < 0.2), JSON.stringify(a.profile.topDestinations));
  const mid = run.events.filter((e) => e.type === 'attack.updated' && e.attack.updatedAt - T0 <= 10_000).at(-1)!.attack;
  assert.ok(mid.rates.pps > 200_000 && mid.rates.pps < 280_000, `pps ${mid.rates.pps}`);
  assert.equal(run.ended.length, 1);
  assert.ok(run.ended[0]!.attack.endedAt! - T0 >= 11_000 && run.ended[0]!.attack.endedAt! - T0 <= 12_500);
});

test('carpet bombing across two prefixes of a group, each under its own prefix threshold: one attack per prefix, rates split', () => {
  const config = detectionConfig({
    networks: [],
    hostGroups: [{ name: 'hosting', prefixes: ['198.51.100.0/24', '203.0.113.0/24'], networkThresholds: { total: { pps: 150_000 } }, groupThresholds: { total: { pps: 150_000 } } }],
    detection: groupsOnly,
  });
  const scenario: Scenario = {
    name: 'group-carpet-two',
    durationMs: 12_000,
    seed: 32,
    shapes: [
      attackTraffic('ntp_amplification', { name: 'a', to: { prefix: '198.51.100.0/24', hosts: 200, first: 1 }, rate: rate.constant(120_000), samplingRate: 1000, startMs: 3000, endMs: 8000 }),
      attackTraffic('ntp_amplification', { name: 'b', to: { prefix: '203.0.113.0/24', hosts: 200, first: 1 }, rate: rate.constant(80_000), samplingRate: 1000, startMs: 3000, endMs: 8000 }),
    ],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => `${e.attack.vector} ${e.attack.target}`).sort(), ['carpet_bombing 198.51.100.0/24', 'carpet_bombing 203.0.113.0/24']);
  const by = new Map(run.started.map((e) => [e.attack.target, e.attack]));
  const a = by.get('198.51.100.0/24')!;
  const b = by.get('203.0.113.0/24')!;
  assert.equal(a.signature.match.destination.prefix, '198.51.100.0/24');
  assert.equal(b.signature.match.destination.prefix, '203.0.113.0/24');
  assert.ok(a.profile.topDestinations.every((d) => d.key.startsWith('198.51.100.')));
  assert.ok(b.profile.topDestinations.every((d) => d.key.startsWith('203.0.113.')));
  // Each prefix's share of the aggregate once the window is full: 60 % and 40 % of 200k pps, within sampling noise.
  const latest = (target: string) => run.events.filter((e) => e.type === 'attack.updated' && e.attack.target === target && e.attack.updatedAt - T0 <= 7500).at(-1)!.attack;
  const ua = latest('198.51.100.0/24');
  const ub = latest('203.0.113.0/24');
  assert.ok(ua.rates.pps > 90_000 && ua.rates.pps < 150_000, `first prefix ${ua.rates.pps}`);
  assert.ok(ub.rates.pps > 50_000 && ub.rates.pps < 110_000, `second prefix ${ub.rates.pps}`);
  assert.ok(Math.abs(ua.rates.pps + ub.rates.pps - 200_000) < 30_000, `sum ${ua.rates.pps + ub.rates.pps}`);
  assert.equal(run.ended.length, 2);
});

test('group thresholds: the group\'s own, inherited from its parent, the global default; none configured, none counted', () => {
  const config = detectionConfig({
    networks: ['192.0.2.0/24'],
    hostGroups: [
      { name: 'customers', prefixes: ['198.51.100.0/25'], groupThresholds: { total: { pps: 100_000 } } },
      { name: 'premium', parent: 'customers', prefixes: ['198.51.100.128/25'] },
      { name: 'lab', prefixes: ['203.0.113.0/25'] },
      { name: 'office', prefixes: ['203.0.113.128/25'], groupThresholds: { total: { pps: 0 } } },
    ],
    detection: { ...groupsOnly, groupThresholds: { total: { pps: 200_000 } } },
  });
  const carpet = (name: string, prefix: string, pps: number) =>
    attackTraffic('dns_amplification', { name, to: { prefix, hosts: 100, first: 1 }, rate: rate.constant(pps), samplingRate: 1000, startMs: 2000, endMs: 7000 });
  const scenario: Scenario = {
    name: 'group-thresholds',
    durationMs: 10_000,
    seed: 33,
    shapes: [
      carpet('customers', '198.51.100.0/25', 150_000), // over its own 100k
      carpet('premium', '198.51.100.128/25', 150_000), // over customers' 100k, inherited
      carpet('lab', '203.0.113.0/25', 150_000), // under the global 200k
      carpet('office', '203.0.113.128/25', 400_000), // over the global 200k, but switched off for this group
      carpet('global', '192.0.2.0/24', 300_000), // the root group's aggregate: over the global 200k
    ],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  const got = run.started.map((e) => `${e.attack.target} ${e.attack.hostGroup} ${e.attack.threshold.hostGroup} ${e.attack.threshold.value}`).sort();
  assert.deepEqual(got, ['192.0.2.0/24 global global 200000', '198.51.100.0/25 customers customers 100000', '198.51.100.128/25 premium customers 100000']);
  assert.ok(run.started.every((e) => e.attack.vector === 'carpet_bombing'));
  // A group whose aggregate has no threshold (office: switched off) is not counted at all; the others are.
  // Group indices: global 0, customers 1, premium 2, lab 3, office 4; IPv4 aggregate = entry 2 × index.
  const groups = run.detector.counter.groups;
  const tick = run.detector.counter.tickOf(T0 + 5000);
  assert.equal(groups.windowPackets(2 * 4, tick), 0, 'office not counted');
  for (const g of [0, 1, 2, 3]) assert.ok(groups.windowPackets(2 * g, tick) > 100_000, `group ${g} counted`);
});

test('flash crowd over a host group: a sudden 5x rise of its legitimate web traffic is not confident carpet bombing', () => {
  const config = detectionConfig({
    networks: [],
    hostGroups: [{ name: 'web', prefixes: ['198.51.100.0/24'], baseline: { groupFloor: { total: { pps: 30_000 } } } }],
    detection: { ...groupsOnly, baseline: compressedBaseline() },
  });
  const scenario: Scenario = {
    name: 'group-flash-crowd',
    durationMs: 200_000,
    seed: 34,
    shapes: [webServerTraffic({ to: { prefix: '198.51.100.0/24', hosts: 100, first: 1 }, rate: rate.step(20_000, 100_000, 150_000), samplingRate: 1000 })],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  assert.ok(run.started.length <= 1, `at most one attack: ${run.started.map((e) => `${e.attack.vector} ${e.attack.target}`).join(', ')}`);
  for (const e of run.started) {
    const a = e.attack;
    assert.equal(a.vector, 'tcp_flood');
    assert.equal(a.target, '198.51.100.0/24');
    assert.ok(a.confidence <= 0.3, `confidence ${a.confidence}`);
    assert.equal(a.severity, 'low');
    assert.equal(a.profile.flashCrowdLikely, true);
    assert.ok(a.startedAt >= T0 + 150_000);
  }
});

test('a SYN flood spread over the same group, same baselines: confident carpet bombing (the flash-crowd rule does not hide it)', () => {
  const config = detectionConfig({
    networks: [],
    hostGroups: [{ name: 'web', prefixes: ['198.51.100.0/24'], baseline: { groupFloor: { total: { pps: 30_000 } } } }],
    detection: { ...groupsOnly, baseline: compressedBaseline() },
  });
  const scenario: Scenario = {
    name: 'group-syn',
    durationMs: 200_000,
    seed: 34,
    shapes: [
      webServerTraffic({ to: { prefix: '198.51.100.0/24', hosts: 100, first: 1 }, rate: rate.constant(20_000), samplingRate: 1000 }),
      attackTraffic('syn_flood', { name: 'syn', to: { prefix: '198.51.100.0/24', hosts: 100, first: 1 }, rate: rate.constant(80_000), samplingRate: 1000, startMs: 150_000, endMs: 180_000 }),
    ],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => `${e.attack.vector} ${e.attack.target}`), ['carpet_bombing 198.51.100.0/24']);
  const a = run.started[0]!.attack;
  assert.equal(a.profile.flashCrowdLikely, false);
  assert.ok(a.confidence >= 0.5, `confidence ${a.confidence}`);
  assert.equal(a.threshold.source === 'baseline' || a.threshold.source === 'floor', true);
  assert.ok(a.startedAt - T0 >= 150_000 && a.startedAt - T0 <= 152_000);
});

test('IPv6: carpet bombing across a /64 of a group prefix is found on the group (per family) and reported on the prefix', () => {
  const config = detectionConfig({
    networks: ['198.51.100.0/24'],
    hostGroups: [{ name: 'v6', prefixes: ['2001:db8:200::/48', '203.0.113.0/24'], groupThresholds: { udp: { pps: 50_000 } } }],
    detection: groupsOnly,
  });
  const scenario: Scenario = {
    name: 'group-carpet-v6',
    durationMs: 12_000,
    seed: 35,
    shapes: [
      // IPv4 traffic of the same group: counted in its IPv4 aggregate, not in the IPv6 one.
      attackTraffic('udp_flood', { name: 'v4', to: { prefix: '203.0.113.0/24', hosts: 100, first: 1 }, rate: rate.constant(40_000), samplingRate: 1000, startMs: 3000, endMs: 8000 }),
      attackTraffic('udp_flood', { name: 'v6', to: { prefix: '2001:db8:200:1::/64', hosts: 500, first: 1 }, from: { prefix: '2001:db8:c000::/36', count: 100_000 }, rate: rate.constant(150_000), samplingRate: 1000, startMs: 3000, endMs: 8000 }),
    ],
    attacks: [],
  };
  const run = runScenario(scenario, config);
  assert.deepEqual(run.started.map((e) => `${e.attack.vector} ${e.attack.target}`), ['carpet_bombing 2001:db8:200::/48']);
  const a = run.started[0]!.attack;
  assert.equal(a.ipVersion, 6);
  assert.equal(a.threshold.key, 'udp');
  assert.equal(a.signature.match.destination.prefix, '2001:db8:200::/48');
  assert.ok(a.profile.topDestinations.every((d) => d.key.startsWith('2001:db8:200:1:')));
  assert.ok(validateFlowSpecRule({ family: 'ipv6', match: a.signature.match, actions: [{ type: 'discard' }] }, { protectedPrefixes: ['2001:db8:200::/48'] }).ok);
  assert.ok(a.startedAt - run.result.firstAttackSample.get('v6')! <= 1500);
});
