// @breakwater/sdk/notify: the template language, escapers, formatting, default messages for every event type,
// and the provider call's mapping of answers to DeliveryErrors (against a local HTTP server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NOTIFICATION_EVENT_TYPES, isDeliveryError } from '@breakwater/sdk';
import {
  compileTemplate,
  createMessageRenderer,
  escapeHtml,
  escapeMarkdown,
  escapeSlackMrkdwn,
  formatBps,
  formatDuration,
  formatPps,
  formatShare,
  parseRetryAfter,
  renderTemplate,
  responseError,
  sendToProvider,
  TemplateError,
  truncate,
  vectorLabel,
} from '@breakwater/sdk/notify';
import { sampleNotification } from '@breakwater/sdk/testing';

const view = { a: { b: 'x<y' }, list: [{ n: '1' }, { n: '2' }], empty: [], yes: true, no: false, num: 5 };

const renderCases: { name: string; template: string; expected: string }[] = [
  { name: 'a value is escaped', template: '{{a.b}}', expected: 'x&lt;y' },
  { name: 'triple braces are raw', template: '{{{a.b}}}', expected: 'x<y' },
  { name: '& is raw', template: '{{& a.b}}', expected: 'x<y' },
  { name: 'a section repeats for a list, names resolve in the item first', template: '{{#list}}[{{n}}]{{/list}}', expected: '[1][2]' },
  { name: 'an empty list renders nothing, its inverted section renders', template: '{{#empty}}x{{/empty}}{{^empty}}none{{/empty}}', expected: 'none' },
  { name: 'true renders once, false not', template: '{{#yes}}Y{{/yes}}{{#no}}N{{/no}}', expected: 'Y' },
  { name: 'outer names are visible inside a section', template: '{{#list}}{{num}}{{/list}}', expected: '55' },
  { name: '{{.}} is the current item', template: '{{#a.b}}{{.}}{{/a.b}}', expected: 'x&lt;y' },
  { name: 'comments vanish', template: 'a{{! note }}b', expected: 'ab' },
  { name: 'unknown names are empty', template: '<{{nope.deeper}}>', expected: '<>' },
  { name: 'prototype members are not reachable', template: '{{constructor}}{{a.constructor.name}}{{__proto__}}{{a.b.length}}', expected: '' },
  { name: 'a list prints joined', template: '{{#list}}{{/list}}{{num}}', expected: '5' },
];

for (const c of renderCases) {
  test(`template: ${c.name}`, () => {
    assert.equal(renderTemplate(c.template, view, escapeHtml), c.expected);
  });
}

