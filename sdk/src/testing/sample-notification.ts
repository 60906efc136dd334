// A realistic NotificationEvent of each type (the sample NTP amplification attack at each stage), so a
// notifier's test states only what it cares about.
import type { NotificationEvent, NotificationEventType } from '../notification.js';
import { sampleAttack, sampleStage } from './sample-attack.js';

type EventOf<T extends NotificationEventType> = Extract<NotificationEvent, { type: T }>;

export function sampleNotification<T extends NotificationEventType>(type: T, overrides: Partial<EventOf<T>> = {}): EventOf<T> {
  const attack = sampleAttack();
  const stage = sampleStage();
  const engaged = { at: attack.startedAt + 2_000, tier: '@breakwater/example-flowspec-tier', stage, outcome: 'engaged' as const, summary: 'FlowSpec discard for 203.0.113.10 (ntp_amplification), 1800 s' };
  const base = { id: `${attack.id}.${type}`, at: attack.startedAt, attack, actions: [] as NotificationEvent['actions'], attackUrl: `https://breakwater.example.net/attacks/${attack.id}` };
  const rtbh = sampleStage({ index: 1, name: 'rtbh' });
  const byType: { [K in NotificationEventType]: EventOf<K> } = {
    'attack.detected': { ...base, type: 'attack.detected' },
    'tier.engaged': { ...base, type: 'tier.engaged', at: engaged.at, stage, tier: engaged.tier, summary: engaged.summary, actions: [engaged] },
    'attack.escalated': { ...base, type: 'attack.escalated', at: attack.startedAt + 62_000, from: stage, stage: rtbh, reason: 'traffic above threshold 60 s after stage 1', actions: [engaged] },
    'attack.deescalated': { ...base, type: 'attack.deescalated', at: attack.startedAt + 300_000, from: rtbh, stage, reason: 'traffic below threshold for 120 s', actions: [engaged] },
    'mitigation.failed': {
      ...base,
      type: 'mitigation.failed',
      at: engaged.at,
      stage,
      tier: engaged.tier,
      outcome: 'failed',
      error: { code: 'BW_ERR_SPEAKER_UNAVAILABLE', message: 'BGP speaker exabgp is not ready (session down)' },
    },
    'approval.needed': { ...base, type: 'approval.needed', at: attack.startedAt + 62_000, stage: rtbh, tier: '@breakwater/rtbh-tier', reason: 'stage rtbh needs approval', approveUrl: `${base.attackUrl}/approve`, expiresAt: attack.startedAt + 362_000, actions: [engaged] },
    'attack.ended': {
      ...base,
      type: 'attack.ended',
      at: attack.startedAt + 250_000,
      attack: { ...attack, endedAt: attack.startedAt + 250_000 },
      reason: 'quiet',
      summary: { durationMs: 250_000, peak: attack.peak, vectors: attack.profile.vectors },
      actions: [engaged, { ...engaged, at: attack.startedAt + 250_000, outcome: 'disengaged' }],
    },
    'notify.test': { ...base, type: 'notify.test', channel: 'test-channel' },
  };
  return { ...byType[type], ...overrides } as EventOf<T>;
}
