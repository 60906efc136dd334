// The `notify` configuration section: the panel link, how the outbox retries and when it gives up, and the
// channels. A channel is one notifier plugin with its own settings (so two Slack channels are two entries
// naming the same plugin), its secrets kept apart from its settings (they become Secret objects and are
// merged into the plugin's settings only when it is loaded), and the rules that keep alert fatigue down:
// which severities and event types it takes, from which runbook stage, de-duplication and a rate limit.
import { Type, type StaticDecode } from '@sinclair/typebox';
import { SecretString } from './secret.js';

const EventType = Type.Union(
  ['attack.detected', 'tier.engaged', 'attack.escalated', 'attack.deescalated', 'mitigation.failed', 'approval.needed', 'attack.ended'].map((t) => Type.Literal(t)),
);

const SeverityLiteral = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')]);

export const CHANNEL_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

export const NotifyChannelSchema = Type.Object(
  {
    plugin: Type.String({ minLength: 1, description: 'The notifier plugin\'s package name, e.g. "@breakwater/notifier-slack".' }),
    enabled: Type.Boolean({ default: true, description: 'false: configured but not loaded; events skip it.' }),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: 'The plugin\'s settings (checked against its schema), without secrets.' }),
    secrets: Type.Record(Type.String(), SecretString('A secret setting of the plugin.'), {
      default: {},
      description: 'The plugin\'s secret settings by name (webhookUrl, token, password, ...): never logged, never shown in full.',
    }),
    minSeverity: Type.Union(SeverityLiteral.anyOf, { default: 'low', description: 'Only events about attacks of this severity or higher.' }),
    events: Type.Array(EventType, {
      default: ['attack.detected', 'tier.engaged', 'attack.escalated', 'attack.deescalated', 'mitigation.failed', 'approval.needed', 'attack.ended'],
      uniqueItems: true,
      description: 'Event types this channel takes.',
    }),
    minStage: Type.Integer({ minimum: 1, maximum: 32, default: 1, description: 'Events at a runbook stage take this channel only from this stage on (1 = every stage).' }),
    dedupSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 900, description: 'The same event about the same attack is sent once within this time (0: no de-duplication).' }),
    rateLimit: Type.Object(
      {
        burst: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'Messages that may go out at once.' }),
        perHour: Type.Integer({ minimum: 1, maximum: 100000, default: 60, description: 'Sustained messages per hour after the burst.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120000, default: 10000, description: 'How long one delivery attempt may take.' }),
    isolation: Type.Optional(Type.Union([Type.Literal('in-process'), Type.Literal('child')], { description: 'Overrides plugins.isolation for this channel.' })),
  },
  // The default lets TypeBox fill in the defaults inside each channel of the record (it only visits defaulted values).
  { default: {}, additionalProperties: false },
);

export const NotifySchema = Type.Object(
  {
    panelUrl: Type.String({ default: '', pattern: '^(https?://[^\\s]+)?$', description: 'Base URL of the web panel; messages link to PANEL/attacks/ID. Empty: messages carry no link.' }),
    retry: Type.Object(
      {
        initialDelayMs: Type.Integer({ minimum: 100, maximum: 600000, default: 5000, description: 'Delay before the first retry; it doubles with each failure (with jitter).' }),
        maxDelayMs: Type.Integer({ minimum: 1000, maximum: 86400000, default: 600000, description: 'Longest delay between two attempts.' }),
        maxAttempts: Type.Integer({ minimum: 1, maximum: 1000, default: 12, description: 'Attempts before a delivery is given up.' }),
        maxAgeSeconds: Type.Integer({ minimum: 60, maximum: 604800, default: 3600, description: 'A delivery not done this long after the event is given up.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    keepDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'Days finished deliveries (sent, failed, suppressed) stay in the outbox for the audit trail.' }),
    channels: Type.Record(Type.String({ pattern: CHANNEL_NAME_PATTERN }), NotifyChannelSchema, {
      default: {},
      additionalProperties: false,
      description: 'Notification channels by name (lower case, digits, - and _); see docs/notifications.md.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type NotifyConfig = StaticDecode<typeof NotifySchema>;
export type NotifyChannelConfig = StaticDecode<typeof NotifyChannelSchema>;
