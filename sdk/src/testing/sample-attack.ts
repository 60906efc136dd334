// A complete, realistic AttackRecord (an NTP amplification flood on one host) and a runbook stage, so a plugin
// test states only the fields it cares about.
import type { AttackEvent, AttackRecord } from '../attack.js';
import type { RunbookStage } from '../tier.js';

export function sampleAttack(overrides: Partial<AttackRecord> = {}): AttackRecord {
  const startedAt = Date.UTC(2026, 0, 15, 10, 0, 2);
  return {
    id: '01JHQ7Z2K0ATTACK000000001',
    target: '203.0.113.10',
    targetKind: 'host',
    ipVersion: 4,
    hostGroup: 'web',
    vector: 'ntp_amplification',
    confidence: 0.97,
    severity: 'high',
    firstSampleAt: startedAt - 1_400,
    startedAt,
    detectionLatencyMs: 1_400,
    updatedAt: startedAt,
    threshold: { metric: 'pps', key: 'amplification', value: 50_000, source: 'static', hostGroup: 'web', measured: 410_000, lowerBound: 380_000, windowMs: 1_000 },
    rates: { pps: 410_000, bps: 3_280_000_000 },
    peak: { pps: 410_000, bps: 3_280_000_000 },
    baseline: { pps: 2_000, bps: 12_000_000 },
    samples: 820,
    samplingRates: [1000],
    profile: {
      vectors: [{ key: 'ntp', share: 0.98, pps: 401_800 }],
      topDestinations: [],
      topSources: [{ key: '198.51.100.7', share: 0.04, pps: 16_400 }],
      topSourcePorts: [{ key: 123, share: 0.98, pps: 401_800 }],
      topDestinationPorts: [{ key: 443, share: 0.3, pps: 123_000 }],
      protocols: [{ key: 17, share: 0.99, pps: 405_900 }],
      packetSizes: [{ key: 512, share: 0.95, pps: 389_500 }],
      tcpFlags: [],
      flashCrowdLikely: false,
    },
    signature: {
      match: {
        destination: { prefix: '203.0.113.10/32' },
        protocol: [[{ op: '=', value: 17 }]],
        sourcePort: [[{ op: '=', value: 123 }]],
      },
      coverage: 0.98,
      collateral: 0.001,
      attackSamples: 820,
      benignSamples: 1_200,
    },
    ...overrides,
  };
}

export function sampleStage(overrides: Partial<RunbookStage> = {}): RunbookStage {
  return { runbook: 'default', index: 0, name: 'flowspec', settings: {}, ttlSeconds: 3600, ...overrides };
}

export function sampleEvent(type: AttackEvent['type'] = 'attack.started', attack: AttackRecord = sampleAttack()): AttackEvent {
  return type === 'attack.ended' ? { type, attack: { ...attack, endedAt: attack.updatedAt + 60_000 }, reason: 'quiet' } : { type, attack };
}
