// PagerDuty notifier (Events API v2): one alert per attack. Its first event triggers the alert with the
// dedup key "breakwater-ATTACK_ID"; later events (a tier engaged, escalation, a failure, approval needed) are
// further triggers with the same key, which PagerDuty adds to the open alert's log instead of paging again;
// the attack's end resolves it. A test message triggers an info alert and resolves it at once. The routing
// (integration) key is the secret.
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapePlain, sendToProvider, TemplateOverridesSchema } from '@breakwater/sdk/notify';
import { pagerDutyEvents, type PagerDutySeverity } from './payload.js';

const PdSeverity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error'), Type.Literal('critical')]);

const configSchema = Type.Object(
  {
    routingKey: Type.String({ minLength: 1, maxLength: 64, description: 'The Events API v2 integration key of the service: a secret.' }),
    baseUrl: Type.String({ format: 'uri', default: 'https://events.pagerduty.com', description: 'The Events API host (the EU region: https://events.eu.pagerduty.com).' }),
    severities: Type.Object(
      { low: PdSeverity, medium: PdSeverity, high: PdSeverity, critical: PdSeverity },
      { additionalProperties: false, default: { low: 'info', medium: 'warning', high: 'error', critical: 'critical' }, description: 'PagerDuty severity for each attack severity.' },
    ),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export default defineNotifier({
  name: '@breakwater/notifier-pagerduty',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const render = createMessageRenderer({ overrides: ctx.config.templates, escape: escapePlain });
    const enqueue = new URL('/v2/enqueue', ctx.config.baseUrl);
    const sent = ctx.metrics.counter('events_sent_total', 'events PagerDuty accepted');
    const severities = ctx.config.severities as Record<string, PagerDutySeverity>;
    return {
      async notify(event, signal) {
        // Sent in order: a retry after a failure starts again at the first, which PagerDuty de-duplicates.
        for (const body of pagerDutyEvents(event, render(event), ctx.config.routingKey, severities)) {
          await sendToProvider({ provider: 'PagerDuty', url: enqueue, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
          sent.inc();
        }
      },
    };
  },
});
