// Microsoft Teams notifier: posts each event as an Adaptive Card through a Teams Workflows webhook ("Send
// webhook alerts to a channel"; the retired Office 365 connectors took the same message shape). The card has
// the title, the text, the facts an operator scans first, and a button to the attack in the panel. The
// webhook URL is the secret.
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapeMarkdown, sendToProvider, TemplateOverridesSchema } from '@breakwater/sdk/notify';
import { teamsMessage } from './payload.js';

const configSchema = Type.Object(
  {
    webhookUrl: Type.String({ format: 'uri', pattern: '^https?://', description: 'The Workflows webhook URL (https://...powerautomate.com/... or ...logic.azure.com/...): a secret.' }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export default defineNotifier({
  name: '@breakwater/notifier-teams',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    // TextBlocks render a CommonMark subset, the title included.
    const render = createMessageRenderer({ overrides: ctx.config.templates, escape: escapeMarkdown });
    const sent = ctx.metrics.counter('messages_sent_total', 'messages Teams accepted');
    return {
      async notify(event, signal) {
        const body = JSON.stringify(teamsMessage(event, render(event)));
        await sendToProvider({ provider: 'Teams', url: ctx.config.webhookUrl, headers: { 'content-type': 'application/json' }, body, signal });
        sent.inc();
      },
    };
  },
});
