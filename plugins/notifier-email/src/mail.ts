// One event as a mail (subject, text, HTML, headers), and an SMTP failure as a DeliveryError: a 4xx reply is
// temporary (retry), a 5xx reply or a refused login is not, a connection or TLS failure is retried.
import { DeliveryError, type NotificationEvent } from '@breakwater/sdk';
import { escapeHtml, type RenderedMessage } from '@breakwater/sdk/notify';

export interface MailSettings {
  from: string;
  to: string[];
}

export function mailFor(event: NotificationEvent, plain: RenderedMessage, html: RenderedMessage, settings: MailSettings) {
  const link = plain.view.link;
  const thread = `<breakwater-attack-${event.attack.id.replace(/[^A-Za-z0-9._-]/g, '_')}@breakwater.invalid>`;
  const body = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; line-height: 1.4">',
    `<h2 style="margin: 0 0 12px">${html.title}</h2>`,
    `<p>${html.text.split('\n').join('<br>\n')}</p>`,
    link === '' ? '' : `<p><a href="${escapeHtml(link)}">Open the attack in Breakwater</a></p>`,
    `<p style="color: #777; font-size: 12px">Breakwater · ${escapeHtml(plain.view.event.label)} · ${escapeHtml(plain.view.event.at)}</p>`,
    '</body></html>',
  ]
    .filter((line) => line !== '')
    .join('\n');
  return {
    from: settings.from,
    to: settings.to,
    subject: plain.title,
    text: link === '' ? plain.text : `${plain.text}\n\nOpen the attack in Breakwater: ${link}`,
    html: body,
    headers: { 'X-Breakwater-Event': event.type, 'X-Breakwater-Event-Id': event.id, 'X-Breakwater-Attack': event.attack.id },
    ...(event.type === 'notify.test' ? {} : { references: thread, inReplyTo: thread }),
  };
}

export function smtpError(err: unknown): DeliveryError {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const message = `SMTP server: ${e.message ?? String(err)}`;
  const status = e.responseCode;
  const options = { cause: err, ...(status !== undefined ? { status } : {}) };
  if (status !== undefined && status >= 500) return new DeliveryError('BW_ERR_NOTIFY_REJECTED', message, options);
  if (status !== undefined && status >= 400) return new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', message, options);
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new DeliveryError('BW_ERR_NOTIFY_REJECTED', message, options);
  return new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', message, options);
}
