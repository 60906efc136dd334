// Notification channels: read them with their secrets masked, replace them (admin; the notification service
// loads channels at start, so the answer says restartNeeded), and send one channel a test message (operator; the
// channel as saved in the configuration file, so a new one can be tried before the restart), the way
// `breakwater notify test` does: the channel's plugin loaded on its own, one direct delivery, the provider's
// answer returned with every secret scrubbed from it. A secret sent back masked keeps the configured
// one; a channel's secrets are only ever revealed to its plugin.
import { Type, type Static } from '@sinclair/typebox';
import { CHANNEL_NAME_PATTERN, NotifyChannelSchema } from '../../config/notify-schema.js';
import { loadConfig } from '../../config/load.js';
import { scrubSecrets } from '../../config/secret.js';
import { BreakwaterError } from '../../errors.js';
import { loadChannels } from '../../notify/channels.js';
import { classifyFailure } from '../../notify/delivery-outcome.js';
import { testEvent } from '../../notify/test-event.js';
import type { RouteModule } from '../api-types.js';
import { ConfigChangeResultSchema, changeConfiguration, keepSentBody, sentBody } from './config-change.js';
import { isMasked, maskSecrets } from './masking.js';

const { secrets: _secrets, ...channelProperties } = NotifyChannelSchema.properties;
const ChannelBody = Type.Object(
  {
    ...channelProperties,
    secrets: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }), Type.String({ minLength: 1, maxLength: 4096 }), { additionalProperties: false, description: 'new values, or the masked values GET /notifiers showed to keep the configured ones' })),
  },
  { additionalProperties: false },
);

const NotifiersBody = Type.Object(
  {
    channels: Type.Record(Type.String({ pattern: CHANNEL_NAME_PATTERN }), ChannelBody, { additionalProperties: false }),
    panelUrl: Type.Optional(Type.String({ pattern: '^(https?://[^\\s]+)?$' })),
  },
  { additionalProperties: false },
);

const ChannelParams = Type.Object({ channel: Type.String({ pattern: CHANNEL_NAME_PATTERN }) }, { additionalProperties: false });

export const notifierRoutes: RouteModule = (app, deps) => {
  app.get(
    '/notifiers',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['configuration'],
        summary: 'Notification channels (secrets masked) and their delivery state',
        response: { 200: Type.Object({ panelUrl: Type.String(), channels: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true })), delivery: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: false }) },
      },
    },
    async () => {
      const notify = deps.config().notify;
      return { panelUrl: notify.panelUrl, channels: maskSecrets(notify.channels) as Record<string, Record<string, unknown>>, delivery: deps.appliance.notify.report() };
    },
  );

  app.put<{ Body: Static<typeof NotifiersBody> }>(
    '/notifiers',
    { config: { role: 'admin' }, preValidation: keepSentBody, schema: { tags: ['configuration'], summary: 'Replace the notification channels (take effect at the next restart)', body: NotifiersBody, response: { 200: ConfigChangeResultSchema } } },
    async (request) =>
      changeConfiguration(deps, request, 'notifiers', (doc) => {
        const notify = { ...((doc.notify as Record<string, unknown> | undefined) ?? {}) };
        const before = (notify.channels as Record<string, { secrets?: Record<string, string> }> | undefined) ?? {};
        const channels: Record<string, unknown> = {};
        const body = sentBody<Static<typeof NotifiersBody>>(request);
        for (const [name, channel] of Object.entries(body.channels)) {
          const secrets: Record<string, string> = {};
          for (const [key, value] of Object.entries(channel.secrets ?? {})) {
            const kept = before[name]?.secrets?.[key];
            if (!isMasked(value)) secrets[key] = value;
            else if (kept !== undefined) secrets[key] = kept;
            else throw new BreakwaterError('BW_ERR_API_VALIDATION', [`body/channels/${name}/secrets/${key} is masked but no such secret is configured: send the value`], { details: { problems: [{ path: `body/channels/${name}/secrets/${key}`, message: 'masked, and nothing configured to keep' }] } });
          }
          channels[name] = { ...channel, secrets };
        }
        notify.channels = channels;
        if (body.panelUrl !== undefined) notify.panelUrl = body.panelUrl;
        doc.notify = notify;
      }),
  );

  app.post<{ Params: Static<typeof ChannelParams> }>(
    '/notifiers/:channel/test',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['configuration'],
        summary: 'Send one test message through a channel, directly (not through the outbox)',
        params: ChannelParams,
        response: { 200: Type.Object({ ok: Type.Boolean(), channel: Type.String(), plugin: Type.String(), eventId: Type.Optional(Type.String()), code: Type.Optional(Type.String()), message: Type.Optional(Type.String()), status: Type.Optional(Type.Integer()), retried: Type.Optional(Type.Boolean()) }, { additionalProperties: false }) },
      },
    },
    async (request) => {
      const name = request.params.channel;
      // The channel as saved: a channel added or changed through PUT /notifiers can be tried before the restart
      // that puts it in force (the file was validated whole when it was written).
      const config = deps.configPath !== undefined ? await loadConfig(deps.configPath) : deps.config();
      const settings = config.notify.channels[name];
      if (settings === undefined) throw new BreakwaterError('BW_ERR_NOTIFY_CHANNEL', [name, `not configured (notify.channels has ${Object.keys(config.notify.channels).join(', ') || 'none'})`]);
      const [channel] = await loadChannels(config, deps.log.child({ route: 'notifier-test' }), { only: [name] });
      try {
        if (channel?.handle === undefined) {
          const error = channel?.error ?? { code: 'BW_ERR_NOTIFY_CHANNEL', message: `channel ${name} did not load` };
          deps.auditChange(request, 'notify.test', { resource: name, reason: `${error.code}: ${error.message}` });
          return { ok: false, channel: name, plugin: settings.plugin, code: error.code, message: error.message };
        }
        const event = testEvent(name, config.notify.panelUrl, deps.clock());
        try {
          await channel.handle.call('notify', [event]);
        } catch (err) {
          const failure = classifyFailure(err);
          const message = scrubSecrets(failure.message, channel.secrets);
          deps.auditChange(request, 'notify.test', { resource: name, reason: `${failure.code}: ${message}` });
          return { ok: false, channel: name, plugin: settings.plugin, code: failure.code, message, ...(failure.status !== undefined ? { status: failure.status } : {}), retried: failure.kind !== 'rejected' };
        }
        deps.auditChange(request, 'notify.test', { resource: name, reason: 'delivered' });
        return { ok: true, channel: name, plugin: settings.plugin, eventId: event.id };
      } finally {
        await channel?.handle?.stop();
      }
    },
  );
};
