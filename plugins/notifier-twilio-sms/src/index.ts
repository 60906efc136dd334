// SMS notifier through Twilio's Messages API: one short text per event to each configured number. An SMS is
// short and costs money per segment, so the body is one template (`text`), cut to maxLength. A retry after
// a partial failure sends only to the numbers that did not get the event yet (remembered in memory, so a
// restart in between may repeat one). The Auth Token (or API key secret) is the secret.
import { defineNotifier, Type } from '@breakwater/sdk';
import { basicAuth, createMessageRenderer, escapePlain, sendToProvider, TemplateOverridesSchema, truncate } from '@breakwater/sdk/notify';

const E164 = '^\\+[1-9][0-9]{6,14}$';

const configSchema = Type.Object(
  {
    accountSid: Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'The Account SID (AC...).' }),
    authToken: Type.String({ minLength: 1, description: 'The account\'s Auth Token, or the secret of the API key below: a secret.' }),
    apiKeySid: Type.Optional(Type.String({ pattern: '^SK[0-9a-fA-F]{32}$', description: 'An API key (SK...) to authenticate with instead of the account; authToken is then its secret.' })),
    from: Type.Optional(Type.String({ minLength: 1, description: 'The sending number (E.164) or alphanumeric sender id.' })),
    messagingServiceSid: Type.Optional(Type.String({ pattern: '^MG[0-9a-fA-F]{32}$', description: 'A Messaging Service (MG...) to send from instead of `from`.' })),
    to: Type.Array(Type.String({ pattern: E164 }), { minItems: 1, maxItems: 20, description: 'Numbers to text, E.164 (+15551234567).' }),
    maxLength: Type.Integer({ minimum: 70, maximum: 1600, default: 320, description: 'Longest message body in characters (Twilio takes 1600).' }),
    baseUrl: Type.String({ format: 'uri', default: 'https://api.twilio.com', description: 'The API host.' }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

/** SMS bodies: one line, the essentials and the link. `text` is the body; the title is not sent. */
const SMS_TEXT = '{{headline}} [{{attack.severityLabel}}, {{attack.rates}}]{{#link}} {{link}}{{/link}}';

/** How many events' recipient lists are remembered for partial retries. */
const REMEMBERED = 1_000;

export default defineNotifier({
  name: '@breakwater/notifier-twilio-sms',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const { config } = ctx;
    if ((config.from === undefined) === (config.messagingServiceSid === undefined)) {
      throw new Error('give exactly one of from and messagingServiceSid');
    }
    const defaults = Object.fromEntries(['attack.detected', 'tier.engaged', 'attack.escalated', 'attack.deescalated', 'mitigation.failed', 'approval.needed', 'attack.ended', 'notify.test'].map((t) => [t, { text: SMS_TEXT }]));
    const render = createMessageRenderer({ overrides: config.templates, defaults, escape: escapePlain });
    const url = new URL(`/2010-04-01/Accounts/${config.accountSid}/Messages.json`, config.baseUrl);
    const authorization = basicAuth(config.apiKeySid ?? config.accountSid, config.authToken);
    const sent = ctx.metrics.counter('messages_sent_total', 'text messages Twilio accepted');
    const delivered = new Map<string, Set<string>>();
    return {
      async notify(event, signal) {
        const body = truncate(render(event).text, config.maxLength);
        let done = delivered.get(event.id);
        if (done === undefined) {
          done = new Set();
          delivered.set(event.id, done);
          if (delivered.size > REMEMBERED) delivered.delete(delivered.keys().next().value!);
        }
        for (const to of config.to) {
          if (done.has(to)) continue;
          const form = new URLSearchParams({ To: to, ...(config.messagingServiceSid !== undefined ? { MessagingServiceSid: config.messagingServiceSid } : { From: config.from! }), Body: body });
          await sendToProvider({ provider: 'Twilio', url, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: form.toString(), signal });
          done.add(to);
          sent.inc();
        }
      },
    };
  },
});