const badTemplates: { template: string; message: RegExp }[] = [
  { template: 'a {{b', message: /unclosed tag \{\{ at offset 2/ },
  { template: '{{#s}}x', message: /section \{\{#s\}\} is not closed/ },
  { template: '{{#s}}x{{/t}}', message: /closes section \{\{#s\}\}/ },
  { template: 'x{{/t}}', message: /closes no section/ },
  { template: '{{a b}}', message: /"a b" is not a name/ },
  { template: '{{a.constructor()}}', message: /is not a name/ },
];

for (const c of badTemplates) {
  test(`template: ${JSON.stringify(c.template)} is refused with its position`, () => {
    assert.throws(() => compileTemplate(c.template), (err: unknown) => err instanceof TemplateError && c.message.test(err.message));
  });
}

test('escapers: HTML, Slack mrkdwn and markdown keep values literal', () => {
  assert.equal(escapeHtml(`<b>"Tom" & 'Jerry'</b>`), '&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;');
  assert.equal(escapeSlackMrkdwn('<!channel> & *bold*'), '&lt;!channel&gt; &amp; *bold*');
  assert.equal(escapeMarkdown('web_edge *1* [x](y) `c` ~s~ \\'), 'web\\_edge \\*1\\* \\[x\\](y) \\`c\\` \\~s\\~ \\\\');
  assert.equal(truncate('abcdef', 4), 'abc…');
  assert.equal(truncate('abc', 4), 'abc');
  assert.equal(truncate('🙂🙂🙂', 2), '🙂…');
});

test('formatting: rates, shares, durations and vector names as people read them', () => {
  assert.equal(formatBps(3_280_000_000), '3.28 Gbit/s');
  assert.equal(formatBps(950), '950 bit/s');
  assert.equal(formatPps(410_000), '410 kpps');
  assert.equal(formatPps(12_345), '12.3 kpps');
  assert.equal(formatShare(0.974), '97%');
  assert.equal(formatShare(0.001), '0.1%');
  assert.equal(formatShare(0.05), '5%');
  assert.equal(formatDuration(250_000), '4 min 10 s');
  assert.equal(formatDuration(5_400_000), '1 h 30 min');
  assert.equal(formatDuration(3_600_000), '1 h');
  assert.equal(formatDuration(200), '0 s');
  assert.equal(vectorLabel('ntp_amplification'), 'NTP amplification');
  assert.equal(vectorLabel('ack_rst_flood'), 'ACK/RST flood');
  assert.equal(vectorLabel('syn_flood'), 'SYN flood');
});

test('default templates: every event type renders a title and a text that say what was seen and done', () => {
  const render = createMessageRenderer({ escape: (s) => s });
  for (const type of NOTIFICATION_EVENT_TYPES) {
    const { title, text, view: v } = render(sampleNotification(type));
    assert.ok(!title.includes('\n'), `${type}: one-line title`);
    assert.ok(title.includes('203.0.113.10') || type === 'notify.test', `${type}: title names the target: ${title}`);
    assert.ok(!/\{\{|\}\}/.test(title + text), `${type}: nothing left unrendered`);
    assert.match(text, /Seen: NTP amplification/, type);
    assert.equal(v.link, 'https://breakwater.example.net/attacks/01JHQ7Z2K0ATTACK000000001');
  }
  assert.equal(render(sampleNotification('attack.detected')).title, '[HIGH] NTP amplification attack on 203.0.113.10');
  assert.equal(
    render(sampleNotification('attack.detected')).text,
    'Seen: NTP amplification toward 203.0.113.10 (host group web): 3.28 Gbit/s, 410 kpps; amplification pps above 50 kpps (host group web); confidence 97%\nDone: no mitigation yet',
  );
  assert.equal(render(sampleNotification('attack.escalated')).title, '[HIGH] Escalated 203.0.113.10 to stage 2 "rtbh" of runbook default');
  assert.equal(render(sampleNotification('attack.ended')).title, '[HIGH] Attack on 203.0.113.10 ended after 4 min 10 s');
  assert.match(render(sampleNotification('attack.ended')).text, /Done: FlowSpec discard for 203\.0\.113\.10 .*engaged\); .*disengaged\)/);
  assert.match(render(sampleNotification('mitigation.failed')).text, /Why: BGP speaker exabgp is not ready \(session down\) \(BW_ERR_SPEAKER_UNAVAILABLE\)/);
  const refused = render(sampleNotification('mitigation.failed', { outcome: 'refused', guardrail: 'max-prefix-share' }));
  assert.equal(refused.title, '[HIGH] Guardrail max-prefix-share refused @breakwater/example-flowspec-tier for 203.0.113.10');
});

test('overrides replace one template; values are escaped for the channel, the title escaper may differ', () => {
  const render = createMessageRenderer({
    overrides: { 'attack.detected': { text: '<b>{{attack.target}}</b> in {{attack.hostGroup}}' } },
    escape: escapeHtml,
    titleEscape: (s) => s,
  });
  const event = sampleNotification('attack.detected', { attack: { ...sampleNotification('attack.detected').attack, hostGroup: 'a<b>&c' } });
  const { title, text } = render(event);
  assert.equal(text, '<b>203.0.113.10</b> in a&lt;b&gt;&amp;c');
  assert.equal(title, '[HIGH] NTP amplification attack on 203.0.113.10');
  assert.throws(() => createMessageRenderer({ overrides: { 'attack.ended': { title: '{{#x}}' } }, escape: escapeHtml }), /template for attack\.ended: section \{\{#x\}\} is not closed/);
});

test('Retry-After: seconds, fractions and HTTP dates; garbage is ignored', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  assert.equal(parseRetryAfter('30', now), 30_000);
  assert.equal(parseRetryAfter('1.5', now), 1_500);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 12:01:00 GMT', now), 60_000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

test('provider answers map to the outbox\'s three cases', () => {
  const h = (o: Record<string, string> = {}) => new Headers(o);
  const cases: [number, Headers, string, number | undefined][] = [
    [429, h({ 'retry-after': '7' }), 'BW_ERR_NOTIFY_RATE_LIMITED', 7_000],
    [503, h({ 'retry-after': '3' }), 'BW_ERR_NOTIFY_UNAVAILABLE', 3_000],
    [500, h(), 'BW_ERR_NOTIFY_UNAVAILABLE', undefined],
    [408, h(), 'BW_ERR_NOTIFY_UNAVAILABLE', undefined],
    [400, h(), 'BW_ERR_NOTIFY_REJECTED', undefined],
    [404, h(), 'BW_ERR_NOTIFY_REJECTED', undefined],
  ];
  for (const [status, headers, code, wait] of cases) {
    const err = responseError('Prov', status, headers, ' no_service \n');
    assert.equal(err.code, code, String(status));
    assert.equal(err.status, status);
    assert.equal(err.retryAfterMs, wait);
    assert.equal(err.message, `Prov answered ${status}: no_service`);
    assert.ok(isDeliveryError(err));
  }
});

async function withServer(handler: Parameters<typeof createServer>[1], fn: (base: string) => Promise<void>): Promise<void> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('sendToProvider: 2xx resolves; 429, 302 and an unreachable host reject without naming the secret URL path', async () => {
  await withServer(
    (req, res) => {
      if (req.url === '/ok/s3cret') res.writeHead(200).end('ok');
      else if (req.url === '/slow/s3cret') res.writeHead(429, { 'retry-after': '2' }).end('rate_limited');
      else res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    },
    async (base) => {
      const signal = new AbortController().signal;
      const ok = await sendToProvider({ provider: 'P', url: `${base}/ok/s3cret`, body: '{}', signal });
      assert.deepEqual([ok.status, ok.text], [200, 'ok']);
      await assert.rejects(sendToProvider({ provider: 'P', url: `${base}/slow/s3cret`, body: '{}', signal }), (err: unknown) => {
        assert.ok(isDeliveryError(err, 'BW_ERR_NOTIFY_RATE_LIMITED'));
        assert.equal(err.retryAfterMs, 2_000);
        assert.ok(!err.message.includes('s3cret'));
        return true;
      });
      await assert.rejects(sendToProvider({ provider: 'P', url: `${base}/moved/s3cret`, body: '{}', signal }), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && err.status === 302);
    },
  );
  // A port that was just free: nothing listens there.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(sendToProvider({ provider: 'P', url: `http://127.0.0.1:${port}/hook/s3cret`, body: '{}', signal: new AbortController().signal }), (err: unknown) => {
    assert.ok(isDeliveryError(err, 'BW_ERR_NOTIFY_UNAVAILABLE'));
    assert.match(err.message, /^P unreachable: ECONNREFUSED$/);
    return true;
  });
});

test('sendToProvider: an aborted call rejects with the signal\'s reason, not as a delivery failure', async () => {
  await withServer(
    () => undefined,
    async (base) => {
      const controller = new AbortController();
      const pending = sendToProvider({ provider: 'P', url: `${base}/hang`, body: '{}', signal: controller.signal });
      controller.abort(new Error('hook timed out'));
      await assert.rejects(pending, /hook timed out/);
    },
  );
});
