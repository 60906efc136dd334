// Telegram notifier: sends each event to a chat (a group, a channel, a forum topic) through the Bot API's
// sendMessage, formatted with Telegram's HTML parse mode. The bot token is the secret: it is part of the
// request path, so it appears in no error this plugin reports.
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapeHtml, sendToProvider, TemplateOverridesSchema } from '@breakwater/sdk/notify';
import { telegramMessage, telegramError } from './payload.js';

const configSchema = Type.Object(
  {
    botToken: Type.String({ pattern: '^[0-9]+:[A-Za-z0-9_-]+$', description: 'The bot\'s token from @BotFather (123456:ABC-DEF...): a secret.' }),
    chatId: Type.String({ minLength: 1, description: 'The chat: its numeric id ("-1001234567890") or a public channel\'s "@name".' }),
    messageThreadId: Type.Optional(Type.Integer({ minimum: 1, description: 'The topic of a forum supergroup.' })),
    silentBelow: Type.Union([Type.Literal('none'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')], {
      default: 'none',
      description: 'Events about attacks below this severity arrive without sound (disable_notification).',
    }),
    baseUrl: Type.String({ format: 'uri', default: 'https://api.telegram.org', description: 'The Bot API host (a local Bot API server, if you run one).' }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export default defineNotifier({
  name: '@breakwater/notifier-telegram',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const render = createMessageRenderer({ overrides: ctx.config.templates, escape: escapeHtml });
    const plain = createMessageRenderer({ overrides: ctx.config.templates, escape: (s) => s });
    const url = new URL(`/bot${ctx.config.botToken}/sendMessage`, ctx.config.baseUrl);
    const sent = ctx.metrics.counter('messages_sent_total', 'messages Telegram accepted');
    return {
      async notify(event, signal) {
        const body = telegramMessage(event, render(event), plain(event), ctx.config);
        try {
          await sendToProvider({ provider: 'Telegram', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
        } catch (err) {
          throw telegramError(err);
        }
        sent.inc();
      },
    };
  },
});
