// Labeled scenarios, one per vector family: benign traffic to a host plus an attack from t = 5 s to t = 15 s,
// sampled at 1:1000, run through the real path (sFlow → FlowBatch → detector) on a simulated clock, with static
// thresholds (the global defaults). Each must be detected once, as its family, with a signature that covers
// ≥ 95% of the attack, validates as FlowSpec, and narrows on the family's tell-tale component; and it must
// start within a second of the first attack sample and end (quiet) within two seconds of the last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttackRecord } from '../../src/detection/attack.js';
import { validateFlowSpecRule } from '../../src/flowspec/validate.js';
import { attackTraffic, rate, webServerTraffic, type AttackKind, type Scenario } from '../../src/synthetic/traffic-scenarios.js';
import { detectionConfig, runScenario, T0 } from './helpers.js';

const victim = '198.51.100.10';
const config = detectionConfig({ detection: { baseline: { enabled: false }, quietSeconds: 3 } });

interface Case {
  kind: AttackKind;
  pps: number;
  check: (a: AttackRecord) => void;
}

const srcPort = (port: number) => (a: AttackRecord) => assert.deepEqual(a.signature.match.sourcePort, [[{ op: '=', value: port }]]);
const protocol = (p: number) => (a: AttackRecord) => assert.deepEqual(a.signature.match.protocol, [[{ op: '=', value: p }]]);

const cases: Case[] = [
  { kind: 'udp_flood', pps: 400_000, check: protocol(17) },
  {
    kind: 'syn_flood',
    pps: 100_000,
    check: (a) => {
      protocol(6)(a);
      assert.deepEqual(a.signature.match.tcpFlags, [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]]);
      assert.deepEqual(a.signature.match.destinationPort, [[{ op: '=', value: 443 }]]);
    },
  },
  { kind: 'ack_rst_flood', pps: 400_000, check: (a) => assert.ok(a.signature.match.tcpFlags, 'ACK flood signature has TCP flags') },
  { kind: 'tcp_flood', pps: 600_000, check: protocol(6) },
  { kind: 'icmp_flood', pps: 100_000, check: (a) => assert.deepEqual(a.signature.match.icmpType, [[{ op: '=', value: 8 }]]) },
  { kind: 'ip_fragments', pps: 100_000, check: (a) => assert.ok(a.signature.match.fragment, 'fragment bits in the signature') },
  { kind: 'gre_flood', pps: 200_000, check: protocol(47) },
  { kind: 'dns_amplification', pps: 100_000, check: srcPort(53) },
  { kind: 'ntp_amplification', pps: 100_000, check: srcPort(123) },
  { kind: 'memcached_amplification', pps: 20_000, check: srcPort(11211) },
  { kind: 'ssdp_amplification', pps: 100_000, check: srcPort(1900) },
  { kind: 'cldap_amplification', pps: 100_000, check: srcPort(389) },
  { kind: 'snmp_amplification', pps: 100_000, check: srcPort(161) },
  { kind: 'chargen_amplification', pps: 100_000, check: srcPort(19) },
  { kind: 'wsd_amplification', pps: 100_000, check: srcPort(3702) },
];

for (const c of cases) {
  test(`${c.kind}: detected as ${c.kind}, signature covers it, starts and ends on time`, () => {
    const scenario: Scenario = {
      name: c.kind,
      durationMs: 22_000,
      seed: 11,
      shapes: [
        webServerTraffic({ to: victim, rate: rate.constant(4000), samplingRate: 1000 }),
        attackTraffic(c.kind, { to: victim, rate: rate.constant(c.pps), samplingRate: 1000, startMs: 5000, endMs: 15_000 }),
      ],
      attacks: [{ target: victim, vector: c.kind, startMs: 5000, endMs: 15_000 }],
    };
    const run = runScenario(scenario, config);
    assert.equal(run.started.length, 1, `one attack started, got ${run.started.map((e) => e.attack.vector).join(', ')}`);
    const a = run.started[0]!.attack;
    assert.equal(a.vector, c.kind);
    assert.equal(a.target, victim);
    assert.equal(a.targetKind, 'host');
    const first = run.result.firstAttackSample.get(c.kind)!;
    assert.ok(a.startedAt >= first && a.startedAt - first <= 1000, `started ${a.startedAt - first} ms after the first attack sample`);
    assert.ok(Math.abs(a.firstSampleAt - first) <= 200, `firstSampleAt within 200 ms of the truth (${a.firstSampleAt - first})`);
    assert.equal(a.detectionLatencyMs, a.startedAt - a.firstSampleAt);
    assert.ok(a.signature.coverage >= 0.95, `coverage ${a.signature.coverage}`);
    assert.equal(a.signature.match.destination.prefix, `${victim}/32`);
    const check = validateFlowSpecRule({ family: 'ipv4', match: a.signature.match, actions: [{ type: 'discard' }] }, { protectedPrefixes: config.networks });
    assert.ok(check.ok, JSON.stringify(check));
    c.check(a);
    assert.ok(a.confidence >= 0.5, `confidence ${a.confidence}`);
    assert.ok(a.samplingRates.includes(1000));
    assert.equal(run.ended.length, 1);
    const end = run.ended[0]!.attack;
    assert.equal(end.id, a.id);
    assert.ok(end.endedAt! >= T0 + 15_000 && end.endedAt! <= T0 + 17_000, `ended at ${end.endedAt! - T0} ms`);
    assert.ok(end.peak.pps >= c.pps * 0.7, `peak ${end.peak.pps} pps`);
    const updates = run.events.filter((e) => e.type === 'attack.updated');
    assert.ok(updates.length >= 5 && updates.length <= 16, `${updates.length} updates over ~10 s at most one per second`);
  });
}
