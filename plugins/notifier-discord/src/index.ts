// Discord notifier: posts each event to a channel through a webhook (Execute Webhook), as one embed coloured
// by severity, with the title linking to the attack in the panel. Mentions are switched off, so nothing in
// a message (a tier's error text, say) can ping @everyone. The webhook URL is the secret.
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapeMarkdown, escapePlain, responseError, sendToProvider, TemplateOverridesSchema } from '@breakwater/sdk/notify';
import { DeliveryError } from '@breakwater/sdk';
import { discordMessage } from './payload.js';

const configSchema = Type.Object(
  {
    webhookUrl: Type.String({ format: 'uri', pattern: '^https?://', description: 'The webhook URL (https://discord.com/api/webhooks/ID/TOKEN): a secret.' }),
    username: Type.String({ minLength: 1, maxLength: 80, default: 'Breakwater', description: 'The name the messages are posted under.' }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export default defineNotifier({
  name: '@breakwater/notifier-discord',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    // Embed titles are not markdown; descriptions are.
    const render = createMessageRenderer({ overrides: ctx.config.templates, escape: escapeMarkdown, titleEscape: escapePlain });
    const sent = ctx.metrics.counter('messages_sent_total', 'messages Discord accepted');
    // wait=true: Discord answers only once the message exists (200 with it), so an error is reported to us.
    const url = new URL(ctx.config.webhookUrl);
    url.searchParams.set('wait', 'true');
    return {
      async notify(event, signal) {
        const body = JSON.stringify(discordMessage(event, render(event), ctx.config.username));
        try {
          await sendToProvider({ provider: 'Discord', url, headers: { 'content-type': 'application/json' }, body, signal });
        } catch (err) {
          throw withBodyRetryAfter(err);
        }
        sent.inc();
      },
    };
  },
});

/** Discord's 429 body says how long to wait (retry_after, seconds, fractional); prefer it to the header. */
function withBodyRetryAfter(err: unknown): unknown {
  if (!(err instanceof DeliveryError) || err.code !== 'BW_ERR_NOTIFY_RATE_LIMITED') return err;
  const match = /"retry_after"\s*:\s*([0-9.]+)/.exec(err.message);
  if (match === null) return err;
  return responseError('Discord', 429, new Headers(), err.message.replace(/^Discord answered 429: /, ''), Date.now, Math.ceil(Number(match[1]) * 1000));
}
