// The SMS notifier against a local Twilio Messages API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
// form-encoded To, From (or MessagingServiceSid) and Body, HTTP Basic auth (AccountSid or API key : secret),
// answered 201 with the Message resource; 429 (error 20429) and 5xx retried, 400 (e.g. 21211) refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeliveryError, isPluginError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification, startFakeProvider } from '@breakwater/sdk/testing';
import sms from '../src/index.js';

const twilioApi = await startFakeProvider({ status: 201, body: { sid: 'SM00000000000000000000000000000000', status: 'queued' } });
after(() => twilioApi.close());
const accountSid = 'AC' + '0123456789abcdef'.repeat(2);
const authToken = 'auth-token-0123456789';
const config = { accountSid, authToken, from: '+15005550006', to: ['+15551230001', '+15551230002'], baseUrl: twilioApi.baseUrl };

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

test('one form-encoded message per number, Basic auth with the account, the link in a short body', async () => {
  const { hooks, ctx } = await loadNotifier(sms, { config });
  twilioApi.requests.length = 0;
  await hooks.notify(sampleNotification('attack.detected'), ctx.signal);
  assert.equal(twilioApi.requests.length, 2);
  for (const [i, req] of twilioApi.requests.entries()) {
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/2010-04-01/Accounts/${accountSid}/Messages.json`);
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(req.headers.authorization, basic(accountSid, authToken));
    const form = new URLSearchParams(req.body);
    assert.deepEqual([...form.keys()].sort(), ['Body', 'From', 'To']);
    assert.equal(form.get('To'), config.to[i]);
    assert.equal(form.get('From'), '+15005550006');
    assert.equal(form.get('Body'), 'NTP amplification attack on 203.0.113.10 [HIGH, 3.28 Gbit/s, 410 kpps] https://breakwater.example.net/attacks/01JHQ7Z2K0ATTACK000000001');
  }
  assert.equal(ctx.metricValue('messages_sent_total'), 2);
});

test('an API key and a Messaging Service; the body is cut to maxLength', async () => {
  const apiKeySid = 'SK' + 'fedcba9876543210'.repeat(2);
  const { hooks, ctx } = await loadNotifier(sms, {
    config: { accountSid, authToken: 'key-secret', apiKeySid, messagingServiceSid: 'MG' + '0'.repeat(32), to: ['+15551230001'], maxLength: 70, baseUrl: twilioApi.baseUrl },
  });
  twilioApi.requests.length = 0;
  await hooks.notify(sampleNotification('attack.escalated'), ctx.signal);
  const [req] = twilioApi.requests;
  assert.equal(req!.headers.authorization, basic(apiKeySid, 'key-secret'));
  const form = new URLSearchParams(req!.body);
  assert.equal(form.get('MessagingServiceSid'), 'MG' + '0'.repeat(32));
  assert.equal(form.get('From'), null);
  assert.equal(Array.from(form.get('Body')!).length, 70);
});

test('a retry after a partial failure texts only the numbers that did not get it', async () => {
  const { hooks, ctx } = await loadNotifier(sms, { config });
  twilioApi.requests.length = 0;
  twilioApi.answer({ status: 201, body: { sid: 'SM1' } }, { status: 429, body: { code: 20429, message: 'Too Many Requests', status: 429 } });
  const e = sampleNotification('attack.ended');
  await assert.rejects(async () => hooks.notify(e, ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED'));
  await hooks.notify(e, ctx.signal);
  assert.deepEqual(twilioApi.requests.map((r) => new URLSearchParams(r.body).get('To')), ['+15551230001', '+15551230002', '+15551230002']);
});

test('400 (an invalid number) is refused; without from or messagingServiceSid the plugin is refused at load', async () => {
  const { hooks, ctx } = await loadNotifier(sms, { config });
  twilioApi.answer({ status: 400, body: { code: 21211, message: "The 'To' number +15551230001 is not a valid phone number.", status: 400 } });
  await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && /21211/.test(err.message));
  await assert.rejects(loadNotifier(sms, { config: { accountSid, authToken, to: ['+15551230001'], baseUrl: twilioApi.baseUrl } }), (err: unknown) => isPluginError(err, 'BW_ERR_PLUGIN_LOAD') && /exactly one of from and messagingServiceSid/.test(err.message));
});
