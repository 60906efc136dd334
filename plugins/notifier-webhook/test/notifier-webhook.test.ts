// The generic webhook against a local receiver that verifies what docs/notifications.md promises: POST JSON
// { version, event, message }, X-Breakwater-Timestamp (Unix seconds, now) and X-Breakwater-Signature
// "v1=" + HMAC-SHA256(secret, "TIMESTAMP.BODY") in hex; a new timestamp and signature on every attempt.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isDeliveryError, type NotificationEvent } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider, type RecordedRequest } from '@breakwater/sdk/testing';
import webhook, { sign } from '../src/index.js';

const receiver = await startFakeProvider({ status: 204 });
after(() => receiver.close());
const secret = 'whsec-0123456789abcdef';
const config = { url: `${receiver.baseUrl}/hooks/breakwater?token=abc`, secret };

function verify(req: RecordedRequest, key: string, nowSeconds: number): boolean {
  const timestamp = Number(req.headers['x-breakwater-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > 300) return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', key).update(`${timestamp}.${req.body}`).digest('hex')}`);
  const given = Buffer.from(String(req.headers['x-breakwater-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

test('posts the event and its rendered message as JSON, signed over timestamp and body', async () => {
  const { hooks, ctx } = await loadNotifier(webhook, { config: { ...config, bearerToken: 'tok-1', headers: { 'X-Tenant': 'acme' } } });
  receiver.requests.length = 0;
  const event = sampleNotification('approval.needed');
  const before = Math.floor(Date.now() / 1000);
  await hooks.notify(event, ctx.signal);
  const [req] = receiver.requests;
  assert.equal(req?.method, 'POST');
  assert.equal(req?.path, '/hooks/breakwater?token=abc');
  assert.equal(req?.headers['content-type'], 'application/json');
  assert.equal(req?.headers['x-breakwater-event'], 'approval.needed');
  assert.equal(req?.headers['x-breakwater-event-id'], event.id);
  assert.equal(req?.headers.authorization, 'Bearer tok-1');
  assert.equal(req?.headers['x-tenant'], 'acme');
  const timestamp = Number(req!.headers['x-breakwater-timestamp']);
  assert.ok(timestamp >= before && timestamp <= before + 5);
  assert.ok(verify(req!, secret, Math.floor(Date.now() / 1000)), 'signature verifies');
  assert.equal(req!.headers['x-breakwater-signature'], sign(secret, timestamp, req!.body));
  assert.ok(!verify(req!, 'another-secret-0000', Math.floor(Date.now() / 1000)), 'a wrong key does not verify');
  assert.ok(!verify({ ...req!, body: req!.body.replace('203.0.113.10', '203.0.113.11') }, secret, Math.floor(Date.now() / 1000)), 'a changed body does not verify');
  assert.ok(!verify(req!, secret, timestamp + 301), 'an old delivery is refused');
  const body = JSON.parse(req!.body) as { version: number; event: NotificationEvent; message: { title: string; text: string } };
  assert.equal(body.version, 1);
  assert.deepEqual(body.event, event);
  assert.equal(body.message.title, '[HIGH] Approval needed: @breakwater/rtbh-tier for 203.0.113.10');
});

test('a receiver\'s 5xx is retried, 4xx refused', async () => {
  const { hooks, ctx } = await loadNotifier(webhook, { config });
  receiver.answer({ status: 503 }, { status: 401 });
  await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_UNAVAILABLE'));
  await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED'));
});
