// The Teams notifier against a local server that checks the Workflows webhook payload: POST JSON
// { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: an
// AdaptiveCard }] }, answered 202 Accepted; 429 and 5xx are retried, 400 refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeliveryError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider } from '@breakwater/sdk/testing';
import teams from '../src/index.js';

const teamsApi = await startFakeProvider({ status: 202, body: '' });
after(() => teamsApi.close());
const webhookUrl = `${teamsApi.baseUrl}/workflows/abc123/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIGNATURE`;

type Card = { $schema: string; type: string; version: string; body: { type: string; text?: string; facts?: { title: string; value: string }[]; weight?: string }[]; actions?: { type: string; title: string; url: string }[] };

test('posts a message activity with one Adaptive Card: title, text, facts and an Open URL action', async () => {
  const { hooks, ctx } = await loadNotifier(teams, { config: { webhookUrl } });
  teamsApi.requests.length = 0;
  await hooks.notify(sampleNotification('mitigation.failed'), ctx.signal);
  const [req] = teamsApi.requests;
  assert.equal(req?.method, 'POST');
  assert.equal(req?.path, '/workflows/abc123/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIGNATURE');
  assert.equal(req?.headers['content-type'], 'application/json');
  const body = JSON.parse(req!.body) as { type: string; attachments: { contentType: string; contentUrl: null; content: Card }[] };
  assert.equal(body.type, 'message');
  assert.equal(body.attachments.length, 1);
  const [attachment] = body.attachments;
  assert.equal(attachment!.contentType, 'application/vnd.microsoft.card.adaptive');
  assert.equal(attachment!.contentUrl, null);
  const card = attachment!.content;
  assert.equal(card.type, 'AdaptiveCard');
  assert.equal(card.version, '1.4');
  assert.equal(card.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
  assert.deepEqual(card.body.map((b) => b.type), ['TextBlock', 'TextBlock', 'FactSet']);
  assert.equal(card.body[0]!.text, '[HIGH] Mitigation by @breakwater/example-flowspec-tier failed for 203.0.113.10');
  assert.match(card.body[1]!.text!, /^Why: BGP speaker exabgp is not ready \(session down\) \(BW\\_ERR\\_SPEAKER\\_UNAVAILABLE\)/);
  assert.deepEqual(card.body[2]!.facts!.map((f) => f.title), ['Target', 'Vector', 'Rate', 'Severity', 'Host group']);
  assert.deepEqual(card.actions, [{ type: 'Action.OpenUrl', title: 'Open in Breakwater', url: 'https://breakwater.example.net/attacks/01JHQ7Z2K0ATTACK000000001' }]);
});

test('429 and 502 are retried (with Retry-After when given), 400 is refused', async () => {
  const { hooks, ctx } = await loadNotifier(teams, { config: { webhookUrl } });
  teamsApi.answer({ status: 429, headers: { 'retry-after': '5' } }, { status: 502 }, { status: 400, body: { error: { code: 'InvalidRequestContent' } } });
  const e = sampleNotification('attack.detected');
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED') && err.retryAfterMs === 5_000);
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_UNAVAILABLE'));
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && /InvalidRequestContent/.test(err.message));
});
