// The Slack notifier against a local server that checks what Slack's incoming webhooks document: POST to the
// webhook URL, JSON body with `text` and Block Kit `blocks` (header plain_text ≤ 150, section mrkdwn ≤ 3000,
// actions with a button url), answers 200 "ok"; 429 with Retry-After, 404 no_service, 500.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeliveryError, isPluginError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider } from '@breakwater/sdk/testing';
import slack from '../src/index.js';

const slackApi = await startFakeProvider({ status: 200, body: 'ok' });
after(() => slackApi.close());
const webhookUrl = `${slackApi.baseUrl}/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX`;

type Block = { type: string; text?: { type: string; text: string }; elements?: { type: string; text?: unknown; url?: string; style?: string }[] };

test('posts a Block Kit message to the webhook: header, mrkdwn text, context, a button to the attack', async () => {
  const { hooks, ctx } = await loadNotifier(slack, { config: { webhookUrl } });
  slackApi.requests.length = 0;
  await hooks.notify(sampleNotification('attack.detected'), ctx.signal);
  const [req] = slackApi.requests;
  assert.equal(req?.method, 'POST');
  assert.equal(req?.path, '/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX');
  assert.match(String(req?.headers['content-type']), /^application\/json/);
  const body = JSON.parse(req!.body) as { text: string; blocks: Block[] };
  assert.equal(body.text, '[HIGH] NTP amplification attack on 203.0.113.10');
  assert.deepEqual(body.blocks.map((b) => b.type), ['header', 'section', 'context', 'actions']);
  assert.deepEqual(body.blocks[0]!.text, { type: 'plain_text', text: '[HIGH] NTP amplification attack on 203.0.113.10', emoji: false });
  assert.equal(body.blocks[1]!.text!.type, 'mrkdwn');
  assert.match(body.blocks[1]!.text!.text, /^Seen: NTP amplification toward 203\.0\.113\.10/);
  const button = body.blocks[3]!.elements![0]!;
  assert.equal(button.type, 'button');
  assert.equal(button.url, 'https://breakwater.example.net/attacks/01JHQ7Z2K0ATTACK000000001');
  assert.equal(ctx.metricValue('messages_sent_total'), 1);
});

test('values are escaped for mrkdwn and limits are kept; no button without a panel link', async () => {
  const { hooks, ctx } = await loadNotifier(slack, { config: { webhookUrl, templates: { 'attack.detected': { text: '{{attack.hostGroup}} {{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}{{seen}}' } } } });
  slackApi.requests.length = 0;
  const base = sampleNotification('attack.detected');
  const { attackUrl: _omit, ...withoutLink } = base;
  await hooks.notify({ ...withoutLink, attack: { ...base.attack, hostGroup: '<!channel>&co' } }, ctx.signal);
  const body = JSON.parse(slackApi.requests[0]!.body) as { blocks: Block[] };
  const section = body.blocks[1]!.text!.text;
  assert.ok(section.startsWith('&lt;!channel&gt;&amp;co '), section.slice(0, 40));
  assert.ok(Array.from(section).length <= 3000);
  assert.ok(!body.blocks.some((b) => b.type === 'actions'));
});

test('429 is a rate limit with Slack\'s Retry-After; 404 no_service is refused for good; 500 is retried', async () => {
  const { hooks, ctx } = await loadNotifier(slack, { config: { webhookUrl } });
  slackApi.answer({ status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited' }, { status: 404, body: 'no_service' }, { status: 500, body: 'oops' });
  const event = sampleNotification('attack.ended');
  await assert.rejects(async () => hooks.notify(event, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED') && err.retryAfterMs === 30_000);
  await assert.rejects(async () => hooks.notify(event, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && err.message === 'Slack answered 404: no_service');
  await assert.rejects(async () => hooks.notify(event, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_UNAVAILABLE'));
  assert.equal(ctx.metricValue('messages_sent_total'), 0);
});

test('refused at load: no webhook URL (config), a template that does not parse (create)', async () => {
  await assert.rejects(loadNotifier(slack, { config: {} }), (err: unknown) => isPluginError(err, 'BW_ERR_PLUGIN_CONFIG'));
  await assert.rejects(loadNotifier(slack, { config: { webhookUrl, templates: { 'attack.detected': { title: '{{#x}}' } } } }), (err: unknown) => isPluginError(err, 'BW_ERR_PLUGIN_LOAD') && /attack\.detected/.test(err.message));
});
