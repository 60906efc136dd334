// Slack notifier: posts each event to a channel through an incoming webhook, as a Block Kit message (a
// header with the title, the text in mrkdwn, a context line, and a button to the attack in the panel).
// The webhook URL is the secret: give it under the channel's `secrets`, never in `config`.
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapePlain, escapeSlackMrkdwn, sendToProvider, TemplateOverridesSchema } from '@breakwater/sdk/notify';
import { slackMessage } from './payload.js';

const configSchema = Type.Object(
  {
    webhookUrl: Type.String({ format: 'uri', pattern: '^https?://', description: 'The incoming webhook URL (https://hooks.slack.com/services/...): a secret.' }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export default defineNotifier({
  name: '@breakwater/notifier-slack',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    // The header block is plain text, so the title is not escaped; the text is mrkdwn.
    const render = createMessageRenderer({ overrides: ctx.config.templates, escape: escapeSlackMrkdwn, titleEscape: escapePlain });
    const sent = ctx.metrics.counter('messages_sent_total', 'messages Slack accepted');
    return {
      async notify(event, signal) {
        const body = JSON.stringify(slackMessage(event, render(event)));
        await sendToProvider({ provider: 'Slack', url: ctx.config.webhookUrl, headers: { 'content-type': 'application/json; charset=utf-8' }, body, signal });
        sent.inc();
      },
    };
  },
});
