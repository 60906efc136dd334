// E-mail notifier: sends each event as a mail (plain text and HTML) over SMTP with nodemailer: STARTTLS
// required by default (or TLS from the first byte, port 465), the server's certificate verified, and
// authentication when a username is set. Mails about one attack carry the same References header, so mail
// clients thread them. The SMTP password is the secret.
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapeHtml, escapePlain, TemplateOverridesSchema } from '@breakwater/sdk/notify';
import nodemailer, { type Transporter } from 'nodemailer';
import { mailFor, smtpError } from './mail.js';

const configSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'The SMTP server (a relay or submission server).' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587, description: '587 (submission, STARTTLS), 465 (TLS), 25.' }),
    security: Type.Union([Type.Literal('starttls'), Type.Literal('tls'), Type.Literal('none')], {
      default: 'starttls',
      description: 'starttls: upgrade with STARTTLS and refuse a server without it; tls: TLS from the start; none: no encryption (local relays only).',
    }),
    username: Type.Optional(Type.String({ minLength: 1, description: 'Authenticate (AUTH PLAIN/LOGIN) as this user.' })),
    password: Type.Optional(Type.String({ description: 'The SMTP password: a secret.' })),
    from: Type.String({ minLength: 3, description: 'The sender, e.g. "Breakwater <breakwater@example.net>".' }),
    to: Type.Array(Type.String({ minLength: 3 }), { minItems: 1, maxItems: 50, description: 'Recipients.' }),
    tls: Type.Object(
      {
        ca: Type.Optional(Type.String({ description: 'PEM certificate(s) to trust for the server (a private CA or a self-signed server).' })),
        servername: Type.Optional(Type.String({ description: 'The name the server\'s certificate must carry, when host is an address.' })),
        rejectUnauthorized: Type.Boolean({ default: true, description: 'false accepts any certificate: never on a network you do not own.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    timeoutMs: Type.Integer({ minimum: 500, maximum: 120_000, default: 8_000, description: 'Bound on connecting, the greeting and each reply.' }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export default defineNotifier({
  name: '@breakwater/notifier-email',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const { config } = ctx;
    if (config.security === 'none' && config.password !== undefined) {
      throw new Error('security "none" would send the SMTP password in clear: use starttls or tls');
    }
    const plain = createMessageRenderer({ overrides: config.templates, escape: escapePlain });
    const html = createMessageRenderer({ overrides: config.templates, escape: escapeHtml });
    const sent = ctx.metrics.counter('mails_sent_total', 'mails the SMTP server accepted');
    let transport: Transporter | undefined;
    return {
      start() {
        // Creating the transport opens no connection; each sendMail connects (no pool: events are rare).
        transport = nodemailer.createTransport({
          host: config.host,
          port: config.port,
          secure: config.security === 'tls',
          requireTLS: config.security === 'starttls',
          ignoreTLS: config.security === 'none',
          ...(config.username !== undefined ? { auth: { user: config.username, pass: config.password ?? '' } } : {}),
          tls: {
            minVersion: 'TLSv1.2',
            rejectUnauthorized: config.tls.rejectUnauthorized,
            ...(config.tls.ca !== undefined ? { ca: config.tls.ca } : {}),
            ...(config.tls.servername !== undefined ? { servername: config.tls.servername } : {}),
          },
          connectionTimeout: config.timeoutMs,
          greetingTimeout: config.timeoutMs,
          socketTimeout: config.timeoutMs,
          // Nothing in a message may make nodemailer read a file or fetch a URL.
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      },
      async notify(event, signal) {
        const mail = mailFor(event, plain(event), html(event), config);
        // nodemailer takes no signal: a send that outlives the hook's timeout finishes or fails on its own
        // socket timeout, and the outbox retries (at worst, one mail twice).
        try {
          await transport!.sendMail(mail);
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          throw smtpError(err);
        }
        sent.inc();
      },
      stop() {
        transport?.close();
      },
    };
  },
});
