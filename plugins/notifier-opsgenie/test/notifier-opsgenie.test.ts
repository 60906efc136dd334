// The OpsGenie notifier against a local Alert API: Authorization "GenieKey KEY"; POST /v2/alerts (message,
// alias, description, priority), POST /v2/alerts/ALIAS/notes?identifierType=alias (note), POST
// /v2/alerts/ALIAS/close?identifierType=alias; all answered 202 { result, took, requestId }.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeliveryError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider } from '@breakwater/sdk/testing';
import opsgenie from '../src/index.js';

const ogApi = await startFakeProvider({ status: 202, body: { result: 'Request will be processed', took: 0.1, requestId: '43a29c5c-3dbf-4fa4-9c26-f4f71023e120' } });
after(() => ogApi.close());
const apiKey = 'eb243592-faa2-4ba2-a551q-1afdf565c889';
const config = { apiKey, baseUrl: ogApi.baseUrl, responders: [{ type: 'team', name: 'NOC' }] };

test('create on detection, a note on escalation, close at the end, all by the attack\'s alias', async () => {
  const { hooks, ctx } = await loadNotifier(opsgenie, { config });
  ogApi.requests.length = 0;
  for (const type of ['attack.detected', 'attack.escalated', 'attack.ended'] as const) await hooks.notify(sampleNotification(type), ctx.signal);
  const [create, note, close] = ogApi.requests;
  for (const r of ogApi.requests) {
    assert.equal(r.method, 'POST');
    assert.equal(r.headers.authorization, `GenieKey ${apiKey}`);
    assert.equal(r.headers['content-type'], 'application/json');
  }
  assert.equal(create!.path, '/v2/alerts');
  const created = JSON.parse(create!.body) as Record<string, unknown>;
  assert.equal(created.message, '[HIGH] NTP amplification attack on 203.0.113.10');
  assert.ok(String(created.message).length <= 130);
  assert.equal(created.alias, 'breakwater-01JHQ7Z2K0ATTACK000000001');
  assert.equal(created.priority, 'P2');
  assert.equal(created.entity, '203.0.113.10');
  assert.equal(created.source, 'Breakwater');
  assert.deepEqual(created.responders, [{ type: 'team', name: 'NOC' }]);
  assert.match(String(created.description), /^Seen: .*\nDone: no mitigation yet\n\nhttps:\/\/breakwater\.example\.net\/attacks\//);
  assert.ok(Object.values(created.details as object).every((v) => typeof v === 'string'), 'details are strings');
  assert.equal(note!.path, '/v2/alerts/breakwater-01JHQ7Z2K0ATTACK000000001/notes?identifierType=alias');
  assert.match((JSON.parse(note!.body) as { note: string }).note, /^\[HIGH\] Escalated 203\.0\.113\.10 to stage 2/);
  assert.equal(close!.path, '/v2/alerts/breakwater-01JHQ7Z2K0ATTACK000000001/close?identifierType=alias');
  const closed = JSON.parse(close!.body) as Record<string, string>;
  assert.equal(closed.source, 'Breakwater');
  assert.match(closed.note!, /ended after 4 min 10 s/);
});

test('a test message creates a P5 alert of its own and closes it', async () => {
  const { hooks, ctx } = await loadNotifier(opsgenie, { config });
  ogApi.requests.length = 0;
  await hooks.notify(sampleNotification('notify.test', { id: 'abc' }), ctx.signal);
  assert.deepEqual(ogApi.requests.map((r) => r.path), ['/v2/alerts', '/v2/alerts/breakwater-test-abc/close?identifierType=alias']);
  assert.equal((JSON.parse(ogApi.requests[0]!.body) as { priority: string }).priority, 'P5');
});

test('401 (a wrong key) is refused; 429 is a rate limit', async () => {
  const { hooks, ctx } = await loadNotifier(opsgenie, { config });
  ogApi.answer({ status: 401, body: { message: 'Key format is not valid!', took: 0.001, requestId: 'x' } }, { status: 429, headers: { 'retry-after': '10' } });
  const e = sampleNotification('attack.detected');
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && /Key format is not valid/.test(err.message) && !err.message.includes(apiKey));
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED') && err.retryAfterMs === 10_000);
});
