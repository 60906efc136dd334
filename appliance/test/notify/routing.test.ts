// Routing rules and de-duplication keys, table-driven.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleAttack, sampleNotification } from '@breakwater/sdk/testing';
import { channelTakes, dedupKey } from '../../src/notify/routing.js';
import { nextRetry } from '../../src/notify/backoff.js';

const all = ['attack.detected', 'tier.engaged', 'attack.escalated', 'attack.deescalated', 'mitigation.failed', 'approval.needed', 'attack.ended'];

const cases: { name: string; rule: { minSeverity: 'low' | 'medium' | 'high' | 'critical'; events: string[]; minStage: number }; event: Parameters<typeof channelTakes>[1]; takes: boolean }[] = [
  { name: 'everything by default', rule: { minSeverity: 'low', events: all, minStage: 1 }, event: sampleNotification('attack.detected'), takes: true },
  { name: 'below the severity', rule: { minSeverity: 'critical', events: all, minStage: 1 }, event: sampleNotification('attack.detected'), takes: false },
  { name: 'at the severity', rule: { minSeverity: 'high', events: all, minStage: 1 }, event: sampleNotification('attack.detected'), takes: true },
  { name: 'an event type not listed', rule: { minSeverity: 'low', events: ['attack.detected'], minStage: 1 }, event: sampleNotification('tier.engaged'), takes: false },
  { name: 'a stage below minStage', rule: { minSeverity: 'low', events: all, minStage: 2 }, event: sampleNotification('tier.engaged'), takes: false },
  { name: 'a stage at minStage', rule: { minSeverity: 'low', events: all, minStage: 2 }, event: sampleNotification('attack.escalated'), takes: true },
  { name: 'events without a stage ignore minStage', rule: { minSeverity: 'low', events: all, minStage: 3 }, event: sampleNotification('attack.ended'), takes: true },
  { name: 'a test message is never routed', rule: { minSeverity: 'low', events: all, minStage: 1 }, event: sampleNotification('notify.test'), takes: false },
];

for (const c of cases) {
  test(`routing: ${c.name}`, () => {
    assert.equal(channelTakes(c.rule, c.event), c.takes);
  });
}

test('dedup keys: per attack and stage of its life; a failure repeats only with the same tier and error', () => {
  const a = sampleNotification('mitigation.failed');
  assert.equal(dedupKey(a), '01JHQ7Z2K0ATTACK000000001|mitigation.failed|0|@breakwater/example-flowspec-tier|BW_ERR_SPEAKER_UNAVAILABLE');
  assert.notEqual(dedupKey(a), dedupKey({ ...a, error: { code: 'BW_ERR_MITIGATION_QUOTA', message: '' } }));
  assert.equal(dedupKey(sampleNotification('attack.detected')), dedupKey(sampleNotification('attack.detected', { id: 'other' })));
  assert.notEqual(dedupKey(sampleNotification('attack.detected')), dedupKey(sampleNotification('attack.detected', { attack: sampleAttack({ id: 'B' }) })));
  assert.notEqual(dedupKey(sampleNotification('notify.test', { id: 't1' })), dedupKey(sampleNotification('notify.test', { id: 't2' })));
});

test('retry decisions: Retry-After is honoured (at least 1 s), the bounds give up', () => {
  const policy = { initialDelayMs: 1_000, maxDelayMs: 10_000, maxAttempts: 3, maxAgeMs: 60_000 };
  const half = () => 0.5;
  assert.deepEqual(nextRetry({ attempts: 1, createdAt: 0, now: 0, retryAfterMs: 20_000 }, policy, half), { retryAt: 20_000, delayMs: 20_000 });
  assert.deepEqual(nextRetry({ attempts: 1, createdAt: 0, now: 0, retryAfterMs: 0 }, policy, half), { retryAt: 1_000, delayMs: 1_000 });
  assert.deepEqual(nextRetry({ attempts: 2, createdAt: 0, now: 0 }, policy, half), { retryAt: 1_500, delayMs: 1_500 });
  assert.deepEqual(nextRetry({ attempts: 3, createdAt: 0, now: 0 }, policy, half), { giveUp: 'attempts' });
  assert.deepEqual(nextRetry({ attempts: 1, createdAt: 0, now: 59_500 }, policy, half), { giveUp: 'age' });
});

test('failures: a DeliveryError rebuilt from an isolated plugin\'s message (code only) keeps its meaning', async () => {
  const { classifyFailure } = await import('../../src/notify/delivery-outcome.js');
  const { PluginError, DeliveryError } = await import('@breakwater/sdk');
  // What the loader rebuilds from the child's wire error: name, message and code, no other fields.
  const wire = Object.assign(new Error('Slack answered 404: no_service'), { name: 'DeliveryError', code: 'BW_ERR_NOTIFY_REJECTED' });
  const hook = (cause: unknown) => new PluginError('BW_ERR_PLUGIN_HOOK', 'Plugin p failed in hook notify', { plugin: 'p', hook: 'notify', cause });
  assert.deepEqual(classifyFailure(hook(wire)), { kind: 'rejected', code: 'BW_ERR_NOTIFY_REJECTED', message: 'Slack answered 404: no_service' });
  assert.deepEqual(classifyFailure(hook(new DeliveryError('BW_ERR_NOTIFY_RATE_LIMITED', 'slow', { status: 429, retryAfterMs: 5_000 }))), {
    kind: 'rate-limited',
    code: 'BW_ERR_NOTIFY_RATE_LIMITED',
    message: 'slow',
    status: 429,
    retryAfterMs: 5_000,
  });
  assert.equal(classifyFailure(hook(new Error('boom'))).kind, 'retry');
  assert.equal(classifyFailure(new PluginError('BW_ERR_PLUGIN_UNAVAILABLE', 'restarting', { plugin: 'p', hook: 'notify' })).code, 'BW_ERR_PLUGIN_UNAVAILABLE');
});
