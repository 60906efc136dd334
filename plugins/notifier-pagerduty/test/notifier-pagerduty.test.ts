// The PagerDuty notifier against a local Events API v2: POST /v2/enqueue with JSON routing_key, event_action
// (trigger / resolve), dedup_key (one per attack) and, for a trigger, payload.summary, source, severity;
// answered 202 { status: "success", dedup_key }; 400 "invalid event" is refused, 429 and 5xx retried.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeliveryError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider, type RecordedRequest } from '@breakwater/sdk/testing';
import pagerduty from '../src/index.js';

const pdApi = await startFakeProvider((req) => {
  const body = JSON.parse(req.body) as { dedup_key?: string };
  return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: body.dedup_key } };
});
after(() => pdApi.close());
const routingKey = 'R0UT1NGKEY0123456789abcdefABCDEF';
const config = { routingKey, baseUrl: pdApi.baseUrl };

type PdEvent = { routing_key: string; event_action: string; dedup_key: string; payload?: { summary: string; source: string; severity: string; timestamp: string; custom_details: Record<string, string> }; links?: unknown[]; client_url?: string };
const sent = (requests: RecordedRequest[]) =>
  requests.map((r) => {
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v2/enqueue');
    assert.equal(r.headers['content-type'], 'application/json');
    return JSON.parse(r.body) as PdEvent;
  });

test('an attack is one alert: triggered when detected, updated by later triggers with the same dedup key, resolved when it ends', async () => {
  const { hooks, ctx } = await loadNotifier(pagerduty, { config });
  pdApi.requests.length = 0;
  for (const type of ['attack.detected', 'attack.escalated', 'attack.ended'] as const) await hooks.notify(sampleNotification(type), ctx.signal);
  const [trigger, escalated, resolve] = sent(pdApi.requests);
  assert.equal(trigger!.routing_key, routingKey);
  assert.equal(trigger!.event_action, 'trigger');
  assert.equal(trigger!.dedup_key, 'breakwater-01JHQ7Z2K0ATTACK000000001');
  assert.equal(trigger!.payload!.summary, '[HIGH] NTP amplification attack on 203.0.113.10');
  assert.equal(trigger!.payload!.source, '203.0.113.10');
  assert.equal(trigger!.payload!.severity, 'error');
  assert.equal(trigger!.payload!.timestamp, '2026-01-15T10:00:02.000Z');
  assert.match(trigger!.payload!.custom_details.seen!, /^NTP amplification toward 203\.0\.113\.10/);
  assert.deepEqual(trigger!.links, [{ href: 'https://breakwater.example.net/attacks/01JHQ7Z2K0ATTACK000000001', text: 'Attack in Breakwater' }]);
  assert.equal(escalated!.event_action, 'trigger');
  assert.equal(escalated!.dedup_key, trigger!.dedup_key);
  assert.equal(escalated!.payload!.custom_details.stage, 'stage 2 "rtbh" of runbook default');
  assert.deepEqual(resolve, { routing_key: routingKey, dedup_key: trigger!.dedup_key, event_action: 'resolve' });
  assert.equal(ctx.metricValue('events_sent_total'), 3);
});

test('severity follows the mapping; a test message triggers an info alert of its own and resolves it', async () => {
  const { hooks, ctx } = await loadNotifier(pagerduty, { config: { ...config, severities: { low: 'info', medium: 'info', high: 'warning', critical: 'critical' } } });
  pdApi.requests.length = 0;
  await hooks.notify(sampleNotification('attack.detected'), ctx.signal);
  await hooks.notify(sampleNotification('notify.test', { id: 'test-1' }), ctx.signal);
  const [detected, testTrigger, testResolve] = sent(pdApi.requests);
  assert.equal(detected!.payload!.severity, 'warning');
  assert.equal(testTrigger!.event_action, 'trigger');
  assert.equal(testTrigger!.payload!.severity, 'info');
  assert.equal(testTrigger!.dedup_key, 'breakwater-test-test-1');
  assert.deepEqual(testResolve, { routing_key: routingKey, dedup_key: 'breakwater-test-test-1', event_action: 'resolve' });
});

test('400 invalid event is refused; 429 and 500 are retried', async () => {
  const { hooks, ctx } = await loadNotifier(pagerduty, { config });
  pdApi.answer({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ['Length of \'routing_key\' is incorrect (should be 32 characters)'] } }, { status: 429 }, { status: 500 });
  const e = sampleNotification('attack.detected');
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && /invalid event/.test(err.message));
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED') && err.retryAfterMs === undefined);
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_UNAVAILABLE'));
});
