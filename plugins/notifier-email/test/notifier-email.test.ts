// The e-mail notifier against a real SMTP server on loopback (smtp-server, nodemailer's server library) with
// a self-signed certificate made for the test: STARTTLS and then AUTH (the server refuses AUTH before TLS),
// implicit TLS, a wrong password, temporary and permanent refusals of a recipient, and a certificate that is
// not trusted. Every delivered mail is parsed (mailparser) and checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeliveryError, isPluginError } from '@breakwater/sdk';
import { loadNotifier, sampleNotification } from '@breakwater/sdk/testing';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import email from '../src/index.js';

interface Received {
  mail: ParsedMail;
  session: { secure: boolean; user: unknown; rcpt: string[] };
}

let dir = '';
let key = '';
let cert = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-smtp-'));
  // An EC key is made in milliseconds; the certificate names localhost and 127.0.0.1.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function smtp(options: Partial<SMTPServerOptions>, fn: (port: number, received: Received[], authSeenSecure: boolean[]) => Promise<void>): Promise<void> {
  const received: Received[] = [];
  const authSeenSecure: boolean[] = [];
  const server = new SMTPServer({
    key,
    cert,
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    // AUTH is refused until the connection is encrypted (RFC 4954 advice): credentials never cross in clear.
    allowInsecureAuth: false,
    onAuth(auth, session, callback) {
      authSeenSecure.push(Boolean((session as SMTPServerSession & { secure?: boolean }).secure));
      if (auth.username === 'breakwater' && auth.password === 'smtp-pa55word') callback(null, { user: 'breakwater' });
      else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ mail, session: { secure: Boolean((session as SMTPServerSession & { secure?: boolean }).secure), user: session.user, rcpt: session.envelope.rcptTo.map((r) => r.address) } });
          callback();
        })
        .catch(callback);
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  try {
    await fn(port, received, authSeenSecure);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const base = (port: number) => ({
  host: '127.0.0.1',
  port,
  username: 'breakwater',
  password: 'smtp-pa55word',
  from: 'Breakwater <breakwater@example.net>',
  to: ['noc@example.net', 'oncall@example.net'],
  tls: { ca: cert, servername: 'localhost' },
});

test('STARTTLS then AUTH: the mail arrives encrypted, authenticated, with subject, text, HTML and thread headers', async () => {
  await smtp({ secure: false }, async (port, received, authSeenSecure) => {
    const { hooks, ctx } = await loadNotifier(email, { config: base(port) });
    const e = sampleNotification('attack.detected');
    await hooks.notify({ ...e, attack: { ...e.attack, hostGroup: 'edge<script>' } }, ctx.signal);
    await hooks.stop!(ctx.signal);
    assert.equal(received.length, 1);
    const [{ mail, session }] = received as [Received];
    assert.deepEqual(authSeenSecure, [true], 'AUTH only after STARTTLS');
    assert.equal(session.secure, true);
    assert.equal(session.user, 'breakwater');
    assert.deepEqual(session.rcpt, ['noc@example.net', 'oncall@example.net']);
    assert.equal(mail.subject, '[HIGH] NTP amplification attack on 203.0.113.10');
    assert.equal(mail.from?.text, '"Breakwater" <breakwater@example.net>');
    assert.match(mail.text ?? '', /^Seen: NTP amplification toward 203\.0\.113\.10 \(host group edge<script>\)/);
    assert.match(mail.text ?? '', /Open the attack in Breakwater: https:\/\/breakwater\.example\.net\/attacks\/01JHQ7Z2K0ATTACK000000001/);
    const html = String(mail.html);
    assert.match(html, /host group edge&lt;script&gt;/);
    assert.ok(!html.includes('<script>'));
    assert.match(html, /<a href="https:\/\/breakwater\.example\.net\/attacks\/01JHQ7Z2K0ATTACK000000001">/);
    assert.equal(mail.headers.get('x-breakwater-event'), 'attack.detected');
    assert.equal(mail.headers.get('x-breakwater-attack'), '01JHQ7Z2K0ATTACK000000001');
    assert.equal(mail.inReplyTo, '<breakwater-attack-01JHQ7Z2K0ATTACK000000001@breakwater.invalid>');
    assert.equal(ctx.metricValue('mails_sent_total'), 1);
  });
});

test('implicit TLS (port 465 style) works too', async () => {
  await smtp({ secure: true }, async (port, received) => {
    const { hooks, ctx } = await loadNotifier(email, { config: { ...base(port), security: 'tls' } });
    await hooks.notify(sampleNotification('attack.ended'), ctx.signal);
    await hooks.stop!(ctx.signal);
    assert.equal(received[0]?.session.secure, true);
    assert.equal(received[0]?.mail.subject, '[HIGH] Attack on 203.0.113.10 ended after 4 min 10 s');
  });
});

test('a wrong password is refused for good (535), and nothing is delivered', async () => {
  await smtp({ secure: false }, async (port, received) => {
    const { hooks, ctx } = await loadNotifier(email, { config: { ...base(port), password: 'wrong' } });
    await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && err.status === 535 && !err.message.includes('wrong'));
    await hooks.stop!(ctx.signal);
    assert.equal(received.length, 0);
  });
});

test('a recipient refused with 450 is retried later, with 550 refused for good', async () => {
  const answers = [450, 550];
  await smtp(
    {
      secure: false,
      onRcptTo(_address, _session, callback) {
        const code = answers.shift()!;
        callback(Object.assign(new Error(code === 450 ? 'Mailbox busy, try later' : 'No such user'), { responseCode: code }));
      },
    },
    async (port) => {
      const { hooks, ctx } = await loadNotifier(email, { config: { ...base(port), to: ['noc@example.net'] } });
      await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_UNAVAILABLE') && err.status === 450);
      await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_REJECTED') && err.status === 550);
      await hooks.stop!(ctx.signal);
    },
  );
});

test('a server whose certificate is not trusted gets no credentials and no mail', async () => {
  await smtp({ secure: false }, async (port, received, authSeenSecure) => {
    const { tls: _trust, ...untrusting } = base(port);
    const { hooks, ctx } = await loadNotifier(email, { config: untrusting });
    await assert.rejects(async () => hooks.notify(sampleNotification('attack.detected'), ctx.signal), (err: unknown) => isDeliveryError(err, 'BW_ERR_NOTIFY_UNAVAILABLE') && /certificate/i.test(err.message));
    await hooks.stop!(ctx.signal);
    assert.deepEqual(authSeenSecure, []);
    assert.equal(received.length, 0);
  });
});

test('refused at load: a password with security "none"', async () => {
  await assert.rejects(loadNotifier(email, { config: { ...base(25), security: 'none' } }), (err: unknown) => isPluginError(err, 'BW_ERR_PLUGIN_LOAD') && /in clear/.test(err.message));
});
