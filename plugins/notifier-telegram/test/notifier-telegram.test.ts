// The Telegram notifier against a local Bot API: POST /bot<token>/sendMessage with JSON chat_id, text,
// parse_mode "HTML" (values escaped as &lt; &gt; &amp;), answered { ok: true, result }; errors are
// { ok: false, error_code, description, parameters: { retry_after } }.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeliveryError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider } from '@breakwater/sdk/testing';
import telegram from '../src/index.js';

const tgApi = await startFakeProvider({ status: 200, body: { ok: true, result: { message_id: 42, date: 1768471202, chat: { id: -1001234567890, type: 'supergroup' } } } });
after(() => tgApi.close());
const botToken = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const config = { botToken, chatId: '-1001234567890', baseUrl: tgApi.baseUrl };

type Sent = { chat_id: string; text: string; parse_mode?: string; link_preview_options: unknown; disable_notification: boolean; message_thread_id?: number };

test('sendMessage to the chat with HTML text: bold title, escaped values, a link to the attack', async () => {
  const { hooks, ctx } = await loadNotifier(telegram, { config: { ...config, messageThreadId: 7 } });
  tgApi.requests.length = 0;
  const e = sampleNotification('attack.detected');
  await hooks.notify({ ...e, attack: { ...e.attack, hostGroup: 'a<b>&c' } }, ctx.signal);
  const [req] = tgApi.requests;
  assert.equal(req?.method, 'POST');
  assert.equal(req?.path, `/bot${botToken}/sendMessage`);
  assert.equal(req?.headers['content-type'], 'application/json');
  const body = JSON.parse(req!.body) as Sent;
  assert.equal(body.chat_id, '-1001234567890');
  assert.equal(body.message_thread_id, 7);
  assert.equal(body.parse_mode, 'HTML');
  assert.deepEqual(body.link_preview_options, { is_disabled: true });
  assert.equal(body.disable_notification, false);
  assert.ok(body.text.startsWith('<b>[HIGH] NTP amplification attack on 203.0.113.10</b>\nSeen: '), body.text);
  assert.match(body.text, /host group a&lt;b&gt;&amp;c/);
  assert.ok(body.text.endsWith('\n<a href="https://breakwater.example.net/attacks/01JHQ7Z2K0ATTACK000000001">Open in Breakwater</a>'));
});

test('quiet below a severity; an over-long message goes as plain text within 4096 characters', async () => {
  const long = Array.from({ length: 300 }, () => '{{seen}}').join(' ');
  const { hooks, ctx } = await loadNotifier(telegram, { config: { ...config, silentBelow: 'critical', templates: { 'attack.detected': { text: long } } } });
  tgApi.requests.length = 0;
  await hooks.notify(sampleNotification('attack.detected'), ctx.signal);
  const body = JSON.parse(tgApi.requests[0]!.body) as Sent;
  assert.equal(body.disable_notification, true);
  assert.equal(body.parse_mode, undefined);
  assert.ok(Array.from(body.text).length <= 4096);
  assert.ok(body.text.startsWith('[HIGH] NTP amplification attack on 203.0.113.10\n'));
});

test('429 waits parameters.retry_after; 403 (bot removed from the chat) is refused; the token is in no message', async () => {
  const { hooks, ctx } = await loadNotifier(telegram, { config });
  tgApi.answer(
    { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 14', parameters: { retry_after: 14 } } },
    { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was kicked from the supergroup chat' } },
  );
  const e = sampleNotification('attack.detected');
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED') && err.retryAfterMs === 14_000);
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && /bot was kicked/.test(err.message) && !err.message.includes(botToken));
});
