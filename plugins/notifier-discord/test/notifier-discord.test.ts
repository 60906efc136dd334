// The Discord notifier against a local server that checks Discord's Execute Webhook: POST to
// /api/webhooks/ID/TOKEN?wait=true, JSON with embeds (title ≤ 256, description ≤ 4096, url, color, fields,
// timestamp) and allowed_mentions that mention no one; 429 with a JSON retry_after in seconds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeliveryError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider } from '@breakwater/sdk/testing';
import discord from '../src/index.js';

const discordApi = await startFakeProvider({ status: 200, body: { id: '1', type: 0 } });
after(() => discordApi.close());
const webhookUrl = `${discordApi.baseUrl}/api/webhooks/123456789/AbCdEf-token`;

type Embed = { title: string; description: string; url?: string; color: number; timestamp: string; fields: { name: string; value: string; inline: boolean }[]; footer: { text: string } };

test('executes the webhook with one embed and no mentions, waiting for the message', async () => {
  const { hooks, ctx } = await loadNotifier(discord, { config: { webhookUrl } });
  discordApi.requests.length = 0;
  await hooks.notify(sampleNotification('attack.escalated'), ctx.signal);
  const [req] = discordApi.requests;
  assert.equal(req?.method, 'POST');
  assert.equal(req?.path, '/api/webhooks/123456789/AbCdEf-token?wait=true');
  assert.equal(req?.headers['content-type'], 'application/json');
  const body = JSON.parse(req!.body) as { username: string; allowed_mentions: unknown; embeds: Embed[] };
  assert.equal(body.username, 'Breakwater');
  assert.deepEqual(body.allowed_mentions, { parse: [] });
  assert.equal(body.embeds.length, 1);
  const embed = body.embeds[0]!;
  assert.equal(embed.title, '[HIGH] Escalated 203.0.113.10 to stage 2 "rtbh" of runbook default');
  assert.match(embed.description, /^Why: traffic above threshold 60 s after stage 1\nSeen: /);
  assert.equal(embed.url, 'https://breakwater.example.net/attacks/01JHQ7Z2K0ATTACK000000001');
  assert.equal(embed.color, 0xe67e22);
  assert.equal(embed.timestamp, new Date(sampleNotification('attack.escalated').at).toISOString());
  assert.deepEqual(embed.fields.map((f) => f.name), ['Target', 'Vector', 'Rate', 'Severity']);
  assert.ok(embed.fields.every((f) => f.value.length <= 1024));
  assert.ok(embed.title.length <= 256 && embed.description.length <= 4096);
  assert.equal(ctx.metricValue('messages_sent_total'), 1);
});

test('markdown in values is escaped in the description and fields', async () => {
  const { hooks, ctx } = await loadNotifier(discord, { config: { webhookUrl, templates: { 'attack.detected': { text: 'group {{attack.hostGroup}}' } } } });
  discordApi.requests.length = 0;
  const e = sampleNotification('attack.detected');
  await hooks.notify({ ...e, attack: { ...e.attack, hostGroup: 'edge_*pop*' } }, ctx.signal);
  const embed = (JSON.parse(discordApi.requests[0]!.body) as { embeds: Embed[] }).embeds[0]!;
  assert.equal(embed.description, 'group edge\\_\\*pop\\*');
});

test('429 waits as long as the JSON retry_after says; 401 (a deleted webhook) is refused for good', async () => {
  const { hooks, ctx } = await loadNotifier(discord, { config: { webhookUrl } });
  discordApi.answer(
    { status: 429, headers: { 'retry-after': '1' }, body: { message: 'You are being rate limited.', retry_after: 2.5, global: false } },
    { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } },
  );
  await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED') && err.retryAfterMs === 2_500);
  await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && /Invalid Webhook Token/.test(err.message));
});
