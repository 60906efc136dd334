// The event `breakwater notify test CHANNEL` sends: a notify.test about an example attack on a documentation
// address (TEST-NET-3, RFC 5737), so the message shows every part a real one has and cannot be mistaken for
// a real attack.
import { randomUUID } from 'node:crypto';
import type { AttackRecord, NotifyTestNotification } from '@breakwater/sdk';
import { attackUrl } from './attack-events.js';

export function testEvent(channel: string, panelUrl: string, now: number = Date.now()): NotifyTestNotification {
  const id = `test-${randomUUID()}`;
  const attack: AttackRecord = {
    id: `example-${id}`,
    target: '203.0.113.10',
    targetKind: 'host',
    ipVersion: 4,
    hostGroup: 'example',
    vector: 'udp_flood',
    confidence: 1,
    severity: 'low',
    firstSampleAt: now - 2_000,
    startedAt: now,
    detectionLatencyMs: 2_000,
    updatedAt: now,
    threshold: { metric: 'pps', key: 'udp', value: 100_000, source: 'static', hostGroup: 'example', measured: 250_000, lowerBound: 240_000, windowMs: 1_000 },
    rates: { pps: 250_000, bps: 2_000_000_000 },
    peak: { pps: 250_000, bps: 2_000_000_000 },
    samples: 250,
    samplingRates: [1000],
    profile: { vectors: [{ key: 'udp', share: 1, pps: 250_000 }], topDestinations: [], topSources: [], topSourcePorts: [], topDestinationPorts: [], protocols: [{ key: 17, share: 1, pps: 250_000 }], packetSizes: [], tcpFlags: [], flashCrowdLikely: false },
    signature: { match: { destination: { prefix: '203.0.113.10/32' }, protocol: [[{ op: '=', value: 17 }]] }, coverage: 1, collateral: 0, attackSamples: 250, benignSamples: 0 },
  };
  const url = attackUrl(panelUrl, attack.id);
  return { type: 'notify.test', id, at: now, channel, attack, actions: [], ...(url !== undefined ? { attackUrl: url } : {}) };
}
