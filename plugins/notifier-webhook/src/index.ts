// Generic webhook notifier: posts each event as JSON to a URL of the operator's, signed so the receiver can
// tell it came from this appliance and was not replayed: X-Breakwater-Signature is "v1=" + the hex
// HMAC-SHA256, keyed with the shared secret, of "TIMESTAMP.BODY", where TIMESTAMP (X-Breakwater-Timestamp,
// Unix seconds) is the time of this attempt. docs/notifications.md has the verification recipe.
import { createHmac } from 'node:crypto';
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapePlain, sendToProvider, TemplateOverridesSchema } from '@breakwater/sdk/notify';

const configSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', description: 'Where events are posted: a secret (URLs often carry tokens).' }),
    secret: Type.String({ minLength: 16, description: 'The shared HMAC key the receiver verifies signatures with: a secret.' }),
    bearerToken: Type.Optional(Type.String({ minLength: 1, description: 'Sent as "Authorization: Bearer TOKEN" when the receiver wants one: a secret.' })),
    headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String(), { default: {}, description: 'Further headers to send (not secret).' }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export const SIGNATURE_VERSION = 'v1';

/** The signature header value of a body sent at timestamp (Unix seconds). */
export function sign(secret: string, timestamp: number, body: string): string {
  return `${SIGNATURE_VERSION}=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export default defineNotifier({
  name: '@breakwater/notifier-webhook',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const render = createMessageRenderer({ overrides: ctx.config.templates, escape: escapePlain });
    const sent = ctx.metrics.counter('events_sent_total', 'events the receiver accepted');
    return {
      async notify(event, signal) {
        const { title, text } = render(event);
        const body = JSON.stringify({ version: 1, event, message: { title, text } });
        const timestamp = Math.floor(Date.now() / 1000);
        const headers: Record<string, string> = {
          ...ctx.config.headers,
          'content-type': 'application/json',
          'user-agent': 'Breakwater-Webhook/1',
          'x-breakwater-event': event.type,
          'x-breakwater-event-id': event.id,
          'x-breakwater-timestamp': String(timestamp),
          'x-breakwater-signature': sign(ctx.config.secret, timestamp, body),
          ...(ctx.config.bearerToken !== undefined ? { authorization: `Bearer ${ctx.config.bearerToken}` } : {}),
        };
        await sendToProvider({ provider: 'Webhook receiver', url: ctx.config.url, headers, body, signal });
        sent.inc();
      },
    };
  },
});
